"""HiGHS through highspy, in process: no files, basis kept for warm re-solves."""

from __future__ import annotations

import os
import sys
import time
from functools import cache
from typing import Any, ClassVar

import numpy as np

from fundsim.lp.program import LinearProgram
from fundsim.solvers.base import Features, SolveResult, Status

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
    features: ClassVar[Features] = Features(duals=True, warm_start=True)

    IPM_COLUMNS: ClassVar[int] = 2_000

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = {"output_flag": False, **(options or {})}
        self._h: Any = None
        self._lp: LinearProgram | None = None

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
        h = _highspy().Highs()
        for key, value in self.options.items():
            h.setOptionValue(key, value)
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
            raise ValueError("nothing to solve: pass a LinearProgram first")
        if "solver" not in self.options:
            cold_and_large = lp is not None and lp.num_col >= self.IPM_COLUMNS and lp.integrality is None
            self._h.setOptionValue("solver", "ipm" if cold_and_large else "simplex")
        if lp is not None and "simplex_dual_edge_weight_strategy" not in self.options:
            # Devex pricing: 4x faster than the default on cold dual simplex solves of large degenerate LPs
            self._h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        start = time.perf_counter()
        self._h.run()
        seconds = time.perf_counter() - start
        status = _status(self._h)
        if self._h.getNumCol() == 0 and self._lp is not None:  # HiGHS calls any model without columns "empty"
            feasible = (self._lp.row_lower <= 1e-9).all() and (self._lp.row_upper >= -1e-9).all()
            status = Status.OPTIMAL if feasible else Status.INFEASIBLE
        info = self._h.getInfo()
        n, m = self._h.getNumCol(), self._h.getNumRow()
        if status is Status.OPTIMAL:
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
            info={"model_status": str(self._h.getModelStatus())},
        )


@cache
def _version() -> str:
    hs = _highspy()
    return f"{hs.HIGHS_VERSION_MAJOR}.{hs.HIGHS_VERSION_MINOR}.{hs.HIGHS_VERSION_PATCH}"
