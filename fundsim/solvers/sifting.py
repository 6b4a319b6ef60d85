"""Sifting: re-solve an LP with many more columns than rows over a small working set of its columns.

fundsim's LPs are wide (one column per instrument × priority × region × year, a few rows per rule) and
highly degenerate (interchangeable instruments tie). A draw of a Monte Carlo run changes numbers, not
structure, so the columns that carried the scenario's own optimum are a good start for the draw's:

1. solve the *restricted* LP over the working set, the other columns held at zero (their lower bound),
   warm from the scenario's optimal basis by dual simplex (right-hand sides moved);
2. price every column left out with the full LP's reduced costs ``d = c − Aᵀy``; those that would improve
   the objective (``d > tol`` when maximising, ``d < −tol`` when minimising) are improving entries;
3. add the most improving ones (at most one batch) at zero, nonbasic, so the basis stays primal feasible,
   and re-solve warm by primal simplex; repeat until no column prices in.

When no column left out prices in, ``y`` is dual feasible for the full LP and the restricted optimum, padded
with zeros, is primal feasible for it: together they certify the full LP's optimum (the same argument as
column generation's). On the 34k-column synthetic benchmark a draw took 0.3–0.6 s this way against
2.0–2.3 s for a cold interior-point solve (benchmarks/montecarlo.py).

A restricted LP that is infeasible or unbounded says nothing final about the full LP (a column left out may
repair it): :meth:`Sifting.solve` then returns ``None`` and the caller solves the full LP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from fundsim.errors import ArgumentError, SolverError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import SolveResult, Status
from fundsim.solvers.highs import HighsSolver, _highspy

__all__ = ["Sifting"]

# a column enters when its reduced cost improves the objective by more than HiGHS's dual feasibility tolerance
TOLERANCE = 1e-7
# rounds before giving up (the caller then solves the full LP); the benchmark's draws took 4–8
MAX_ROUNDS = 60


def _restrict(lp: LinearProgram, csc: sp.csc_matrix, cols: np.ndarray) -> LinearProgram:
    """The LP over ``cols`` only (rows unchanged)."""
    return LinearProgram(lp.sense, lp.c[cols], csc[:, cols].tocsr(), lp.row_lower, lp.row_upper,
                         lp.col_lower[cols], lp.col_upper[cols], variables={}, constraints={}, offset=lp.offset)


@dataclass
class Sifting:
    """A working set of columns and a basis on it, taken from an optimal solve of a base LP.

    :meth:`solve` then solves any LP with the base's columns and rows (other numbers) by sifting from
    there. Each solve starts from the same working set and basis, so its result depends on its LP alone.

    Parameters
    ----------
    base : the LP that was solved.
    result : its optimal :class:`SolveResult`, with a HiGHS basis (``HighsSolver`` gives one).
    batch : most columns added per round; default the number of rows (at least 500).
    options : HiGHS options for the restricted LPs (they are always solved by simplex).
    keep : columns always in the working set (those that take up what their rows leave, such as unused
        appropriations: without them a draw's right-hand sides could make the restricted LP infeasible).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/gam-2008.yaml"))
    >>> sifting = Sifting(lp, HighsSolver().solve(lp))
    >>> len(sifting.working) < lp.num_col
    True
    >>> round(sifting.solve(lp).objective, 3)
    806.602
    """

    base: LinearProgram
    result: SolveResult
    batch: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    keep: np.ndarray | None = None
    working: np.ndarray = field(init=False)
    col_status: list[Any] = field(init=False)
    row_status: list[Any] = field(init=False)
    _csc: sp.csc_matrix = field(init=False, repr=False)
    _by_col: sp.csr_matrix = field(init=False, repr=False)
    _solver: HighsSolver = field(init=False, repr=False)
    _loaded: tuple[np.ndarray, ...] = field(init=False, repr=False)
    _start: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.result.status is not Status.OPTIMAL or self.result.basis is None or not self.result.basis.valid:
            raise ArgumentError("sifting starts from an optimal solve with a valid basis (HighsSolver gives one)")
        hs = _highspy()
        status = list(self.result.basis.col_status)
        in_basis = np.fromiter((s == hs.HighsBasisStatus.kBasic for s in status), bool, len(status))
        lp = self.base
        always = np.zeros(lp.num_col, bool)
        if self.keep is not None:
            always[np.asarray(self.keep, np.int64)] = True
        self.working = np.flatnonzero(in_basis | (np.abs(self.result.x) > 1e-9) | (lp.col_lower != 0) | always)
        self.col_status = [status[j] for j in self.working]
        self.row_status = list(self.result.basis.row_status)
        self.batch = self.batch or max(500, lp.num_row)
        self._csc, self._by_col = lp.A.tocsc(), lp.A.T.tocsr()  # columns to add; reduced costs c − Aᵀy
        self._start = hs.HighsBasis()  # every solve starts from the base's optimal basis on the working set
        self._start.col_status, self._start.row_status, self._start.valid = self.col_status, self.row_status, True
        # the restricted LP of the base, loaded once and solved from its optimal basis (no iteration), so
        # that whatever HiGHS derives from the numbers on a first solve comes from the base's, not a draw's
        self._solver = self._load(lp, self._csc)
        self._solver.solve()
        self._loaded = self._numbers(lp)

    @staticmethod
    def works_with(backend: type) -> bool:
        """Whether draws solved by ``backend`` can be sifted: sifting is HiGHS's (its bases, its in-place
        column additions); other backends solve each draw on its own."""
        return issubclass(backend, HighsSolver)

    def _load(self, lp: LinearProgram, csc: sp.csc_matrix) -> HighsSolver:
        """A HiGHS instance holding ``lp`` restricted to the working set, at the base's optimal basis."""
        solver = HighsSolver({**self.options, "solver": "simplex"})
        solver.load(_restrict(lp, csc, self.working))
        solver.set_basis(self._start)
        return solver

    def _numbers(self, lp: LinearProgram) -> tuple[np.ndarray, ...]:
        """The numbers of ``lp`` the restricted LP holds, copied (the caller may change ``lp`` in place)."""
        w = self.working
        return lp.c[w], lp.col_lower[w], lp.col_upper[w], lp.row_lower.copy(), lp.row_upper.copy()

    def _in_place(self, lp: LinearProgram) -> HighsSolver:
        """The loaded restricted LP given ``lp``'s numbers in place, back at the base's optimal basis."""
        solver = self._solver
        solver.drop_added_columns()
        c, lower, upper, row_lower, row_upper = self._numbers(lp)
        was = self._loaded
        cols = np.flatnonzero(c != was[0])
        if len(cols):
            solver.change_costs(cols, c[cols])
        cols = np.flatnonzero((lower != was[1]) | (upper != was[2]))
        if len(cols):
            solver.change_col_bounds(cols, lower[cols], upper[cols])
        rows = np.flatnonzero((row_lower != was[3]) | (row_upper != was[4]))
        if len(rows):
            solver.change_row_bounds(rows, row_lower[rows], row_upper[rows])
        self._loaded = (c, lower, upper, row_lower, row_upper)
        solver.change_offset(lp.offset)
        solver.forget_solution()  # drop what the previous draw left (factorisation, edge weights)
        solver.set_option("simplex_strategy", 1)  # right-hand sides moved: dual simplex
        solver.set_basis(self._start)
        return solver

    def solve(self, lp: LinearProgram) -> SolveResult | None:
        """The optimum of ``lp`` (same columns and rows as the base), or ``None`` when sifting cannot decide.

        An LP with the base's matrix and sense (a Monte Carlo draw: other costs and bounds) has its numbers
        changed in place in the restricted LP kept from the base; any other is restricted and loaded afresh.
        ``None`` means the restricted LP was not optimal (infeasible or unbounded without the columns left
        out, or a solver limit) or no optimum was certified within ``MAX_ROUNDS`` rounds: solve the full LP.
        The result's ``basis`` is ``None``; ``iterations`` and ``seconds`` add up the rounds and ``info``
        says how many rounds and columns it took.
        """
        if lp.A.shape != self.base.A.shape or lp.integrality is not None:
            raise ArgumentError("sifting re-solves LPs of the base's shape, without integer columns")
        same = lp.same_matrix(self.base)
        csc, by_col = (self._csc, self._by_col) if same else (lp.A.tocsc(), lp.A.T.tocsr())
        try:
            solver = self._in_place(lp) if same and lp.sense == self.base.sense else self._load(lp, csc)
        except SolverError:  # a bound moved so that the base's status no longer fits (e.g. to infinity)
            return None
        improving = 1.0 if lp.sense == "max" else -1.0
        # columns whose bounds exclude zero cannot be held at zero outside the working set: they come in
        # at their lower bound, nonbasic
        outside_zero = (lp.col_lower != 0) | (lp.col_upper < 0)
        cols = self.working
        enter = np.setdiff1d(np.flatnonzero(outside_zero), cols, assume_unique=True)
        fixed_at_zero = lp.col_upper <= 0  # such a column left out cannot enter
        iterations, seconds = 0, 0.0
        for rounds in range(1, MAX_ROUNDS + 1):
            if len(enter):
                solver.add_columns(lp.c[enter], lp.col_lower[enter], lp.col_upper[enter], csc[:, enter])
                cols = np.concatenate([cols, enter])
            restricted = solver.solve()
            iterations, seconds = iterations + restricted.iterations, seconds + restricted.seconds
            if restricted.status is not Status.OPTIMAL:
                return None
            reduced = lp.c - by_col @ restricted.row_dual
            gain = improving * reduced
            gain[cols] = -np.inf
            gain[fixed_at_zero] = -np.inf
            enter = np.flatnonzero(gain > TOLERANCE)
            if len(enter) == 0:
                return self._full(lp, cols, restricted, reduced, iterations, seconds, rounds)
            if len(enter) > self.batch:
                enter = enter[np.argsort(-gain[enter], kind="stable")[:self.batch]]
            # the entering columns come in at zero: the basis stays primal feasible, primal simplex goes on
            solver.set_option("simplex_strategy", 4)
        return None

    @staticmethod
    def _full(lp: LinearProgram, cols: np.ndarray, restricted: SolveResult, reduced: np.ndarray,
              iterations: int, seconds: float, rounds: int) -> SolveResult:
        """The restricted optimum as a result of the full LP: zeros for the columns left out."""
        x = np.zeros(lp.num_col)
        x[cols] = restricted.x
        col_dual = reduced.copy()
        col_dual[cols] = restricted.col_dual
        return SolveResult(
            status=Status.OPTIMAL, objective=restricted.objective, x=x, row_dual=restricted.row_dual,
            col_dual=col_dual, row_activity=restricted.row_activity, solver=restricted.solver,
            solver_version=restricted.solver_version, seconds=seconds, iterations=iterations,
            info={"model_status": restricted.info.get("model_status"), "sifting_rounds": rounds,
                  "sifting_columns": len(cols)},
        )
