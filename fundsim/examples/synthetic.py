"""Synthetic scenarios of any size, shaped like the real thing, for benchmarks and scale tests.

:func:`synthetic_spec` returns a plain scenario mapping (what a YAML file would hold) and
:func:`synthetic_scenario` the built :class:`~fundsim.model.Scenario`. Everything follows from the
arguments and ``seed`` (one :func:`numpy.random.default_rng`), so a size is the same problem on every
machine.

What the generator draws, and why it stays feasible
---------------------------------------------------
* Regions fall into the conclusions' focus areas ``south``, ``east``, ``south_east``, ``other``;
  priorities into 3–6 pillars (the three GAM components first).
* Instruments have varied envelopes (a Dirichlet split of an annual budget proportional to the number
  of regions, with its own growth rate; some usable only in part), eligibility by region group and pillar
  (about half of all cells), a co-financing rule of one of three kinds — EU ≤ 50 % (≤ 75 % in
  ``south_east``) matched by the member states, EU ≤ 80–90 % matched per region by the partner
  countries, or 100 % EU — and the payment profile ``[0.4, 0.4, 0.2]`` with an n+2 window.
* Absorption capacity per region and year (total cost), low for about a quarter of the regions.
* The impact weights are products of pillar, priority, region-group and region multipliers rounded to
  two decimals (as planners write them), with diminishing returns after two breakpoints, plus a small
  leverage term.
* Every minimum rule (pillar minimum shares, the focus share, region minima, minimum packages, cap
  minima) and every maximum rule is set relative to a *reference plan*: the usable envelopes spread
  over the eligible cells in proportion to region size, scaled down region by region to fit absorption
  (in the scenario years and the two after, when payments still fall due) and partner match capacity,
  and year by year to fit the member states' match capacity. Minima are at most the plan's amounts and
  maxima at least, so the plan satisfies every rule: the scenario is feasible by construction, at every
  size and seed.

Examples
--------
>>> from fundsim.examples import synthetic_scenario
>>> sc = synthetic_scenario(8, 4, 6, 3, seed=1)
>>> len(sc.regions), len(sc.instruments), len(sc.priorities), len(sc.years)
(8, 4, 6, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fundsim.errors import ArgumentError
from fundsim.model import Scenario
from fundsim.scenario import scenario_from_dict

__all__ = ["synthetic_scenario", "synthetic_spec"]

PILLARS = (
    ("legal", "Legal migration and mobility"),
    ("irregular", "Irregular migration and return"),
    ("development", "Migration and development"),
    ("capacity", "Capacity building"),
    ("asylum", "Asylum and protection"),
    ("cross_cutting", "Cross-cutting themes"),
)
GROUPS = ("south", "east", "south_east", "other")
GROUP_ODDS = (0.35, 0.25, 0.15, 0.25)
GROUP_WEIGHT = {"south": 1.3, "east": 1.2, "south_east": 1.1, "other": 0.8}
KINDS = ("member_states", "partner", "eu_only")
PROFILE = [0.4, 0.4, 0.2]
FIRST_YEAR = 2009


def _floor(x: float, digits: int = 1) -> float:
    return math.floor(x * 10**digits) / 10**digits


def _ceil(x: float, digits: int = 1) -> float:
    return math.ceil(x * 10**digits) / 10**digits


# ---- labels ------------------------------------------------------------------------------------------
def _regions(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    """Regions, the first four one per group so that every focus area exists when there are four."""
    groups = list(GROUPS[: min(n, 4)]) + list(rng.choice(GROUPS, size=max(n - 4, 0), p=GROUP_ODDS))
    return [{"id": f"r{k:03d}", "name": f"Region {k} ({g})", "group": str(g)} for k, g in enumerate(groups, 1)]


def _groups(regions: list[dict]) -> list[str]:
    """The region groups that have regions, in the order of :data:`GROUPS`."""
    present = {r["group"] for r in regions}
    return [g for g in GROUPS if g in present]


def _pillars(n_priorities: int) -> list[dict[str, str]]:
    n = min(len(PILLARS), max(3, round(n_priorities / 3)), n_priorities)
    return [{"id": i, "name": name} for i, name in PILLARS[:n]]


def _priorities(rng: np.random.Generator, n: int, pillars: list[str]) -> list[dict[str, str]]:
    """Priorities, every pillar holding at least one."""
    extra = rng.choice(pillars, size=n - len(pillars))
    of = [*pillars, *map(str, extra)]
    return [{"id": f"p{k:02d}", "name": f"Priority {k} ({q})", "pillar": q} for k, q in enumerate(of, 1)]


# ---- instruments -------------------------------------------------------------------------------------
def _cofinancing(kind: str, rng: np.random.Generator, groups: list[str]) -> dict[str, Any]:
    if kind == "member_states":
        higher = [{"region_groups": ["south_east"], "max_eu_share": 0.75}] if "south_east" in groups else []
        return {"max_eu_share": 0.5, "match_source": "member_states", "exceptions": higher}
    if kind == "partner":
        return {"max_eu_share": float(rng.choice([0.8, 0.85, 0.9])), "match_source": "partners"}
    return {"max_eu_share": 1.0}


def _eligibility(rng: np.random.Generator, n: int, pillars: list[str], groups: list[str]) -> dict[str, list[str]]:
    """The first instrument funds everything (a thematic programme); the others some groups and pillars."""
    if n == 0:
        return {}
    n_groups = min(len(groups), int(rng.choice([1, 2, 3, 4], p=[0.1, 0.3, 0.35, 0.25])))
    n_pillars = max(1, math.ceil(rng.uniform(0.5, 1.0) * len(pillars)))
    return {"region_groups": sorted(map(str, rng.choice(groups, n_groups, replace=False))),
            "pillars": [q for q in pillars if q in set(rng.choice(pillars, n_pillars, replace=False))]}


def _coverage(eligibility: list[dict[str, list[str]]], regions: list[dict], priorities: list[dict]) -> float:
    """Share of (instrument, priority, region) cells that the eligibility rules open."""
    groups = np.array([r["group"] for r in regions])
    pillars = np.array([p["pillar"] for p in priorities])
    return float(np.mean([np.isin(groups, e.get("region_groups", GROUPS)).mean()
                          * np.isin(pillars, e.get("pillars", pillars)).mean() for e in eligibility]))


def _eligibilities(rng: np.random.Generator, n: int, regions: list[dict], priorities: list[dict],
                   pillars: list[str]) -> list[dict[str, list[str]]]:
    """Eligibility of each instrument, redrawn until 45–65 % of the cells are open (when that can be)."""
    groups = _groups(regions)
    for _ in range(200):
        drawn = [_eligibility(rng, k, pillars, groups) for k in range(n)]
        if 0.45 <= _coverage(drawn, regions, priorities) <= 0.65:
            break
    return drawn


def _instruments(rng: np.random.Generator, n: int, years: list[int], budget: float,
                 eligibility: list[dict[str, list[str]]], groups: list[str]) -> list[dict[str, Any]]:
    kinds = [KINDS[k % len(KINDS)] for k in rng.permutation(n)]
    shares = rng.dirichlet(np.full(n, 1.5))
    out = []
    for k in range(n):
        growth = rng.uniform(0.95, 1.10) ** np.arange(len(years))
        usable = budget * shares[k] * growth
        part = float(rng.uniform(0.15, 0.4)) if rng.random() < 0.3 else None
        envelope = usable / part if part else usable
        spec: dict[str, Any] = {
            "id": f"i{k + 1:02d}", "name": f"Instrument {k + 1} ({kinds[k]})",
            "envelope": {y: round(float(v), 1) for y, v in zip(years, envelope, strict=True)},
            "eligibility": eligibility[k],
            "cofinancing": _cofinancing(kinds[k], rng, groups),
            "payment_profile": PROFILE, "decommitment_window": 2,
        }
        if part:
            spec["usable_share"] = round(part, 2)
        out.append(spec)
    return out


# ---- capacities --------------------------------------------------------------------------------------
def _capacities(rng: np.random.Generator, regions: list[dict], years: list[int], budget: float,
                size: np.ndarray) -> tuple[dict, dict]:
    """Absorption (total cost) per region-year, a quarter of the regions short of it; partner match."""
    weight = size / size.sum()
    short = rng.random(len(regions)) < 0.25
    base = 1.5 * budget * weight * np.where(short, 0.35, 1.0)
    trend = 1.0 + 0.08 * np.arange(len(years))
    absorb = {r["id"]: {y: round(float(b * t), 2) for y, t in zip(years, trend, strict=True)}
              for r, b in zip(regions, base, strict=True)}
    partner = 0.12 * budget * weight * rng.uniform(0.5, 1.5, len(regions))
    match = {r["id"]: round(float(v), 2) for r, v in zip(regions, partner, strict=True)}
    return absorb, match


def _match_sources(instruments: list[dict], years: list[int], budget: float, partner: dict) -> list[dict]:
    """Member states able to match 60 % of what their instruments could draw; partners per region."""
    ms_usable = sum(np.array(list(i["envelope"].values())) * i.get("usable_share", 1.0)
                    for i in instruments if i["cofinancing"].get("match_source") == "member_states")
    ms_cap = 0.6 * np.asarray(ms_usable) if np.ndim(ms_usable) else np.full(len(years), 0.1 * budget)
    return [
        {"id": "member_states", "name": "EU member states",
         "capacity": {y: round(float(c), 1) for y, c in zip(years, ms_cap, strict=True)}},
        {"id": "partners", "name": "Partner countries", "per_region": True, "capacity": partner},
    ]


def _objective(rng: np.random.Generator, regions: list[dict], priorities: list[dict],
               pillars: list[str]) -> dict[str, Any]:
    by_priority = {p["id"]: round(float(rng.lognormal(0.0, 0.3)), 2) for p in priorities}
    by_region = {r["id"]: round(float(rng.lognormal(0.0, 0.25)), 2) for r in regions}
    n_cells = max(1, len(regions) * len(priorities) // 50)
    cells = [{"priority": priorities[int(p)]["id"], "region": regions[int(r)]["id"],
              "weight": round(float(rng.uniform(2.0, 3.0)), 1)}
             for p, r in zip(rng.integers(len(priorities), size=n_cells), rng.integers(len(regions), size=n_cells),
                             strict=True)]
    weights = {
        "default": 1.0, "by_pillar": {q: round(float(rng.uniform(0.8, 1.5)), 1) for q in pillars},
        "by_priority": by_priority, "by_region_group": {g: GROUP_WEIGHT[g] for g in _groups(regions)},
        "by_region": by_region, "cells": cells,
    }
    return {
        "impact": {"basis": "total", "weights": weights},
        "leverage": {"weight": 0.05},
    }


# ---- the reference plan and the rules set against it -------------------------------------------------
def _reference_plan(sc: Scenario, size: np.ndarray, lean: np.ndarray) -> np.ndarray:
    """A feasible ``eu`` cube: usable envelopes spread over eligible cells, then scaled down to fit."""
    elig = sc.eligible
    mass = elig * lean[None, :, None, None] * size[None, None, :, None]
    usable = np.stack([ins.usable for ins in sc.instruments])
    total = mass.sum(axis=(1, 2), keepdims=True)
    x = np.divide(usable[:, None, None, :] * mass, total, out=np.zeros(mass.shape), where=total > 0)
    k = sc.match_ratio[..., None] * elig
    source = sc.match_source_of
    ny = len(sc.years)
    pay = np.zeros((len(sc.regions), ny + len(PROFILE) - 1))  # payments fall due up to n+2
    for lag, share in enumerate(PROFILE):
        pay[:, lag : lag + ny] += share * ((1.0 + k) * x).sum(axis=(0, 1))
    cap = sc.absorption.extended(len(PROFILE) - 1)
    scale = np.min(np.divide(cap, pay, out=np.full(pay.shape, np.inf), where=pay > 0), axis=1)
    partner = (k * x * (source == "partners")[..., None]).sum(axis=(0, 1))
    pcap = sc.match_sources[sc.source_ids.index("partners")].capacity
    scale = np.minimum(scale, np.min(np.divide(pcap, partner, out=np.full(pcap.shape, np.inf),
                                               where=partner > 0), axis=1))
    x = x * np.minimum(scale, 1.0)[None, None, :, None]
    ms = (source == "member_states")[..., None]
    used = (k * x * ms).sum(axis=(0, 1, 2))
    mcap = sc.match_sources[sc.source_ids.index("member_states")].capacity
    year_scale = np.minimum(1.0, np.divide(mcap, used, out=np.ones(ny), where=used > 0))
    return 0.99 * np.where(ms, x * year_scale, x)


def _rules(rng: np.random.Generator, sc: Scenario, plan: np.ndarray) -> dict[str, Any]:
    total = plan.sum()
    pillar_of = np.array(sc.priority_pillars)
    group_of = np.array(sc.region_groups)
    pillar_share = {q: plan[:, pillar_of == q].sum() / total for q in sc.pillar_ids}
    balance = [{"pillar": q, "min_share": _floor(0.75 * pillar_share[q], 2)} for q in sc.pillar_ids[:3]]
    for q in sc.pillar_ids[3:]:
        balance.append({"pillar": q, "max_share": min(1.0, _ceil(1.2 * pillar_share[q], 2))})
    by_region = plan.sum(axis=(0, 1, 3))
    picked = rng.permutation(len(sc.regions))[: max(2, len(sc.regions) // 15)]
    limits = [{"region": sc.region_ids[r], "max": _ceil(1.3 * by_region[r])} for r in picked[::2]]
    limits += [{"region": sc.region_ids[r], "min": _floor(0.5 * by_region[r])} for r in picked[1::2]]
    legal = pillar_of == sc.pillar_ids[0]
    package_money = plan[:, legal].sum(axis=(0, 1, 3))
    partners = [r for r in rng.permutation(len(sc.regions)) if group_of[r] in ("south", "east")]
    packages = [{"region": sc.region_ids[r], "amount": _floor(0.6 * package_money[r]), "pillars": [sc.pillar_ids[0]]}
                for r in partners[: max(1, len(sc.regions) // 10)] if package_money[r] > 1.0]
    focus = [g for g in ("south", "east") if g in group_of]
    focus_share = plan[:, :, np.isin(group_of, focus)].sum() / total
    return {
        "pillar_balance": balance,
        "geographic_focus": [{"id": "south_and_east", "region_groups": focus,
                              "min_share": _floor(0.9 * focus_share, 2)}],
        "region_limits": limits,
        "min_packages": packages,
        "caps": _caps(sc, plan),
    }


def _caps(sc: Scenario, plan: np.ndarray) -> list[dict[str, Any]]:
    """An annual cap on the largest instrument in one pillar, a minimum for capacity building in the
    south, and a ceiling on the second instrument in the ``other`` region group."""
    pillar_of = np.array(sc.priority_pillars)
    group_of = np.array(sc.region_groups)
    big = int(plan.sum(axis=(1, 2, 3)).argmax())
    pillar = sc.pillar_ids[min(1, len(sc.pillar_ids) - 1)]
    second = pillar_of == pillar
    annual = plan[big][second].sum(axis=(0, 1)).max()
    last = sc.pillar_ids[-1]
    south = plan[:, pillar_of == last][:, :, group_of == "south"].sum()
    caps = [{"id": "annual_cap", "instruments": [sc.instrument_ids[big]], "pillars": [pillar],
             "per_year": True, "max": _ceil(1.1 * annual)},
            {"id": "south_minimum", "pillars": [last], "region_groups": ["south"], "min": _floor(0.5 * south)}]
    if len(sc.instruments) > 1 and "other" in group_of:
        other = plan[1][:, group_of == "other"].sum()
        caps.append({"id": "other_ceiling", "instruments": [sc.instrument_ids[1]], "region_groups": ["other"],
                     "max": _ceil(1.2 * other)})
    return caps


def _diminishing(sc: Scenario, plan: np.ndarray) -> dict[str, Any]:
    """Breakpoints at a half and one and a half of the plan's money per funded (priority, region) cell."""
    total = (plan * (1.0 + sc.match_ratio[..., None])).sum(axis=(0, 3))
    typical = float(total[total > 0].mean()) if (total > 0).any() else 1.0
    return {"breakpoints": [_ceil(0.5 * typical, 2), _ceil(1.5 * typical, 2)], "slopes": [1.0, 0.6, 0.25]}


# ---- public ------------------------------------------------------------------------------------------
def synthetic_spec(n_regions: int, n_instruments: int, n_priorities: int, n_years: int,
                   seed: int = 0) -> dict[str, Any]:
    """A feasible synthetic scenario mapping of the given size (see the module docstring).

    Parameters
    ----------
    n_regions, n_instruments, n_priorities, n_years : the size of the allocation cube (each ≥ 1;
        ``n_priorities`` ≥ 3 for three pillars)
    seed : seed of :func:`numpy.random.default_rng`; the same arguments give the same mapping

    Returns
    -------
    dict shaped like a scenario file; build it with :func:`fundsim.scenario_from_dict`

    Examples
    --------
    >>> spec = synthetic_spec(4, 2, 3, 2, seed=0)
    >>> spec["name"], len(spec["regions"]), spec["years"]
    ('synthetic-4x2x3x2-seed0', 4, [2009, 2010])
    >>> synthetic_spec(4, 2, 3, 2, seed=0) == spec  # the same arguments give the same mapping
    True
    """
    return spec_and_plan(n_regions, n_instruments, n_priorities, n_years, seed)[0]


def spec_and_plan(n_regions: int, n_instruments: int, n_priorities: int, n_years: int,
                  seed: int = 0) -> tuple[dict[str, Any], np.ndarray]:
    """:func:`synthetic_spec` and the reference plan its rules were set against, an ``eu`` cube
    ``(instrument, priority, region, year)`` that keeps every rule (the proof of feasibility)."""
    if min(n_regions, n_instruments, n_priorities, n_years) < 1:
        raise ArgumentError(f"every size must be at least 1, got regions={n_regions}, instruments={n_instruments}, "
                         f"priorities={n_priorities}, years={n_years}")
    rng = np.random.default_rng(seed)
    years = list(range(FIRST_YEAR, FIRST_YEAR + n_years))
    budget = 12.0 * n_regions  # EUR m a year
    pillars = _pillars(n_priorities)
    pillar_ids = [q["id"] for q in pillars]
    regions = _regions(rng, n_regions)
    priorities = _priorities(rng, n_priorities, pillar_ids)
    size = rng.lognormal(0.0, 0.6, n_regions)
    lean = rng.uniform(0.5, 1.5, n_priorities)
    eligibility = _eligibilities(rng, n_instruments, regions, priorities, pillar_ids)
    instruments = _instruments(rng, n_instruments, years, budget, eligibility, _groups(regions))
    absorb, partner = _capacities(rng, regions, years, budget, size)
    spec: dict[str, Any] = {
        "name": f"synthetic-{n_regions}x{n_instruments}x{n_priorities}x{n_years}-seed{seed}",
        "description": f"Synthetic scenario: {n_regions} regions, {n_instruments} instruments, "
                       f"{n_priorities} priorities, {n_years} years (fundsim.examples.synthetic, seed {seed}).",
        "years": years, "pillars": pillars, "regions": regions, "priorities": priorities,
        "match_sources": _match_sources(instruments, years, budget, partner),
        "instruments": instruments,
        "absorption": {"basis": "total", "capacity": absorb},
        "objective": _objective(rng, regions, priorities, pillar_ids),
    }
    base = scenario_from_dict(spec)
    plan = _reference_plan(base, size, lean)
    spec["rules"] = _rules(rng, base, plan)
    spec["objective"]["impact"]["diminishing_returns"] = _diminishing(base, plan)
    return spec, plan


def synthetic_scenario(n_regions: int, n_instruments: int, n_priorities: int, n_years: int,
                       seed: int = 0) -> Scenario:
    """The :class:`~fundsim.model.Scenario` of :func:`synthetic_spec` with the same arguments.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = synthetic_scenario(4, 2, 3, 2)
    >>> sc.instrument_ids, len(sc.region_ids), fs.solve(sc).data.attrs["status"]
    (('i01', 'i02'), 4, 'optimal')
    """
    return scenario_from_dict(synthetic_spec(n_regions, n_instruments, n_priorities, n_years, seed))
