"""The solver backends by name: :data:`BACKENDS` and :func:`get_solver`."""

from fundsim.errors import ArgumentError
from fundsim.solvers.base import Solver
from fundsim.solvers.highs import HighsSolver
from fundsim.solvers.pulp import PulpSolver

BACKENDS: dict[str, type[HighsSolver] | type[PulpSolver]] = {"highs": HighsSolver, "pulp": PulpSolver}

__all__ = ["BACKENDS", "get_solver"]


def get_solver(name: str = "highs", **options: object) -> Solver:
    """A solver instance by name (``"highs"`` or ``"pulp"``), made with ``options``.

    Examples
    --------
    >>> from fundsim.solvers import get_solver
    >>> get_solver("pulp", solver="PULP_CBC_CMD").name
    'pulp'
    """
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise ArgumentError(f"unknown solver {name!r}; available solvers are: {', '.join(sorted(BACKENDS))}") from None
    return cls(options or None)
