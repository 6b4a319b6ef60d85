"""Tests written to kill mutants of ``fundsim/rules/results_framework.py``, ``fundsim/results/ledger.py`` and
``fundsim/results/concentration.py`` (``make mutate``, docs/mutation.md), each on its own small scenario or array,
every figure worked by hand.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

import fundsim as fs
from fundsim.results.concentration import cell_concentration
from fundsim.results.ledger import ledger_dataset, unused_money
from fundsim.rules.results_framework import outputs_of, pieces_of


def test_concentration_counts_the_funded_cells_only() -> None:
    # funded: 2, 2, 3 (0 and 1e-7 are not): 2 is held by 2 of 3 cells
    got = cell_concentration([[2.0, 0.0, 2.001], [3.0, 1e-7, 0.0]])
    assert (got.amount, got.cells, got.funded, got.share) == (2.0, 2, 3, 2 / 3)


def test_concentration_of_one_funded_cell_and_of_a_cell_at_the_threshold() -> None:
    # 1e-6 EUR m exactly is not funded (more than it is); a single funded cell holds the most common amount alone
    got = cell_concentration(np.array([[1e-6, 0.0], [4.25, 0.0]]))
    assert (got.amount, got.cells, got.funded, got.share) == (4.25, 1, 1, 1.0)


def test_concentration_of_a_priority_by_region_array() -> None:
    # nothing to sum over: the cells are the array's; 3.5 in two of three funded cells
    cells = xr.DataArray([[3.5, 0.0], [3.5, 1.0]], dims=("priority", "region"))
    got = cell_concentration(cells)
    assert (got.amount, got.cells, got.funded, got.share) == (3.5, 2, 3, 2 / 3)


# ---- rules/results_framework.py ------------------------------------------------------------------------------
def framework(**first: Any) -> fs.Scenario:
    """The tutorial valued by a results framework of weight 2 alone: ``ret`` (return in North Africa, EUR 0.5 m
    an output on total cost, target 10, worth 1 up to it and nothing beyond) and ``mob`` (mobility in the East,
    EUR 0.25 m an output on EU money, no target, worth 0.5); ``first`` changes ``ret``."""
    raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text(encoding="utf-8"))
    ret = {"id": "ret", "priorities": ["return"], "regions": ["north_africa"], "unit_cost": 0.5, "basis": "total",
           "target": 10, "value": 1.0, "beyond_target": 0.0, **first}
    mob = {"id": "mob", "priorities": ["mobility"], "regions": ["eastern_partnership"], "unit_cost": 0.25,
           "basis": "eu", "value": 0.5}
    raw["objective"] = {"results": {"weight": 2.0, "indicators": [ret, mob]}}
    return fs.scenario_from_dict(raw)


def test_the_output_columns_and_link_rows_by_hand() -> None:
    # columns (ret, mob) × (to_target, beyond_target): ret's first piece is bounded by its target, its second is
    # worth 0 and closed; mob has no target: the first unbounded, the second closed. Costs weight · value.
    # Link rows: ret counts TPMA's return in North Africa at (1 + 0.25) / 0.5 = 2.5 outputs per EUR m of EU
    # money (TPMA's match ratio 0.25: at most 80 % EU), ENPI's at 1 / 0.5 = 2; mob ENPI's and TPMA's mobility in
    # the East at 1 / 0.25 = 4.
    lp = fs.assemble(framework())
    q, link, eu = lp.variables["results_output"], lp.constraints["results_link"], lp.variables["eu"]
    assert (q.dims, q.coords, q.units, q.long_name) == (
        ("indicator", "piece"), (("ret", "mob"), ("to_target", "beyond_target")), "units of output",
        "outputs of the indicator, up to its target and beyond it")
    assert lp.col_upper[q.start:q.stop].tolist() == [10.0, 0.0, np.inf, 0.0]
    assert lp.col_lower[q.start:q.stop].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert lp.c[q.start:q.stop].tolist() == [2.0, 0.0, 1.0, 0.0]
    assert (link.coords, link.kind, link.units, link.long_name) == (
        (("ret", "mob"),), "le", "objective per unit of output", "marginal value of an output of the indicator")
    assert lp.row_lower[link.start:link.stop].tolist() == [-np.inf, -np.inf]
    assert lp.row_upper[link.start:link.stop].tolist() == [0.0, 0.0]
    i, p, r, _ = eu.positions
    expected = np.zeros((2, lp.A.shape[1]))
    expected[0, eu.start + np.flatnonzero((p == 1) & (r == 0))] = np.where(i[(p == 1) & (r == 0)] == 0, -2.5, -2.0)
    expected[1, eu.start + np.flatnonzero((p == 0) & (r == 1))] = -4.0
    expected[0, q.start:q.start + 2] = expected[1, q.start + 2:q.stop] = 1.0
    assert lp.A[link.start:link.stop].toarray().tolist() == expected.tolist()


def test_the_framework_optimum_and_its_prices_by_hand() -> None:
    # mob is worth 4 outputs · 0.5 · 2 = 4 per EUR m; ret 2.5 · 1 · 2 = 5 per EUR m of TPMA (2 · 2 = 4 of ENPI) up
    # to 10 outputs: 4 EUR m of TPMA buy ret's target (20), the other 56 go to mobility (224). 244. ret's link:
    # one output more frees 1 / 2.5 EUR m of TPMA for mobility, 1.6; mob's: 0.5 · 2 = 1
    alloc = fs.solve(framework())
    assert alloc.objective == pytest.approx(244.0, rel=1e-9)
    assert alloc.duals["results_link"].values.tolist() == pytest.approx([1.6, 1.0], rel=1e-9)
    q = alloc.lp.variables["results_output"]
    assert alloc.result.x[q.start:q.stop].tolist() == pytest.approx([10.0, 0.0, 224.0, 0.0], abs=1e-6)


def test_outputs_and_pieces_of_a_plan_by_hand() -> None:
    # TPMA 4 and ENPI 6 for return in North Africa: (1.25 · 4 + 6) = 11 EUR m of total cost, 22 outputs (10 to
    # the target, 12 beyond); TPMA 2 for mobility in the East, 2 EUR m on mob's EU basis (2.5 of total cost), 8
    # outputs; ENPI 1 for mobility in North Africa (not in mob's slice)
    sc = framework(beyond_target=0.5)
    eu = np.zeros((2, 3, 2, 2))
    eu[0, 1, 0, 0], eu[1, 1, 0, 1], eu[0, 0, 1, 1], eu[1, 0, 0, 0] = 4.0, 6.0, 2.0, 1.0
    money, out = outputs_of(sc, eu)
    assert money.tolist() == pytest.approx([11.0, 2.0]) and out.tolist() == pytest.approx([22.0, 8.0])
    lp = fs.assemble(sc)
    q = lp.variables["results_output"]
    upper = lp.col_upper[q.start:q.stop]
    assert upper.tolist() == [10.0, np.inf, np.inf, 0.0]
    assert pieces_of(sc, eu, q, upper).tolist() == pytest.approx([10.0, 12.0, 8.0, 0.0])  # indicator by indicator
    # below the target: 2 outputs of ret, none beyond; bounds of 1 clip every piece
    low = np.zeros_like(eu)
    low[1, 1, 0, 0] = 1.0
    assert pieces_of(sc, low, q, upper).tolist() == [2.0, 0.0, 0.0, 0.0]
    assert pieces_of(sc, eu, q, np.ones(4)).tolist() == [1.0, 1.0, 1.0, 0.0]


def test_outputs_without_a_framework_and_of_negative_money() -> None:
    # the tutorial has no results term: no indicators, no outputs; money below zero buys no outputs in either piece
    eu = np.zeros((2, 3, 2, 2))
    money, out = outputs_of(fs.load_scenario("scenarios/tutorial.yaml"), eu)
    assert (money.shape, out.shape) == ((0,), (0,))
    sc = framework()
    lp = fs.assemble(sc)
    q = lp.variables["results_output"]
    assert pieces_of(fs.load_scenario("scenarios/tutorial.yaml"), eu, q, np.zeros(0)).shape == (0,)
    eu[1, 1, 0, 0], eu[1, 0, 1, 0] = -1.0, -2.0
    assert outputs_of(sc, eu)[1].tolist() == [-2.0, -8.0]
    assert pieces_of(sc, eu, q, lp.col_upper[q.start:q.stop]).tolist() == [0.0, 0.0, 0.0, 0.0]


# ---- results/ledger.py -----------------------------------------------------------------------------------------
def tiny(budget: dict[str, Any], years: list[int], envelope: Any) -> fs.Scenario:
    """One instrument ``f`` funding one priority in one region, paid half in the year committed, half the next."""
    return fs.scenario_from_dict({
        "name": "tiny", "years": years, "pillars": [{"id": "q"}], "priorities": [{"id": "p", "pillar": "q"}],
        "regions": [{"id": "r", "group": "south"}],
        "instruments": [{"id": "f", "envelope": envelope, "budget": budget, "payment_profile": [0.5, 0.5]}],
        "objective": {"impact": {"weights": {"default": 1.0}, "basis": "eu"}}})


def test_the_ledger_of_a_plan_read_from_a_file_by_hand() -> None:
    # 30 a year, 25 and 30 committed: 5 lapse in 2009. 20 committed in 2008 leave 10 due in 2009 (the opening
    # RAL); due: 10 + 12.5, then 12.5 + 15; payment appropriations 20 and 15 pay 20 and 15
    sc = tiny({"payment_appropriations": {2009: 20, 2010: 15}, "deadline": {"kind": "payment", "years": 1},
               "opening": {"commitments": {2008: 20}}}, [2009, 2010], 30)
    book = ledger_dataset(sc, np.array([25.0, 30.0]).reshape(1, 1, 1, 2))
    assert dict(book.coords.items()).keys() == {"instrument", "year", "cohort"}
    assert (book["instrument"].values.tolist(), book["year"].values.tolist(), book["cohort"].values.tolist()) == (
        ["f"], [2009, 2010], [2008, 2009, 2010])
    f = book.sel(instrument="f")
    expected = {"available": [30.0, 30.0], "carried_in": [0.0, 0.0], "committed": [25.0, 30.0],
                "carried_out": [0.0, 0.0], "lapsed": [5.0, 0.0], "not_used": [0.0, 0.0],
                "lost_at_cutoff": [0.0, 0.0], "payments_due": [22.5, 27.5], "payments_made": [20.0, 15.0],
                "payment_appropriations": [20.0, 15.0]}
    assert {k: f[k].values.tolist() for k in expected} == expected
    assert f["cohort_committed"].values.tolist() == [20.0, 25.0, 30.0]
    assert book["cohort_paid"].dims == ("instrument", "cohort", "year")
    assert book["cohort_committed"].dims == ("instrument", "cohort")
    assert all(book[k].dims == ("instrument", "year") for k in expected)
    assert book["payments_due"].attrs["opening_ral_due"] == 10.0
    assert {k: v.attrs["units"] for k, v in book.data_vars.items()} == dict.fromkeys(book.data_vars, "EUR m")
    assert book["lapsed"].attrs["long_name"] == "commitment appropriations lapsed at year end"
    assert book["cohort_outstanding"].attrs["long_name"] == "outstanding at the end of the last year (RAL)"


def test_the_ledger_with_one_of_the_two_columns_given() -> None:
    # 30 a year, 25 and 30 committed: the missing column is taken from the money (5 unused in 2009, lapsed;
    # nothing carried over by a budget instrument), the given one kept
    sc = tiny({}, [2009, 2010], 30)
    eu = np.array([25.0, 30.0]).reshape(1, 1, 1, 2)
    book = ledger_dataset(sc, eu, carried=np.array([[3.0, 0.0]]))
    assert (book["lapsed"].values.tolist(), book["carried_in"].values.tolist()) == ([[5.0, 0.0]], [[0.0, 3.0]])
    book = ledger_dataset(sc, eu, unused=np.array([[1.0, 2.0]]))
    assert (book["lapsed"].values.tolist(), book["carried_out"].values.tolist()) == ([[1.0, 2.0]], [[0.0, 0.0]])


def test_the_ledger_reads_amounts_below_1e_9_as_zero() -> None:
    # 1e-10 committed in 2009 is read as nothing; 1e-9 in 2010 is kept
    sc = tiny({}, [2009, 2010], 30)
    book = ledger_dataset(sc, np.array([1e-10, 1e-9]).reshape(1, 1, 1, 2))
    assert book["committed"].values.tolist() == [[0.0, 1e-9]]


def test_the_ledger_takes_a_solved_plans_columns_over_three_years() -> None:
    # a fund of 10 a year that carries over: carried out 4 then 6 (given, as a solved plan's columns), so carried
    # in 0, 4, 6 and available 10, 14, 16; unused given as 1, 0, 2 (a fund's own money: lost at its cut-off)
    sc = tiny({"nature": "fund", "cutoff": 2011}, [2009, 2010, 2011], 10)
    eu = np.array([5.0, 8.0, 14.0]).reshape(1, 1, 1, 3)
    book = ledger_dataset(sc, eu, np.array([[4.0, 6.0, 0.0]]), np.array([[1.0, 0.0, 2.0]]))
    f = book.sel(instrument="f")
    assert f["carried_in"].values.tolist() == [0.0, 4.0, 6.0]
    assert f["available"].values.tolist() == [10.0, 14.0, 16.0]
    assert f["carried_out"].values.tolist() == [4.0, 6.0, 0.0]
    assert f["lost_at_cutoff"].values.tolist() == [1.0, 0.0, 2.0]
    assert f["lapsed"].values.tolist() == [0.0, 0.0, 0.0]


def test_unused_money_by_hand() -> None:
    # two instruments over three years; still available: what the last year carries out
    iy = ("instrument", "year")
    coords = {"instrument": ["a", "b"], "year": [2009, 2010, 2011]}
    book = xr.Dataset({"lapsed": (iy, [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),
                       "not_used": (iy, [[0.0, 0.0, 0.0], [0.5, 0.25, 0.0]]),
                       "lost_at_cutoff": (iy, [[0.0, 0.0, 4.0], [0.0, 1.0, 0.0]]),
                       "carried_out": (iy, [[7.0, 8.0, 9.0], [1.0, 2.0, 3.0]])}, coords=coords)
    table = unused_money(book)
    assert list(table.data_vars) == ["lapsed", "not_used", "lost_at_cutoff", "still_available"]
    assert {k: table[k].values.tolist() for k in table.data_vars} == {
        "lapsed": [6.0, 0.0], "not_used": [0.0, 0.75], "lost_at_cutoff": [4.0, 1.0], "still_available": [9.0, 3.0]}
    assert set(table.coords) == {"instrument"}
