"""Conditions on what may be funded (``rules: conditions:``, 16041/08 §18 and §14), worked by hand on
scenarios/tutorial.yaml.

The tutorial's optimum is 130. Each year TPMA has 10 and ENPI 20; North Africa absorbs 25 a year, so 5 a year go
to the Eastern Partnership (worth 1.5 per EUR m as mobility, 1 as return; remittances, also 1 there, are full:
their 25 % ceiling, 15, goes to North Africa at 3). North Africa holds 15 of remittances and 35 of return:
45 + 70 = 115 in every case below; what the conditions change is the East's 10.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import yaml

import fundsim as fs
from fundsim.diagnose import diagnose, repair
from fundsim.model import Condition, Selector
from fundsim.rules import Plan, families, row_spec
from fundsim.rules.conditions import check_conditions
from fundsim.testing import assert_allocation_feasible, violations

TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1
READMISSION = {"id": "readmission_first", "pillars": ["legal"], "met_from": {"eastern_partnership": 2010},
               "source": "a readmission agreement in force from 2010 (a test figure)"}
PROFILES = {"id": "profiles", "priorities": ["mobility"], "requires": {"priorities": ["return"], "ratio": 0.5,
                                                                       "lag": 1},
            "existing": {"eastern_partnership": 2}, "assumption": "a test ratio"}
SOLVERS = ["highs", "pulp"]


def tutorial(*conditions: dict[str, Any], **rules: Any) -> fs.Scenario:
    raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text(encoding="utf-8"))
    raw["rules"]["conditions"] = list(conditions)
    raw["rules"].update(rules)
    return fs.scenario_from_dict(raw)


def east(alloc: fs.Allocation, priority: str) -> list[float]:
    return alloc.data["eu"].sel(priority=priority, region="eastern_partnership").sum("instrument").values.tolist()


def _plan(sc: fs.Scenario, eu: np.ndarray) -> Plan:
    return Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
def test_money_waits_for_the_readmission_agreement(solver: str) -> None:
    # mobility in the East is allowed from 2010: 2009's 5 go to return there (1 instead of 1.5), 2010's 5 to
    # mobility. 115 + 5·1 + 5·1.5 = 127.5; one EUR m allowed before the agreement swaps return for mobility: 0.5
    sc = tutorial(READMISSION)
    alloc = fs.solve(sc, solver=solver)
    assert alloc.objective == pytest.approx(127.5)
    assert east(alloc, "mobility") == pytest.approx([0.0, 5.0], abs=1e-9)
    assert east(alloc, "return") == pytest.approx([5.0, 0.0], abs=1e-9)
    price = alloc.duals["conditions"]
    assert price.dims == ("condition", "region", "year")
    assert float(price.sel(condition="readmission_first", region="eastern_partnership", year=2009)) == \
        pytest.approx(0.5)
    assert np.isnan(price.sel(condition="readmission_first", region="eastern_partnership", year=2010))  # no row
    assert np.isnan(price.sel(region="north_africa")).all()  # not listed: not conditioned
    assert_allocation_feasible(sc, alloc)


@pytest.mark.parametrize("solver", SOLVERS)
def test_money_unlocked_in_proportion_to_a_prerequisite(solver: str) -> None:
    # East: mob09 ≤ 2, mob09 + mob10 ≤ 2 + 0.5·ret09, 5 a year. Every EUR m of mobility in 2009 takes one from
    # 2009's return and so half a EUR m from 2010's bound: mob09 = 0, ret09 = 5, mob10 = 4.5, ret10 = 0.5.
    # 115 + 5 + 4.5·1.5 + 0.5 = 127.25; one EUR m more unlocked by 2010 turns return into mobility: 0.5
    sc = tutorial(PROFILES)
    alloc = fs.solve(sc, solver=solver)
    assert alloc.objective == pytest.approx(127.25)
    assert east(alloc, "mobility") == pytest.approx([0.0, 4.5], abs=1e-9)
    assert east(alloc, "return") == pytest.approx([5.0, 0.5], abs=1e-9)
    price = alloc.duals["condition_ratios"].sel(condition="profiles")
    assert price.sel(region="eastern_partnership").values.tolist() == pytest.approx([0.0, 0.5], abs=1e-9)
    assert price.sel(region="north_africa").values.tolist() == pytest.approx([0.0, 0.0], abs=1e-9)
    assert_allocation_feasible(sc, alloc)


def test_without_existing_every_region_starts_from_nothing() -> None:
    # mob09 ≤ 0, mob10 ≤ 0.5·5: 115 + 5 + 2.5·1.5 + 2.5 = 126.25
    sc = tutorial({**PROFILES, "existing": None})
    assert [c.planned(sc.region_ids).existing for c in sc.rules.conditions] == [(0.0, 0.0)]
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(126.25)
    assert east(alloc, "mobility") == pytest.approx([0.0, 2.5], abs=1e-9)


def test_met_before_the_plan_never_and_unlisted() -> None:
    met = tutorial({**READMISSION, "met_from": {"eastern_partnership": 2008}})
    assert fs.solve(met).objective == pytest.approx(130.0)
    assert "conditions" not in fs.assemble(met).constraints
    never = tutorial({**READMISSION, "met_from": {"eastern_partnership": None}})  # the East's 10 go to return
    alloc = fs.solve(never)
    assert alloc.objective == pytest.approx(125.0)
    assert east(alloc, "mobility") == pytest.approx([0.0, 0.0], abs=1e-9)
    late = tutorial({**READMISSION, "met_from": {"eastern_partnership": 2030}})
    assert fs.solve(late).objective == pytest.approx(125.0)


def test_a_scenario_without_conditions_is_unchanged() -> None:
    sc = tutorial()
    assert sc.rules.conditions == ()
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(130.0)
    assert not {"conditions", "condition_ratios"} & set(fs.assemble(sc).constraints)
    base = fs.load_scenario("scenarios/tutorial.yaml")
    assert fs.assemble(base).A.shape == fs.assemble(sc).A.shape


def test_the_checker_finds_money_before_the_agreement() -> None:
    sc = tutorial(READMISSION)
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, MOBILITY, EAST] = [4.0, 6.0]
    eu[TPMA, MOBILITY, NA] = [3.0, 3.0]  # North Africa is not conditioned
    found = check_conditions(_plan(sc, eu))
    assert [(v.family, dict(v.labels), v.value, v.limit, v.size) for v in found] == [
        ("conditions", {"condition": "readmission_first", "region": "eastern_partnership", "year": 2009}, 4.0, 0.0,
         4.0)]
    assert "before the condition is met" in found[0].message


def test_the_checker_finds_money_beyond_what_the_prerequisite_unlocks() -> None:
    sc = tutorial(PROFILES)
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, RETURN, EAST] = [4.0, 0.0]
    eu[ENPI, MOBILITY, EAST] = [2.0, 2.5]  # 2 ≤ 2 in 2009; 4.5 > 2 + 0.5·4 = 4 by 2010
    eu[TPMA, MOBILITY, NA] = [0.0, 1.0]  # 1 > 0 + 0.5·0 by 2010
    found = check_conditions(_plan(sc, eu))
    assert [(dict(v.labels), v.value, v.limit) for v in found] == [  # the units listed first, then the default's
        ({"condition": "profiles", "region": "eastern_partnership", "year": 2010}, 4.5, 4.0),
        ({"condition": "profiles", "region": "north_africa", "year": 2010}, 1.0, 0.0)]


def test_fundsim_testing_reaches_the_check() -> None:
    sc = tutorial(READMISSION)
    data = fs.solve(sc).data.copy(deep=True)
    eu = np.zeros(data["eu"].shape)
    eu[ENPI, MOBILITY, EAST, 0] = 3.0
    data["eu"].values[:] = eu
    found = [v for v in violations(sc, data) if v.family == "conditions"]
    assert [(v.labels["year"], v.value, v.limit) for v in found] == [(2009, 3.0, 0.0)]


def test_a_condition_that_cannot_be_met_is_explained_by_diagnose() -> None:
    # a package of 10 on mobility in the East, whose readmission agreement is never met within the plan
    sc = tutorial({**READMISSION, "met_from": {"eastern_partnership": None}},
                  min_packages=[{"region": "eastern_partnership", "amount": 10, "priorities": ["mobility"]}])
    d = diagnose(sc, alternatives=2)
    ours = [n for n, alt in enumerate(d.repairs) if {r.rule for r in alt} == {"conditions"}]
    assert ours, d.lines
    alt = d.repairs[ours[0]]
    assert sum(r.change for r in alt) == pytest.approx(10.0)
    assert all("the money allowed on the slice of the condition 'readmission_first' in 'eastern_partnership'"
               in r.text for r in alt)
    fixed = repair(sc, d, ours[0])
    assert fixed.rules.conditions[0].allowance >= 5.0
    alloc = fs.solve(fixed)
    assert sum(east(alloc, "mobility")) == pytest.approx(10.0)


def test_the_scenario_format_and_its_errors() -> None:
    sc = tutorial(READMISSION, {**PROFILES, "existing": {"north_africa": {"value": 30, "source": "profiles made"},
                                                        "default": 1}})
    agreement, ratio = sc.rules.conditions
    assert agreement.selector.priorities == frozenset({"mobility"}) and agreement.selector.regions is None
    assert (agreement.units, agreement.met_from) == ((("eastern_partnership", frozenset({"eastern_partnership"})),),
                                                     (2010,))
    planned = ratio.planned(sc.region_ids)
    assert ([u for u, _ in planned.units], planned.existing) == (["north_africa", "eastern_partnership"], (30.0, 1.0))
    assert (ratio.ratio, ratio.lag, ratio.requires.priorities) == (0.5, 1, frozenset({"return"}))
    with pytest.raises(fs.ScenarioError) as err:
        tutorial({**READMISSION, "met_from": {"eastern_partnershp": 2010, "north_africa": 2009.5}},
                 {**PROFILES, "requires": {"priorities": ["return"], "ratio": -1, "lag": -1},
                  "existing": {"north_afrika": 3, "default": -2}},
                 {"id": "both", **{k: PROFILES[k] for k in ("requires",)}, "met_from": {"north_africa": 2009}},
                 {"id": "neither"},
                 {"id": "stray", "met_from": {"north_africa": 2009}, "existing": {"north_africa": 1}},
                 {"id": "readmission_first", "met_from": {"north_africa": 2009}},
                 {"id": "wrong_year", "years": [2011], "met_from": {"north_africa": 2009}})
    lines = {p.path: p.message for p in err.value.problems}
    assert lines["rules.conditions[0].met_from.eastern_partnershp"].startswith(
        "unknown region 'eastern_partnershp' (did you mean 'eastern_partnership'?); valid regions are")
    assert lines["rules.conditions[0].met_from.north_africa"].startswith(
        "the year the condition is met in north_africa must be a calendar year (a whole number 1900–2200) or null")
    assert lines["rules.conditions[1].requires.ratio"] == ("must be ≥ 0 (EUR m unlocked per EUR m of the "
                                                           "prerequisite); got -1")
    assert lines["rules.conditions[1].requires.lag"].startswith("must be ≥ 0 (years)")
    assert lines["rules.conditions[1].existing.north_afrika"].startswith("unknown region 'north_afrika'")
    assert lines["rules.conditions[1].existing.default"].startswith("the existing allowance of default must be a "
                                                                   "finite number ≥ 0")
    assert lines["rules.conditions[2]"].startswith("give met_from (allowed from the year a condition is met, per "
                                                   "unit) or requires")
    assert lines["rules.conditions[2]"].endswith("not both; both are given")
    assert lines["rules.conditions[3]"].endswith("neither is given")
    assert lines["rules.conditions[4].existing"].startswith("existing (EUR m already unlocked per unit) belongs to")
    assert lines["rules.conditions[6].years[0]"] == "year 2011 is not a scenario year; the years are 2009, 2010"
    with pytest.raises(fs.ScenarioError) as err:
        tutorial(READMISSION, {**READMISSION, "met_from": {"north_africa": 2009}})
    assert [(p.path, p.message) for p in err.value.problems] == [
        ("rules.conditions[1].id", "the condition id 'readmission_first' is used twice (first at conditions[0]); "
                                   "give each condition its own id")]


def test_a_prerequisite_overlapping_what_it_conditions_is_refused() -> None:
    # the legal pillar is mobility: a prerequisite on it overlaps the conditioned priority
    with pytest.raises(fs.ScenarioError) as err:
        tutorial({**PROFILES, "requires": {"pillars": ["legal"], "ratio": 1}})
    assert [(p.path, p.message) for p in err.value.problems] == [
        ("rules.conditions[0].requires", "the condition 'profiles': its prerequisite slice overlaps the conditioned "
                                         "slice (on the priorities mobility); give a prerequisite disjoint from what "
                                         "it conditions")]
    # the same priorities on other instruments do not overlap
    sc = tutorial({**PROFILES, "instruments": ["enpi"], "requires": {"priorities": ["mobility"], "instruments":
                                                                      ["tpma"], "ratio": 1}})
    assert sc.rules.conditions[0].requires.instruments == frozenset({"tpma"})


def test_the_domain_object_checks_itself() -> None:
    one = (("north_africa", frozenset({"north_africa"})),)
    mobility = Selector(priorities=frozenset({"mobility"}))
    with pytest.raises(ValueError, match="an agreement condition gives met_from for each of its 1 units"):
        Condition("c", mobility, one)
    with pytest.raises(ValueError, match=r"the lag of the condition 'c' must be a whole number ≥ 0, got 0\.5"):
        Condition("c", mobility, one, requires=Selector(priorities=frozenset({"return"})), ratio=1.0, lag=0.5,
                  existing=(0.0,))
    with pytest.raises(ValueError, match="overlaps the conditioned slice \\(on every priority\\)"):
        Condition("c", Selector(), one, requires=Selector(), ratio=1.0, existing=(0.0,))


def test_the_family_is_registered_with_its_rows_and_repairs() -> None:
    assert "conditions" in [f.name for f in families()]
    for name in ("conditions", "condition_ratios"):
        spec = row_spec(name)
        assert spec.dims == ("condition", "region", "year") and spec.ranged
        assert spec.repair.section == "conditions" and spec.repair.upper == "allowance"
    words = row_spec("conditions").repair.words({"condition": "r", "region": "x", "year": 2009}, "upper")
    assert words == "the money allowed on the slice of the condition 'r' in 'x' in 2009 before it is met"


def test_a_ratio_condition_can_hold_for_some_units_only() -> None:
    """The profile rule for the Eastern Partnership alone: North Africa is not conditioned, so the optimum is that of
    the condition in the East (127.25, as above) with nothing asked of North Africa."""
    raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    raw["rules"]["conditions"] = [{"id": "profiles", "pillars": ["legal"], "regions": ["eastern_partnership"],
                                   "requires": {"priorities": ["return"], "ratio": 0.5, "lag": 1},
                                   "existing": {"eastern_partnership": 2}}]
    sc = fs.scenario_from_dict(raw)
    assert [u for u, _ in sc.rules.conditions[0].units] == ["eastern_partnership"]
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(127.25, abs=1e-6)
    raw["rules"]["conditions"][0]["existing"] = {"north_africa": 2}
    with pytest.raises(fs.ScenarioError, match="not among the condition's regions"):
        fs.scenario_from_dict(raw)
