"""Pareto front between two or three objectives by the ε-constraint method.

The objectives (``OBJECTIVES``), each a measure of an allocation's EU commitments ``eu``:

``impact`` (maximise)
    the scenario's impact term: weights, diminishing returns and basis as the scenario states them.
``leverage`` (maximise)
    co-financing mobilised, ``Σ k·eu`` EUR m, ``k = (1 - s)/s`` at each cell's maximum EU share ``s``.
``pillar_balance`` (minimise)
    the pillar imbalance ``Σ_q |E_q / E - τ_q|``: how far the pillars' shares of all EU commitments ``E``
    lie from target shares ``τ_q`` (L1). Targets default to the middle of each pillar-balance rule's
    ``[min_share, max_share]`` (the one bound when only one is given); ``pillar_targets`` overrides them.
``regional_concentration`` (minimise)
    the largest region's share of EU commitments, ``max_r E_r / E``. The Herfindahl index ``Σ_r (E_r/E)²``
    is quadratic, and "HHI ≤ ε" is a quadratic constraint no LP solver takes; the largest share is
    linear once ε is fixed (``E_r ≤ ε·E`` for every r) and bounds the Herfindahl index from above
    (``Σ s_r² ≤ max s · Σ s_r = max s``), so it is used instead.

The two shares (blind to the amount: committing less may lower them) are ratios ``N(x)/E(x)``, ``N`` linear
through auxiliary columns ``m ≥ E_r`` or ``d_q ≥ |E_q - τ_q E|``. Bounded by ε they are linear rows,
``N - ε·E ≤ 0``; optimised they are linear-fractional programmes, solved exactly by Dinkelbach's method
(LPs ``min N - λE`` with ``λ`` set to the ratio of the last solution, until the minimum is 0).

The ε-constraint method: the first objective is optimised with the others bounded by ε, on a grid from
the worst to the best value each takes in the *payoff table* (each objective optimised alone, then the
others lexicographically). At each grid point the objectives are optimised lexicographically (the first
fixed at its optimum, the second optimised, …), so each point is efficient, not merely weakly so; points
that repeat or are dominated are dropped. The extra columns and rows are appended once to the scenario's
LP; a grid point changes row bounds and one coefficient per share bound, and HiGHS re-solves warm. Every
bound is relaxed by ``1e-9·(1 + |ε|)`` to absorb rounding.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from fundsim.errors import ArgumentError, InfeasibleError, SolverError
from fundsim.lp import Block, LinearProgram, assemble
from fundsim.model import Objective, Scenario
from fundsim.results import Allocation
from fundsim.rules.program import Entries, Header
from fundsim.rules.shares import TOTAL, TOTAL_COLUMN
from fundsim.sensitivity.arguments import pareto_arguments
from fundsim.sensitivity.frontier import money_variables
from fundsim.solvers import Capability, InPlaceSolver, SolveResult, Status
from fundsim.solvers.backends import SolverChoice, SolverLike, display_name, solver_choice
from fundsim.solving import check_options

__all__ = ["OBJECTIVES", "ParetoFront", "objective_values", "pareto_front", "pareto_points"]

OBJECTIVES: dict[str, tuple[str, str, str]] = {  # name: (sense, units, long name)
    "impact": ("max", "objective units", "impact (the scenario's impact term)"),
    "leverage": ("max", "EUR m", "co-financing mobilised"),
    "pillar_balance": ("min", "1", "pillar imbalance: sum over pillars of |share - target share|"),
    "regional_concentration": ("min", "1", "largest region's share of EU commitments"),
}
DINKELBACH_ITERATIONS = 100
SLACK = 1e-9  # relative slack on every bound: an optimum fixed as a bound stays feasible despite rounding


@dataclass(frozen=True, eq=False)
class _Criterion:
    """An objective as the LP sees it: ``coef·x`` (divided by the total column when ``ratio``)."""

    name: str
    sense: str
    coef: np.ndarray
    ratio: bool


# ---- the measures, evaluated on an allocation's EU commitments ------------------------------------------
def _impact(sc: Scenario, i: np.ndarray, p: np.ndarray, r: np.ndarray, eu: np.ndarray) -> float:
    """The scenario's concave piecewise-linear impact of the money reaching each (priority, region) cell."""
    term = sc.objective.impact
    if term is None:
        return float("nan")
    factor = 1.0 + sc.match_ratio[i, p, r] if term.basis == "total" else 1.0
    money = np.zeros((len(sc.priorities), len(sc.regions)))
    np.add.at(money, (p, r), factor * eu)
    edges = np.array([0.0, *term.breakpoints, np.inf])
    filled = np.clip(money[..., None] - edges[:-1], 0.0, np.diff(edges))
    return float(np.sum(term.weight * term.weights[..., None] * filled * np.array(term.slopes)))


def objective_values(sc: Scenario, lp: LinearProgram, x: np.ndarray,
                     pillar_targets: Mapping[str, float] | None = None) -> dict[str, float]:
    """Every objective of ``OBJECTIVES`` measured on the EU commitments of a solution vector ``x`` of ``lp``.

    Shares are ``nan`` when nothing is committed; ``impact`` is ``nan`` without an impact term and
    ``pillar_balance`` without target shares.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> alloc = fs.solve(sc)
    >>> {k: round(v, 4) for k, v in objective_values(sc, alloc.lp, alloc.result.x).items()}
    {'impact': 130.0, 'leverage': 5.0, 'regional_concentration': 0.8333, 'pillar_balance': 0.0}
    >>> round(objective_values(sc, alloc.lp, alloc.result.x, pillar_targets={"legal": 0.5})["pillar_balance"], 4)
    0.3333
    """
    block = lp.variables["eu"]
    i, p, r, _ = block.positions  # type: ignore[misc]
    eu = np.asarray(x[block.start:block.stop], float)
    total = float(eu.sum())
    out = {"impact": _impact(sc, i, p, r, eu), "leverage": float(np.dot(eu, sc.match_ratio[i, p, r]))}
    if total <= 1e-9:
        return {**out, "pillar_balance": float("nan"), "regional_concentration": float("nan")}
    out["regional_concentration"] = float(np.bincount(r, weights=eu, minlength=len(sc.regions)).max() / total)
    targets = _targets(sc, pillar_targets)
    by_pillar = np.bincount(_pillar_of(sc)[p], weights=eu, minlength=len(sc.pillars))
    out["pillar_balance"] = float(sum(abs(by_pillar[sc.pillar_ids.index(q)] / total - share)
                                      for q, share in targets.items())) if targets else float("nan")
    return out


def _pillar_of(sc: Scenario) -> np.ndarray:
    return np.array([sc.pillar_ids.index(q) for q in sc.priority_pillars], dtype=np.int64)


def _targets(sc: Scenario, given: Mapping[str, float] | None) -> dict[str, float]:
    """Target share per pillar: ``given``, else the middle of each pillar-balance rule's range."""
    if given is not None:
        return dict(given)
    return {rule.pillar: float(np.mean(bounds)) for rule in sc.rules.pillar_balance
            if (bounds := [b for b in (rule.min_share, rule.max_share) if b is not None])}


# ---- the augmented LP ------------------------------------------------------------------------------------
@dataclass
class _Extension:
    """Columns (``≥ 0``) and rows appended to an LP: blocks registered like the scenario's, COO entries."""

    lp: LinearProgram
    ncol: int = 0
    nrow: int = 0
    coo: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    constraints: dict[str, Block] = field(default_factory=dict)

    def column(self, name: str, dims: tuple[str, ...], coords: tuple[tuple, ...], size: int, long_name: str) -> int:
        start = self.lp.num_col + self.ncol
        self.variables[name] = Block(name, dims, coords, start, start + size, units="EUR m", long_name=long_name)
        self.ncol += size
        return start

    def rows(self, header: Header, entries: Entries, lower: Any, upper: Any, *, kind: str) -> None:
        """Rows ``lower ≤ Σ v·x[c] ≤ upper`` from ``entries``, whose ``rows`` count the block's rows."""
        h = header
        self.coo.append((np.asarray(entries.rows, np.int64) + self.nrow, np.asarray(entries.cols, np.int64),
                         np.asarray(entries.vals, float), np.asarray(lower, float), np.asarray(upper, float)))
        start, self.nrow = self.lp.num_row + self.nrow, self.nrow + len(lower)
        self.constraints[h.name] = Block(h.name, h.dims, h.coords, start, self.lp.num_row + self.nrow, h.positions,
                                         kind, "objective per EUR m" if h.units is None else h.units, h.long_name)

    def build(self) -> LinearProgram:
        """The LP with the new columns and rows; costs zero, sense ``min``."""
        lp, ncol = self.lp, self.lp.num_col + self.ncol
        r, c, v, lower, upper = (np.concatenate([t[k] for t in self.coo]) for k in range(5))
        A = sp.vstack([sp.hstack([lp.A, sp.csr_matrix((lp.num_row, self.ncol))]),
                       sp.csr_matrix((v, (r, c)), shape=(self.nrow, ncol))], format="csr")
        return LinearProgram("min", np.zeros(ncol), A, np.append(lp.row_lower, lower), np.append(lp.row_upper, upper),
                             np.append(lp.col_lower, np.zeros(self.ncol)), np.append(lp.col_upper, np.full(self.ncol,
                                                                                                           np.inf)),
                             {**lp.variables, **self.variables}, {**lp.constraints, **self.constraints})


def _total_column(ext: _Extension, cols: np.ndarray) -> int:
    """The total EU column ``E`` (the scenario's own when its share rules made one): ``E - Σ eu = 0``."""
    if TOTAL_COLUMN.name in ext.lp.variables:
        return ext.lp.variables[TOTAL_COLUMN.name].start
    total = ext.column(TOTAL_COLUMN.name, (), (), 1, "total EU commitment")
    ext.rows(Header(TOTAL.name, long_name=TOTAL.long_name),
             Entries(np.zeros(len(cols) + 1), np.append(cols, total), np.append(-np.ones(len(cols)), 1.0)),
             np.zeros(1), np.zeros(1), kind="eq")
    return total


def _impact_terms(sc: Scenario, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray]:
    """Columns and coefficients of the impact term alone, in the scenario's LP (its blocks, maybe elsewhere)."""
    alone = assemble(sc.evolve(objective=Objective(impact=sc.objective.impact)))
    cols, vals = [], []
    for name in ("eu", "impact_segment"):
        if name in alone.variables:
            here, there = lp.variables[name], alone.variables[name]
            costs = alone.c[there.start:there.stop]
            cols.append(here.start + np.flatnonzero(costs))
            vals.append(costs[costs != 0])
    return np.concatenate(cols), np.concatenate(vals)


def _concentration_rows(sc: Scenario, ext: _Extension, cols: np.ndarray, region: np.ndarray) -> int:
    """``m - Σ_{cells in r} eu ≥ 0`` for every region with eligible cells: ``m`` is at least the largest."""
    m = ext.column("largest_region_money", (), (), 1, "EU commitments to the largest region")
    regions, row = np.unique(region, return_inverse=True)
    n = len(regions)
    ext.rows(Header("largest_region", ("region",), (sc.area_ids,), (regions,),  # the axis of every region row
                    long_name="money of the largest region"),
             Entries(np.append(row, np.arange(n)), np.append(cols, np.full(n, m)),
                     np.append(-np.ones(len(cols)), np.ones(n))),
             np.zeros(n), np.full(n, np.inf), kind="ge")
    return m


def _balance_rows(sc: Scenario, ext: _Extension, cols: np.ndarray, pillar: np.ndarray, total: int,
                  targets: dict[str, float]) -> np.ndarray:
    """``d_q - E_q + τ_q·E ≥ 0`` and ``d_q + E_q - τ_q·E ≥ 0`` (so ``d_q ≥ |E_q - τ_q·E|``) for each pillar
    with a target share; returns the columns ``d``."""
    names = tuple(targets)
    n = len(names)
    d = ext.column("pillar_deviation", ("balanced_pillar",), (names,), n, "EU money off the pillar's target")
    which = np.full(len(sc.pillars), -1)
    which[[sc.pillar_ids.index(q) for q in names]] = np.arange(n)
    k = which[pillar]
    cell, tau = np.flatnonzero(k >= 0), np.array([targets[q] for q in names])
    own = np.arange(2 * n)
    r = np.concatenate([2 * k[cell], 2 * k[cell] + 1, own, own])
    c = np.concatenate([cols[cell], cols[cell], d + own // 2, np.full(2 * n, total)])
    v = np.concatenate([-np.ones(len(cell)), np.ones(len(cell)), np.ones(2 * n), np.repeat(tau, 2) * (-1) ** own])
    positions = (own // 2, own % 2)
    ext.rows(Header("pillar_deviation_bound", ("balanced_pillar", "side"), (names, ("above", "below")), positions,
                    long_name="deviation of the pillar's money from its target share"),
             Entries(r, c, v), np.zeros(2 * n), np.full(2 * n, np.inf), kind="ge")
    return d + np.arange(n)


def _criteria(sc: Scenario, lp: LinearProgram, names: tuple[str, ...],
              targets: dict[str, float]) -> tuple[LinearProgram, dict[str, _Criterion], int]:
    """Append what the objectives need to the scenario's LP: the total column, the auxiliary columns of the
    share measures and one bound row per objective (free until an ε is set)."""
    ext = _Extension(lp)
    block = lp.variables["eu"]
    i, p, r, _ = block.positions  # type: ignore[misc]
    cols = block.start + np.arange(block.size)
    total = _total_column(ext, cols)
    terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if "impact" in names:
        terms["impact"] = _impact_terms(sc, lp)
    if "leverage" in names:
        k = sc.match_ratio[i, p, r]
        terms["leverage"] = (cols[k != 0], k[k != 0])
    if "regional_concentration" in names:
        terms["regional_concentration"] = (np.array([_concentration_rows(sc, ext, cols, r)]), np.ones(1))
    if "pillar_balance" in names:
        d = _balance_rows(sc, ext, cols, _pillar_of(sc)[p], total, targets)
        terms["pillar_balance"] = (d, np.ones(len(d)))
    # one row per objective; a share's row also holds -ε on E (-1 until an ε is set, then changed in place)
    entries: list[list[np.ndarray]] = [[], [], []]
    for row, name in enumerate(names):
        c, v = terms[name] if name not in _RATIOS else (np.append(terms[name][0], total), np.append(terms[name][1], -1))
        for part, values in zip(entries, (np.full(len(c), row), c, v), strict=True):
            part.append(values)
    ext.rows(Header("objective_bound", ("objective",), (names,), None, "first objective per unit of the bound",
                    "bound on an objective (epsilon-constraint)"),
             Entries(*(np.concatenate(e) for e in entries)), np.full(len(names), -np.inf), np.full(len(names), np.inf),
             kind="range")
    aug = ext.build()
    criteria = {}
    for n in names:
        vec = np.zeros(aug.num_col)
        vec[terms[n][0]] = terms[n][1]
        criteria[n] = _Criterion(n, OBJECTIVES[n][0], vec, n in _RATIOS)
    return aug, criteria, total


_RATIOS = frozenset({"pillar_balance", "regional_concentration"})


# ---- optimising on the augmented LP -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Optimum:
    """The optimum of one objective (the ratio ``λ`` for a share) and the solve that reached it."""

    value: float
    result: SolveResult


@dataclass(eq=False)
class _Problem:
    """The augmented LP loaded once in HiGHS; bounds on objectives change in place between solves."""

    scenario: Scenario
    names: tuple[str, ...]
    targets: dict[str, float]
    tol: float
    lp: LinearProgram = field(init=False)
    criteria: dict[str, _Criterion] = field(init=False)
    total: int = field(init=False)
    choice: SolverChoice = field(default_factory=solver_choice)
    solver: InPlaceSolver = field(init=False)
    last: SolveResult | None = None
    solves: int = 0

    def __post_init__(self) -> None:
        base = assemble(self.scenario)
        if base.integrality is not None:
            raise ArgumentError(f"scenario {self.scenario.name!r} has integer rules; the Pareto front needs an LP")
        self.lp, self.criteria, self.total = _criteria(self.scenario, base, self.names, self.targets)
        # each solve changes the objective (and a bound the last optimum already meets): primal simplex keeps
        # the basis primal feasible and was 4x faster than dual on gam-2008
        self.solver = self.choice.make_in_place({"highs": {"simplex_strategy": 4}})
        self.solver.load(self.lp)

    def _row(self, name: str) -> int:
        return self.lp.constraints["objective_bound"].start + self.names.index(name)

    def _entry(self, row: int) -> int:  # position in A.data of the total column's coefficient in ``row``
        return int(self.lp.A.indptr[row] + np.flatnonzero(self.lp.A[row].indices == self.total)[0])

    def _set_row(self, row: int, lower: float, upper: float) -> None:
        self.lp.row_lower[row], self.lp.row_upper[row] = lower, upper
        self.solver.change_row_bounds(np.array([row]), np.array([lower]), np.array([upper]))

    def bound(self, name: str, eps: float | None) -> None:
        """``objective ≥ ε`` (maximised) or ``≤ ε`` (minimised), relaxed by ``SLACK·(1 + |ε|)`` (or the backend's
        ``precision`` if coarser); no bound for ``None``."""
        crit, row = self.criteria[name], self._row(name)
        slack = max(SLACK, self.choice.backend.precision) * (1.0 + abs(eps or 0.0))  # the backend's rounding
        if eps is None:
            self._set_row(row, -np.inf, np.inf)
        elif crit.ratio:  # N - (ε + slack)·E ≤ 0
            self.lp.A.data[self._entry(row)] = -(eps + slack)
            self.solver.change_coeffs(np.array([row]), np.array([self.total]), np.array([-(eps + slack)]))
            self._set_row(row, -np.inf, 0.0)
        elif crit.sense == "max":
            self._set_row(row, eps - slack, np.inf)
        else:
            self._set_row(row, -np.inf, eps + slack)

    def _run(self, cost: np.ndarray) -> SolveResult | None:
        """Minimise ``cost·x`` warm; ``None`` when infeasible."""
        self.solves += 1
        self.lp.c[:] = cost
        self.solver.change_costs(np.arange(self.lp.num_col), cost)
        result = self.solver.solve(self.lp if self.solves == 1 else None)  # the first solve cold
        if result.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            self.solver.forget_solution()
            result = self.solver.solve()
        if result.status is Status.INFEASIBLE:
            return None
        if result.status is not Status.OPTIMAL:
            raise SolverError(f"{display_name(self.choice.name)} stopped with status {result.status.value} on the "
                              f"Pareto front of "
                              f"{self.scenario.name!r}", result.status.value)
        self.last = result
        return result

    def measures(self, x: np.ndarray) -> dict[str, float]:
        return objective_values(self.scenario, self.lp, x, self.targets)

    def optimise(self, name: str) -> _Optimum | None:
        crit = self.criteria[name]
        if crit.ratio:
            return self._fractional(crit)
        sign = -1.0 if crit.sense == "max" else 1.0
        result = self._run(sign * crit.coef)
        return None if result is None else _Optimum(sign * result.objective, result)

    def _fractional(self, crit: _Criterion) -> _Optimum | None:
        """Dinkelbach: ``λ ← N(x)/E(x)`` with ``x`` minimising ``N - λE``, until that minimum is 0. ``λ`` starts at
        the share of a feasible plan (the last solution if it meets the bounds, else the one committing most)."""
        unit = np.zeros(self.lp.num_col)
        unit[self.total] = 1.0
        best = self.last if self.last is not None and self._meets_bounds(self.last.x) else self._run(-unit)
        if best is None:
            return None
        if best.x[self.total] <= 1e-9:
            best = self._run(-unit)
            if best is None or best.x[self.total] <= 1e-9:
                raise ArgumentError(f"{crit.name} is a share of EU commitments, but under these bounds no allocation "
                                 f"of {self.scenario.name!r} commits any EU money")
        lam = self.measures(best.x)[crit.name]
        for _ in range(DINKELBACH_ITERATIONS):
            result = self._run(crit.coef - lam * unit)
            if result is None:
                return None
            committed = result.x[self.total] > 1e-9
            share = self.measures(result.x)[crit.name] if committed else np.inf
            if result.objective >= -self.tol * (1.0 + best.x[self.total]):  # min N - λE = 0: λ is the least share
                return _Optimum(min(lam, share), result if committed else best)
            best, lam = result, share  # N - λE < 0 needs E > 0: a plan with a smaller share
        raise SolverError(f"Dinkelbach's method did not settle on the least {crit.name} of {self.scenario.name!r} "
                          f"within {DINKELBACH_ITERATIONS} LPs", "limit")

    def _meets_bounds(self, x: np.ndarray) -> bool:
        """Whether ``x`` keeps every row and column bound of the LP as it now stands (HiGHS's tolerance)."""
        lp, act = self.lp, np.append(self.lp.A @ x, x)
        lower, upper = np.append(lp.row_lower, lp.col_lower), np.append(lp.row_upper, lp.col_upper)
        slack = 1e-7 * (1 + np.abs(np.where(np.isfinite(lower), lower, upper)))
        return bool(np.all(act >= lower - slack) and np.all(act <= upper + 1e-7 * (1 + np.abs(upper))))

    def lexicographic(self, order: tuple[str, ...], eps: Mapping[str, float]) -> _Solved | None:
        """Bound the objectives named in ``eps``, then optimise ``order`` one after the other, each fixed at its
        optimum before the next; ``None`` when no allocation meets the bounds. The final plan is optimal for the
        first stage too, so that stage's duals (kept, in the first objective's units) price its rules."""
        for name in self.names:
            self.bound(name, eps.get(name))
        first = self.optimise(order[0])
        if first is None:
            return None
        state = (self.lp.row_lower.copy(), self.lp.row_upper.copy(), self.lp.A.data.copy())
        last = first
        for before, name in itertools.pairwise(order):
            self.bound(before, last.value)
            optimum = self.optimise(name)
            if optimum is None:
                return None
            last = optimum
        crit, x = self.criteria[order[0]], first.result.x
        # ∂(first objective)/∂bound: HiGHS minimised -f for a maximised f; a share's λ moves by ∂F/∂b / E
        scale = -1.0 if crit.sense == "max" else 1.0 / x[self.total] if crit.ratio else 1.0
        row_dual = scale * first.result.row_dual
        shares = [self._row(n) for n in self.names if self.criteria[n].ratio]
        row_dual[shares] *= x[self.total]  # a share bound N - εE ≤ 0 moves by E per unit of ε
        return _Solved(last.result, row_dual, scale * first.result.col_dual, crit.sense, *state,
                       self.measures(last.result.x))

    def snapshot(self, solved: _Solved) -> LinearProgram:
        """The augmented LP as it stood at the first stage of ``solved`` (for labelling it)."""
        A = self.lp.A.copy()
        A.data = solved.matrix_data.copy()
        return dataclasses.replace(self.lp, sense=solved.sense, c=np.zeros(self.lp.num_col), A=A,
                                   row_lower=solved.row_lower.copy(), row_upper=solved.row_upper.copy())


@dataclass(frozen=True, eq=False)
class _Solved:
    """One lexicographic solve: the final plan, the first stage's duals (in units of the first objective,
    whose sense is ``sense``), the LP's state at that stage and every objective's value."""

    result: SolveResult
    row_dual: np.ndarray
    col_dual: np.ndarray
    sense: str
    row_lower: np.ndarray
    row_upper: np.ndarray
    matrix_data: np.ndarray
    values: dict[str, float]


# ---- the front -----------------------------------------------------------------------------------------------
def _check(sc: Scenario, objectives: tuple[str, ...], points: int, targets: Mapping[str, float] | None) -> None:
    unknown = [n for n in objectives if n not in OBJECTIVES]
    if unknown:
        raise ArgumentError(f"unknown objective {unknown[0]!r}; the objectives are: {', '.join(OBJECTIVES)}")
    if not 2 <= len(objectives) <= 3 or len(set(objectives)) != len(objectives):
        raise ArgumentError(f"a Pareto front needs two or three different objectives, got {list(objectives)}")
    if "impact" in objectives and sc.objective.impact is None:
        raise ArgumentError(f"scenario {sc.name!r} has no impact term (objective.impact), so 'impact' cannot be an "
                         f"objective; the others are: {', '.join(n for n in OBJECTIVES if n != 'impact')}")
    if "pillar_balance" in objectives and not _targets(sc, targets):
        raise ArgumentError(f"'pillar_balance' needs target shares: scenario {sc.name!r} has no pillar-balance rule; "
                         "pass pillar_targets={pillar: share}")
    if targets is not None:
        bad = [f"{q!r}" for q in targets if q not in sc.pillar_ids]
        bad += [f"{q!r}: {v!r}" for q, v in targets.items() if q in sc.pillar_ids and not 0.0 <= v <= 1.0]
        if bad:
            raise ArgumentError(f"pillar_targets: {', '.join(bad)} is not a pillar of {sc.name!r} with a share in "
                             f"[0, 1]; its pillars are: {', '.join(sc.pillar_ids)}")
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 2:
        raise ArgumentError("points must be an integer of at least 2 (grid values per bounded objective), "
                            f"got {points!r}")


def _payoff(problem: _Problem, progress: Callable[[int], None]) -> list[_Solved]:
    """Each objective optimised alone, then the others lexicographically in the given order."""
    rows = []
    for name in problem.names:
        rows.append(problem.lexicographic((name, *(n for n in problem.names if n != name)), {}))
        progress(1)
    if any(row is None for row in rows):
        raise InfeasibleError(f"scenario {problem.scenario.name!r} has no allocation that satisfies all its rules")
    return [row for row in rows if row is not None]


def _grid(problem: _Problem, payoff: list[_Solved], points: int) -> list[dict[str, float]]:
    """ε values for the bounded objectives: ``points`` from the worst value in the payoff table to the best."""
    axes = []
    for n, name in enumerate(problem.names[1:], start=1):
        values = [row.values[name] for row in payoff]
        worst = min(values) if OBJECTIVES[name][0] == "max" else max(values)
        best = payoff[n].values[name]
        axes.append(np.linspace(worst, best, points) if not np.isclose(worst, best, rtol=1e-9, atol=1e-12)
                    else np.array([best]))
    return [dict(zip(problem.names[1:], combo, strict=True)) for combo in itertools.product(*axes)]


def _efficient(problem: _Problem, found: list[tuple[dict[str, float], _Solved]]) -> list[tuple[dict[str, float],
                                                                                              _Solved]]:
    """Drop points that repeat another or are dominated by one (all objectives compared as maximised)."""
    names = problem.names
    gain = np.array([[(1.0 if OBJECTIVES[n][0] == "max" else -1.0) * s.values[n] for n in names] for _, s in found])
    scale = problem.tol * (1.0 + np.abs(gain).max(axis=0)) * 10
    keep: list[int] = []
    for k, g in enumerate(gain):
        dominated = np.any(np.all(gain >= g - scale, axis=1) & np.any(gain > g + scale, axis=1))
        if not dominated and not any(np.all(np.abs(gain[j] - g) <= scale) for j in keep):
            keep.append(k)
    return [found[k] for k in keep]


def pareto_points(objectives: tuple[str, ...] = ("impact", "leverage"), points: int = 11) -> int:
    """How many lexicographic optimisations :func:`pareto_front` makes (each a few LPs): one per objective for
    the payoff table, then one per point of the ε grid, ``points`` values per bounded objective.

    Examples
    --------
    >>> pareto_points(("impact", "leverage"), 11), pareto_points(("impact", "leverage", "pillar_balance"), 11)
    (13, 124)
    """
    return len(objectives) + points ** (len(objectives) - 1)


def pareto_front(scenario: Scenario, objectives: tuple[str, ...] = ("impact", "leverage"), points: int = 11, *,
                 pillar_targets: Mapping[str, float] | None = None, tol: float = 1e-7, solver: SolverLike = "highs",
                 options: dict[str, Any] | None = None, progress: Callable[[int], None] | None = None) -> ParetoFront:
    """The efficient allocations between two or three objectives (ε-constraint method).

    Parameters
    ----------
    scenario : the scenario (an LP: no integer rules); all its rules hold at every point
    objectives : two or three names of ``OBJECTIVES``; the first is optimised, the others bounded by ε
    points : ε values per bounded objective, from its worst value in the payoff table to its best (so up
        to ``points`` points with two objectives, ``points²`` with three)
    pillar_targets : target share per pillar for ``pillar_balance`` (default: the middle of each
        pillar-balance rule's range)
    tol : relative tolerance under which two points count as the same (and Dinkelbach's method stops)
    solver, options : the backend (a name: ``"highs"``, the default, or ``"pulp"``; a backend; or a
        :class:`~fundsim.solvers.SolverChoice`) and its options. It needs in-place updates (each point
        re-solves the LP with its objective and bounds changed: warm on HiGHS, rebuilt on PuLP).
    progress : called with 1 after each lexicographic optimisation (a progress bar's advance),
        :func:`pareto_points` in all. An objective that takes one value in the whole payoff table has that one
        value for its ε: the grid points this saves are counted at once, unsolved, when the grid is made

    Returns
    -------
    ParetoFront
        ``data`` over ``point``: each objective's value, the ε it was bounded by, EU money by pillar and
        region group; ``payoff`` the payoff table; ``allocation(k)`` point k's full allocation

    Raises
    ------
    ValueError
        for unknown or repeated objectives, an objective the scenario cannot express, bad targets or points
    InfeasibleError
        when the scenario has no allocation at all
    CapabilityError
        when the backend lacks in-place updates

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.sensitivity.pareto import pareto_front
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> front = pareto_front(sc, ("impact", "regional_concentration"), points=3)
    >>> front.table()[["impact", "regional_concentration"]].round(4).values.tolist()
    [[130.0, 0.8333], [125.0, 0.6667], [120.0, 0.5]]
    >>> cbc = pareto_front(sc, ("impact", "regional_concentration"), points=3, solver="pulp")
    >>> cbc.table()[["impact", "regional_concentration"]].round(4).values.tolist()
    [[130.0, 0.8333], [125.0, 0.6667], [120.0, 0.5]]
    """
    scenario, objectives = pareto_arguments(scenario, objectives, pillar_targets, tol)
    _check(scenario, objectives, points, pillar_targets)
    choice = solver_choice(solver, check_options(options), needs=[Capability.LP, Capability.IN_PLACE],
                           why=" for a Pareto front")
    problem = _Problem(scenario, objectives, _targets(scenario, pillar_targets), tol, choice=choice)
    tick = progress if progress is not None else (lambda n: None)
    payoff = _payoff(problem, tick)
    grid = _grid(problem, payoff, points)
    unsolved = pareto_points(objectives, points) - len(objectives) - len(grid)  # what a one-valued ε axis saves
    if unsolved:
        tick(unsolved)
    found = []
    for eps in grid:
        solved = problem.lexicographic(objectives, eps)
        if solved is not None:
            found.append((eps, solved))
        tick(1)
    efficient = _efficient(problem, found)
    table = pd.DataFrame([[row.values[n] for n in objectives] for row in payoff],
                         index=pd.Index(objectives, name="optimised"), columns=pd.Index(objectives, name="objective"))
    return ParetoFront(_dataset(problem, efficient), table, problem, tuple(s for _, s in efficient))


def _dataset(problem: _Problem, efficient: list[tuple[dict[str, float], _Solved]]) -> xr.Dataset:
    sc = problem.scenario
    data: dict[str, Any] = {}
    for n, name in enumerate(problem.names):
        sense, units, long_name = OBJECTIVES[name]
        data[name] = ("point", [s.values[name] for _, s in efficient], {"units": units, "long_name": long_name,
                                                                          "sense": sense})
        if n:
            side = "≥" if sense == "max" else "≤"
            data[f"epsilon_{name}"] = ("point", [eps.get(name, np.nan) for eps, _ in efficient],
                                       {"units": units, "long_name": f"bound on {name} ({side})"})
    data.update(money_variables(sc, problem.lp, [s.result.x for _, s in efficient], "point"))
    attrs = {"scenario": sc.name, "objectives": ", ".join(problem.names), "solves": problem.solves,
             "pillar_targets": ", ".join(f"{q}: {v:g}" for q, v in problem.targets.items())}
    return xr.Dataset(data, coords={"point": np.arange(len(efficient))}, attrs=attrs)


@dataclass(frozen=True, eq=False)
class ParetoFront:
    """Efficient allocations between two or three objectives (see :func:`pareto_front`).

    Attributes
    ----------
    data : xarray.Dataset over ``point``: one variable per objective (``attrs["sense"]`` says which way is
        better), ``epsilon_<name>`` for the bounded ones, ``eu``, ``eu_by_pillar``, ``eu_by_group``
    payoff : the payoff table: row k holds every objective's value when objective k is optimised first

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> front = fs.sensitivity.pareto_front(sc, ("impact", "regional_concentration"), points=3)
    >>> len(front), front.objectives
    (3, ('impact', 'regional_concentration'))
    >>> front.table()["impact"].round(4).tolist(), round(front.allocation(2).objective, 9)
    ([130.0, 125.0, 120.0], 120.0)
    """

    data: xr.Dataset
    payoff: pd.DataFrame
    _problem: _Problem = field(repr=False)
    _solved: tuple[_Solved, ...] = field(repr=False)

    @property
    def objectives(self) -> tuple[str, ...]:
        return self._problem.names

    def __len__(self) -> int:
        return len(self._solved)

    def table(self) -> pd.DataFrame:
        """One row per efficient point: the objectives, their ε and the EU commitments."""
        cols = [*self.objectives, *(f"epsilon_{n}" for n in self.objectives[1:]), "eu"]
        return self.data[cols].to_dataframe()[cols]

    def allocation(self, k: int) -> Allocation:
        """Point ``k``'s full allocation. Its ``objective`` is the first objective's value there, and its shadow
        prices are in the first objective's units: what relaxing each rule, or each ε bound (the
        ``objective_bound`` rows: the trade-off rates), would gain of it."""
        if not 0 <= k < len(self._solved):
            raise IndexError(f"point {k!r} does not exist: the front has points 0 to {len(self._solved) - 1}")
        solved = self._solved[k]
        result = dataclasses.replace(solved.result, objective=solved.values[self.objectives[0]],
                                     row_dual=solved.row_dual, col_dual=solved.col_dual)
        return Allocation.from_solution(self._problem.scenario, self._problem.snapshot(solved), result)

    def __repr__(self) -> str:
        return (f"<ParetoFront {self.data.attrs['scenario']!r}: {' vs '.join(self.objectives)}, {len(self)} efficient "
                f"points>")
