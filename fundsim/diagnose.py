"""Cheap checks that explain, in the rules' own words, why a scenario cannot be satisfied.

They look at the scenario alone (no solver): minimum shares that add up to more than everything,
minimum amounts above all the money that could ever reach a region, priority or slice, rules about
places no instrument may fund.
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario, Selector

__all__ = ["quick_checks"]


def _slice(sc: Scenario, sel: Selector) -> np.ndarray:
    """Eligible cells ``(instrument, priority, region, year)`` a selector covers."""
    cube = sc.eligible.copy()
    for axis, dim, labels in ((0, "instrument", sc.instrument_ids), (1, "priority", sc.priority_ids),
                              (2, "region", sc.region_ids), (3, "year", sc.years)):
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        cube &= sel.vector(dim, labels).reshape(shape)
    return cube


def _by_match(sc: Scenario, cube: np.ndarray, usable: np.ndarray) -> float:
    """Most EU money the slice can take given the match sources' capacities, year by year.

    Money in cells that need no match (or draw on an unlimited source) is bounded by the envelopes
    alone; money in cells that draw on source m is at most ``capacity[m] / k_min``, ``k_min`` the smallest
    match ratio among them.
    """
    k = sc.match_ratio
    source = sc.match_source_index
    total = 0.0
    for y in range(len(sc.years)):
        cells = cube[..., y]
        free = cells & (k <= 0)
        limited = 0.0
        for n, src in enumerate(sc.match_sources):
            mine = cells & (source == n) & (k > 0)
            cap = src.capacity[:, y][mine.any(axis=(0, 1))].sum() if src.per_region else src.capacity[y]
            if not mine.any():
                continue
            if not np.isfinite(cap):
                free |= mine
                continue
            limited += cap / k[mine].min()
        free |= cells & (k > 0) & (source < 0)
        free_money = (usable[:, y] * free.any(axis=(1, 2))).sum()
        all_money = (usable[:, y] * cells.any(axis=(1, 2))).sum()
        total += min(all_money, free_money + limited)
    return float(total)


def _reachable(sc: Scenario, sel: Selector) -> float:
    """An upper bound on the EU money that can reach a slice: usable envelopes of the eligible instruments,
    the match sources' capacities, and absorption capacity (what falls due after the last year included)."""
    cube = _slice(sc, sel)
    usable = np.stack([ins.usable for ins in sc.instruments])
    by_instrument = _by_match(sc, cube, usable)
    regions = cube.any(axis=(0, 1, 3))
    if not regions.any():
        return 0.0
    cap = sc.absorption.capacity[regions]
    tail_years = max(len(ins.payment_profile) for ins in sc.instruments) - 1
    if tail_years == 0:
        tail = 0.0
    else:
        tail = cap[:, -1].sum() * tail_years if sc.absorption.after_horizon == "last_year" else np.inf
    return float(min(by_instrument, cap.sum() + tail))


def quick_checks(sc: Scenario) -> list[str]:
    """Problems that make a scenario infeasible whatever the solver does, in plain words."""
    found: list[str] = []
    mins = [(r.pillar, r.min_share) for r in sc.rules.pillar_balance if r.min_share]
    total = sum(s for _, s in mins)
    if total > 1 + 1e-9:
        parts = ", ".join(f"{p} {s:.0%}" for p, s in mins)
        found.append(f"the minimum pillar shares add up to {total:.1%} of all EU money ({parts}); lower them "
                     f"to 100 % or less in total")
    for r in sc.rules.pillar_balance:
        members = frozenset(p.id for p in sc.priorities if p.pillar == r.pillar)
        if r.min_share and _reachable(sc, Selector(priorities=members)) <= 0:
            found.append(f"the pillar {r.pillar!r} must receive at least {r.min_share:.0%} of EU money but no "
                         f"instrument may fund any of its priorities")
    for f in sc.rules.geographic_focus:
        if f.min_share and _reachable(sc, Selector(regions=f.regions)) <= 0:
            found.append(f"the focus rule {f.id!r} asks for {f.min_share:.0%} in {f.description} but no instrument "
                         f"may fund there")
    checks = [(f"the region {x.label!r}", x.min, Selector(regions=frozenset({x.label})))
              for x in sc.rules.region_limits]
    checks += [(f"the priority {x.label!r}", x.min, Selector(priorities=frozenset({x.label})))
               for x in sc.rules.priority_limits]
    checks += [(f"the minimum package of {x.region!r}", x.amount,
                Selector(regions=frozenset({x.region}), priorities=x.priorities)) for x in sc.rules.min_packages]
    checks += [(f"the cap {c.id!r}", c.min, c.selector) for c in sc.rules.caps if not c.per_year]
    for what, minimum, sel in checks:
        if minimum:
            most = _reachable(sc, sel)
            if minimum > most + 1e-9:
                found.append(f"{what} needs at least EUR {minimum:,.1f} m but at most EUR {most:,.1f} m can reach it "
                             f"(usable envelopes of the eligible instruments, co-financing capacity of their match "
                             f"sources, absorption capacity)")
    if not found:
        found.append("no single rule is impossible on its own: several rules conflict together (for example "
                     "minimum shares or packages against envelopes, absorption or match capacity); relax the "
                     "minimum rules one at a time to find the conflict")
    return found
