"""``fs.solve``: scenario → LP → backend → labelled Allocation; ``fs.replan``: the mid-term review, the years
already committed held at the actuals and the later ones solved again."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fundsim.errors import InfeasibleError, SolverError
from fundsim.lp import assemble
from fundsim.model import Scenario
from fundsim.results import Allocation
from fundsim.results.inputs import wrong_type
from fundsim.scenario import load_scenario
from fundsim.solvers import Capability, Status
from fundsim.solvers.backends import SolverLike, program_kind, solver_choice
from fundsim.solvers.mip import solve_mip

__all__ = ["as_scenario", "check_options", "solve"]

SCENARIO = "a fundsim.Scenario (fs.load_scenario(path)) or the path of a scenario file (.yaml, .yml or .toml)"


def as_scenario(value: Scenario | str | os.PathLike[str], parameter: str = "scenario") -> Scenario:
    """``value`` when it is a :class:`~fundsim.model.Scenario`, the scenario loaded from it when it is a path
    (as :func:`fundsim.load_scenario` does), else a ``TypeError`` naming ``parameter``.

    Examples
    --------
    >>> as_scenario("scenarios/tutorial.yaml").name
    'tutorial'
    >>> as_scenario(None)
    Traceback (most recent call last):
    ...
    TypeError: scenario: got None; give a fundsim.Scenario (fs.load_scenario(path)) or the path of a scenario \
file (.yaml, .yml or .toml)
    """
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | os.PathLike):
        return load_scenario(Path(value))
    hint = " (for a dict, fs.scenario_from_dict(d))" if isinstance(value, Mapping) else ""
    raise wrong_type(parameter, value, SCENARIO + hint)


def check_options(options: Any, parameter: str = "options") -> dict[str, Any]:
    """Solver options as a dict (``None``: none), else a ``TypeError`` naming ``parameter``.

    Examples
    --------
    >>> check_options(None), check_options({"time_limit": 60})
    ({}, {'time_limit': 60})
    >>> check_options([1])
    Traceback (most recent call last):
    ...
    TypeError: options: got the list [1]; give a dict of solver options such as {'time_limit': 60}, or None
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        raise wrong_type(parameter, options, "a dict of solver options such as {'time_limit': 60}, or None")
    return dict(options)


def solve(scenario: Scenario | str | os.PathLike[str], solver: SolverLike = "highs",
          options: dict[str, Any] | None = None, *, keep_interrupted: bool = False) -> Allocation:
    """Find the best allocation of a scenario.

    Parameters
    ----------
    scenario : a :class:`~fundsim.model.Scenario` (see :func:`fundsim.load_scenario`), or the path of a
        scenario file, which is loaded
    solver : the backend: a name (``"highs"``, the default, or ``"pulp"``), a backend class or instance, or a
        :class:`~fundsim.solvers.SolverChoice`; it needs duals, and integer columns for a scenario with
        integer rules
    options : passed to the backend; for HiGHS any HiGHS option, e.g. ``{"solver": "simplex"}``,
        ``{"time_limit": 60}`` or, for scenarios with integer rules, ``{"mip_rel_gap": 1e-3}``; for PuLP
        ``{"solver": "HiGHS"}``, ``{"time_limit": 60}`` … (see :class:`~fundsim.solvers.PulpSolver`)

    A scenario with integer rules (``max_instruments_per_cell``, ``min_commitment``, ``admin_cost``,
    ``mobility_partnerships``) is a mixed-integer programme: its shadow prices are conditional on the
    integer decisions (:func:`fundsim.solvers.mip.solve_mip`), as ``alloc.data.attrs["shadow_prices"]`` says.

    keep_interrupted : Ctrl-C (or SIGTERM) stops HiGHS cleanly at its next check and raises
        :class:`KeyboardInterrupt`; with ``keep_interrupted=True``, a scenario with integer rules stopped so
        returns instead the best allocation found so far, with ``status`` ``"interrupted"`` and its proved
        relative gap to the optimum in ``alloc.data.attrs["mip_gap"]`` (an LP, or a MILP without a plan
        yet, still raises). It needs a backend with a clean interrupt (HiGHS).

    Raises
    ------
    TypeError
        when ``scenario``, ``solver`` or ``options`` is of the wrong kind (the message names it)
    CapabilityError
        when the backend lacks what the call needs (integer columns, a clean interrupt); the message names
        the backend, the capability and the backends that have it
    ScenarioError
        when ``scenario`` is a path to a file that does not load
    InfeasibleError
        when the rules cannot all hold; its ``diagnosis`` says which rules are in conflict.
    SolverError
        when the solver stops for another reason (limits, numerical trouble, unbounded).

    Examples
    --------
    >>> import fundsim as fs
    >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> alloc.objective
    130.0
    >>> fs.solve("scenarios/tutorial.yaml").objective  # a path is loaded first
    130.0
    >>> round(fs.solve("scenarios/tutorial.yaml", solver="pulp").objective, 6)  # CBC through PuLP
    130.0
    """
    scenario = as_scenario(scenario)
    needs = [Capability.DUALS, *([Capability.INTERRUPT] if keep_interrupted else [])]
    choice = solver_choice(solver, check_options(options), needs=needs)
    lp = assemble(scenario)
    kind = program_kind(lp)
    choice.require(kind, why=" for integer rules" if kind is Capability.MILP else "")
    backend = choice.make()
    if Capability.INTERRUPT in choice.capabilities:  # the backend stops cleanly on Ctrl-C
        backend.interrupt = "keep" if keep_interrupted else "raise"  # type: ignore[attr-defined]
    result = solve_mip(backend, lp)  # a pure LP: one solve
    if result.status is Status.INFEASIBLE:
        from fundsim.diagnose import diagnose

        raise InfeasibleError(f"scenario {scenario.name!r} has no allocation that satisfies all its rules",
                              diagnose(scenario, lp, solver=choice))
    if result.status not in (Status.OPTIMAL, Status.INTERRUPTED):
        raise SolverError(f"{result.solver} stopped with status {result.status.value} on {scenario.name!r}",
                          result.status.value)
    return Allocation.from_solution(scenario, lp, result)
