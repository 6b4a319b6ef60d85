"""Cheap checks that explain, in the rules' own words, why a scenario cannot be satisfied.

They look at the scenario alone (no solver) and are sound: each compares a minimum with an upper bound on
the money that could ever meet it, so a check that fires proves the scenario infeasible (except
:func:`check_share_rules_fundable`, which names a rule that forces the plan to spend nothing). Each check is
a small ``check_*`` function returning its findings as sentences; :func:`checks` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fundsim.model import Scenario, Selector

__all__ = [
    "CHECKS",
    "check_minimum_within_maximum",
    "check_minimums_against_shares",
    "check_minimums_reachable",
    "check_minimums_together",
    "check_pillar_minimums_total",
    "check_share_rules_fundable",
    "checks",
    "quick_checks",
]

CATCH_ALL = ("no single rule is impossible on its own: several rules conflict together (for example minimum "
             "shares or packages against envelopes, absorption or match capacity); relax the minimum rules one at "
             "a time to find the conflict")
REACH = ("usable envelopes of the eligible instruments, co-financing capacity of their match sources, absorption "
         "capacity")


@dataclass(frozen=True, eq=False)
class _Slice:
    """A rule's bound on the EU money of a slice: ``what`` in words, ``amount`` EUR m, ``cube`` its eligible cells."""

    what: str
    amount: float
    cube: np.ndarray


def _eur(value: float) -> str:
    return f"EUR {value:,.1f} m"


def _cube(sc: Scenario, sel: Selector) -> np.ndarray:
    """Eligible cells ``(instrument, priority, region, year)`` a selector covers."""
    cube = sc.eligible.copy()
    for axis, dim, labels in ((0, "instrument", sc.instrument_ids), (1, "priority", sc.priority_ids),
                              (2, "region", sc.region_ids), (3, "year", sc.years)):
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        cube &= sel.vector(dim, labels).reshape(shape)
    return cube


def _in_year(cube: np.ndarray, y: int) -> np.ndarray:
    out = np.zeros_like(cube)
    out[..., y] = cube[..., y]
    return out


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
            if not mine.any():
                continue
            cap = src.capacity[:, y][mine.any(axis=(0, 1))].sum() if src.per_region else src.capacity[y]
            if not np.isfinite(cap):
                free |= mine
                continue
            limited += cap / k[mine].min()
        free |= cells & (k > 0) & (source < 0)
        free_money = (usable[:, y] * free.any(axis=(1, 2))).sum()
        all_money = (usable[:, y] * cells.any(axis=(1, 2))).sum()
        total += min(all_money, free_money + limited)
    return float(total)


def _reachable(sc: Scenario, cube: np.ndarray) -> float:
    """An upper bound on the EU money that can reach the cells of ``cube``: usable envelopes of the eligible
    instruments, the match sources' capacities, and absorption capacity (with what falls due after the last
    year included)."""
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


def _minimums(sc: Scenario) -> list[_Slice]:
    """Every rule that asks for at least some EU money in a slice (per-year caps once per year)."""
    r = sc.rules
    found = [_Slice(f"the region {x.label!r}", x.min, _cube(sc, Selector(regions=frozenset({x.label}))))
             for x in r.region_limits if x.min]
    found += [_Slice(f"the priority {x.label!r}", x.min, _cube(sc, Selector(priorities=frozenset({x.label}))))
              for x in r.priority_limits if x.min]
    found += [_Slice(f"the minimum package of {x.region!r}", x.amount,
                     _cube(sc, Selector(regions=frozenset({x.region}), priorities=x.priorities)))
              for x in r.min_packages if x.amount]
    found += [_Slice(f"the cap {c.id!r}", c.min, _cube(sc, c.selector)) for c in r.caps if c.min and not c.per_year]
    found += [_Slice(f"the cap {c.id!r} in {year}", c.min, _in_year(_cube(sc, c.selector), y))
              for c in r.caps if c.min and c.per_year
              for y, year in enumerate(sc.years) if c.selector.vector("year", sc.years)[y]]
    return found


def _maximums(sc: Scenario) -> list[_Slice]:
    """Every rule that allows at most some EU money in a slice (per-year caps once per year)."""
    r = sc.rules
    found = [_Slice(f"the region {x.label!r}", x.max, _cube(sc, Selector(regions=frozenset({x.label}))))
             for x in r.region_limits if x.max is not None]
    found += [_Slice(f"the priority {x.label!r}", x.max, _cube(sc, Selector(priorities=frozenset({x.label}))))
              for x in r.priority_limits if x.max is not None]
    found += [_Slice(f"the cap {c.id!r}", c.max, _cube(sc, c.selector))
              for c in r.caps if c.max is not None and not c.per_year]
    found += [_Slice(f"the cap {c.id!r} in {year}", c.max, _in_year(_cube(sc, c.selector), y))
              for c in r.caps if c.max is not None and c.per_year
              for y, year in enumerate(sc.years) if c.selector.vector("year", sc.years)[y]]
    return found


def _shares(sc: Scenario) -> list[tuple[str, np.ndarray, float | None, float | None]]:
    """Each share rule as (name in words, its cells, min share, max share)."""
    pillars = np.array(sc.priority_pillars, dtype=object)
    out = [(f"the pillar {b.pillar!r}", _cube(sc, Selector(priorities=frozenset(
        p for p, q in zip(sc.priority_ids, pillars, strict=True) if q == b.pillar))), b.min_share, b.max_share)
        for b in sc.rules.pillar_balance]
    out += [(f"the focus rule {f.id!r} ({f.description})", _cube(sc, Selector(regions=f.regions)), f.min_share,
             f.max_share) for f in sc.rules.geographic_focus]
    return out


def check_pillar_minimums_total(sc: Scenario) -> list[str]:
    """Minimum pillar shares that add up to more than all EU money (files reject this; objects made by hand
    or by ``evolve`` may not).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import PillarBalance, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> check_pillar_minimums_total(sc)
    []
    >>> rules = Rules(pillar_balance=(PillarBalance("legal", min_share=0.6),
    ...                               PillarBalance("development", min_share=0.5)))
    >>> print(check_pillar_minimums_total(sc.evolve(rules=rules))[0][:87])
    the minimum pillar shares add up to 110.0% of all EU money (legal 60%, development 50%)
    """
    mins = [(r.pillar, r.min_share) for r in sc.rules.pillar_balance if r.min_share]
    total = sum(s for _, s in mins)
    if total <= 1 + 1e-9:
        return []
    parts = ", ".join(f"{p} {s:.0%}" for p, s in mins)
    return [f"the minimum pillar shares add up to {total:.1%} of all EU money ({parts}); lower them to 100 % or "
            f"less in total"]


def check_share_rules_fundable(sc: Scenario) -> list[str]:
    """Minimum shares of pillars or focus regions no instrument may fund: only spending nothing keeps them.

    Examples
    --------
    >>> import dataclasses, fundsim as fs
    >>> from fundsim.model import PillarBalance, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma, enpi = sc.instruments
    >>> no_remittances = dataclasses.replace(tpma, priorities=frozenset({"mobility", "return"}))
    >>> variant = sc.evolve(instruments=(no_remittances, enpi),
    ...                     rules=Rules(pillar_balance=(PillarBalance("development", min_share=0.1),)))
    >>> print(check_share_rules_fundable(variant)[0])
    the pillar 'development' must receive at least 10% of EU money but no instrument may fund any of its priorities
    """
    found = []
    for r in sc.rules.pillar_balance:
        members = frozenset(p.id for p in sc.priorities if p.pillar == r.pillar)
        if r.min_share and not _cube(sc, Selector(priorities=members)).any():
            found.append(f"the pillar {r.pillar!r} must receive at least {r.min_share:.0%} of EU money but no "
                         f"instrument may fund any of its priorities")
    for f in sc.rules.geographic_focus:
        if f.min_share and not _cube(sc, Selector(regions=f.regions)).any():
            found.append(f"the focus rule {f.id!r} asks for {f.min_share:.0%} in {f.description} but no instrument "
                         f"may fund there")
    return found


def check_minimums_reachable(sc: Scenario) -> list[str]:
    """A minimum (region, priority, package, cap, per-year cap) above all the money that can reach its slice.

    Examples
    --------
    >>> import textwrap, fundsim as fs
    >>> from fundsim.model import Limit, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> found = check_minimums_reachable(sc.evolve(rules=Rules(region_limits=(Limit("north_africa", min=80.0),))))
    >>> print(textwrap.fill(found[0], 100))
    the region 'north_africa' needs at least EUR 80.0 m but at most EUR 50.0 m can reach it (usable
    envelopes of the eligible instruments, co-financing capacity of their match sources, absorption
    capacity)
    """
    found = []
    for low in _minimums(sc):
        most = _reachable(sc, low.cube)
        if low.amount > most + 1e-9:
            found.append(f"{low.what} needs at least {_eur(low.amount)} but at most {_eur(most)} can reach it "
                         f"({REACH})")
    return found


def check_minimum_within_maximum(sc: Scenario) -> list[str]:
    """A minimum on a slice that lies inside the slice of a smaller maximum.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Cap, Limit, Rules, Selector
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cap = Cap("small", Selector(regions=frozenset({"north_africa"})), max=20.0)
    >>> variant = sc.evolve(rules=Rules(region_limits=(Limit("north_africa", min=30.0),), caps=(cap,)))
    >>> print(check_minimum_within_maximum(variant)[0].split(" on ")[0])
    the region 'north_africa' needs at least EUR 30.0 m but the cap 'small' allows at most EUR 20.0 m
    """
    found = []
    highs = _maximums(sc)
    for low in _minimums(sc):
        for high in highs:
            inside = low.cube.any() and not (low.cube & ~high.cube).any()
            if inside and low.amount > high.amount + 1e-9:
                found.append(f"{low.what} needs at least {_eur(low.amount)} but {high.what} allows at most "
                             f"{_eur(high.amount)} on a slice that contains it")
    return found


def check_minimums_against_shares(sc: Scenario) -> list[str]:
    """A minimum inside a share rule's slice above what its maximum share allows, or outside it above what its
    minimum share leaves.

    With ``q`` the share rule's money and ``n`` the rest, ``q ≤ β·(q + n)`` gives ``q ≤ β/(1-β)·n`` and
    ``q ≥ β·(q + n)`` gives ``n ≤ (1-β)/β·q``; ``n`` and ``q`` are at most what can reach their slices.

    Examples
    --------
    >>> import textwrap, fundsim as fs
    >>> from fundsim.model import Limit, PillarBalance, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> rules = Rules(pillar_balance=(PillarBalance("development", max_share=0.25),),
    ...               priority_limits=(Limit("remittances", min=30.0),))
    >>> print(textwrap.fill(check_minimums_against_shares(sc.evolve(rules=rules))[0], 100))
    the priority 'remittances' needs at least EUR 30.0 m, all of it in the pillar 'development', but the
    maximum share of 25% allows at most EUR 20.0 m there (25% of all EU money, the rest being at most
    EUR 60.0 m)
    """
    found = []
    lows = [low for low in _minimums(sc) if low.cube.any()]
    for name, group, lo, hi in _shares(sc):
        rest_reach, group_reach = _reachable(sc, sc.eligible & ~group), _reachable(sc, group)
        for low in lows:
            if hi is not None and hi < 1 and not (low.cube & ~group).any():
                most = hi / (1 - hi) * rest_reach
                if low.amount > most + 1e-9:
                    found.append(f"{low.what} needs at least {_eur(low.amount)}, all of it in {name}, but the "
                                 f"maximum share of {hi:.0%} allows at most {_eur(most)} there ({hi:.0%} of all EU "
                                 f"money, the rest being at most {_eur(rest_reach)})")
            if lo and not (low.cube & group).any():
                most = (1 - lo) / lo * group_reach
                if low.amount > most + 1e-9:
                    found.append(f"{low.what} needs at least {_eur(low.amount)}, all of it outside {name}, but "
                                 f"the minimum share of {lo:.0%} for {name} leaves at most {_eur(most)} elsewhere "
                                 f"(at most {_eur(group_reach)} can reach {name})")
    return found


def check_minimums_together(sc: Scenario) -> list[str]:
    """Minimums of different regions (limits and packages), or of different priorities, that together need
    more than can reach all of them.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Limit, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> limits = (Limit("north_africa", min=35.0), Limit("eastern_partnership", min=30.0))
    >>> check_minimums_together(sc.evolve(rules=Rules(region_limits=limits)))[0].split(" but ")[0]
    'the minimums of the regions add up to EUR 65.0 m (north_africa 35.0 + eastern_partnership 30.0)'
    """
    found = []
    by_region: dict[str, float] = {}
    for x in sc.rules.region_limits:
        if x.min:
            by_region[x.label] = max(by_region.get(x.label, 0.0), x.min)
    for p in sc.rules.min_packages:
        by_region[p.region] = max(by_region.get(p.region, 0.0), p.amount)
    by_priority = {x.label: x.min for x in sc.rules.priority_limits if x.min}
    for what, needs, sel in (("regions", by_region, Selector(regions=frozenset(by_region))),
                             ("priorities", by_priority, Selector(priorities=frozenset(by_priority)))):
        if len(needs) < 2:
            continue
        most = _reachable(sc, _cube(sc, sel))
        total = sum(needs.values())
        if total > most + 1e-9:
            parts = " + ".join(f"{k} {v:,.1f}" for k, v in needs.items())
            found.append(f"the minimums of the {what} add up to {_eur(total)} ({parts}) but at most {_eur(most)} "
                         f"can reach them together ({REACH})")
    return found


CHECKS: tuple[Callable[[Scenario], list[str]], ...] = (
    check_pillar_minimums_total,
    check_share_rules_fundable,
    check_minimums_reachable,
    check_minimum_within_maximum,
    check_minimums_against_shares,
    check_minimums_together,
)


def checks(sc: Scenario) -> list[str]:
    """Every finding of every check, in the order of :data:`CHECKS` (empty when none fires).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> checks(sc)
    []
    >>> from fundsim.model import Limit, Rules
    >>> checks(sc.evolve(rules=Rules(region_limits=(Limit("north_africa", min=80.0),))))[0][:70]
    "the region 'north_africa' needs at least EUR 80.0 m but at most EUR 50"
    """
    return [line for check in CHECKS for line in check(sc)]


def quick_checks(sc: Scenario) -> list[str]:
    """Problems that make a scenario infeasible whatever the solver does, in plain words; when no check
    fires, one sentence saying that several rules conflict together.

    Examples
    --------
    >>> import fundsim as fs
    >>> quick_checks(fs.load_scenario("scenarios/tutorial.yaml"))[0][:48]
    'no single rule is impossible on its own: several'
    """
    return checks(sc) or [CATCH_ALL]
