"""Countries as planning units: a region planned in parts (its countries on their own and its rest), rules and
capacities at either level, results both ways.

The hand-solved case is the tutorial (optimum 130) with Morocco planned on its own inside North Africa: North
Africa's absorption capacity of 25 a year now holds for Morocco and the rest of North Africa together, Morocco
absorbs at most 10 a year on its own, and return is worth 2.5 per EUR m in Morocco (2.0 elsewhere in North
Africa). The 15 of remittances (weight 3, the development cap of 25 % of 60) go anywhere in North Africa; return
fills Morocco's 20 first (2.5), then the 15 left of North Africa's 50 (2.0), and the 10 of money left goes to
mobility in the East (1.5): 45 + 50 + 30 + 15 = 140.
"""

from __future__ import annotations

import contextlib
import copy
import pathlib
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import scenarios as base_scenarios

import fundsim as fs
from fundsim.montecarlo import Evaluation, run_values
from fundsim.results.inputs import AllocationFileError
from fundsim.rules import Plan
from fundsim.testing import assert_allocation_feasible, violations

TUTORIAL = pathlib.Path("scenarios/tutorial.yaml")


def planned(**changes: Any) -> dict[str, Any]:
    raw = yaml.safe_load(TUTORIAL.read_text())
    raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Algeria", "Tunisia"]
    raw["absorption"]["capacity"]["morocco"] = 10
    raw["objective"]["impact"]["weights"]["cells"].append({"priority": "return", "region": "morocco",
                                                           "weight": 2.5})
    raw.update(changes)
    return raw


def units_total(alloc: fs.Allocation, unit: str, priority: str | None = None) -> float:
    eu = alloc.data["eu"].sel(region=unit)
    return float((eu if priority is None else eu.sel(priority=priority)).sum())


def test_a_planned_country_is_a_planning_unit_of_its_region() -> None:
    sc = fs.scenario_from_dict(planned())
    assert sc.region_ids == ("morocco", "north_africa_rest", "eastern_partnership")
    assert [r.level for r in sc.regions] == ["country", "rest", "region"]
    assert sc.region_of == ("north_africa", "north_africa", "eastern_partnership")
    assert sc.regions[1].countries == ("Algeria", "Tunisia")
    assert sc.units_of("north_africa").tolist() == [0, 1]
    assert sc.regions[0].group == sc.regions[1].group == "south"
    # the region's 25 is shared; Morocco's own 10 is its own; the rest has none of its own
    assert [s.area for s in sc.absorption.shared] == ["north_africa"]
    assert sc.absorption.capacity[:, 0].tolist() == [10.0, np.inf, np.inf]
    # a rule naming the region covers its units: every instrument may fund both
    assert all({"morocco", "north_africa_rest"} <= ins.regions for ins in sc.instruments)


def test_the_hand_solved_optimum_on_both_solvers() -> None:
    sc = fs.scenario_from_dict(planned())
    for solver in ("highs", "pulp"):
        alloc = fs.solve(sc, solver=solver)
        assert alloc.objective == pytest.approx(140.0, abs=1e-6)
        assert units_total(alloc, "morocco", "return") == pytest.approx(20.0, abs=1e-6)
        assert units_total(alloc, "north_africa_rest", "return") == pytest.approx(15.0, abs=1e-6)
        assert units_total(alloc, "morocco", "remittances") + units_total(
            alloc, "north_africa_rest", "remittances") == pytest.approx(15.0, abs=1e-6)
        assert units_total(alloc, "eastern_partnership") == pytest.approx(10.0, abs=1e-6)
        assert_allocation_feasible(sc, alloc)


def test_shadow_prices_of_the_country_and_of_its_region() -> None:
    alloc = fs.solve(fs.scenario_from_dict(planned()))
    duals = alloc.duals["absorption"]
    # one more EUR m in Morocco moves return from the rest (2.0) to Morocco (2.5); one more in North Africa takes
    # one from mobility in the East (1.5) to return (2.0): 0.5 each
    assert duals.sel(region="morocco").values.tolist() == pytest.approx([0.5, 0.5])
    assert duals.sel(region="north_africa").values.tolist() == pytest.approx([0.5, 0.5])


def test_the_region_view_and_the_unit_view_add_up() -> None:
    alloc = fs.solve(fs.scenario_from_dict(planned()))
    units, whole = alloc.by_region("unit"), alloc.by_region()
    assert units.loc["morocco", "level"] == "country" and units.loc["morocco", "in_region"] == "north_africa"
    assert whole.index.tolist() == ["north_africa", "eastern_partnership"]
    assert whole.loc["north_africa", "eu"] == pytest.approx(50.0)
    assert whole["eu"].sum() == pytest.approx(units["eu"].sum())
    with pytest.raises(ValueError, match="level must be"):
        alloc.by_region("country")


def test_a_limit_on_the_whole_region_and_a_package_for_the_country() -> None:
    # at most 40 to North Africa: return 25 (Morocco's 20 first), mobility in the East 20: 45 + 50 + 10 + 30 = 135
    raw = planned()
    raw["rules"]["region_limits"] = [{"region": "north_africa", "max": 40}]
    alloc = fs.solve(fs.scenario_from_dict(raw))
    assert alloc.objective == pytest.approx(135.0, abs=1e-6)
    assert units_total(alloc, "morocco", "return") == pytest.approx(20.0, abs=1e-6)
    assert alloc.duals["region_limits"].sel(region="north_africa").item() == pytest.approx(0.5)
    # a mobility package of 4 for Morocco takes 4 of Morocco's 20 of capacity from return (2.5) and, through North
    # Africa's 50, 4 from return in all: return 16 + 15, mobility 4 in Morocco (1.0): 45 + 4 + 40 + 30 + 15 = 134
    raw = planned()
    raw["rules"]["min_packages"] = [{"region": "morocco", "amount": 4, "priorities": ["mobility"]}]
    alloc = fs.solve(fs.scenario_from_dict(raw))
    assert alloc.objective == pytest.approx(134.0, abs=1e-6)
    assert units_total(alloc, "morocco", "mobility") == pytest.approx(4.0, abs=1e-6)
    assert units_total(alloc, "morocco", "return") == pytest.approx(16.0, abs=1e-6)


def test_the_checker_holds_the_region_to_its_shared_capacity() -> None:
    sc = fs.scenario_from_dict(planned())
    eu = np.zeros((2, 3, 3, 2))
    eu[1, 1, 0, 0] = 10.0  # enpi, return, morocco, 2009: within Morocco's 10
    eu[1, 1, 1, 0] = 18.0  # enpi, return, north_africa_rest, 2009: together 28 > 25
    plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    from fundsim.rules.absorption import check_absorption

    found = [(v.labels, v.value, v.limit) for v in check_absorption(plan)]
    assert found == [({"region": "north_africa", "year": 2009}, 28.0, 25.0)]


def test_a_country_capacity_stated_for_the_partner_match_is_its_own() -> None:
    raw = planned()
    raw["match_sources"].append({"id": "partners", "per_region": True,
                                 "capacity": {"north_africa": 1.0, "morocco": 0.5}})
    raw["instruments"][0]["cofinancing"] = {"max_eu_share": 0.8, "match_source": "partners"}
    sc = fs.scenario_from_dict(raw)
    source = sc.match_sources[1]
    assert source.capacity[:, 0].tolist() == [0.5, np.inf, np.inf]
    assert [s.area for s in source.shared] == ["north_africa"]
    alloc = fs.solve(sc)
    cofin = alloc.data["cofin"].sel(instrument="tpma").sum(["priority"])
    # TPMA draws 0.25 per EUR m: at most 0.5 a year in Morocco, 1.0 a year in North Africa as a whole
    assert float(cofin.sel(region="morocco").max()) <= 0.5 + 1e-9
    assert float(cofin.sel(region=["morocco", "north_africa_rest"]).sum("region").max()) <= 1.0 + 1e-9
    assert_allocation_feasible(sc, alloc)


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r["regions"][0]["countries"].append({"id": "eastern_partnership"}), "already used by a region"),
    (lambda r: r["regions"][1].update(rest={"id": "ep_rest"}), "no country of the region is planned"),
    (lambda r: r["regions"][0]["countries"].append("Morocco"), "listed more than once"),
    (lambda r: r["rules"].update(region_limits=[{"region": "marocco", "max": 3}]), "did you mean 'morocco'"),
    (lambda r: r["rules"].update(mobility_partnerships={"candidates": ["north_africa"], "max_new": 1,
                                                        "package": 3}), "planned in parts"),
])
def test_mistakes_are_located_and_say_what_is_valid(change: Any, message: str) -> None:
    raw = planned()
    change(raw)
    with pytest.raises(fs.ScenarioError, match=message):
        fs.scenario_from_dict(raw)


def test_a_country_can_be_a_partnership_candidate() -> None:
    raw = planned()
    raw["rules"]["mobility_partnerships"] = {"candidates": ["morocco", "eastern_partnership"], "max_new": 1,
                                             "package": 6, "priorities": ["mobility"]}
    alloc = fs.solve(fs.scenario_from_dict(raw))
    assert_allocation_feasible(alloc.scenario, alloc)
    chosen = alloc.data["partnership"].to_series().dropna()
    assert chosen.sum() == pytest.approx(1.0) and set(chosen.index) == {"morocco", "eastern_partnership"}


# ---- properties over generated scenarios -------------------------------------------------------------------
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(spec: dict[str, Any], parts: int) -> dict[str, Any]:
    """The first region planned in ``parts`` countries, everything else still stated for the whole region."""
    out = copy.deepcopy(spec)
    region = out["regions"][0]
    region["countries"] = [{"id": f"{region['id']}_c{n}"} for n in range(parts)] + ["Other"]
    return out


def _objective(spec: dict[str, Any]) -> float | None:
    try:
        return fs.solve(fs.scenario_from_dict(spec)).objective
    except fs.InfeasibleError:
        return None


@SETTINGS
@given(base_scenarios(), st.integers(1, 2))
@pytest.mark.filterwarnings("ignore::fundsim.errors.FundsimWarning")
def test_planning_a_region_in_parts_keeps_a_linear_optimum(spec: dict[str, Any], parts: int) -> None:
    """With every rule stated for the whole region and linear impact, splitting a region changes nothing: a plan
    of the parts adds up to a plan of the region, and a plan of the region is one of the parts (all in the rest).
    With diminishing returns per cell it can only gain (each unit has its own first segments)."""
    base = _objective(spec)
    split = _split(spec, parts)
    alloc = None
    with contextlib.suppress(fs.InfeasibleError):
        alloc = fs.solve(fs.scenario_from_dict(split))
    assert (base is None) == (alloc is None)
    if alloc is None or base is None:
        return
    assert_allocation_feasible(alloc.scenario, alloc)
    if "diminishing_returns" in spec["objective"]["impact"]:
        assert alloc.objective >= base - 1e-6 * max(1.0, abs(base))
    else:
        assert alloc.objective == pytest.approx(base, rel=1e-6, abs=1e-6)


@SETTINGS
@given(base_scenarios(), st.integers(0, 20), st.integers(0, 8))
@pytest.mark.filterwarnings("ignore::fundsim.errors.FundsimWarning")
def test_country_level_rules_hold_and_never_help(spec: dict[str, Any], capacity: int, package: int) -> None:
    split = _split(spec, 2)
    country = split["regions"][0]["countries"][0]["id"]
    before = _objective(split)
    tighter = copy.deepcopy(split)
    tighter["absorption"]["capacity"][country] = capacity
    tighter["rules"]["min_packages"] = [*tighter["rules"].get("min_packages", []),
                                        {"region": country, "amount": package}]
    try:
        alloc = fs.solve(fs.scenario_from_dict(tighter))
    except fs.InfeasibleError:
        return
    assert_allocation_feasible(alloc.scenario, alloc)
    assert not violations(alloc.scenario, alloc)
    if before is not None:
        assert alloc.objective <= before + 1e-6 * max(1.0, abs(before))
    money = alloc.data["eu"].sel(region=country).sum(["instrument", "priority"]).values
    assert float(money.sum()) >= package - 1e-6


def test_monte_carlo_draws_the_capacity_of_a_region_planned_in_parts() -> None:
    """North Africa's shared capacity drawn at 60 %: 15 a year for Morocco and the rest together. Remittances keep
    their 15, return gets the other 15 all in Morocco (2.5; its own 20 leave room), and the East gets 30 of
    mobility (1.5): 45 + 37.5 + 45 = 127.5. The remittance weight of the region (a path naming North Africa)
    moves both units' weight: at 0.8 remittances are worth 2.4 anywhere in North Africa, less than return in
    Morocco (2.5), so Morocco's 20 of return come first and remittances get the 10 left: 50 + 24 + 45 = 119 (had
    one unit kept its 3.0, remittances would go there and the optimum would stay 127.5)."""
    raw = planned()
    raw["uncertainty"] = {"parameters": [
        {"id": "na_absorption", "path": "absorption.capacity.north_africa",
         "distribution": {"kind": "uniform", "low": 0.5, "high": 1.0}},
        {"id": "remittance_value", "path": "objective.impact.weights.remittances.north_africa",
         "distribution": {"kind": "uniform", "low": 0.8, "high": 1.2}}]}
    sc = fs.scenario_from_dict(raw)
    out = run_values(sc, np.array([[1.0, 1.0], [0.6, 1.0], [0.6, 0.8]]))
    assert out["objective"].values.tolist() == pytest.approx([140.0, 127.5, 119.0], abs=1e-6)
    plan = fs.solve(sc)
    stressed = run_values(sc, np.array([[1.0, 1.0]]), Evaluation("stress", plan=plan))
    assert float(stressed["lost_to_decommitment"][0]) == pytest.approx(0.0, abs=1e-9)


def test_a_study_output_may_name_a_region_planned_in_parts() -> None:
    """``region:north_africa`` is the sum over Morocco and the rest: 50 at the plan's numbers, 30 when North Africa's
    shared capacity is swept down to 15 a year (the case above)."""
    from fundsim.sensitivity import sweep

    sc = fs.scenario_from_dict(planned())
    out = sweep(sc, "absorption.capacity.north_africa", [25, 15], outputs=["region:north_africa", "region:morocco"])
    assert out["region:north_africa"].values.tolist() == pytest.approx([50.0, 30.0], abs=1e-6)
    morocco = out["region:morocco"].values  # at 15 a year: its 15 of return, and perhaps up to 5 of remittances
    assert morocco[0] == pytest.approx(20.0, abs=1e-6) and 15.0 - 1e-6 <= morocco[1] <= 20.0 + 1e-6


def test_an_allocation_file_naming_a_region_planned_in_parts_says_which_units_to_use(tmp_path: pathlib.Path
                                                                                      ) -> None:
    sc = fs.scenario_from_dict(planned())
    path = tmp_path / "plan.csv"
    path.write_text("instrument,priority,region,year,amount\ntpma,return,north_africa,2009,5\n"
                    "tpma,return,morocco,2009,5\n")
    with pytest.raises(AllocationFileError, match="'north_africa' is a region planned in parts: give each row to one "
                                                  "of its units, 'morocco', 'north_africa_rest'") as caught:
        fs.read_allocation(path, sc)
    assert "plan.csv:2: column 'region'" in str(caught.value)
