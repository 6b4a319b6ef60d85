"""``fs.solve``: scenario → LP → backend → labelled Allocation."""

from __future__ import annotations

from typing import Any

from fundsim.errors import InfeasibleError, SolverError
from fundsim.lp import assemble
from fundsim.model import Scenario
from fundsim.results import Allocation
from fundsim.solvers import Status, get_solver
from fundsim.solvers.mip import solve_mip

__all__ = ["solve"]


def solve(scenario: Scenario, solver: str = "highs", options: dict[str, Any] | None = None) -> Allocation:
    """Find the best allocation of a scenario.

    Parameters
    ----------
    scenario : a :class:`~fundsim.model.Scenario` (see :func:`fundsim.load_scenario`)
    solver : backend name (``"highs"``)
    options : passed to the backend; for HiGHS any HiGHS option, e.g. ``{"solver": "simplex"}``,
        ``{"time_limit": 60}`` or, for scenarios with integer rules, ``{"mip_rel_gap": 1e-3}``

    A scenario with integer rules (``max_instruments_per_cell``, ``min_commitment``, ``admin_cost``,
    ``mobility_partnerships``) is a mixed-integer programme: its shadow prices are conditional on the
    integer decisions (:func:`fundsim.solvers.mip.solve_mip`), as ``alloc.data.attrs["shadow_prices"]`` says.

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
    backend = get_solver(solver, **(options or {}))
    result = solve_mip(backend, lp)  # a pure LP: one solve
    if result.status is Status.INFEASIBLE:
        from fundsim.diagnose import diagnose

        raise InfeasibleError(f"scenario {scenario.name!r} has no allocation that satisfies all its rules",
                              diagnose(scenario, lp))
    if result.status is not Status.OPTIMAL:
        raise SolverError(f"{result.solver} stopped with status {result.status.value} on {scenario.name!r}",
                          result.status.value)
    return Allocation.from_solution(scenario, lp, result)
