"""The fundsim LP written term by term in PuLP: the baseline of the build-time benchmark.

:func:`build_pulp` reads the domain :class:`~fundsim.model.Scenario` — never fundsim's matrix — and
writes the same linear programme the way a PuLP modeller would: one ``LpVariable`` per eligible cell,
one constraint per row, each row an ``LpAffineExpression`` of ``(variable, coefficient)`` pairs (the
fastest PuLP idiom, so the measured ratio to fundsim's assembly is a conservative one). The rules and
their equations are those of :mod:`fundsim.lp.assembly`; ``tests/test_synthetic.py`` checks that both
formulations reach the same optimum. Ranged rows (a region limit with a minimum and a maximum) become
two PuLP constraints and rows without terms are left out; neither changes the optimum.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import numpy as np
import pulp

from fundsim.model import Scenario

__all__ = ["build_pulp"]

Cell = tuple[int, int, int, int]


class _Model:
    """A PuLP problem being written for one scenario, with its eu variables by cell."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        sense = pulp.LpMaximize if sc.objective.sense == "max" else pulp.LpMinimize
        self.prob = pulp.LpProblem("fundsim", sense)
        self.objective: dict[pulp.LpVariable, float] = defaultdict(float)
        self.cells: list[Cell] = [tuple(map(int, c)) for c in np.argwhere(sc.eligible)]
        self.k = sc.match_ratio
        ins, pri, reg = sc.instrument_ids, sc.priority_ids, sc.region_ids
        self.eu = {c: self.prob.add_variable(f"eu_{ins[c[0]]}_{pri[c[1]]}_{reg[c[2]]}_{sc.years[c[3]]}", lowBound=0)
                   for c in self.cells}
        self.by_region: dict[int, list[Cell]] = defaultdict(list)
        self.by_priority: dict[int, list[Cell]] = defaultdict(list)
        for c in self.cells:
            self.by_region[c[2]].append(c)
            self.by_priority[c[1]].append(c)

    def earn(self, var: pulp.LpVariable, coef: float) -> None:
        """Add ``coef·var`` to the objective."""
        self.objective[var] += coef

    def factor(self, basis: str, i: int, p: int, r: int) -> float:
        """Money counted per EUR m of EU money: 1 (basis ``eu``) or 1 + k (basis ``total``)."""
        return 1.0 + float(self.k[i, p, r]) if basis == "total" else 1.0

    def add(self, pairs: list[tuple[pulp.LpVariable, float]], sense: str, rhs: float, name: str) -> None:
        """Add ``Σ coef·var (≤ | ≥ | =) rhs``; a row without terms is left out."""
        if not pairs:
            return
        expr = pulp.LpAffineExpression(pairs)
        op = {"le": pulp.LpConstraintLE, "ge": pulp.LpConstraintGE, "eq": pulp.LpConstraintEQ}[sense]
        self.prob += pulp.LpConstraint(expr, op, name, rhs)

    def add_range(self, pairs: list, lower: float | None, upper: float | None, name: str) -> None:
        if lower is not None:
            self.add(pairs, "ge", lower, name + "_min")
        if upper is not None:
            self.add(pairs, "le", upper, name + "_max")

    def sum_where(self, keep: Any, cells: list[Cell] | None = None) -> list[tuple[pulp.LpVariable, float]]:
        """``Σ eu`` over the cells (all, or those given) for which ``keep(i, p, r, y)`` is true."""
        return [(self.eu[c], 1.0) for c in (self.cells if cells is None else cells) if keep(*c)]


# ---- objective -------------------------------------------------------------------------------------
def _impact(m: _Model) -> None:
    """Impact ``w[p,r]·slope·f·eu``, or with breakpoints segment variables linked to the cell's money."""
    term = m.sc.objective.impact
    if term is None:
        return
    w = term.weight * term.weights
    if not term.breakpoints:
        for c in m.cells:
            m.earn(m.eu[c], w[c[1], c[2]] * m.factor(term.basis, *c[:3]) * term.slopes[0])
        return
    money: dict[tuple[int, int], list] = defaultdict(list)
    for c in m.cells:
        money[c[1], c[2]].append((m.eu[c], -m.factor(term.basis, *c[:3])))
    lengths = np.diff([0.0, *term.breakpoints, np.inf])
    for (p, r), pairs in sorted(money.items()):
        name = f"{m.sc.priority_ids[p]}_{m.sc.region_ids[r]}"
        segments = []
        for s, (length, slope) in enumerate(zip(lengths, term.slopes, strict=True)):
            upper = (None if np.isinf(length) else float(length)) if w[p, r] > 0 else 0.0
            z = m.prob.add_variable(f"impact_{name}_{s}", lowBound=0, upBound=upper)
            m.earn(z, float(w[p, r] * slope))
            segments.append((z, 1.0))
        m.add(segments + pairs, "le", 0.0, f"impact_link_{name}")


def _leverage(m: _Model) -> None:
    """``λ·k·eu``: the co-financing each commitment mobilises, weighted."""
    if m.sc.objective.leverage is not None:
        lam = m.sc.objective.leverage.weight
        for c in m.cells:
            m.earn(m.eu[c], lam * float(m.k[c[:3]]))


def _goals(m: _Model) -> None:
    """``Σ_{cells in target} eu + shortfall ≥ amount``; the shortfall costs ``weight·weight_t``."""
    goals = m.sc.objective.goals
    if goals is None:
        return
    sign = 1.0 if m.sc.objective.sense == "min" else -1.0
    for t in goals.targets:
        short = m.prob.add_variable(f"shortfall_{t.id}", lowBound=0)
        m.earn(short, sign * goals.weight * t.weight)
        m.add([*_slice(m, t.selector), (short, 1.0)], "ge", t.amount, f"goal_{t.id}")


# ---- rules -----------------------------------------------------------------------------------------
def _envelope(m: _Model) -> None:
    """``Σ_{p,r} eu[i,p,r,y] ≤ usable[i,y]``."""
    rows: dict[tuple[int, int], list] = defaultdict(list)
    for c in m.cells:
        rows[c[0], c[3]].append((m.eu[c], 1.0))
    for (i, y), pairs in rows.items():
        ins = m.sc.instruments[i]
        m.add(pairs, "le", float(ins.usable[y]), f"envelope_{ins.id}_{m.sc.years[y]}")


def _match_capacity(m: _Model) -> None:
    """``Σ k·eu ≤ capacity`` per source and year (and region, for per-region sources)."""
    sources = {s.id: s for s in m.sc.match_sources}
    rows: dict[tuple, list] = defaultdict(list)
    for c in m.cells:
        i, p, r, y = c
        sid, k = m.sc.match_source_of[i, p, r], float(m.k[i, p, r])
        if sid is None or k <= 0:
            continue
        key = (sid, r, y) if sources[sid].per_region else (sid, y)
        rows[key].append((m.eu[c], k))
    for key, pairs in rows.items():
        cap = sources[key[0]].capacity[key[1:]]
        if np.isfinite(cap):
            m.add(pairs, "le", float(cap), "match_" + "_".join(map(str, key)))


def _absorption(m: _Model) -> None:
    """``Σ profile[i,lag]·f·eu[i,p,r,y-lag] ≤ capacity[r,y]`` where the capacity is finite, for the
    scenario years and the years after the last one in which payments still fall due."""
    sc = m.sc
    longest = max(len(ins.payment_profile) for ins in sc.instruments)
    cap = sc.absorption.extended(longest - 1)
    rows: dict[tuple[int, int], list] = defaultdict(list)
    for c in m.cells:
        i, p, r, y = c
        f = m.factor(sc.absorption.basis, i, p, r)
        for lag, share in enumerate(sc.instruments[i].payment_profile):
            if share > 0 and np.isfinite(cap[r, y + lag]):
                rows[r, y + lag].append((m.eu[c], share * f))
    for (r, y), pairs in rows.items():
        m.add(pairs, "le", float(cap[r, y]), f"absorption_{sc.region_ids[r]}_{sc.years[0] + y}")


def _shares(m: _Model) -> None:
    """``E = Σ eu``; ``Σ_{pillar} eu ≥ β·E`` / ``≤ β·E``; likewise for the focus regions."""
    rules = m.sc.rules
    if not (rules.pillar_balance or rules.geographic_focus):
        return
    total = m.prob.add_variable("total_eu", lowBound=0)
    m.add([(total, 1.0)] + [(m.eu[c], -1.0) for c in m.cells], "eq", 0.0, "total_eu_definition")
    pillar_of = m.sc.priority_pillars
    for rule in rules.pillar_balance:
        pairs = m.sum_where(lambda i, p, r, y, q=rule.pillar: pillar_of[p] == q)
        for share, sense in ((rule.min_share, "ge"), (rule.max_share, "le")):
            if share is not None:
                m.add([*pairs, (total, -share)], sense, 0.0, f"pillar_{sense}_{rule.pillar}")
    for f in rules.geographic_focus:
        inside = {m.sc.region_ids.index(x) for x in f.regions}
        pairs = m.sum_where(lambda i, p, r, y, inside=inside: r in inside)
        for share, sense in ((f.min_share, "ge"), (f.max_share, "le")):
            if share is not None:
                m.add([*pairs, (total, -share)], sense, 0.0, f"focus_{sense}_{f.id}")


def _limits(m: _Model) -> None:
    """``min ≤ Σ eu ≤ max`` per region and per priority, over the period."""
    sc = m.sc
    for x in sc.rules.region_limits:
        cells = m.by_region[sc.region_ids.index(x.label)]
        m.add_range(m.sum_where(lambda *c: True, cells), x.min, x.max, f"region_limit_{x.label}")
    for x in sc.rules.priority_limits:
        cells = m.by_priority[sc.priority_ids.index(x.label)]
        m.add_range(m.sum_where(lambda *c: True, cells), x.min, x.max, f"priority_limit_{x.label}")


def _packages(m: _Model) -> None:
    """``Σ_{i, p in package, y} eu[i,p,r,y] ≥ amount_r``."""
    sc = m.sc
    for x in sc.rules.min_packages:
        ok = {n for n, p in enumerate(sc.priority_ids) if x.priorities is None or p in x.priorities}
        cells = m.by_region[sc.region_ids.index(x.region)]
        m.add(m.sum_where(lambda i, p, r, y, ok=ok: p in ok, cells), "ge", x.amount, f"min_package_{x.region}")


def _slice(m: _Model, sel: Any) -> list[tuple[pulp.LpVariable, float]]:
    """``Σ eu`` over the cells a selector covers."""
    sc = m.sc
    ok = [sel.vector(d, labels) for d, labels in (("instrument", sc.instrument_ids), ("priority", sc.priority_ids),
                                                  ("region", sc.region_ids), ("year", sc.years))]
    return m.sum_where(lambda i, p, r, y: ok[0][i] and ok[1][p] and ok[2][r] and ok[3][y])


def _caps(m: _Model) -> None:
    """``min ≤ Σ_{slice} eu ≤ max`` over the period, or in each year for annual caps."""
    for c in m.sc.rules.caps:
        if not c.per_year:
            m.add_range(_slice(m, c.selector), c.min, c.max, f"cap_{c.id}")
            continue
        for year in m.sc.years:
            if c.selector.years is not None and year not in c.selector.years:
                continue
            sel = dataclasses.replace(c.selector, years=frozenset({year}))
            m.add_range(_slice(m, sel), c.min, c.max, f"cap_{c.id}_{year}")


def build_pulp(sc: Scenario) -> pulp.LpProblem:
    """The scenario's LP as a ``pulp.LpProblem`` (same optimum as :func:`fundsim.solve`)."""
    m = _Model(sc)
    _impact(m)
    _leverage(m)
    _envelope(m)
    _match_capacity(m)
    _absorption(m)
    _shares(m)
    _limits(m)
    _packages(m)
    _caps(m)
    _goals(m)
    m.prob.setObjective(pulp.LpAffineExpression(m.objective))
    return m.prob
