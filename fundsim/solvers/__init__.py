"""Solver backends. Each sees only a :class:`~fundsim.lp.LinearProgram`.

``highs`` (highspy, in process, warm re-solves) is the default; ``pulp`` runs any PuLP solver, CBC by
default. :func:`~fundsim.solvers.export.write_program` writes an LP as an MPS or LP file with readable names.
:class:`~fundsim.solvers.sifting.Sifting` re-solves wide LPs of one structure from a base optimum (Monte Carlo).
"""

from fundsim.solvers.base import Features, Solver, SolveResult, Status
from fundsim.solvers.export import names, write_program
from fundsim.solvers.highs import HighsSolver
from fundsim.solvers.pulp import PulpSolver
from fundsim.solvers.sifting import Sifting

BACKENDS: dict[str, type[HighsSolver] | type[PulpSolver]] = {"highs": HighsSolver, "pulp": PulpSolver}

__all__ = ["BACKENDS", "Features", "HighsSolver", "PulpSolver", "Sifting", "SolveResult", "Solver", "Status",
           "get_solver", "names", "write_program"]


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
        raise ValueError(f"unknown solver {name!r}; available solvers are: {', '.join(sorted(BACKENDS))}") from None
    return cls(options or None)
