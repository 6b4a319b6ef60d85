"""The solver contract: every backend takes a :class:`LinearProgram` and returns a :class:`SolveResult`.

Dual convention (one for every backend): ``row_dual[j]`` is ∂(objective)/∂(bound of row j), the
change of the optimal objective per unit increase of the row's active bound, in objective units per
row unit; ``col_dual`` likewise for column bounds. :mod:`fundsim.results` turns these into each
rule's shadow price per unit of *relaxation*.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from fundsim.rules.program import LinearProgram

__all__ = ["Features", "SolveResult", "Solver", "Status"]


class Status(enum.Enum):
    """Outcome of a solve, independent of the backend."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"  # a time or iteration limit stopped the solver
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM stopped it; a MILP may keep its incumbent
    ERROR = "error"


@dataclass(frozen=True)
class Features:
    """What a backend can do; tests parametrise over the backends that have a feature."""

    duals: bool = True
    ranging: bool = False
    mip: bool = False
    warm_start: bool = False
    infeasibility: bool = False


@dataclass(eq=False)
class SolveResult:
    """Raw result of a solve: flat vectors, in the LP's column and row order."""

    status: Status
    objective: float
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    row_activity: np.ndarray
    solver: str
    solver_version: str
    seconds: float
    iterations: int = 0
    basis: Any = None
    info: dict[str, Any] = field(default_factory=dict)


class Solver(Protocol):
    """A backend: ``name``, ``features``, availability, and ``solve``."""

    name: ClassVar[str]
    features: ClassVar[Features]

    @classmethod
    def is_available(cls) -> bool: ...

    def solve(self, lp: LinearProgram) -> SolveResult: ...
