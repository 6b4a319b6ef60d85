"""HiGHS through highspy, in process: no files, basis kept for warm re-solves, LP ranging."""

from __future__ import annotations

import os
import sys
import time
from functools import cache
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from fundsim.errors import ArgumentError, SolverError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import Features, SolveResult, Status
from fundsim.solvers.interrupt import stop_on_signal

__all__ = ["HighsSolver"]


@cache
def _highspy() -> Any:
    """Import highspy; the first ``Highs()`` of a process prints a banner, so make it with stdout muted."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return highspy


def _status(h: Any) -> Status:
    hs = _highspy()
    ms = h.getModelStatus()
    table = {
        hs.HighsModelStatus.kOptimal: Status.OPTIMAL,
        hs.HighsModelStatus.kModelEmpty: Status.OPTIMAL,  # no columns: _status_of_empty decides feasibility
        hs.HighsModelStatus.kInfeasible: Status.INFEASIBLE,
        hs.HighsModelStatus.kUnbounded: Status.UNBOUNDED,
        hs.HighsModelStatus.kUnboundedOrInfeasible: Status.INFEASIBLE,
        hs.HighsModelStatus.kTimeLimit: Status.LIMIT,
        hs.HighsModelStatus.kIterationLimit: Status.LIMIT,
        hs.HighsModelStatus.kInterrupt: Status.INTERRUPTED,
    }
    return table.get(ms, Status.ERROR)


class HighsSolver:
    """The default backend. Keep one instance to re-solve a changed LP warm.

    Parameters
    ----------
    options : HiGHS options, e.g. ``{"solver": "ipm", "time_limit": 60}``. Output is off by default.
        Without a ``solver`` option, a cold solve of an LP with at least ``IPM_COLUMNS`` columns uses the
        interior-point method with crossover (a vertex solution and basis, like simplex): on fundsim's
        LPs, whose many interchangeable cells make them highly degenerate, it is 2–10× faster than dual
        simplex (benchmarks/). Cold simplex solves use Devex pricing. Warm re-solves after in-place
        changes use simplex from the kept basis.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> round(HighsSolver().solve(lp).objective, 6)
    130.0
    """

    name: ClassVar[str] = "highs"
    features: ClassVar[Features] = Features(duals=True, ranging=True, mip=True, warm_start=True,
                                            infeasibility=True)

    IPM_COLUMNS: ClassVar[int] = 2_000

    #: what Ctrl-C or SIGTERM does during a solve: ``None``, Python's default (noticed when HiGHS returns);
    #: ``"raise"``, HiGHS stops at its next check and KeyboardInterrupt is raised; ``"keep"``, likewise, but
    #: an interrupted MILP returns its incumbent (status ``INTERRUPTED``, proved gap ``info["mip_gap"]``).
    #: See :mod:`fundsim.solvers.interrupt`.
    interrupt: str | None = None

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = {"output_flag": False, **(options or {})}
        self._h: Any = None
        self._lp: LinearProgram | None = None  # the LP as loaded (columns added since are not in it)

    @classmethod
    @cache
    def is_available(cls) -> bool:
        try:
            _highspy()
        except ImportError:
            return False
        return True

    @property
    def highs(self) -> Any:
        """The underlying ``highspy.Highs`` object (after a solve)."""
        return self._h

    def _new(self) -> Any:
        hs = _highspy()
        h = hs.Highs()
        for key, value in self.options.items():
            try:
                status = h.setOptionValue(key, value)
            except Exception as exc:  # highspy raises on a value of the wrong type
                raise ArgumentError(f"HiGHS option {key}={value!r}: {exc}") from None
            if status != hs.HighsStatus.kOk:
                raise ArgumentError(f"HiGHS does not accept the option {key}={value!r}: check its name and value "
                                 "(https://ergo-code.github.io/HiGHS/stable/options/definitions/)")
        return h

    def load(self, lp: LinearProgram) -> None:
        """Pass the LP to a fresh HiGHS instance (a structural change: no warm start).

        Uses the array form of ``passModel``, which reads the numpy buffers directly (index arrays int32;
        integrality always given, zeros for a pure LP, as an empty array makes HiGHS read garbage).
        """
        hs = _highspy()
        inf = hs.kHighsInf

        def bound(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(np.clip(a, -inf, inf), dtype=np.float64)

        sense = hs.ObjSense.kMaximize if lp.sense == "max" else hs.ObjSense.kMinimize
        integrality = (np.zeros(lp.num_col, np.int32) if lp.integrality is None
                       else np.asarray(lp.integrality, np.int32))
        self._h = self._new()
        self._h.passModel(
            lp.num_col, lp.num_row, lp.A.nnz, int(hs.MatrixFormat.kRowwise), int(sense), float(lp.offset),
            np.ascontiguousarray(lp.c, dtype=np.float64), bound(lp.col_lower), bound(lp.col_upper),
            bound(lp.row_lower), bound(lp.row_upper), lp.A.indptr.astype(np.int32), lp.A.indices.astype(np.int32),
            np.ascontiguousarray(lp.A.data, dtype=np.float64), integrality,
        )
        self._lp = lp

    # in-place changes for warm re-solves --------------------------------------------------------------
    def change_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        """Change objective coefficients of ``cols`` in place (the basis stays valid)."""
        self._h.changeColsCost(len(cols), np.asarray(cols, np.int32), np.asarray(costs, float))

    def change_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change row bounds in place (``inf`` allowed)."""
        inf = _highspy().kHighsInf
        lo = np.where(np.isinf(lower), -inf, lower)
        up = np.where(np.isinf(upper), inf, upper)
        self._h.changeRowsBounds(len(rows), np.asarray(rows, np.int32), lo.astype(float), up.astype(float))

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change column bounds in place (``inf`` allowed)."""
        inf = _highspy().kHighsInf
        lo = np.where(np.isinf(lower), -inf, lower)
        up = np.where(np.isinf(upper), inf, upper)
        self._h.changeColsBounds(len(cols), np.asarray(cols, np.int32), lo.astype(float), up.astype(float))

    def solve(self, lp: LinearProgram | None = None) -> SolveResult:
        """Solve ``lp`` (loading it first), or re-solve the loaded LP warm when ``lp`` is ``None``."""
        if lp is not None:
            self.load(lp)
        if self._h is None:
            raise ArgumentError("nothing to solve: pass a LinearProgram first")
        if "solver" not in self.options:
            cold_and_large = lp is not None and lp.num_col >= self.IPM_COLUMNS and lp.integrality is None
            self._h.setOptionValue("solver", "ipm" if cold_and_large else "simplex")
        if lp is not None and "simplex_dual_edge_weight_strategy" not in self.options:
            # Devex pricing: 4x faster than the default on cold dual simplex solves of large degenerate LPs
            self._h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        start = time.perf_counter()
        signalled = self._run()
        seconds = time.perf_counter() - start
        status = _status(self._h)
        kept = (self.interrupt == "keep" and status is Status.INTERRUPTED and self._is_mip()
                and self._h.getInfo().primal_solution_status == 2)
        if signalled and not (kept or (status is Status.OPTIMAL and self._is_mip())):
            raise KeyboardInterrupt
        empty_offset = None
        if self._h.getNumCol() == 0:  # HiGHS calls any model without columns "empty"
            model = self._h.getLp()  # its bounds and offset as changed in place, if they were
            feasible = (np.asarray(model.row_lower_) <= 1e-9).all() and (np.asarray(model.row_upper_) >= -1e-9).all()
            status = Status.OPTIMAL if feasible else Status.INFEASIBLE
            empty_offset = float(model.offset_)
        info = self._h.getInfo()
        n, m = self._h.getNumCol(), self._h.getNumRow()
        if status is Status.OPTIMAL and empty_offset is not None:  # HiGHS may hand back an earlier solve's values
            x, col_dual, row_dual, activity = np.zeros(0), np.zeros(0), np.zeros(m), np.zeros(m)
            objective = empty_offset
        elif status is Status.OPTIMAL or kept:
            sol = self._h.getSolution()
            x = np.asarray(sol.col_value)
            row_dual = np.asarray(sol.row_dual)
            col_dual = np.asarray(sol.col_dual)
            activity = np.asarray(sol.row_value)
            objective = float(info.objective_function_value)
        else:
            x, col_dual = np.full(n, np.nan), np.full(n, np.nan)
            row_dual, activity = np.full(m, np.nan), np.full(m, np.nan)
            objective = np.nan
        return SolveResult(
            status=status, objective=objective, x=x, row_dual=row_dual, col_dual=col_dual, row_activity=activity,
            solver=self.name, solver_version=_version(),
            seconds=seconds, iterations=int(info.simplex_iteration_count),
            basis=self._h.getBasis() if status is Status.OPTIMAL else None,
            info={"model_status": str(self._h.getModelStatus()),
                  **({"mip_gap": float(info.mip_gap)} if self._is_mip() else {})},
        )

    def _run(self) -> bool:
        """Run HiGHS; whether Ctrl-C or SIGTERM stopped it (noticed only with :attr:`interrupt` set)."""
        if self.interrupt is None:
            self._h.run()
            return False
        with stop_on_signal(self._h) as signalled:
            self._h.run()
        return signalled()

    def _is_mip(self) -> bool:
        return self._lp is not None and self._lp.integrality is not None

    # ranging ------------------------------------------------------------------------------------------
    def set_basis(self, basis: Any) -> None:
        """Start the next solve of the loaded LP from ``basis`` (the ``basis`` of an earlier :class:`SolveResult`).

        Re-solving an LP from its own optimal basis takes no simplex iteration and makes :meth:`ranging`
        available again, e.g. for an allocation solved earlier.
        """
        if self._h is None:
            raise SolverError("no LP to set a basis for: call load(lp) first", "error")
        if self._h.setBasis(basis) != _highspy().HighsStatus.kOk:
            raise SolverError("HiGHS rejected the basis: it was not made for the loaded LP", "error")

    def _rangeable_lp(self) -> LinearProgram:
        """The loaded LP; :class:`SolverError` unless it is continuous and solved to optimality with a basis."""
        lp = self._lp
        if self._h is None or lp is None:
            raise SolverError("no ranging before a solve: call solve(lp) first", "unavailable")
        if self._h.getNumCol() != lp.num_col:
            raise SolverError("no ranging after columns were added to the loaded LP: load the whole LP and solve it",
                              "unavailable")
        if lp.integrality is not None and np.any(lp.integrality):
            raise SolverError("ranging is defined for linear programmes only, and this one has integer variables: "
                              "its shadow prices and ranges would be those of one branch, not of the problem",
                              "unavailable")
        if _status(self._h) is not Status.OPTIMAL or not self._h.getBasis().valid:
            raise SolverError(f"ranging needs an optimal basis; HiGHS reports {self._h.getModelStatus()}",
                              "unavailable")
        return lp

    def _raw_status(self) -> np.ndarray:
        """HiGHS's basis status codes, columns then rows."""
        basis = self._h.getBasis()
        return np.array([int(v) for v in (*basis.col_status, *basis.row_status)], np.int8)

    def basis_status(self) -> tuple[np.ndarray, np.ndarray]:
        """Per column and per row: -1 nonbasic at the lower bound, +1 at the upper bound, 0 basic (or free)."""
        hs = _highspy().HighsBasisStatus
        raw = self._raw_status()
        code = np.where(raw == int(hs.kLower), -1, np.where(raw == int(hs.kUpper), 1, 0)).astype(np.int8)
        n = self._h.getNumCol()
        return code[:n], code[n:]

    def ranging(self) -> dict[str, np.ndarray]:
        """HiGHS's LP ranging (``Highs.getRanging``) of the last optimal solve, in the LP's column and row order.

        Returns
        -------
        dict of numpy arrays. For each record ``col_cost_dn``, ``col_cost_up``, ``col_bound_dn``,
        ``col_bound_up``, ``row_bound_dn``, ``row_bound_up``: its values under that key and the objective
        at that end under ``key + "_objective"``; and ``col_status``, ``row_status`` from
        :meth:`basis_status`. Unlimited ends are ``±inf``.

        * ``col_cost_dn/up[j]``: the interval of column j's cost over which the basis stays optimal, so
          the solution ``x`` does not change (the objective does, by ``x[j]`` per unit of cost).
        * ``row_bound_dn/up[i]`` for a nonbasic (binding) row: the interval of the row's active bound
          (equal to its activity) over which the basis stays primal feasible, so every dual holds and the
          objective moves by ``row_dual[i]`` per unit. For a ranged row the other bound limits it. For a
          *basic* row HiGHS ranges the activity, not a bound (how far the activity could be pushed before
          the basis changes); the bound of a non-binding row can move freely down (up) to its activity.
        * ``col_bound_dn/up[j]`` likewise for a nonbasic column's active bound.

        Raises
        ------
        SolverError
            before an optimal solve, or for a MILP (ranging is not defined there).

        Examples
        --------
        >>> import fundsim as fs
        >>> from fundsim.solvers import HighsSolver
        >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
        >>> solver = HighsSolver()
        >>> _ = solver.solve(lp)
        >>> row = lp.constraints["absorption"].start  # North Africa, 2009: 25 EUR m, binding
        >>> [float(solver.ranging()[k][row]) for k in ("row_bound_dn", "row_bound_up")]
        [10.0, 30.0]
        """
        lp = self._rangeable_lp()
        status, rng = self._h.getRanging()
        if status != _highspy().HighsStatus.kOk or not rng.valid:
            raise SolverError(f"HiGHS could not range this solution (status {status})", "error")
        out: dict[str, np.ndarray] = {}
        for key in ("col_cost_dn", "col_cost_up", "col_bound_dn", "col_bound_up", "row_bound_dn", "row_bound_up"):
            record = getattr(rng, key)
            size = lp.num_col if key.startswith("col") else lp.num_row  # HiGHS pads the cost records to n + m
            out[key] = _infinite(record.value_[:size])
            out[key + "_objective"] = _infinite(record.objective_[:size])
        out["col_status"], out["row_status"] = self.basis_status()
        return out

    def cost_ranging(self, directions: sp.spmatrix | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How far the costs may move along each direction before the optimal basis changes.

        For each column ``d`` of ``directions`` (shape ``(num_col, k)``), the steps ``t`` for which the basis
        stays optimal when the costs are ``c + t·d``: :meth:`ranging`'s ``col_cost`` generalised from one
        column to a parameter shared by many columns (an impact weight reaches every instrument and year
        of its cell). With ``η = B⁻ᵀ d_B`` (one HiGHS basis solve per direction), the row duals move by
        ``t·η`` and the reduced costs by ``t·(d - Aᵀη)``; a ratio test on the nonbasic columns and rows,
        each of which must keep the sign of optimality, gives the interval.

        Returns
        -------
        (low, high) : arrays of length k with ``low ≤ 0 ≤ high``; ``±inf`` where unlimited. Over the
        interval the solution ``x`` stays optimal and the objective moves by ``t·(d·x)``.

        Examples
        --------
        >>> import numpy as np, fundsim as fs
        >>> from fundsim.solvers import HighsSolver
        >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
        >>> solver = HighsSolver()
        >>> _ = solver.solve(lp)
        >>> low, high = solver.cost_ranging(np.eye(lp.num_col)[:, :1])  # the cost of the first column alone
        >>> float(lp.c[0] + low[0]), float(lp.c[0] + high[0])
        (-inf, 2.0)
        """
        lp = self._rangeable_lp()
        D = sp.csc_matrix(directions, dtype=float)
        if D.shape[0] != lp.num_col:
            raise ArgumentError(f"directions have {D.shape[0]} rows; the LP has {lp.num_col} columns")
        watch, sign, current = self._dual_conditions(lp)
        basic = np.asarray(self._h.getBasicVariables()[1])
        d_basic = D.tocsr()[np.where(basic >= 0, basic, 0)].toarray()  # d_B, one row per basic variable
        d_basic[basic < 0] = 0.0  # a basic row's logical has no cost
        cols, rows = watch[watch < lp.num_col], watch[watch >= lp.num_col] - lp.num_col
        a_watched, d_watched = lp.A[:, cols].T.tocsr(), D.tocsr()[cols]
        low, high = np.zeros(D.shape[1]), np.zeros(D.shape[1])
        step = max(1, 4_000_000 // max(lp.num_row, len(watch), 1))  # directions per chunk (bounded memory)
        for first in range(0, D.shape[1], step):
            chunk = slice(first, first + step)
            eta = np.column_stack([self._transpose_solve(d) for d in d_basic[:, chunk].T])
            move = np.vstack([d_watched[:, chunk].toarray() - a_watched @ eta, eta[rows]]) * sign[:, None]
            low[chunk], high[chunk] = _ratio_test(current, move)
        return low, high

    def _transpose_solve(self, rhs: np.ndarray) -> np.ndarray:
        """``η`` with ``Bᵀη = rhs`` (``rhs`` over the basic variables in HiGHS's order)."""
        status, eta = self._h.getBasisTransposeSolve(np.ascontiguousarray(rhs))
        if status != _highspy().HighsStatus.kOk:
            raise SolverError(f"HiGHS could not solve with the basis (status {status})", "error")
        return np.asarray(eta)

    def _dual_conditions(self, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sign conditions of optimality, over columns then rows: which entries are watched, the sign
        ``σ`` with which each reduced cost or row dual must stay ≥ 0, and ``σ·current`` (clipped at 0).

        Maximising, a nonbasic variable at its upper bound needs a reduced cost (row dual) ≥ 0 and one at
        its lower bound ≤ 0; minimising, the reverse. Fixed variables and equality rows have no condition.
        Free nonbasic variables (at zero) need it to stay 0 and appear twice, once with each sign.
        """
        hs = _highspy().HighsBasisStatus
        raw = self._raw_status()
        side = np.where(raw == int(hs.kUpper), 1.0, -1.0)
        movable = np.concatenate([lp.col_lower, lp.row_lower]) < np.concatenate([lp.col_upper, lp.row_upper])
        bounded = np.flatnonzero(((raw == int(hs.kLower)) | (raw == int(hs.kUpper))) & movable)
        free = np.flatnonzero(raw == int(hs.kZero))
        sol = self._h.getSolution()
        dual = np.concatenate([np.asarray(sol.col_dual), np.asarray(sol.row_dual)])
        watch = np.concatenate([bounded, free, free])
        sense = 1.0 if lp.sense == "max" else -1.0
        sign = sense * np.concatenate([side[bounded], np.ones(len(free)), -np.ones(len(free))])
        return watch, sign, np.maximum(sign * dual[watch], 0.0)

    # exact intervals on the optimal face ---------------------------------------------------------------
    def face_row_ranging(self, rows: np.ndarray, sides: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
        """Exact interval of each row's bound (on ``sides``: +1 upper, -1 lower) over which the duals hold.

        :meth:`ranging` gives the interval of the optimal *basis*; on a degenerate LP (many ties) the
        same duals stay optimal much further. This finds how far: with every column of nonzero reduced
        cost and every row of nonzero dual fixed where it is (the optimal face, by complementary
        slackness), the row's bound can go wherever the face lets its activity go: two LPs per row
        (maximise and minimise the activity), re-solved warm. A row of zero dual can move away from its
        activity freely: that end is unlimited.

        Returns
        -------
        (low, high) : arrays over ``rows``, ``±inf`` where unlimited.
        """
        lp = self._rangeable_lp()
        sol = self._h.getSolution()
        y = np.asarray(sol.row_dual)
        face = HighsSolver({"solver": "simplex", "simplex_strategy": 4})  # primal simplex: only costs move
        face.load(_face(lp, np.asarray(sol.col_value), np.asarray(sol.row_value), np.asarray(sol.col_dual), y,
                        tol))
        face.set_basis(self._h.getBasis())
        _check_feasible(face.solve(), "optimal face")
        A = lp.A.tocsr()
        low, high = np.empty(len(rows)), np.empty(len(rows))
        for n, (i, side) in enumerate(zip(rows, sides, strict=True)):
            low[n], high[n] = face._activity_range(A, int(i), lp, side, abs(y[i]) > tol)
        return low, high

    def _activity_range(self, A: sp.csr_matrix, i: int, lp: LinearProgram, side: int, priced: bool) -> tuple[
            float, float]:
        """Least and most activity of row ``i`` on the loaded face, its bound on ``side`` released."""
        face = self._lp
        if face is None:
            raise SolverError("no face loaded", "error")
        equality = lp.row_lower[i] == lp.row_upper[i]
        self.change_row_bounds(np.array([i]), np.array([lp.row_lower[i] if side > 0 and not equality else -np.inf]),
                               np.array([lp.row_upper[i] if side < 0 and not equality else np.inf]))
        cols, vals = A.indices[A.indptr[i] : A.indptr[i + 1]], A.data[A.indptr[i] : A.indptr[i + 1]]
        ends = []
        for sign in (-1.0, 1.0):  # least activity, then most
            free = not priced and not equality and sign == side  # a price of 0 holds however far the bound moves
            if free:
                ends.append(sign * np.inf)
                continue
            self.change_costs(cols, sign * vals)
            ends.append(_optimum(self.solve(), sign))
        self.change_costs(cols, np.zeros(len(cols)))
        self.change_row_bounds(np.array([i]), face.row_lower[i : i + 1], face.row_upper[i : i + 1])
        return ends[0], ends[1]

    def face_cost_ranging(self, directions: sp.spmatrix | np.ndarray, tol: float = 1e-7) -> tuple[
            np.ndarray, np.ndarray]:
        """Exact interval of ``t`` over which the current solution stays optimal for costs ``c + t·d``.

        :meth:`cost_ranging` gives the interval of the optimal basis; on a degenerate LP the solution
        stays optimal further, with other duals. This finds how far: ``x`` is optimal for ``c + t·d``
        exactly when some row duals ``y`` satisfy the optimality conditions at ``x`` (reduced costs of
        the right sign at each column's position, zero between bounds; zero duals on slack rows), an LP
        in ``(y, t)``: maximise and minimise ``t``, two warm re-solves per direction.

        Returns
        -------
        (low, high) : arrays over the columns of ``directions``, ``±inf`` where unlimited.
        """
        lp = self._rangeable_lp()
        D = sp.csc_matrix(directions, dtype=float)
        sol = self._h.getSolution()
        dual = HighsSolver({"solver": "simplex"})
        dual.load(_dual_face(lp, np.asarray(sol.col_value), np.asarray(sol.row_value), tol))
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

    def add_columns(self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, matrix: sp.csc_matrix) -> None:
        """Append columns (``matrix``: rows × new columns) to the loaded LP; the basis is kept, the new columns
        nonbasic at their lower bound, for a warm re-solve by primal simplex. Ranging waits for
        :meth:`drop_added_columns` or a fresh :meth:`load`."""
        if self._h is None or self._lp is None:
            raise ArgumentError("nothing to add columns to: pass a LinearProgram first")
        inf = _highspy().kHighsInf
        matrix = sp.csc_matrix(matrix)
        status = self._h.addCols(matrix.shape[1], np.ascontiguousarray(cost, dtype=np.float64),
                                 np.clip(lower, -inf, inf).astype(np.float64),
                                 np.clip(upper, -inf, inf).astype(np.float64), matrix.nnz,
                                 matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
                                 np.ascontiguousarray(matrix.data, dtype=np.float64))
        if status != _highspy().HighsStatus.kOk:
            raise SolverError(f"HiGHS rejected {matrix.shape[1]} new columns ({status}): check their shape "
                              f"({matrix.shape[0]} rows given, {self._h.getNumRow()} loaded) and bounds", "error")

    def drop_added_columns(self) -> None:
        """Delete every column added since the load (the loaded columns and their numbers stay)."""
        if self._h is None or self._lp is None:
            raise ArgumentError("nothing to drop columns from: pass a LinearProgram first")
        first, total = self._lp.num_col, self._h.getNumCol()
        if total > first and self._h.deleteCols(total - first, np.arange(first, total, dtype=np.int32)) \
                != _highspy().HighsStatus.kOk:
            raise SolverError("HiGHS could not delete the columns added since the load", "error")

    def set_option(self, key: str, value: Any) -> None:
        """Set one HiGHS option for the next solves of the loaded LP (``ValueError`` if HiGHS refuses it)."""
        if self._h is None:
            raise ArgumentError("no LP loaded: pass a LinearProgram first")
        if self._h.setOptionValue(key, value) != _highspy().HighsStatus.kOk:
            raise ArgumentError(f"HiGHS does not accept the option {key}={value!r}")

    def change_offset(self, offset: float) -> None:
        """Change the objective's constant term in place."""
        self._h.changeObjectiveOffset(float(offset))

    def forget_solution(self) -> None:
        """Drop the last solve's solution, basis, factorisation and edge weights; the model stays. A solve
        after :meth:`set_basis` then depends on the model and that basis alone."""
        self._h.clearSolver()

    def change_coeffs(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Change matrix entries in place (0 removes one); the basis is kept for a warm re-solve."""
        for i, j, v in zip(rows, cols, values, strict=True):
            self._h.changeCoeff(int(i), int(j), float(v))


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


def _infinite(values: Any) -> np.ndarray:
    """HiGHS's values with its infinity (and anything beyond ``1e20``, its ``infinite_bound``) as ``±inf``."""
    out = np.array(values, float)
    big = np.abs(out) >= 1e20
    out[big] = np.copysign(np.inf, out[big])
    return out


@cache
def _version() -> str:
    hs = _highspy()
    return f"{hs.HIGHS_VERSION_MAJOR}.{hs.HIGHS_VERSION_MINOR}.{hs.HIGHS_VERSION_PATCH}"
