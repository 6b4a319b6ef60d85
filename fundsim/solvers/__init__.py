"""Solver backends. Each sees only a :class:`~fundsim.lp.LinearProgram`."""

from fundsim.solvers.base import Features, Solver, SolveResult, Status
from fundsim.solvers.highs import HighsSolver

BACKENDS: dict[str, type] = {"highs": HighsSolver}

__all__ = ["BACKENDS", "Features", "HighsSolver", "SolveResult", "Solver", "Status", "get_solver"]


def get_solver(name: str = "highs", **options: object) -> Solver:
    """A solver instance by name (``"highs"``)."""
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown solver {name!r}; available solvers are: {', '.join(sorted(BACKENDS))}") from None
    return cls(options or None)
