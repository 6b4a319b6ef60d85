"""Cheap checks that explain, in the rules' own words, why a scenario cannot be satisfied.

They look at the scenario alone (no solver): minimum shares that add up to more than everything,
minimum amounts above all the money that could ever reach a region, priority or slice, rules about
places no instrument may fund.
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario, Selector

__all__ = ["quick_checks"]


def _reachable(sc: Scenario, sel: Selector) -> float:
    """Most EU money that could reach a slice: usable envelopes of eligible instruments, and absorption."""
    cube = sc.eligible.copy()
    for axis, dim, labels in ((0, "instrument", sc.instrument_ids), (1, "priority", sc.priority_ids),
                              (2, "region", sc.region_ids), (3, "year", sc.years)):
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        cube &= sel.vector(dim, labels).reshape(shape)
    usable = np.stack([ins.usable for ins in sc.instruments])
    by_instrument = (usable * cube.any(axis=(1, 2))).sum()
    regions = cube.any(axis=(0, 1, 3))
    absorb = sc.absorption.capacity[regions].sum() if regions.any() else 0.0
    return float(min(by_instrument, absorb))


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
                             f"(usable envelopes of the eligible instruments, absorption capacity)")
    if not found:
        found.append("no single rule is impossible on its own: several rules conflict together (for example "
                     "minimum shares or packages against envelopes, absorption or match capacity); relax the "
                     "minimum rules one at a time to find the conflict")
    return found
