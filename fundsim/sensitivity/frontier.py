"""The budget frontier: the optimal objective as an exact piecewise-linear function of the budget.

A multiplier ``t`` scales every usable envelope (or one instrument's): the envelope rows of the LP read
``Σ_{p,r} eu[i,p,r,y] ≤ t·usable[i,y]``. Only right-hand sides move, so the optimal value ``v(t)`` is
piecewise linear, concave when maximising (convex when minimising), and its slope on each piece is
``Σ dual·usable`` over the scaled rows: the shadow prices of the envelopes times the money each adds.

The pieces are found exactly by the line-intersection (Eisner–Severance) method, with only solves and
duals. For an interval ``[a, b]`` with the supporting lines ``La`` (value and slope at ``a``) and ``Lb``:
if ``La`` passes through ``(b, v(b))`` (or ``Lb`` through ``(a, v(a))``) the function is linear there,
because a concave function lies between its chord and its supporting lines; otherwise ``La`` and ``Lb``
cross at ``t*`` and a solve at ``t*`` either lies on both lines (``t*`` is a breakpoint) or splits the
interval in two. One HiGHS instance is loaded once and re-solved warm with only the envelope bounds
changed. Each final segment is checked by a solve at its midpoint, which also says which rules bind on it.

Below some ``t`` the rules that need money (minimum packages, minimum shares, floors) cannot hold; that
point is found exactly by one LP in which ``t`` is a column (minimise ``t``), and the curve starts there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from fundsim.diagnose import quick_checks
from fundsim.errors import ArgumentError, InfeasibleError, SolverError
from fundsim.lp import Block, LinearProgram, assemble
from fundsim.model import Scenario, frozen_array
from fundsim.results import Allocation, relaxation_duals
from fundsim.results.inputs import wrong_type
from fundsim.results.label import in_reported_units
from fundsim.rules import user_rule
from fundsim.sensitivity.arguments import check_number
from fundsim.solvers import Capability, InPlaceSolver, SolveResult, Status
from fundsim.solvers.backends import SolverChoice, SolverLike, display_name, solver_choice
from fundsim.solving import as_scenario, check_options

__all__ = ["FRONTIER_STEPS", "Frontier", "budget_frontier", "scaled_scenario"]

MAX_SOLVES = 20_000  # a safeguard: the whole-budget frontier of gam-2008 over [0, 2] takes about 120
# a frontier's progress, in steps: how many solves it takes is known only once it is traced, so its progress is
# how far along the range of t it has come: half the steps as the pieces are traced, half as they are checked
FRONTIER_STEPS = 100


def scaled_scenario(scenario: Scenario, t: float, instrument: str | None = None) -> Scenario:
    """The scenario with every instrument's envelope and usable money (or one instrument's) times ``t``.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.sensitivity.frontier import scaled_scenario
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> scaled_scenario(sc, 1.5, "tpma").instruments[0].usable.tolist()
    [15.0, 15.0]
    """
    def scale(ins: Any) -> Any:
        if instrument is not None and ins.id != instrument:
            return ins
        return dataclasses.replace(ins, envelope=frozen_array(ins.envelope * t), usable=frozen_array(ins.usable * t))

    what = "budget" if instrument is None else f"{instrument} envelope"
    return scenario.evolve(instruments=tuple(scale(ins) for ins in scenario.instruments),
                           name=f"{scenario.name} ({what} x {t:.6g})")


@dataclass(frozen=True, eq=False)
class _Point:
    """One solve of the parametric LP: ``v(t)`` and the slope ``Σ dual·usable`` of its optimal basis."""

    t: float
    objective: float
    slope: float
    result: SolveResult


def _on_line(p: _Point, q: _Point, tol: float) -> bool:
    """Whether ``q`` lies on the supporting line of ``p`` (relative tolerance on the value)."""
    return abs(p.objective + p.slope * (q.t - p.t) - q.objective) <= tol * (1.0 + abs(q.objective))


def _crossing(a: _Point, b: _Point) -> float:
    """Where the supporting lines of ``a`` and ``b`` cross (clipped into ``[a.t, b.t]``)."""
    t = (b.objective - a.objective + a.slope * a.t - b.slope * b.t) / (a.slope - b.slope)
    return float(np.clip(t, a.t, b.t))


@dataclass(eq=False)
class _Parametric:
    """The scenario's LP loaded once; the scaled envelope rows' upper bounds are ``t·b0``."""

    scenario: Scenario
    instrument: str | None
    lp: LinearProgram = field(init=False)
    rows: np.ndarray = field(init=False)
    b0: np.ndarray = field(init=False)
    fixed: np.ndarray = field(init=False)
    choice: SolverChoice = field(default_factory=solver_choice)
    solver: InPlaceSolver = field(init=False)
    solves: int = 0

    def __post_init__(self) -> None:
        self.lp = assemble(self.scenario)
        block = self.lp.constraints["envelope"]
        rows = np.arange(block.start, block.stop)
        if self.instrument is not None:
            rows = rows[block.positions[0] == self.scenario.instrument_ids.index(self.instrument)]  # type: ignore[index]
        self.rows = rows
        self.b0 = self.lp.row_upper[rows].copy()
        self.fixed = self.lp.row_lower[rows] == self.b0  # appropriations rows: committed + carried + unused = b
        self.solver = self.choice.make_in_place()  # HiGHS: cold, its choice (IPM + crossover when large); warm, simplex

    def lp_at(self, t: float) -> LinearProgram:
        """A copy of the LP with the envelopes at ``t`` (for labelling a solution)."""
        lower, upper = self.lp.row_lower.copy(), self.lp.row_upper.copy()
        upper[self.rows] = t * self.b0
        lower[self.rows] = np.where(self.fixed, t * self.b0, lower[self.rows])
        return dataclasses.replace(self.lp, row_lower=lower, row_upper=upper)

    def solve(self, t: float) -> _Point:
        """Solve at ``t``, warm from the last basis (cold once more if the warm solve fails)."""
        if self.solves >= MAX_SOLVES:
            raise SolverError(f"the frontier of {self.scenario.name!r} needed more than {MAX_SOLVES} solves; "
                              "narrow the range or loosen tol", "limit")
        self.solves += 1
        if self.solves == 1:
            result = self.solver.solve(self.lp_at(t))
        else:
            self.solver.change_row_bounds(self.rows, np.where(self.fixed, t * self.b0, -np.inf), t * self.b0)
            result = self.solver.solve()
        if result.status is not Status.OPTIMAL:
            self.solver.forget_solution()
            result = self.solver.solve()
        if result.status is Status.INFEASIBLE:
            raise InfeasibleError(f"scenario {self.scenario.name!r} has no allocation at t = {t:.6g}")
        if result.status is not Status.OPTIMAL:
            raise SolverError(f"{display_name(self.choice.name)} stopped with status {result.status.value} at "
                              f"t = {t:.6g}", result.status.value)
        slope = float(np.dot(result.row_dual[self.rows], self.b0))
        return _Point(float(t), float(result.objective), slope, result)

    def allocation(self, point: _Point) -> Allocation:
        return Allocation.from_solution(scaled_scenario(self.scenario, point.t, self.instrument),
                                        self.lp_at(point.t), point.result)


def _feasible_from(p: _Parametric, lo: float, hi: float) -> float:
    """The smallest ``t ≥ lo`` at which every rule can hold: one LP with ``t`` as a column, minimised.

    Raises :class:`InfeasibleError` when no ``t`` in ``[lo, hi]`` works, saying from which ``t`` it would.
    """
    lp = p.lp
    column = sp.csr_matrix((-p.b0, (p.rows, np.zeros(len(p.rows), np.int64))), shape=(lp.num_row, 1))
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    upper[p.rows] = 0.0
    lower[p.rows] = np.where(p.fixed, 0.0, lower[p.rows])
    cost = np.zeros(lp.num_col + 1)
    cost[-1] = 1.0

    def smallest(top: float) -> SolveResult:
        aug = LinearProgram("min", cost, sp.hstack([lp.A, column], format="csr"), lower, upper,
                            np.append(lp.col_lower, lo), np.append(lp.col_upper, top), {}, {})
        return p.choice.make().solve(aug)

    result = smallest(hi)
    if result.status is Status.OPTIMAL:
        return max(lo, float(result.x[-1]))
    anywhere = smallest(np.inf)
    name = p.scenario.name
    if anywhere.status is Status.OPTIMAL:
        raise InfeasibleError(f"scenario {name!r} has no allocation for t in [{lo:g}, {hi:g}]: it is feasible "
                              f"from t = {float(anywhere.x[-1]):.6g}; raise hi")
    raise InfeasibleError(f"scenario {name!r} has no allocation whatever the budget: rules other than the "
                          "envelopes conflict", tuple(quick_checks(p.scenario)))


@dataclass(eq=False)
class _Reach:
    """How far a pass over ``[start, end]`` has come, told to ``progress`` in ``steps`` equal parts of the
    range as it moves on (all of them once the range is empty)."""

    progress: Callable[[int], None] | None
    start: float
    end: float
    steps: int = FRONTIER_STEPS // 2
    told: int = 0

    def at(self, t: float) -> None:
        if self.progress is None:
            return
        span = self.end - self.start
        reached = self.steps if span <= 0 else min(self.steps, int(self.steps * (t - self.start) / span))
        if reached > self.told:
            self.progress(reached - self.told)
            self.told = reached


def _trace(p: _Parametric, a: _Point, b: _Point, tol: float, reach: Callable[[float], None]
           ) -> list[tuple[_Point, _Point, float]]:
    """Linear pieces ``(left, right, slope)`` covering ``[a.t, b.t]``, in order (line-intersection method).

    Each solve gives a line that supports the curve at its ``t``. Slopes come from duals and are far more
    precise than a test on values, so a line counts as known when its slope is one already seen; values
    only confirm. A solve at a breakpoint may return the line of either side (or another supporting
    line): then the crossing of the two lines falls on the interval's end, and the piece is the other line.
    The intervals are taken left first, so the curve is known up to the left end of each one taken (``reach``).
    """
    pieces: list[tuple[_Point, _Point, float]] = []
    stack = [(a, b)]
    while stack:
        left, right = stack.pop()
        reach(left.t)
        eps = 1e-12 * (1.0 + abs(right.t))
        if right.t - left.t <= eps:
            pieces.append((left, right, left.slope))
            continue
        if _same_slope(left.slope, right.slope, tol) and _on_line(left, right, tol):
            pieces.append((left, right, left.slope))
            continue
        t = _crossing(left, right) if not _same_slope(left.slope, right.slope, tol) else 0.5 * (left.t + right.t)
        if t - left.t <= eps:  # the right line passes through the left point
            pieces.append((left, right, right.slope))
            continue
        if right.t - t <= eps:
            pieces.append((left, right, left.slope))
            continue
        mid = p.solve(t)
        known = _same_slope(mid.slope, left.slope, tol) or _same_slope(mid.slope, right.slope, tol)
        if known and _on_line(left, mid, tol) and _on_line(right, mid, tol):
            pieces += [(left, mid, left.slope), (mid, right, right.slope)]
        else:
            stack += [(mid, right), (left, mid)]
    return sorted(pieces, key=lambda piece: piece[0].t)


def _same_slope(s: float, u: float, tol: float) -> bool:
    return abs(s - u) <= tol * (1.0 + max(abs(s), abs(u)))


def _merge(pieces: list[tuple[_Point, _Point, float]], tol: float) -> list[tuple[_Point, _Point, float]]:
    """Join neighbouring pieces of equal slope: what is left meets at the breakpoints."""
    merged = [pieces[0]]
    for left, right, slope in pieces[1:]:
        first, _, before = merged[-1]
        if _same_slope(before, slope, tol):
            merged[-1] = (first, right, before)
        else:
            merged.append((left, right, slope))
    return merged


def _binding(lp: LinearProgram, result: SolveResult, tol: float = 1e-7) -> frozenset[str]:
    """The rules with a nonzero shadow price, as ``rule[labels]`` (what :meth:`Allocation.binding_rules` lists),
    read from the flat duals without labelling a whole allocation; and the steps of diminishing returns that
    are full (``impact_step_full[priority, region, step]``), whose filling also bends the frontier."""
    relax = in_reported_units(lp, relaxation_duals(lp, result), result.x)
    found = set()
    for name, block in lp.constraints.items():
        if not user_rule(name):
            continue
        part = relax[block.start:block.stop]
        for n in np.flatnonzero(np.abs(part) > tol):
            found.add(f"{name}[{_where(block, int(n))}]" if block.dims else name)
    segments = lp.variables.get("impact_segment")
    if segments is not None:  # a step of diminishing returns filled: the next EUR m is worth less there
        cols = np.arange(segments.start, segments.stop)
        full = (result.x[cols] >= lp.col_upper[cols] - 1e-9) & (np.abs(result.col_dual[cols]) > tol)
        for n in np.flatnonzero(full):
            found.add(f"impact_step_full[{_where(segments, int(n))}]")
    return frozenset(found)


def _where(block: Block, n: int) -> str:
    """The labels of element ``n`` of a block, as ``Allocation.binding_rules`` writes them."""
    index = np.unravel_index(n, block.shape) if block.positions is None else tuple(pos[n] for pos in block.positions)
    return ", ".join(str(coords[k]) for coords, k in zip(block.coords, index, strict=True))


@dataclass(frozen=True, eq=False)
class _Segment:
    """A linear piece of the frontier, checked at its midpoint, and the rules binding on it."""

    left: _Point
    right: _Point
    slope: float
    binding: frozenset[str]
    prices: np.ndarray  # each row's shadow price per unit of relaxation on the piece


def _verify(p: _Parametric, piece: tuple[_Point, _Point, float], tol: float) -> _Segment:
    """Solve at the piece's midpoint: its value must lie on the chord and its slope be the piece's."""
    left, right, slope = piece
    mid = p.solve(0.5 * (left.t + right.t))
    chord = 0.5 * (left.objective + right.objective)
    if abs(mid.objective - chord) > tol * (1.0 + abs(chord)) or not _same_slope(mid.slope, slope, tol):
        raise SolverError(f"the frontier of {p.scenario.name!r} is not linear on [{left.t:.6g}, {right.t:.6g}] "
                          f"as traced (midpoint value {mid.objective:.9g} against {chord:.9g}, slope "
                          f"{mid.slope:.9g} against {slope:.9g}): numerical trouble; try a larger tol", "error")
    return _Segment(left, right, slope, _binding(p.lp, mid.result), relaxation_duals(p.lp, mid.result))


def budget_frontier(scenario: Scenario, instrument: str | None = None, lo: float = 0.0, hi: float = 2.0, *,
                    tol: float = 1e-7, solver: SolverLike = "highs", options: dict[str, Any] | None = None,
                    progress: Callable[[int], None] | None = None) -> Frontier:
    """The optimal objective as a function of a budget multiplier ``t``, exactly, with its breakpoints.

    Parameters
    ----------
    scenario : the scenario (an LP: no integer rules), or the path of its file
    instrument : scale only this instrument's usable envelope; ``None`` scales every instrument's
    lo, hi : the range of ``t`` (1 is the scenario as it stands); the curve starts where the rules become
        feasible if that is above ``lo``
    tol : relative tolerance on objective values and slopes when deciding that points lie on one line
    solver, options : the backend (a name: ``"highs"``, the default, or ``"pulp"``; a backend; or a
        :class:`~fundsim.solvers.SolverChoice`) and its options. It needs duals and in-place updates (each
        ``t`` re-solves the LP with the envelopes moved: warm on HiGHS, rebuilt on PuLP).
    progress : called with the number of steps just done (a progress bar's advance), :data:`FRONTIER_STEPS` in
        all. How many solves a frontier takes is known only once it is traced (``data.attrs["solves"]``), so a
        step is a share of the range of ``t``: the first half of the steps come as the curve is traced from left
        to right, the second half as its pieces are checked from left to right

    Returns
    -------
    Frontier
        ``data`` over ``t`` (start, breakpoints, end): objective, left and right slopes, totals by pillar
        and region group, and which rules start or stop binding at each breakpoint

    Raises
    ------
    ValueError
        for an unknown instrument, one without usable money, a bad range or a scenario with integer rules
    InfeasibleError
        when no ``t`` in ``[lo, hi]`` makes the scenario feasible (the message says from which ``t`` it is)
    CapabilityError
        when the backend lacks duals or in-place updates

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.sensitivity.frontier import budget_frontier
    >>> fr = budget_frontier(fs.load_scenario("scenarios/tutorial.yaml"), lo=0.0, hi=2.0)
    >>> fr.breakpoints.round(6).tolist()
    [0.833333]
    >>> fr.data["slope_left"].sel(t=fr.breakpoints[0]).item(), fr.data["slope_right"].sel(t=fr.breakpoints[0]).item()
    (135.0, 105.0)
    >>> round(fr.value(1.0), 6)
    130.0
    >>> budget_frontier("scenarios/tutorial.yaml", solver="pulp").breakpoints.round(6).tolist()
    [0.833333]
    """
    scenario = as_scenario(scenario)
    _check_arguments(scenario, instrument, lo, hi, tol)
    choice = solver_choice(solver, check_options(options), needs=[Capability.LP, Capability.DUALS,
                                                                 Capability.IN_PLACE], why=" for a budget frontier")
    problem = _Parametric(scenario, instrument, choice=choice)
    if problem.lp.integrality is not None:
        raise ArgumentError(f"scenario {scenario.name!r} has integer rules: its value is not piecewise linear in the "
                         "budget and has no shadow prices; the frontier needs an LP")
    start = _feasible_from(problem, lo, hi)
    first = _solve_first(problem, start, hi)
    last = problem.solve(hi) if hi > first.t else first
    traced, checked = _Reach(progress, first.t, last.t), _Reach(progress, first.t, last.t)
    pieces = _trace(problem, first, last, tol, traced.at) if last.t > first.t else []
    traced.at(last.t)
    segments: list[_Segment] = []
    for piece in _merge(pieces, tol) if pieces else []:
        segments.append(_verify(problem, piece, tol))
        checked.at(piece[1].t)
    checked.at(last.t)
    return Frontier(_dataset(problem, first, last, segments, feasible_from=start, lo=lo), problem,
                    tuple(segments), {first.t: first, last.t: last, **{s.left.t: s.left for s in segments}})


def _check_arguments(sc: Scenario, instrument: str | None, lo: float, hi: float, tol: float) -> None:
    if instrument is not None and not isinstance(instrument, str):
        raise wrong_type("instrument", instrument, f"an instrument id ({', '.join(sc.instrument_ids)}) or None")
    for name, value in (("lo", lo), ("hi", hi), ("tol", tol)):
        check_number(name, value)
    if instrument is not None and instrument not in sc.instrument_ids:
        raise ArgumentError(f"unknown instrument {instrument!r} in scenario {sc.name!r}; its instruments are: "
                         f"{', '.join(sc.instrument_ids)}")
    if instrument is not None and not (sc.instruments[sc.instrument_ids.index(instrument)].usable > 0).any():
        raise ArgumentError(f"instrument {instrument!r} has no usable money in any year of {sc.name!r}: scaling its "
                         "envelope changes nothing")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 <= lo < hi):
        raise ArgumentError(f"the range of t must satisfy 0 <= lo < hi (finite), got lo={lo!r}, hi={hi!r}")
    if not 0.0 < tol < 1e-2:
        raise ArgumentError(f"tol must be a small positive number (e.g. 1e-7), got {tol!r}")


def _solve_first(p: _Parametric, start: float, hi: float) -> _Point:
    """The first point; at the exact feasibility threshold a solve may miss by a rounding error."""
    try:
        return p.solve(start)
    except InfeasibleError:
        return p.solve(min(hi, start + 1e-9 * (1.0 + start)))


def money_variables(sc: Scenario, lp: LinearProgram, xs: list[np.ndarray], dim: str) -> dict[str, Any]:
    """EU commitments and co-financing of each solution vector in ``xs``, in total and by pillar and region
    group, as Dataset variables over ``dim`` (with the coords ``pillar`` and ``group``)."""
    block = lp.variables["eu"]
    i, p, r, _ = block.positions  # type: ignore[misc]
    eu = np.array([x[block.start:block.stop] for x in xs]).reshape(len(xs), block.size)
    groups = list(dict.fromkeys(sc.region_groups))
    pillar = np.array([sc.pillar_ids.index(q) for q in sc.priority_pillars])[p]
    group = np.array([groups.index(g) for g in sc.region_groups])[r]

    def by(index: np.ndarray, n: int) -> np.ndarray:
        return np.stack([np.bincount(index, weights=e, minlength=n) for e in eu]).reshape(len(xs), n)

    money = {"units": "EUR m"}
    return {"eu": (dim, eu.sum(axis=1), {**money, "long_name": "EU commitments"}),
            "cofin": (dim, eu @ sc.match_ratio[i, p, r], {**money, "long_name": "co-financing mobilised"}),
            "eu_by_pillar": ((dim, "pillar"), by(pillar, len(sc.pillars)),
                             {**money, "long_name": "EU commitments by pillar"}),
            "eu_by_group": ((dim, "group"), by(group, len(groups)), {**money, "long_name": "EU commitments by "
                                                                                           "region group"}),
            "pillar": ("pillar", list(sc.pillar_ids)), "group": ("group", groups)}


def _dataset(p: _Parametric, first: _Point, last: _Point, segments: list[_Segment], *, feasible_from: float,
             lo: float) -> xr.Dataset:
    """One row per point: the start, each breakpoint and the end."""
    points = [first, *(s.left for s in segments[1:]), last]
    left = [np.nan, *(s.slope for s in segments)] if segments else [np.nan]
    right = [*(s.slope for s in segments), np.nan] if segments else [np.nan]
    kinds = ["start", *["breakpoint"] * max(len(segments) - 1, 0), "end"] if segments else ["start"]
    # at the start and the end there is no other side to compare with: nothing starts or stops there
    before = [frozenset(), *(s.binding for s in segments[:-1]), frozenset()] if segments else [frozenset()]
    after = [frozenset(), *(s.binding for s in segments[1:]), frozenset()] if segments else [frozenset()]
    sc = p.scenario
    per_t = "objective units per unit of t"
    data = {
        "objective": ("t", [q.objective for q in points], {"units": "objective units", "long_name": "optimal "
                                                            "objective"}),
        "slope_left": ("t", left, {"units": per_t, "long_name": "slope of the frontier left of the point"}),
        "slope_right": ("t", right, {"units": per_t, "long_name": "slope of the frontier right of the point"}),
        "value_per_eur_m": ("t", np.asarray(right, float) / float(p.b0.sum()),
                            {"units": "objective units per EUR m", "long_name": "value of one more EUR m of "
                             "budget right of the point (slope over the usable money at t = 1)"}),
        "kind": ("t", kinds, {"long_name": "start, breakpoint or end of the curve"}),
        "starts_binding": ("t", [_words(a - b) for a, b in zip(after, before, strict=True)],
                           {"long_name": "rules binding right of the point, not left of it"}),
        "prices_change": ("t", ["", *(_price_changes(p.lp, a.prices, b.prices) for a, b in pairwise(segments)), ""]
                          if segments else [""],
                          {"long_name": "the shadow prices that change most at the point (left → right)"}),
        "stops_binding": ("t", [_words(b - a) for a, b in zip(after, before, strict=True)],
                          {"long_name": "rules binding left of the point, not right of it"}),
        **money_variables(sc, p.lp, [q.result.x for q in points], "t"),
    }
    what = "every usable envelope" if p.instrument is None else f"the usable envelope of {p.instrument}"
    attrs = {"scenario": sc.name, "parameter": f"multiplier t of {what}", "instrument": p.instrument or "",
             "feasible_from": feasible_from, "lo": lo, "hi": last.t, "solves": p.solves,
             "usable_at_t1": float(p.b0.sum()), "sense": sc.objective.sense}
    coords = {"t": ("t", [q.t for q in points], {"long_name": f"multiplier of {what}", "units": "1"})}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _price_changes(lp: LinearProgram, left: np.ndarray, right: np.ndarray, top: int = 3, tol: float = 1e-7) -> str:
    """The ``top`` rule rows whose shadow price changes most between two pieces, as ``rule[labels] a → b``."""
    change = np.abs(right - left)
    internal = np.zeros(lp.num_row, bool)
    for name, block in lp.constraints.items():
        if not user_rule(name):
            internal[block.start:block.stop] = True
    change[internal] = 0.0
    words = []
    for row in np.argsort(-change)[:top]:
        if change[row] <= tol:
            break
        name, block = next((n, b) for n, b in lp.constraints.items() if b.start <= row < b.stop)
        where = f"[{_where(block, int(row - block.start))}]" if block.dims else ""
        words.append(f"{name}{where} {left[row]:.4g} → {right[row]:.4g}")
    return "; ".join(words)


def _words(rules: frozenset[str]) -> str:
    return "; ".join(sorted(rules))


@dataclass(frozen=True, eq=False)
class Frontier:
    """An exact budget frontier (see :func:`budget_frontier`).

    Attributes
    ----------
    data : xarray.Dataset over ``t`` (start, breakpoints, end) with ``objective``, ``slope_left``,
        ``slope_right``, ``value_per_eur_m`` (the right slope per EUR m of budget), ``kind``,
        ``starts_binding``, ``stops_binding``, ``prices_change`` (the shadow prices that move most there),
        ``eu``, ``cofin``,
        ``eu_by_pillar`` and ``eu_by_group``; ``attrs["feasible_from"]`` is the smallest feasible ``t``

    Examples
    --------
    >>> import fundsim as fs
    >>> frontier = fs.sensitivity.budget_frontier(fs.load_scenario("scenarios/tutorial.yaml"), lo=0.5, hi=1.5)
    >>> frontier.data["t"].values.round(4).tolist(), frontier.breakpoints.round(4).tolist()
    ([0.5, 0.8333, 1.5], [0.8333])
    >>> frontier.value(1.0), frontier.feasible_from, frontier.table().columns[:3].tolist()
    (130.0, 0.5, ['kind', 'objective', 'slope_left'])
    """

    data: xr.Dataset
    _problem: _Parametric = field(repr=False)
    _segments: tuple[_Segment, ...] = field(repr=False)
    _points: dict[float, _Point] = field(repr=False)

    @property
    def breakpoints(self) -> np.ndarray:
        """The ``t`` where the slope changes (the start and the end excluded)."""
        return self.data["t"].values[self.data["kind"].values == "breakpoint"]

    @property
    def feasible_from(self) -> float:
        return float(self.data.attrs["feasible_from"])

    def value(self, t: float | np.ndarray) -> Any:
        """The optimal objective at ``t`` (exact on the curve's range: linear between its points)."""
        ts = self.data["t"].values
        t_arr = np.asarray(t, float)
        if np.any(t_arr < ts[0] - 1e-12) or np.any(t_arr > ts[-1] + 1e-12):
            raise ArgumentError(f"t outside the frontier's range [{ts[0]:.6g}, {ts[-1]:.6g}]")
        out = np.interp(t_arr, ts, self.data["objective"].values)
        return float(out) if out.ndim == 0 else out

    def table(self) -> pd.DataFrame:
        """One row per point: t, kind, objective, slopes, EU and co-financing, what starts or stops binding."""
        cols = ["kind", "objective", "slope_left", "slope_right", "value_per_eur_m", "eu", "cofin", "starts_binding",
                "stops_binding", "prices_change"]
        return self.data[cols].to_dataframe()[cols]

    def segments(self) -> pd.DataFrame:
        """One row per linear piece: its range, values at both ends, slope and the rules binding on it."""
        return pd.DataFrame([{"t_from": s.left.t, "t_to": s.right.t, "objective_from": s.left.objective,
                              "objective_to": s.right.objective, "slope": s.slope, "binding": _words(s.binding)}
                             for s in self._segments])

    def allocation(self, t: float) -> Allocation:
        """A full optimal allocation at ``t`` (the one traced when ``t`` is a point of the curve)."""
        ts = self.data["t"].values
        if not ts[0] - 1e-12 <= t <= ts[-1] + 1e-12:
            raise ArgumentError(f"t = {t!r} is outside the frontier's range [{ts[0]:.6g}, {ts[-1]:.6g}]")
        point = self._points.get(float(t)) or self._problem.solve(float(t))
        return self._problem.allocation(point)

    def __repr__(self) -> str:
        a = self.data.attrs
        return (f"<Frontier {a['scenario']!r}: {a['parameter']}, t in [{self.data['t'].values[0]:.6g}, "
                f"{a['hi']:.6g}], {len(self.breakpoints)} breakpoints, feasible from t = {a['feasible_from']:.6g}>")
