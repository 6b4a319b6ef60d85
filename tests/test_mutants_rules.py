"""Tests written to kill mutants of the rule families that survived the suite (issue 12, docs/mutation.md):
each asserts rows of the LP or violation records against figures worked out by hand on
scenarios/tutorial.yaml or on tiny variants of it, never read back from the code under test.

The tutorial: instruments tpma (10 EUR m in 2009 and in 2010, at most 80 % EU) and enpi (20 a year,
mobility and return only); priorities mobility, return, remittances; regions north_africa and
eastern_partnership; years 2009 and 2010. Columns and rows are read through the LP's block registry.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import fundsim as fs
from fundsim.lp.assembly import define_eu
from fundsim.model import (
    Cap,
    GeographicFocus,
    Limit,
    MinCommitment,
    MinPackage,
    MobilityPartnerships,
    PillarBalance,
    Selector,
)
from fundsim.rules import Assembly, Plan, Rows, Violation, families
from fundsim.rules.binaries import active, binaries, cell_upper, least, links
from fundsim.rules.goals import shortfalls_of
from fundsim.rules.impact import segments_of
from fundsim.rules.partnerships import partners_of
from fundsim.rules.program import Block, Header, ProgramBuilder
from fundsim.rules.shares import TOTAL_COLUMN, share_rows

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = yaml.safe_load((ROOT / "scenarios" / "tutorial.yaml").read_text(encoding="utf-8"))
TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1


def scenario(**rules: Any) -> fs.Scenario:
    """The tutorial with these ``rules:`` sections added (pillar balance kept unless replaced)."""
    raw = copy.deepcopy(TUTORIAL)
    raw["rules"].update(copy.deepcopy(rules))
    return fs.scenario_from_dict(raw)


def cube() -> np.ndarray:
    return np.zeros((2, 3, 2, 2))


def plan(sc: fs.Scenario, eu: np.ndarray, *, rtol: float = 1e-7, atol: float = 1e-6) -> Plan:
    """A plan of the EU cube ``eu``, co-financed at the rule's rate, paid in the year."""
    cofin = eu * np.broadcast_to(sc.match_ratio[..., None], eu.shape)
    return Plan(sc, eu, cofin, eu + cofin, eu, None, None, rtol=rtol, atol=atol)


def check(family: str, p: Plan) -> list[Violation]:
    (found,) = [f for f in families() if f.name == family]
    assert found.check is not None
    return found.check(p)


def rows(lp: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dense rows of block ``name`` and their lower and upper bounds."""
    block = lp.constraints[name]
    return (lp.A[block.start:block.stop].toarray(), lp.row_lower[block.start:block.stop],
            lp.row_upper[block.start:block.stop])


def cube_rows(lp: Any, name: str) -> np.ndarray:
    """Each row of block ``name`` laid out on the (instrument, priority, region, year) cube of EU columns."""
    a, _, _ = rows(lp, name)
    eu = lp.variables["eu"]
    return np.stack([eu.dense(row, fill=0.0) for row in a])


def eligible_cube() -> np.ndarray:
    """The tutorial's eligible cells: everything but enpi for remittances."""
    out = np.ones((2, 3, 2, 2))
    out[ENPI, REMITTANCES] = 0.0
    return out


# ---- caps ------------------------------------------------------------------------------------------------
def test_caps_over_the_period_and_per_year() -> None:
    """enpi in the East: 4 eligible cells (mobility, return × 2 years) below 4; tpma at least 2 a year."""
    sc = scenario(caps=[{"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"], "max": 4},
                        {"id": "tpma_yearly", "instruments": ["tpma"], "min": 2, "per_year": True}])
    lp = fs.assemble(sc)
    a, lower, upper = rows(lp, "caps")
    assert a.sum() == 4 and upper.tolist() == [4.0] and lower.tolist() == [-np.inf]
    a, lower, upper = rows(lp, "annual_caps")
    assert a.sum(axis=1).tolist() == [6.0, 6.0] and lower.tolist() == [2.0, 2.0]
    assert upper.tolist() == [np.inf, np.inf]


def records(found: list[Violation]) -> list[tuple[Any, ...]]:
    return [(v.family, dict(v.labels), v.value, v.limit, pytest.approx(v.size)) for v in found]


def test_every_cap_is_checked_each_over_its_own_years() -> None:
    """Two period caps (one with a minimum and a maximum) and two annual caps, one for 2010 only, each broken.

    enpi gives 3 a year to mobility in the East (6 > 4 by 2); tpma gives return in North Africa 1 in 2009 and 8 in
    2010 (9 < 30 by 21 over the period; 8 > 5 in 2010 by 3, while 2009's 1 < 2 is not in that cap's years); all
    money is 4 in 2009 (< 5 by 1) and 11 in 2010 (> 10 by 1)."""
    sc = scenario(caps=[
        {"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"], "max": 4},
        {"id": "tpma_total", "instruments": ["tpma"], "min": 30, "max": 50},
        {"id": "tpma_2010", "instruments": ["tpma"], "years": [2010], "min": 2, "max": 5, "per_year": True},
        {"id": "all_yearly", "min": 5, "max": 10, "per_year": True}])
    eu = cube()
    eu[ENPI, MOBILITY, EAST, :] = 3.0
    eu[TPMA, RETURN, NA, :] = 1.0, 8.0
    assert records(check("caps", plan(sc, eu))) == [
        ("caps", {"cap": "enpi_east"}, 6.0, 4.0, 2.0),
        ("caps", {"cap": "tpma_total"}, 9.0, 30.0, 21.0),
        ("caps", {"annual_cap": "tpma_2010", "year": 2010}, 8.0, 5.0, 3.0),
        ("caps", {"annual_cap": "all_yearly", "year": 2009}, 4.0, 5.0, 1.0),
        ("caps", {"annual_cap": "all_yearly", "year": 2010}, 11.0, 10.0, 1.0)]


def test_a_cap_is_built_with_its_selector_labelled_by_its_id() -> None:
    sc = scenario(caps=[{"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"], "max": 4,
                         "years": [2010], "per_year": True}])
    assert sc.rules.caps == (Cap("enpi_east", Selector(instruments=frozenset({"enpi"}), priorities=None,
                                                       regions=frozenset({"eastern_partnership"}),
                                                       years=frozenset({2010}), label="enpi_east"),
                                 None, 4.0, True),)


def test_caps_rows_hold_their_slice() -> None:
    """enpi in the East over the period; tpma in 2010 only, per year; everything per year."""
    sc = scenario(caps=[
        {"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"], "max": 4},
        {"id": "tpma_2010", "instruments": ["tpma"], "years": [2010], "min": 2, "max": 5, "per_year": True},
        {"id": "all_yearly", "min": 1, "per_year": True}])
    lp = fs.assemble(sc)
    enpi_east = np.zeros((2, 3, 2, 2))
    enpi_east[ENPI, :2, EAST, :] = 1.0
    assert np.array_equal(cube_rows(lp, "caps"), enpi_east[None])
    block = lp.constraints["annual_caps"]
    assert block.coords == (("tpma_2010", "all_yearly"), (2009, 2010)) and block.kind == "range"
    assert [p.tolist() for p in block.positions] == [[0, 1, 1], [1, 0, 1]]
    tpma_2010, all_2009, all_2010 = (np.zeros((2, 3, 2, 2)) for _ in range(3))
    tpma_2010[TPMA, ..., 1] = 1.0
    all_2009[..., 0], all_2010[..., 1] = eligible_cube()[..., 0], eligible_cube()[..., 1]
    assert np.array_equal(cube_rows(lp, "annual_caps"), np.stack([tpma_2010, all_2009, all_2010]))
    _, lower, upper = rows(lp, "annual_caps")
    assert lower.tolist() == [2.0, 1.0, 1.0] and upper.tolist() == [5.0, np.inf, np.inf]
    assert lp.constraints["caps"].kind == "le"
    for name, long_name in (("caps", "caps on slices"), ("annual_caps", "annual caps on slices")):
        assert (lp.constraints[name].units, lp.constraints[name].long_name) == ("objective per EUR m", long_name)


# ---- limits ----------------------------------------------------------------------------------------------
def test_limits_rows_per_region_and_priority() -> None:
    """North Africa at most 40 (two entries merged: the higher minimum, 10, and the maximum), the East at least 15;
    remittances at least 3 (tpma's four cells)."""
    sc = scenario(region_limits=[{"region": "north_africa", "min": 5}, {"region": "eastern_partnership", "min": 15},
                                 {"region": "north_africa", "min": 10, "max": 40}],
                  priority_limits=[{"priority": "remittances", "min": 3}])
    assert sc.rules.region_limits == (Limit("north_africa", 10.0, 40.0), Limit("eastern_partnership", 15.0, None))
    lp = fs.assemble(sc)
    region, priority = lp.constraints["region_limits"], lp.constraints["priority_limits"]
    assert region.kind == "range" and region.positions[0].tolist() == [0, 1]
    assert (region.units, region.long_name, priority.units, priority.long_name) == (
        "objective per EUR m", "limits per region", "objective per EUR m", "limits per priority")
    na, east = eligible_cube(), eligible_cube()
    na[:, :, EAST], east[:, :, NA] = 0.0, 0.0
    assert np.array_equal(cube_rows(lp, "region_limits"), np.stack([na, east]))
    _, lower, upper = rows(lp, "region_limits")
    assert lower.tolist() == [10.0, 15.0] and upper.tolist() == [40.0, np.inf]
    assert priority.kind == "ge" and priority.positions[0].tolist() == [REMITTANCES]
    remittances = np.zeros((2, 3, 2, 2))
    remittances[TPMA, REMITTANCES] = 1.0
    assert np.array_equal(cube_rows(lp, "priority_limits"), remittances[None])
    _, lower, upper = rows(lp, "priority_limits")
    assert lower.tolist() == [3.0] and upper.tolist() == [np.inf]


def test_limits_checked_per_region_and_priority() -> None:
    """North Africa gets 12 (tpma remittances 2, enpi return 10): above 10 by 2; the East 0, below 15; return 10,
    above 8 by 2; remittances 2, below 3 by 1; mobility 0 is within its maximum of 5."""
    sc = scenario(region_limits=[{"region": "north_africa", "max": 10}, {"region": "eastern_partnership", "min": 15}],
                  priority_limits=[{"priority": "mobility", "max": 5}, {"priority": "return", "min": 1, "max": 8},
                                   {"priority": "remittances", "min": 3}])
    eu = cube()
    eu[TPMA, REMITTANCES, NA, 1] = 2.0
    eu[ENPI, RETURN, NA, 0] = 10.0
    assert records(check("limits", plan(sc, eu))) == [
        ("region_limits", {"region": "north_africa"}, 12.0, 10.0, 2.0),
        ("region_limits", {"region": "eastern_partnership"}, 0.0, 15.0, 15.0),
        ("priority_limits", {"priority": "return"}, 10.0, 8.0, 2.0),
        ("priority_limits", {"priority": "remittances"}, 2.0, 3.0, 1.0)]


# ---- min_commitment --------------------------------------------------------------------------------------
def line_column(lp: Any, i: int, p: int, r: int) -> int:
    """The column of the binary of instrument line (i, p, r)."""
    block = lp.variables["instrument_active"]
    (k,) = np.flatnonzero((block.positions[0] == i) & (block.positions[1] == p) & (block.positions[2] == r))
    return int(block.start + k)


def test_min_commitment_rows_only_for_instruments_with_a_minimum() -> None:
    """enpi (here free to fund every priority) must commit 0 or at least 8 to a line, tpma has no minimum; with at
    most one instrument per cell every line gets a binary, but only enpi's six lines get a row:
    ``eu[enpi,p,r,2009] + eu[enpi,p,r,2010] - 8·z[enpi,p,r] ≥ 0``.

    (Without a binary on every line, a minimum for some instruments only fails: see docs/mutation.md, "Found on
    the way".)"""
    raw = copy.deepcopy(TUTORIAL)
    del raw["instruments"][ENPI]["eligibility"]
    raw["rules"].update(min_commitment={"amount": 0, "by_instrument": {"enpi": 8}}, max_instruments_per_cell=1)
    lp = fs.assemble(fs.scenario_from_dict(raw))
    block = lp.constraints["min_commitment"]
    assert block.kind == "ge" and block.dims == ("instrument", "priority", "region")
    assert (block.units, block.long_name) == ("objective per EUR m",
                                              "minimum commitment of an instrument to a priority in a region")
    assert block.coords == (("tpma", "enpi"), ("mobility", "return", "remittances"),
                            ("north_africa", "eastern_partnership"))
    lines = [(ENPI, p, r) for p in (MOBILITY, RETURN, REMITTANCES) for r in (NA, EAST)]
    assert [tuple(int(x[k]) for x in block.positions) for k in range(block.size)] == lines
    a, lower, upper = rows(lp, "min_commitment")
    assert lower.tolist() == [0.0] * 6 and upper.tolist() == [np.inf] * 6
    for k, (i, p, r) in enumerate(lines):
        expected = np.zeros(lp.num_col)
        money = np.zeros((2, 3, 2, 2))
        money[i, p, r, :] = 1.0
        expected[lp.variables["eu"].start + np.flatnonzero(money)] = 1.0
        expected[line_column(lp, i, p, r)] = -8.0
        assert np.array_equal(a[k], expected)


def test_a_minimum_below_one_still_gets_rows() -> None:
    """A minimum of 0.5: each of the 10 lines gets a row with -0.5 on its binary."""
    lp = fs.assemble(scenario(min_commitment=0.5))
    a, _, _ = rows(lp, "min_commitment")
    assert a.shape[0] == 10 and sorted(set(a.ravel().tolist())) == [-0.5, 0.0, 1.0]


def test_no_min_commitment_rows_without_a_positive_minimum() -> None:
    lp = fs.assemble(scenario(min_commitment=0, max_instruments_per_cell=1))
    assert "min_commitment" not in lp.constraints and "instrument_active" in lp.variables


def test_min_commitment_checked_per_line() -> None:
    """tpma at least 5, enpi at least 8: tpma's 2 to mobility in the East are 3 short, enpi's 4 to mobility in
    North Africa 4 short; tpma's 5 to return in North Africa are enough and enpi's 1e-6 (the tolerance) to return in
    the East count as nothing."""
    sc = scenario(min_commitment={"amount": 5, "by_instrument": {"enpi": 8}})
    eu = cube()
    eu[TPMA, MOBILITY, EAST, :] = 1.0
    eu[TPMA, RETURN, NA, :] = 2.0, 3.0
    eu[ENPI, MOBILITY, NA, 1] = 4.0
    eu[ENPI, RETURN, EAST, 0] = 1e-6
    found = check("min_commitment", plan(sc, eu))
    assert [(dict(v.labels), v.value, v.limit, v.size) for v in found] == [
        ({"instrument": "tpma", "priority": "mobility", "region": "eastern_partnership"}, 2.0, 5.0, 3.0),
        ({"instrument": "enpi", "priority": "mobility", "region": "north_africa"}, 4.0, 8.0, 4.0)]
    assert found[1].message == ("minimum commitment: enpi for mobility in north_africa commits EUR 4.000 m over the "
                                "period, more than nothing but below the minimum commitment of EUR 8.000 m (by 4.000)")
    assert (found[1].family, found[1].rule, found[1].unit) == ("min_commitment", "minimum commitment", "EUR m")
    # with a tolerance of 0.5: 4.5 of 5 is no violation (0.5 short, the tolerance itself), 0.5 counts as nothing
    eu = cube()
    eu[TPMA, MOBILITY, EAST, 0] = 4.5
    eu[TPMA, RETURN, EAST, 0] = 0.5
    eu[TPMA, REMITTANCES, EAST, 0] = 4.25
    (v,) = check("min_commitment", plan(sc, eu, rtol=0.0, atol=0.5))
    assert (dict(v.labels), v.value, v.size) == (
        {"instrument": "tpma", "priority": "remittances", "region": "eastern_partnership"}, 4.25, 0.75)


# ---- share rules: geographic focus, pillar balance, the share rows and E ------------------------------------
def share_row(lp: Any, cells: np.ndarray, beta: float) -> np.ndarray:
    """``Σ_{cells} eu - β·E`` as a dense row: +1 on the EU columns of the cells (a cube mask), -β on E."""
    row = np.zeros(lp.num_col)
    eu = lp.variables["eu"]
    row[eu.start + np.flatnonzero(cells[eligible_cube() > 0])] = 1.0
    row[lp.variables["total_eu"].start] = -beta
    return row


def region_cells(r: int) -> np.ndarray:
    out = np.zeros((2, 3, 2, 2))
    out[:, :, r] = eligible_cube()[:, :, r]
    return out


def priority_cells(p: int) -> np.ndarray:
    out = np.zeros((2, 3, 2, 2))
    out[:, p] = eligible_cube()[:, p]
    return out


def test_the_total_column_is_all_eu_money() -> None:
    """``E - Σ eu = 0``: one row, -1 on each of the 20 eligible cells, +1 on E; E is made once."""
    lp = fs.assemble(scenario(geographic_focus=[{"id": "south", "region_groups": ["south"], "min_share": 0.5}]))
    (e,) = range(lp.variables["total_eu"].start, lp.variables["total_eu"].stop)
    a, lower, upper = rows(lp, "total_eu_definition")
    expected = np.zeros(lp.num_col)
    expected[lp.variables["eu"].start + np.arange(20)] = -1.0
    expected[e] = 1.0
    assert np.array_equal(a, expected[None]) and lower.tolist() == [0.0] and upper.tolist() == [0.0]
    block = lp.constraints["total_eu_definition"]
    assert (block.kind, block.long_name) == ("eq", "definition of E")
    assert lp.variables["total_eu"].long_name == "total EU commitment" and lp.variables["total_eu"].size == 1


def test_focus_rows_per_rule_with_a_share() -> None:
    """south (North Africa) at least 50 %; east (the Eastern Partnership) between 10 % and 40 %."""
    sc = scenario(geographic_focus=[{"id": "south", "region_groups": ["south"], "min_share": 0.5},
                                    {"id": "east", "regions": ["eastern_partnership"], "min_share": 0.1,
                                     "max_share": 0.4}])
    lp = fs.assemble(sc)
    low, high = lp.constraints["focus_min_share"], lp.constraints["focus_max_share"]
    assert low.coords == high.coords == (("south", "east"),)
    assert low.positions[0].tolist() == [0, 1] and high.positions[0].tolist() == [1]
    assert low.share.tolist() == [0.5, 0.1] and high.share.tolist() == [0.4]
    assert (low.kind, high.kind, low.units) == ("ge", "le", "objective per EUR m")
    a, lower, upper = rows(lp, "focus_min_share")
    assert np.array_equal(a, np.stack([share_row(lp, region_cells(NA), 0.5), share_row(lp, region_cells(EAST), 0.1)]))
    assert lower.tolist() == [0.0, 0.0] and upper.tolist() == [np.inf, np.inf]
    a, lower, upper = rows(lp, "focus_max_share")
    assert np.array_equal(a, share_row(lp, region_cells(EAST), 0.4)[None])
    assert lower.tolist() == [-np.inf] and upper.tolist() == [0.0]
    (e,) = range(lp.variables["total_eu"].start, lp.variables["total_eu"].stop)
    assert [x.tolist() for x in high.base] == [[0], [e], [1.0]]


def test_focus_checked_against_all_eu_money() -> None:
    """12 in all: the south gets 2, 4 short of half (6); the East 10, 5.2 above 40 % (4.8)."""
    sc = scenario(geographic_focus=[{"id": "south", "region_groups": ["south"], "min_share": 0.5},
                                    {"id": "east", "regions": ["eastern_partnership"], "min_share": 0.1,
                                     "max_share": 0.4}])
    eu = cube()
    eu[ENPI, MOBILITY, EAST, 0] = 10.0
    eu[TPMA, RETURN, NA, 1] = 2.0
    found = check("geographic_focus", plan(sc, eu))
    assert records(found) == [("geographic_focus", {"focus": "south"}, 2.0, 6.0, 4.0),
                              ("geographic_focus", {"focus": "east"}, 10.0, pytest.approx(4.8), 5.2)]
    assert found[1].message == ("geographic focus: focus east (eastern_partnership) gets EUR 10.000 m of EUR 12.000 m "
                                "of EU commitments (83.3%), above the maximum share of 40.0% (EUR 4.800 m; by 5.200)")


def test_pillar_rows_per_pillar_with_a_share() -> None:
    """legal (mobility) 20 % to 50 %, development (remittances) at most 25 %, irregular (return) 10 % to 60 %."""
    sc = scenario(pillar_balance=[{"pillar": "legal", "min_share": 0.2, "max_share": 0.5},
                                  {"pillar": "development", "max_share": 0.25},
                                  {"pillar": "irregular", "min_share": 0.1, "max_share": 0.6}])
    lp = fs.assemble(sc)
    low, high = lp.constraints["pillar_min_share"], lp.constraints["pillar_max_share"]
    assert low.coords == high.coords == (("legal", "development", "irregular"),)
    assert low.positions[0].tolist() == [0, 2] and high.positions[0].tolist() == [0, 1, 2]
    assert (low.kind, high.kind) == ("ge", "le") and low.share.tolist() == [0.2, 0.1]
    assert (low.long_name, high.long_name) == ("minimum pillar share", "maximum pillar share")
    _, lower, upper = rows(lp, "pillar_max_share")
    assert lower.tolist() == [-np.inf] * 3 and upper.tolist() == [0.0] * 3
    assert np.array_equal(rows(lp, "pillar_min_share")[0],
                          np.stack([share_row(lp, priority_cells(MOBILITY), 0.2),
                                    share_row(lp, priority_cells(RETURN), 0.1)]))
    assert np.array_equal(rows(lp, "pillar_max_share")[0],
                          np.stack([share_row(lp, priority_cells(MOBILITY), 0.5),
                                    share_row(lp, priority_cells(REMITTANCES), 0.25),
                                    share_row(lp, priority_cells(RETURN), 0.6)]))


def test_pillars_checked_against_all_eu_money() -> None:
    """16 in all: legal gets 10, 2 above half (8); development 5, 1 above a quarter (4); irregular 1, 0.6 short of
    a tenth (1.6)."""
    sc = scenario(pillar_balance=[{"pillar": "legal", "min_share": 0.2, "max_share": 0.5},
                                  {"pillar": "development", "max_share": 0.25},
                                  {"pillar": "irregular", "min_share": 0.1, "max_share": 0.6}])
    eu = cube()
    eu[ENPI, MOBILITY, EAST, 0] = 10.0
    eu[TPMA, REMITTANCES, NA, 1] = 5.0
    eu[ENPI, RETURN, NA, 1] = 1.0
    assert records(check("pillar_balance", plan(sc, eu))) == [
        ("pillar_balance", {"pillar": "legal"}, 10.0, 8.0, 2.0),
        ("pillar_balance", {"pillar": "development"}, 5.0, 4.0, 1.0),
        ("pillar_balance", {"pillar": "irregular"}, 1.0, pytest.approx(1.6), 0.6)]


def test_share_rows_of_a_base_of_their_own() -> None:
    """Groups 0 and 2 of three get rows (group 1 has no share): ``Σ_{group} eu - β_g·B_g ≥ 0`` with B_0 = 2·eu[c0]
    + eu[c1] and B_2 = eu[c3]; the base triplets of group 1 are dropped, the others renumbered 0 and 1."""
    b = ProgramBuilder()
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))
    members = np.zeros((3, 20), dtype=bool)
    members[0, [4, 5]] = members[1, 6] = members[2, [7, 8, 9]] = True
    base = (np.array([0, 0, 1, 2]), np.array([0, 1, 2, 3]), np.array([2.0, 1.0, 1.0, 1.0]))
    spec = Rows("test_share", ("group",), "objective per point", share_of="a base")
    share_rows(a, spec, ("g0", "g1", "g2"), members, [0.5, None, 0.25], "ge", base=base)
    lp = b.build()
    block = lp.constraints["test_share"]
    expected = np.zeros((2, 20))
    expected[0, [4, 5]] = 1.0
    expected[0, [0, 1]] = -1.0, -0.5
    expected[1, [7, 8, 9]] = 1.0
    expected[1, 3] = -0.25
    assert np.array_equal(lp.A[block.start:block.stop].toarray(), expected)
    assert block.positions[0].tolist() == [0, 2] and block.share.tolist() == [0.5, 0.25]
    assert [x.tolist() for x in block.base] == [[0, 0, 1], [0, 1, 3], [2.0, 1.0, 1.0]]
    assert "total_eu" not in lp.variables and block.kind == "ge"


def test_share_rows_of_no_share_add_nothing() -> None:
    b = ProgramBuilder()
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))
    share_rows(a, Rows("test_share", ("group",), "none"), ("g0",), np.ones((1, 20), dtype=bool), [None], "le")
    lp = b.build()
    assert "test_share" not in lp.constraints and "total_eu" not in lp.variables


def test_the_total_column_value_is_all_eu_money() -> None:
    """The point value of E (what compare's attribution reads) is the sum of the cube: 1 + 2 + 3."""
    eu = cube()
    eu[TPMA, MOBILITY, NA, 0], eu[ENPI, RETURN, EAST, 1], eu[TPMA, REMITTANCES, EAST, 0] = 1.0, 2.0, 3.0
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    assert TOTAL_COLUMN.point(sc, eu, None, np.ones(1)).tolist() == [6.0]


# ---- min_packages ----------------------------------------------------------------------------------------
PACKAGES = [{"region": "north_africa", "amount": 10, "priorities": ["return"]},
            {"region": "north_africa", "amount": 5},
            {"region": "eastern_partnership", "amount": 8, "pillars": ["legal"]}]


def test_package_rows_per_package() -> None:
    """Return in North Africa (4 cells), all of North Africa (10), mobility (the legal pillar) in the East (4)."""
    lp = fs.assemble(scenario(min_packages=PACKAGES))
    block = lp.constraints["min_package"]
    assert block.coords == (("north_africa#1", "north_africa#2", "eastern_partnership"),)
    assert (block.kind, block.units, block.long_name) == ("ge", "objective per EUR m",
                                                          "minimum package for partnership regions")
    return_na, mobility_east = np.zeros((2, 3, 2, 2)), np.zeros((2, 3, 2, 2))
    return_na[:, RETURN, NA] = 1.0
    mobility_east[:, MOBILITY, EAST] = 1.0
    assert np.array_equal(cube_rows(lp, "min_package"), np.stack([return_na, region_cells(NA), mobility_east]))
    _, lower, upper = rows(lp, "min_package")
    assert lower.tolist() == [10.0, 5.0, 8.0] and upper.tolist() == [np.inf] * 3


def test_packages_checked_per_package() -> None:
    """6 for return in North Africa: 4 short of the first package, the second (5) met; the East gets 2 for mobility
    and 9 for return, 6 short of its mobility package of 8."""
    eu = cube()
    eu[ENPI, RETURN, NA, 0] = 6.0
    eu[TPMA, MOBILITY, EAST, 1] = 2.0
    eu[ENPI, RETURN, EAST, 1] = 9.0
    found = check("min_packages", plan(scenario(min_packages=PACKAGES), eu))
    assert records(found) == [("min_packages", {"package": "north_africa#1"}, 6.0, 10.0, 4.0),
                              ("min_packages", {"package": "eastern_partnership"}, 2.0, 8.0, 6.0)]
    assert found[0].message == ("minimum package: the package for north_africa (return) over the period is "
                                "EUR 6.000 m, below the minimum package of EUR 10.000 m (by 4.000)")
    eu[ENPI, RETURN, NA, 0] = 4.0
    (found,) = [v for v in check("min_packages", plan(scenario(min_packages=PACKAGES), eu))
                if v.labels == {"package": "north_africa#2"}]
    assert found.message == ("minimum package: the package for north_africa over the period is EUR 4.000 m, below "
                             "the minimum package of EUR 5.000 m (by 1.000)")
    two = scenario(min_packages=[{"region": "eastern_partnership", "amount": 8, "priorities": ["return", "mobility"]}])
    (found,) = check("min_packages", plan(two, cube()))
    assert found.message == ("minimum package: the package for eastern_partnership (mobility, return) over the period "
                             "is EUR 0.000 m, below the minimum package of EUR 8.000 m (by 8.000)")


# ---- instruments per cell --------------------------------------------------------------------------------
def three_instruments(**rules: Any) -> fs.Scenario:
    """The tutorial with a third instrument, aeneas (5 a year, every priority and region, all EU money)."""
    raw = copy.deepcopy(TUTORIAL)
    raw["instruments"].append({"id": "aeneas", "name": "AENEAS", "envelope": 5})
    raw["rules"].update(copy.deepcopy(rules))
    return fs.scenario_from_dict(raw)


def test_instruments_per_cell_rows_only_where_more_may_fund() -> None:
    """At most 2 of 3: mobility and return (3 instruments each, both regions) get a row over their three binaries;
    remittances (tpma and aeneas) neither a row nor binaries."""
    lp = fs.assemble(three_instruments(max_instruments_per_cell=2))
    z = lp.variables["instrument_active"]
    assert sorted(set(z.positions[1].tolist())) == [MOBILITY, RETURN] and z.size == 12
    block = lp.constraints["max_instruments"]
    assert [p.tolist() for p in block.positions] == [[0, 0, 1, 1], [0, 1, 0, 1]]
    assert (block.kind, block.units) == ("le", "objective per instrument")
    assert block.long_name == "at most k instruments per priority and region"
    a, lower, upper = rows(lp, "max_instruments")
    assert lower.tolist() == [-np.inf] * 4 and upper.tolist() == [2.0] * 4
    for k, (p, r) in enumerate([(MOBILITY, NA), (MOBILITY, EAST), (RETURN, NA), (RETURN, EAST)]):
        expected = np.zeros(lp.num_col)
        for i in range(3):
            (col,) = np.flatnonzero((z.positions[0] == i) & (z.positions[1] == p) & (z.positions[2] == r))
            expected[z.start + col] = 1.0
        assert np.array_equal(a[k], expected)


def test_no_row_for_a_cell_whose_only_line_has_a_binary_for_its_minimum() -> None:
    """At most one instrument, tpma at least 5: tpma's remittances line gets a binary for its minimum, but only
    tpma may fund remittances, so their cells get no row; mobility and return (two instruments) one each."""
    lp = fs.assemble(scenario(max_instruments_per_cell=1, min_commitment={"amount": 0, "by_instrument": {"tpma": 5}}))
    assert REMITTANCES in lp.variables["instrument_active"].positions[1].tolist()
    block = lp.constraints["max_instruments"]
    assert [p.tolist() for p in block.positions] == [[0, 0, 1, 1], [0, 1, 0, 1]]
    assert rows(lp, "max_instruments")[0].sum(axis=1).tolist() == [2.0] * 4


def test_instruments_per_cell_checked_on_any_money() -> None:
    """At most 2: mobility in North Africa has 3 (tpma 1, enpi 1, aeneas -2: any amount counts); return in the East
    has tpma, enpi and 1e-6 of aeneas over two years (the tolerance: none), so 2."""
    sc = three_instruments(max_instruments_per_cell=2)
    eu = np.zeros((3, 3, 2, 2))
    eu[:, MOBILITY, NA, 0] = 1.0, 1.0, -2.0
    eu[:2, RETURN, EAST, 1] = 1.0
    eu[2, RETURN, EAST, :] = 0.5e-6
    (v,) = check("max_instruments_per_cell", plan(sc, eu))
    assert (v.family, v.rule, dict(v.labels), v.value, v.limit, v.size, v.unit) == (
        "max_instruments_per_cell", "instruments per cell", {"priority": "mobility", "region": "north_africa"}, 3.0,
        2.0, 1.0, "count")
    assert v.message == ("instruments per cell: 3 instruments fund mobility in north_africa (tpma, enpi, aeneas), "
                         "above the maximum of 2")
    assert check("max_instruments_per_cell", plan(three_instruments(), eu)) == []


# ---- mobility partnerships -------------------------------------------------------------------------------
def partnerships(**spec: Any) -> fs.Scenario:
    """Candidates the East and North Africa (in that order), a package of 10 for mobility."""
    rule = {"candidates": ["eastern_partnership", "north_africa"], "max_new": 1, "package": 10,
            "priorities": ["mobility"], **spec}
    return scenario(mobility_partnerships=rule)


def test_partnership_rows() -> None:
    """Count ``1 ≤ u[east] + u[na] ≤ 1``; package rows ``Σ mobility eu[r] - 10·u[r] ≥ 0`` in the candidates' order;
    links ``eu - U·u[r] ≤ 0`` on the mobility cells, U the usable envelope (tpma 10, enpi 20)."""
    lp = fs.assemble(partnerships(min_new=1))
    u = lp.variables["partnership"]
    assert u.positions[0].tolist() == [EAST, NA] and lp.integrality[u.start:u.stop].tolist() == [1, 1]
    assert (u.dims, u.coords, u.long_name) == (("region",), (("north_africa", "eastern_partnership"),),
                                               "new mobility partnership chosen")
    u_east, u_na = u.start, u.start + 1
    count = lp.constraints["partnership_count"]
    assert (count.kind, count.coords, count.units) == ("range", (("new",),), "objective per partnership")
    assert count.long_name == "number of new mobility partnerships"
    a, lower, upper = rows(lp, "partnership_count")
    expected = np.zeros(lp.num_col)
    expected[[u_east, u_na]] = 1.0
    assert np.array_equal(a, expected[None]) and lower.tolist() == [1.0] and upper.tolist() == [1.0]
    package = lp.constraints["partnership_package"]
    assert package.positions[0].tolist() == [EAST, NA] and package.kind == "ge"
    assert (package.units, package.long_name) == ("objective per EUR m", "package of each new mobility partnership")
    a, lower, upper = rows(lp, "partnership_package")
    eu = lp.variables["eu"]
    for k, (r, col) in enumerate([(EAST, u_east), (NA, u_na)]):
        mobility = np.zeros((2, 3, 2, 2))
        mobility[:, MOBILITY, r] = 1.0
        expected = np.zeros(lp.num_col)
        expected[eu.start + np.flatnonzero(mobility[eligible_cube() > 0])] = 1.0
        expected[col] = -10.0
        assert np.array_equal(a[k], expected)
    assert lower.tolist() == [0.0, 0.0] and upper.tolist() == [np.inf, np.inf]
    link = lp.constraints["partnership_link"]
    assert link.size == 8 and link.kind == "le"
    assert link.long_name == "package priorities funded in a candidate only through its partnership"
    a, _, upper = rows(lp, "partnership_link")
    for k in range(8):
        i, p, r, y = (int(x[k]) for x in link.positions)
        assert p == MOBILITY
        expected = np.zeros(lp.num_col)
        expected[eu.start + cell_index(i, p, r, y)] = 1.0
        expected[u_east if r == EAST else u_na] = -(10.0 if i == TPMA else 20.0)
        assert np.array_equal(a[k], expected)
    assert upper.tolist() == [0.0] * 8


def cell_index(i: int, p: int, r: int, y: int) -> int:
    """The position of an eligible cell among the tutorial's EU columns (C order over eligible cells)."""
    before = np.zeros((2, 3, 2, 2), dtype=bool)
    before.reshape(-1)[: np.ravel_multi_index((i, p, r, y), (2, 3, 2, 2))] = True
    return int((before & (eligible_cube() > 0)).sum())


def test_partnerships_without_a_minimum_or_links() -> None:
    lp = fs.assemble(partnerships(only_partners=False))
    assert lp.constraints["partnership_count"].kind == "le" and "partnership_link" not in lp.constraints
    _, lower, upper = rows(lp, "partnership_count")
    assert lower.tolist() == [-np.inf] and upper.tolist() == [1.0]


def test_partnerships_checked_only_partners() -> None:
    """Mobility money in both candidates (the East 3, North Africa 12; the East's 50 for return do not count): two
    partners where one is allowed, and the East 7 short of its package."""
    eu = cube()
    eu[TPMA, MOBILITY, EAST, 0] = 3.0
    eu[ENPI, MOBILITY, NA, 1] = 12.0
    eu[ENPI, RETURN, EAST, 1] = 50.0
    count, east = check("mobility_partnerships", plan(partnerships(min_new=1), eu))
    assert (count.family, count.rule, dict(count.labels), count.value, count.limit, count.size, count.unit) == (
        "mobility_partnerships", "mobility partnerships", {"partnerships": "new"}, 2.0, 1.0, 1.0, "count")
    assert count.message == ("mobility partnerships: 2 candidates receive money for the package priorities "
                             "(eastern_partnership, north_africa), more than the 1 new partnerships allowed")
    assert (dict(east.labels), east.value, east.limit, east.size, east.unit) == (
        {"region": "eastern_partnership"}, 3.0, 10.0, 7.0, "EUR m")
    assert east.message == ("mobility partnerships: the package for eastern_partnership over the period is "
                            "EUR 3.000 m, below the partnership package of EUR 10.000 m (by 7.000)")
    eu[TPMA, MOBILITY, EAST, 0] = 1e-6  # the tolerance: no money, so one partner, whose package is reached
    assert check("mobility_partnerships", plan(partnerships(min_new=1), eu)) == []


def test_partnerships_checked_against_the_minimum() -> None:
    """Money may reach candidates outside a partnership: only North Africa's 12 reach the package, 1 of the 2
    partnerships required; the East's 3 are no violation."""
    eu = cube()
    eu[TPMA, MOBILITY, EAST, 0] = 3.0
    eu[ENPI, MOBILITY, NA, 1] = 12.0
    (v,) = check("mobility_partnerships", plan(partnerships(min_new=2, max_new=2, only_partners=False), eu))
    assert (dict(v.labels), v.value, v.limit, v.size, v.unit) == ({"partnerships": "new"}, 1.0, 2.0, 1.0, "count")
    assert v.message == ("mobility partnerships: 1 candidates reach the partnership package of EUR 10.000 m, fewer "
                         "than the 2 new partnerships required")
    eu[ENPI, MOBILITY, NA, 1] = 10.0 - 1e-6  # within the tolerance of the package
    eu[TPMA, MOBILITY, EAST, 0] = 10.0
    assert check("mobility_partnerships", plan(partnerships(min_new=2, max_new=2, only_partners=False), eu)) == []
    assert check("mobility_partnerships", plan(scenario(), eu)) == []
    eu[ENPI, MOBILITY, NA, 1], eu[TPMA, MOBILITY, EAST, 0] = 10.0, 9.5  # 0.5 short: the tolerance itself
    assert check("mobility_partnerships", plan(partnerships(min_new=2, max_new=2, only_partners=False), eu,
                                               rtol=0.0, atol=0.5)) == []


def test_partners_of_an_allocation() -> None:
    """The East gets 3 for mobility, North Africa 10 - 1e-7 (and 40 for return): with only partners funded, the
    East is a partner (any money) and North Africa too; otherwise only those reaching 10 (within 1e-6)."""
    eu = cube()
    eu[TPMA, MOBILITY, EAST, 0] = 3.0
    eu[ENPI, MOBILITY, NA, 1] = 10.0 - 1e-7
    eu[ENPI, RETURN, NA, 1] = 40.0
    for sc, expected in ((partnerships(), [1.0, 1.0]), (partnerships(only_partners=False), [0.0, 1.0])):
        block = fs.assemble(sc).variables["partnership"]
        assert partners_of(sc, eu, block, np.ones(2)).tolist() == expected
    eu[TPMA, MOBILITY, EAST, 0] = 1e-6  # no money for mobility (return does not count)
    eu[ENPI, RETURN, EAST, 0] = 50.0
    assert partners_of(partnerships(), eu, block, np.ones(2)).tolist() == [0.0, 1.0]
    eu[ENPI, MOBILITY, NA, 1] = 10.0 - 1e-6  # reaches the package less 1e-6
    assert partners_of(partnerships(only_partners=False), eu, block, np.ones(2)).tolist() == [0.0, 1.0]
    assert partners_of(scenario(), eu, block, np.ones(2)).tolist() == []
    built = partnerships(min_new=1, pillars=["irregular"], priorities=None, only_partners=False)
    assert built.rules.mobility_partnerships == MobilityPartnerships(("eastern_partnership", "north_africa"), 1, 10.0,
                                                                    frozenset({"return"}), 1, False)


def test_several_limits_of_a_label_all_hold() -> None:
    """The tightest minimum and maximum of each label's entries, in any order, whether an entry gives one or both."""
    sc = scenario(region_limits=[{"region": "north_africa", "min": 10, "max": 50},
                                 {"region": "north_africa", "min": 5, "max": 40},
                                 {"region": "north_africa", "max": 45},
                                 {"region": "eastern_partnership", "max": 8},
                                 {"region": "eastern_partnership", "min": 2}],
                  priority_limits=[{"priority": "return", "max": 7}, {"priority": "return", "min": 1, "max": 9}])
    assert sc.rules.region_limits == (Limit("north_africa", 10.0, 40.0), Limit("eastern_partnership", 2.0, 8.0))
    assert sc.rules.priority_limits == (Limit("return", 1.0, 7.0),)


# ---- match capacity --------------------------------------------------------------------------------------
def match_sources() -> fs.Scenario:
    """tpma draws 0.25 per EUR m from the member states (100 a year), but in the East 1 per EUR m (at most 50 % EU)
    from ms2 (30 in 2009, unlimited in 2010); enpi at most 50 % EU, 1 per EUR m from partners raised per region
    (North Africa 5 in 2009 and 6 in 2010, the East unlimited)."""
    raw = copy.deepcopy(TUTORIAL)
    raw["match_sources"] += [{"id": "ms2", "capacity": {2009: 30}},
                             {"id": "partners", "per_region": True, "capacity": {"north_africa": {2009: 5, 2010: 6}}}]
    raw["instruments"][TPMA]["cofinancing"]["exceptions"] = [
        {"regions": ["eastern_partnership"], "max_eu_share": 0.5, "match_source": "ms2"}]
    raw["instruments"][ENPI]["cofinancing"] = {"max_eu_share": 0.5, "match_source": "partners"}
    return fs.scenario_from_dict(raw)


def test_match_capacity_rows_per_source_year_and_region() -> None:
    lp = fs.assemble(match_sources())
    block = lp.constraints["match_capacity"]
    assert block.coords == (("member_states", "ms2"), (2009, 2010)) and block.kind == "le"
    assert [p.tolist() for p in block.positions] == [[0, 0, 1], [0, 1, 0]]  # ms2 in 2010 is unlimited: no row
    expected = np.zeros((3, 2, 3, 2, 2))
    expected[0, TPMA, :, NA, 0] = expected[1, TPMA, :, NA, 1] = 0.25
    expected[2, TPMA, :, EAST, 0] = 1.0
    assert np.allclose(cube_rows(lp, "match_capacity"), expected, rtol=1e-12, atol=0.0)
    _, lower, upper = rows(lp, "match_capacity")
    assert lower.tolist() == [-np.inf] * 3 and upper.tolist() == [100.0, 100.0, 30.0]
    partner = lp.constraints["partner_match_capacity"]
    assert partner.coords == (("partners",), ("north_africa", "eastern_partnership"), (2009, 2010))
    assert [p.tolist() for p in partner.positions] == [[0, 0], [NA, NA], [0, 1]]
    assert (partner.units, partner.long_name) == ("objective per EUR m", "co-financing capacity of the match source")
    expected = np.zeros((2, 2, 3, 2, 2))
    expected[0, ENPI, :2, NA, 0] = expected[1, ENPI, :2, NA, 1] = 1.0
    assert np.array_equal(cube_rows(lp, "partner_match_capacity"), expected)
    _, lower, upper = rows(lp, "partner_match_capacity")
    assert lower.tolist() == [-np.inf] * 2 and upper.tolist() == [5.0, 6.0]


def test_no_match_rows_without_co_financing() -> None:
    """enpi alone asks for co-financing, from a partner source; tpma pays all (k = 0): no rows for member states."""
    raw = copy.deepcopy(TUTORIAL)
    raw["match_sources"].append({"id": "partners", "per_region": True, "capacity": 4})
    raw["instruments"][TPMA]["cofinancing"] = {"max_eu_share": 1.0, "match_source": "member_states"}
    raw["instruments"][ENPI]["cofinancing"] = {"max_eu_share": 0.8, "match_source": "partners"}
    lp = fs.assemble(fs.scenario_from_dict(raw))
    assert "match_capacity" not in lp.constraints
    assert lp.constraints["partner_match_capacity"].size == 4  # two regions, two years
    assert np.allclose(cube_rows(lp, "partner_match_capacity").sum(axis=(1, 2, 3, 4)), [0.5, 0.5, 0.5, 0.5])


def test_match_capacity_checked_per_source() -> None:
    """tpma's 500 for mobility in North Africa in 2010 draw 125 from the member states (25 above 100); its 40 for
    return in the East in 2009 draw 40 from ms2 (10 above 30); enpi's 7 in North Africa in 2009 draw 7 from the
    partners (2 above 5), its 1000 in the East nothing limited."""
    sc = match_sources()
    eu = cube()
    eu[TPMA, MOBILITY, NA, 1] = 500.0
    eu[TPMA, RETURN, EAST, 0] = 40.0
    eu[TPMA, RETURN, EAST, 1] = 4000.0
    eu[ENPI, MOBILITY, NA, 0] = 7.0
    eu[ENPI, RETURN, EAST, 1] = 1000.0
    found = check("match_capacity", plan(sc, eu))
    assert records(found) == [
        ("match_capacity", {"source": "member_states", "year": 2010}, pytest.approx(125.0), 100.0, 25.0),
        ("match_capacity", {"source": "ms2", "year": 2009}, 40.0, 30.0, 10.0),
        ("match_capacity", {"partner_source": "partners", "region": "north_africa", "year": 2009}, 7.0, 5.0, 2.0)]
    assert found[2].message == ("match capacity: co-financing drawn from partners in north_africa in 2009 is "
                                "EUR 7.000 m, above the capacity of EUR 5.000 m (by 2.000)")
    assert found[0].message == ("match capacity: co-financing drawn from member_states in 2010 is EUR 125.000 m, "
                                "above the capacity of EUR 100.000 m (by 25.000)")


# ---- administrative cost ---------------------------------------------------------------------------------
def test_admin_cost_binaries_and_links() -> None:
    """A cost of 2 per active priority × region cell: 6 binaries costing -2 (maximised), one link per eligible
    cell ``eu - U·z[p,r] ≤ 0`` with U the usable envelope (tpma 10, enpi 20)."""
    lp = fs.assemble(scenario(admin_cost=2))
    z = lp.variables["cell_active"]
    assert [p.tolist() for p in z.positions] == [[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1]]
    assert lp.c[z.start:z.stop].tolist() == [-2.0] * 6 and lp.integrality[z.start:z.stop].tolist() == [1] * 6
    assert z.long_name == "priority × region cell receives EU money" and z.dims == ("priority", "region")
    link = lp.constraints["admin_link"]
    assert link.size == 20 and link.kind == "le"
    a, lower, upper = rows(lp, "admin_link")
    assert lower.tolist() == [-np.inf] * 20 and upper.tolist() == [0.0] * 20
    for k in range(20):
        i, p, r, y = (int(x[k]) for x in link.positions)
        expected = np.zeros(lp.num_col)
        expected[lp.variables["eu"].start + cell_index(i, p, r, y)] = 1.0
        expected[z.start + 2 * p + r] = -(10.0 if i == TPMA else 20.0)
        assert np.array_equal(a[k], expected)


def test_admin_cost_when_minimising_and_when_zero() -> None:
    """With goals alone the objective is minimised and the cost is added (+3); a cost of 0 adds nothing."""
    raw = copy.deepcopy(TUTORIAL)
    raw["objective"] = {"goals": {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 12}]}}
    raw["rules"]["admin_cost"] = 3
    lp = fs.assemble(fs.scenario_from_dict(raw))
    z = lp.variables["cell_active"]
    assert lp.sense == "min" and lp.c[z.start:z.stop].tolist() == [3.0] * 6
    lp = fs.assemble(scenario(admin_cost=0))
    assert "cell_active" not in lp.variables and "admin_link" not in lp.constraints


def test_active_cells_of_an_allocation() -> None:
    """Money in a priority × region cell (any instrument, any year) above 1e-6 opens it."""
    sc = scenario(admin_cost=2)
    block = fs.assemble(sc).variables["cell_active"]
    eu = cube()
    eu[ENPI, MOBILITY, EAST, 1] = 3.0
    eu[TPMA, RETURN, NA, :] = 0.5e-6  # 1e-6 in all: none
    eu[TPMA, REMITTANCES, NA, 0], eu[TPMA, REMITTANCES, NA, 1] = 1e-6, 1e-6
    assert active((0, 3))(sc, eu, block, np.ones(6)).tolist() == [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    lines = fs.assemble(scenario(min_commitment=5)).variables["instrument_active"]
    values = active((3,))(sc, eu, lines, np.ones(lines.size))
    on = [tuple(int(x[k]) for x in lines.positions) for k in np.flatnonzero(values)]
    assert on == [(TPMA, REMITTANCES, NA), (ENPI, MOBILITY, EAST)]


def test_active_of_a_dense_block() -> None:
    """A block without positions is read in C order over its shape."""
    dense = Block("open", ("priority", "region"), (("mobility", "return", "remittances"),
                                                  ("north_africa", "eastern_partnership")), 0, 6)
    eu = cube()
    eu[TPMA, RETURN, EAST, 0] = 2.0
    assert active((0, 3))(None, eu, dense, np.ones(6)).tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]


# ---- goals -----------------------------------------------------------------------------------------------
def goals(sense_impact: bool = True) -> fs.Scenario:
    """Targets: 12 for the East (weight 1), 5 for tpma's remittances in 2010 (weight 3); goal weight 2."""
    raw = copy.deepcopy(TUTORIAL)
    term = {"weight": 2, "targets": [
        {"id": "east", "regions": ["eastern_partnership"], "amount": 12},
        {"id": "tpma_remit", "instruments": ["tpma"], "priorities": ["remittances"], "years": [2010], "amount": 5,
         "weight": 3}]}
    raw["objective"] = {**raw["objective"], "goals": term} if sense_impact else {"goals": term}
    return fs.scenario_from_dict(raw)


def test_goal_rows_and_shortfall_costs() -> None:
    """``Σ_{slice} eu + shortfall_t ≥ amount_t``; each EUR m short costs 2·1 and 2·3 (negative when maximised)."""
    for sc, sign in ((goals(), -1.0), (goals(sense_impact=False), 1.0)):
        lp = fs.assemble(sc)
        short = lp.variables["shortfall"]
        assert short.coords == (("east", "tpma_remit"),) and short.long_name == "shortfall against target"
        assert short.dims == ("target",)
        assert lp.c[short.start:short.stop].tolist() == [sign * 2.0, sign * 6.0]
        block = lp.constraints["goal"]
        assert (block.coords, block.kind, block.units) == ((("east", "tpma_remit"),), "ge", "objective per EUR m")
        assert block.long_name == "target (goal programming)"
        a, lower, upper = rows(lp, "goal")
        assert lower.tolist() == [12.0, 5.0] and upper.tolist() == [np.inf, np.inf]
        remit = np.zeros((2, 3, 2, 2))
        remit[TPMA, REMITTANCES, :, 1] = 1.0
        assert np.array_equal(cube_rows(lp, "goal"), np.stack([region_cells(EAST), remit]))
        assert a[:, short.start:short.stop].tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_shortfalls_of_an_allocation() -> None:
    """The East gets 5 (7 short of 12), tpma's remittances 6 in 2010 (met) and 9 in 2009 (not in the slice)."""
    sc = goals()
    eu = cube()
    eu[ENPI, MOBILITY, EAST, 0] = 5.0
    eu[TPMA, REMITTANCES, NA, 1] = 6.0
    eu[TPMA, REMITTANCES, NA, 0] = 9.0
    assert shortfalls_of(sc, eu, None, np.full(2, np.inf)).tolist() == [7.0, 0.0]
    eu[TPMA, REMITTANCES, NA, 1] = 1.5
    assert shortfalls_of(sc, eu, None, np.full(2, np.inf)).tolist() == [7.0, 3.5]
    assert shortfalls_of(scenario(), eu, None, np.zeros(0)).tolist() == []


# ---- impact and leverage ---------------------------------------------------------------------------------
def diminishing(basis: str = "eu", **weights: Any) -> fs.Scenario:
    """Breakpoints at 10 and 30, slopes 1, 0.5 and 0.25, on the tutorial's weights (or these)."""
    raw = copy.deepcopy(TUTORIAL)
    raw["objective"]["impact"]["basis"] = basis
    raw["objective"]["impact"]["diminishing_returns"] = {"breakpoints": [10, 30], "slopes": [1.0, 0.5, 0.25]}
    raw["objective"]["impact"].update(weights)
    return fs.scenario_from_dict(raw)


def test_impact_segments_and_links() -> None:
    """Per priority × region cell three segments (10, 20 and unlimited long) earning w, w/2 and w/4 (remittances in
    North Africa: 3, 1.5, 0.75); the link ``Σ_s z - Σ_{i,y} f·eu ≤ 0`` with f = 1.25 for tpma on a total basis."""
    lp = fs.assemble(diminishing("total"))
    seg = lp.variables["impact_segment"]
    assert seg.size == 18 and seg.coords[2] == (0, 1, 2)
    assert [x[:6].tolist() for x in seg.positions] == [[0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]]
    assert lp.col_upper[seg.start:seg.start + 3].tolist() == [10.0, 20.0, np.inf]
    assert seg.dense(lp.c)[REMITTANCES, NA].tolist() == [3.0, 1.5, 0.75]
    assert seg.dense(lp.c)[MOBILITY, EAST].tolist() == [1.5, 0.75, 0.375]
    assert seg.long_name == "money on each impact segment" and seg.dims == ("priority", "region", "segment")
    assert seg.coords[:2] == (("mobility", "return", "remittances"), ("north_africa", "eastern_partnership"))
    eu = lp.variables["eu"]
    assert np.all(lp.c[eu.start:eu.stop] == 0.0)
    link = lp.constraints["impact_link"]
    assert [p.tolist() for p in link.positions] == [[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1]]
    assert link.kind == "le" and link.long_name == "marginal impact of money in the cell"
    a, lower, upper = rows(lp, "impact_link")
    assert lower.tolist() == [-np.inf] * 6 and upper.tolist() == [0.0] * 6
    for k in range(6):
        p, r = k // 2, k % 2
        expected = np.zeros(lp.num_col)
        expected[seg.start + 3 * k + np.arange(3)] = 1.0
        money = np.zeros((2, 3, 2, 2))
        money[TPMA, p, r], money[ENPI, p, r] = -1.25, -1.0
        expected[eu.start + np.flatnonzero(money[eligible_cube() > 0] != 0)] = money[eligible_cube() > 0][
            money[eligible_cube() > 0] != 0]
        assert np.array_equal(a[k], expected)


def test_impact_segments_of_a_cell_weighing_nothing_hold_nothing() -> None:
    """Return in the East weighs 0: its segments are bounded by 0."""
    sc = diminishing(weights={"default": 1.0, "cells": [{"priority": "return", "region": "eastern_partnership",
                                                         "weight": 0.0}]})
    lp = fs.assemble(sc)
    seg = lp.variables["impact_segment"]
    upper = seg.dense(lp.col_upper)
    assert upper[RETURN, EAST].tolist() == [0.0, 0.0, 0.0]
    assert upper[RETURN, NA].tolist() == [10.0, 20.0, np.inf]


def test_impact_without_breakpoints_is_the_cost_of_money() -> None:
    """On a total basis tpma's money earns 1.25·w (w = 3 for remittances in North Africa); a weight of 2 on the
    term doubles it, a single slope of 0.5 halves it."""
    raw = copy.deepcopy(TUTORIAL)
    raw["objective"]["impact"].update(basis="total", weight=2.0,
                                      diminishing_returns={"breakpoints": [], "slopes": [0.5]})
    lp = fs.assemble(fs.scenario_from_dict(raw))
    c = lp.variables["eu"].dense(lp.c, fill=0.0)
    assert c[TPMA, REMITTANCES, NA, 0] == 3.75 and c[ENPI, RETURN, NA, 1] == 2.0
    assert "impact_segment" not in lp.variables


def test_segments_of_an_allocation() -> None:
    """Remittances in North Africa get 15 EU (on a total basis 18.75: 10, 8.75, 0); mobility in the East 40 from enpi
    (10, 20, 10)."""
    sc = diminishing("total")
    seg = fs.assemble(sc).variables["impact_segment"]
    upper = np.tile([10.0, 20.0, np.inf], 6)
    eu = cube()
    eu[TPMA, REMITTANCES, NA, 0] = 15.0
    eu[ENPI, MOBILITY, EAST, :] = 25.0, 15.0
    values = segments_of(sc, eu, seg, upper).reshape(3, 2, 3)
    assert values[REMITTANCES, NA].tolist() == [10.0, 8.75, 0.0]
    assert values[MOBILITY, EAST].tolist() == [10.0, 20.0, 10.0]
    assert values.sum() == 18.75 + 40.0
    sc = diminishing("eu")
    assert segments_of(sc, eu, seg, upper).reshape(3, 2, 3)[REMITTANCES, NA].tolist() == [10.0, 5.0, 0.0]
    dense = Block("impact_segment", ("priority", "region", "segment"), seg.coords, 0, 18)
    assert segments_of(sc, eu, dense, upper).reshape(3, 2, 3)[REMITTANCES, NA].tolist() == [10.0, 5.0, 0.0]


def test_leverage_adds_its_weight_times_k() -> None:
    """A leverage weight of 0.4 adds 0.4·0.25 = 0.1 to each of tpma's cells, nothing to enpi's."""
    raw = copy.deepcopy(TUTORIAL)
    raw["objective"]["leverage"] = {"weight": 0.4}
    lp = fs.assemble(fs.scenario_from_dict(raw))
    c = lp.variables["eu"].dense(lp.c, fill=0.0)
    assert c[TPMA, :, NA, 0].tolist() == pytest.approx([1.1, 2.1, 3.1]) and c[ENPI, :2, NA, 0].tolist() == [1.0, 2.0]


# ---- binaries: the big-M of the links, the instrument lines ----------------------------------------------
def cells_of(sc: fs.Scenario) -> Any:
    return define_eu(ProgramBuilder(), sc)


def test_cell_upper_takes_the_tightest_rule() -> None:
    """U per cell: tpma (10 a year, k = 0.25, absorption on total cost: 1.25 of each EUR m falls due in the year)
    and enpi (20, k = 0, paid half and half over two years). North Africa absorbs 8 in 2009 and 4 in 2010,
    nothing is capped after 2010: tpma there 4 / 1.25 = 3.2 in 2010; enpi 4 / 0.5 = 8 in both years (2009's half
    falls due in 2010). The member states match 1 in 2009 (1 / 0.25 = 4 for tpma). The East at most 7, return at
    most 6, enpi in the East at most 5 (a limit or cap with only a minimum bounds nothing)."""
    raw = copy.deepcopy(TUTORIAL)
    raw["instruments"][ENPI]["payment_profile"] = [0.5, 0.5]
    raw["absorption"] = {"basis": "total", "after_horizon": "unlimited",
                         "capacity": {"north_africa": {2009: 8, 2010: 4}}}
    raw["match_sources"][0]["capacity"] = {2009: 1, 2010: 100}
    raw["rules"].update(region_limits=[{"region": "eastern_partnership", "max": 7}],
                        priority_limits=[{"priority": "return", "max": 6}, {"priority": "mobility", "min": 1}],
                        caps=[{"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"],
                               "max": 5}, {"id": "tpma_min", "instruments": ["tpma"], "min": 1}])
    sc = fs.scenario_from_dict(raw)
    cells = cells_of(sc)
    expected = np.zeros((2, 3, 2, 2))
    expected[TPMA, :, NA] = [4.0, 3.2]
    expected[TPMA, :, EAST] = [[4.0, 7.0], [4.0, 6.0], [4.0, 7.0]]
    expected[ENPI, MOBILITY, NA], expected[ENPI, RETURN, NA] = [8.0, 8.0], [6.0, 6.0]
    expected[ENPI, :2, EAST] = 5.0
    assert cell_upper(sc, cells).tolist() == pytest.approx(expected[cells.i, cells.p, cells.r, cells.y].tolist())


def test_cell_upper_where_nothing_is_absorbed() -> None:
    """North Africa absorbs nothing in 2010: tpma's cells there (and enpi's, which pay half of 2009's money in 2010)
    hold 0; a share of a profile that is 0 bounds nothing."""
    raw = copy.deepcopy(TUTORIAL)
    raw["instruments"][ENPI]["payment_profile"] = [0.5, 0.5]
    raw["absorption"]["capacity"] = {"north_africa": {2009: 8, 2010: 0}}
    sc = fs.scenario_from_dict(raw)
    cells = cells_of(sc)
    expected = np.full((2, 3, 2, 2), 10.0)
    expected[TPMA, :, NA] = [8.0, 0.0]
    expected[ENPI] = 20.0
    expected[ENPI, :, NA] = 0.0
    assert cell_upper(sc, cells).tolist() == expected[cells.i, cells.p, cells.r, cells.y].tolist()


def test_cell_upper_of_several_match_sources() -> None:
    """tpma draws 0.25 per EUR m from the member states (1 a year: 4) in North Africa, 1 per EUR m from ms2 in the
    East (2 in 2009, then unlimited), and nothing for remittances (all EU money, though the member states are named
    as its source); enpi 1 per EUR m from partners raising 5 (2009) and 6 (2010) in North Africa, unlimited in the
    East."""
    raw = copy.deepcopy(TUTORIAL)
    raw["match_sources"] = [{"id": "member_states", "capacity": 1},
                            {"id": "ms2", "capacity": {2009: 2}},
                            {"id": "partners", "per_region": True, "capacity": {"north_africa": {2009: 5, 2010: 6}}}]
    raw["instruments"][TPMA]["cofinancing"]["exceptions"] = [
        {"regions": ["eastern_partnership"], "max_eu_share": 0.5, "match_source": "ms2"},
        {"priorities": ["remittances"], "max_eu_share": 1.0, "match_source": "member_states"}]
    raw["instruments"][ENPI]["cofinancing"] = {"max_eu_share": 0.5, "match_source": "partners"}
    sc = fs.scenario_from_dict(raw)
    cells = cells_of(sc)
    expected = np.full((2, 3, 2, 2), 10.0)
    expected[TPMA, :2, NA] = 4.0
    expected[TPMA, :2, EAST] = [2.0, 10.0]
    expected[ENPI, :, NA], expected[ENPI, :, EAST] = [5.0, 6.0], 20.0
    assert cell_upper(sc, cells).tolist() == pytest.approx(expected[cells.i, cells.p, cells.r, cells.y].tolist())


def test_lines_that_cannot_reach_their_minimum_cannot_open() -> None:
    """At least 15 per line, the East at most 6: the lines in the East hold 2 · 6 < 15 and get an upper bound of 0,
    those in North Africa (tpma 2 · 10, enpi 2 · 20) 1; each cell links to its line, ``eu - U·z ≤ 0``."""
    lp = fs.assemble(scenario(min_commitment=15, region_limits=[{"region": "eastern_partnership", "max": 6}]))
    z = lp.variables["instrument_active"]
    assert z.units == "1 = yes, 0 = no" and z.long_name == "instrument funds the priority in the region"
    assert z.dims == ("instrument", "priority", "region") and z.coords[0] == ("tpma", "enpi")
    assert lp.col_upper[z.start:z.stop].tolist() == [1.0, 0.0] * 5
    assert lp.integrality[z.start:z.stop].tolist() == [1] * 10
    link = lp.constraints["instrument_link"]
    assert link.size == 20 and link.kind == "le" and link.long_name == "EU money only where the instrument is active"
    a, lower, upper = rows(lp, "instrument_link")
    assert lower.tolist() == [-np.inf] * 20 and upper.tolist() == [0.0] * 20
    for k in range(20):
        i, p, r, y = (int(x[k]) for x in link.positions)
        expected = np.zeros(lp.num_col)
        expected[lp.variables["eu"].start + cell_index(i, p, r, y)] = 1.0
        expected[line_column(lp, i, p, r)] = -6.0 if r == EAST else -10.0 if i == TPMA else -20.0
        assert np.array_equal(a[k], expected)


def test_a_line_that_can_hold_just_its_minimum_can_open() -> None:
    """At least 20: tpma's lines hold 2 · 10 = 20, exactly the minimum, and may open."""
    lp = fs.assemble(scenario(min_commitment=20))
    z = lp.variables["instrument_active"]
    assert lp.col_upper[z.start:z.stop].tolist() == [1.0] * 10


def test_lines_only_where_more_instruments_may_fund() -> None:
    """At most one instrument per cell, no minimum: remittances (tpma alone) get no line and no link."""
    lp = fs.assemble(scenario(max_instruments_per_cell=1))
    z = lp.variables["instrument_active"]
    assert z.size == 8 and REMITTANCES not in z.positions[1].tolist()
    assert lp.col_upper[z.start:z.stop].tolist() == [1.0] * 8
    link = lp.constraints["instrument_link"]
    assert link.size == 16 and REMITTANCES not in link.positions[1].tolist()
    assert "instrument_active" not in fs.assemble(scenario(max_instruments_per_cell=2)).variables


def test_binaries_need_positions_and_links_may_bound_from_below() -> None:
    b = ProgramBuilder()
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))
    with pytest.raises(ValueError, match=r"^the binaries 'open' need their positions$"):
        binaries(b, Header("open", ("region",), (sc.region_ids,)))
    z = binaries(b, Header("open", ("region",), (sc.region_ids,), positions=(np.arange(2),)),
                 upper=np.array([1.0, 0.0]), cost=2.5)
    east = a.cells.r == EAST
    links(a, Rows("open_link", ("instrument", "priority", "region", "year"), "none", role="link"), east,
          np.full(10, z.start + 1), "ge")
    lp = b.build()
    assert lp.c[z.start:z.stop].tolist() == [2.5, 2.5] and lp.col_upper[z.start:z.stop].tolist() == [1.0, 0.0]
    block = lp.constraints["open_link"]
    assert block.kind == "ge" and block.units == "objective per EUR m"
    a_rows = lp.A[block.start:block.stop].toarray()
    lower, upper = lp.row_lower[block.start:block.stop], lp.row_upper[block.start:block.stop]
    assert lower.tolist() == [0.0] * 10 and upper.tolist() == [np.inf] * 10
    first = np.zeros(lp.num_col)
    first[a.cells.col[east][0]], first[z.start + 1] = 1.0, -10.0
    assert np.array_equal(a_rows[0], first)


def test_least_commitment_per_instrument() -> None:
    assert least(scenario()).tolist() == [0.0, 0.0]
    assert least(scenario(min_commitment={"amount": 5, "by_instrument": {"enpi": 8}})).tolist() == [5.0, 8.0]


def test_the_rules_built_from_their_sections() -> None:
    """Each section's entries as the domain's rule objects (region groups read as their regions, pillars as their
    priorities)."""
    sc = scenario(geographic_focus=[{"id": "south", "region_groups": ["south"], "min_share": 0.5},
                                    {"regions": ["eastern_partnership"], "region_groups": ["south"],
                                     "max_share": 0.9}],
                  pillar_balance=[{"pillar": "legal", "min_share": 0.2, "max_share": 0.5}],
                  min_packages=PACKAGES, min_commitment={"amount": 5, "by_instrument": {"enpi": 8}})
    assert sc.rules.geographic_focus == (
        GeographicFocus("south", frozenset({"north_africa"}), 0.5, None, description="south"),
        GeographicFocus("focus", frozenset({"north_africa", "eastern_partnership"}), None, 0.9,
                        description="south, eastern_partnership"))
    assert sc.rules.pillar_balance == (PillarBalance("legal", 0.2, 0.5),)
    assert sc.rules.min_packages == (MinPackage("north_africa", 10.0, frozenset({"return"})),
                                     MinPackage("north_africa", 5.0, None),
                                     MinPackage("eastern_partnership", 8.0, frozenset({"mobility"})))
    assert sc.rules.min_commitment == MinCommitment(5.0, (("enpi", 8.0),))
    assert scenario().rules.min_commitment is None and scenario().rules.mobility_partnerships is None


# ---- co-financing ----------------------------------------------------------------------------------------
def test_co_financing_within_the_tolerance_is_no_violation() -> None:
    """tpma at most 50 % EU: 10 EU need 10 of co-financing. With a tolerance of 0.5, 9.5 or 10.5 (checked exactly)
    and a total 0.5 off the sum are no violation; 0.75 beyond is one, each."""
    raw = copy.deepcopy(TUTORIAL)
    raw["instruments"][TPMA]["cofinancing"]["max_eu_share"] = 0.5
    sc = fs.scenario_from_dict(raw)
    eu, cofin, total = cube(), cube(), cube()
    eu[TPMA, :, NA, 0] = 10.0
    cofin[TPMA, :, NA, 0] = 9.5, 10.5, 10.0
    total[TPMA, :, NA, 0] = 19.5, 20.5, 20.5

    def found(c: np.ndarray, t: np.ndarray) -> list[tuple[Any, ...]]:
        p = Plan(sc, eu, c, t, eu, None, None, rtol=0.0, atol=0.5, exact_cofinancing=True)
        return [(v.labels["priority"], v.value, v.limit, v.size) for v in check("cofinancing", p)]

    assert found(cofin, total) == []
    cofin[TPMA, :, NA, 0] = 9.25, 10.75, 10.0
    total[TPMA, :, NA, 0] = 19.25, 20.75, 20.75
    assert found(cofin, total) == [("mobility", 9.25, 10.0, 0.75), ("return", 10.75, 10.0, 0.75),
                                   ("remittances", 20.75, 20.0, 0.75)]


def test_focus_messages_name_the_regions() -> None:
    """A focus on both regions lists them (sorted); one built in Python on no region says so. 10 in all, 1 share
    point each: both regions hold 10, above 0.5 % by 9.95; no region holds 0, below 10 % by 1."""
    sc = scenario(geographic_focus=[{"id": "both", "region_groups": ["south"], "regions": ["eastern_partnership"],
                                     "max_share": 0.005}])
    eu = cube()
    eu[ENPI, MOBILITY, EAST, 0] = 10.0
    (v,) = check("geographic_focus", plan(sc, eu))
    assert v.message.startswith("geographic focus: focus both (eastern_partnership, north_africa) gets EUR 10.000 m")
    empty = sc.evolve(rules=dataclasses.replace(sc.rules, geographic_focus=(
        GeographicFocus("none", frozenset(), 0.1, None),)))
    (v,) = check("geographic_focus", plan(empty, eu))
    assert v.message == ("geographic focus: focus none (no region) gets EUR 0.000 m of EUR 10.000 m of EU commitments "
                         "(0.0%), below the minimum share of 10.0% (EUR 1.000 m; by 1.000)")


def test_segments_of_small_money_of_a_sparse_block_and_of_no_impact_term() -> None:
    """tpma funds the East only, so remittances in North Africa have no cell and no segments (15 of 18). enpi's 4
    for return in North Africa (on an EU basis) fill 4 of the first segment; its 12 for mobility in the East 10
    and 2; tpma's 15 for remittances in the East 10 and 5. Without an impact term, a one-segment block holds each
    cell's money."""
    raw = copy.deepcopy(TUTORIAL)
    raw["instruments"][TPMA]["eligibility"] = {"regions": ["eastern_partnership"]}
    raw["objective"]["impact"]["diminishing_returns"] = {"breakpoints": [10, 30], "slopes": [1.0, 0.5, 0.25]}
    sc = fs.scenario_from_dict(raw)
    seg = fs.assemble(sc).variables["impact_segment"]
    assert seg.size == 15
    eu = cube()
    eu[ENPI, RETURN, NA, 1] = 4.0
    eu[ENPI, MOBILITY, EAST, 0] = 12.0
    eu[TPMA, REMITTANCES, EAST, 0] = 15.0
    values = np.full((3, 2, 3), -1.0)
    values[seg.positions] = segments_of(sc, eu, seg, np.tile([10.0, 20.0, np.inf], 5))
    assert values[RETURN, NA].tolist() == [4.0, 0.0, 0.0] and values[MOBILITY, EAST].tolist() == [10.0, 2.0, 0.0]
    assert values[REMITTANCES, EAST].tolist() == [10.0, 5.0, 0.0]
    assert values[REMITTANCES, NA].tolist() == [-1.0, -1.0, -1.0]
    raw["objective"] = {"goals": {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 12}]}}
    one = Block("impact_segment", ("priority", "region", "segment"), (*seg.coords[:2], (0,)), 0, 6)
    money = segments_of(fs.scenario_from_dict(raw), eu, one, np.full(6, np.inf))
    assert money.tolist() == [0.0, 12.0, 4.0, 0.0, 0.0, 15.0]


def test_partnership_rows_of_one_candidate() -> None:
    """Only the East is a candidate: its package row and links hold its four mobility cells, nothing of North
    Africa."""
    lp = fs.assemble(partnerships(candidates=["eastern_partnership"]))
    u = lp.variables["partnership"]
    mobility_east = np.zeros((2, 3, 2, 2))
    mobility_east[:, MOBILITY, EAST] = 1.0
    assert np.array_equal(cube_rows(lp, "partnership_package"), mobility_east[None])
    assert rows(lp, "partnership_package")[0][0, u.start] == -10.0
    assert np.array_equal(cube_rows(lp, "partnership_link").sum(axis=0), mobility_east)


def test_active_lines_of_a_sparse_block() -> None:
    """tpma funds the East only, so its lines in North Africa have no binary (7 lines of 12, the missing ones not
    last): enpi's 3 for mobility in North Africa open exactly that line."""
    raw = copy.deepcopy(TUTORIAL)
    raw["instruments"][TPMA]["eligibility"] = {"regions": ["eastern_partnership"]}
    raw["rules"]["min_commitment"] = 2
    sc = fs.scenario_from_dict(raw)
    lines = fs.assemble(sc).variables["instrument_active"]
    assert lines.size == 7
    eu = cube()
    eu[ENPI, MOBILITY, NA, 1] = 3.0
    values = active((3,))(sc, eu, lines, np.ones(lines.size))
    assert [tuple(int(x[k]) for x in lines.positions) for k in np.flatnonzero(values)] == [(ENPI, MOBILITY, NA)]


def test_cell_upper_of_a_named_source_asked_for_nothing() -> None:
    """tpma pays all (k = 0) though the member states (capacity 0) are named as its source: its cells are bounded
    by the envelope alone."""
    raw = copy.deepcopy(TUTORIAL)
    raw["match_sources"][0]["capacity"] = 0
    raw["instruments"][TPMA]["cofinancing"]["max_eu_share"] = 1.0
    sc = fs.scenario_from_dict(raw)
    cells = cells_of(sc)
    assert cell_upper(sc, cells).tolist() == np.where(cells.i == TPMA, 10.0, 20.0).tolist()


def test_a_minimum_commitment_for_some_instruments_only_assembles_and_holds() -> None:
    """Found by mutation testing: a minimum for ENPI alone (none for TPMA, whose lines get no binary) raised an
    IndexError in the assembly. Now every ENPI line holds nothing or at least 8 over the period, and the optimum
    is the LP's 130: a plan keeping the minimum reaches the LP bound (ENPI puts 8 and 32 on its two lines)."""
    raw = yaml.safe_load(Path("scenarios/tutorial.yaml").read_text())
    raw["rules"]["min_commitment"] = {"amount": 0, "by_instrument": {"enpi": 8}}
    alloc = fs.solve(fs.scenario_from_dict(raw))
    assert alloc.objective == pytest.approx(130.0)
    lines = alloc.data["eu"].sel(instrument="enpi").sum("year").values.ravel()
    assert all(v < 1e-6 or v >= 8 - 1e-6 for v in lines)
