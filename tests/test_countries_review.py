"""Regions planned in parts, where the code first read a region as one planning unit: uncertain capacities,
ratio conditions, target probabilities, partnership candidates, the path forms and unknown labels.

Every case is the tutorial with Morocco planned on its own inside North Africa (``tests/test_countries.py``,
optimum 140): Morocco absorbs 10 a year on its own, North Africa 25 a year in all, return is worth 2.5 per EUR m
in Morocco, 2.0 elsewhere in North Africa.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_countries import planned

import fundsim as fs
from fundsim.model import Limit, MinPackage, Rules
from fundsim.montecarlo import Evaluation, run_values, target_probabilities
from fundsim.montecarlo.numbers import drawn_numbers

UNIFORM = {"kind": "uniform", "low": 0.5, "high": 1.0}


def per_unit_capacity(**parameter: Any) -> dict[str, Any]:
    """North Africa's 25 a year stated for its units instead (Morocco 10, the rest 15), no shared capacity, and
    one uncertain parameter on ``absorption.capacity.north_africa``."""
    raw = planned()
    raw["absorption"]["capacity"] = {"morocco": 10, "north_africa_rest": 15}
    raw["uncertainty"] = {"parameters": [{"id": "na_absorption", "path": "absorption.capacity.north_africa",
                                          "distribution": UNIFORM, **parameter}]}
    return raw


# ---- 1. an uncertain capacity of a region with no capacity of its own ---------------------------------------
def test_a_multiplier_on_a_region_without_its_own_capacity_moves_each_units_capacity() -> None:
    sc = fs.scenario_from_dict(per_unit_capacity())
    assert sc.absorption.shared == ()
    numbers = drawn_numbers(sc, np.array([[0.6]]))
    assert numbers.absorption[0].tolist() == [[6.0, 6.0], [9.0, 9.0], [np.inf, np.inf]]


def test_the_region_moved_through_its_units_is_solved_by_hand() -> None:
    """At 60 %, Morocco absorbs 6 a year and the rest 9: 30 in North Africa. Remittances keep their 15 (weight 3
    anywhere there), return fills Morocco's 12 (2.5) and the 3 left (2.0), and the East gets the other 30 of
    mobility (1.5): 45 + 30 + 6 + 45 = 126. At 100 % the units hold the region's 25 a year: 140 as before."""
    sc = fs.scenario_from_dict(per_unit_capacity())
    out = run_values(sc, np.array([[1.0], [0.6]]))
    assert out["objective"].values.tolist() == pytest.approx([140.0, 126.0], abs=1e-6)


def test_an_absolute_capacity_for_a_region_without_one_is_refused_where_it_is_written() -> None:
    with pytest.raises(fs.ScenarioError) as caught:
        fs.scenario_from_dict(per_unit_capacity(mode="absolute",
                                                distribution={"kind": "uniform", "low": 10, "high": 20}))
    (problem,) = caught.value.problems
    assert problem.path == "uncertainty.parameters[0].mode"
    text = str(problem)
    assert "'north_africa' is planned in parts and absorption.capacity states no capacity for it" in text
    assert "absorption.capacity.morocco, absorption.capacity.north_africa_rest" in text
    assert "mode: multiplicative" in text


def test_an_absolute_capacity_for_a_region_without_one_is_refused_when_drawn() -> None:
    """A scenario changed in Python (here: the shared capacity dropped after loading) is refused by the draws."""
    raw = planned()
    raw["uncertainty"] = {"parameters": [{"id": "na_absorption", "path": "absorption.capacity.north_africa",
                                          "mode": "absolute",
                                          "distribution": {"kind": "uniform", "low": 10, "high": 20}}]}
    sc = fs.scenario_from_dict(raw)
    assert drawn_numbers(sc, np.array([[12.0]])).absorption[0, 3].tolist() == [12.0, 12.0]
    without = sc.evolve(absorption=fs.model.Absorption(sc.absorption.capacity, sc.absorption.basis))
    with pytest.raises(fs.ArgumentError, match=r"cannot set 'absorption.capacity.north_africa' \(mode absolute\)"
                                               r".*absorption.capacity.morocco, "
                                               r"absorption.capacity.north_africa_rest"):
        drawn_numbers(without, np.array([[12.0]]))


# ---- 2. a ratio condition naming a region planned in parts -------------------------------------------------
def profiles(existing: dict[str, float]) -> dict[str, Any]:
    raw = planned()
    raw["rules"]["conditions"] = [{"id": "profiles", "priorities": ["remittances"],
                                   "requires": {"priorities": ["return"], "ratio": 0.5, "lag": 1},
                                   "existing": existing}]
    return raw


def test_a_region_in_existing_conditions_its_units_once() -> None:
    sc = fs.scenario_from_dict(profiles({"north_africa": 15}))
    cond = sc.rules.conditions[0].planned(sc.region_ids)
    assert [(u, sorted(r)) for u, r in cond.units] == [("north_africa", ["morocco", "north_africa_rest"]),
                                                        ("eastern_partnership", ["eastern_partnership"])]
    assert cond.existing == (15.0, 0.0)


def test_a_region_unlocked_as_a_whole_keeps_the_optimum() -> None:
    """North Africa has 15 of remittances unlocked already: the plan's 15 (weight 3) may go there in 2009, so the
    optimum stays 140. Had Morocco and the rest each been conditioned at 0 as well, no remittances could go to
    North Africa in 2009 (lag 1: nothing unlocked yet) and the optimum would fall."""
    alloc = fs.solve(fs.scenario_from_dict(profiles({"north_africa": 15})))
    assert alloc.objective == pytest.approx(140.0, abs=1e-6)
    fs.testing.assert_allocation_feasible(alloc.scenario, alloc)
    rows = alloc.duals["condition_ratios"].notnull().any(["condition", "year"]).to_series()
    assert rows[rows].index.tolist() == ["eastern_partnership", "north_africa"]


# ---- 3. target probabilities of a region planned in parts -------------------------------------------------
def test_the_target_of_a_region_planned_in_parts_is_judged_on_its_units_together() -> None:
    """The plan spends 50 in North Africa (Morocco 20, the rest 30) and loses none at the plan's numbers: a region
    minimum of 45 is met, a package of 55 is not, Morocco's package of 15 is."""
    raw = planned()
    raw["uncertainty"] = {"parameters": [{"id": "na_absorption", "path": "absorption.capacity.north_africa",
                                          "distribution": UNIFORM}]}
    sc = fs.scenario_from_dict(raw)
    run = run_values(sc, np.array([[1.0]]), Evaluation("stress", plan=fs.solve(sc)))
    judged = sc.evolve(rules=Rules(region_limits=(Limit("north_africa", min=45.0),),
                                   min_packages=(MinPackage("north_africa", 55.0), MinPackage("morocco", 15.0))))
    table = target_probabilities(run, judged)
    assert table[["label", "probability"]].values.tolist() == [["north_africa", 1.0], ["north_africa", 0.0],
                                                               ["morocco", 1.0]]


# ---- 4. a partnership candidate inside a region that has a package -----------------------------------------
@pytest.mark.parametrize("candidate", ["morocco", "north_africa_rest"])
def test_a_unit_of_a_region_with_a_package_is_no_candidate(candidate: str) -> None:
    raw = planned()
    raw["rules"]["min_packages"] = [{"region": "north_africa", "amount": 5}]
    raw["rules"]["mobility_partnerships"] = {"candidates": ["eastern_partnership", candidate], "max_new": 1,
                                             "package": 6, "priorities": ["mobility"]}
    with pytest.raises(fs.ScenarioError) as caught:
        fs.scenario_from_dict(raw)
    (problem,) = caught.value.problems
    assert problem.path == "rules.mobility_partnerships.candidates[1]"
    assert (f"{candidate!r} is in 'north_africa', which already has a partnership package (rules.min_packages[0])"
            in str(problem))
    assert "drop it from the candidates or the package from min_packages" in str(problem)


def test_a_package_for_one_unit_leaves_the_other_units_candidates() -> None:
    raw = planned()
    raw["rules"]["min_packages"] = [{"region": "morocco", "amount": 5}]
    raw["rules"]["mobility_partnerships"] = {"candidates": ["north_africa_rest", "eastern_partnership"],
                                             "max_new": 1, "package": 6, "priorities": ["mobility"]}
    assert fs.scenario_from_dict(raw).rules.mobility_partnerships.candidates == ("north_africa_rest",
                                                                                 "eastern_partnership")


# ---- 5. the path forms name countries -------------------------------------------------------------------------
def test_the_path_forms_say_a_region_or_a_country() -> None:
    raw = planned()
    raw["uncertainty"] = {"parameters": [{"id": "x", "path": "absorption.capacities", "distribution": UNIFORM}]}
    with pytest.raises(fs.ScenarioError) as caught:
        fs.scenario_from_dict(raw)
    text = str(caught.value)
    assert "absorption.capacity[.<region or country>]" in text
    assert "objective.impact.weights[.<priority>[.<region or country>]]" in text
    assert "<region>" not in text


# ---- 9. an unknown label ----------------------------------------------------------------------------------------
def test_units_of_an_unknown_label_names_the_valid_ones() -> None:
    sc = fs.scenario_from_dict(planned())
    with pytest.raises(ValueError) as caught:
        sc.units_of("marocco")
    assert str(caught.value) == ("unknown region or country 'marocco' (did you mean 'morocco'?); valid ones are: "
                                 "morocco, north_africa_rest, eastern_partnership, north_africa")
