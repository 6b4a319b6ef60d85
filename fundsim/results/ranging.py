"""The maths of LP ranging, on the raw data a backend with ranging returns
(:class:`~fundsim.solvers.base.RangingSolver`).

A backend returns its basis and solution as they are (``ranging()``, ``basis_status()``,
``basic_variables()``, ``transpose_solve()``, ``solution()``); this module turns them into intervals:

* :func:`cost_ranging`: how far the costs may move along a direction before the optimal basis changes
  (the backend's per-column cost ranging generalised to a parameter shared by many columns);
* :func:`face_row_ranging` and :func:`face_cost_ranging`: the exact intervals on the optimal face, over
  which the same duals (the same solution) stay optimal, found by LPs solved on a backend of the same
  kind with in-place updates.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fundsim.errors import ArgumentError, CapabilityError, SolverError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.backends import BACKENDS, SolverChoice, having
from fundsim.solvers.base import Capability, InPlaceSolver, RangingSolver, SolveResult, Status

__all__ = ["cost_ranging", "face_cost_ranging", "face_row_ranging", "ranging_backend"]

# options the re-solve from a kept basis prefers on HiGHS
REBASE_TUNING = {"highs": {"solver": "simplex"}}

# options the face LPs prefer on HiGHS: primal simplex for the row face (only costs move between its solves)
FACE_TUNING = {"highs": {"solver": "simplex", "simplex_strategy": 4}}
DUAL_FACE_TUNING = {"highs": {"solver": "simplex"}}


def ranging_backend(name: str) -> RangingSolver:
    """A new instance of the backend ``name`` (a solve's ``result.solver``), for ranging its solution again.

    Raises
    ------
    CapabilityError
        when that backend has no :attr:`~fundsim.solvers.base.Capability.RANGING` (or is not registered).

    Examples
    --------
    >>> ranging_backend("highs").name
    'highs'
    >>> ranging_backend("pulp")
    Traceback (most recent call last):
    ...
    fundsim.errors.CapabilityError: the solver backend 'pulp' has no ranging (it solved this allocation); the \
backends with ranging are: highs (solve with solver='highs')
    """
    why = " (it solved this allocation)"
    if name not in BACKENDS:
        raise CapabilityError(name, Capability.RANGING.value, having(Capability.RANGING), why)
    choice = SolverChoice(BACKENDS[name]).require(Capability.RANGING, why=why)
    return choice.make_ranging(REBASE_TUNING)


def cost_ranging(solver: RangingSolver, directions: sp.spmatrix | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far the costs may move along each direction before the optimal basis of ``solver`` changes.

    For each column ``d`` of ``directions`` (shape ``(num_col, k)``), the steps ``t`` for which the basis
    stays optimal when the costs are ``c + t·d``: the backend's ``col_cost`` ranging generalised from one
    column to a parameter shared by many columns (an impact weight reaches every instrument and year
    of its cell). With ``η = B⁻ᵀ d_B`` (one basis solve per direction), the row duals move by
    ``t·η`` and the reduced costs by ``t·(d - Aᵀη)``; a ratio test on the nonbasic columns and rows,
    each of which must keep the sign of optimality, gives the interval.

    Returns
    -------
    (low, high) : arrays of length k with ``low ≤ 0 ≤ high``; ``±inf`` where unlimited. Over the
    interval the solution ``x`` stays optimal and the objective moves by ``t·(d·x)``.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> from fundsim.solvers import solver_choice
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> solver = solver_choice("highs").make_ranging()
    >>> _ = solver.solve(lp)
    >>> low, high = cost_ranging(solver, np.eye(lp.num_col)[:, :1])  # the cost of the first column alone
    >>> float(lp.c[0] + low[0]), float(lp.c[0] + high[0])
    (-inf, 2.0)
    """
    lp = solver.rangeable_lp()
    D = sp.csc_matrix(directions, dtype=float)
    if D.shape[0] != lp.num_col:
        raise ArgumentError(f"directions have {D.shape[0]} rows; the LP has {lp.num_col} columns")
    watch, sign, current = _dual_conditions(solver, lp)
    basic = solver.basic_variables()
    d_basic = D.tocsr()[np.where(basic >= 0, basic, 0)].toarray()  # d_B, one row per basic variable
    d_basic[basic < 0] = 0.0  # a basic row's logical has no cost
    cols, rows = watch[watch < lp.num_col], watch[watch >= lp.num_col] - lp.num_col
    a_watched, d_watched = lp.A[:, cols].T.tocsr(), D.tocsr()[cols]
    low, high = np.zeros(D.shape[1]), np.zeros(D.shape[1])
    step = max(1, 4_000_000 // max(lp.num_row, len(watch), 1))  # directions per chunk (bounded memory)
    for first in range(0, D.shape[1], step):
        chunk = slice(first, first + step)
        eta = np.column_stack([solver.transpose_solve(d) for d in d_basic[:, chunk].T])
        move = np.vstack([d_watched[:, chunk].toarray() - a_watched @ eta, eta[rows]]) * sign[:, None]
        low[chunk], high[chunk] = _ratio_test(current, move)
    return low, high


def _dual_conditions(solver: RangingSolver, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sign conditions of optimality, over columns then rows: which entries are watched, the sign
    ``σ`` with which each reduced cost or row dual must stay ≥ 0, and ``σ·current`` (clipped at 0).

    Maximising, a nonbasic variable at its upper bound needs a reduced cost (row dual) ≥ 0 and one at
    its lower bound ≤ 0; minimising, the reverse. Fixed variables and equality rows have no condition.
    Free nonbasic variables (at zero) need it to stay 0 and appear twice, once with each sign.
    """
    code = np.concatenate(solver.basis_status())
    side = np.where(code == 1, 1.0, -1.0)
    movable = np.concatenate([lp.col_lower, lp.row_lower]) < np.concatenate([lp.col_upper, lp.row_upper])
    bounded = np.flatnonzero((code != 0) & movable)
    free = np.flatnonzero(solver.free_nonbasic())
    sol = solver.solution()
    dual = np.concatenate([sol["col_dual"], sol["row_dual"]])
    watch = np.concatenate([bounded, free, free])
    sense = 1.0 if lp.sense == "max" else -1.0
    sign = sense * np.concatenate([side[bounded], np.ones(len(free)), -np.ones(len(free))])
    return watch, sign, np.maximum(sign * dual[watch], 0.0)


def _kind_of(solver: RangingSolver) -> SolverChoice:
    """A choice of the backend ``solver`` is of, without its options (the face LPs bring their own)."""
    return SolverChoice(type(solver))


# exact intervals on the optimal face ---------------------------------------------------------------
def face_row_ranging(solver: RangingSolver, rows: np.ndarray, sides: np.ndarray,
                     tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Exact interval of each row's bound (on ``sides``: +1 upper, -1 lower) over which the duals hold.

    The backend's ``ranging()`` gives the interval of the optimal *basis*; on a degenerate LP (many ties)
    the same duals stay optimal much further. This finds how far: with every column of nonzero reduced
    cost and every row of nonzero dual fixed where it is (the optimal face, by complementary
    slackness), the row's bound can go wherever the face lets its activity go: two LPs per row
    (maximise and minimise the activity), re-solved in place. A row of zero dual can move away from its
    activity freely: that end is unlimited.

    Returns
    -------
    (low, high) : arrays over ``rows``, ``±inf`` where unlimited.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> from fundsim.solvers import solver_choice
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> solver = solver_choice("highs").make_ranging()
    >>> _ = solver.solve(lp)
    >>> row = lp.constraints["absorption"].start + 1  # North Africa, 2010: 25 EUR m, binding
    >>> [float(v[0]) for v in face_row_ranging(solver, np.array([row]), np.array([1]))]
    [5.0, 30.0]
    """
    lp = solver.rangeable_lp()
    sol = solver.solution()
    y = sol["row_dual"]
    face_lp = _face(lp, sol["col_value"], sol["row_value"], sol["col_dual"], y, tol)
    face = _kind_of(solver).make_ranging(FACE_TUNING)  # primal simplex on HiGHS: only costs move
    face.load(face_lp)
    face.set_basis(solver.basis())
    _check_feasible(face.solve(), "optimal face")
    A = lp.A.tocsr()
    low, high = np.empty(len(rows)), np.empty(len(rows))
    for n, (i, side) in enumerate(zip(rows, sides, strict=True)):
        low[n], high[n] = _activity_range(face, face_lp, A, int(i), lp, side, abs(y[i]) > tol)
    return low, high


def _activity_range(face: InPlaceSolver, face_lp: LinearProgram, A: sp.csr_matrix, i: int, lp: LinearProgram,
                    side: int, priced: bool) -> tuple[float, float]:
    """Least and most activity of row ``i`` on the face loaded in ``face``, its bound on ``side`` released."""
    equality = lp.row_lower[i] == lp.row_upper[i]
    face.change_row_bounds(np.array([i]), np.array([lp.row_lower[i] if side > 0 and not equality else -np.inf]),
                           np.array([lp.row_upper[i] if side < 0 and not equality else np.inf]))
    cols, vals = A.indices[A.indptr[i] : A.indptr[i + 1]], A.data[A.indptr[i] : A.indptr[i + 1]]
    ends = []
    for sign in (-1.0, 1.0):  # least activity, then most
        free = not priced and not equality and sign == side  # a price of 0 holds however far the bound moves
        if free:
            ends.append(sign * np.inf)
            continue
        face.change_costs(cols, sign * vals)
        ends.append(_optimum(face.solve(), sign))
    face.change_costs(cols, np.zeros(len(cols)))
    face.change_row_bounds(np.array([i]), face_lp.row_lower[i : i + 1], face_lp.row_upper[i : i + 1])
    return ends[0], ends[1]


def face_cost_ranging(solver: RangingSolver, directions: sp.spmatrix | np.ndarray,
                      tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Exact interval of ``t`` over which the current solution stays optimal for costs ``c + t·d``.

    :func:`cost_ranging` gives the interval of the optimal basis; on a degenerate LP the solution
    stays optimal further, with other duals. This finds how far: ``x`` is optimal for ``c + t·d``
    exactly when some row duals ``y`` satisfy the optimality conditions at ``x`` (reduced costs of
    the right sign at each column's position, zero between bounds; zero duals on slack rows), an LP
    in ``(y, t)``: maximise and minimise ``t``, two re-solves in place per direction.

    Returns
    -------
    (low, high) : arrays over the columns of ``directions``, ``±inf`` where unlimited.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> from fundsim.solvers import solver_choice
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> solver = solver_choice("highs").make_ranging()
    >>> _ = solver.solve(lp)
    >>> low, high = face_cost_ranging(solver, np.eye(lp.num_col)[:, :1])
    >>> float(lp.c[0] + low[0]), float(lp.c[0] + high[0])
    (-inf, 2.0)
    """
    lp = solver.rangeable_lp()
    D = sp.csc_matrix(directions, dtype=float)
    sol = solver.solution()
    dual = _kind_of(solver).make_in_place(DUAL_FACE_TUNING)
    dual.load(_dual_face(lp, sol["col_value"], sol["row_value"], tol))
    _check_feasible(dual.solve(), "set of duals proving the solution optimal")
    t = lp.num_row
    low, high = np.empty(D.shape[1]), np.empty(D.shape[1])
    for k in range(D.shape[1]):
        d = D[:, k]
        dual.change_coeffs(d.indices, np.full(d.nnz, t), -d.data)
        ends = []
        for sign in (-1.0, 1.0):
            dual.change_costs(np.array([t]), np.array([sign]))
            ends.append(_optimum(dual.solve(), sign))
        dual.change_coeffs(d.indices, np.full(d.nnz, t), np.zeros(d.nnz))
        low[k], high[k] = ends
    return low, high


def _check_feasible(result: SolveResult, what: str) -> None:
    if result.status is not Status.OPTIMAL:
        raise SolverError(f"the {what} came out {result.status.value}: the solution is not accurate enough to "
                          "range exactly", "error")


def _optimum(result: SolveResult, sign: float) -> float:
    """``sign`` × the optimum of a maximisation over a set known to be non-empty; ``±inf`` if unbounded (HiGHS
    may call it "unbounded or infeasible")."""
    if result.status is Status.OPTIMAL:
        return sign * result.objective
    if result.status in (Status.UNBOUNDED, Status.INFEASIBLE):
        return sign * np.inf
    raise SolverError(f"an exact ranging LP stopped with status {result.status.value}", result.status.value)


def _at_bounds(value: np.ndarray, lower: np.ndarray, upper: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Which values sit on their lower and on their upper bound (within ``tol``, relative above 1)."""
    with np.errstate(invalid="ignore"):
        at_lower = np.isfinite(lower) & (np.abs(value - lower) <= tol * np.maximum(1.0, np.abs(lower)))
        at_upper = np.isfinite(upper) & (np.abs(value - upper) <= tol * np.maximum(1.0, np.abs(upper)))
    return at_lower, at_upper


def _face(lp: LinearProgram, x: np.ndarray, activity: np.ndarray, z: np.ndarray, y: np.ndarray,
          tol: float) -> LinearProgram:
    """The optimal face, costs zero: columns of nonzero reduced cost and rows of nonzero dual fixed."""
    col_lower, col_upper = lp.col_lower.copy(), lp.col_upper.copy()
    fixed = np.abs(z) > tol
    col_lower[fixed] = col_upper[fixed] = x[fixed]
    row_lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    fixed = np.abs(y) > tol
    row_lower[fixed] = row_upper[fixed] = activity[fixed]
    return LinearProgram("max", np.zeros(lp.num_col), lp.A, row_lower, row_upper, col_lower, col_upper, {}, {})


def _dual_face(lp: LinearProgram, x: np.ndarray, activity: np.ndarray, tol: float) -> LinearProgram:
    """The LP in ``(y, t)`` whose feasible points are the duals proving ``x`` optimal for ``c + t·d``.

    One row per column j: ``a_j·y - d_j·t`` is ``≥ c_j`` at its lower bound (maximising; the reduced
    cost ``c_j + t·d_j - a_j·y`` may not be positive), ``≤ c_j`` at its upper bound, ``= c_j`` strictly
    between, free if fixed; minimising swaps ``≥`` and ``≤``. Each ``y_i`` is ``≥ 0`` on a row at its
    upper bound (maximising), ``≤ 0`` at its lower bound, 0 strictly between, free on an equality row.
    The ``t`` column (last) holds ``-d``, set per direction.
    """
    s = 1.0 if lp.sense == "max" else -1.0
    col_lo, col_up = _at_bounds(x, lp.col_lower, lp.col_upper, tol)
    ge = np.where(col_lo & ~col_up, s > 0, np.where(col_up & ~col_lo, s < 0, False))
    le = np.where(col_lo & ~col_up, s < 0, np.where(col_up & ~col_lo, s > 0, False))
    inside = ~col_lo & ~col_up
    lower = np.where(ge | inside, lp.c, -np.inf)
    upper = np.where(le | inside, lp.c, np.inf)
    row_lo, row_up = _at_bounds(activity, lp.row_lower, lp.row_upper, tol)
    y_lower = np.where(row_lo, -np.inf if s > 0 else 0.0, 0.0)
    y_upper = np.where(row_up, np.inf if s > 0 else 0.0, 0.0)
    y_lower = np.where(row_up & (s < 0), -np.inf, y_lower)
    y_upper = np.where(row_lo & (s < 0), np.inf, y_upper)
    matrix = sp.hstack([lp.A.T, sp.csr_matrix((lp.num_col, 1))], format="csr")
    return LinearProgram("max", np.zeros(lp.num_row + 1), matrix, lower, upper, np.append(y_lower, -np.inf),
                         np.append(y_upper, np.inf), {}, {})


def _ratio_test(current: np.ndarray, move: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``move``: the interval of ``t`` with ``current + t·move ≥ 0`` everywhere (``current ≥ 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = current[:, None] / np.abs(move)
    high = np.where(move < -tol, ratio, np.inf).min(axis=0, initial=np.inf)
    low = -np.where(move > tol, ratio, np.inf).min(axis=0, initial=np.inf)
    return low, high


