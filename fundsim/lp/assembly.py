"""Vectorised assembly of a :class:`~fundsim.model.Scenario` into a :class:`LinearProgram`.

One ``define_*`` function per rule family, each with its equation in the docstring, called in order
by :func:`assemble`. Notation: ``eu[i,p,r,y]`` is the EU commitment of instrument i to priority p in
region r in year y (EUR m), defined only on eligible cells; ``k[i,p,r] = (1 - s)/s`` the co-financing
mobilised per EUR m at the maximum EU share s; ``E = Σ eu`` the total EU commitment of the period.
No Python loop runs over cells: every row block is built from index arrays.

The integer rules (readability and coherence, 16041/08 §8, §11, §26) add binary columns linked to the
money by ``eu ≤ U·z``, where ``U[c]`` (:func:`cell_upper`) is the most the rules let one cell hold on its
own — the tightest big-M that is valid, never an arbitrary large constant; ``LinearProgram.integrality``
is then 1 on the binary columns (``None`` for a pure LP).
"""

from __future__ import annotations

import numpy as np

from fundsim.lp.integer import (
    cell_upper,
    define_admin_cost,
    define_instrument_lines,
    define_max_instruments,
    define_min_commitment,
    define_partnerships,
)
from fundsim.lp.program import Block, LinearProgram, ProgramBuilder
from fundsim.lp.rows import MONEY, Cells, mask, payment_profiles, unique_rows
from fundsim.model import Scenario, Selector

__all__ = [
    "Cells",
    "assemble",
    "define_absorption",
    "define_caps",
    "define_envelope",
    "define_focus",
    "define_goals",
    "define_impact",
    "define_leverage",
    "define_limits",
    "define_match_capacity",
    "define_min_packages",
    "define_pillar_balance",
]

def _bounds(lo: list[float | None], hi: list[float | None]) -> tuple[np.ndarray, np.ndarray, str]:
    lower = np.array([-np.inf if v is None else v for v in lo], float)
    upper = np.array([np.inf if v is None else v for v in hi], float)
    kind = "range" if np.isfinite(lower).any() and np.isfinite(upper).any() else (
        "ge" if np.isfinite(lower).any() else "le")
    return lower, upper, kind


def define_eu(b: ProgramBuilder, sc: Scenario) -> Cells:
    """Columns ``eu[i,p,r,y] ≥ 0`` for eligible cells only."""
    i, p, r, y = np.nonzero(sc.eligible)
    block = b.add_variables(
        "eu", ("instrument", "priority", "region", "year"), tuple(map(tuple, sc.coords().values())),
        len(i), positions=(i, p, r, y), long_name="EU commitment",
    )
    k = sc.match_ratio[i, p, r]
    return Cells(i, p, r, y, block.start + np.arange(len(i)), k)


def define_envelope(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``Σ_{p,r} eu[i,p,r,y] ≤ usable[i,y]`` — an instrument cannot commit more than its usable envelope."""
    (ki, ky), row = unique_rows((cells.i, cells.y), (len(sc.instruments), len(sc.years)))
    usable = np.stack([ins.usable for ins in sc.instruments])[ki, ky]
    b.add_constraints(
        "envelope", ("instrument", "year"), (sc.instrument_ids, sc.years), row, cells.col, np.ones(cells.n),
        np.full(len(ki), -np.inf), usable, positions=(ki, ky), kind="le", units=MONEY,
        long_name="usable envelope",
    )


def define_match_capacity(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``Σ k·eu ≤ capacity[m,y]`` over the cells whose match source is m (per region for partner sources).

    Co-financing is mobilised at the rule's rate, ``cofin = k·eu``, so it needs no columns of its own;
    it is aggregated at the level the capacity applies (source × year, or source × region × year).
    """
    source = sc.match_source_index[cells.i, cells.p, cells.r]
    for per_region, name in ((False, "match_capacity"), (True, "partner_match_capacity")):
        ids = [s.id for s in sc.match_sources if s.per_region == per_region]
        if not ids:
            continue
        # scenario position → position in ids; the extra last slot maps "no source" (-1) to -1
        local = np.full(len(sc.match_sources) + 1, -1, dtype=np.int64)
        local[[sc.source_ids.index(s) for s in ids]] = np.arange(len(ids))
        s_idx = local[source]
        use = (s_idx >= 0) & (cells.k > 0)
        if not use.any():
            continue
        ny, nr = len(sc.years), len(sc.regions)
        uniq, row = (unique_rows((s_idx[use], cells.r[use], cells.y[use]), (len(ids), nr, ny)) if per_region
                     else unique_rows((s_idx[use], cells.y[use]), (len(ids), ny)))
        cap = np.stack([sc.match_sources[sc.source_ids.index(s)].capacity for s in ids])
        upper = cap[uniq]
        keep = np.isfinite(upper)
        row_map = np.cumsum(keep) - 1
        take = keep[row]
        dims = ("partner_source", "region", "year") if per_region else ("source", "year")
        coords = (tuple(ids), sc.region_ids, sc.years) if per_region else (tuple(ids), sc.years)
        b.add_constraints(
            name, dims, coords, row_map[row[take]], cells.col[use][take], cells.k[use][take],
            np.full(keep.sum(), -np.inf), upper[keep], positions=tuple(u[keep] for u in uniq), kind="le",
            units=MONEY, long_name="co-financing capacity of the match source",
        )


def define_absorption(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``Σ_{i,p,l} profile[i,l]·f·eu[i,p,r,y-l] ≤ capacity[r,y]`` (16041/08 §8).

    Payments of a commitment follow the instrument's payment profile; ``f`` is 1 when absorption counts
    EU money and ``1 + k`` when it counts total cost. Only region-years with a finite capacity get a row.
    Payments falling due after the last year are capped at the last year's capacity (block
    ``absorption_after_horizon[region, year]``) unless the scenario says ``after_horizon: unlimited``.
    When no payment profile ever rises, those rows are implied by the last year's and are left out:
    what falls due in year T+t is then at most what fell due in year T, termwise.
    """
    profile = payment_profiles(sc)
    longest = profile.shape[1]
    rising = any(np.any(np.diff(ins.payment_profile) > 0) for ins in sc.instruments)
    ny = len(sc.years)
    cap = sc.absorption.extended(longest - 1 if rising else 0)
    factor = 1.0 + cells.k if sc.absorption.basis == "total" else np.ones(cells.n)
    row_of = np.full(cap.shape, -1, dtype=np.int64)
    finite = np.isfinite(cap)
    row_of[finite] = np.arange(finite.sum())
    rows, cols, vals = [], [], []
    for lag in range(longest):  # a handful of lags, each vectorised over all cells
        coef = profile[cells.i, lag] * factor
        ok = (coef > 0) & (cells.y + lag < cap.shape[1])
        target = row_of[cells.r[ok], cells.y[ok] + lag]
        keep = target >= 0
        rows.append(target[keep])
        cols.append(cells.col[ok][keep])
        vals.append(coef[ok][keep])
    rows_, cols_, vals_ = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    fr, fy = np.nonzero(finite)
    inside = fy < ny  # rows of scenario years come first (row_of numbers them in C order per region)
    order = np.argsort(~inside, kind="stable")
    new_row = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    rows_ = new_row[rows_]
    n_in = int(inside.sum())
    b.add_constraints(
        "absorption", ("region", "year"), (sc.region_ids, sc.years), rows_[rows_ < n_in], cols_[rows_ < n_in],
        vals_[rows_ < n_in], np.full(n_in, -np.inf), cap[fr[inside], fy[inside]], positions=(fr[inside], fy[inside]),
        kind="le", units=MONEY, long_name="absorption capacity (payments)",
    )
    later = tuple(sc.years[-1] + t for t in range(1, cap.shape[1] - ny + 1))
    late = rows_ >= n_in
    b.add_constraints(
        "absorption_after_horizon", ("region", "year_after"), (sc.region_ids, later), rows_[late] - n_in,
        cols_[late], vals_[late], np.full(len(fr) - n_in, -np.inf), cap[fr[~inside], fy[~inside]],
        positions=(fr[~inside], fy[~inside] - ny), kind="le", units=MONEY,
        long_name="absorption capacity after the last year (payments)",
    )


def define_total(b: ProgramBuilder, cells: Cells) -> int:
    """Aggregate column ``E`` with ``E - Σ eu = 0``, so share rules need two nonzeros per group, not n."""
    block = b.add_variables("total_eu", (), (), 1, long_name="total EU commitment")
    col = block.start
    b.add_constraints(
        "total_eu_definition", (), (), np.zeros(cells.n + 1, np.int64), np.append(cells.col, col),
        np.append(-np.ones(cells.n), 1.0), np.zeros(1), np.zeros(1), kind="eq", long_name="definition of E",
    )
    return col


def _share_rows(
    b: ProgramBuilder, name: str, label_dim: str, labels: tuple, members: np.ndarray, shares: list[float | None],
    cells: Cells, total_col: int, side: str, long_name: str,
) -> None:
    """``Σ_{cells in group g} eu - β_g·E ≥ 0`` (side ``ge``) or ``≤ 0`` (side ``le``).

    ``members[g, cell]`` says which cells count for group g; groups with no share given get no row.
    """
    groups = [g for g, s in enumerate(shares) if s is not None]
    if not groups:
        return
    g_idx, c_idx = np.nonzero(members[groups])
    beta = np.array([shares[g] for g in groups], float)
    rows = np.concatenate([g_idx, np.arange(len(groups))])
    cols = np.concatenate([cells.col[c_idx], np.full(len(groups), total_col)])
    vals = np.concatenate([np.ones(len(g_idx)), -beta])
    zeros, inf = np.zeros(len(groups)), np.full(len(groups), np.inf)
    lower, upper = (zeros, inf) if side == "ge" else (-inf, zeros)
    b.add_constraints(
        name, (label_dim,), (labels,), rows, cols, vals, lower, upper, positions=(np.array(groups),),
        kind=side, units=MONEY, long_name=long_name, per_point=True,
    )


def define_pillar_balance(b: ProgramBuilder, sc: Scenario, cells: Cells, total_col: int) -> None:
    """``Σ_{p in pillar q} eu ≥ min_share_q·E`` and ``≤ max_share_q·E`` (16041/08 §4: balanced pillars)."""
    rules = sc.rules.pillar_balance
    pillar_of_cell = np.array(sc.priority_pillars, dtype=object)[cells.p]
    members = np.stack([pillar_of_cell == rule.pillar for rule in rules]) if rules else np.zeros((0, cells.n), bool)
    labels = tuple(rule.pillar for rule in rules)
    _share_rows(b, "pillar_min_share", "pillar", labels, members, [x.min_share for x in rules], cells, total_col,
                "ge", "minimum pillar share")
    _share_rows(b, "pillar_max_share", "pillar", labels, members, [x.max_share for x in rules], cells, total_col,
                "le", "maximum pillar share")


def define_focus(b: ProgramBuilder, sc: Scenario, cells: Cells, total_col: int) -> None:
    """``Σ_{r in focus regions} eu ≥ min_share·E`` (and ``≤ max_share·E``) (16041/08 §21)."""
    rules = sc.rules.geographic_focus
    members = np.stack([np.isin(np.array(sc.region_ids)[cells.r], list(f.regions)) for f in rules]) if rules \
        else np.zeros((0, cells.n), bool)
    labels = tuple(f.id for f in rules)
    _share_rows(b, "focus_min_share", "focus", labels, members, [f.min_share for f in rules], cells, total_col,
                "ge", "minimum share to the focus regions")
    _share_rows(b, "focus_max_share", "focus", labels, members, [f.max_share for f in rules], cells, total_col,
                "le", "maximum share to the focus regions")


def define_limits(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``min_r ≤ Σ_{i,p,y} eu[i,p,r,y] ≤ max_r`` per region, and likewise per priority (EUR m, period)."""
    for name, dim, labels, cell_idx, limits in (
        ("region_limits", "region", sc.region_ids, cells.r, sc.rules.region_limits),
        ("priority_limits", "priority", sc.priority_ids, cells.p, sc.rules.priority_limits),
    ):
        if not limits:
            continue
        row_of = np.full(len(labels), -1, dtype=np.int64)
        row_of[[labels.index(x.label) for x in limits]] = np.arange(len(limits))
        rows = row_of[cell_idx]
        keep = rows >= 0
        lower, upper, kind = _bounds([x.min for x in limits], [x.max for x in limits])
        pos = np.array([labels.index(x.label) for x in limits])
        b.add_constraints(name, (dim,), (labels,), rows[keep], cells.col[keep], np.ones(keep.sum()), lower, upper,
                          positions=(pos,), kind=kind, units=MONEY, long_name=f"limits per {dim}")


def define_min_packages(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``Σ_{i,p in package,y} eu[i,p,r,y] ≥ amount`` for mobility-partnership regions (16041/08 §11).

    Rows are labelled by package: the region's id, or ``region#n`` when a region has several packages.
    """
    packs = sc.rules.min_packages
    if not packs:
        return
    pr = np.stack([Selector(priorities=x.priorities).vector("priority", sc.priority_ids) for x in packs])
    region_rows = np.array([sc.region_ids.index(x.region) for x in packs])
    hit = (region_rows[:, None] == cells.r[None, :]) & pr[:, cells.p]
    rows, idx = np.nonzero(hit)
    amounts = np.array([x.amount for x in packs])
    b.add_constraints(
        "min_package", ("package",), (package_labels(sc),), rows, cells.col[idx], np.ones(len(idx)), amounts,
        np.full(len(packs), np.inf), kind="ge", units=MONEY, long_name="minimum package for partnership regions",
    )


def package_labels(sc: Scenario) -> tuple[str, ...]:
    """One label per minimum package: the region id, numbered where a region has more than one."""
    regions = [x.region for x in sc.rules.min_packages]
    seen: dict[str, int] = {}
    labels = []
    for r in regions:
        seen[r] = seen.get(r, 0) + 1
        labels.append(r if regions.count(r) == 1 else f"{r}#{seen[r]}")
    return tuple(labels)


def define_caps(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``min_c ≤ Σ_{cells in slice c} eu ≤ max_c`` over the period, or in each year for ``per_year`` caps."""
    for per_year, name in ((False, "caps"), (True, "annual_caps")):
        caps = [c for c in sc.rules.caps if c.per_year == per_year]
        if not caps:
            continue
        hit = np.stack([mask(c.selector, sc, cells) for c in caps])
        ci, idx = np.nonzero(hit)
        lower, upper, kind = _bounds([c.min for c in caps], [c.max for c in caps])
        labels = tuple(c.id for c in caps)
        if not per_year:
            b.add_constraints(name, ("cap",), (labels,), ci, cells.col[idx], np.ones(len(idx)), lower, upper,
                              kind=kind, units=MONEY, long_name="caps on slices")
            continue
        # one row per cap and year the cap's selector covers
        cap_years = np.stack([c.selector.vector("year", sc.years) for c in caps])
        cy_c, cy_y = np.nonzero(cap_years)
        row_of = np.full(cap_years.shape, -1, dtype=np.int64)
        row_of[cy_c, cy_y] = np.arange(len(cy_c))
        b.add_constraints(name, ("annual_cap", "year"), (labels, sc.years), row_of[ci, cells.y[idx]], cells.col[idx],
                          np.ones(len(idx)), lower[cy_c], upper[cy_c], positions=(cy_c, cy_y), kind=kind,
                          units=MONEY, long_name="annual caps on slices")


def define_impact(b: ProgramBuilder, sc: Scenario, cells: Cells, cost: np.ndarray) -> None:
    """``cost`` is the objective coefficient of each eligible cell's ``eu``, added to in place.

    Concave piecewise-linear impact of the money reaching each (priority, region) cell.

    Without breakpoints the impact ``w[p,r]·f·eu`` goes straight into the cost of ``eu`` (``f`` = 1 or
    1 + k by basis). With breakpoints, segment columns ``z[p,r,s]`` bounded by the segment lengths earn
    ``w[p,r]·slope_s`` each, and ``Σ_s z[p,r,s] ≤ Σ_{i,y} f·eu[i,p,r,y]`` links them to the money.
    """
    term = sc.objective.impact
    if term is None:
        return
    factor = 1.0 + cells.k if term.basis == "total" else np.ones(cells.n)
    w = term.weight * term.weights
    if not term.breakpoints:
        cost += w[cells.p, cells.r] * factor * term.slopes[0]
        return
    (cp, cr), row = unique_rows((cells.p, cells.r), (len(sc.priorities), len(sc.regions)))
    live = w[cp, cr] > 0
    n_cell, n_seg = len(cp), len(term.slopes)
    edges = np.array([0.0, *term.breakpoints, np.inf])
    seg_cost = (w[cp, cr][:, None] * np.array(term.slopes)[None, :]).ravel()
    seg_upper = np.tile(np.diff(edges), n_cell)
    seg_upper[np.repeat(~live, n_seg)] = 0.0
    block = b.add_variables(
        "impact_segment", ("priority", "region", "segment"), (sc.priority_ids, sc.region_ids, tuple(range(n_seg))),
        n_cell * n_seg, positions=(np.repeat(cp, n_seg), np.repeat(cr, n_seg), np.tile(np.arange(n_seg), n_cell)),
        upper=seg_upper, cost=seg_cost, long_name="money on each impact segment",
    )
    seg_cols = block.start + np.arange(n_cell * n_seg)
    rows = np.concatenate([np.repeat(np.arange(n_cell), n_seg), row])
    cols = np.concatenate([seg_cols, cells.col])
    vals = np.concatenate([np.ones(n_cell * n_seg), -factor])
    b.add_constraints(
        "impact_link", ("priority", "region"), (sc.priority_ids, sc.region_ids), rows, cols, vals,
        np.full(n_cell, -np.inf), np.zeros(n_cell), positions=(cp, cr), kind="le", units=MONEY,
        long_name="marginal impact of money in the cell",
    )


def define_leverage(sc: Scenario, cells: Cells, cost: np.ndarray) -> None:
    """Adds ``λ·k`` to the cost of each cell's ``eu`` (in place): the co-financing it mobilises, weighted."""
    if sc.objective.leverage is not None:
        cost += sc.objective.leverage.weight * cells.k


def define_goals(b: ProgramBuilder, sc: Scenario, cells: Cells) -> None:
    """``Σ_{cells in target t} eu + shortfall_t ≥ amount_t``; each EUR m short costs ``weight·weight_t``."""
    goals = sc.objective.goals
    if goals is None:
        return
    sign = 1.0 if sc.objective.sense == "min" else -1.0
    targets = goals.targets
    block = b.add_variables(
        "shortfall", ("target",), (tuple(t.id for t in targets),), len(targets),
        cost=sign * goals.weight * np.array([t.weight for t in targets]), long_name="shortfall against target",
    )
    hit = np.stack([mask(t.selector, sc, cells) for t in targets])
    ti, idx = np.nonzero(hit)
    rows = np.concatenate([ti, np.arange(len(targets))])
    cols = np.concatenate([cells.col[idx], block.start + np.arange(len(targets))])
    b.add_constraints(
        "goal", ("target",), (block.coords[0],), rows, cols, np.ones(len(rows)),
        np.array([t.amount for t in targets]), np.full(len(targets), np.inf), kind="ge", units=MONEY,
        long_name="target (goal programming)",
    )


def assemble(sc: Scenario) -> LinearProgram:
    """Build the LP of a scenario: columns for eligible cells, one row block per rule family.

    With integer rules the result is a mixed-integer programme: ``integrality`` is 1 on their binaries.
    """
    b = ProgramBuilder(sense=sc.objective.sense)
    cells = define_eu(b, sc)
    eu_cost = np.zeros(cells.n)
    define_impact(b, sc, cells, eu_cost)  # impact segments are columns, so they come right after eu
    define_leverage(sc, cells, eu_cost)
    define_envelope(b, sc, cells)
    define_match_capacity(b, sc, cells)
    define_absorption(b, sc, cells)
    if sc.rules.pillar_balance or sc.rules.geographic_focus:
        total_col = define_total(b, cells)
        define_pillar_balance(b, sc, cells, total_col)
        define_focus(b, sc, cells, total_col)
    define_limits(b, sc, cells)
    define_min_packages(b, sc, cells)
    define_caps(b, sc, cells)
    define_goals(b, sc, cells)
    integer: list[Block | None] = []
    if sc.rules.integer:
        upper = cell_upper(sc, cells)
        lines = define_instrument_lines(b, sc, cells, upper)
        define_max_instruments(b, sc, lines)
        define_min_commitment(b, sc, cells, lines)
        integer = [None if lines is None else lines.block, define_admin_cost(b, sc, cells, upper),
                   define_partnerships(b, sc, cells, upper)]
    lp = b.build()
    lp.c[cells.col] += eu_cost
    binaries = [block for block in integer if block is not None]
    if binaries:
        lp.integrality = np.zeros(lp.num_col, dtype=np.int8)
        for block in binaries:
            lp.integrality[block.start : block.stop] = 1
    return lp
