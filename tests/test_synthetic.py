"""The synthetic scenario generator, and the PuLP formulation of the benchmarks (same LP, same optimum)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import numpy as np
import pulp
import pytest

import fundsim as fs
from fundsim.examples import synthetic_scenario, synthetic_spec
from fundsim.examples.synthetic import GROUPS, spec_and_plan
from fundsim.results.allocation import allocation_dataset
from fundsim.testing import assert_allocation_feasible

ROOT = Path(__file__).resolve().parent.parent


def _pulp_model():
    """benchmarks/pulp_model.py, loaded by path (benchmarks/ is not a package on the test path)."""
    spec = importlib.util.spec_from_file_location("pulp_model", ROOT / "benchmarks" / "pulp_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_pulp = _pulp_model().build_pulp


# ---- the generator ---------------------------------------------------------------------------------
def test_same_seed_same_scenario_other_seed_other_scenario():
    assert synthetic_spec(12, 5, 7, 4, seed=3) == synthetic_spec(12, 5, 7, 4, seed=3)
    assert synthetic_spec(12, 5, 7, 4, seed=3) != synthetic_spec(12, 5, 7, 4, seed=4)
    a, b = synthetic_scenario(12, 5, 7, 4, seed=3), synthetic_scenario(12, 5, 7, 4, seed=3)
    assert a.digest == b.digest


@pytest.mark.parametrize("size", [(20, 6, 8, 5), (60, 10, 12, 7), (150, 12, 15, 7), (7, 3, 4, 2)])
def test_sizes_are_as_asked(size):
    n_regions, n_instruments, n_priorities, n_years = size
    sc = synthetic_scenario(*size)
    assert (len(sc.regions), len(sc.instruments), len(sc.priorities), len(sc.years)) == size
    assert sc.eligible.shape == (n_instruments, n_priorities, n_regions, n_years)
    assert set(sc.region_groups) <= set(GROUPS)
    assert 3 <= len(sc.pillars) <= 6


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("size", [(20, 6, 8, 5), (60, 10, 12, 7)])
def test_about_half_of_the_cells_are_eligible(size, seed):
    assert 0.4 <= synthetic_scenario(*size, seed=seed).eligible.mean() <= 0.7


def test_the_scenario_has_every_ingredient():
    sc = synthetic_scenario(20, 6, 8, 5)
    shares = set(np.round(sc.max_eu_share.ravel(), 2))
    assert {0.5, 0.75, 1.0} <= shares and shares & {0.8, 0.85, 0.9}
    assert {s.id: s.per_region for s in sc.match_sources} == {"member_states": False, "partners": True}
    assert all(ins.payment_profile == (0.4, 0.4, 0.2) and ins.decommitment_window == 2 for ins in sc.instruments)
    assert np.isfinite(sc.absorption.capacity).all()
    rules = sc.rules
    assert rules.pillar_balance and rules.geographic_focus and rules.region_limits
    assert rules.min_packages and rules.caps
    assert len(sc.objective.impact.breakpoints) == 2 and sc.objective.leverage.weight > 0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("size", [(20, 6, 8, 5), (9, 4, 5, 3), (4, 3, 3, 3), (2, 2, 3, 2), (1, 1, 1, 1)])
def test_feasible_at_any_size(size, seed):
    sc = synthetic_scenario(*size, seed=seed)
    alloc = fs.solve(sc)
    assert alloc.status == "optimal"
    assert alloc.objective > 0
    assert_allocation_feasible(sc, alloc)


@pytest.mark.parametrize("size", [(20, 6, 8, 5), (60, 10, 12, 7), (3, 2, 3, 2)])
def test_the_reference_plan_keeps_every_rule(size):
    """The rules are set against a plan that keeps them all: feasible by construction."""
    spec, plan = spec_and_plan(*size, seed=5)
    sc = fs.scenario_from_dict(spec)
    assert plan.sum() > 0
    assert_allocation_feasible(sc, allocation_dataset(sc, plan))


def test_absorption_binds_for_some_regions_only():
    alloc = fs.solve(synthetic_scenario(20, 6, 8, 5))
    binding = (alloc.duals["absorption"] > 1e-7).any("year")
    assert 0 < int(binding.sum()) < 20


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        synthetic_spec(0, 2, 3, 2)


# ---- PuLP and fundsim write the same LP ------------------------------------------------------------
def _variant(name: str) -> fs.Scenario:
    spec = synthetic_spec(12, 5, 7, 4, seed=2)
    if name == "linear_impact":  # impact straight into the eu costs, plus leverage, on EU money
        del spec["objective"]["impact"]["diminishing_returns"]
        spec["objective"]["impact"]["basis"] = "eu"
    if name in ("goals", "goals_only"):
        goals = {"weight": 2.0, "targets": [
            {"id": "legal_south", "amount": 40.0, "pillars": ["legal"], "region_groups": ["south"]},
            {"id": "early", "amount": 300.0, "years": [2009], "weight": 0.5}]}
        spec["objective"] = {"goals": goals} if name == "goals_only" else {**spec["objective"], "goals": goals}
    if name == "after_horizon_unlimited":
        spec["absorption"]["after_horizon"] = "unlimited"
    if name == "back_loaded":  # payments late in the profile: the rows after the horizon bind
        for ins in spec["instruments"]:
            ins["payment_profile"] = [0.1, 0.2, 0.7]
    if name == "annual_cap_some_years":
        spec["rules"]["caps"].append({"id": "late", "per_year": True, "years": [2011, 2012], "pillars": ["legal"],
                                      "max": 5.0})
    if name == "priority_limits":
        spec["rules"]["priority_limits"] = [{"priority": "p02", "min": 5.0, "max": 60.0}]
        spec["absorption"]["basis"] = "eu"
    return fs.scenario_from_dict(copy.deepcopy(spec))


CASES = {
    "tutorial": lambda: fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml"),
    "synthetic": lambda: synthetic_scenario(20, 6, 8, 5, seed=1),
    "linear_impact": lambda: _variant("linear_impact"),
    "goals": lambda: _variant("goals"),
    "goals_only": lambda: _variant("goals_only"),
    "priority_limits": lambda: _variant("priority_limits"),
    "after_horizon_unlimited": lambda: _variant("after_horizon_unlimited"),
    "back_loaded": lambda: _variant("back_loaded"),
    "annual_cap_some_years": lambda: _variant("annual_cap_some_years"),
}


def _pulp_optimum(sc: fs.Scenario, solver: pulp.LpSolver) -> float:
    prob = build_pulp(sc)
    prob.solve(solver)
    assert pulp.LpStatus[prob.status] == "Optimal"
    return pulp.value(prob.objective)


@pytest.mark.parametrize("case", list(CASES))
def test_pulp_formulation_reaches_the_same_optimum(case):
    sc = CASES[case]()
    expected = fs.solve(sc).objective
    assert _pulp_optimum(sc, pulp.HiGHS(msg=False)) == pytest.approx(expected, rel=1e-6)


def test_pulp_formulation_has_the_same_columns():
    """The same columns, but for the unused appropriations: fundsim makes them columns of the ledger, the PuLP
    script leaves them as the envelope rows' slack."""
    sc = synthetic_scenario(20, 6, 8, 5, seed=1)
    lp = fs.assemble(sc)
    assert len(build_pulp(sc).variables()) == lp.num_col - lp.variables["unused"].size


@pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")
def test_pulp_formulation_with_cbc():
    if not pulp.PULP_CBC_CMD(msg=False).available():
        pytest.skip("CBC is not installed")
    sc = synthetic_scenario(20, 6, 8, 5, seed=1)
    assert _pulp_optimum(sc, pulp.PULP_CBC_CMD(msg=False)) == pytest.approx(fs.solve(sc).objective, rel=1e-6)
