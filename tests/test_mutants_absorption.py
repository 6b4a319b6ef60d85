"""Tests written to kill mutants of ``fundsim/rules/absorption.py`` and ``fundsim/rules/match_capacity.py``
(issue 12, docs/mutation.md): each solves or assembles its own small scenario and compares rows or violation
records with figures worked out by hand, never read back from the code under test.

The scenario is the tutorial with Morocco planned on its own inside North Africa (units morocco,
north_africa_rest, eastern_partnership): North Africa's 25 a year is shared by Morocco and the rest, and Morocco
absorbs at most 10 a year on its own. tpma (at most 80 % EU: ``k = 0.25``) pays 40 % of a commitment in its year
and 60 % the year after; enpi (mobility and return only) pays all in its year.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import fundsim as fs
from fundsim.rules import Plan, Violation
from fundsim.rules.absorption import check_absorption
from fundsim.rules.match_capacity import check_match_capacity

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = yaml.safe_load((ROOT / "scenarios" / "tutorial.yaml").read_text(encoding="utf-8"))
TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
MOROCCO, REST, EAST = 0, 1, 2
LABELS = ("morocco", "north_africa_rest", "eastern_partnership", "north_africa")


def raw_country(*, basis: str = "total", tpma_profile: list[float] | None = None,
                enpi_profile: list[float] | None = None, after_horizon: str = "last_year") -> dict[str, Any]:
    raw = copy.deepcopy(TUTORIAL)
    raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
    raw["absorption"] = {"basis": basis, "after_horizon": after_horizon,
                         "capacity": {"north_africa": 25, "morocco": 10}}
    raw["instruments"][TPMA]["payment_profile"] = tpma_profile or [0.4, 0.6]
    if enpi_profile is not None:
        raw["instruments"][ENPI]["payment_profile"] = enpi_profile
    return raw


def country(**options: Any) -> fs.Scenario:
    return fs.scenario_from_dict(raw_country(**options))


def block_rows(lp: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row of block ``name`` on the (instrument, priority, unit, year) cube, and its bounds."""
    block = lp.constraints[name]
    eu = lp.variables["eu"]
    a = lp.A[block.start:block.stop].toarray()
    return (np.stack([eu.dense(row, fill=0.0) for row in a]),
            lp.row_lower[block.start:block.stop], lp.row_upper[block.start:block.stop])


def row(units: list[int], tpma: list[float], enpi: list[float]) -> np.ndarray:
    """A row's coefficients: ``tpma`` and ``enpi`` per commitment year, on every eligible cell of ``units``."""
    out = np.zeros((2, 3, 3, 2))
    for u in units:
        out[TPMA, :, u] = tpma
        out[ENPI, :REMITTANCES, u] = enpi
    return out


def plan(sc: fs.Scenario, eu: np.ndarray) -> Plan:
    """A plan of the EU cube ``eu``, co-financed at the rule's rate."""
    cofin = eu * np.broadcast_to(sc.match_ratio[..., None], eu.shape)
    return Plan(sc, eu, cofin, eu + cofin, eu, None, None, rtol=1e-7, atol=1e-6)


def records(found: list[Violation]) -> list[tuple[Any, ...]]:
    return [(dict(v.labels), pytest.approx(v.value), v.limit) for v in found]


def test_rows_of_a_country_and_of_its_shared_region_on_total_cost() -> None:
    """On total cost tpma's EUR m falls due as 1.25 · 0.4 = 0.5 in its year and 1.25 · 0.6 = 0.75 the year after;
    enpi's as 1 in its year. Morocco's rows hold its cells, North Africa's those of Morocco and the rest; the
    East and the rest have no capacity of their own and no row. 2010's commitments of tpma fall due in 2011 too,
    held to each capacity of 2010 (10 and 25)."""
    lp = fs.assemble(country())
    block = lp.constraints["absorption"]
    assert block.coords == (LABELS, (2009, 2010))
    assert [p.tolist() for p in block.positions] == [[0, 0, 3, 3], [0, 1, 0, 1]]
    a, lower, upper = block_rows(lp, "absorption")
    assert upper.tolist() == [10.0, 10.0, 25.0, 25.0] and lower.tolist() == [-np.inf] * 4
    y2009, y2010 = ([0.5, 0.0], [1.0, 0.0]), ([0.75, 0.5], [0.0, 1.0])
    expected = [row([MOROCCO], *y2009), row([MOROCCO], *y2010), row([MOROCCO, REST], *y2009),
                row([MOROCCO, REST], *y2010)]
    assert a == pytest.approx(np.stack(expected))
    assert lp.A[block.start:block.stop].nnz == 5 + 8 + 10 + 16  # no stored zeros (enpi pays nothing a year later)
    assert (block.kind, block.long_name) == ("le", "absorption capacity (payments)")
    after = lp.constraints["absorption_after_horizon"]
    assert after.coords == (LABELS, (2011,))
    assert [p.tolist() for p in after.positions] == [[0, 3], [0, 0]]
    a, lower, upper = block_rows(lp, "absorption_after_horizon")
    assert upper.tolist() == [10.0, 25.0] and lower.tolist() == [-np.inf, -np.inf]
    expected = [row([MOROCCO], [0.0, 0.75], [0.0, 0.0]), row([MOROCCO, REST], [0.0, 0.75], [0.0, 0.0])]
    assert a == pytest.approx(np.stack(expected))
    assert lp.A[after.start:after.stop].nnz == 3 + 6
    assert (after.kind, after.long_name) == ("le", "absorption capacity after the last year (payments)")


def test_rows_on_eu_money_with_a_capacity_per_year() -> None:
    """On EU money tpma's EUR m falls due as 0.4 and 0.6; North Africa absorbs 25 in 2009 and 30 in 2010, Morocco
    10 in 2009 only (no row in 2010): 2011 is held to North Africa's 30 of 2010."""
    raw = raw_country(basis="eu")
    raw["absorption"]["capacity"] = {"north_africa": {2009: 25, 2010: 30}, "morocco": {2009: 10}}
    lp = fs.assemble(fs.scenario_from_dict(raw))
    block = lp.constraints["absorption"]
    assert [p.tolist() for p in block.positions] == [[0, 3, 3], [0, 0, 1]]
    a, _, upper = block_rows(lp, "absorption")
    assert upper.tolist() == [10.0, 25.0, 30.0]
    expected = [row([MOROCCO], [0.4, 0.0], [1.0, 0.0]), row([MOROCCO, REST], [0.4, 0.0], [1.0, 0.0]),
                row([MOROCCO, REST], [0.6, 0.4], [0.0, 1.0])]
    assert a == pytest.approx(np.stack(expected))
    after = lp.constraints["absorption_after_horizon"]
    assert [p.tolist() for p in after.positions] == [[3], [0]]
    a, _, upper = block_rows(lp, "absorption_after_horizon")
    assert upper.tolist() == [30.0]
    assert a == pytest.approx(row([MOROCCO, REST], [0.0, 0.6], [0.0, 0.0])[None])


def test_no_rows_after_the_horizon_when_no_profile_rises_or_it_is_unlimited() -> None:
    """A flat profile (enpi 0.5, 0.5) or a falling one (tpma 0.6, 0.4) never pays more in a later year than in
    the last one, termwise: no block after the horizon. A rising profile with ``after_horizon: unlimited`` has
    none either. The rows within the years still count every lag."""
    lp = fs.assemble(country(tpma_profile=[0.6, 0.4], enpi_profile=[0.5, 0.5]))
    assert "absorption_after_horizon" not in lp.constraints
    a, _, upper = block_rows(lp, "absorption")
    assert upper.tolist() == [10.0, 10.0, 25.0, 25.0]
    assert a[1] == pytest.approx(row([MOROCCO], [0.5, 0.75], [0.5, 0.5]))
    lp = fs.assemble(country(after_horizon="unlimited"))
    assert "absorption_after_horizon" not in lp.constraints
    assert len(lp.constraints["absorption"].positions[0]) == 4


def test_solved_shared_capacity_of_a_country_on_total_cost() -> None:
    """Every profile ``[1.0]``, absorption on total cost: tpma's EUR m counts 1.25 against a capacity. Remittances
    (weight 3) may take 15 of the 60 (pillar balance) and only tpma funds them: 15 of EU money, 18.75 of North
    Africa's 50 over two years. Return (2) fills the rest, 31.25 of enpi (k = 0), and the East takes the last
    13.75 of money at 1.5: 45 + 62.5 + 20.625 = 128.125. North Africa's dual: one more EUR m of capacity is 1 more
    of return and 1 less of mobility in the East, 0.5."""
    raw = raw_country(tpma_profile=[1.0])
    raw["absorption"]["capacity"] = {"north_africa": 25}
    alloc = fs.solve(fs.scenario_from_dict(raw))
    assert alloc.objective == pytest.approx(128.125, abs=1e-6)
    assert alloc.duals["absorption"].sel(region="north_africa").values.tolist() == pytest.approx([0.5, 0.5])


def test_the_check_of_units_shared_regions_and_years_after_the_horizon() -> None:
    """tpma mobility in Morocco 8 in 2009 (total 10: 4 due in 2009, 6 in 2010), tpma return in the rest 40 in 2010
    (total 50: 20 in 2010, 30 in 2011), enpi return in Morocco 5 in 2010 and in the rest 22 in 2009. Due: Morocco
    4, 11, 0; North Africa 26, 31, 30 against 25 (2011 held to 2010's 25): Morocco's 2010 and North Africa's three
    years are broken, in label order. With ``after_horizon: unlimited`` 2011 is not checked; on EU money tpma
    counts 0.4 and 0.6 of its EU money: Morocco 3.2, 9.8; North Africa 25.2, 25.8, 24."""
    eu = np.zeros((2, 3, 3, 2))
    eu[TPMA, MOBILITY, MOROCCO, 0] = 8.0
    eu[TPMA, RETURN, REST, 1] = 40.0
    eu[ENPI, RETURN, MOROCCO, 1] = 5.0
    eu[ENPI, RETURN, REST, 0] = 22.0
    found = check_absorption(plan(country(), eu))
    assert records(found) == [({"region": "morocco", "year": 2010}, 11.0, 10.0),
                              ({"region": "north_africa", "year": 2009}, 26.0, 25.0),
                              ({"region": "north_africa", "year": 2010}, 31.0, 25.0),
                              ({"region": "north_africa", "year_after": 2011}, 30.0, 25.0)]
    assert [v.family for v in found] == ["absorption"] * 4
    assert str(found[3]) == ("absorption: payments (EU + co-financing) to north_africa in 2011 are EUR 30.000 m, "
                             "above the capacity of EUR 25.000 m (by 5.000)")
    found = check_absorption(plan(country(after_horizon="unlimited"), eu))
    assert [dict(v.labels) for v in found] == [{"region": "morocco", "year": 2010},
                                               {"region": "north_africa", "year": 2009},
                                               {"region": "north_africa", "year": 2010}]
    found = check_absorption(plan(country(basis="eu"), eu))
    assert records(found) == [({"region": "north_africa", "year": 2009}, 25.2, 25.0),
                              ({"region": "north_africa", "year": 2010}, 25.8, 25.0)]
    assert str(found[0]).startswith("absorption: payments to north_africa in 2009 are EUR 25.200 m")


def partnered(**capacity: Any) -> fs.Scenario:
    """The country scenario (every profile ``[1.0]``) with tpma co-financed by partners raising ``capacity`` per
    region and year (all EU money in the East: ``k = 0`` there), and enpi by the member states at most 50 % EU
    (``k = 1``, 100 a year)."""
    raw = raw_country(tpma_profile=[1.0])
    raw["match_sources"].append({"id": "partners", "per_region": True, "capacity": capacity})
    raw["instruments"][TPMA]["cofinancing"] = {"max_eu_share": 0.8, "match_source": "partners"}
    raw["instruments"][TPMA]["cofinancing"]["exceptions"] = [
        {"regions": ["eastern_partnership"], "max_eu_share": 1.0, "match_source": "partners"}]
    raw["instruments"][ENPI]["cofinancing"] = {"max_eu_share": 0.5, "match_source": "member_states"}
    return fs.scenario_from_dict(raw)


def test_partner_match_rows_of_a_country_and_of_its_shared_region() -> None:
    """Partners raise 0.5 a year in Morocco and 1.0 a year in North Africa as a whole (Morocco and the rest); the
    rest states nothing and gets no row, nor does the East, where tpma draws nothing (k = 0) though its partners
    raise 2. tpma draws 0.25 per EUR m; enpi draws 1 from the member
    states, one row a year over its 8 cells (mobility and return in three units)."""
    lp = fs.assemble(partnered(north_africa=1.0, morocco=0.5, eastern_partnership=2.0))
    block = lp.constraints["partner_match_capacity"]
    assert block.coords == (("partners",), LABELS, (2009, 2010))
    assert [p.tolist() for p in block.positions] == [[0, 0, 0, 0], [0, 0, 3, 3], [0, 1, 0, 1]]
    a, lower, upper = block_rows(lp, "partner_match_capacity")
    assert upper.tolist() == [0.5, 0.5, 1.0, 1.0] and lower.tolist() == [-np.inf] * 4
    expected = np.zeros((4, 2, 3, 3, 2))
    for n, (units, y) in enumerate((([MOROCCO], 0), ([MOROCCO], 1), ([MOROCCO, REST], 0), ([MOROCCO, REST], 1))):
        expected[n, TPMA, :, units, y] = 0.25
    assert a == pytest.approx(expected)
    assert (block.kind, block.long_name) == ("le", "co-financing capacity of the match source")
    block = lp.constraints["match_capacity"]
    assert block.coords == (("member_states",), (2009, 2010))
    a, _, upper = block_rows(lp, "match_capacity")
    assert upper.tolist() == [100.0, 100.0]
    expected = np.zeros((2, 2, 3, 3, 2))
    expected[0, ENPI, :REMITTANCES, :, 0] = expected[1, ENPI, :REMITTANCES, :, 1] = 1.0
    assert a == pytest.approx(expected)
    assert (block.kind, block.long_name) == ("le", "co-financing capacity of the match source")


def test_the_match_check_of_a_country_and_of_its_shared_region() -> None:
    """tpma in Morocco 4 in 2009 and 1 in 2010 (drawing 1.0 and 0.25), in the rest 2 in 2010 (0.5); enpi 101 in
    the East in 2009 (101 of the member states' 100). Morocco 1.0 > 0.5 in 2009; North Africa 1.0 in 2009 (not
    above its 1.0) and 0.75 in 2010 > 0.6: broken in label order after the member states."""
    sc = partnered(north_africa={2009: 1.0, 2010: 0.6}, morocco=0.5)
    eu = np.zeros((2, 3, 3, 2))
    eu[TPMA, MOBILITY, MOROCCO] = [4.0, 1.0]
    eu[TPMA, RETURN, REST, 1] = 2.0
    eu[ENPI, MOBILITY, EAST, 0] = 101.0
    found = check_match_capacity(plan(sc, eu))
    assert records(found) == [({"source": "member_states", "year": 2009}, 101.0, 100.0),
                              ({"partner_source": "partners", "region": "morocco", "year": 2009}, 1.0, 0.5),
                              ({"partner_source": "partners", "region": "north_africa", "year": 2010}, 0.75, 0.6)]
    assert [v.family for v in found] == ["match_capacity"] * 3
    assert str(found[2]) == ("match capacity: co-financing drawn from partners in north_africa in 2010 is "
                             "EUR 0.750 m, above the capacity of EUR 0.600 m (by 0.150)")
