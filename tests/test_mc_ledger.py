"""The money ledger per Monte Carlo draw (issue 14): decommitment by deadline kind, the realised objective on the
money spent, lapsed and unused money, payments beyond appropriations, and the planner's summaries — each worked
by hand on a tiny scenario (one instrument ``f``, one priority ``p``, one region ``r``), plus the stress
shortcut against the full payment queue with contracting deadlines."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pytest
import xarray as xr

import fundsim as fs
from fundsim.montecarlo import Evaluation, chance, expected, run_values, stress, summary
from fundsim.montecarlo import numbers as nb


def tiny(years: list[int], envelope: Any, budget: dict | None = None, *, absorption: Any = 1000.0,
         profile: list[float] | None = None, parameters: list[dict] | None = None, weights: Any = 1.0,
         returns: dict | None = None, basis: str = "eu", max_eu_share: float = 1.0,
         usable_share: float | None = None, after_horizon: str = "last_year") -> dict:
    """One instrument ``f`` funding priority ``p`` in region ``r``; impact ``weights`` per EUR m; by default one
    uncertain number that changes nothing (r's absorption times exactly 1)."""
    instrument: dict[str, Any] = {"id": "f", "envelope": envelope, "payment_profile": profile or [1.0]}
    if budget is not None:
        instrument["budget"] = budget
    if usable_share is not None:
        instrument["usable_share"] = usable_share
    if max_eu_share < 1:
        instrument["cofinancing"] = {"max_eu_share": max_eu_share, "match_source": "ms"}
    impact: dict[str, Any] = {"weights": weights if isinstance(weights, dict) else {"default": weights},
                              "basis": basis}
    if returns is not None:
        impact["diminishing_returns"] = returns
    return {
        "name": "tiny", "years": years, "pillars": [{"id": "q"}], "priorities": [{"id": "p", "pillar": "q"}],
        "regions": [{"id": "r", "group": "south"}], "match_sources": [{"id": "ms", "capacity": 1000}],
        "instruments": [instrument], "objective": {"impact": impact},
        "absorption": {"basis": basis, "capacity": {"r": absorption}, "after_horizon": after_horizon},
        "uncertainty": {"parameters": parameters or [TIMES_ONE]},
    }


TIMES_ONE = {"id": "cap", "path": "absorption.capacity.r", "mode": "multiplicative",
             "distribution": {"kind": "discrete", "values": [1.0], "probabilities": [1.0]}}
CAPACITY = {"id": "cap", "path": "absorption.capacity.r", "mode": "absolute",
            "distribution": {"kind": "uniform", "low": 0.0, "high": 2000.0}}
CAPACITY_TIMES = {"id": "cap", "path": "absorption.capacity.r", "mode": "multiplicative",
                  "distribution": {"kind": "uniform", "low": 0.0, "high": 2.0}}
DELAY = {"id": "delay", "path": "instruments.f.payment_delay", "mode": "absolute",
         "distribution": {"kind": "uniform", "low": 0.0, "high": 1.0}}
ENVELOPE = {"id": "env", "path": "instruments.f.envelope", "mode": "multiplicative",
            "distribution": {"kind": "uniform", "low": 0.5, "high": 2.0}}


def plan(sc: fs.Scenario, amounts: dict[int, float] | dict[tuple[str, str, int], float]) -> xr.Dataset:
    """EU money per year in (f, p, r), or per (instrument, priority, year) in r."""
    eu = xr.DataArray(np.zeros(sc.eligible.shape), coords=sc.coords(), dims=list(sc.coords()))
    for key, amount in amounts.items():
        i, p, year = key if isinstance(key, tuple) else ("f", "p", key)
        eu.loc[i, p, "r", year] = amount
    return fs.results.allocation_dataset(sc, eu.values)


def stressed(data: dict, amounts: dict, values: list[list[float]]) -> xr.Dataset:
    """The plan ``amounts`` stress-tested at the given values of the uncertain parameters (one row a point)."""
    sc = fs.scenario_from_dict(data)
    return run_values(sc, np.array(values, dtype=float), Evaluation("stress", plan=plan(sc, amounts)))


def of_f(run: xr.Dataset, name: str) -> list[float]:
    return [round(float(v), 9) for v in run[name].sel(instrument="f").values]


CONTRACTING = {"deadline": {"kind": "contracting", "years": 1}, "contracting_profile": [0.6, 0.4]}
PAYMENT = {"deadline": {"kind": "payment", "years": 1}}


# ---- 1a: decommitment by deadline kind ---------------------------------------------------------------------
def test_a_delay_pushes_contracts_past_the_deadline_and_their_payments_never_happen() -> None:
    """Contracts within n+1, 60 % in the commitment year and 40 % the next; 50 committed in 2009. A delay of 0.5
    moves half of each year's contracts a year later: (0.3, 0.5, 0.2), so 0.2 · 50 = 10 is contracted in 2011,
    after the deadline, and decommitted. The payments follow the contracts (paid 60/40 %, delayed alike: 0.3, 0.5,
    0.2) scaled to the 40 contracted: 12 in 2009, 20 in 2010, 8 in 2011; ample absorption pays them. Without a
    delay nothing is late."""
    data = tiny([2009], 100, CONTRACTING, parameters=[DELAY], profile=[0.6, 0.4])
    run = stressed(data, {2009: 50.0}, [[0.5], [0.0]])
    assert of_f(run, "lost_by_instrument") == [10.0, 0.0]
    np.testing.assert_allclose(run["lost_to_decommitment"], [10.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(run["spent_by_region"].sel(region="r"), [40.0, 50.0], atol=1e-12)
    assert of_f(run, "outstanding_by_instrument") == [0.0, 0.0]
    np.testing.assert_allclose(run["payment_backlog"], 0.0, atol=1e-12)


def test_the_same_delay_under_a_payment_deadline_loses_nothing_with_ample_absorption() -> None:
    """A payment deadline n+1: the delay moves half of the 50 into 2010, within the deadline; all is paid."""
    run = stressed(tiny([2009], 100, PAYMENT, parameters=[DELAY]), {2009: 50.0}, [[0.5], [1.0]])
    assert of_f(run, "lost_by_instrument") == [0.0, 0.0]
    np.testing.assert_allclose(run["spent_by_region"].sel(region="r"), 50.0, atol=1e-12)


@pytest.mark.parametrize(("capacity", "lost", "outstanding", "backlog"), [
    (10.0, {"payment": 10.0, "contracting": 0.0}, {"payment": 0.0, "contracting": 0.0},
     {"payment": 20.0, "contracting": 30.0}),
    (5.0, {"payment": 20.0, "contracting": 0.0}, {"payment": 0.0, "contracting": 15.0},
     {"payment": 25.0, "contracting": 60.0})])
def test_waiting_payments_are_lost_under_a_payment_deadline_not_a_contracting_one(
        capacity: float, lost: dict[str, float], outstanding: dict[str, float], backlog: dict[str, float]) -> None:
    """30 committed in 2009 and all contracted then (no delay), paid at once, deadline n+1; r absorbs
    ``capacity`` a year (and as much after the last year). The queue runs 2009–2011 (the last year, the window of
    1 and one year more).

    * capacity 10. Payment deadline: 10 paid in 2009 (20 wait), 10 in 2010, the deadline: 10 lost; waiting 20.
      Contracting: 10 a year in 2009, 2010 and 2011, nothing lost; waiting 20 + 10 + 0 = 30.
    * capacity 5. Payment: 5 + 5 paid, 20 lost; waiting 25. Contracting: 5 a year, 15 still waiting at the end
      of 2011 (outstanding, not lost); waiting 25 + 20 + 15 = 60.
    """
    for kind in ("payment", "contracting"):
        budget = {"deadline": {"kind": kind, "years": 1}}
        run = stressed(tiny([2009], 100, budget, parameters=[CAPACITY]), {2009: 30.0}, [[capacity]])
        assert of_f(run, "lost_by_instrument") == [lost[kind]], kind
        assert of_f(run, "outstanding_by_instrument") == [outstanding[kind]], kind
        np.testing.assert_allclose(run["payment_backlog"], [backlog[kind]], atol=1e-12)
        np.testing.assert_allclose(run["spent_by_region"].sel(region="r"), [30.0 - lost[kind]], atol=1e-12)


def test_cohorts_with_a_payment_deadline_are_paid_before_those_without() -> None:
    """In r, b (contracting by n+1, listed first) and a (payment by n+1) commit 20 each in 2009, paid at once;
    r absorbs 10 a year. a's payments have a deadline, b's wait without loss: 2009 and 2010 pay a's 20, so a
    loses nothing; 2011 pays 10 of b, and 10 of b is still waiting when the queue ends."""
    data = tiny([2009], 100, parameters=[CAPACITY])
    data["instruments"] = [{"id": "b", "envelope": 100, "budget": {"deadline": {"kind": "contracting", "years": 1}}},
                           {"id": "a", "envelope": 100, "budget": {"deadline": {"kind": "payment", "years": 1}}}]
    run = stressed(data, {("b", "p", 2009): 20.0, ("a", "p", 2009): 20.0}, [[10.0]])
    np.testing.assert_allclose(run["lost_by_instrument"], [[0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(run["outstanding_by_instrument"], [[10.0, 0.0]], atol=1e-12)


def _full_queue(sc: fs.Scenario, eu: np.ndarray, numbers: nb.DrawnNumbers) -> dict[str, np.ndarray]:
    """Every draw, region and cohort queued in every year (no shortcut), with both deadline kinds: the oracle.

    A payment deadline decommits what is unpaid at n + k and what falls due after; a contracting deadline
    decommits the contracts signed after n + k (the contracting profile with the draw's delay) and scales the
    cohort's payments by what is contracted in time, which then wait without deadline after all cohorts with
    one. Returns what is lost (draw, instrument, region), waiting at the end (draw, instrument) and paid in the
    scenario years (draw, instrument, year)."""
    n, ny, ni, nr = numbers.n, len(sc.years), len(sc.instruments), len(sc.regions)
    commit = eu.sum(axis=1)
    windows = [ins.decommitment_window for ins in sc.instruments]
    payment = [ins.budget.deadline.kind == "payment" for ins in sc.instruments]
    delay = np.clip(numbers.delay, 0, 1) if numbers.delay is not None else np.zeros((n, ni))
    in_time = np.ones((n, ni))
    for i, ins in enumerate(sc.instruments):
        if not payment[i]:
            c = np.asarray(ins.budget.contracted_profile())
            drawn = (1 - delay[:, i, None]) * np.append(c, 0)[None] + delay[:, i, None] * np.insert(c, 0, 0)[None]
            in_time[:, i] = drawn[:, : windows[i] + 1].sum(axis=1)
    profiles = [numbers.profile(sc, i) * in_time[:, i, None] for i in range(ni)]
    horizon = ny + max(max(windows), max(p.shape[1] for p in profiles) - 1) + 1
    own = numbers.absorption[:, : len(sc.regions)]  # each planning unit's own drawn capacity
    capacity = np.concatenate([own, np.repeat(own[:, :, -1:], horizon - ny, axis=2)],
                              axis=2)
    order = sorted((c + windows[i], i, c) for i in range(ni) for c in range(ny) if payment[i])
    order += sorted(((horizon - 1, i, c) for i in range(ni) for c in range(ny) if not payment[i]),
                    key=lambda x: (x[2], x[1]))
    lost = np.zeros((n, ni, nr))
    lost += np.stack([(1 - in_time[:, i])[:, None] * commit[i].sum(axis=1)[None] for i in range(ni)], axis=1)
    waiting = {(i, c): np.zeros((n, nr)) for _, i, c in order}
    paid = np.zeros((n, ni, ny))
    for t in range(horizon):
        left = capacity[:, :, t].copy()
        for deadline, i, c in order:
            lag = t - c
            if lag < 0:
                continue
            due = waiting[i, c]
            if lag < profiles[i].shape[1]:
                due += profiles[i][:, lag, None] * commit[i, :, c][None]
            if t > deadline:
                lost[:, i] += due
                due[:] = 0.0
                continue
            pay = np.minimum(due, left)
            left -= pay
            due -= pay
            if t < ny:
                paid[:, i, t] += pay.sum(axis=1)
            if t == deadline and payment[i]:
                lost[:, i] += due
                due[:] = 0.0
    outstanding = np.zeros((n, ni))
    for (i, _), due in waiting.items():
        outstanding[:, i] += due.sum(axis=1)
    return {"lost": lost, "outstanding": outstanding, "paid": paid}


def test_the_payment_shortcut_equals_the_full_queue_with_contracting_deadlines() -> None:
    """The reference scenario with the external instruments on n+3 contracting deadlines (contracting profile
    50/30/20 %), drawn absorption from 0.2× to 1.5× of planned and payment delays from 0 to 1: the stress test,
    which queues only the (draw, region) pairs where something can wait, equals the full queue in what is lost,
    what is outstanding and what is paid each year."""
    base = fs.load_scenario("scenarios/gam-2008.yaml")
    eu = fs.solve(base).data["eu"].transpose("instrument", "priority", "region", "year").values
    external = {"tpma", "edf10", "enpi", "dci_geo", "ipa", "ifs"}  # the funds keep their n+2 payment rule
    contracting = fs.model.Deadline("contracting", 3)
    instruments = tuple(dataclasses.replace(ins, decommitment_window=3, budget=dataclasses.replace(
        ins.budget, deadline=contracting, contracting_profile=(0.5, 0.3, 0.2))) if ins.id in external else ins
        for ins in base.instruments)
    sc = base.evolve(instruments=instruments, absorption=dataclasses.replace(base.absorption, basis="eu"))
    assert {i.budget.deadline.kind for i in sc.instruments} == {"payment", "contracting"}
    rng = np.random.default_rng(14)
    n = 300
    usable = np.repeat(np.stack([i.usable for i in sc.instruments])[None], n, axis=0)
    absorption = sc.absorption.capacity[None] * rng.uniform(0.2, 1.5, (n, *sc.absorption.capacity.shape))
    # the regions planned in parts keep no shared capacity here (the oracle queues each unit on its own drawn
    # capacity; the split of a shared one is fundsim.montecarlo.stress._unit_capacity's, tested on its own)
    absorption = np.concatenate([absorption, np.full((n, len(sc.absorption.shared), len(sc.years)), np.inf)],
                                axis=1)
    drawn = nb.DrawnNumbers(usable, tuple(np.repeat(s.capacity[None], n, axis=0) for s in sc.match_sources),
                            absorption, None, rng.uniform(0, 1, (n, len(sc.instruments))))
    fast = stress._payments(sc, eu, drawn, paid=True)
    slow = _full_queue(sc, eu, drawn)
    assert slow["lost"].sum() > 0 and slow["outstanding"].sum() > 0  # both kinds matter in these draws
    np.testing.assert_allclose(fast["lost"], slow["lost"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast["outstanding"], slow["outstanding"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast["paid"], slow["paid"], rtol=1e-9, atol=1e-9)


# ---- 1b: the realised objective buys nothing with lost money ---------------------------------------------
HALVING = {"breakpoints": [15], "slopes": [1.0, 0.5]}


@pytest.mark.parametrize(("returns", "basis", "capacity", "expected", "planned"), [
    (None, "eu", 10.0, 20.0, 60.0),
    (HALVING, "eu", 10.0, 10.0, 22.5),
    (HALVING, "eu", 20.0, 17.5, 22.5),
    (HALVING, "total", 20.0, 17.5, 37.5)])
def test_the_realised_objective_is_the_impact_of_the_money_spent(returns: dict | None, basis: str, capacity: float,
                                                                 expected: float, planned: float) -> None:
    """30 committed in 2009, paid at once, payment deadline n+0; r absorbs ``capacity`` (or 1000: nothing lost).

    * linear, weight 2, EU basis, capacity 10: 10 spent, 20 lost: 2 · 10 = 20 (the plan: 2 · 30 = 60);
    * returns halving past 15, weight 1, capacity 10: 10 spent: 10 (the plan: 15 + 0.5 · 15 = 22.5);
    * the same, capacity 20: 15 + 0.5 · 5 = 17.5;
    * on total cost with an EU share of 50 % (1 of match per EUR m; capacity counts total cost too): 20 of the
      plan's 60 of total cost absorbed, so 10 EU money spent and 20 lost; 20 of total cost: 15 + 0.5 · 5 = 17.5
      (the plan: 60 of total cost, 15 + 0.5 · 45 = 37.5).
    """
    data = tiny([2009], 100, {"deadline": {"kind": "payment", "years": 0}}, parameters=[CAPACITY],
                weights=2.0 if returns is None else 1.0, returns=returns, basis=basis,
                max_eu_share=0.5 if basis == "total" else 1.0)
    run = stressed(data, {2009: 30.0}, [[capacity], [1000.0]])
    np.testing.assert_allclose(run["realised_objective"], [expected, planned], rtol=1e-12)
    np.testing.assert_allclose(run["lost_to_decommitment"], [30.0 - capacity * (0.5 if basis == "total" else 1), 0],
                               atol=1e-12)


def test_lost_money_is_taken_from_the_cells_pro_rata() -> None:
    """p1 (weight 1) gets 10 and p2 (weight 3) 20 in r in 2009, paid at once, n+0; r absorbs 15: half is lost,
    from each cell alike: 5 of p1 and 10 of p2 are spent, worth 5 + 30 = 35 (the plan: 70)."""
    data = tiny([2009], 100, {"deadline": {"kind": "payment", "years": 0}}, parameters=[CAPACITY],
                weights={"default": 1.0, "by_priority": {"p2": 3.0}})
    data["priorities"] = [{"id": "p1", "pillar": "q"}, {"id": "p2", "pillar": "q"}]
    run = stressed(data, {("f", "p1", 2009): 10.0, ("f", "p2", 2009): 20.0}, [[15.0], [30.0]])
    np.testing.assert_allclose(run["realised_objective"], [35.0, 70.0], rtol=1e-12)
    np.testing.assert_allclose(run["lost_to_decommitment"], [15.0, 0.0], atol=1e-12)


def test_the_realised_objective_never_exceeds_the_plans_when_only_losses_move() -> None:
    """The optimum of a two-year plan with diminishing returns, stressed under capacities from 0 to 2× planned
    (weights not drawn): every draw is worth at most the plan's objective, the draws that lose money less, and
    those that lose nothing exactly as much."""
    data = tiny([2009, 2010], 40, {"deadline": {"kind": "payment", "years": 1}}, absorption=30,
                profile=[0.5, 0.5], parameters=[CAPACITY_TIMES], returns={"breakpoints": [20], "slopes": [1.0, 0.4]})
    sc = fs.scenario_from_dict(data)
    best = fs.solve(sc)
    run = fs.simulate(sc, draws=200, seed=14, evaluation=Evaluation("stress", plan=best))
    realised, lost = run["realised_objective"].values, run["lost_to_decommitment"].values
    assert (lost > 1e-6).any() and (lost < 1e-9).any()
    assert (realised <= best.objective + 1e-9).all()
    assert (realised[lost > 1e-6] < best.objective - 1e-9).all()
    np.testing.assert_allclose(realised[lost < 1e-12], best.objective, rtol=1e-12)


def test_the_realised_objective_is_the_impact_value_of_the_cube_spent() -> None:
    """The reference optimum under 60 drawn absorption capacities and impact weights: each draw's realised
    objective is :func:`fundsim.results.objective.impact_value` (its own implementation of the curve) of the
    cube actually spent — every (instrument, region)'s cells scaled by 1 − lost / committed — under the draw's
    weights, plus the plan's other terms. Every instrument is given a payment deadline (n+3 read as a payment
    deadline, the reading the reference scenario dropped), so that waiting payments are lost in many draws."""
    from fundsim.results.objective import impact_value, objective_from_terms, objective_terms

    spec = copy.deepcopy(fs.load_scenario("scenarios/gam-2008-uncertain.yaml").spec)
    for ins in spec["instruments"]:
        budget = ins.get("budget", {})
        budget.pop("contracting_profile", None)
        budget["deadline"] = {"kind": "payment", "years": budget.get("deadline", {}).get("years", 2)}
    sc = fs.scenario_from_dict(spec)
    best = fs.solve(sc)
    eu = best.data["eu"].transpose("instrument", "priority", "region", "year").values
    run = fs.simulate(sc, draws=60, seed=3, evaluation=Evaluation("stress", plan=best))
    numbers = nb.drawn_numbers(sc, run["parameter_value"].values)
    lost = run["lost_by_instrument"].values  # by instrument only: rebuild (instrument, region) from the regions
    assert (lost.sum(axis=1) > 0).sum() >= 5, "draws that lose money"
    flows = stress._payments(sc, eu, numbers.nonnegative())["lost"]  # (draw, instrument, region)
    np.testing.assert_allclose(flows.sum(axis=2), lost, atol=1e-9)
    committed = eu.sum(axis=(1, 3))
    others = {k: v for k, v in objective_terms(sc, eu).items() if k != "impact"}
    for d in range(60):
        kept = 1 - np.divide(flows[d], committed, out=np.zeros_like(committed), where=committed > 0)
        spent = eu * kept[:, None, :, None]
        impact = impact_value(nb.scenario_of_draw(sc, numbers, d), spent)
        assert run["realised_objective"].values[d] == pytest.approx(
            objective_from_terms(sc, {**others, "impact": impact}), rel=1e-10)


# ---- 1c and 2: lapsed and unused money per draw -------------------------------------------------------------
@pytest.mark.parametrize(("usable_share", "term"), [(None, "lapsed"), (0.5, "not_used")])
def test_money_a_draw_adds_lapses_in_stress_and_is_committed_as_far_as_absorption_allows_when_reoptimised(
        usable_share: float | None, term: str) -> None:
    """Usable money 20 a year in 2009–2010 (an envelope of 20, or half of 40), r absorbs 30 a year: the plan
    commits all 20 a year and leaves nothing. A draw doubles the envelope: 40 usable a year.

    * stress: the plan's 20 a year stay fixed, 20 a year is left: 40 in all;
    * re-optimised: the draw's plan commits 30 a year (absorption binds) and leaves 10 a year: 20 in all.

    With the whole envelope usable what is left lapses; with half of it, it is not used for this policy (it
    returns to the instrument's other objectives) and nothing lapses. At the plan's own numbers nothing is
    left in either mode."""
    double = {**ENVELOPE, "distribution": {"kind": "discrete", "values": [2.0], "probabilities": [1.0]}}
    data = tiny([2009, 2010], 20 if usable_share is None else 40, absorption=30, parameters=[double],
                usable_share=usable_share)
    sc = fs.scenario_from_dict(data)
    best = fs.solve(sc)
    assert best.data["eu"].sum().item() == pytest.approx(40.0)
    points = np.array([[2.0], [1.0]])
    stress_run = run_values(sc, points, Evaluation("stress", plan=best))
    reopt = run_values(sc, points)
    other = "not_used" if term == "lapsed" else "lapsed"
    assert of_f(stress_run, f"{term}_by_instrument") == [40.0, 0.0]
    assert of_f(reopt, f"{term}_by_instrument") == [20.0, 0.0]
    for run, left in ((stress_run, 40.0), (reopt, 20.0)):
        assert of_f(run, f"{other}_by_instrument") == [0.0, 0.0]
        assert of_f(run, "lost_at_cutoff_by_instrument") == [0.0, 0.0]
        np.testing.assert_allclose(run["lapsed"], [left if term == "lapsed" else 0.0, 0.0], atol=1e-9)
        assert run["lapsed"].attrs["units"] == "EUR m" and "lapsed" in run["lapsed"].attrs["long_name"]
    # payments within appropriations are rows of the re-optimised LP: that mode stores no such variable
    assert "payments_beyond_appropriations" not in reopt and "payments_beyond_appropriations" in stress_run


def test_a_carry_over_keeps_the_plans_money_from_lapsing_under_the_draw() -> None:
    """40 voted in 2009 and 10 in 2010, a quarter may be carried over; r absorbs 30 then 20. The plan commits 30
    and 20, carrying 10 into 2010: nothing lapses at its own numbers (not the 10 of 2009 that ``usable −
    committed`` would say). A draw of 1.5×: 60 and 15 voted, 2010 needs 5 carried in (within 15), 2009 lapses
    60 − 30 − 5 = 25. A draw of 0.5×: 20 and 5, less than the plan commits (10 and 15 above): nothing lapses."""
    data = tiny([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25}, absorption={2009: 30, 2010: 20},
                parameters=[ENVELOPE])
    sc = fs.scenario_from_dict(data)
    best = fs.solve(sc)
    assert [float(v) for v in best.data["eu"].sum(("instrument", "priority", "region")).values] == \
        pytest.approx([30.0, 20.0])
    run = run_values(sc, np.array([[1.0], [1.5], [0.5]]), Evaluation("stress", plan=best))
    assert of_f(run, "lapsed_by_instrument") == [0.0, 25.0, 0.0]


def test_a_fund_loses_what_is_left_at_its_cutoff_under_the_draw() -> None:
    """A fund voted 10 a year 2009–2011, cut-off 2010; the plan commits 5, 12 and 0 (the optimum when r absorbs
    5, 12 and 100). At the plan's numbers 3 is lost in 2010 and 10 in 2011: 13. A draw doubling the money: 20 a
    year; 2009 carries 15, 2010 loses 35 − 12 = 23 at the cut-off and 2011 its 20: 43."""
    data = tiny([2009, 2010, 2011], 10, {"nature": "fund", "cutoff": 2010}, absorption={2009: 5, 2010: 12, 2011: 100},
                parameters=[ENVELOPE])
    sc = fs.scenario_from_dict(data)
    best = fs.solve(sc)
    run = run_values(sc, np.array([[1.0], [2.0]]), Evaluation("stress", plan=best))
    assert of_f(run, "lost_at_cutoff_by_instrument") == [13.0, 43.0]
    assert of_f(run, "lapsed_by_instrument") == [0.0, 0.0]


def test_at_the_plans_own_numbers_stress_leaves_what_the_allocations_ledger_leaves() -> None:
    """The reference optimum at its own numbers: per instrument what lapses, is not used and is lost at the
    cut-off equals the allocation's ledger (the LP's own ``unused`` columns), IPA's 141.9 not used included."""
    sc = fs.load_scenario("scenarios/gam-2008-uncertain.yaml")
    best = fs.solve(sc)
    ledger = best.ledger()
    points = np.array([[1.0] * len(sc.uncertainty.parameters)])
    multiplicative = [p.mode == "multiplicative" for p in sc.uncertainty.parameters]
    assert all(multiplicative)
    run = run_values(sc, points, Evaluation("stress", plan=best))
    for term in ("lapsed", "not_used", "lost_at_cutoff"):
        np.testing.assert_allclose(run[f"{term}_by_instrument"].isel(draw=0), ledger[term].sum("year"), atol=1e-6)
    assert float(run["not_used_by_instrument"].sel(instrument="ipa")[0]) == pytest.approx(141.9, abs=0.05)


# ---- 1c: payments beyond the payment appropriations -------------------------------------------------------
def test_payments_beyond_appropriations_with_an_opening_ral() -> None:
    """Paid half in the year committed and half the next; 20 committed in 2008 leave 10 due in 2009. Payment
    appropriations 20 in 2009 and 32 in 2010; the plan commits 30 in each year. r absorbs 10 in 2009 and 100
    in 2010, times the drawn factor.

    * ample (×100): 2009 pays 15 + the opening 10 = 25, 5 beyond; 2010 pays 15 + 15 = 30 ≤ 32: 5 in all;
    * as planned (×1): 2009 pays 10 of its 15 (5 wait) + 10 opening = 20, none beyond; 2010 pays 5 + 15 + 15 =
      35, 3 beyond: 3 in all.
    """
    budget = {"payment_appropriations": {2009: 20, 2010: 32}, "opening": {"commitments": {2008: 20}}}
    data = tiny([2009, 2010], 30, budget, absorption={2009: 10, 2010: 100}, profile=[0.5, 0.5],
                parameters=[{**TIMES_ONE, "distribution": {"kind": "uniform", "low": 0.5, "high": 100.0}}],
                after_horizon="unlimited")
    run = stressed(data, {2009: 30.0, 2010: 30.0}, [[100.0], [1.0]])
    assert of_f(run, "payments_beyond_appropriations") == [5.0, 3.0]
    assert run["payments_beyond_appropriations"].attrs["units"] == "EUR m"
    np.testing.assert_allclose(run["lost_to_decommitment"], 0.0, atol=1e-12)


def test_payments_beyond_appropriations_are_none_without_a_limit() -> None:
    run = stressed(tiny([2009], 30), {2009: 30.0}, [[1.0]])
    assert of_f(run, "payments_beyond_appropriations") == [0.0]


# ---- 3: the planner's questions -----------------------------------------------------------------------------
def test_chance_and_expected_on_a_hand_made_run() -> None:
    """Five draws: lapsed 0, 60, 50, 80 and (no result) NaN. P(lapsed > 50) = 2 of 4; P(10 < lapsed < 70) = 2 of
    4 (60 and 50). Decommitted by instrument: ipa 0, 3, 0, 1 (P > 0: 1/2, mean 1); enpi 2, 2, 2, 2."""
    nan = float("nan")
    run = xr.Dataset({"lapsed": ("draw", [0.0, 60.0, 50.0, 80.0, nan], {"units": "EUR m"}),
                      "lost_by_instrument": (("draw", "instrument"),
                                             [[0.0, 2.0], [3.0, 2.0], [0.0, 2.0], [1.0, 2.0], [nan, nan]])},
                     coords={"draw": np.arange(5), "instrument": ["ipa", "enpi"]})
    assert chance(run, "lapsed", above=50) == 0.5
    assert chance(run, "lapsed", above=10, below=70) == 0.5
    assert chance(run, "lapsed", below=50) == 0.25
    assert chance(run, "lost_by_instrument", above=0).to_dict() == {"ipa": 0.5, "enpi": 1.0}
    assert expected(run, "lost_by_instrument").to_dict() == {"ipa": 1.0, "enpi": 2.0}
    assert expected(run, "lapsed") == pytest.approx(47.5)
    assert fs.montecarlo.chance is chance
    with pytest.raises(ValueError, match="above=<number>, below=<number>, or both"):
        chance(run, "lapsed")
    with pytest.raises(ValueError, match="the run holds no output 'lapse'; its outputs are: lapsed, lost_by_"):
        chance(run, "lapse", above=1)


def test_lapsed_money_is_a_headline_and_a_study_output() -> None:
    """The doubling draw of the stress test above: 40 lapses in stress, 20 re-optimised, in every draw; a sweep of
    the envelope (×1, ×2) reports the same as its output ``lapsed``."""
    double = {**ENVELOPE, "distribution": {"kind": "discrete", "values": [2.0], "probabilities": [1.0]}}
    sc = fs.scenario_from_dict(tiny([2009, 2010], 20, absorption=30, parameters=[double]))
    run = fs.simulate(sc, draws=3, evaluation=Evaluation("stress", plan=fs.solve(sc)))
    table = summary(run)
    assert table.loc["lapsed", ["draws", "mean", "q95"]].tolist() == [3.0, 40.0, 40.0]
    assert chance(run, "lapsed", above=39) == 1.0
    for mode, lapsed in (("stress", [0.0, 40.0]), ("reoptimise", [0.0, 20.0])):
        study = fs.sensitivity.sweep(sc, "instruments.f.envelope", [1.0, 2.0], relative=True, outputs=["lapsed"],
                                     evaluation=Evaluation(mode))
        np.testing.assert_allclose(study["lapsed"].values, lapsed, atol=1e-9)
        assert study["lapsed"].attrs == {"units": "EUR m", "long_name": "commitment appropriations lapsed"}


def test_money_lost_buys_no_outputs_of_the_results_framework() -> None:
    """20 committed in one cell, 5 of it lost: 15 spent buys 1 500 outputs at EUR 10 000 each; worth 0.002 up to
    the target of 1 000 and 0.001 beyond: 2 + 0.5 = 2.5 (the plan as planned would score 2 + 1 = 3)."""
    data = tiny([2009], 100)
    data["objective"] = {"results": {"indicators": [{"id": "o", "priorities": ["p"], "unit_cost": 0.01,
                                                      "basis": "eu", "target": 1000, "value": 0.002,
                                                      "beyond_target": 0.001}]}}
    sc = fs.scenario_from_dict(data)
    eu = np.zeros((1, 1, 1, 1))
    eu[0, 0, 0, 0] = 20.0
    lost = np.array([[[5.0], [0.0]]])  # (region, draw, instrument): the first draw loses 5, the second nothing
    np.testing.assert_allclose(stress._results(sc, eu, lost), [2.5, 3.0])
