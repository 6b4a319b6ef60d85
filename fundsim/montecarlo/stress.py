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
from fundsim.results.objective import objective_from_terms, objective_terms

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
        value += o.impact.weight * np.einsum("dpr,pr->d", numbers.weights, curve, optimize=True)
    # the terms no draw moves (leverage, goals' shortfall, admin cost), scored as compare scores a plan
    fixed = {name: term for name, term in objective_terms(sc, eu).items() if name != "impact"}
    return value + objective_from_terms(sc, fixed)


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
        due = due + np.einsum("di,irt->drt", delay, slips, optimize=True)
    return due


def _pay_region(cohorts: list[tuple[int, int, int]], profiles: dict[int, np.ndarray], commit: np.ndarray,
                factor: np.ndarray, capacity: np.ndarray, n_instruments: int) -> tuple[np.ndarray, np.ndarray]:
    """One region's cohorts ``(deadline, instrument, year)`` paid earliest deadline first through
    ``capacity`` ``(draw, year)``; ``profiles[i]`` is ``(draw, lag)`` or ``(1, lag)`` when every draw pays
    alike. Returns what each instrument loses at its deadlines ``(draw, instrument)`` and the payments left
    waiting, summed over years ``(draw,)``."""
    n = capacity.shape[0]
    lost = np.zeros((n, n_instruments))
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


def _region_capacity(sc: Scenario, absorption: np.ndarray, horizon: int) -> np.ndarray:
    """A region's drawn capacity ``(draw, year)`` extended to ``horizon`` years: after the last scenario
    year it stays at the last year's (``after_horizon: last_year``) or is unlimited."""
    last = absorption[:, -1:] if sc.absorption.after_horizon == "last_year" else np.full((len(absorption), 1),
                                                                                          np.inf)
    return np.concatenate([absorption, np.repeat(last, horizon - absorption.shape[1], axis=1)], axis=1)


def _payments(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers) -> dict[str, np.ndarray]:
    """Pay every (instrument, region, commitment-year) cohort through the drawn absorption capacity.

    Each year a region pays what falls due plus what waits, earliest deadline first, as far as its
    capacity allows (capacity counts total cost with ``basis: total``); what is unpaid at a cohort's
    deadline (commitment year + decommitment window) is lost, and so is what falls due after it.

    Only the (draw, region) pairs where what falls due in time exceeds capacity in some year need the
    year-by-year queue; elsewhere everything due in time is paid in its year and nothing waits. Arrays are
    kept region-major so that each region's draws are gathered and scattered in contiguous rows.
    """
    n, ny, nr, ni = numbers.n, len(sc.years), len(sc.regions), len(sc.instruments)
    commit = eu.sum(axis=1)  # (instrument, region, year) EU money
    total = (eu * (1 + sc.match_ratio[..., None])).sum(axis=1)
    factor = np.divide(total, commit, out=np.ones_like(total), where=commit > 0)  # ≥ 1
    if sc.absorption.basis != "total":
        factor = np.ones_like(factor)
    windows = np.array([i.decommitment_window for i in sc.instruments])
    drawn = numbers.delay is not None  # without payment delays every draw pays by the scenario's profiles
    profiles = [numbers.profile(sc, i) if drawn else np.asarray(ins.payment_profile, float)[None]
                for i, ins in enumerate(sc.instruments)]  # (draw, lag), or (1, lag)
    horizon = ny + max(int(windows.max()), max(p.shape[1] for p in profiles) - 1) + 1
    late = np.stack([p[:, w + 1:].sum(axis=1) for p, w in zip(profiles, windows, strict=True)], axis=1)
    lost = np.empty((nr, n, ni))  # (region, draw, instrument); first what falls due after the deadline
    lost[:] = commit.sum(axis=2).T[:, None, :] * late[None]
    delayed = np.zeros(n)
    due = _due_in_time(sc, numbers, commit * factor, windows, horizon)
    absorption = numbers.absorption
    short = np.any(due[:, :, :ny] > absorption * (1 - 1e-9), axis=2)  # borderline pairs take the exact queue
    if sc.absorption.after_horizon == "last_year":
        short |= np.any(due[:, :, ny:] > absorption[:, :, -1:] * (1 - 1e-9), axis=2)
    queued = np.ascontiguousarray(short.T)  # (region, draw)
    for r in range(nr):
        draws = np.flatnonzero(queued[r])
        cohorts = sorted((c + windows[i], i, c) for i in range(ni) for c in range(ny)
                         if commit[i, r, c] > 0)  # earliest deadline first
        if len(draws) == 0 or not cohorts:
            continue
        mine = {i: profiles[i][draws] if drawn else profiles[i] for i in {i for _, i, _ in cohorts}}
        capacity = _region_capacity(sc, absorption[draws, r], horizon)
        region_lost, backlog = _pay_region(cohorts, mine, commit[:, r], factor[:, r], capacity, ni)
        lost[r, draws] += region_lost
        delayed[draws] += backlog
    return {"lost": lost.transpose(1, 2, 0), "lost_rdi": lost, "delayed": delayed}


def stress_test(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers, draw_ids: np.ndarray) -> xr.Dataset:
    """Evaluate the plan ``eu`` (instrument, priority, region, year; EUR m) under every draw of ``numbers``.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.montecarlo.numbers import drawn_numbers
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> plan = fs.solve(sc).data["eu"].transpose("instrument", "priority", "region", "year").values
    >>> out = stress_test(sc, plan, drawn_numbers(sc, np.ones((1, 4))), np.arange(1))
    >>> round(float(out["realised_objective"][0]), 6), float(out["lost_to_decommitment"][0])  # the plan as planned
    (130.0, 0.0)
    """
    numbers = numbers.nonnegative()  # less than nothing reads as nothing, as in a re-optimised draw
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
    lost = flows["lost_rdi"]  # (region, draw, instrument)
    lost_by_region = lost.sum(axis=2).T  # (d, r)
    lost_by_instrument = lost.sum(axis=0)  # (d, i)
    committed_ir = eu.sum(axis=(1, 3))
    # lost money is taken pro rata from the (instrument, region)'s cells: a pillar loses lost · (its money in
    # the instrument and region) / (their money); nothing of size draw × cube is made
    pillars = np.array(sc.priority_pillars)
    in_pillar = np.stack([pillars == q for q in sc.pillar_ids]).astype(float)  # (pillar, priority)
    by_irq = np.einsum("ipr,qp->riq", eu.sum(axis=3), in_pillar)  # (region, instrument, pillar)
    share = np.divide(by_irq, committed_ir.T[..., None], out=np.zeros_like(by_irq),
                      where=committed_ir.T[..., None] > 0)
    by_pillar = by_irq.sum(axis=(0, 1))[None] - np.einsum("rdi,riq->dq", lost, share, optimize=True)
    by_region = eu.sum(axis=(0, 1, 3))[None] - lost_by_region
    money = {"units": "EUR m"}
    data = {
        "realised_objective": (("draw",), _impact(sc, eu, numbers),
                               {"units": "objective units", "long_name": "objective of the plan under the draw"}),
        "lost_to_decommitment": (("draw",), lost_by_region.sum(axis=1),
                                 {**money, "long_name": "EU money decommitted (not paid by n + window)"}),
        "lost_by_region": (("draw", "region"), lost_by_region, {**money, "long_name": "EU money lost"}),
        "lost_by_instrument": (("draw", "instrument"), lost_by_instrument, {**money, "long_name": "EU money lost"}),
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
