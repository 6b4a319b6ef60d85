"""Small helpers shared by the test modules (pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import numpy as np
import pytest

from fundsim.lp import LinearProgram
from fundsim.solvers import SolveResult

TOL = 1e-6


def line_of(text: str, snippet: str, *, whole: bool = False) -> int:
    """1-based number of the one line of ``text`` that contains ``snippet`` (or is it, if ``whole``)."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if (line == snippet if whole else snippet in line)]
    assert len(found) == 1, f"{snippet!r} is on lines {found}"
    return found[0]


def assert_certified(lp: LinearProgram, result: SolveResult) -> None:
    """``result`` is optimal for the full ``lp``: x feasible, the duals' reduced costs have the signs of
    optimality at x's bounds, and the primal objective equals the dual one."""
    x, y = result.x, result.row_dual
    activity = lp.A @ x
    assert np.all(activity <= lp.row_upper + TOL) and np.all(activity >= lp.row_lower - TOL)
    assert np.all(x <= lp.col_upper + TOL) and np.all(x >= lp.col_lower - TOL)
    d = (lp.c - lp.A.T @ y) * (1.0 if lp.sense == "max" else -1.0)  # > 0: raising x_j would improve
    at_lower, at_upper = x <= lp.col_lower + TOL, x >= lp.col_upper - TOL
    assert np.all(d[~at_lower] >= -TOL), "a column above its lower bound would gain by falling"
    assert np.all(d[~at_upper] <= TOL), "a column below its upper bound would gain by rising"
    # a row's dual, maximising: ≥ 0 off its lower bound, ≤ 0 off its upper bound (minimising: the reverse)
    s = 1.0 if lp.sense == "max" else -1.0
    row_at_lower, row_at_upper = activity <= lp.row_lower + TOL, activity >= lp.row_upper - TOL
    assert np.all(s * y[~row_at_lower] >= -TOL), "a row off its lower bound has a dual of the wrong sign"
    assert np.all(s * y[~row_at_upper] <= TOL), "a row off its upper bound has a dual of the wrong sign"
    # the dual objective: each row's dual times the bound it sits on, each column's reduced cost times its bound
    row_bound = np.where(np.abs(activity - lp.row_upper) <= TOL, lp.row_upper, lp.row_lower)
    row_bound = np.where(np.abs(y) <= 1e-12, 0.0, row_bound)
    reduced = lp.c - lp.A.T @ y
    col_bound = np.where(at_upper & ~at_lower, lp.col_upper, lp.col_lower)
    col_bound = np.where(np.abs(reduced) <= 1e-12, 0.0, col_bound)
    dual_objective = float(y @ row_bound + reduced @ col_bound) + lp.offset
    assert float(lp.c @ x) + lp.offset == pytest.approx(result.objective, rel=1e-9, abs=1e-9)
    assert dual_objective == pytest.approx(result.objective, rel=1e-7, abs=1e-7)
