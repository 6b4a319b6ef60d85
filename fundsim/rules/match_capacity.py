"""Match capacity: the co-financing drawn from a match source stays within its capacity (per year, or per
region and year for partner sources)."""

from __future__ import annotations

import numpy as np

from fundsim.model import MatchSource, Scenario, stacked
from fundsim.rules.checking import Plan, Rule, Violation, cofinancing_rule
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import unique_rows

__all__ = ["FAMILY", "MATCH", "PARTNER", "check_match_capacity", "define_match_capacity"]

MATCH = Rows("match_capacity", ("source", "year"),
             "objective gained per EUR m more co-financing capacity of the match source in that year",
             long_name="co-financing capacity of the match source",
             repair=Repair("the co-financing capacity of {source!r} in {year}", target="match_source_capacity",
                           dim="source"))
PARTNER = Rows("partner_match_capacity", ("partner_source", "region", "year"),
               "objective gained per EUR m more co-financing capacity of the partner source in the region and year",
               long_name="co-financing capacity of the match source",
               repair=Repair("the co-financing capacity of {partner_source!r} in {region!r} in {year}",
                             target="match_source_capacity", dim="partner_source"))


def define_match_capacity(a: Assembly) -> None:
    """``Σ k·eu ≤ capacity[m,y]`` over the cells whose match source is m (per region for partner sources).

    Co-financing is mobilised at the rule's rate, ``cofin = k·eu``, so it needs no columns of its own;
    it is aggregated at the level the capacity applies (source × year, or source × region × year).

    Examples
    --------
    TPMA's cells draw ``k = (1 - 0.8)/0.8 = 0.25`` per EUR m from the member states, capacity 100 a year; ENPI
    asks for no co-financing and has no coefficient:

    >>> import numpy as np
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> block = lp.constraints["match_capacity"]
    >>> block.coords, lp.row_upper[block.start:block.stop]
    ((('member_states',), (2009, 2010)), array([100., 100.]))
    >>> np.unique(lp.A[block.start:block.stop].data), lp.A[block.start].nnz  # 3 priorities × 2 regions
    (array([0.25]), 6)
    """
    sc, cells = a.sc, a.cells
    source = sc.match_source_index[cells.i, cells.p, cells.r]
    for per_region, spec in ((False, MATCH), (True, PARTNER)):
        ids = [s.id for s in sc.match_sources if s.per_region == per_region]
        if not ids:
            continue
        # scenario position → position in ids; the extra last slot maps "no source" (-1) to -1
        local = np.full(len(sc.match_sources) + 1, -1, dtype=np.int64)
        local[[sc.source_ids.index(s) for s in ids]] = np.arange(len(ids))
        s_idx = local[source]
        use = np.flatnonzero((s_idx >= 0) & (cells.k > 0))
        if not len(use):
            continue
        ny = len(sc.years)
        sources = [sc.match_sources[sc.source_ids.index(s)] for s in ids]
        if per_region:
            labels, cover, cap = _partner_capacity(sc, sources)
            area, at = np.nonzero(cover[:, cells.r[use]])  # a region planned in parts: the sum over its units
            use = use[at]
            uniq, row = unique_rows((s_idx[use], area, cells.y[use]), (len(ids), len(labels), ny))
            coords: tuple[tuple, ...] = (tuple(ids), labels, sc.years)
        else:
            cap = np.stack([x.capacity for x in sources])
            uniq, row = unique_rows((s_idx[use], cells.y[use]), (len(ids), ny))
            coords = (tuple(ids), sc.years)
        upper = cap[uniq]
        keep = np.isfinite(upper)
        row_map = np.cumsum(keep) - 1
        take = keep[row]
        a.b.add_constraints(
            Header(spec.name, spec.dims, coords, tuple(u[keep] for u in uniq), spec.row_unit, spec.long_name),
            Entries(row_map[row[take]], cells.col[use][take], cells.k[use][take]),
            np.full(keep.sum(), -np.inf), upper[keep], kind="le",
        )


def _partner_capacity(sc: Scenario, sources: list[MatchSource]
                      ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The region labels of the partner sources' capacities (the planning units, then every region planned in
    parts that one of them states a capacity for), the units each label covers, and the capacities
    ``(source, label, year)`` (``inf`` where a source states none)."""
    shared = tuple({x.area: x for s in sources for x in s.shared}.values())
    labels = sc.capacity_labels(shared)
    cap = np.full((len(sources), len(labels), len(sc.years)), np.inf)
    for n, s in enumerate(sources):
        cap[n, : len(sc.regions)] = s.capacity
        for x in s.shared:
            cap[n, labels.index(x.area)] = x.capacity
    return labels, sc.capacity_cover(shared), cap


def check_match_capacity(plan: Plan) -> list[Violation]:
    """``Σ cofin ≤ capacity[m, y]`` over the cells whose match source is m (per region-year for partners).

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu, cofin = np.zeros((2, 3, 2, 2)), np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0, 1], cofin[0, 0, 0, 1] = 10.0, 120.0  # tpma, mobility, north_africa, 2010
    >>> plan = Plan(sc, eu, cofin, eu + cofin, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit) for v in check_match_capacity(plan)]
    [({'source': 'member_states', 'year': 2010}, 120.0, 100.0)]
    """
    sc, found = plan.sc, []
    _, source = cofinancing_rule(sc)
    for m in sc.match_sources:
        drawn = (plan.cofin * (source == m.id)[..., None]).sum(axis=(0, 1))  # (region, year)
        cap = np.asarray(m.capacity, dtype=float)
        if m.per_region:
            drawn, cap = sc.capacity_cover(m.shared) @ drawn, stacked(m.capacity, m.shared)
        for y, year in enumerate(sc.years):
            if not m.per_region:
                rule = Rule("match_capacity", "match capacity", {"source": m.id, "year": year})
                found += plan.outside(rule, f"co-financing drawn from {m.id} in {year} is", drawn[:, y].sum(), None,
                                      cap[y], names=("minimum", "capacity"))
                continue
            for r, region in enumerate(sc.capacity_labels(m.shared)):
                rule = Rule("match_capacity", "match capacity", {"partner_source": m.id, "region": region,
                                                                 "year": year})
                found += plan.outside(rule, f"co-financing drawn from {m.id} in {region} in {year} is", drawn[r, y],
                                      None, cap[r, y], names=("minimum", "capacity"))
    return found


FAMILY = register(RuleFamily("match_capacity", (MATCH, PARTNER), define_match_capacity, check_match_capacity,
                             order=40))
