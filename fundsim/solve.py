"""``fs.solve``: scenario → LP → backend → labelled Allocation."""

from __future__ import annotations

from typing import Any

from fundsim.errors import InfeasibleError, SolverError
from fundsim.lp import assemble
from fundsim.model import Scenario
from fundsim.results import Allocation
from fundsim.solvers import Status, get_solver

__all__ = ["solve"]


def solve(scenario: Scenario, solver: str = "highs", options: dict[str, Any] | None = None) -> Allocation:
    """Find the best allocation of a scenario.

    Parameters
    ----------
    scenario : a :class:`~fundsim.model.Scenario` (see :func:`fundsim.load_scenario`)
    solver : backend name (``"highs"``)
    options : passed to the backend; for HiGHS any HiGHS option, e.g. ``{"solver": "simplex"}`` or
        ``{"time_limit": 60}``

    Raises
    ------
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
    """
    lp = assemble(scenario)
    result = get_solver(solver, **(options or {})).solve(lp)
    if result.status is Status.INFEASIBLE:
        from fundsim.diagnose import quick_checks

        raise InfeasibleError(f"scenario {scenario.name!r} has no allocation that satisfies all its rules",
                              tuple(quick_checks(scenario)))
    if result.status is not Status.OPTIMAL:
        raise SolverError(f"{result.solver} stopped with status {result.status.value} on {scenario.name!r}",
                          result.status.value)
    return Allocation.from_solution(scenario, lp, result)
