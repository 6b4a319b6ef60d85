"""One solver contract: every entry point takes ``solver=``, asks for the capabilities it needs, and a
backend that lacks one is refused by name, never replaced in silence.

The PuLP backend (CBC) is an independent solver of the same LPs: where it has what an entry point needs,
its optimum must agree with HiGHS's to 1e-6 relative, and with the figures worked by hand for the
tutorial (130 at the optimum; 120 and 135 with north Africa's absorption at 15 and 30 EUR m a year:
each unit of that capacity is worth 1 over the two years it binds).
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import fundsim as fs
from fundsim.diagnose import diagnose
from fundsim.model import Limit, MaxInstrumentsPerCell, MinPackage, PillarBalance, Rules
from fundsim.sensitivity import budget_frontier, morris, pareto_front, sobol, sweep, tornado
from fundsim.solvers import (
    BACKENDS,
    Capability,
    InPlaceSolver,
    RangingSolver,
    SolverChoice,
    SolveResult,
    having,
    solver_choice,
)

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"
RTOL = 1e-6


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario(TUTORIAL)


@pytest.fixture(scope="module")
def uncertain() -> fs.Scenario:
    return fs.load_scenario(UNCERTAIN)


def _infeasible(sc: fs.Scenario) -> fs.Scenario:
    """The tutorial with a minimum share for the legal pillar (90 %) that other minimums rule out."""
    return sc.evolve(rules=Rules(pillar_balance=(PillarBalance("legal", min_share=0.9),),
                                 priority_limits=(Limit("return", min=10.0),),
                                 min_packages=(MinPackage("north_africa", 10.0, frozenset({"return"})),)))


# ---- the declared capabilities ---------------------------------------------------------------------------
def test_capability_table() -> None:
    """What each backend declares, as docs/architecture.md states it."""
    assert BACKENDS["highs"].capabilities == frozenset(Capability)
    assert BACKENDS["pulp"].capabilities == {Capability.LP, Capability.MILP, Capability.DUALS, Capability.IN_PLACE,
                                             Capability.TIME_LIMIT}
    assert having(Capability.RANGING) == ("highs",) and having(Capability.IN_PLACE) == ("highs", "pulp")
    assert having(Capability.PROGRESS) == ("highs",)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_declared_capability_has_its_methods(name: str) -> None:
    """Declaring in-place updates or ranging promises the methods of its protocol."""
    cls = BACKENDS[name]
    for capability, protocol in ((Capability.IN_PLACE, InPlaceSolver), (Capability.RANGING, RangingSolver)):
        if capability in cls.capabilities:
            missing = [m for m in vars(protocol) if not m.startswith("_") and not callable(getattr(cls, m, None))]
            assert missing == [], (name, capability, missing)


def test_pulp_in_place_updates_rebuild_the_changed_lp(tutorial: fs.Scenario) -> None:
    """Raising north Africa's 2009 absorption from 25 to 30 EUR m is worth 0.5 per EUR m (its shadow price,
    which holds up to 30)."""
    lp = fs.assemble(tutorial)
    row = np.array([lp.constraints["absorption"].start])
    solver = solver_choice("pulp").make_in_place()
    assert solver.solve(lp).objective == pytest.approx(130.0, rel=RTOL)
    solver.change_row_bounds(row, np.array([-np.inf]), np.array([30.0]))
    assert solver.solve().objective == pytest.approx(132.5, rel=RTOL)
    assert lp.row_upper[row[0]] == 25.0  # the caller's LP is left as it was


def test_a_choice_pickles_and_keeps_its_options() -> None:
    choice = solver_choice("pulp", {"time_limit": 60})
    again = pickle.loads(pickle.dumps(choice))
    assert again == choice and again.settings == {"time_limit": 60} and again.make().name == "pulp"
    assert solver_choice(choice.make()) == choice  # an instance stands for its class and options


# ---- a backend missing a capability is refused by name ---------------------------------------------------
class ColdOnly:
    """A backend that solves LPs (by delegating to HiGHS, made through the contract) and declares nothing else
    but duals: no in-place updates, no integers, no time limit."""

    name: ClassVar[str] = "cold"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.LP, Capability.DUALS})
    precision: ClassVar[float] = 1e-9

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    @classmethod
    def is_available(cls) -> bool:
        return True

    def version(self) -> str:
        return "0"

    def solve(self, lp: Any) -> SolveResult:
        return solver_choice("highs").make().solve(lp)


def test_a_backend_without_in_place_updates_is_refused_by_name(tutorial: fs.Scenario) -> None:
    assert fs.solve(tutorial, solver=ColdOnly).objective == pytest.approx(130.0, rel=RTOL)
    with pytest.raises(fs.CapabilityError) as caught:
        budget_frontier(tutorial, solver=ColdOnly)
    assert str(caught.value) == ("the solver backend 'cold' has no in-place updates for a budget frontier; the "
                                 "backends with in-place updates are: highs, pulp (solve with solver='highs')")
    assert (caught.value.backend, caught.value.capability, caught.value.having) == ("cold", "in-place updates",
                                                                                     ("highs", "pulp"))
    with pytest.raises(fs.CapabilityError, match="'cold' has no in-place updates to find the repairs"):
        diagnose(_infeasible(tutorial), solver=ColdOnly)
    with pytest.raises(fs.CapabilityError, match="'cold' has no time limit; the backends with time limit are: "
                                                 "highs, pulp"):
        fs.solve(tutorial, solver=ColdOnly, options={"time_limit": 5})


def test_integer_rules_need_a_backend_with_milp(tutorial: fs.Scenario) -> None:
    rules = dataclasses.replace(tutorial.rules, max_instruments_per_cell=MaxInstrumentsPerCell(1))
    with pytest.raises(fs.CapabilityError, match="'cold' has no MILP for integer rules; the backends with MILP are: "
                                                 "highs, pulp"):
        fs.solve(tutorial.evolve(rules=rules), solver=ColdOnly)


def test_a_capability_another_backend_has() -> None:
    with pytest.raises(fs.CapabilityError, match="'pulp' has no progress callback; the backends with progress "
                                                 "callback are: highs"):
        solver_choice("pulp", needs=[Capability.PROGRESS])


def test_a_capability_no_backend_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(BACKENDS, "highs")  # the only backend with progress
    with pytest.raises(fs.CapabilityError, match="'pulp' has no progress callback; no backend has progress callback"):
        solver_choice("pulp", needs=[Capability.PROGRESS])


def test_wrong_kinds_of_solver() -> None:
    with pytest.raises(TypeError, match="solver: got None; give a backend name"):
        solver_choice(None)  # type: ignore[arg-type]
    with pytest.raises(fs.ArgumentError, match="unknown solver 'gurobo'; available solvers are: highs, pulp"):
        fs.simulate(UNCERTAIN, draws=2, solver="gurobo")


# ---- every entry point on PuLP where it has the capability ------------------------------------------------
def test_solve(tutorial: fs.Scenario) -> None:
    highs, cbc = fs.solve(tutorial), fs.solve(tutorial, solver="pulp")
    assert highs.objective == pytest.approx(130.0, rel=1e-12)
    assert cbc.objective == pytest.approx(130.0, rel=RTOL) and cbc.data.attrs["solver"] == "pulp"


def test_ranging_with_pulp_is_refused_by_name(tutorial: fs.Scenario) -> None:
    cbc = fs.solve(tutorial, solver="pulp")
    with pytest.raises(fs.CapabilityError) as caught:
        cbc.ranging()
    assert str(caught.value) == ("the solver backend 'pulp' has no ranging (it solved this allocation); the "
                                 "backends with ranging are: highs (solve with solver='highs')")
    assert isinstance(caught.value, fs.SolverError) and caught.value.status == "unavailable"


def test_a_clean_interrupt_with_pulp_is_refused_by_name(tutorial: fs.Scenario) -> None:
    with pytest.raises(fs.CapabilityError, match="'pulp' has no clean interrupt; the backends with clean "
                                                 "interrupt are: highs"):
        fs.solve(tutorial, solver="pulp", keep_interrupted=True)


def test_simulate(uncertain: fs.Scenario) -> None:
    highs = fs.simulate(uncertain, draws=6, seed=3)
    cbc = fs.simulate(uncertain, draws=6, seed=3, solver="pulp")
    assert cbc.attrs["solver"] == "pulp" and cbc.attrs["solver_version"].endswith("PULP_CBC_CMD")
    assert set(cbc["status"].values) == {"optimal"}
    np.testing.assert_allclose(cbc["objective"], highs["objective"], rtol=RTOL)


def test_sweep(tutorial: fs.Scenario) -> None:
    cbc = sweep(tutorial, "absorption.capacity.north_africa", [15, 30], solver="pulp")
    np.testing.assert_allclose(cbc["objective"], [120.0, 135.0], rtol=RTOL)


def test_tornado(uncertain: fs.Scenario) -> None:
    highs, cbc = tornado(uncertain), tornado(uncertain, solver="pulp")
    assert cbc["input"].tolist() == highs["input"].tolist()
    np.testing.assert_allclose(cbc[["output_low", "output_high"]], highs[["output_low", "output_high"]], rtol=RTOL)


def test_sobol_and_morris(uncertain: fs.Scenario) -> None:
    """The same design solved by CBC: the same optima at every point, so the same point estimates (the
    bootstrap confidence intervals resample at random and are left out)."""
    for study, kwargs in ((sobol, {"n": 4}), (morris, {"trajectories": 2})):
        highs = study(uncertain, ignore_correlation=True, **kwargs)
        cbc = study(uncertain, ignore_correlation=True, solver="pulp", **kwargs)
        np.testing.assert_array_equal(cbc["sample"], highs["sample"])
        np.testing.assert_allclose(cbc["output_value"], highs["output_value"], rtol=RTOL)
        estimates = [str(i) for i in highs["index"].values if not str(i).endswith("_conf")]
        np.testing.assert_allclose(cbc["indices"].sel(index=estimates), highs["indices"].sel(index=estimates),
                                   rtol=1e-4, atol=1e-6)


def test_budget_frontier(tutorial: fs.Scenario) -> None:
    highs, cbc = budget_frontier(tutorial), budget_frontier(tutorial, solver="pulp")
    np.testing.assert_allclose(cbc.breakpoints, highs.breakpoints, rtol=RTOL)
    assert cbc.value(1.0) == pytest.approx(130.0, rel=RTOL)
    np.testing.assert_allclose(cbc.data["objective"], highs.data["objective"], rtol=RTOL)


def test_pareto_front(tutorial: fs.Scenario) -> None:
    names = ("impact", "regional_concentration")
    highs, cbc = pareto_front(tutorial, names, points=3), pareto_front(tutorial, names, points=3, solver="pulp")
    np.testing.assert_allclose(cbc.table()[list(names)], highs.table()[list(names)], rtol=RTOL)
    assert cbc.table()["impact"].tolist() == pytest.approx([130.0, 125.0, 120.0], rel=RTOL)


def test_diagnose(tutorial: fs.Scenario) -> None:
    tight = _infeasible(tutorial)
    highs, cbc = diagnose(tight), diagnose(tight, solver="pulp")
    assert [r.text for r in cbc.repairs[0]] == [r.text for r in highs.repairs[0]]
    assert cbc.repairs[0][0].repaired == pytest.approx(5 / 6, rel=RTOL)
    with pytest.raises(fs.InfeasibleError) as caught:
        fs.solve(tight, solver="pulp")
    assert caught.value.repairs[0][0].text == highs.repairs[0][0].text


def test_compare(tutorial: fs.Scenario) -> None:
    spec = copy.deepcopy(tutorial.spec)
    spec["absorption"]["capacity"]["north_africa"] = 15
    plan = fs.solve(fs.scenario_from_dict(spec))  # the optimum at 15: 120, 10 short of the tutorial's
    highs, cbc = fs.compare(plan, scenario=tutorial), fs.compare(plan, scenario=tutorial, solver="pulp")
    assert cbc.optimum.objective == pytest.approx(130.0, rel=RTOL)
    assert float(cbc.gap.iloc[0]["gap"]) == pytest.approx(10.0, rel=RTOL)
    assert float(highs.gap.iloc[0]["gap"]) == pytest.approx(10.0, rel=1e-9)


# ---- no module outside fundsim/solvers/ builds a backend ---------------------------------------------------
def _constructor_calls(path: Path, names: set[str]) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in names:
                calls.append(f"{path}:{node.lineno}: {called}(")
    return calls


def test_no_module_outside_solvers_builds_a_backend() -> None:
    names = {cls.__name__ for cls in BACKENDS.values()}
    root = Path(fs.__file__).parent
    found = [call for path in sorted(root.rglob("*.py")) if root / "solvers" not in path.parents
             for call in _constructor_calls(path, names)]
    assert found == []
    assert _constructor_calls(root / "solvers" / "backends.py", {"SolverChoice"})  # the check sees calls at all


def test_solver_choice_is_the_one_default() -> None:
    assert solver_choice() == SolverChoice(BACKENDS["highs"])
