"""The solver contract: every backend takes a :class:`LinearProgram` and returns a :class:`SolveResult`.

Dual convention (one for every backend): ``row_dual[j]`` is ∂(objective)/∂(bound of row j), the
change of the optimal objective per unit increase of the row's active bound, in objective units per
row unit; ``col_dual`` likewise for column bounds. :mod:`fundsim.results` turns these into each
rule's shadow price per unit of *relaxation*.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from fundsim.rules.program import LinearProgram

__all__ = ["Capability", "InPlaceSolver", "MipProgress", "RangingSolver", "SolveResult", "Solver", "Status"]


class Status(enum.Enum):
    """Outcome of a solve, independent of the backend.

    Examples
    --------
    >>> import fundsim as fs
    >>> fs.solve("scenarios/tutorial.yaml").result.status
    <Status.OPTIMAL: 'optimal'>
    >>> Status("limit")
    <Status.LIMIT: 'limit'>
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"  # a time or iteration limit stopped the solver
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM stopped it; a MILP may keep its incumbent
    ERROR = "error"


class Capability(enum.Enum):
    """What a backend can do. Each backend class declares its set (``capabilities``); callers ask for what
    they need (:meth:`fundsim.solvers.SolverChoice.require`) and get a :class:`~fundsim.errors.CapabilityError`
    naming the missing one, never a silent fallback.

    * ``LP``: solves linear programmes; ``MILP``: also integer columns (``lp.integrality``).
    * ``DUALS``: row and column duals in fundsim's convention (see this module's docstring).
    * ``RANGING``: the optimal basis of an LP is kept and can be set again (``set_basis``), and the raw data
      of ranging come back: ``basis()``, ``ranging()``, ``basis_status()``, ``free_nonbasic()``,
      ``basic_variables()``, ``transpose_solve()``, ``solution()``, ``rangeable_lp()`` (:class:`RangingSolver`).
      :mod:`fundsim.results.ranging` turns them into intervals.
    * ``IN_PLACE``: ``load(lp)``, then ``change_costs``, ``change_row_bounds``, ``change_col_bounds``,
      ``change_coeffs``, ``change_offset`` change the loaded LP and ``solve()`` solves it as changed
      (:class:`InPlaceSolver`).
    * ``WARM_START``: a re-solve of the changed LP starts from the last basis, not from scratch.
    * ``MIP_START``: ``set_mip_start(x)`` gives a MILP a first incumbent.
    * ``TIME_LIMIT``: the option ``time_limit`` (seconds) stops a solve, with status ``LIMIT``.
    * ``PROGRESS``: the attribute ``progress``, a function of a :class:`MipProgress`, is called while a MILP
      solves with where the search stands, and once at its end (see
      :class:`~fundsim.solvers.highs.HighsSolver`). An LP reports nothing.
    * ``INTERRUPT``: the attribute ``interrupt`` makes Ctrl-C stop the solver cleanly, a MILP keeping its
      incumbent if asked (see :class:`~fundsim.solvers.highs.HighsSolver`).

    The values are the words error messages use.

    Examples
    --------
    >>> from fundsim.solvers import HighsSolver, PulpSolver
    >>> Capability.RANGING in HighsSolver.capabilities, Capability.RANGING in PulpSolver.capabilities
    (True, False)
    >>> Capability.IN_PLACE.value
    'in-place updates'
    """

    LP = "LP"
    MILP = "MILP"
    DUALS = "duals"
    RANGING = "ranging"
    IN_PLACE = "in-place updates"
    WARM_START = "warm re-solves"
    MIP_START = "MIP start"
    TIME_LIMIT = "time limit"
    PROGRESS = "progress callback"
    INTERRUPT = "clean interrupt"


@dataclass(frozen=True)
class MipProgress:
    """Where the search of a mixed-integer programme stands: the best plan found, the best proved bound on
    the optimum, the relative gap between them and the seconds since the solve began.

    Attributes
    ----------
    incumbent : the objective of the best plan found so far; ``None`` before the first
    bound : the best proved bound on the optimum, in the objective's own sense (no plan can score above it in a
        maximisation, below it in a minimisation); ``None`` before the first is proved
    gap : ``|incumbent − bound| / |incumbent|``, how far the incumbent may still be from the optimum as a share
        of it; ``None`` without both
    seconds : the solver's time since the solve began

    Examples
    --------
    >>> MipProgress(909.7, 911.8, (911.8 - 909.7) / 909.7, 24.2).describe()
    'incumbent 909.7 · bound 911.8 · gap 0.23 %'
    >>> MipProgress(None, 1_976.25, None, 3.0).describe()
    'no plan yet · bound 1,976.2'
    """

    incumbent: float | None
    bound: float | None
    gap: float | None
    seconds: float

    def describe(self) -> str:
        """The search in one line: money with thousands separators and one decimal (never in scientific
        notation), the gap in per cent with two decimals."""
        parts = ["no plan yet" if self.incumbent is None else f"incumbent {self.incumbent:,.1f}",
                 *([] if self.bound is None else [f"bound {self.bound:,.1f}"]),
                 *([] if self.gap is None or not math.isfinite(self.gap) else [f"gap {100 * self.gap:,.2f} %"])]
        return " · ".join(parts)


@dataclass(eq=False)
class SolveResult:
    """Raw result of a solve: flat vectors, in the LP's column and row order.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> result.status.value, round(result.objective, 6), result.x.shape, result.row_dual.shape
    ('optimal', 130.0, (25,), (10,))
    """

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
    """A backend: ``name``, its declared ``capabilities``, the ``precision`` of its numbers, the ``options``
    it was made with, availability, its version and ``solve``. It is made as ``cls(options)`` (a dict or
    ``None``).

    ``precision`` is the relative accuracy of the values a solve returns: a caller that turns an optimum
    into a bound of the next solve (the ε-constraints of a Pareto front) relaxes it by this much.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> solver = HighsSolver({"time_limit": 60})
    >>> solver.name, HighsSolver.is_available(), solver.options["time_limit"]
    ('highs', True, 60)
    >>> round(solver.solve(fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))).objective, 6)
    130.0
    """

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    precision: ClassVar[float]
    options: dict[str, Any]

    @classmethod
    def is_available(cls) -> bool: ...

    def version(self) -> str: ...

    def solve(self, lp: LinearProgram) -> SolveResult: ...


class InPlaceSolver(Solver, Protocol):
    """A backend with :attr:`Capability.IN_PLACE`: change the loaded LP, then ``solve()`` it as changed.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> solver = HighsSolver()
    >>> solver.load(lp)
    >>> rows = np.arange(lp.constraints["absorption"].start, lp.constraints["absorption"].stop)
    >>> solver.change_row_bounds(rows, lp.row_lower[rows], lp.row_upper[rows] + 1)  # North Africa absorbs 1 more
    >>> round(solver.solve().objective, 6)  # twice the shadow price of 0.5
    131.0
    """

    def load(self, lp: LinearProgram) -> None: ...

    def solve(self, lp: LinearProgram | None = None) -> SolveResult: ...

    def change_costs(self, cols: np.ndarray, costs: np.ndarray) -> None: ...

    def change_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None: ...

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None: ...

    def change_coeffs(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None: ...

    def change_offset(self, offset: float) -> None: ...

    def forget_solution(self) -> None: ...


class RangingSolver(InPlaceSolver, Protocol):
    """A backend with :attr:`Capability.RANGING`: the raw data of LP ranging, from the last optimal basis.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> solver = HighsSolver()
    >>> solver.load(fs.assemble(fs.load_scenario("scenarios/tutorial.yaml")))
    >>> round(solver.solve().objective, 6)
    130.0
    >>> sorted(solver.ranging())[:3]
    ['col_bound_dn', 'col_bound_dn_objective', 'col_bound_up']
    """

    def set_basis(self, basis: Any) -> None: ...

    def basis(self) -> Any: ...

    def rangeable_lp(self) -> LinearProgram: ...

    def ranging(self) -> dict[str, np.ndarray]: ...

    def basis_status(self) -> tuple[np.ndarray, np.ndarray]: ...

    def free_nonbasic(self) -> np.ndarray: ...

    def basic_variables(self) -> np.ndarray: ...

    def transpose_solve(self, rhs: np.ndarray) -> np.ndarray: ...

    def solution(self) -> dict[str, np.ndarray]: ...
