"""Shadow prices and ranging (results/label.py) on scenarios worked by hand, written to kill the mutants the
rest of the suite let live (issue 12; docs/mutation.md). Every expected figure is worked out in the docstring.

The tests read :attr:`fundsim.Allocation.duals`, :meth:`fundsim.Allocation.ranging` and the public
functions of :mod:`fundsim.results.label`, never the LP's rows by position.
"""

from __future__ import annotations

import copy
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
