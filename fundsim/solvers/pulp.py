"""Any PuLP solver behind fundsim's solver contract; CBC (bundled with PuLP) by default.

The :class:`~fundsim.rules.program.LinearProgram` is written into a ``pulp.LpProblem`` straight from its
CSR arrays: one variable per column (``x{j}``), one ``LpAffineExpression`` of (variable, coefficient)
pairs per row. A row ``lower ≤ a·x ≤ upper`` becomes one PuLP constraint ``r{i}`` (``==``, ``>=`` or
``<=``), or two (``r{i}_lo`` and ``r{i}_up``) when it is ranged; their two duals add up to the row's
dual, since at most one side is active. Rows without terms are checked here (``0`` must lie within
their bounds) and rows without bounds are left out; both have dual 0.

Duals follow fundsim's one convention (:mod:`fundsim.solvers.base`): ∂objective/∂bound, as HiGHS
gives them. PuLP passes on whatever sign its solver uses (CBC reports them in the problem's own sense,
PuLP's in-process HiGHS interface minimises ``-c·x`` and reports those), so the sign is not looked up
per solver but *checked*: the duals are oriented so that they satisfy complementary slackness with the
primal solution (a positive dual on a bound that holds the objective back, for max and for min), and
the column duals are the reduced costs ``c - Aᵀy`` of those row duals. A MILP has no duals: both
vectors are NaN (fix the integers and re-solve the LP for shadow prices).

In-place updates (:attr:`~fundsim.solvers.base.Capability.IN_PLACE`) are honoured by rebuilding: the
changes are made to the loaded :class:`LinearProgram`, and ``solve()`` writes and solves it again from
scratch. There are no warm re-solves, no basis and no ranging.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import numpy as np

from fundsim.errors import ArgumentError, SolverError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import Capability, SolveResult, Status
from fundsim.solvers.highs import HighsSolver

__all__ = ["DEFAULT_SOLVER", "OPTION_NAMES", "PulpModel", "PulpSolver", "available_solvers", "build_problem",
           "make_solver", "orient_duals"]

DEFAULT_SOLVER = "PULP_CBC_CMD"
# fundsim's (HiGHS-style) option names and the PuLP keyword each stands for; other keys go to PuLP as they are
OPTION_NAMES = {"time_limit": "timeLimit", "mip_rel_gap": "gapRel", "mip_abs_gap": "gapAbs", "threads": "threads",
                "msg": "msg"}
DUAL_TOLERANCE = 1e-6  # relative: how far from a bound a value may be and still count as on it


@cache
def _pulp() -> Any:
    """Import PuLP on first use (``import fundsim`` does not pay for it)."""
    import pulp

    return pulp


def available_solvers() -> list[str]:
    """The PuLP solvers that can run on this machine, e.g. ``["PULP_CBC_CMD", "HiGHS"]``.

    Examples
    --------
    >>> from fundsim.solvers.pulp import available_solvers
    >>> "PULP_CBC_CMD" in available_solvers()
    True
    """
    return list(_pulp().listSolvers(onlyAvailable=True))


def _instantiate(name: str, kwargs: dict[str, Any]) -> Any:
    """``pulp.getSolver(name, **kwargs)``, without the PuLP 4.0 notice that the bundled CBC will move
    (fundsim uses it on purpose: it is the one solver every PuLP install has)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PULP_CBC_CMD is deprecated", DeprecationWarning)
        return _pulp().getSolver(name, **kwargs)


def _check_keywords(name: str, cls: type, kwargs: dict[str, Any]) -> None:
    """Raise a ValueError naming every option the PuLP solver class ``cls`` does not take."""
    params = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return  # the solver passes any keyword on to its engine
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        valid = sorted(set(OPTION_NAMES) | (set(params) - {"args"}))
        raise ArgumentError(f"unknown option(s) {', '.join(map(repr, unknown))} for the PuLP solver {name!r}; "
                         f"valid options are: solver, {', '.join(valid)}")


def make_solver(options: dict[str, Any] | None = None) -> Any:
    """The PuLP solver object that ``options`` describe (``solver`` name plus its settings).

    Raises
    ------
    ValueError
        for an unknown or unavailable solver name (the message lists the available ones) or an option the
        solver does not take.

    Examples
    --------
    >>> from fundsim.solvers.pulp import make_solver
    >>> make_solver({"time_limit": 60}).timeLimit
    60
    """
    options = dict(options or {})
    name = options.pop("solver", DEFAULT_SOLVER)
    pulp = _pulp()
    if not isinstance(name, str) or name not in pulp.listSolvers():
        raise ArgumentError(f"unknown PuLP solver {name!r}; the available PuLP solvers are: "
                         f"{', '.join(available_solvers())}")
    if name == "HiGHS":
        HighsSolver.is_available()  # the first Highs() of a process prints a banner: have it made muted
    kwargs = {"msg": False, **{OPTION_NAMES.get(k, k): v for k, v in options.items()}}
    _check_keywords(name, type(_instantiate(name, {"msg": False})), kwargs)
    solver = _instantiate(name, kwargs)
    if not solver.available():
        raise ArgumentError(f"the PuLP solver {name!r} is not available on this machine; the available PuLP solvers "
                         f"are: {', '.join(available_solvers())}")
    return solver


# ---- the LP written in PuLP ---------------------------------------------------------------------------
@dataclass
class PulpModel:
    """A :class:`LinearProgram` written as a ``pulp.LpProblem``.

    Attributes
    ----------
    problem : the PuLP problem
    variables : the PuLP variable of each column, in column order
    constraints : the PuLP constraints, in the order they were added
    rows : for each PuLP constraint, the index of the LP row it stands for

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> model = build_problem(lp)
    >>> len(model.variables) == lp.num_col, len(model.constraints), model.rows.tolist() == list(range(lp.num_row))
    (True, 10, True)
    """

    problem: Any
    variables: list[Any]
    constraints: list[Any]
    rows: np.ndarray


def _finite(values: np.ndarray) -> list[float | None]:
    """Bounds as PuLP wants them: ``None`` for an infinite bound."""
    return [float(v) if np.isfinite(v) else None for v in values]


def _categories(lp: LinearProgram) -> list[str]:
    """PuLP categories of the columns; a ValueError for kinds PuLP lacks (semi-continuous)."""
    if lp.integrality is None:
        return ["Continuous"] * lp.num_col
    kinds = np.asarray(lp.integrality)
    bad = np.flatnonzero((kinds != 0) & (kinds != 1))
    if bad.size:
        raise ArgumentError(f"PuLP has only continuous and integer variables; column {int(bad[0])} has integrality "
                         f"{int(kinds[bad[0]])} (0 continuous and 1 integer are valid)")
    return ["Integer" if k else "Continuous" for k in kinds]


def _add_variables(problem: Any, lp: LinearProgram) -> list[Any]:
    cats, lower, upper = _categories(lp), _finite(lp.col_lower), _finite(lp.col_upper)
    return [problem.add_variable(f"x{j}", lower[j], upper[j], cats[j]) for j in range(lp.num_col)]


def _row_constraints(pulp: Any, i: int, pairs: list[tuple[Any, float]], lower: float, upper: float) -> list[Any]:
    """The PuLP constraints of row ``i``: one (``==``, ``>=``, ``<=``), two for a ranged row, none for a free one."""
    def constraint(sense: int, name: str, rhs: float) -> Any:
        return pulp.LpConstraint(pulp.LpAffineExpression(pairs), sense, name, rhs)

    if lower == upper:
        return [constraint(pulp.LpConstraintEQ, f"r{i}", lower)]
    out = []
    if np.isfinite(lower):
        out.append(constraint(pulp.LpConstraintGE, f"r{i}_lo" if np.isfinite(upper) else f"r{i}", lower))
    if np.isfinite(upper):
        out.append(constraint(pulp.LpConstraintLE, f"r{i}_up" if np.isfinite(lower) else f"r{i}", upper))
    return out


def build_problem(lp: LinearProgram) -> PulpModel:
    """Write ``lp`` as a PuLP problem, row by row from the CSR arrays (rows without terms are left out).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers.pulp import build_problem
    >>> model = build_problem(fs.assemble(fs.load_scenario("scenarios/tutorial.yaml")))
    >>> len(model.variables), len(model.constraints)
    (25, 10)
    """
    pulp = _pulp()
    problem = pulp.LpProblem("fundsim", pulp.LpMaximize if lp.sense == "max" else pulp.LpMinimize)
    variables = _add_variables(problem, lp)
    # every column enters the objective (a zero cost included), so PuLP passes unused columns on too
    problem.setObjective(pulp.LpAffineExpression(list(zip(variables, lp.c.tolist(), strict=True)),
                                                 constant=float(lp.offset)))
    A = lp.A.tocsr()
    terms = [variables[k] for k in A.indices.tolist()]
    values, ptr = A.data.tolist(), A.indptr.tolist()
    constraints, rows = [], []
    for i in range(lp.num_row):
        if ptr[i] == ptr[i + 1]:
            continue
        pairs = list(zip(terms[ptr[i]:ptr[i + 1]], values[ptr[i]:ptr[i + 1]], strict=True))
        for c in _row_constraints(pulp, i, pairs, float(lp.row_lower[i]), float(lp.row_upper[i])):
            constraints.append(c)
            rows.append(i)
    problem.extend({c.name: c for c in constraints})
    return PulpModel(problem, variables, constraints, np.asarray(rows, dtype=np.int64))


# ---- status and duals -----------------------------------------------------------------------------------
def _status(status: int, sol_status: int) -> Status:
    """fundsim's status from PuLP's ``problem.status`` and ``problem.sol_status``.

    A solution found but not proven optimal (a time limit on a MILP) and "not solved" are ``LIMIT``.
    """
    if status == 1:
        return Status.OPTIMAL if sol_status == 1 else Status.LIMIT
    return {0: Status.LIMIT, -1: Status.INFEASIBLE, -2: Status.UNBOUNDED}.get(status, Status.ERROR)


def _off_bound(sense: str, dual: np.ndarray, value: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               tol: np.ndarray) -> float:
    """How much dual sits on a side that is not active: Σ|dual| where the dual's sign asks for a bound the
    value is not on. A dual that gains objective per unit of bound (> 0 for max, < 0 for min) asks for the
    upper bound; one that loses asks for the lower."""
    gain = dual if sense == "max" else -dual
    at_upper = value >= upper - tol
    at_lower = value <= lower + tol
    wrong = np.where(gain > 0, ~at_upper, np.where(gain < 0, ~at_lower, False))
    return float(np.abs(dual)[wrong].sum())


def orient_duals(lp: LinearProgram, x: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Row and column duals in fundsim's convention from a solver's row duals ``raw`` of either sign.

    Of ``raw`` and ``-raw``, the one whose row duals and reduced costs ``c - Aᵀy`` agree with the
    primal ``x`` (complementary slackness) is kept. Returns ``(row_dual, col_dual, violation)``, the last
    the Σ|dual| left on inactive bounds relative to Σ|dual| (0 for exact duals).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> row_dual, col_dual, violation = orient_duals(lp, result.x, -result.row_dual)  # duals of the other sign
    >>> bool((row_dual == result.row_dual).all()), violation
    (True, 0.0)
    """
    activity = lp.A @ x
    row_tol = DUAL_TOLERANCE * (1.0 + abs(lp.A) @ np.abs(x))
    col_tol = DUAL_TOLERANCE * (1.0 + np.abs(x))
    candidates = []
    for sign in (1.0, -1.0):
        y = sign * raw
        d = lp.c - lp.A.T @ y
        off = (_off_bound(lp.sense, y, activity, lp.row_lower, lp.row_upper, row_tol)
               + _off_bound(lp.sense, d, x, lp.col_lower, lp.col_upper, col_tol))
        scale = float(np.abs(y).sum() + np.abs(d).sum()) or 1.0
        candidates.append((off / scale, -sign, y, d))
    violation, _, y, d = min(candidates, key=lambda c: c[:2])  # on a tie, the solver's own sign
    return y, d, violation


def _raw_row_duals(lp: LinearProgram, model: PulpModel) -> np.ndarray:
    """The solver's duals per LP row (the two sides of a ranged row added up; NaN where none came back)."""
    pi = np.array([np.nan if c.pi is None else float(c.pi) for c in model.constraints])
    return np.bincount(model.rows, weights=pi, minlength=lp.num_row)


def _empty_rows_feasible(lp: LinearProgram) -> bool:
    """Rows without terms hold ``0``: feasible when 0 lies within their bounds."""
    empty = np.diff(lp.A.tocsr().indptr) == 0
    return bool((lp.row_lower[empty] <= 1e-9).all() and (lp.row_upper[empty] >= -1e-9).all())


def _duals(lp: LinearProgram, model: PulpModel, x: np.ndarray, info: dict[str, Any]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Row and column duals, oriented; NaN for a MILP, for solvers that return none, and for duals that
    fail the complementary-slackness check (``info["dual_violation"]`` says by how much)."""
    nan = (np.full(lp.num_row, np.nan), np.full(lp.num_col, np.nan))
    if lp.integrality is not None and np.any(lp.integrality):
        return nan
    raw = _raw_row_duals(lp, model)
    if np.isnan(raw).any():
        return nan
    row_dual, col_dual, violation = orient_duals(lp, x, raw)
    info["dual_violation"] = violation
    return (row_dual, col_dual) if violation <= DUAL_TOLERANCE else nan


# ---- the backend ------------------------------------------------------------------------------------------
class PulpSolver:
    """A backend for any PuLP solver: CBC (bundled with PuLP) by default, or one named in ``options``.

    Parameters
    ----------
    options : ``solver`` — a name from ``pulp.listSolvers(onlyAvailable=True)``, e.g. ``"PULP_CBC_CMD"``,
        ``"HiGHS"``, ``"GLPK_CMD"``; ``time_limit`` (seconds), ``mip_rel_gap``, ``mip_abs_gap``, ``threads``,
        ``msg`` (solver output, off by default); any other key is passed to the PuLP solver as a keyword.

    Raises
    ------
    ValueError
        for an unknown or unavailable solver or an option the solver does not take.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import PulpSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = PulpSolver().solve(lp)
    >>> result.status.value, round(result.objective, 6), result.row_dual.round(2).tolist()[:4]
    ('optimal', 130.0, [1.75, 1.75, 1.75, 1.75])
    >>> float(PulpSolver({"solver": "HiGHS"}).solve(lp).row_dual[0])
    1.75
    """

    name: ClassVar[str] = "pulp"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.LP, Capability.MILP, Capability.DUALS, Capability.IN_PLACE, Capability.TIME_LIMIT})
    precision: ClassVar[float] = 1e-7  # CBC hands its solution to PuLP as text, 8 significant digits

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})
        self.solver_name = str(self.options.get("solver", DEFAULT_SOLVER))
        self.pulp_solver = make_solver(self.options)
        self.model: PulpModel | None = None
        self._lp: LinearProgram | None = None  # the loaded LP, as changed in place

    def version(self) -> str:
        """PuLP's version and the PuLP solver, e.g. ``"3.3.0 PULP_CBC_CMD"``."""
        return f"{_pulp().__version__} {self.solver_name}"

    @classmethod
    @cache
    def is_available(cls) -> bool:
        """PuLP imports and its default solver (CBC) runs here."""
        try:
            return bool(_instantiate(DEFAULT_SOLVER, {"msg": False}).available())
        except ImportError:
            return False

    # in-place updates, by rebuilding -------------------------------------------------------------------
    def load(self, lp: LinearProgram) -> None:
        """Keep ``lp`` for in-place changes and :meth:`solve` without an argument."""
        self._lp = lp

    def _loaded(self) -> LinearProgram:
        if self._lp is None:
            raise ArgumentError("nothing to change or solve: pass a LinearProgram first")
        return self._lp

    def _replace(self, **changes: Any) -> None:
        self._lp = dataclasses.replace(self._loaded(), **changes)

    def change_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        """Change objective coefficients of ``cols`` for the next solve."""
        c = self._loaded().c.astype(float)
        c[np.asarray(cols, np.int64)] = costs
        self._replace(c=c)

    def change_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change row bounds for the next solve (``inf`` allowed)."""
        lp = self._loaded()
        row_lower, row_upper = lp.row_lower.astype(float), lp.row_upper.astype(float)
        row_lower[np.asarray(rows, np.int64)], row_upper[np.asarray(rows, np.int64)] = lower, upper
        self._replace(row_lower=row_lower, row_upper=row_upper)

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change column bounds for the next solve (``inf`` allowed)."""
        lp = self._loaded()
        col_lower, col_upper = lp.col_lower.astype(float), lp.col_upper.astype(float)
        col_lower[np.asarray(cols, np.int64)], col_upper[np.asarray(cols, np.int64)] = lower, upper
        self._replace(col_lower=col_lower, col_upper=col_upper)

    def change_coeffs(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Change matrix entries for the next solve (0 removes one)."""
        A = self._loaded().A.tolil(copy=True)
        for i, j, v in zip(rows, cols, values, strict=True):
            A[int(i), int(j)] = float(v)
        matrix = A.tocsr()
        matrix.eliminate_zeros()
        self._replace(A=matrix)

    def change_offset(self, offset: float) -> None:
        """Change the objective's constant term for the next solve."""
        self._replace(offset=float(offset))

    def forget_solution(self) -> None:
        """Nothing to forget: every solve starts from scratch."""

    def solve(self, lp: LinearProgram | None = None) -> SolveResult:
        """Write ``lp`` in PuLP (or the loaded LP, as changed in place, when ``lp`` is ``None``), solve it, and
        return the result in fundsim's conventions.

        A MILP stopped by its time limit with a plan (PuLP's ``sol_status`` integer-feasible) returns it with
        status ``LIMIT``; its gap is unknown (PuLP does not pass on the solver's bound). No progress is reported
        while it solves: only HiGHS has :attr:`~fundsim.solvers.base.Capability.PROGRESS`.

        Raises
        ------
        SolverError
            when the PuLP solver fails to run (``info`` of the result carries PuLP's own status otherwise).
        """
        if lp is None:
            lp = self._loaded()
        else:
            self._lp = lp
        if lp.num_col == 0 or not _empty_rows_feasible(lp):
            return self._without_solver(lp)
        start = time.perf_counter()
        self.model = build_problem(lp)
        built = time.perf_counter()
        try:
            self.model.problem.solve(self.pulp_solver)
        except _pulp().PulpSolverError as exc:
            raise SolverError(f"the PuLP solver {self.solver_name} failed: {exc}", "error") from exc
        seconds = time.perf_counter() - built
        problem = self.model.problem
        status = _status(problem.status, problem.sol_status)
        info = {"pulp_solver": self.solver_name, "pulp_status": _pulp().LpStatus[problem.status],
                "build_seconds": built - start}
        stopped_with_a_plan = lp.integrality is not None and problem.sol_status == _pulp().LpSolutionIntegerFeasible
        if status is not Status.OPTIMAL and not stopped_with_a_plan:
            return self._result(lp, status, seconds, info)
        x = np.array([np.nan if v.varValue is None else float(v.varValue) for v in self.model.variables])
        return self._result(lp, status, seconds, info, x, _duals(lp, self.model, x, info))

    def _result(self, lp: LinearProgram, status: Status, seconds: float, info: dict[str, Any],
                x: np.ndarray | None = None, duals: tuple[np.ndarray, np.ndarray] | None = None) -> SolveResult:
        n, m = lp.num_col, lp.num_row
        if x is None or duals is None:
            x, duals = np.full(n, np.nan), (np.full(m, np.nan), np.full(n, np.nan))
            objective, activity = np.nan, np.full(m, np.nan)
        else:
            objective, activity = float(lp.c @ x + lp.offset), lp.A @ x
        return SolveResult(status=status, objective=objective, x=x, row_dual=duals[0], col_dual=duals[1],
                           row_activity=activity, solver=self.name,
                           solver_version=f"{_pulp().__version__} {self.solver_name}", seconds=seconds, info=info)

    def _without_solver(self, lp: LinearProgram) -> SolveResult:
        """An LP without columns, or with a row without terms that cannot hold: decided here (PuLP's solvers
        reject empty problems)."""
        info = {"pulp_solver": self.solver_name, "pulp_status": "not run"}
        if not _empty_rows_feasible(lp):
            return self._result(lp, Status.INFEASIBLE, 0.0, info)
        zeros = (np.zeros(lp.num_row), np.zeros(0))
        return self._result(lp, Status.OPTIMAL, 0.0, info, np.zeros(0), zeros)
