"""The PuLP backend against HiGHS: same optima on every shipped and on random scenarios, duals in the one
convention (checked against HiGHS where they are unique, by a dual certificate and finite differences where
not), statuses, MILPs, options and error messages."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pulp
import pytest
from hypothesis import HealthCheck, given, settings
from test_properties import scenarios as random_specs

import fundsim as fs
from fundsim.rules.program import Entries, Header, LinearProgram, ProgramBuilder
from fundsim.solvers import BACKENDS, Capability, HighsSolver, PulpSolver, SolveResult, Status, get_solver
from fundsim.solvers.mip import fixed_lp
from fundsim.solvers.pulp import _status, available_solvers

from helpers import assert_certified

ROOT = Path(__file__).resolve().parents[1]


def _is_lp(path: Path) -> bool:
    integrality = fs.assemble(fs.load_scenario(path)).integrality
    return integrality is None or not np.any(integrality)


# the shipped LP scenarios (MILP ones, with integer rules, take minutes and are not compared here)
SHIPPED = [p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if p.name != "sources.yaml" and _is_lp(p)]
DUAL_BACKENDS = [name for name, cls in BACKENDS.items() if Capability.DUALS in cls.capabilities]
# the PuLP solvers whose duals come back with different signs (CBC in the problem's sense, PuLP's HiGHS
# interface for the negated objective when maximising): both must give fundsim's convention
PULP_SOLVERS = [s for s in ("PULP_CBC_CMD", "HiGHS") if s in available_solvers()]
MIN_GOALS = {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 30, "weight": 2.0},
                         {"id": "remit", "priorities": ["remittances"], "amount": 20, "weight": 3.0},
                         {"id": "south", "regions": ["north_africa"], "amount": 60, "weight": 1.0}]}


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml")


@pytest.fixture(scope="module")
def reference() -> fs.Scenario:
    return fs.load_scenario(ROOT / "scenarios" / "gam-2008.yaml")


@pytest.fixture(scope="module")
def minimising(tutorial: fs.Scenario) -> fs.Scenario:
    """The tutorial with goals only (the LP minimises the weighted shortfall); its optimum is 45 by hand:
    remittances reach 15 of 20 (5·3), North Africa 30 of 60 (30·1), the East its 30."""
    sc = fs.scenario_from_dict({**copy.deepcopy(tutorial.spec), "objective": {"goals": MIN_GOALS}})
    assert sc.objective.sense == "min"
    return sc


def assert_dual_certificate(lp: LinearProgram, result: SolveResult) -> None:
    """The duals prove the optimum: reduced costs are c − Aᵀy, and the dual objective — each dual times the
    bound its sign points at (upper when it gains objective, lower when it costs), plus the offset — equals
    the primal objective. A dual on an infinite bound, a wrong sign, or a non-optimal basis all break this."""
    np.testing.assert_allclose(result.col_dual, lp.c - lp.A.T @ result.row_dual, atol=1e-7)

    def side(dual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
        gain = dual if lp.sense == "max" else -dual
        bound = np.where(gain > 0, upper, lower)
        infinite = ~np.isfinite(bound) & (dual != 0)
        # CBC prints 8 significant digits: its reduced costs carry noise of ~1e-9
        assert np.abs(dual[infinite]).max(initial=0.0) < 1e-6, "a dual on an infinite bound"
        used = np.isfinite(bound) & (dual != 0)
        return float(dual[used] @ bound[used])

    dual_objective = (side(result.row_dual, lp.row_lower, lp.row_upper)
                      + side(result.col_dual, lp.col_lower, lp.col_upper) + lp.offset)
    assert rel(dual_objective, result.objective) < 1e-6


# ---- optima -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_optimum_equals_highs_on_every_shipped_scenario(path: Path) -> None:
    sc = fs.load_scenario(path)  # the -uncertain ones at their central values
    highs, cbc = fs.solve(sc), fs.solve(sc, solver="pulp")  # conftest checks each against every rule
    assert cbc.data.attrs["solver"] == "pulp" and "PULP_CBC_CMD" in cbc.data.attrs["solver_version"]
    assert rel(cbc.objective, highs.objective) < 1e-6


@pytest.mark.filterwarnings("ignore::fundsim.errors.FundsimWarning")  # random scenarios may fund nothing
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_pulp_agrees_with_highs_on_random_scenarios(spec: dict[str, Any]) -> None:
    lp = fs.assemble(fs.scenario_from_dict(spec))
    highs, cbc = HighsSolver().solve(lp), PulpSolver().solve(lp)
    assert cbc.status is highs.status
    if highs.status is Status.OPTIMAL:
        assert rel(cbc.objective, highs.objective) < 1e-6
        assert_dual_certificate(lp, cbc)


# ---- duals ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", PULP_SOLVERS)
@pytest.mark.parametrize("case", ["tutorial", "minimising"])
def test_duals_equal_highs_when_unique(solver: str, case: str, request: pytest.FixtureRequest) -> None:
    """Tutorial (max, duals by hand in its YAML) and its goal-programming variant (min): the optimal
    duals are unique, so every backend must give HiGHS's numbers, per rule and per label."""
    sc = request.getfixturevalue(case)
    highs = fs.solve(sc)
    other = fs.solve(sc, solver="pulp", options={"solver": solver})
    assert rel(other.objective, highs.objective) < 1e-9
    assert set(other.duals.data_vars) == set(highs.duals.data_vars)
    for name in highs.duals.data_vars:
        np.testing.assert_allclose(other.duals[name], highs.duals[name], atol=1e-7, err_msg=name)


def test_the_minimising_variant_has_duals_of_both_signs(minimising: fs.Scenario) -> None:
    alloc = fs.solve(minimising, solver="pulp")
    assert alloc.objective == pytest.approx(45.0)
    np.testing.assert_allclose(alloc.duals["envelope"], -1.75, atol=1e-7)  # relaxing helps: less shortfall
    assert float(alloc.duals["pillar_max_share"].sel(pillar="development")) < 0


@pytest.mark.parametrize("solver", PULP_SOLVERS)
@pytest.mark.parametrize("sense", ["max", "min"])
def test_duals_certify_the_degenerate_reference(reference: fs.Scenario, solver: str, sense: str) -> None:
    """The reference LP is degenerate (its duals are not unique; CBC's differ from HiGHS's), but any
    backend's duals must certify the optimum, for the LP and for its mirror image min −c·x."""
    lp = fs.assemble(reference)
    if sense == "min":
        lp.sense, lp.c, lp.offset = "min", -lp.c, -lp.offset
    result = PulpSolver({"solver": solver}).solve(lp)
    assert result.status is Status.OPTIMAL
    assert rel(result.objective, HighsSolver().solve(lp).objective) < 1e-6
    assert_dual_certificate(lp, result)


def _value(lp: LinearProgram, row: int, side: str, step: float) -> float | None:
    """The optimum (by HiGHS) with the ``side`` bound(s) of ``row`` moved by ``step`` (``None``: no plan keeps the
    moved bound, e.g. a condition's 0 tightened below what nothing can undercut)."""
    moved = copy.copy(lp)
    moved.row_lower, moved.row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    if side in ("lower", "both"):
        moved.row_lower[row] += step
    if side in ("upper", "both"):
        moved.row_upper[row] += step
    result = HighsSolver().solve(moved)
    if result.status is Status.INFEASIBLE:
        return None
    assert result.status is Status.OPTIMAL
    return result.objective


@pytest.mark.parametrize(("name", "families"), [("gam-2008", 4), ("gam-2008-impact-curves", 5)])
@pytest.mark.parametrize("backend", DUAL_BACKENDS)
def test_reference_duals_match_finite_differences(name: str, families: int, backend: str) -> None:
    """On the degenerate reference the objective is kinked: the value of a rule's bound, relaxed and
    tightened by a small step, brackets the dual (right slope ≤ dual ≤ left slope, for a max LP). Checked
    for the largest dual of every rule family with one: under the results framework the priced rules are the
    money's limits (envelope, absorption, the two match capacities), under the impact curves one more."""
    lp = fs.assemble(fs.load_scenario(ROOT / "scenarios" / f"{name}.yaml"))
    result = get_solver(backend).solve(lp)
    # the moved optima are HiGHS's, so is the base (another backend's optimum differs in the last digits); the
    # bracket holds for any step (concavity), and a larger one is less noisy
    base, step = HighsSolver().solve(lp).objective, 1e-2
    checked = 0
    for block in lp.constraints.values():
        duals = result.row_dual[block.start:block.stop]
        if np.abs(duals).max() < 1e-6:
            continue
        row = block.start + int(np.argmax(np.abs(duals)))
        y = result.row_dual[row]
        # the side the dual prices: in a max LP a positive dual is the upper bound's (relaxing it gains), a
        # negative one the lower bound's (read from the dual, not from an activity within a solver's tolerance)
        side = "both" if lp.row_lower[row] == lp.row_upper[row] else "upper" if y > 0 else "lower"
        relaxed, tightened = _value(lp, row, side, step), _value(lp, row, side, -step)
        assert relaxed is not None
        right = (relaxed - base) / step
        left = np.inf if tightened is None else (base - tightened) / step  # no plan tighter: no left bracket
        assert right - 1e-5 <= y <= left + 1e-5, (block.name, right, y, left)
        checked += 1
    assert checked >= families


# ---- statuses, empty and infeasible programs -----------------------------------------------------------------
def _one_column(lower: float, upper: float, cost: float = 1.0, row_upper: float = np.inf) -> LinearProgram:
    b = ProgramBuilder(sense="max")
    b.add_variables(Header("x"), 1, lower=lower, upper=upper, cost=cost)
    b.add_constraints(Header("cap"), Entries(np.array([0]), np.array([0]), np.array([1.0])), np.array([-np.inf]),
                      np.array([row_upper]))
    return b.build()


@pytest.mark.parametrize("backend", DUAL_BACKENDS)
def test_an_infeasible_program_is_reported_as_such(backend: str) -> None:
    result = get_solver(backend).solve(_one_column(0.0, np.inf, row_upper=-1.0))  # x ≥ 0 and x ≤ −1
    assert result.status is Status.INFEASIBLE
    assert np.isnan(result.objective) and np.isnan(result.x).all()


@pytest.mark.parametrize("backend", DUAL_BACKENDS)
def test_an_unbounded_program_is_reported_as_such(backend: str) -> None:
    result = get_solver(backend).solve(_one_column(0.0, np.inf))  # max x, x ≥ 0, no upper limit
    assert result.status is Status.UNBOUNDED


def test_pulp_statuses_map_to_fundsim_statuses() -> None:
    assert _status(pulp.LpStatusOptimal, pulp.LpSolutionOptimal) is Status.OPTIMAL
    assert _status(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible) is Status.LIMIT  # stopped with a plan
    assert _status(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound) is Status.LIMIT
    assert _status(pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible) is Status.INFEASIBLE
    assert _status(pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded) is Status.UNBOUNDED
    assert _status(pulp.LpStatusUndefined, pulp.LpSolutionInfeasible) is Status.ERROR


def test_infeasible_scenarios_and_empty_rows(tutorial: fs.Scenario) -> None:
    """Through fs.solve: no eligible cell leaves rows without terms (objective 0, or infeasible when such a
    row asks for money); an impossible minimum gives the same InfeasibleError as HiGHS."""
    spec = copy.deepcopy(tutorial.spec)
    for ins in spec["instruments"]:
        ins["envelope"] = 0.0
    with pytest.warns(fs.FundsimWarning, match="no instrument has usable money"):
        sc = fs.scenario_from_dict(spec)
    assert fs.solve(sc, solver="pulp").objective == 0.0
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 1}]
    with pytest.warns(fs.FundsimWarning), pytest.raises(fs.InfeasibleError, match="no allocation"):
        fs.solve(fs.scenario_from_dict(spec), solver="pulp")
    spec = copy.deepcopy(tutorial.spec)
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 500}]
    with pytest.raises(fs.InfeasibleError, match="no allocation"):
        fs.solve(fs.scenario_from_dict(spec), solver="pulp")


def test_ranged_rows_and_the_offset() -> None:
    """A ranged row binding on either side gives one dual, of the sign of that side; the offset is added."""
    b = ProgramBuilder(sense="max")
    b.add_variables(Header("x", ("k",), (("a", "b"),)), 2, upper=10.0, cost=np.array([1.0, -1.0]))
    b.add_constraints(Header("band", ("k",), (("a", "b"),)), Entries(np.array([0, 1]), np.array([0, 1]),
                                                                     np.array([1.0, 1.0])),
                      np.array([2.0, 3.0]), np.array([4.0, 5.0]), kind="range")
    lp = b.build()
    lp.offset = 7.0
    for backend in DUAL_BACKENDS:
        result = get_solver(backend).solve(lp)
        assert result.objective == pytest.approx(4.0 - 3.0 + 7.0)
        np.testing.assert_allclose(result.row_dual, [1.0, -1.0], atol=1e-9)  # upper side of a, lower of b
        np.testing.assert_allclose(result.col_dual, [0.0, 0.0], atol=1e-9)


# ---- MILP ---------------------------------------------------------------------------------------------------
def _knapsack(integer: bool) -> LinearProgram:
    """max 5a + 4b s.t. 6a + 4b ≤ 24, a + 2b ≤ 6: LP optimum 21 at (3, 1.5), integer optimum 20 at (4, 0)."""
    b = ProgramBuilder(sense="max")
    b.add_variables(Header("n", ("item",), (("a", "b"),)), 2, cost=np.array([5.0, 4.0]))
    b.add_constraints(Header("capacity", ("resource",), (("wood", "labour"),)),
                      Entries(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([6.0, 4.0, 1.0, 2.0])),
                      np.full(2, -np.inf), np.array([24.0, 6.0]))
    lp = b.build()
    lp.integrality = np.array([1, 1], np.int32) if integer else None
    return lp


@pytest.mark.parametrize("solver", [*PULP_SOLVERS, "highs"])
def test_a_small_milp_solved_by_both(solver: str) -> None:
    backend = HighsSolver() if solver == "highs" else PulpSolver({"solver": solver})
    relaxed, milp = backend.solve(_knapsack(False)), backend.solve(_knapsack(True))
    assert relaxed.objective == pytest.approx(21.0) and relaxed.x == pytest.approx([3.0, 1.5])
    assert milp.status is Status.OPTIMAL
    assert milp.objective == pytest.approx(20.0) and milp.x == pytest.approx([4.0, 0.0])
    if solver != "highs":
        assert np.isnan(milp.row_dual).all() and np.isnan(milp.col_dual).all()  # a MILP has no duals
        assert_dual_certificate(_knapsack(False), relaxed)


def test_semicontinuous_columns_are_refused() -> None:
    lp = _knapsack(True)
    lp.integrality = np.array([2, 0], np.int32)
    with pytest.raises(ValueError, match="column 0 has integrality 2"):
        PulpSolver().solve(lp)


# ---- contract, options and error messages ------------------------------------------------------------------
def test_contract_and_registration(tutorial: fs.Scenario) -> None:
    assert BACKENDS["pulp"] is PulpSolver and PulpSolver.is_available()
    assert {Capability.DUALS, Capability.MILP, Capability.IN_PLACE} <= PulpSolver.capabilities
    assert Capability.WARM_START not in PulpSolver.capabilities and Capability.RANGING not in PulpSolver.capabilities
    assert "pulp" in DUAL_BACKENDS
    result = get_solver("pulp").solve(fs.assemble(tutorial))
    assert result.solver == "pulp" and result.info["pulp_solver"] == "PULP_CBC_CMD"
    assert result.info["dual_violation"] == pytest.approx(0.0, abs=1e-12)


def test_options_reach_the_pulp_solver() -> None:
    solver = PulpSolver({"time_limit": 60, "mip_rel_gap": 0.01, "threads": 1})
    assert (solver.pulp_solver.timeLimit, solver.pulp_solver.optionsDict["gapRel"]) == (60, 0.01)
    assert solver.pulp_solver.msg is False
    assert PulpSolver({"solver": "PULP_CBC_CMD", "msg": True}).pulp_solver.msg is True


def test_unknown_solver_names_list_the_available_ones(tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match=r"unknown PuLP solver 'CBC_PLEASE'; the available PuLP solvers are: "
                                         r".*PULP_CBC_CMD"):
        fs.solve(tutorial, solver="pulp", options={"solver": "CBC_PLEASE"})
    missing = next(s for s in pulp.listSolvers() if s not in available_solvers())
    with pytest.raises(ValueError, match=rf"the PuLP solver '{missing}' is not available on this machine; the "
                                         rf"available PuLP solvers are: .*PULP_CBC_CMD"):
        PulpSolver({"solver": missing})
    with pytest.raises(ValueError, match="available solvers are: highs, pulp"):
        get_solver("gurobo")


def test_unknown_options_are_named_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown option\(s\) 'time_limt' for the PuLP solver 'PULP_CBC_CMD'; "
                                         r"valid options are: solver, .*time_limit"):
        PulpSolver({"time_limt": 60})


def test_a_scenario_with_integer_rules_is_priced_like_highs(tutorial: fs.Scenario) -> None:
    """fs.solve prices a MILP by fixing its integer decisions and re-solving the LP with the same backend:
    through PuLP the optimum and those conditional shadow prices equal HiGHS's."""
    rules = dataclasses.replace(tutorial.rules, max_instruments_per_cell=fs.model.MaxInstrumentsPerCell(1))
    sc = tutorial.evolve(rules=rules)
    highs, cbc = fs.solve(sc), fs.solve(sc, solver="pulp")
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-9) and highs.objective == pytest.approx(127.5)
    assert cbc.data.attrs["shadow_prices"] == highs.data.attrs["shadow_prices"]
    # the fixed LP is degenerate (its duals are not unique): each backend's duals must certify its optimum (rows
    # over integer columns only are constants there, unpriced: NaN)
    for alloc in (highs, cbc):
        lp, result = alloc.lp, alloc.result
        priced = dataclasses.replace(result, row_dual=np.nan_to_num(result.row_dual))
        assert_certified(fixed_lp(lp, result.x), priced)
