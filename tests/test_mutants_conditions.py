"""Tests written to kill mutants of ``fundsim/rules/conditions.py`` (``make mutate``, docs/mutation.md), each
solving or checking its own small variant of scenarios/tutorial.yaml, every figure worked by hand.

The tutorial: TPMA (0) and ENPI (1); mobility (0, legal), return (1, irregular), remittances (2, development);
North Africa (0) and the Eastern Partnership (1); 2009 and 2010. ENPI may not fund remittances.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
import yaml

import fundsim as fs
from fundsim.model import Condition, Selector
from fundsim.rules import Plan
from fundsim.rules.conditions import check_conditions

TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1


def tutorial(*conditions: dict[str, Any]) -> fs.Scenario:
    raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text(encoding="utf-8"))
    raw["rules"]["conditions"] = list(conditions)
    return fs.scenario_from_dict(raw)


def plan(sc: fs.Scenario, eu: np.ndarray) -> Plan:
    return Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=0.0, atol=1e-6)


def found(sc: fs.Scenario, eu: np.ndarray) -> list[tuple[Mapping[str, Any], float, float]]:
    return [(v.labels, v.value, v.limit) for v in check_conditions(plan(sc, eu))]


def test_ratio_check_cumulates_the_slice_and_the_lagged_prerequisite() -> None:
    # East: mobility 3 in 2009 and 1 in 2010, return 4 in 2009. 2009: 3 > 0.5·0 + 2 (broken); 2010: 3 + 1 = 4 ≤
    # 0.5·4 + 2 = 4 (held). North Africa has nothing.
    sc = tutorial({"id": "profiles", "priorities": ["mobility"], "requires": {"priorities": ["return"],
                   "ratio": 0.5, "lag": 1}, "existing": {"eastern_partnership": 2}})
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, MOBILITY, EAST] = [3.0, 1.0]
    eu[ENPI, RETURN, EAST, 0] = 4.0
    assert found(sc, eu) == [({"condition": "profiles", "region": "eastern_partnership", "year": 2009}, 3.0, 2.0)]


BOTH = [{"id": "profiles", "priorities": ["mobility"], "years": [2010],
         "requires": {"priorities": ["return"], "ratio": 0.5, "lag": 1},
         "existing": {"eastern_partnership": 2, "default": 1}, "allowance": 1.5},
        {"id": "readmission", "priorities": ["return"], "met_from": {"north_africa": 2010, "eastern_partnership": None},
         "allowance": 0.5}]


def rows_of(lp: Any, name: str) -> tuple[list[list[int]], list[float], list[float], list[dict[tuple, float]]]:
    """A block's positions, bounds and each row's entries keyed by the (instrument, priority, region, year) of
    the EU column."""
    block, eu = lp.constraints[name], lp.variables["eu"]
    cell = {eu.start + k: tuple(int(x[k]) for x in eu.positions) for k in range(eu.stop - eu.start)}
    entries = [{cell[int(k)]: float(v) for k, v in zip(lp.A[r].indices, lp.A[r].data, strict=True)}
               for r in range(block.start, block.stop)]
    return ([p.tolist() for p in block.positions], lp.row_lower[block.start:block.stop].tolist(),
            lp.row_upper[block.start:block.stop].tolist(), entries)


def test_both_forms_rows_by_hand() -> None:
    """A ratio condition first (mobility in 2010 only, so 2009 has no row; the East has 2 unlocked, North Africa 1
    by default, but the allowance 1.5 raises North Africa's), then an agreement (return met in North Africa from
    2010, never in the East; 0.5 allowed before). Both blocks are labelled by both conditions and both regions.

    Ratio rows (condition 0, 2010): mobility 2010 of TPMA and ENPI at +1, return 2009 at -0.5, ≤ max(existing,
    1.5): North Africa 1.5, the East 2. Agreement rows (condition 1): return of TPMA and ENPI in North Africa
    2009, the East 2009 and 2010, each ≤ 0.5."""
    lp = fs.assemble(tutorial(*BOTH))
    for name in ("conditions", "condition_ratios"):
        block = lp.constraints[name]
        assert block.coords == (("profiles", "readmission"), ("north_africa", "eastern_partnership"), (2009, 2010))
        assert block.dims == ("condition", "region", "year") and block.kind == "le"
    assert lp.constraints["conditions"].long_name == "conditions on what may be funded (§18)"
    assert lp.constraints["condition_ratios"].long_name == "money unlocked by a prerequisite (§14)"
    ratio_entries = [{(i, MOBILITY, r, 1): 1.0 for i in (TPMA, ENPI)} | {(i, RETURN, r, 0): -0.5 for i in (TPMA, ENPI)}
                     for r in (NA, EAST)]
    assert rows_of(lp, "condition_ratios") == ([[0, 0], [0, 1], [1, 1]], [-np.inf] * 2, [1.5, 2.0], ratio_entries)
    agreement_entries = [{(i, RETURN, r, y): 1.0 for i in (TPMA, ENPI)} for r, y in ((NA, 0), (EAST, 0), (EAST, 1))]
    assert rows_of(lp, "conditions") == ([[1, 1, 1], [0, 1, 1], [0, 0, 1]], [-np.inf] * 3, [0.5] * 3,
                                         agreement_entries)


def test_ratio_rows_without_a_lag_and_an_allowance_below_what_exists() -> None:
    # lag 0: the prerequisite of the same year counts; remittances (TPMA only) on return, ratio 2, East 3 unlocked
    # (allowance 1 below it), North Africa none (default 0): rows for both regions and years
    lp = fs.assemble(tutorial({"id": "r", "priorities": ["remittances"], "allowance": 1,
                               "requires": {"priorities": ["return"], "ratio": 2},
                               "existing": {"eastern_partnership": 3}}))
    positions, lower, upper, entries = rows_of(lp, "condition_ratios")
    assert positions == [[0, 0, 0, 0], [0, 0, 1, 1], [0, 1, 0, 1]] and upper == [1.0, 1.0, 3.0, 3.0]
    assert lower == [-np.inf] * 4
    assert entries[1] == {(TPMA, REMITTANCES, NA, 0): 1.0, (TPMA, REMITTANCES, NA, 1): 1.0,
                          **{(i, RETURN, NA, y): -2.0 for i in (TPMA, ENPI) for y in (0, 1)}}
    assert entries[2] == {(TPMA, REMITTANCES, EAST, 0): 1.0, (TPMA, RETURN, EAST, 0): -2.0,
                          (ENPI, RETURN, EAST, 0): -2.0}


def test_both_forms_checked_with_their_allowances_and_messages() -> None:
    # agreement (allowance 0.5): return in North Africa 0.5 in 2009 (held), in the East 0.75 in 2010 (broken);
    # ratio: mobility 2009 (outside the slice's years) is not counted; North Africa 2010: 1.5 ≤ max(1, 1.5) +
    # 0.5 · 0.5 (held); the East 2010: 3 > 2 + 0.5 · 0 (broken by 1)
    sc = tutorial(*BOTH)
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, RETURN, NA, 0], eu[TPMA, RETURN, EAST, 1] = 0.5, 0.75
    eu[TPMA, MOBILITY, NA] = [4.0, 1.5]
    eu[ENPI, MOBILITY, EAST] = [5.0, 3.0]
    got = check_conditions(plan(sc, eu))
    assert [(v.family, v.rule, v.labels, v.value, v.limit, v.size, v.unit) for v in got] == [
        ("condition_ratios", "money unlocked by a prerequisite",
         {"condition": "profiles", "region": "eastern_partnership", "year": 2010}, 3.0, 2.0, 1.0, "EUR m"),
        ("conditions", "conditions on what may be funded",
         {"condition": "readmission", "region": "eastern_partnership", "year": 2010}, 0.75, 0.5, 0.25, "EUR m")]
    assert [v.message for v in got] == [
        "money unlocked by a prerequisite: commitments up to 2010 on the slice of profiles in eastern_partnership "
        "are EUR 3.000 m, above the money unlocked of EUR 2.000 m (by 1.000)",
        "conditions on what may be funded: commitments in 2010 on the slice of readmission in eastern_partnership, "
        "before the condition is met, are EUR 0.750 m, above the allowance of EUR 0.500 m (by 0.250)"]


def test_ratio_check_without_a_lag_counts_the_same_year() -> None:
    # lag 0, ratio 2: remittances in North Africa 3 in 2009 against return 1 in 2009: 3 > 2 (broken by 1); 2010:
    # 3 + 1 = 4 ≤ 2 · (1 + 1) (held)
    sc = tutorial({"id": "r", "priorities": ["remittances"], "requires": {"priorities": ["return"], "ratio": 2}})
    eu = np.zeros((2, 3, 2, 2))
    eu[TPMA, REMITTANCES, NA] = [3.0, 1.0]
    eu[ENPI, RETURN, NA] = [1.0, 1.0]
    assert found(sc, eu) == [({"condition": "r", "region": "north_africa", "year": 2009}, 3.0, 2.0)]


def problems(*conditions: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(fs.ScenarioError) as err:
        tutorial(*conditions)
    return {p.path: p.message for p in err.value.problems}


def test_units_and_years_refused_by_the_format() -> None:
    years = ("must be a calendar year (a whole number 1900–2200) or null (never met within the plan), got")
    assert problems({"id": "a", "met_from": {}}, {"id": "b", "met_from": [2010]},
                    {"id": "c", "met_from": {"default": 2010}},
                    {"id": "d", "met_from": {"north_africa": 1899, "eastern_partnership": 2201}},
                    {"id": "e", "met_from": {"north_africa": 2009}, "regions": ["north_africa"]},
                    {"id": "f", "priorities": ["mobility"], "regions": ["eastern_partnership"],
                     "requires": {"priorities": ["return"], "ratio": 1},
                     "existing": {"north_africa": 1, "eastern_partnership": 1}},
                    {"id": "i", "priorities": ["mobility"], "requires": {"priorities": ["return"], "ratio": 1},
                     "existing": []}) == {
        "rules.conditions[0].met_from": "give a mapping of units (region ids) to years, at least one; got {}",
        "rules.conditions[1].met_from": "give a mapping of units (region ids) to years, at least one; got [2010]",
        "rules.conditions[2].met_from.default": "unknown region 'default'; valid regions are: eastern_partnership, "
                                                "north_africa",
        "rules.conditions[3].met_from.north_africa": f"the year the condition is met in north_africa {years} 1899",
        "rules.conditions[3].met_from.eastern_partnership": "the year the condition is met in eastern_partnership "
                                                            f"{years} 2201",
        "rules.conditions[4].regions": "regions lists the units a ratio condition (requires) holds for; an agreement "
                                       "condition names its units in met_from",
        "rules.conditions[5].existing": "existing names ['north_africa'], which are not among the condition's regions "
                                        "['eastern_partnership']; add them to regions or drop them",
        "rules.conditions[6].existing": "give a mapping of units (region ids) to EUR m, at least one; got []"}


def test_the_format_builds_both_forms_with_every_field() -> None:
    # the calendar's ends 1900 and 2200 are years; the listed regions take the default where existing has none
    sc = tutorial({"id": "a", "met_from": {"north_africa": 1900, "eastern_partnership": 2200},
                   "instruments": ["enpi"], "years": [2010], "allowance": 0.25},
                  {"id": "b", "priorities": ["mobility"], "regions": ["north_africa", "eastern_partnership"],
                   "requires": {"priorities": ["return"], "instruments": ["tpma"], "ratio": 1, "lag": 2},
                   "existing": {"eastern_partnership": 2, "default": 1}, "allowance": 0.5})
    both = (("north_africa", frozenset({"north_africa"})), ("eastern_partnership", frozenset({"eastern_partnership"})))
    assert sc.rules.conditions == (
        Condition("a", Selector(frozenset({"enpi"}), None, None, frozenset({2010}), label="a"), both,
                  met_from=(1900, 2200), allowance=0.25),
        Condition("b", Selector(priorities=frozenset({"mobility"}), label="b"), both,
                  requires=Selector(frozenset({"tpma"}), frozenset({"return"})), ratio=1.0, lag=2,
                  existing=(1.0, 2.0), allowance=0.5))


def test_every_overlap_and_every_repeated_id_is_reported() -> None:
    assert problems({"id": "g", "priorities": ["mobility"], "requires": {"priorities": ["mobility"], "ratio": 1}},
                    {"id": "h", "priorities": ["return"], "requires": {"priorities": ["return"], "ratio": 1}}) == {
        f"rules.conditions[{n}].requires": f"the condition {c!r}: its prerequisite slice overlaps the conditioned "
                                           f"slice (on the priorities {p}); give a prerequisite disjoint from what it "
                                           "conditions" for n, c, p in ((0, "g", "mobility"), (1, "h", "return"))}
    again = {"id": "g", "met_from": {"north_africa": 2009}}
    assert problems(again, again, again) == {
        f"rules.conditions[{n}].id": "the condition id 'g' is used twice (first at conditions[0]); give each "
                                     "condition its own id" for n in (1, 2)}


def test_every_year_of_every_unit_is_checked() -> None:
    # never met in either region: return money in both years of both regions is reported, in unit then year
    # order; a ratio condition broken in both years of one unit reports both
    sc = tutorial({"id": "a", "priorities": ["return"],
                   "met_from": {"north_africa": None, "eastern_partnership": None}},
                  {"id": "b", "priorities": ["mobility"], "requires": {"priorities": ["remittances"], "ratio": 1}})
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, RETURN] = [[1.0, 2.0], [3.0, 4.0]]
    eu[ENPI, MOBILITY, EAST] = [1.0, 1.0]
    assert found(sc, eu) == [
        ({"condition": "a", "region": r, "year": y}, v, 0.0)
        for r, y, v in (("north_africa", 2009, 1.0), ("north_africa", 2010, 2.0), ("eastern_partnership", 2009, 3.0),
                        ("eastern_partnership", 2010, 4.0))] + [
        ({"condition": "b", "region": "eastern_partnership", "year": y}, v, 0.0) for y, v in ((2009, 1.0), (2010, 2.0))]


def test_a_ratio_condition_after_an_agreement_gets_its_rows() -> None:
    # the agreement first (condition 0), the ratio of both_forms second (condition 1): its rows are still made,
    # labelled by its own index
    lp = fs.assemble(tutorial(BOTH[1], BOTH[0]))
    assert lp.constraints["condition_ratios"].coords[0] == ("readmission", "profiles")
    assert rows_of(lp, "condition_ratios")[0] == [[1, 1], [0, 1], [1, 1]]
    assert rows_of(lp, "conditions")[0] == [[0, 0, 0], [0, 1, 1], [0, 0, 1]]
