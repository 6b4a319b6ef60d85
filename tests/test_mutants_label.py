"""Shadow prices and ranging (results/label.py) on scenarios worked by hand, written to kill the mutants the
rest of the suite let live (issue 12; docs/mutation.md). Every expected figure is worked out in the docstring.

The tests read :attr:`fundsim.Allocation.duals`, :meth:`fundsim.Allocation.ranging` and the public
functions of :mod:`fundsim.results.label`, never the LP's rows by position.
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
from fundsim.results import label

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
NA, EP = "north_africa", "eastern_partnership"


def spec(**changes: Any) -> dict[str, Any]:
    """Two years, two regions, three priorities (one per pillar), one instrument of EUR 20 m a year; impact
    one per EUR m of EU money everywhere unless ``objective`` says otherwise."""
    data: dict[str, Any] = {
        "name": "label", "years": [2009, 2010],
        "pillars": [{"id": "legal"}, {"id": "irregular"}, {"id": "development"}],
        "regions": [{"id": NA, "group": "south"}, {"id": EP, "group": "east"}],
        "priorities": [{"id": "mobility", "pillar": "legal"}, {"id": "return", "pillar": "irregular"},
                       {"id": "remittances", "pillar": "development"}],
        "instruments": [{"id": "fund", "envelope": 20}],
        "objective": {"impact": {"basis": "eu"}},
    }
    data.update(copy.deepcopy(changes))
    return data


EAST_WORTH_TWO = {"impact": {"basis": "eu", "weights": {"by_region": {EP: 2.0}}}}


def solved(**changes: Any) -> fs.Allocation:
    return fs.solve(fs.scenario_from_dict(spec(**changes)))


def region_limit(alloc: fs.Allocation, region: str, *, exact: bool = False) -> list[float]:
    return alloc.ranging(exact=exact)["region_limits"].sel(region=region).values.tolist()


# ---- the sign of a ranged rule's price: the sign of improvement -----------------------------------------
def test_a_ranged_rule_binding_at_its_maximum_when_minimising() -> None:
    """Goal: 30 EUR m in the East at weight 2 (minimise the weighted shortfall); the East may get 5 to 25.
    It gets 25, 5 short: objective 10. One EUR m more allowed cuts the shortfall by 1, the objective by 2:
    price -2, holding while the maximum is between 5 (the minimum) and 30 (the target met)."""
    goals = {"targets": [{"id": "east", "regions": [EP], "amount": 30, "weight": 2.0}]}
    alloc = solved(objective={"goals": goals}, rules={"region_limits": [{"region": EP, "min": 5, "max": 25}]})
    assert alloc.objective == pytest.approx(10.0)
    assert float(alloc.duals["region_limits"].sel(region=EP)) == pytest.approx(-2.0)
    assert region_limit(alloc, EP, exact=True) == pytest.approx([5.0, 25.0, 30.0])


def test_a_ranged_rule_binding_at_its_minimum_when_minimising() -> None:
    """Goal: 30 in the South at weight 1; the East must get 20 to 40 of the 40. The South gets 20, 10 short.
    Lowering the East's minimum by 1 gives the South 1 more: price -1, holding while the minimum is between
    10 (the South's target met) and 40 (the whole envelope)."""
    goals = {"targets": [{"id": "south", "regions": [NA], "amount": 30, "weight": 1.0}]}
    alloc = solved(objective={"goals": goals}, rules={"region_limits": [{"region": EP, "min": 20, "max": 40}]})
    assert alloc.objective == pytest.approx(10.0)
    assert float(alloc.duals["region_limits"].sel(region=EP)) == pytest.approx(-1.0)
    assert region_limit(alloc, EP, exact=True) == pytest.approx([10.0, 20.0, 40.0])


def test_a_ranged_rule_binding_at_its_minimum_when_maximising() -> None:
    """The East is worth 2 per EUR m, the South 1; the South must get 15 to 100. It gets 15, the East 25:
    objective 65. One EUR m less for the South is one more for the East: price +1, holding while the minimum
    is between 0 and 40 (the whole envelope)."""
    alloc = solved(objective=EAST_WORTH_TWO, rules={"region_limits": [{"region": NA, "min": 15, "max": 100}]})
    assert alloc.objective == pytest.approx(65.0)
    assert float(alloc.duals["region_limits"].sel(region=NA)) == pytest.approx(1.0)
    assert region_limit(alloc, NA, exact=True) == pytest.approx([0.0, 15.0, 40.0])


# ---- which bound of a rule is ranged --------------------------------------------------------------------
def test_a_rule_that_does_not_bind_is_ranged_at_its_nearer_bound_the_maximum_on_a_tie() -> None:
    """The East absorbs 10 a year and takes 20; the South gets the other 20, between its 10 and 30: the rule
    does not bind, and 20 is as far from either. The maximum is ranged: price 0 from 20 upwards."""
    alloc = solved(objective=EAST_WORTH_TWO, absorption={"basis": "eu", "capacity": {EP: 10}},
                   rules={"region_limits": [{"region": NA, "min": 10, "max": 30}]})
    assert float(alloc.duals["region_limits"].sel(region=NA)) == 0.0
    assert region_limit(alloc, NA) == [20.0, 30.0, np.inf]


@pytest.mark.parametrize(("rules", "south", "east"), [
    ([{"region": NA, "min": 5}, {"region": EP, "max": 50}], [-np.inf, 5.0, 20.0], [20.0, 50.0, np.inf]),
    ([{"region": NA, "min": 5, "max": 38}], [-np.inf, 5.0, 20.0], None),
    ([{"region": NA, "min": 3, "max": 36}], [20.0, 36.0, np.inf], None),
])
def test_a_rule_that_does_not_bind_is_ranged_from_its_activity(rules: list[dict[str, Any]], south: list[float],
                                                             east: list[float] | None) -> None:
    """20 goes to each region (the East absorbs 10 a year). A minimum alone is ranged downwards from the
    activity 20, a maximum alone upwards; a rule with both at its nearer bound (5 is 15 away, 38 is 18;
    3 is 17 away, 36 is 16)."""
    alloc = solved(objective=EAST_WORTH_TWO, absorption={"basis": "eu", "capacity": {EP: 10}},
                   rules={"region_limits": rules})
    assert region_limit(alloc, NA) == south
    if east is not None:
        assert region_limit(alloc, EP) == east


# ---- share rules: per percentage point, and nothing to range without money ------------------------------
def test_a_share_rule_is_priced_per_percentage_point_and_a_money_rule_per_eur_m() -> None:
    """Tutorial: the remittances ceiling is worth 1 per EUR m at E = 60 committed, 0.6 per percentage point;
    each envelope 1.75 per EUR m (see scenarios/tutorial.yaml)."""
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    share, envelope = alloc.duals["pillar_max_share"], alloc.duals["envelope"]
    assert float(share.sel(pillar="development")) == pytest.approx(0.6)
    assert share.attrs == {"units": "objective per percentage point", "long_name": "shadow price: maximum pillar share"}
    assert envelope.values.ravel().tolist() == pytest.approx([1.75] * 4)
    assert envelope.attrs == {"units": "objective per EUR m", "long_name": "shadow price: usable envelope"}
    assert label.total_commitment(alloc.lp, alloc.result) == pytest.approx(60.0)


def test_a_share_rule_of_an_empty_optimum_has_no_interval() -> None:
    """The tutorial with no money at all: E = 0, and a share of nothing has no interval (NaN), not a
    division by zero; the absorption rules are still ranged in EUR m (25 a year, from 0 committed)."""
    data = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    for instrument in data["instruments"]:
        instrument["envelope"] = 0
    with pytest.warns(fs.FundsimWarning, match="every allocation is empty"):
        sc = fs.scenario_from_dict(data)
    alloc = fs.solve(sc)
    assert label.total_commitment(alloc.lp, alloc.result) == 0.0
    ranging = alloc.ranging()
    assert np.isnan(ranging["pillar_max_share"].values).all()
    assert ranging["absorption"].sel(region=NA, year=2009).values.tolist()[:2] == [0.0, 25.0]


def test_no_share_rule_means_no_total_commitment() -> None:
    """Without a share rule the LP has no E column: the total commitment reported is 0."""
    alloc = solved(objective=EAST_WORTH_TWO)
    assert label.total_commitment(alloc.lp, alloc.result) == 0.0
    assert alloc.objective == pytest.approx(80.0)


# ---- exact intervals of a few numbers -------------------------------------------------------------------
def test_exact_intervals_of_nothing_are_an_empty_table() -> None:
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.scenario is not None and alloc.lp is not None and alloc.result is not None
    rules = label.exact_rule_intervals(alloc.lp, alloc.result, [])
    weights = label.exact_weight_intervals(alloc.scenario, alloc.lp, alloc.result, [])
    assert rules.shape == (0, 3) and weights.shape == (0, 3)


def test_exact_intervals_of_picked_numbers_in_the_users_units() -> None:
    """Tutorial: the remittances ceiling (25 %) holds its price from 0 % to 20/60 = 33.3 % (the TPMA's 20
    is all that may fund remittances); North Africa's absorption in 2010 (25) from 5 to 30. The remittances
    weight in North Africa (3) keeps the allocation from 2 (return's worth there) upwards; mobility's in the
    Eastern Partnership (1.5) from 1 (the other cells' worth) to 2 (return's worth in North Africa, into
    which a EUR m of the East's ENPI would otherwise go)."""
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.scenario is not None and alloc.lp is not None and alloc.result is not None
    share = int(label.row_index(alloc.lp, "pillar_max_share").sel(pillar="development"))
    absorb = int(label.row_index(alloc.lp, "absorption").sel(region=NA, year=2010))
    rules = label.exact_rule_intervals(alloc.lp, alloc.result, [("pillar_max_share", share), ("absorption", absorb)])
    np.testing.assert_allclose(rules, [[0.0, 25.0, 100 / 3], [5.0, 25.0, 30.0]], atol=1e-9)
    (impact,) = label.cost_parameters(alloc.scenario, alloc.lp)
    where = impact.dense(np.arange(len(impact.value), dtype=float))
    remittances = int(where[2, 0])  # priority remittances, region north_africa
    mobility = int(where[0, 1])  # priority mobility, region eastern_partnership
    weights = label.exact_weight_intervals(alloc.scenario, alloc.lp, alloc.result,
                                           [(impact, remittances), (impact, mobility)])
    np.testing.assert_allclose(weights, [[2.0, 3.0, np.inf], [1.0, 1.5, 2.0]], atol=1e-9)


def test_an_exact_interval_of_a_rule_that_does_not_bind() -> None:
    """20 goes to the South, allowed 3 to 36 (the East absorbs 10 a year and takes the other 20). The rule
    does not bind; its nearer bound, the maximum 36 (16 away; the minimum is 17 away), holds its price 0
    from 20 upwards."""
    alloc = solved(objective=EAST_WORTH_TWO, absorption={"basis": "eu", "capacity": {EP: 10}},
                   rules={"region_limits": [{"region": NA, "min": 3, "max": 36}]})
    assert alloc.lp is not None and alloc.result is not None
    row = int(label.row_index(alloc.lp, "region_limits").sel(region=NA))
    assert label.exact_rule_intervals(alloc.lp, alloc.result, [("region_limits", row)]).tolist() == [
        [20.0, 36.0, np.inf]]


# ---- objective weights: each parameter reads its own steps -----------------------------------------------
THREE_TERMS = {
    "name": "three-terms", "years": [2009], "pillars": [{"id": "qa"}, {"id": "qb"}],
    "regions": [{"id": "r", "group": "south"}],
    "priorities": [{"id": "a", "pillar": "qa"}, {"id": "b", "pillar": "qb"}],
    "match_sources": [{"id": "ms"}],
    "instruments": [{"id": "fund", "envelope": 10, "cofinancing": {"max_eu_share": 0.5, "match_source": "ms"}}],
    "objective": {"impact": {"basis": "eu", "weights": {"by_priority": {"a": 2.0, "b": 1.0}}},
                  "leverage": {"weight": 0.5},
                  "goals": {"targets": [{"id": "b", "priorities": ["b"], "amount": 4, "weight": 3.0}]}},
}


@pytest.mark.parametrize("exact", [False, True])
def test_impact_leverage_and_goal_weights_each_get_their_own_interval(exact: bool) -> None:
    """10 EUR m, each bringing 1 of co-financing (EU share 50 %). b's first 4 are worth 1 + 3 (its target's
    shortfall) + 0.5 (leverage), a's money 2 + 0.5, b's beyond its target 1 + 0.5: b gets 4, a 6, objective
    6 · 2 + 4 · 1 + 0.5 · 10 = 21.

    * a's weight keeps this while it is between b's worth beyond the target (1) and within it (1 + 3 = 4);
    * b's weight while 4 more of b is worth no more than a (w + 0 ≤ 2 beyond the target) and its first 4 at
      least as much (w + 3 ≥ 2): from -1 to 2;
    * the leverage weight (the same 1 per EUR m in every cell) until a's money is worth less than nothing
      (2 + λ < 0): from -2 upwards;
    * the target's weight while b's first 4 are worth at least a's 2 (1 + g ≥ 2): from 1 upwards.
    """
    alloc = fs.solve(fs.scenario_from_dict(THREE_TERMS))
    assert alloc.objective == pytest.approx(21.0)
    ranging = alloc.ranging(exact=exact)
    np.testing.assert_allclose(ranging["impact_weight"].sel(region="r").values, [[1.0, 2.0, 4.0], [-1.0, 1.0, 2.0]],
                               atol=1e-9)
    np.testing.assert_allclose(ranging["leverage_weight"].values, [-2.0, 0.5, np.inf], atol=1e-9)
    np.testing.assert_allclose(ranging["goal_weight"].sel(target="b").values, [1.0, 3.0, np.inf], atol=1e-9)
    assert ranging["leverage_weight"].attrs == {
        "units": "objective per EUR m of co-financing",
        "long_name": "leverage weight: interval over which the allocation stays optimal", "holds": "allocation"}
    assert ranging["goal_weight"].attrs == {
        "units": "objective per EUR m short",
        "long_name": "target weight: interval over which the allocation stays optimal", "holds": "allocation"}
    assert ranging["leverage_weight"].dims == ("interval",)
    assert ranging["goal_weight"].dims == ("target", "interval")


def test_a_share_rule_with_under_one_eur_m_committed_is_ranged_in_percent() -> None:
    """0.2 EUR m a year, remittances worth 3 and mobility 1, remittances at most 25 %: E = 0.4, 0.1 of it to
    remittances, objective 0.3 + 0.3 = 0.6. The ceiling is worth 2 per EUR m, 2 · 0.01 · 0.4 = 0.008 per
    percentage point, and holds from 0 % to 100 % (nothing else limits remittances)."""
    data = {"name": "small", "years": [2009, 2010], "pillars": [{"id": "legal"}, {"id": "development"}],
            "regions": [{"id": "r", "group": "south"}],
            "priorities": [{"id": "mobility", "pillar": "legal"}, {"id": "remittances", "pillar": "development"}],
            "instruments": [{"id": "fund", "envelope": 0.2}],
            "rules": {"pillar_balance": [{"pillar": "development", "max_share": 0.25}]},
            "objective": {"impact": {"basis": "eu", "weights": {"by_priority": {"remittances": 3.0}}}}}
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(0.6)
    assert float(alloc.duals["pillar_max_share"].sel(pillar="development")) == pytest.approx(0.008)
    np.testing.assert_allclose(alloc.ranging(exact=True)["pillar_max_share"].sel(pillar="development").values,
                               [0.0, 25.0, 100.0], atol=1e-9)


def test_ranging_variables_say_what_they_hold_and_in_which_units() -> None:
    """Figures label themselves from ``units`` and ``long_name``; ``holds`` says what stays put over the
    interval: a rule's shadow price, or the allocation for a weight."""
    ranging = fs.solve(fs.load_scenario(TUTORIAL)).ranging()
    assert ranging["absorption"].attrs == {
        "units": "EUR m", "long_name": "absorption capacity (payments): bound over which its shadow price holds",
        "holds": "shadow price"}
    assert ranging["pillar_max_share"].attrs == {
        "units": "%", "long_name": "maximum pillar share: bound over which its shadow price holds",
        "holds": "shadow price"}
    assert ranging["impact_weight"].attrs == {
        "units": "weight", "long_name": "impact weight: interval over which the allocation stays optimal",
        "holds": "allocation"}
    assert ranging["absorption"].dims == ("region", "year", "interval")
    assert ranging["interval"].values.tolist() == ["low", "value", "high"]
    assert ranging.attrs == {"ranging": "basis"}


def test_one_slope_for_all_money_keeps_the_tutorials_weight_intervals() -> None:
    """Diminishing returns with no breakpoint and slope 0.5: every weight is worth half as much per EUR m,
    the same allocation is best (objective 130 / 2 = 65), and each weight keeps the tutorial's interval, in
    weight units: remittances in North Africa (3) from 2 (return's worth there) upwards, return there (2)
    from 1.5 (mobility's in the East) to 3, mobility in the East (1.5) from 1 to 2."""
    data = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    data["objective"]["impact"]["diminishing_returns"] = {"breakpoints": [], "slopes": [0.5]}
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(65.0)
    weight = alloc.ranging()["impact_weight"]
    np.testing.assert_allclose(weight.sel(priority="remittances", region=NA), [2.0, 3.0, np.inf], atol=1e-9)
    np.testing.assert_allclose(weight.sel(priority="return", region=NA), [1.5, 2.0, 3.0], atol=1e-9)
    np.testing.assert_allclose(weight.sel(priority="mobility", region=EP), [1.0, 1.5, 2.0], atol=1e-9)
    assert weight.dims == ("priority", "region", "interval")


def test_a_weight_of_a_priority_no_instrument_may_fund_is_not_ranged() -> None:
    """The fund may not fund remittances: no column carries the remittances weights, which are NaN (not an
    interval); return in the East (worth 2, the rest 1) keeps the allocation from 1 upwards."""
    alloc = solved(instruments=[{"id": "fund", "envelope": 20, "eligibility": {"priorities": ["mobility", "return"]}}],
                   objective={"impact": {"basis": "eu", "weights": {"cells": [
                       {"priority": "return", "region": EP, "weight": 2.0}]}}})
    weight = alloc.ranging(exact=True)["impact_weight"]
    assert np.isnan(weight.sel(priority="remittances").values).all()
    np.testing.assert_allclose(weight.sel(priority="return", region=EP), [1.0, 2.0, np.inf], atol=1e-9)


# ---- no ranging without the solve's basis ---------------------------------------------------------------
def test_ranging_is_refused_with_a_reason_for_integer_rules_and_other_backends() -> None:
    """Both refusals say why and what to do, with status ``unavailable``; a HiGHS result that kept no basis
    is refused like another backend's."""
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.scenario is not None and alloc.lp is not None and alloc.result is not None
    milp = dataclasses.replace(alloc.lp, integrality=np.ones(alloc.lp.num_col, np.int32))
    with pytest.raises(fs.SolverError) as info:
        label.ranging_dataset(alloc.scenario, milp, alloc.result)
    assert (info.value.message, info.value.status) == (
        "no ranging for a scenario with integer rules: shadow prices and their intervals are defined for linear "
        "programmes only", "unavailable")
    # another backend: refused for the capability it lacks (fundsim.CapabilityError, a SolverError)
    for result in (dataclasses.replace(alloc.result, basis=None, solver="pulp"),
                   dataclasses.replace(alloc.result, solver="pulp")):
        with pytest.raises(fs.SolverError) as info:
            label.ranging_dataset(alloc.scenario, alloc.lp, result)
        assert (info.value.message, info.value.status) == (
            "the solver backend 'pulp' has no ranging (it solved this allocation); the backends with ranging are: "
            "highs (solve with solver='highs')", "unavailable")
    # HiGHS, but a result that kept no basis
    with pytest.raises(fs.SolverError) as info:
        label.ranging_dataset(alloc.scenario, alloc.lp, dataclasses.replace(alloc.result, basis=None))
    assert (info.value.message, info.value.status) == (
        "ranging needs the optimal basis of the solve, which the 'highs' backend did not keep: solve again",
        "unavailable")


@pytest.mark.parametrize("step", [1e-5, 5.0])
def test_an_lp_changed_in_place_since_the_solve_is_not_ranged(step: float) -> None:
    """North Africa's absorption in 2009 lowered by ``step`` after the solve: the kept basis is still optimal
    but gives another allocation (the cells there hold ``step`` less), so the solve cannot be ranged. 1e-5 is
    well above the 1e-7 of rounding allowed and below 1e-5 of the amounts it moves."""
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.lp is not None
    row = int(label.row_index(alloc.lp, "absorption").sel(region=NA, year=2009))
    alloc.lp.row_upper[row] -= step
    with pytest.raises(fs.SolverError) as info:
        alloc.ranging()
    assert (info.value.message, info.value.status) == (
        "the solve's basis no longer gives its allocation (was the LP changed in place since?): cannot range it",
        "error")


# ---- integer decisions and row numbers, labelled ---------------------------------------------------------
def test_integer_decisions_are_labelled_flags_and_nothing_else_is_added() -> None:
    """The tutorial with one instrument per cell (127.5, worked in tests/test_integer_rules.py): the
    allocation gains one 0/1 array, ``instrument_active`` over instrument × priority × region, not the LP's
    other columns (such as the total commitment E). A line gets a flag only where the rule needs one, in a
    cell that both instruments may fund: remittances (the TPMA's alone) has none (NaN). Every flagged line
    holding money is active, and no cell has two active instruments."""
    data = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    data["rules"]["max_instruments_per_cell"] = 1
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(127.5)
    ledger = {"available", "carried_in", "committed", "carried_out", "lapsed", "not_used", "lost_at_cutoff",
              "cohort_committed", "cohort_paid_before", "cohort_paid", "cohort_decommitted", "cohort_outstanding",
              "payments_due", "payments_made", "payment_appropriations"}  # the ledger, written out, not imported
    assert set(alloc.data.data_vars) == {"eu", "cofin", "total", "payments", "payments_after_horizon", "eligible",
                                         "instrument_active"} | ledger
    active = alloc.data["instrument_active"]
    assert active.dims == ("instrument", "priority", "region")
    assert active.attrs == {"units": "1 = yes, 0 = no", "long_name": "instrument funds the priority in the region"}
    flags = active.values[~np.isnan(active.values)]
    assert set(flags.tolist()) <= {0.0, 1.0}
    assert np.isnan(active.sel(priority="remittances").values).all()
    assert not np.isnan(active.sel(priority=["mobility", "return"]).values).any()
    funded = (alloc.data["eu"].sum("year") > 1e-9).transpose(*active.dims).values
    funded[:, active.indexes["priority"].get_loc("remittances")] = False
    assert funded.sum() == 3 and (active.values[funded] == 1.0).all()
    assert float(active.fillna(0).sum("instrument").max()) == 1.0


def test_row_numbers_are_labelled_by_the_rule() -> None:
    """The tutorial's four envelope rows (two instruments × two years), named and labelled like the rule."""
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.lp is not None
    rows = label.row_index(alloc.lp, "envelope")
    assert rows.name == "envelope" and rows.dims == ("instrument", "year")
    assert rows.attrs == {"units": "objective per EUR m", "long_name": "usable envelope"}
    assert sorted(rows.values.ravel().tolist()) == [0.0, 1.0, 2.0, 3.0]  # the first rule family of the LP


def test_a_block_is_labelled_with_the_units_and_name_given_or_its_own() -> None:
    """The tutorial's ``eu`` columns: the ENPI may not fund remittances, so those cells hold the fill (NaN
    unless told otherwise); units and long name are the block's unless given."""
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.lp is not None and alloc.result is not None
    block = alloc.lp.variables["eu"]
    own = label.block_array(block, alloc.result.x)
    given = label.block_array(block, alloc.result.x, fill=0.0, units="EUR", long_name="money")
    assert own.attrs == {"units": "EUR m", "long_name": "EU commitment"}
    assert given.attrs == {"units": "EUR", "long_name": "money"}
    assert np.isnan(own.sel(instrument="enpi", priority="remittances").values).all()
    assert (given.sel(instrument="enpi", priority="remittances").values == 0.0).all()
    assert float(given.sum()) == pytest.approx(60.0)


def test_a_cap_after_a_minimum_share_keeps_its_sign_and_an_idle_minimum_is_plus_zero() -> None:
    """The East worth 2, at most 10 of it (a cap over the period); legal migration at least 10 %. The cap
    binds: one EUR m more for the East is worth 2 - 1 = 1. Every priority is worth the same, so the minimum
    share costs nothing: its price is 0, and +0, never -0 (printed as "-0" in tables)."""
    alloc = solved(objective=EAST_WORTH_TWO, rules={
        "pillar_balance": [{"pillar": "legal", "min_share": 0.1}],
        "caps": [{"id": "east", "regions": [EP], "max": 10}]})
    assert alloc.objective == pytest.approx(50.0)
    assert float(alloc.duals["caps"].sel(cap="east")) == pytest.approx(1.0)
    idle = alloc.duals["pillar_min_share"].values
    assert idle.tolist() == [0.0] and not np.signbit(idle).any()


def test_a_target_weight_of_a_mixed_integer_plan_is_explained() -> None:
    """The tutorial with one instrument per cell, minimising the shortfall of a target of 70 EUR m for the
    Eastern Partnership at weight 2: all 60 go there, 10 short, objective 20, all of it carried by the
    target's weight. (The LP's binaries come after the shortfall columns: the weight's costs still span
    every column.)"""
    data = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    data["rules"]["max_instruments_per_cell"] = 1
    data["objective"] = {"goals": {"targets": [{"id": "east", "regions": [EP], "amount": 70, "weight": 2.0}]}}
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(20.0)
    assert float(alloc.data["eu"].sel(region=EP).sum()) == pytest.approx(60.0)
    assert "- target weight (east) = 2 carries 20 of the objective." in alloc.explain(top=3)
