"""Stress-test a fixed plan: evaluate it under every draw at once, vectorised over draws.

Per draw: how far the plan's commitments exceed the drawn usable envelopes, how much co-financing the
match sources cannot raise, how payments flow through the drawn absorption capacity (payments that a
region cannot absorb wait, oldest deadline first; money still unpaid at year n + decommitment window is
decommitted and lost), the EU money that is finally spent by pillar and region, and the plan's impact
under the drawn impact weights.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from fundsim.model import Scenario
from fundsim.montecarlo.numbers import DrawnNumbers

__all__ = ["stress_test"]


def _concave(money: np.ndarray, breakpoints: tuple[float, ...], slopes: tuple[float, ...]) -> np.ndarray:
    """Σ_s slope_s · (money on segment s): the diminishing-returns curve at ``money``."""
    edges = np.array([0.0, *breakpoints, np.inf])
    on_segment = np.clip(money[..., None] - edges[:-1], 0.0, np.diff(edges))
    return (on_segment * np.asarray(slopes)).sum(axis=-1)


def _impact(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers) -> np.ndarray:
    """The plan's objective value under each draw's impact weights (money as planned)."""
    o = sc.objective
    k = sc.match_ratio[..., None]
    value = np.zeros(numbers.n)
    if o.impact is not None and numbers.weights is not None:
        basis = eu * (1 + k) if o.impact.basis == "total" else eu
        curve = _concave(basis.sum(axis=(0, 3)), o.impact.breakpoints, o.impact.slopes)  # (priority, region)
        value += o.impact.weight * np.einsum("dpr,pr->d", numbers.weights, curve)
    if o.leverage is not None:
        value += o.leverage.weight * float((eu * k).sum())
    if o.goals is not None:
        for t in o.goals.targets:
            sel = [t.selector.vector(d, labels) for d, labels in (("instrument", sc.instrument_ids),
                   ("priority", sc.priority_ids), ("region", sc.region_ids), ("year", sc.years))]
            reached = float(np.einsum("ipry,i,p,r,y->", eu, *sel))
            short = max(0.0, t.amount - reached) * t.weight * o.goals.weight
            value += short if o.sense == "min" else -short
    return value


def _due_in_time(sc: Scenario, numbers: DrawnNumbers, weight: np.ndarray, windows: np.ndarray,
                 horizon: int) -> np.ndarray:
    """Per draw, region and year: what falls due before its cohort's deadline, weighted by ``weight``
    ``(instrument, region, commitment year)``, assuming nothing waits from earlier years.

    A drawn profile is the base profile plus ``delay`` times a shift (linear in the delay), so this is a
    fixed ``(region, year)`` array plus one term per delayed instrument: no loop over draws or cohorts.
    """
    ny = len(sc.years)
    fixed = np.zeros((len(sc.regions), horizon))
    slips = np.zeros((len(sc.instruments), len(sc.regions), horizon))
    for i, ins in enumerate(sc.instruments):
        base = np.append(np.asarray(ins.payment_profile, float), 0.0)
        shift = np.insert(np.asarray(ins.payment_profile, float), 0, 0.0) - base
        for lag in range(min(int(windows[i]), len(base) - 1) + 1):
            fixed[:, lag:lag + ny] += base[lag] * weight[i]
            slips[i, :, lag:lag + ny] += shift[lag] * weight[i]
    due = np.broadcast_to(fixed, (numbers.n, *fixed.shape))
    if numbers.delay is not None:
        delay = np.clip(numbers.delay, 0.0, 1.0)
        due = due + np.einsum("di,irt->drt", delay, slips)
    return due


def _pay_region(cohorts: list[tuple[int, int, int]], profiles: list[np.ndarray], commit: np.ndarray,
                factor: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One region's cohorts ``(deadline, instrument, year)`` paid earliest deadline first through
    ``capacity`` ``(draw, year)``; returns what each instrument loses at its deadlines ``(draw, instrument)``
    and the payments left waiting, summed over years ``(draw,)``."""
    n = capacity.shape[0]
    lost = np.zeros((n, len(profiles)))
    backlog = np.zeros(n)
    waiting = {(i, c): np.zeros(n) for _, i, c in cohorts}
    for t in range(min(c for _, _, c in cohorts), max(d for d, _, _ in cohorts) + 1):
        left = capacity[:, t].copy()
        for deadline, i, c in cohorts:
            lag = t - c
            if lag < 0 or t > deadline:
                continue
            due = waiting[i, c]
            if lag < profiles[i].shape[1]:
                due += profiles[i][:, lag] * commit[i, c]
            paid = np.minimum(due, left / factor[i, c])
            left -= paid * factor[i, c]
            due -= paid
            if t == deadline:
                lost[:, i] += due
                due[:] = 0.0
            else:
                backlog += due
    return lost, backlog


def _payments(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers) -> dict[str, np.ndarray]:
    """Pay every (instrument, region, commitment-year) cohort through the drawn absorption capacity.

    Each year a region pays what falls due plus what waits, earliest deadline first, as far as its
    capacity allows (capacity counts total cost with ``basis: total``); what is unpaid at a cohort's
    deadline (commitment year + decommitment window) is lost, and so is what falls due after it.

    Only the (draw, region) pairs where what falls due in time exceeds capacity in some year need the
    year-by-year queue; elsewhere everything due in time is paid in its year and nothing waits.
    """
    n, ny, nr = numbers.n, len(sc.years), len(sc.regions)
    commit = eu.sum(axis=1)  # (instrument, region, year) EU money
    total = (eu * (1 + sc.match_ratio[..., None])).sum(axis=1)
    factor = np.divide(total, commit, out=np.ones_like(total), where=commit > 0)  # ≥ 1
    if sc.absorption.basis != "total":
        factor = np.ones_like(factor)
    windows = np.array([i.decommitment_window for i in sc.instruments])
    profiles = [numbers.profile(sc, i) for i in range(len(sc.instruments))]  # (draw, lag) each
    horizon = ny + max(int(windows.max()), max(p.shape[1] for p in profiles) - 1) + 1
    tail = numbers.absorption[:, :, -1:] if sc.absorption.after_horizon == "last_year" else np.full(
        numbers.absorption[:, :, -1:].shape, np.inf)
    capacity = np.concatenate([numbers.absorption, np.repeat(tail, horizon - ny, axis=2)], axis=2)  # (d, r, t)
    late = np.stack([p[:, w + 1:].sum(axis=1) for p, w in zip(profiles, windows, strict=True)], axis=1)
    lost = late[:, :, None] * commit.sum(axis=2)[None]  # (d, instrument, region): falls due after the deadline
    delayed = np.zeros(n)
    due = _due_in_time(sc, numbers, commit * factor, windows, horizon)
    queued = np.any(due > capacity * (1 - 1e-9), axis=2)  # (d, r); borderline pairs take the exact queue
    for r in range(nr):
        draws = np.flatnonzero(queued[:, r])
        cohorts = sorted((c + windows[i], i, c) for i in range(len(sc.instruments)) for c in range(ny)
                         if commit[i, r, c] > 0)  # earliest deadline first
        if len(draws) == 0 or not cohorts:
            continue
        region_lost, backlog = _pay_region(cohorts, [p[draws] for p in profiles], commit[:, r], factor[:, r],
                                           capacity[draws, r])
        lost[draws, :, r] += region_lost
        delayed[draws] += backlog
    return {"lost": lost, "delayed": delayed}


def stress_test(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers, draw_ids: np.ndarray) -> xr.Dataset:
    """Evaluate the plan ``eu`` (instrument, priority, region, year; EUR m) under every draw of ``numbers``."""
    k = sc.match_ratio[..., None]
    by_iy = eu.sum(axis=(1, 2))
    excess = np.maximum(by_iy[None] - numbers.usable, 0.0)  # (d, instrument, year)
    cofin = eu * k
    shortfall = np.zeros(numbers.n)
    for n, src in enumerate(sc.match_sources):
        mine = (sc.match_source_index == n)[..., None]
        need = (cofin * mine).sum(axis=(0, 1) if src.per_region else (0, 1, 2))  # (region, year) or (year,)
        shortfall += np.maximum(need[None] - numbers.match[n], 0.0).reshape(numbers.n, -1).sum(axis=1)
    flows = _payments(sc, eu, numbers)
    lost_ir = flows["lost"]  # (d, instrument, region)
    committed_ir = eu.sum(axis=(1, 3))
    spent_share = np.divide(committed_ir[None] - lost_ir, committed_ir[None], out=np.ones_like(lost_ir),
                            where=committed_ir[None] > 0)
    # lost money is taken pro rata from the (instrument, region)'s cells; nothing of size draw × cube is made
    pillars = np.array(sc.priority_pillars)
    in_pillar = np.stack([pillars == q for q in sc.pillar_ids]).astype(float)  # (pillar, priority)
    by_pillar = np.einsum("dir,iqr->dq", spent_share, np.einsum("ipr,qp->iqr", eu.sum(axis=3), in_pillar))
    by_region = np.einsum("dir,ir->dr", spent_share, committed_ir)
    money = {"units": "EUR m"}
    data = {
        "realised_objective": (("draw",), _impact(sc, eu, numbers),
                               {"units": "objective units", "long_name": "objective of the plan under the draw"}),
        "lost_to_decommitment": (("draw",), lost_ir.sum(axis=(1, 2)),
                                 {**money, "long_name": "EU money decommitted (not paid by n + window)"}),
        "lost_by_region": (("draw", "region"), lost_ir.sum(axis=1), {**money, "long_name": "EU money lost"}),
        "lost_by_instrument": (("draw", "instrument"), lost_ir.sum(axis=2), {**money, "long_name": "EU money lost"}),
        "payment_backlog": (("draw",), flows["delayed"],
                            {**money, "long_name": "payments waiting for absorption capacity, summed over years"}),
        "cofin_shortfall": (("draw",), shortfall,
                            {**money, "long_name": "co-financing the match sources cannot raise"}),
        "envelope_excess": (("draw", "instrument", "year"), excess,
                            {**money, "long_name": "commitments above the drawn usable envelope"}),
        "spent_by_pillar": (("draw", "pillar"), by_pillar, {**money, "long_name": "EU money finally spent"}),
        "spent_by_region": (("draw", "region"), by_region, {**money, "long_name": "EU money finally spent"}),
    }
    coords = {"draw": draw_ids, "instrument": list(sc.instrument_ids), "year": list(sc.years),
              "region": list(sc.region_ids), "pillar": list(sc.pillar_ids)}
    return xr.Dataset(data, coords=coords)
