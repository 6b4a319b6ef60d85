"""Solver backends. Each sees only a :class:`~fundsim.lp.LinearProgram`.

``highs`` (highspy, in process, warm re-solves, ranging) is the default; ``pulp`` runs any PuLP solver, CBC by
default. Each backend declares its :class:`Capability` set; :func:`solver_choice` picks a backend by name and
checks the capabilities a caller needs (see ``docs/architecture.md``, "Adding a solver backend").
:func:`~fundsim.solvers.export.write_program` writes an LP as an MPS or LP file with readable names.
:class:`~fundsim.solvers.sifting.Sifting` re-solves wide LPs of one structure from a base optimum (Monte Carlo).
"""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.solvers.backends import BACKENDS, SolverChoice, get_solver, having, solver_choice
    from fundsim.solvers.base import Capability, InPlaceSolver, MipProgress, RangingSolver, Solver, SolveResult, Status
    from fundsim.solvers.export import names, write_program
    from fundsim.solvers.highs import HighsSolver
    from fundsim.solvers.pulp import PulpSolver
    from fundsim.solvers.sifting import Sifting

__all__ = ["BACKENDS", "Capability", "HighsSolver", "InPlaceSolver", "MipProgress", "PulpSolver", "RangingSolver",
           "Sifting", "SolveResult", "Solver", "SolverChoice", "Status", "get_solver", "having", "names",
           "solver_choice", "write_program"]

__getattr__, __dir__ = attach(__name__, __file__)
