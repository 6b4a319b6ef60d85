"""Each rule family on a scenario small enough to solve by hand.

Every test solves a tiny scenario, checks the allocation with
:func:`fundsim.testing.assert_allocation_feasible` (which re-reads the rules from the domain objects,
not from the LP), and then checks that the rule changes the answer as worked out by hand: the money
it moves, the objective and the sign and size of its shadow price. Shadow prices are per unit of
relaxation (fundsim/results/label.py): ≥ 0 for a binding rule of a maximisation, ≤ 0 of a minimisation.
The last part checks that the checker itself catches allocations that break a rule, in domain words.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import fundsim as fs
from fundsim.results.allocation import allocation_dataset
from fundsim.testing import assert_allocation_feasible

ROOT = Path(__file__).resolve().parents[1]
NA, EP, WB = "north_africa", "eastern_partnership", "western_balkans"
THREE_REGIONS = [{"id": NA, "group": "south"}, {"id": EP, "group": "east"}, {"id": WB, "group": "south_east"}]


def spec(**changes: Any) -> dict[str, Any]:
    """Two years, two regions, three priorities (one per pillar), one instrument of EUR 20 m a year.

    Impact is one per EUR m of EU money everywhere unless ``objective`` says otherwise.
    """
    data: dict[str, Any] = {
        "name": "rules",
        "years": [2009, 2010],
        "pillars": [{"id": "legal"}, {"id": "irregular"}, {"id": "development"}],
        "regions": [{"id": NA, "group": "south"}, {"id": EP, "group": "east"}],
        "priorities": [
            {"id": "mobility", "pillar": "legal"},
            {"id": "return", "pillar": "irregular"},
            {"id": "remittances", "pillar": "development"},
        ],
        "instruments": [{"id": "fund", "envelope": 20}],
        "objective": {"impact": {"basis": "eu"}},
    }
    data.update(copy.deepcopy(changes))
    return data


def weights(basis: str = "eu", **by: Any) -> dict[str, Any]:
    """An impact objective with weights ``by_region=…``, ``by_priority=…`` or ``cells=[…]``."""
    return {"impact": {"basis": basis, "weights": by}}


def solved(data: dict[str, Any]) -> tuple[fs.Scenario, fs.Allocation]:
    """Solve a scenario and check its allocation against every rule, without the LP."""
    sc = fs.scenario_from_dict(data)
    alloc = fs.solve(sc)
    assert_allocation_feasible(sc, alloc)
    return sc, alloc


def eu_by(alloc: fs.Allocation, *dims: str) -> xr.DataArray:
    """EU commitments summed over every dim but ``dims``."""
    keep = set(dims)
    return alloc.data["eu"].sum([d for d in alloc.data["eu"].dims if d not in keep])


def hand_plan(sc: fs.Scenario, cells: dict[tuple[str, str, str, int], float]) -> xr.Dataset:
    """An allocation written by hand: EU money per cell, co-financing and payments following the rules."""
    eu = xr.DataArray(np.zeros(sc.eligible.shape), coords=sc.coords(), dims=list(sc.coords()))
    for cell, amount in cells.items():
        eu.loc[cell] = amount
    return allocation_dataset(sc, eu.values)


# ---- envelope ----------------------------------------------------------------------------------------
def test_envelope_binds_at_the_marginal_impact() -> None:
    _, alloc = solved(spec(objective=weights(by_region={EP: 2.0})))
    assert alloc.objective == pytest.approx(80.0)  # all 40 to the Eastern Partnership, worth 2 per EUR m
    assert eu_by(alloc, "year").values.tolist() == pytest.approx([20.0, 20.0])
    assert alloc.duals["envelope"].sel(instrument="fund").values.tolist() == pytest.approx([2.0, 2.0])


def test_usable_share_and_yearly_envelope() -> None:
    data = spec(instruments=[{"id": "fund", "envelope": {2009: 10, 2010: 30}, "usable_share": 0.5}])
    _, alloc = solved(data)
    assert eu_by(alloc, "year").values.tolist() == pytest.approx([5.0, 15.0])
    assert alloc.objective == pytest.approx(20.0)


# ---- co-financing and match capacity -------------------------------------------------------------------
COFINANCED = {
    "id": "fund",
    "envelope": 20,
    "cofinancing": {
        "max_eu_share": 0.5,
        "match_source": "member_states",
        "exceptions": [
            {"region_groups": ["south"], "max_eu_share": 0.75},
            {"priorities": ["return"], "max_eu_share": 0.8},  # later: wins for return in North Africa too
        ],
    },
}


def test_cofinancing_exceptions_apply_in_order() -> None:
    data = spec(match_sources=[{"id": "member_states"}], instruments=[COFINANCED],
                objective={"leverage": {"weight": 1.0}})
    sc, alloc = solved(data)
    # co-financing per EUR m of EU money, (1 - s)/s, by hand
    ratio = {("mobility", NA): 1 / 3, ("return", NA): 0.25, ("remittances", NA): 1 / 3,
             ("mobility", EP): 1.0, ("return", EP): 0.25, ("remittances", EP): 1.0}
    got = xr.DataArray(sc.match_ratio[0], coords={"priority": list(sc.priority_ids),
                                                  "region": list(sc.region_ids)})
    for (p, r), k in ratio.items():
        assert float(got.sel(priority=p, region=r)) == pytest.approx(k)
    # leverage alone: every EUR m goes where it mobilises most, the East outside return (k = 1)
    assert float(eu_by(alloc, "region").sel(region=EP)) == pytest.approx(40.0)
    assert float(alloc.data["eu"].sel(region=EP, priority="return").sum()) == pytest.approx(0.0)
    assert float(alloc.data["cofin"].sum()) == pytest.approx(40.0)
    assert alloc.objective == pytest.approx(40.0)


def test_cofinancing_exceptions_in_the_other_order() -> None:
    rule = copy.deepcopy(COFINANCED)
    rule["cofinancing"]["exceptions"].reverse()  # now the South's 75 % wins for return in North Africa
    sc = fs.scenario_from_dict(spec(match_sources=[{"id": "member_states"}], instruments=[rule],
                                    objective={"leverage": {"weight": 1.0}}))
    p, r = sc.priority_ids.index("return"), sc.region_ids.index(NA)
    assert sc.max_eu_share[0, p, r] == pytest.approx(0.75)
    assert_allocation_feasible(sc, fs.solve(sc))


def test_match_capacity_limits_cofinancing_each_year() -> None:
    data = spec(match_sources=[{"id": "member_states", "capacity": {2009: 4, 2010: 100}}],
                instruments=[COFINANCED], objective={"leverage": {"weight": 1.0}})
    _, alloc = solved(data)
    cofin = alloc.data["cofin"].sum(["instrument", "priority", "region"])
    assert cofin.values.tolist() == pytest.approx([4.0, 20.0])
    assert alloc.objective == pytest.approx(24.0)
    dual = alloc.duals["match_capacity"].sel(source="member_states")
    assert dual.values.tolist() == pytest.approx([1.0, 0.0])  # one EUR m more match is one more of leverage


def test_partner_match_capacity_applies_per_region() -> None:
    fund = {
        "id": "fund",
        "envelope": 20,
        "cofinancing": {
            "max_eu_share": 0.5,
            "match_source": "partners",
            "exceptions": [
                {"region_groups": ["south"], "max_eu_share": 0.75, "match_source": "member_states"},
            ],
        },
    }
    data = spec(
        match_sources=[
            {"id": "partners", "per_region": True, "capacity": {EP: 2, NA: 50}},
            {"id": "member_states", "capacity": 3},
        ],
        instruments=[fund],
        objective={"leverage": {"weight": 1.0}},
    )
    _, alloc = solved(data)
    cofin = alloc.data["cofin"].sum(["instrument", "priority"])
    assert cofin.sel(region=EP).values.tolist() == pytest.approx([2.0, 2.0])  # partners in the East
    assert cofin.sel(region=NA).values.tolist() == pytest.approx([3.0, 3.0])  # member states in the South
    assert eu_by(alloc, "region", "year").sel(region=NA).values.tolist() == pytest.approx([9.0, 9.0])
    assert alloc.objective == pytest.approx(10.0)
    partner = alloc.duals["partner_match_capacity"].sel(partner_source="partners", region=EP)
    assert partner.values.tolist() == pytest.approx([1.0, 1.0])
    member_states = alloc.duals["match_capacity"].sel(source="member_states")
    assert member_states.values.tolist() == pytest.approx([1.0, 1.0])


def test_partner_match_capacity_as_one_number_for_every_region() -> None:
    data = spec(match_sources=[{"id": "partners", "per_region": True, "capacity": 1.5}],
                instruments=[{"id": "fund", "envelope": 20,
                              "cofinancing": {"max_eu_share": 0.5, "match_source": "partners"}}],
                objective={"leverage": {"weight": 1.0}})
    _, alloc = solved(data)
    assert alloc.data["cofin"].sum(["instrument", "priority"]).values == pytest.approx(np.full((2, 2), 1.5))
    assert alloc.objective == pytest.approx(6.0)


# ---- absorption -----------------------------------------------------------------------------------------
def test_absorption_caps_eu_payments() -> None:
    free = spec(instruments=[{"id": "fund", "envelope": 30}], objective=weights(by_region={NA: 2.0}))
    _, before = solved(free)
    assert before.objective == pytest.approx(120.0)  # everything to North Africa
    _, alloc = solved({**free, "absorption": {"basis": "eu", "capacity": {NA: 10}}})
    assert eu_by(alloc, "region", "year").sel(region=NA).values.tolist() == pytest.approx([10.0, 10.0])
    assert alloc.objective == pytest.approx(80.0)  # 10·2 + 20·1 a year
    assert alloc.duals["absorption"].sel(region=NA).values.tolist() == pytest.approx([1.0, 1.0])
    assert alloc.duals["absorption"].sel(region=EP).isnull().all()  # unlimited: no rule, no price


def test_absorption_on_total_cost_counts_cofinancing() -> None:
    data = spec(
        match_sources=[{"id": "member_states"}],
        instruments=[{"id": "fund", "envelope": 30,
                      "cofinancing": {"max_eu_share": 0.5, "match_source": "member_states"}}],
        absorption={"basis": "total", "capacity": {NA: 10}},
        objective=weights(by_region={NA: 2.0}),
    )
    _, alloc = solved(data)
    # a EUR m of EU money is two of total cost: North Africa absorbs 5 of EU money a year
    assert eu_by(alloc, "region", "year").sel(region=NA).values.tolist() == pytest.approx([5.0, 5.0])
    assert alloc.objective == pytest.approx(70.0)
    # one more EUR m of capacity lets half a EUR m move from the East (1) to North Africa (2)
    assert alloc.duals["absorption"].sel(region=NA).values.tolist() == pytest.approx([0.5, 0.5])
    eu_only = fs.solve(fs.scenario_from_dict({**data, "absorption": {"basis": "eu", "capacity": {NA: 10}}}))
    assert eu_only.objective == pytest.approx(80.0)


def test_absorption_with_a_multi_year_payment_profile() -> None:
    data = spec(
        years=[2009, 2010, 2011],
        regions=[{"id": NA, "group": "south"}],
        instruments=[{"id": "fund", "envelope": 100, "payment_profile": [0.4, 0.4, 0.2],
                      "decommitment_window": 2}],
        absorption={"basis": "eu", "capacity": {NA: 10}},
    )
    _, alloc = solved(data)
    # pay[y] = 0.4·e[y] + 0.4·e[y-1] + 0.2·e[y-2] ≤ 10: max e0 + e1 + e2 = 25 + e0/2, so e = (25, 0, 12.5)
    assert eu_by(alloc, "year").values.tolist() == pytest.approx([25.0, 0.0, 12.5])
    paid = alloc.data["payments"].sum(["instrument", "priority", "region"])
    assert paid.values.tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert float(alloc.data["payments_after_horizon"].sum()) == pytest.approx(0.6 * 12.5)
    assert alloc.objective == pytest.approx(37.5)
    dual = alloc.duals["absorption"].sel(region=NA)
    assert (dual >= -1e-9).all()
    assert float(dual.sel(year=2011)) == pytest.approx(2.5)  # 0.4 of a last-year EUR m is paid in 2011


# ---- pillar balance and geographic focus ----------------------------------------------------------------
def test_pillar_max_share() -> None:
    data = spec(objective=weights(by_priority={"remittances": 3.0}))
    _, free = solved(data)
    assert free.objective == pytest.approx(120.0)
    _, alloc = solved({**data, "rules": {"pillar_balance": [{"pillar": "development", "max_share": 0.25}]}})
    assert float(eu_by(alloc, "priority").sel(priority="remittances")) == pytest.approx(10.0)
    assert alloc.objective == pytest.approx(60.0)
    # a percentage point more is 0.4 EUR m more remittances, worth 3 - 1 each
    assert float(alloc.duals["pillar_max_share"].sel(pillar="development")) == pytest.approx(0.8)


def test_pillar_min_share() -> None:
    data = spec(objective=weights(by_priority={"mobility": 3.0}),
                rules={"pillar_balance": [{"pillar": "development", "min_share": 0.25}]})
    _, alloc = solved(data)
    assert float(eu_by(alloc, "priority").sel(priority="remittances")) == pytest.approx(10.0)
    assert float(eu_by(alloc, "priority").sel(priority="mobility")) == pytest.approx(30.0)
    assert alloc.objective == pytest.approx(100.0)
    assert float(alloc.duals["pillar_min_share"].sel(pillar="development")) == pytest.approx(0.8)


def test_geographic_focus_min_share() -> None:
    data = spec(objective=weights(by_region={EP: 2.0}),
                rules={"geographic_focus": [{"id": "south", "region_groups": ["south"], "min_share": 0.5}]})
    _, alloc = solved(data)
    assert eu_by(alloc, "region").values.tolist() == pytest.approx([20.0, 20.0])
    assert alloc.objective == pytest.approx(60.0)
    assert float(alloc.duals["focus_min_share"].sel(focus="south")) == pytest.approx(0.4)


def test_geographic_focus_max_share_by_region() -> None:
    data = spec(regions=THREE_REGIONS, objective=weights(by_region={EP: 2.0}),
                rules={"geographic_focus": [{"id": "east", "regions": [EP], "max_share": 0.25}]})
    _, alloc = solved(data)
    assert float(eu_by(alloc, "region").sel(region=EP)) == pytest.approx(10.0)
    assert alloc.objective == pytest.approx(50.0)
    assert float(alloc.duals["focus_max_share"].sel(focus="east")) == pytest.approx(0.4)


# ---- limits, packages, caps -------------------------------------------------------------------------------
def test_region_limits_min_and_max() -> None:
    data = spec(regions=THREE_REGIONS, objective=weights(by_region={EP: 2.0, WB: 1.5}),
                rules={"region_limits": [{"region": EP, "max": 15}, {"region": NA, "min": 10}]})
    _, alloc = solved(data)
    assert eu_by(alloc, "region").values.tolist() == pytest.approx([10.0, 15.0, 15.0])
    assert alloc.objective == pytest.approx(62.5)
    dual = alloc.duals["region_limits"]
    assert float(dual.sel(region=EP)) == pytest.approx(0.5)  # one more in the East, one less in the Balkans
    assert float(dual.sel(region=NA)) == pytest.approx(0.5)  # one less in North Africa, one more there
    assert np.isnan(float(dual.sel(region=WB)))  # no rule, no price


def test_priority_limits_min_and_max() -> None:
    data = spec(objective=weights(by_priority={"remittances": 3.0, "return": 2.0}),
                rules={"priority_limits": [{"priority": "remittances", "max": 10},
                                           {"priority": "mobility", "min": 20}]})
    _, alloc = solved(data)
    assert eu_by(alloc, "priority").values.tolist() == pytest.approx([20.0, 10.0, 10.0])
    assert alloc.objective == pytest.approx(70.0)
    assert alloc.duals["priority_limits"].sel(priority=["remittances", "mobility"]).values.tolist() == \
        pytest.approx([1.0, 1.0])


def test_two_limit_entries_for_one_region_both_hold() -> None:
    data = spec(objective=weights(by_region={EP: 2.0}),
                rules={"region_limits": [{"region": EP, "max": 15}, {"region": EP, "min": 5}]})
    _, alloc = solved(data)  # the checker finds EUR 40 m in the East, above the maximum of 15
    assert float(eu_by(alloc, "region").sel(region=EP)) == pytest.approx(15.0)


def test_min_package_counts_only_its_priorities() -> None:
    cells = [{"priority": "return", "region": NA, "weight": 2.0},
             {"priority": "remittances", "region": EP, "weight": 1.5}]
    package = {"region": EP, "amount": 12}
    data = spec(objective=weights(cells=cells))
    _, free = solved(data)
    assert free.objective == pytest.approx(80.0)
    _, any_priority = solved({**data, "rules": {"min_packages": [package]}})
    assert float(any_priority.data["eu"].sel(region=EP, priority="remittances").sum()) == pytest.approx(12.0)
    assert any_priority.objective == pytest.approx(74.0)
    assert float(any_priority.duals["min_package"].sel(package=EP)) == pytest.approx(0.5)
    _, mobility = solved({**data, "rules": {"min_packages": [{**package, "priorities": ["mobility"]}]}})
    assert float(mobility.data["eu"].sel(region=EP, priority="mobility").sum()) == pytest.approx(12.0)
    assert mobility.objective == pytest.approx(68.0)
    assert float(mobility.duals["min_package"].sel(package=EP)) == pytest.approx(1.0)


def test_two_min_packages_for_one_region_each_keep_a_shadow_price() -> None:
    # once a bug: labelled by region only, the two packages shared one label and one price was lost
    data = spec(objective=weights(by_region={EP: 2.0}),
                rules={"min_packages": [{"region": NA, "amount": 5, "priorities": ["mobility"]},
                                        {"region": NA, "amount": 6, "priorities": ["return"]}]})
    _, alloc = solved(data)
    assert alloc.data["eu"].sel(region=NA).sum(["instrument", "year"]).values.tolist() == \
        pytest.approx([5.0, 6.0, 0.0])
    dual = alloc.duals["min_package"]
    assert dual.sel(package=[f"{NA}#1", f"{NA}#2"]).values.tolist() == pytest.approx([1.0, 1.0])


def test_period_cap() -> None:
    data = spec(objective=weights(by_region={NA: 2.0}),
                rules={"caps": [{"id": "na", "instruments": ["fund"], "regions": [NA], "max": 15}]})
    _, alloc = solved(data)
    assert float(eu_by(alloc, "region").sel(region=NA)) == pytest.approx(15.0)
    assert alloc.objective == pytest.approx(55.0)
    assert float(alloc.duals["caps"].sel(cap="na")) == pytest.approx(1.0)


def test_period_cap_minimum() -> None:
    data = spec(objective=weights(by_region={NA: 2.0}),
                rules={"caps": [{"id": "east", "regions": [EP], "pillars": ["legal"], "min": 8}]})
    _, alloc = solved(data)
    assert float(alloc.data["eu"].sel(region=EP, priority="mobility").sum()) == pytest.approx(8.0)
    assert float(alloc.duals["caps"].sel(cap="east")) == pytest.approx(1.0)


def test_fixed_amount_cap_is_priced_on_its_binding_side() -> None:
    data = spec(objective=weights(by_region={EP: 2.0}),
                rules={"caps": [{"id": "na", "regions": [NA], "min": 10, "max": 10}]})
    _, alloc = solved(data)
    assert float(eu_by(alloc, "region").sel(region=NA)) == pytest.approx(10.0)
    assert float(alloc.duals["caps"].sel(cap="na")) == pytest.approx(1.0)  # one EUR m less to NA, one more East


def test_annual_cap() -> None:
    data = spec(objective=weights(by_region={NA: 2.0}),
                rules={"caps": [{"id": "na", "regions": [NA], "max": 5, "per_year": True}]})
    _, alloc = solved(data)
    assert eu_by(alloc, "region", "year").sel(region=NA).values.tolist() == pytest.approx([5.0, 5.0])
    assert alloc.objective == pytest.approx(50.0)
    assert alloc.duals["annual_caps"].sel(annual_cap="na").values.tolist() == pytest.approx([1.0, 1.0])


def test_annual_cap_on_some_years() -> None:
    data = spec(objective=weights(by_region={NA: 2.0}),
                rules={"caps": [{"id": "na", "regions": [NA], "years": [2010], "max": 5, "per_year": True}]})
    _, alloc = solved(data)
    assert eu_by(alloc, "region", "year").sel(region=NA).values.tolist() == pytest.approx([20.0, 5.0])


def test_annual_cap_minimum_on_some_years() -> None:
    # once a bug: every scenario year got a row, and the empty 2009 row kept the minimum (0 ≥ 5)
    data = spec(objective=weights(by_region={NA: 2.0}),
                rules={"caps": [{"id": "ep", "regions": [EP], "years": [2010], "min": 5, "per_year": True}]})
    _, alloc = solved(data)
    assert eu_by(alloc, "region", "year").sel(region=EP).values.tolist() == pytest.approx([0.0, 5.0])
    dual = alloc.duals["annual_caps"].sel(annual_cap="ep")
    assert np.isnan(float(dual.sel(year=2009)))  # no rule in 2009, so no price
    assert float(dual.sel(year=2010)) == pytest.approx(1.0)


# ---- objective terms -----------------------------------------------------------------------------------
def test_impact_with_diminishing_returns() -> None:
    impact = {"basis": "eu", "weights": {"by_region": {NA: 1.5}},
              "diminishing_returns": {"breakpoints": [10], "slopes": [1.0, 0.5]}}
    one_priority = [{"id": "return", "pillar": "irregular"}]
    _, alloc = solved(spec(priorities=one_priority, objective={"impact": impact}))
    # segments by value: North Africa's first 10 (1.5), the East's first 10 (1), North Africa beyond (0.75)
    assert eu_by(alloc, "region").values.tolist() == pytest.approx([30.0, 10.0])
    assert alloc.objective == pytest.approx(15.0 + 10.0 + 20 * 0.75)
    assert alloc.duals["envelope"].values.ravel().tolist() == pytest.approx([0.75, 0.75])
    link = alloc.duals["impact_link"].sel(priority="return")
    assert link.values.tolist() == pytest.approx([0.75, 0.75])  # a EUR m more reaching a cell is worth 0.75
    linear = fs.solve(fs.scenario_from_dict(spec(priorities=one_priority,
                                                 objective=weights(by_region={NA: 1.5}))))
    assert linear.objective == pytest.approx(60.0)


def test_impact_on_total_cost_values_cofinancing() -> None:
    fund = {"id": "fund", "envelope": 20, "cofinancing": {
        "max_eu_share": 1.0, "exceptions": [{"regions": [NA], "max_eu_share": 0.5, "match_source": "ms"}]}}
    data = spec(match_sources=[{"id": "ms"}], instruments=[fund],
                objective=weights("total", by_region={EP: 1.5}))
    _, alloc = solved(data)
    assert float(eu_by(alloc, "region").sel(region=NA)) == pytest.approx(40.0)  # 2 of total cost per EUR m
    assert alloc.objective == pytest.approx(80.0)
    _, on_eu = solved({**data, "objective": weights("eu", by_region={EP: 1.5})})
    assert float(eu_by(on_eu, "region").sel(region=EP)) == pytest.approx(40.0)


def test_leverage_term_moves_money_to_cofinanced_cells() -> None:
    fund = {"id": "fund", "envelope": 20, "cofinancing": {
        "max_eu_share": 1.0, "exceptions": [{"regions": [NA], "max_eu_share": 0.5, "match_source": "ms"}]}}
    data = spec(match_sources=[{"id": "ms"}], instruments=[fund], objective=weights(by_region={EP: 1.5}))
    _, without = solved(data)
    assert float(eu_by(without, "region").sel(region=EP)) == pytest.approx(40.0)
    assert without.objective == pytest.approx(60.0)
    _, alloc = solved({**data, "objective": {**weights(by_region={EP: 1.5}), "leverage": {"weight": 1.0}}})
    assert float(eu_by(alloc, "region").sel(region=NA)) == pytest.approx(40.0)  # 1 impact + 1 leverage > 1.5
    assert float(alloc.data["cofin"].sum()) == pytest.approx(40.0)
    assert alloc.objective == pytest.approx(80.0)


def test_goals_alone_minimise_the_weighted_shortfall() -> None:
    goals = {"targets": [{"id": "east", "regions": [EP], "amount": 30, "weight": 2.0},
                         {"id": "south", "regions": [NA], "amount": 30, "weight": 1.0}]}
    sc, alloc = solved(spec(objective={"goals": goals}))
    assert sc.objective.sense == "min"
    assert alloc.data.attrs["sense"] == "minimise"
    assert eu_by(alloc, "region").values.tolist() == pytest.approx([10.0, 30.0])  # the heavier target first
    assert alloc.objective == pytest.approx(20.0)  # 20 short in the South at weight 1
    # relaxing a rule lowers what is minimised: shadow prices ≤ 0
    assert alloc.duals["goal"].sel(target=["east", "south"]).values.tolist() == pytest.approx([-1.0, -1.0])
    assert alloc.duals["envelope"].values.ravel().tolist() == pytest.approx([-1.0, -1.0])


@pytest.mark.parametrize(("target_weight", "east", "objective"), [(5.0, 10.0, 70.0), (0.5, 0.0, 75.0)])
def test_goals_with_impact_trade_off(target_weight: float, east: float, objective: float) -> None:
    goals = {"targets": [{"id": "east", "regions": [EP], "amount": 10, "weight": target_weight}]}
    _, alloc = solved(spec(objective={**weights(by_region={NA: 2.0}), "goals": goals}))
    assert float(eu_by(alloc, "region").sel(region=EP)) == pytest.approx(east)
    assert alloc.objective == pytest.approx(objective)  # impact minus the weighted shortfall
    assert float(alloc.duals["goal"].sel(target="east")) >= -1e-9


# ---- the checker catches what breaks a rule ---------------------------------------------------------------
@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml")


def test_checker_passes_the_tutorial(tutorial: fs.Scenario) -> None:
    assert_allocation_feasible(tutorial, fs.solve(tutorial))
    assert_allocation_feasible(tutorial, fs.solve(tutorial).data)  # the Dataset alone will do


def test_checker_catches_money_in_an_ineligible_cell(tutorial: fs.Scenario) -> None:
    data = fs.solve(tutorial).data.copy(deep=True)
    data["eu"].loc["enpi", "remittances", NA, 2009] = 1.0  # ENPI may not fund remittances
    message = ("eligibility: enpi commits EUR 1.000 m to remittances in north_africa in 2009, but enpi may "
               "not fund remittances")
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_allocation_feasible(tutorial, data)


def test_checker_catches_an_envelope_overrun(tutorial: fs.Scenario) -> None:
    plan = hand_plan(tutorial, {("tpma", "mobility", EP, 2009): 12.0})
    message = ("envelope: tpma's commitments in 2009 are EUR 12.000 m, above the usable envelope of "
               "EUR 10.000 m (by 2.000)")
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_allocation_feasible(tutorial, plan)


def test_checker_catches_an_absorption_overrun(tutorial: fs.Scenario) -> None:
    plan = hand_plan(tutorial, {("enpi", "return", NA, 2010): 20.0, ("tpma", "remittances", NA, 2010): 7.3,
                                ("enpi", "mobility", EP, 2009): 10.0})
    message = ("1 violation of the rules of scenario 'tutorial':\n"
               "  - absorption: payments to north_africa in 2010 are EUR 27.300 m, above the capacity of "
               "EUR 25.000 m (by 2.300)")
    with pytest.raises(AssertionError, match=f"^{re.escape(message)}$"):
        assert_allocation_feasible(tutorial, plan)


def test_checker_catches_a_broken_pillar_share(tutorial: fs.Scenario) -> None:
    plan = hand_plan(tutorial, {("tpma", "remittances", NA, 2009): 10.0,
                                ("enpi", "mobility", EP, 2009): 10.0})
    message = ("pillar balance: pillar development gets EUR 10.000 m of EUR 20.000 m of EU commitments "
               "(50.0%), above the maximum share of 25.0% (EUR 5.000 m; by 5.000)")
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_allocation_feasible(tutorial, plan)


def test_checker_catches_cofinancing_off_the_rule(tutorial: fs.Scenario) -> None:
    data = hand_plan(tutorial, {("tpma", "mobility", EP, 2009): 8.0})
    data["cofin"].loc["tpma", "mobility", EP, 2009] = 1.0  # the rule (EU share 80 %) mobilises 2
    data["total"] = data["eu"] + data["cofin"]
    message = "co-financing: the EU share of tpma for mobility in eastern_partnership in 2009 is 88.9% " \
              "(EUR 8.000 m EU, EUR 1.000 m co-financing), above the maximum EU share of 80.0%"
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_allocation_feasible(tutorial, data)
    data["cofin"].loc["tpma", "mobility", EP, 2009] = 3.0
    data["total"] = data["eu"] + data["cofin"]
    message = ("co-financing: tpma for mobility in eastern_partnership in 2009 mobilises EUR 3.000 m of "
               "co-financing, but at the maximum EU share of 80.0% its EUR 8.000 m of EU money mobilises "
               "EUR 2.000 m")
    assert_allocation_feasible(tutorial, data)  # more co-financing than the minimum is legal
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_allocation_feasible(tutorial, data, exact_cofinancing=True)


def test_checker_catches_match_capacity(tutorial: fs.Scenario) -> None:
    sc = tutorial.evolve(match_sources=(fs.model.MatchSource("member_states", "EU member states", False,
                                                              fs.model.frozen_array([1.0, 100.0])),))
    plan = hand_plan(sc, {("tpma", "mobility", EP, 2009): 8.0})
    message = ("match capacity: co-financing drawn from member_states in 2009 is EUR 2.000 m, above the "
               "capacity of EUR 1.000 m (by 1.000)")
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_allocation_feasible(sc, plan)


def test_checker_catches_payments_off_the_profile(tutorial: fs.Scenario) -> None:
    data = hand_plan(tutorial, {("enpi", "mobility", EP, 2009): 10.0})
    data["eu"].loc["enpi", "mobility", EP, 2010] = 4.0  # payments and totals not updated
    with pytest.raises(AssertionError, match=re.escape(
            "payments: enpi for mobility in eastern_partnership in 2010 pays EUR 0.000 m, but the payment "
            "profile [1.0] of its commitments gives EUR 4.000 m")):
        assert_allocation_feasible(tutorial, data)


def test_checker_catches_negative_and_missing_amounts(tutorial: fs.Scenario) -> None:
    data = hand_plan(tutorial, {("enpi", "mobility", EP, 2009): -2.0, ("enpi", "return", NA, 2010): np.nan})
    with pytest.raises(AssertionError) as info:
        assert_allocation_feasible(tutorial, data)
    text = str(info.value)
    assert ("non-negativity: enpi for mobility in eastern_partnership in 2009 commits EUR -2.000 m, "
            "below zero") in text
    assert "non-negativity: enpi for return in north_africa in 2010 commits nan, not a finite amount" in text


RULE_BREAKS = [
    ({"region_limits": [{"region": NA, "max": 5}]},
     "region limits: EU commitments to north_africa over the period are EUR 8.000 m, above the maximum of "
     "EUR 5.000 m (by 3.000)"),
    ({"priority_limits": [{"priority": "mobility", "min": 10}]},
     "priority limits: EU commitments to mobility over the period are EUR 2.000 m, below the minimum of "
     "EUR 10.000 m (by 8.000)"),
    ({"min_packages": [{"region": EP, "amount": 5, "priorities": ["return"]}]},
     "minimum package: the package for eastern_partnership (return) over the period is EUR 0.000 m, below "
     "the minimum package of EUR 5.000 m (by 5.000)"),
    ({"caps": [{"id": "ret", "priorities": ["return"], "max": 4}]},
     "caps: commitments in the slice of cap ret over the period are EUR 8.000 m, above the maximum of "
     "EUR 4.000 m (by 4.000)"),
    ({"caps": [{"id": "ret", "priorities": ["return"], "min": 5, "per_year": True, "years": [2010]}]},
     "caps: commitments in the slice of cap ret in 2010 are EUR 0.000 m, below the minimum of EUR 5.000 m "
     "(by 5.000)"),
    ({"geographic_focus": [{"id": "east", "region_groups": ["east"], "min_share": 0.5}]},
     "geographic focus: focus east (eastern_partnership) gets EUR 2.000 m of EUR 10.000 m of EU commitments "
     "(20.0%), below the minimum share of 50.0% (EUR 5.000 m; by 3.000)"),
    ({"pillar_balance": [{"pillar": "legal", "min_share": 0.3}]},
     "pillar balance: pillar legal gets EUR 2.000 m of EUR 10.000 m of EU commitments (20.0%), below the "
     "minimum share of 30.0% (EUR 3.000 m; by 1.000)"),
]


@pytest.mark.parametrize(("rules", "message"), RULE_BREAKS, ids=lambda x: next(iter(x)) if isinstance(x, dict)
                         else None)
def test_checker_names_the_rule_a_plan_breaks(rules: dict[str, Any], message: str) -> None:
    sc = fs.scenario_from_dict(spec(rules=rules))
    plan = hand_plan(sc, {("fund", "return", NA, 2009): 8.0, ("fund", "mobility", EP, 2009): 2.0})
    with pytest.raises(AssertionError, match=f"^1 violation of the rules of scenario 'rules':\n  - "
                                             f"{re.escape(message)}$"):
        assert_allocation_feasible(sc, plan)


def test_checker_lists_every_violation(tutorial: fs.Scenario) -> None:
    plan = hand_plan(tutorial, {("tpma", "remittances", NA, 2009): 12.0,
                                ("tpma", "remittances", NA, 2010): 12.0,
                                ("enpi", "return", NA, 2009): 15.0, ("enpi", "return", NA, 2010): 30.0})
    with pytest.raises(AssertionError) as info:
        assert_allocation_feasible(tutorial, plan)
    lines = str(info.value).splitlines()
    assert lines[0] == "6 violations of the rules of scenario 'tutorial':"
    rules = [line.removeprefix("  - ").split(":")[0] for line in lines[1:]]
    assert rules == ["envelope"] * 3 + ["absorption"] * 2 + ["pillar balance"]


def test_checker_tolerates_rounding_but_not_more(tutorial: fs.Scenario) -> None:
    plan = hand_plan(tutorial, {("enpi", "return", NA, 2010): 20.0, ("tpma", "return", NA, 2010): 5.0 + 5e-7})
    assert_allocation_feasible(tutorial, plan)  # 5e-7 above the capacity of 25: within atol = 1e-6
    with pytest.raises(AssertionError, match="absorption: payments to north_africa in 2010"):
        assert_allocation_feasible(tutorial, plan, atol=1e-8, rtol=0.0)
    assert_allocation_feasible(tutorial, plan, atol=0.0, rtol=1e-7)  # 25·1e-7 = 2.5e-6 > 5e-7


def test_checker_recomputes_eligibility_rather_than_trusting_the_flags(tutorial: fs.Scenario) -> None:
    data = hand_plan(tutorial, {("enpi", "remittances", EP, 2009): 3.0})
    data["eligible"] = xr.ones_like(data["eligible"])  # flags claiming every cell is eligible
    with pytest.raises(AssertionError) as info:
        assert_allocation_feasible(tutorial, data)
    text = str(info.value)
    assert "eligibility: enpi commits EUR 3.000 m to remittances in eastern_partnership in 2009" in text
    assert "the allocation's eligible flags disagree with the scenario in 4 cells" in text


def test_checker_refuses_an_allocation_of_another_scenario(tutorial: fs.Scenario) -> None:
    other = fs.solve(fs.scenario_from_dict(spec()))
    with pytest.raises(AssertionError, match="the allocation's instrument labels"):
        assert_allocation_feasible(tutorial, other)


def test_checker_never_imports_the_lp_or_the_solvers() -> None:
    tree = ast.parse((ROOT / "fundsim" / "testing.py").read_text())
    nodes = list(ast.walk(tree))
    imported = {node.module for node in nodes if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m.startswith(("fundsim.lp", "fundsim.solvers"))}


@pytest.mark.parametrize(("after_horizon", "expected"), [("last_year", 12.5), ("unlimited", 50.0)])
def test_absorption_after_the_horizon(after_horizon: str, expected: float) -> None:
    """One year, profile [0.2, 0.8], capacity 10: 0.2·eu ≤ 10 in 2009 and, held to the last year's capacity,
    0.8·eu ≤ 10 in 2010 — so at most 12.5 is committed; left uncapped, 50."""
    data = {
        "name": "tail", "years": [2009], "pillars": [{"id": "q"}], "regions": [{"id": "r", "group": "south"}],
        "priorities": [{"id": "p", "pillar": "q"}],
        "instruments": [{"id": "i", "envelope": 100, "payment_profile": [0.2, 0.8]}],
        "absorption": {"basis": "eu", "capacity": {"r": 10}, "after_horizon": after_horizon},
    }
    sc = fs.scenario_from_dict(data)
    alloc = fs.solve(sc)
    assert_allocation_feasible(sc, alloc)
    assert float(alloc.data["eu"].sum()) == pytest.approx(expected)
    assert float(alloc.data["payments_after_horizon"].sum()) == pytest.approx(0.8 * expected)
    if after_horizon == "last_year":
        assert float(alloc.duals["absorption_after_horizon"].sel(region="r", year_after=2010)) == pytest.approx(1.25)
        bad = alloc.data.copy(deep=True)
        bad["eu"][:] = bad["eu"] * 2
        bad["payments"][:] = bad["payments"] * 2
        bad["payments_after_horizon"][:] = bad["payments_after_horizon"] * 2
        bad["cofin"][:] = bad["cofin"] * 2
        bad["total"][:] = bad["total"] * 2
        with pytest.raises(AssertionError, match=r"payments to r in 2010 are EUR 20\.000 m, above the capacity"):
            assert_allocation_feasible(sc, bad)
