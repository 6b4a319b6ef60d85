"""The HiGHS backend: the solver contract, methods, warm re-solves and edge cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import fundsim as fs
from fundsim.solvers import Capability, HighsSolver, Status, get_solver
from fundsim.testing import assert_allocation_feasible


@pytest.fixture(scope="module")
def reference() -> fs.Scenario:
    return fs.load_scenario("scenarios/gam-2008.yaml")


@pytest.mark.parametrize("method", ["simplex", "ipm"])
def test_methods_agree_on_the_reference(reference: fs.Scenario, method: str) -> None:
    base = fs.solve(reference)
    other = fs.solve(reference, options={"solver": method})
    assert other.objective == pytest.approx(base.objective, rel=1e-9)
    assert_allocation_feasible(reference, other)


def test_warm_resolve_equals_cold_solve(reference: fs.Scenario) -> None:
    """Change the envelopes in place and re-solve from the kept basis: same optimum as a cold solve."""
    lp = fs.assemble(reference)
    solver = HighsSolver()
    first = solver.solve(lp)
    block = lp.constraints["envelope"]
    rows = np.arange(block.start, block.stop)
    lower, upper = lp.row_lower[rows] * 0.8, lp.row_upper[rows] * 0.8  # committed + carried + unused = usable
    solver.change_row_bounds(rows, lower, upper)
    warm = solver.solve()
    lp.row_lower[rows], lp.row_upper[rows] = lower, upper
    cold = HighsSolver().solve(lp)
    assert warm.status is Status.OPTIMAL and cold.status is Status.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.objective < first.objective
    assert first.basis is not None


def test_warm_resolve_after_cost_change(reference: fs.Scenario) -> None:
    lp = fs.assemble(reference)
    solver = HighsSolver()
    solver.solve(lp)
    cols = np.arange(lp.num_col)
    solver.change_costs(cols, lp.c * 1.1)
    warm = solver.solve()
    lp.c = lp.c * 1.1
    assert warm.objective == pytest.approx(HighsSolver().solve(lp).objective, rel=1e-9)


def test_nothing_to_solve_before_loading() -> None:
    with pytest.raises(ValueError, match="nothing to solve"):
        HighsSolver().solve()


def test_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="available solvers are: highs"):
        get_solver("gurobo")


def test_contract_declares_capabilities() -> None:
    assert HighsSolver.is_available()
    assert {Capability.DUALS, Capability.WARM_START, Capability.RANGING} <= HighsSolver.capabilities


def test_a_scenario_with_no_eligible_cell() -> None:
    spec = fs.load_scenario("scenarios/tutorial.yaml").spec
    for ins in spec["instruments"]:
        ins["envelope"] = 0.0
    with pytest.warns(fs.FundsimWarning, match="no instrument has usable money"):
        sc = fs.scenario_from_dict(spec)
    alloc = fs.solve(sc)
    assert alloc.objective == 0.0 and float(alloc.data["eu"].sum()) == 0.0
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 1}]
    with pytest.warns(fs.FundsimWarning), pytest.raises(fs.InfeasibleError, match="no allocation"):
        fs.solve(fs.scenario_from_dict(spec))


def test_cofinancing_without_a_match_source_is_warned_about() -> None:
    spec = fs.load_scenario("scenarios/tutorial.yaml").spec
    del spec["instruments"][0]["cofinancing"]["match_source"]
    with pytest.warns(fs.FundsimWarning, match="'tpma' requires co-financing .*80%.* names no match_source"):
        fs.scenario_from_dict(spec)


def test_evolve_gives_a_new_digest_and_checks_shapes() -> None:
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    richer = sc.evolve(instruments=tuple(
        dataclasses.replace(i, usable=fs.model.frozen_array(i.usable * 2)) for i in sc.instruments))
    assert richer.digest != sc.digest and len(richer.digest) == 16 and richer.spec == {}
    assert fs.solve(richer).data.attrs["scenario_hash"] == richer.digest
    bad = dataclasses.replace(sc.instruments[0], usable=fs.model.frozen_array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"instrument 'tpma': usable has shape \(3,\), expected \(2,\)"):
        sc.evolve(instruments=(bad, sc.instruments[1]))


def test_infeasible_scenario_is_explained(reference: fs.Scenario) -> None:
    spec = reference.spec
    spec = {**spec, "rules": {**spec["rules"], "region_limits": [{"region": "pacific", "min": 5000}]}}
    with pytest.raises(fs.InfeasibleError) as info:
        fs.solve(fs.scenario_from_dict(spec))
    assert "the region 'pacific' needs at least EUR 5,000.0 m" in info.value.diagnosis[0]


@pytest.mark.parametrize(("profile", "rows"), [([0.5, 0.3, 0.2], False), ([0.5, 0.5], False), ([0.3, 0.4, 0.3], True)])
def test_after_horizon_rows_only_when_a_profile_rises(profile: list[float], rows: bool) -> None:
    """Non-rising profiles make payments after the horizon at most the last year's: no rows are needed,
    and the independent checker (which checks those years) still finds the plan within capacity."""
    spec = fs.load_scenario("scenarios/tutorial.yaml").spec
    for ins in spec["instruments"]:
        ins["payment_profile"] = profile
    sc = fs.scenario_from_dict(spec)
    assert ("absorption_after_horizon" in fs.assemble(sc).constraints) is rows
    assert_allocation_feasible(sc, fs.solve(sc))


def test_every_solve_in_the_suite_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest routes every labelled solution through assert_allocation_feasible: a wrong solution fails."""
    real = HighsSolver.solve

    def doubled(self: HighsSolver, lp: fs.LinearProgram | None = None):  # type: ignore[no-untyped-def]
        result = real(self, lp)
        result.x = result.x * 2
        return result

    monkeypatch.setattr(HighsSolver, "solve", doubled)
    with pytest.raises(AssertionError, match="envelope"):
        fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
