"""Solver backends. Each sees only a :class:`~fundsim.lp.LinearProgram`.

``highs`` (highspy, in process, warm re-solves) is the default; ``pulp`` runs any PuLP solver, CBC by
default. :func:`~fundsim.solvers.export.write_program` writes an LP as an MPS or LP file with readable names.
:class:`~fundsim.solvers.sifting.Sifting` re-solves wide LPs of one structure from a base optimum (Monte Carlo).
"""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.solvers.backends import BACKENDS, get_solver
    from fundsim.solvers.base import Features, Solver, SolveResult, Status
    from fundsim.solvers.export import names, write_program
    from fundsim.solvers.highs import HighsSolver
    from fundsim.solvers.pulp import PulpSolver
    from fundsim.solvers.sifting import Sifting

__all__ = ["BACKENDS", "Features", "HighsSolver", "PulpSolver", "Sifting", "SolveResult", "Solver", "Status",
           "get_solver", "names", "write_program"]

__getattr__, __dir__ = attach(__name__, __file__)
