"""Stress-test a fixed plan: evaluate it under every draw at once, vectorised over draws.

Per draw: how far the plan's commitments exceed the drawn usable envelopes, how much co-financing the
match sources cannot raise, how payments flow through the drawn absorption capacity, the EU money that is
finally spent by pillar and region, the plan's impact under the drawn impact weights on the money spent, and
the money ledger of the draw (what lapses or is not used, what is decommitted, what is paid beyond the payment
appropriations).

Decommitment follows each instrument's deadline (``budget.deadline``). A *payment* deadline (the n+2 rule of
the funds under shared management): payments that a region cannot absorb wait, oldest deadline first, and
what is still unpaid at the end of year n + k is decommitted. A *contracting* deadline (the n+3 of external
actions): contracts follow the instrument's contracting profile, shifted by the draw's payment delay as the
payment profile is (:meth:`~fundsim.montecarlo.numbers.DrawnNumbers.profile`); the share contracted after
year n + k is decommitted and its payments never happen, while payments of signed contracts that wait for
absorption capacity are not lost: they wait (after every cohort with a payment deadline), and what still
waits when the queue ends is outstanding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from fundsim.model import Scenario, opening_due
from fundsim.montecarlo.numbers import DrawnNumbers
from fundsim.results.ledger import UNUSED_TERMS, split_unused
from fundsim.results.objective import objective_from_terms, objective_terms
from fundsim.rules.checking import selected
from fundsim.rules.envelope import appropriations

__all__ = ["stress_test"]


def _concave(money: np.ndarray, breakpoints: tuple[float, ...], slopes: tuple[float, ...]) -> np.ndarray:
    """Σ_s slope_s · (money on segment s): the diminishing-returns curve at ``money``."""
    edges = np.array([0.0, *breakpoints, np.inf])
    on_segment = np.clip(money[..., None] - edges[:-1], 0.0, np.diff(edges))
    return (on_segment * np.asarray(slopes)).sum(axis=-1)


def _impact(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers, lost: np.ndarray) -> np.ndarray:
    """The plan's objective under each draw: the impact term on the money finally spent, under the draw's
    weights; the terms no draw moves (leverage, goals' shortfall, admin cost) on the plan as planned.

    What an (instrument, region) loses (``lost``: region, draw, instrument) is taken from its cells pro rata. The
    impact is that of the plan as planned, less, in each (draw, region) that loses money, what the curve loses
    on its priorities: nothing of size draw × priority × region is made."""
    o = sc.objective
    value = np.zeros(numbers.n)
    if o.impact is not None and numbers.weights is not None:
        basis = eu * (1 + sc.match_ratio[..., None]) if o.impact.basis == "total" else eu
        by_ipr = basis.sum(axis=3)
        planned = by_ipr.sum(axis=0)  # (priority, region)
        curve = _concave(planned, o.impact.breakpoints, o.impact.slopes)
        value += o.impact.weight * np.einsum("dpr,pr->d", numbers.weights, curve, optimize=True)
        committed_ir = eu.sum(axis=(1, 3))
        for r in range(len(sc.regions)):
            draws = np.flatnonzero(lost[r].sum(axis=1) > 0)
            if not len(draws):
                continue
            share = np.divide(lost[r, draws], committed_ir[:, r], out=np.zeros((len(draws), len(sc.instruments))),
                              where=committed_ir[:, r] > 0)  # (draw, instrument): the share lost
            spent = np.maximum(planned[:, r] - share @ by_ipr[:, :, r], 0.0)  # (draw, priority)
            drop = curve[:, r] - _concave(spent, o.impact.breakpoints, o.impact.slopes)
            value[draws] -= o.impact.weight * (numbers.weights[draws, :, r] * drop).sum(axis=1)
    fixed = {name: term for name, term in objective_terms(sc, eu).items() if name not in ("impact", "results")}
    return value + _results(sc, eu, lost) + objective_from_terms(sc, fixed)


def _results(sc: Scenario, eu: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """The results-framework term on the money finally spent, per draw: what an (instrument, region) loses
    (``lost``: region, draw, instrument) is taken from its cells pro rata, and each indicator's outputs fall with
    the money of its slice among them."""
    term = sc.objective.results
    n = lost.shape[1]
    if term is None:
        return np.zeros(n)
    total = eu * (1.0 + sc.match_ratio[..., None])
    committed_ir = eu.sum(axis=(1, 3))
    value = np.zeros(n)
    for ind in term.indicators:
        money = np.where(selected(ind.selector, sc), total if ind.basis == "total" else eu, 0.0)
        in_ir = money.sum(axis=(1, 3))  # (instrument, region): the indicator's money there
        frac = np.divide(in_ir, committed_ir, out=np.zeros_like(in_ir), where=committed_ir > 0)
        spent = in_ir.sum() - np.einsum("rdi,ir->d", lost, frac, optimize=True)
        outputs = np.maximum(spent, 0.0) / ind.unit_cost
        target = np.inf if ind.target is None else ind.target
        value += ind.value * np.minimum(outputs, target) + ind.beyond_target * np.maximum(outputs - target, 0.0)
    return term.weight * value


def _late_contracts(sc: Scenario, numbers: DrawnNumbers) -> np.ndarray:
    """Per draw and instrument, the share of a commitment contracted after year n + k (a contracting deadline;
    0 for a payment deadline): ``Σ_{j>k} c_j + delay · c_k`` for the contracting profile ``c`` with a ``delay``
    share of each year's contracts moved a year later. ``(draw, instrument)``, or ``(1, instrument)`` when no
    draw has a delay."""
    delay = None if numbers.delay is None else np.clip(numbers.delay, 0.0, 1.0)
    late = np.zeros((1 if delay is None else numbers.n, len(sc.instruments)))
    for i, ins in enumerate(sc.instruments):
        if ins.budget.deadline.kind != "contracting":
            continue
        c, k = np.asarray(ins.budget.contracted_profile(), float), ins.decommitment_window
        late[:, i] = c[k + 1:].sum()
        if delay is not None and k < len(c):
            late[:, i] += delay[:, i] * c[k]
    return late


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
                factor: np.ndarray, capacity: np.ndarray, decommits: np.ndarray, ny: int | None
                ) -> dict[str, np.ndarray]:
    """One region's cohorts ``(deadline, instrument, year)`` paid in the order given through ``capacity``
    ``(draw, year)``; ``profiles[i]`` is ``(draw, lag)`` or ``(1, lag)`` when every draw pays alike.

    Returns per draw what each instrument loses at its deadlines and what still waits at a cohort's last year
    without a payment deadline (``decommits[i]`` false), ``(draw, instrument)``; the payments left waiting,
    summed over years ``(draw,)``; and, given the number of scenario years ``ny``, what each instrument pays in
    them less what falls due then ``(instrument, year, draw)`` (the queue's change to the payments)."""
    n, ni = capacity.shape[0], len(decommits)
    out = {"lost": np.zeros((n, ni)), "outstanding": np.zeros((n, ni)), "backlog": np.zeros(n)}
    moved = np.zeros((ni, ny or 0, n))  # instrument-major: each (instrument, year) is a contiguous row
    track = ny or 0
    waiting = {(i, c): np.zeros(n) for _, i, c in cohorts}
    for t in range(min(c for _, _, c in cohorts), max(d for d, _, _ in cohorts) + 1):
        left = capacity[:, t].copy()
        for deadline, i, c in cohorts:
            lag = t - c
            if lag < 0 or t > deadline:
                continue
            due = waiting[i, c]
            if lag < profiles[i].shape[1]:
                falls = profiles[i][:, lag] * commit[i, c]
                due += falls
                if t < track:
                    moved[i, t] -= falls
            paid = np.minimum(due, left / factor[i, c])
            left -= paid * factor[i, c]
            due -= paid
            if t < track:
                moved[i, t] += paid
            if t == deadline and decommits[i]:
                out["lost"][:, i] += due
                due[:] = 0.0
            else:
                out["backlog"] += due
                if t == deadline:
                    out["outstanding"][:, i] += due
    out["moved"] = moved
    return out


def _unit_capacity(sc: Scenario, absorption: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Each planning unit's drawn capacity ``(draw, region, year)`` from the stacked capacities: its own, and
    of a capacity stated for a region planned in parts, the part in proportion to what falls due to the unit
    in time (an approximation: the queue is kept per unit, so a shared capacity is split ahead of it).

    Examples
    --------
    >>> import numpy as np
    >>> import pathlib, yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
    >>> sc = fs.scenario_from_dict(raw)  # North Africa's 25 a year is shared by Morocco and the rest
    >>> due = np.array([[[30.0, 10.0], [10.0, 10.0], [0.0, 0.0]]])  # (draw, unit, year)
    >>> stacked = np.array([[[np.inf, np.inf], [np.inf, np.inf], [np.inf, np.inf], [25.0, 25.0]]])
    >>> _unit_capacity(sc, stacked, due)[0, :2].tolist()
    [[18.75, 12.5], [6.25, 12.5]]
    """
    nr = len(sc.regions)
    if absorption.shape[1] == nr and sc.absorption.shared:  # per-unit numbers only: the shared ones as planned
        planned = sc.absorption.shared_capacity
        shared_rows = np.broadcast_to(planned, (len(absorption), *planned.shape))
        absorption = np.concatenate([absorption, shared_rows], axis=1)
    out = absorption[:, :nr].copy()
    for k, shared in enumerate(sc.absorption.shared):
        units = sc.units_of(shared.area)
        mine = due[:, units]
        total = mine.sum(axis=1, keepdims=True)
        part = np.divide(mine, total, out=np.full_like(mine, 1.0 / len(units)), where=total > 0)
        capacity = absorption[:, nr + k, None, :]
        limit = np.multiply(capacity, part, out=np.full_like(part, np.inf), where=np.isfinite(capacity))
        out[:, units] = np.minimum(out[:, units], limit)
    return out


def _region_capacity(sc: Scenario, absorption: np.ndarray, horizon: int) -> np.ndarray:
    """A region's drawn capacity ``(draw, year)`` extended to ``horizon`` years: after the last scenario
    year it stays at the last year's (``after_horizon: last_year``) or is unlimited."""
    last = absorption[:, -1:] if sc.absorption.after_horizon == "last_year" else np.full((len(absorption), 1),
                                                                                          np.inf)
    return np.concatenate([absorption, np.repeat(last, horizon - absorption.shape[1], axis=1)], axis=1)


def _scheduled(commit: np.ndarray, profiles: list[np.ndarray], windows: np.ndarray, ny: int) -> np.ndarray:
    """What falls due in each scenario year by instrument, ``(draw or 1, instrument, year)``, on lags within
    each instrument's ``windows`` (the payments when nothing waits)."""
    by_iy = commit.sum(axis=1)  # (instrument, commitment year)
    out = np.zeros((max(p.shape[0] for p in profiles), len(profiles), ny))
    for i, p in enumerate(profiles):
        for lag in range(min(p.shape[1] - 1, int(windows[i]), ny - 1) + 1):
            out[:, i, lag:] += p[:, lag, None] * by_iy[i, None, :ny - lag]
    return out


def _payments(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers, paid: bool | None = None
              ) -> dict[str, Any]:
    """Pay every (instrument, region, commitment-year) cohort through the drawn absorption capacity.

    Each year a region pays what falls due plus what waits, earliest payment deadline first (cohorts of a
    contracting deadline after them, oldest first), as far as its capacity allows (capacity counts total cost
    with ``basis: total``). A payment deadline: what is unpaid at a cohort's deadline (commitment year +
    decommitment window) is lost, and so is what falls due after it. A contracting deadline: what is contracted
    after the deadline is lost and never paid (the cohort's payments are scaled down); the rest waits as long
    as the queue runs (the last scenario year + the longest window or payment profile), and what is unpaid then
    is outstanding. With ``paid`` (by default: when an instrument's payment appropriations are limited), also
    what each instrument pays in each scenario year ``(draw, instrument, year)``.

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
    decommits = np.array([i.budget.deadline.kind == "payment" for i in sc.instruments])
    drawn = numbers.delay is not None  # without payment delays every draw pays by the scenario's profiles
    contracts = _late_contracts(sc, numbers)  # (draw or 1, instrument)
    profiles = [(numbers.profile(sc, i) if drawn else np.asarray(ins.payment_profile, float)[None])
                * (1.0 if decommits[i] else 1.0 - contracts[:, i, None])
                for i, ins in enumerate(sc.instruments)]  # (draw, lag), or (1, lag); only what is contracted pays
    horizon = ny + max(int(windows.max()), max(p.shape[1] for p in profiles) - 1) + 1
    windows = np.where(decommits, windows, horizon)  # a contracting cohort's payments wait as long as the queue runs
    late = np.stack([p[:, w + 1:].sum(axis=1) if decommits[i] else contracts[:, i]
                     for i, (p, w) in enumerate(zip(profiles, windows, strict=True))], axis=1)
    lost = np.empty((nr, n, ni))  # (region, draw, instrument); first what falls due after the deadline
    lost[:] = commit.sum(axis=2).T[:, None, :] * late[None]
    delayed, outstanding = np.zeros(n), np.zeros((n, ni))
    if paid is None:
        paid = any(i.budget.payment_appropriations is not None for i in sc.instruments)
    by_year = np.broadcast_to(_scheduled(commit, profiles, windows, ny), (n, ni, ny)).copy() if paid else None
    due = _due_in_time(sc, numbers, commit * factor, windows, horizon)
    absorption = _unit_capacity(sc, numbers.absorption, due[:, :, :ny])
    short = np.any(due[:, :, :ny] > absorption * (1 - 1e-9), axis=2)  # borderline pairs take the exact queue
    if sc.absorption.after_horizon == "last_year":
        short |= np.any(due[:, :, ny:] > absorption[:, :, -1:] * (1 - 1e-9), axis=2)
    queued = np.ascontiguousarray(short.T)  # (region, draw)
    for r in range(nr):
        draws = np.flatnonzero(queued[r])
        # earliest payment deadline first; a contracting cohort's "deadline" c + horizon puts it after all of
        # those, oldest first, and its payments wait to the queue's last year
        cohorts = [(min(d, horizon - 1), i, c) for d, i, c in sorted(
            (c + windows[i], i, c) for i in range(ni) for c in range(ny) if commit[i, r, c] > 0)]
        if len(draws) == 0 or not cohorts:
            continue
        mine = {i: profiles[i][draws] if profiles[i].shape[0] > 1 else profiles[i] for _, i, _ in cohorts}
        capacity = _region_capacity(sc, absorption[draws, r], horizon)
        queue = _pay_region(cohorts, mine, commit[:, r], factor[:, r], capacity, decommits, ny if paid else None)
        lost[r, draws] += queue["lost"]
        delayed[draws] += queue["backlog"]
        outstanding[draws] += queue["outstanding"]
        if by_year is not None:
            by_year[draws] += queue["moved"].transpose(2, 0, 1)
    return {"lost": lost.transpose(1, 2, 0), "lost_rdi": lost, "delayed": delayed, "outstanding": outstanding,
            "paid": by_year}


def _unused(sc: Scenario, committed: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Commitment appropriations the plan leaves unused under each draw's usable money ``(draw, instrument,
    year)``, its commitments ``committed`` ``(instrument, year)`` fixed.

    The balance of :mod:`fundsim.rules.envelope` at its best, vectorised over draws: each year carries over
    what later years commit beyond their own money, within its carry-over limit (a budget instrument's share of
    its drawn appropriations; a fund everything before its cut-off), and leaves the rest unused. Without
    carry-over this is ``max(0, usable − committed)`` year by year.
    """
    got = appropriations(sc)
    if not got["carry_limit"].any() and not got["carried_in0"].any():  # nothing is ever carried
        return np.maximum(usable - committed[None], 0.0)
    fund = np.array([i.budget.nature == "fund" for i in sc.instruments])[:, None]
    share = np.array([i.budget.carry_share for i in sc.instruments])[:, None]
    # a budget instrument carries its share of the drawn money, except where it may carry nothing (the last year)
    carry = np.where(fund, got["carry_limit"], share * usable * (got["carry_limit"] > 0))
    ny = committed.shape[1]
    wanted, need = np.zeros(usable.shape), np.zeros(usable.shape[:2])
    for y in range(ny - 1, -1, -1):  # what year y + 1 needs from year y
        wanted[..., y] = need
        need = np.maximum(0.0, committed[:, y] + np.minimum(need, carry[..., y]) - usable[..., y])
    unused, come_in = np.zeros(usable.shape), np.broadcast_to(got["carried_in0"], usable.shape[:2])
    for y in range(ny):
        left = np.maximum(0.0, usable[..., y] + come_in - committed[:, y])
        out = np.where(got["unused_limit"][:, y] == 0, left, np.minimum(left, wanted[..., y]))
        come_in = np.minimum(out, carry[..., y])
        unused[..., y] = left - come_in
    return unused


def _beyond_appropriations(sc: Scenario, paid: np.ndarray | None, n: int) -> np.ndarray:
    """``Σ_year max(0, payments − payment appropriations)`` per draw and instrument, the payments ``paid``
    ``(draw, instrument, year)`` of the plan's commitments plus those falling due on the opening RAL (as
    scheduled: they do not queue for absorption, as in the LP); ``None``: nothing is limited."""
    pa = np.stack([np.full(len(sc.years), np.inf) if i.budget.payment_appropriations is None
                   else np.asarray(i.budget.payment_appropriations, float) for i in sc.instruments])
    limited = np.flatnonzero(np.isfinite(pa).any(axis=1))
    out = np.zeros((n, len(sc.instruments)))
    if len(limited) and paid is not None:
        opening = np.stack([opening_due(sc.instruments[i].payment_profile, sc.instruments[i].budget.opening,
                                        sc.years)[0] for i in limited])
        out[:, limited] = np.maximum(paid[:, limited] + opening[None] - pa[limited][None], 0.0).sum(axis=2)
    return out


def _ledger(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers, flows: dict[str, Any]) -> dict[str, Any]:
    """The money ledger of each draw: unused appropriations by budget nature, payments beyond appropriations,
    payments outstanding when the queue ends (instrument-level arrays with a leading ``draw`` dimension)."""
    money = {"units": "EUR m"}
    parts = split_unused(sc, _unused(sc, eu.sum(axis=(1, 2)), numbers.usable).sum(axis=2, keepdims=True))
    words = {"lapsed": "commitment appropriations the plan leaves unused under the draw's usable money, lapsed",
             "not_used": "usable money the plan leaves under the draw, not used for this policy (returns to the "
                         "instrument's other objectives)",
             "lost_at_cutoff": "money a fund has under the draw beyond the plan's commitments, lost at its cut-off"}
    dims = ("draw", "instrument")
    data: dict[str, Any] = {f"{term}_by_instrument": (dims, parts[term].sum(axis=2),
                                                      {**money, "long_name": words[term]}) for term in UNUSED_TERMS}
    data["lapsed"] = (("draw",), parts["lapsed"].sum(axis=(1, 2)), {**money, "long_name": words["lapsed"]})
    data["payments_beyond_appropriations"] = (
        dims, _beyond_appropriations(sc, flows["paid"], numbers.n),
        {**money, "long_name": "payments above the payment appropriations (opening RAL included), summed over "
                               "the years"})
    data["outstanding_by_instrument"] = (
        dims, flows["outstanding"],
        {**money, "long_name": "payments of signed contracts still waiting for absorption capacity when the "
                               "queue ends (a contracting deadline: not decommitted)"})
    return data


def stress_test(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers, draw_ids: np.ndarray) -> xr.Dataset:
    """Evaluate the plan ``eu`` (instrument, priority, region, year; EUR m) under every draw of ``numbers``.

    ``realised_objective`` is the plan's objective under the draw with the money lost to decommitment buying
    nothing: what an (instrument, region) loses is taken from its cells in proportion to their money (as
    ``spent_by_pillar`` takes it), and the impact term (its concave curve per priority and region, on EU money
    or total cost as the scenario says) is evaluated on the money that is spent, under the draw's weights. The
    terms no draw moves (leverage, goals' shortfall, admin cost) are those of the plan as planned. Money that
    lapses was never committed, so it is in no cell: with no loss and the plan's own weights, the realised
    objective is the plan's objective, and a loss can only lower it.

    The ledger of each draw: ``lapsed_by_instrument``, ``not_used_by_instrument`` and
    ``lost_at_cutoff_by_instrument`` are the commitment appropriations the fixed commitments leave unused under
    the draw's usable money (each instrument counted under its budget nature, as the allocation's ledger
    counts it; ``lapsed`` their sum over instruments of lapsed money); ``lost_by_instrument`` what is
    decommitted; ``payments_beyond_appropriations`` the payments made in each scenario year (through the
    drawn absorption, with the opening RAL's payments as scheduled) above the payment appropriations, summed
    over the years; ``outstanding_by_instrument`` what waits for absorption when the queue ends.

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
    >>> float(out["lapsed"][0])  # the plan commits all 60 of its appropriations
    0.0
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
        if src.per_region:  # and what the regions planned in parts draw together
            need = sc.capacity_cover(src.shared) @ need
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
        "realised_objective": (("draw",), _impact(sc, eu, numbers, lost),
                               {"units": "objective units", "long_name": "objective of the plan under the draw"}),
        "lost_to_decommitment": (("draw",), lost_by_region.sum(axis=1),
                                 {**money, "long_name": "EU money decommitted (not paid, or not contracted, by "
                                                        "its deadline n + k)"}),
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
        **_ledger(sc, eu, numbers, flows),
    }
    coords = {"draw": draw_ids, "instrument": list(sc.instrument_ids), "year": list(sc.years),
              "region": list(sc.region_ids), "pillar": list(sc.pillar_ids)}
    return xr.Dataset(data, coords=coords)
