"""Mixed-integer programmes: solve, then price the rules with the integer decisions fixed.

A MILP has no duals of its own. :func:`solve_mip` solves it, fixes every integer column at its rounded
value and solves the LP that remains; that LP's duals are the shadow prices *conditional on the integer
decisions*: what relaxing a rule is worth while every instrument, cell and partnership stays chosen as it
is. Rules on the integer decisions alone (a count of instruments or of partnerships) have no such price
and get ``NaN``. Only the :class:`~fundsim.lp.LinearProgram` and the solver contract are used.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from fundsim.errors import ArgumentError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import Solver, SolveResult, Status

__all__ = ["CONDITIONAL", "fixed_lp", "integer_only_rows", "relative_gap", "solve_mip"]

CONDITIONAL = "conditional on the integer decisions"


def fixed_lp(lp: LinearProgram, x: np.ndarray) -> LinearProgram:
    """A copy of ``lp`` with each integer column fixed at ``round(x)``, as a pure LP (``integrality`` None).

    Parameters
    ----------
    lp : a mixed-integer programme (``lp.integrality`` set)
    x : a solution of it, in column order

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from fundsim.lp import LinearProgram
    >>> lp = LinearProgram("max", np.array([1.0, -1.0]), sp.csr_matrix([[1.0, -5.0]]), np.array([-np.inf]),
    ...                    np.array([0.0]), np.zeros(2), np.array([np.inf, 1.0]), {}, {}, integrality=np.array([0, 1]))
    >>> fixed = fixed_lp(lp, np.array([5.0, 0.9999999]))
    >>> fixed.col_lower.tolist(), fixed.col_upper.tolist(), fixed.integrality
    ([0.0, 1.0], [inf, 1.0], None)
    """
    if lp.integrality is None:
        raise ArgumentError("the programme has no integer columns to fix")
    ints = np.flatnonzero(lp.integrality)
    value = np.round(np.asarray(x, float)[ints])
    lower, upper = lp.col_lower.astype(float), lp.col_upper.astype(float)
    lower[ints] = upper[ints] = np.clip(value, lp.col_lower[ints], lp.col_upper[ints])
    return dataclasses.replace(lp, col_lower=lower, col_upper=upper, integrality=None)


def integer_only_rows(lp: LinearProgram) -> np.ndarray:
    """Boolean per row: every nonzero of the row is on an integer column (a rule on decisions alone).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from fundsim.lp import LinearProgram
    >>> A = sp.csr_matrix([[1.0, -5.0], [0.0, 1.0]])  # x <= 5 y (mixed), y <= 1 (on y alone)
    >>> lp = LinearProgram("max", np.array([1.0, -1.0]), A, np.full(2, -np.inf), np.array([0.0, 1.0]), np.zeros(2),
    ...                    np.full(2, np.inf), {}, {}, integrality=np.array([0, 1]))
    >>> integer_only_rows(lp).tolist()
    [False, True]
    """
    if lp.integrality is None:
        return np.zeros(lp.num_row, dtype=bool)
    pattern = sp.csr_matrix((np.ones(lp.A.nnz), lp.A.indices, lp.A.indptr), shape=lp.A.shape)
    continuous = pattern @ (np.asarray(lp.integrality) == 0).astype(float)
    return (continuous == 0) & (np.diff(lp.A.indptr) > 0)


def relative_gap(objective: float, bound: float) -> float:
    """How far a plan scoring ``objective`` may be from the optimum, as a share of it, when no plan can score
    beyond ``bound``: ``|bound − objective| / |objective|`` (0 when both are 0, infinite when only the objective is).

    Examples
    --------
    >>> relative_gap(125.0, 130.0), relative_gap(0.0, 0.0), relative_gap(0.0, 1.0)
    (0.04, 0.0, inf)
    """
    if objective == bound:
        return 0.0
    return abs(bound - objective) / abs(objective) if objective != 0 else float("inf")


def _unpriced(mip: SolveResult, why: str) -> SolveResult:
    """The MILP's own result with its duals marked unavailable (never a silent 0)."""
    info = {**mip.info, "shadow_prices": f"unavailable: {why}"}
    return dataclasses.replace(mip, row_dual=np.full(len(mip.row_dual), np.nan),
                               col_dual=np.full(len(mip.col_dual), np.nan), info=info)


def solve_mip(solver: Solver, lp: LinearProgram) -> SolveResult:
    """Solve a mixed-integer programme and price its rules conditionally on the integer decisions.

    The MILP is solved first; when it is optimal its integer columns are fixed at their rounded values
    (:func:`fixed_lp`) and the remaining LP is solved again with the same solver. The result holds that
    LP's solution (at least as good as the MILP's incumbent) and its duals; ``NaN`` on rows over integer
    columns only and on the integer columns themselves. ``info["shadow_prices"]`` says
    ``"conditional on the integer decisions"``; ``info["mip_objective"]`` and ``info["mip_seconds"]``
    keep the MILP's own figures. A pure LP (``integrality`` None) is solved as it is. A MILP stopped with
    an incumbent, by Ctrl-C (status ``INTERRUPTED``, see ``HighsSolver.interrupt``) or by a time limit
    (status ``LIMIT``), is priced the same way and keeps that status. ``info["mip_gap"]`` is the relative gap
    proved for the plan returned: :func:`relative_gap` of its objective and the MILP's bound,
    ``info["mip_bound"]``, where the backend gives one (HiGHS), else the backend's own figure.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> rules = dataclasses.replace(sc.rules, max_instruments_per_cell=fs.model.MaxInstrumentsPerCell(1))
    >>> result = solve_mip(HighsSolver(), fs.assemble(sc.evolve(rules=rules)))
    >>> round(result.objective, 6), result.info["shadow_prices"]
    (127.5, 'conditional on the integer decisions')
    """
    mip = solver.solve(lp)
    kept = mip.status in (Status.INTERRUPTED, Status.LIMIT) and np.isfinite(mip.x).all()  # stopped with a plan
    if lp.integrality is None or not (mip.status is Status.OPTIMAL or kept):
        return mip
    priced = solver.solve(fixed_lp(lp, mip.x))
    if priced.status is not Status.OPTIMAL:
        return _unpriced(mip, f"the LP with the integer decisions fixed stopped with status {priced.status.value}")
    row_dual = np.where(integer_only_rows(lp), np.nan, priced.row_dual)
    col_dual = np.where(np.asarray(lp.integrality) != 0, np.nan, priced.col_dual)
    info = {**mip.info, "shadow_prices": CONDITIONAL, "mip_objective": float(mip.objective),
            "mip_seconds": float(mip.seconds), "fixed_lp_seconds": float(priced.seconds)}
    if "mip_bound" in mip.info:  # the priced plan may score above the incumbent: its own gap to the bound
        info["mip_gap"] = relative_gap(priced.objective, mip.info["mip_bound"])
    return dataclasses.replace(priced, status=mip.status, row_dual=row_dual, col_dual=col_dual,
                               seconds=mip.seconds + priced.seconds,
                               iterations=mip.iterations + priced.iterations, info=info)
