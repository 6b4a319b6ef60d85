"""HiGHS through highspy, in process: no files, basis kept for warm re-solves, the raw data of LP ranging.

The ranging data come back as HiGHS gives them (:meth:`HighsSolver.ranging`, the basis and a solve with
it); :mod:`fundsim.results.ranging` turns them into intervals.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from fundsim.errors import ArgumentError, SolverError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import Capability, MipProgress, SolveResult, Status
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

    A MILP stopped by a time or iteration limit (the option ``time_limit``) once it has a plan returns that
    plan with status ``LIMIT`` and its proved gap, ``info["mip_gap"]``, and bound, ``info["mip_bound"]``;
    without a plan, status ``LIMIT`` and ``NaN`` values, as for an LP. :attr:`progress` reports a MILP's search
    as it goes.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> round(HighsSolver().solve(lp).objective, 6)
    130.0
    """

    name: ClassVar[str] = "highs"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.LP, Capability.MILP, Capability.DUALS, Capability.RANGING, Capability.IN_PLACE,
        Capability.WARM_START, Capability.MIP_START, Capability.TIME_LIMIT, Capability.INTERRUPT,
        Capability.PROGRESS})
    precision: ClassVar[float] = 1e-9  # in process: the solver's own doubles

    IPM_COLUMNS: ClassVar[int] = 2_000

    #: what Ctrl-C or SIGTERM does during a solve: ``None``, Python's default (noticed when HiGHS returns);
    #: ``"raise"``, HiGHS stops at its next check and KeyboardInterrupt is raised; ``"keep"``, likewise, but
    #: an interrupted MILP returns its incumbent (status ``INTERRUPTED``, proved gap ``info["mip_gap"]``).
    #: See :mod:`fundsim.solvers.interrupt`.
    interrupt: str | None = None

    #: called while a MILP solves with a :class:`~fundsim.solvers.base.MipProgress` (incumbent, bound, gap,
    #: seconds): at each of HiGHS's MIP interrupt checks (about once a second, more often in the tree search:
    #: keep it cheap) and each improved plan, then once with HiGHS's final figures. An LP reports nothing.
    progress: Callable[[MipProgress], None] | None = None

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

    def version(self) -> str:
        """HiGHS's version, e.g. ``"1.11.0"``."""
        return _version()

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
        if self.progress is not None and self._is_mip():
            self.progress(_final(self._h.getInfo(), self._h.getRunTime()))
        kept = self._kept(status)
        with_a_plan = self._is_mip() and (status is Status.OPTIMAL or (kept and self.interrupt == "keep"))
        if signalled and not with_a_plan:
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
                  **({"mip_gap": float(info.mip_gap), "mip_bound": float(info.mip_dual_bound)}
                     if self._is_mip() else {})},
        )

    def _kept(self, status: Status) -> bool:
        """Whether a MILP stopped early returns its incumbent: at a time or iteration limit always, on Ctrl-C
        when :attr:`interrupt` is ``"keep"``; in both cases only once it has one."""
        stopped = status is Status.LIMIT or (status is Status.INTERRUPTED and self.interrupt == "keep")
        return stopped and self._is_mip() and self._h.getInfo().primal_solution_status == 2

    def _run(self) -> bool:
        """Run HiGHS, reporting a MILP's :attr:`progress`; whether Ctrl-C or SIGTERM stopped it (noticed only
        with :attr:`interrupt` set)."""
        with contextlib.ExitStack() as stack:
            signalled = stack.enter_context(stop_on_signal(self._h)) if self.interrupt is not None else None
            if self.progress is not None and self._is_mip():
                stack.enter_context(_reporting(self._h, self.progress))
            self._h.run()
        return signalled is not None and signalled()

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

    def set_mip_start(self, x: np.ndarray) -> None:
        """Give the loaded MILP ``x`` (one value per column) as a first incumbent for its next solve."""
        if self._h is None or self._lp is None:
            raise ArgumentError("no LP to start: pass a LinearProgram to load() first")
        solution = _highspy().HighsSolution()
        solution.col_value = np.asarray(x, float).tolist()
        solution.value_valid = True
        if self._h.setSolution(solution) != _highspy().HighsStatus.kOk:
            raise SolverError(f"HiGHS rejected the MIP start: it needs {self._lp.num_col} values", "error")

    def rangeable_lp(self) -> LinearProgram:
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

    def free_nonbasic(self) -> np.ndarray:
        """Per column then row: nonbasic and free, held at zero (HiGHS's ``kZero``)."""
        return self._raw_status() == int(_highspy().HighsBasisStatus.kZero)

    def basic_variables(self) -> np.ndarray:
        """Per position in the basis, its variable: a column ``j ≥ 0``, or a row ``i`` as ``-1 - i``."""
        return np.asarray(self._h.getBasicVariables()[1])

    def transpose_solve(self, rhs: np.ndarray) -> np.ndarray:
        """``η`` with ``Bᵀη = rhs`` (``rhs`` over the basic variables in :meth:`basic_variables`'s order)."""
        status, eta = self._h.getBasisTransposeSolve(np.ascontiguousarray(rhs))
        if status != _highspy().HighsStatus.kOk:
            raise SolverError(f"HiGHS could not solve with the basis (status {status})", "error")
        return np.asarray(eta)

    def solution(self) -> dict[str, np.ndarray]:
        """The last solve's ``col_value``, ``col_dual``, ``row_value`` and ``row_dual``, as HiGHS holds them."""
        sol = self._h.getSolution()
        return {key: np.asarray(getattr(sol, key)) for key in ("col_value", "col_dual", "row_value", "row_dual")}

    def basis(self) -> Any:
        """The current HiGHS basis (for :meth:`set_basis` on this or another instance)."""
        return self._h.getBasis()

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
        lp = self.rangeable_lp()
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


def _progress(incumbent: float, bound: float, gap: float, seconds: float) -> MipProgress:
    """HiGHS's figures as a :class:`MipProgress`: its infinite incumbent (none yet), bound and gap as ``None``."""
    known = [v if math.isfinite(v) and abs(v) < 1e20 else None for v in (incumbent, bound)]
    return MipProgress(known[0], known[1], gap if None not in known and math.isfinite(gap) else None,
                       float(seconds))


def _final(info: Any, seconds: float) -> MipProgress:
    """The last :class:`MipProgress` of a solve, from HiGHS's info (its incumbent only when it has one)."""
    incumbent = info.objective_function_value if info.primal_solution_status == 2 else math.inf
    return _progress(incumbent, info.mip_dual_bound, info.mip_gap, seconds)


@contextlib.contextmanager
def _reporting(h: Any, progress: Callable[[MipProgress], None]) -> Iterator[None]:
    """For the block, call ``progress`` from HiGHS's MIP interrupt checks and improved-plan callbacks."""
    def report(event: Any) -> None:
        d = event.data_out
        progress(_progress(d.mip_primal_bound, d.mip_dual_bound, d.mip_gap, d.running_time))

    callbacks = (h.cbMipInterrupt, h.cbMipImprovingSolution)
    for callback in callbacks:
        callback.subscribe(report)
    try:
        yield
    finally:
        for callback in callbacks:
            callback.unsubscribe(report)


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
