"""Stress mode: a fixed plan under drawn numbers, checked against cases worked by hand."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import fundsim as fs
from fundsim.montecarlo import Evaluation


def one_cell(window: int, capacity: float, profile: list[float] | None = None,
             years: tuple[int, ...] = (2009,)) -> dict[str, Any]:
    """One instrument, priority and region; absorption drawn as exactly ``capacity`` (a one-point law)."""
    return {
        "name": "one-cell", "years": list(years), "pillars": [{"id": "q"}],
        "regions": [{"id": "r", "group": "south"}], "priorities": [{"id": "p", "pillar": "q"}],
        "match_sources": [{"id": "ms", "capacity": 100}],
        "instruments": [{"id": "i", "envelope": 30, "payment_profile": profile or [1.0],
                         "decommitment_window": window,
                         "cofinancing": {"max_eu_share": 0.5, "match_source": "ms"}}],
        "absorption": {"basis": "eu", "capacity": {"r": 1000}},
        "uncertainty": {"parameters": [
            {"id": "cap", "path": "absorption.capacity.r", "mode": "absolute",
             "distribution": {"kind": "discrete", "values": [capacity], "probabilities": [1.0]}}]},
    }


def plan_of(sc: fs.Scenario, amounts: dict[int, float]) -> xr.Dataset:
    eu = np.zeros(sc.eligible.shape)
    for year, value in amounts.items():
        eu[0, 0, 0, sc.years.index(year)] = value
    return fs.results.allocation_dataset(sc, eu)


@pytest.mark.parametrize(("window", "lost"), [(0, 20.0), (1, 10.0), (2, 0.0)])
def test_decommitment_by_hand(window: int, lost: float) -> None:
    """30 committed in 2009, paid at once, but the region absorbs 10 a year (and 10 in later years):
    10 is paid in 2009, 10 more each later year until the deadline 2009 + window; the rest is lost."""
    sc = fs.scenario_from_dict(one_cell(window, 10.0))
    run = fs.simulate(sc, draws=3, seed=1, evaluation=Evaluation("stress", plan=plan_of(sc, {2009: 30.0})))
    np.testing.assert_allclose(run["lost_to_decommitment"], lost)
    np.testing.assert_allclose(run["spent_by_region"].sel(region="r"), 30.0 - lost)
    np.testing.assert_allclose(run["envelope_excess"], 0.0)


def test_oldest_deadline_is_paid_first() -> None:
    """2009 and 2010 commitments of 15 each, window 1, capacity 10: 2009 pays 10 of the 2009 cohort;
    2010 pays its last 5 and 5 of the 2010 cohort (deadline 2011); 2011 pays the 2010 cohort's last 10
    at last year's capacity. Nothing is lost. With window 0 each cohort must be paid in its own year:
    each pays 10 and loses 5, 10 in all."""
    sc = fs.scenario_from_dict(one_cell(1, 10.0, years=(2009, 2010)))
    run = fs.simulate(sc, draws=2, evaluation=Evaluation("stress", plan=plan_of(sc, {2009: 15.0, 2010: 15.0})))
    np.testing.assert_allclose(run["lost_to_decommitment"], 0.0)
    assert float(run["payment_backlog"][0]) == pytest.approx(5 + 10)  # waiting at the end of 2009 and of 2010
    sc0 = fs.scenario_from_dict(one_cell(0, 10.0, years=(2009, 2010)))
    run0 = fs.simulate(sc0, draws=2, evaluation=Evaluation("stress", plan=plan_of(sc0, {2009: 15.0, 2010: 15.0})))
    np.testing.assert_allclose(run0["lost_to_decommitment"], 10.0)


def test_envelope_excess_and_cofinancing_shortfall() -> None:
    spec = one_cell(2, 1000.0)
    spec["uncertainty"]["parameters"] = [
        {"id": "env", "path": "instruments.i.envelope", "distribution": {"kind": "discrete", "values": [0.5],
                                                                         "probabilities": [1.0]}},
        {"id": "ms", "path": "match_sources.ms.capacity", "mode": "absolute",
         "distribution": {"kind": "discrete", "values": [12.0], "probabilities": [1.0]}},
    ]
    sc = fs.scenario_from_dict(spec)
    run = fs.simulate(sc, draws=2, evaluation=Evaluation("stress", plan=plan_of(sc, {2009: 20.0})))
    # usable halves to 15, the plan commits 20; at a 50 % EU share 20 needs 20 of match, the source has 12
    np.testing.assert_allclose(run["envelope_excess"].sel(instrument="i", year=2009), 5.0)
    np.testing.assert_allclose(run["cofin_shortfall"], 8.0)


def test_realised_objective_follows_the_drawn_weights() -> None:
    sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    alloc = fs.solve(sc)
    run = fs.simulate(sc, draws=400, seed=3, evaluation=Evaluation("stress", plan=alloc))
    remittances = float(alloc.data["eu"].sel(priority="remittances", region="north_africa").sum())
    weight = run["parameter_value"].sel(parameter="remittance_value")
    expected = alloc.objective + 3.0 * remittances * (weight - 1.0)  # base weight 3 per EUR m
    np.testing.assert_allclose(run["realised_objective"], expected, rtol=1e-12)


def test_plan_from_a_file_and_chunking_give_the_same_numbers(tmp_path: Path) -> None:
    sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    alloc = fs.solve(sc)
    path = alloc.save(tmp_path / "plan.nc")
    a = fs.simulate(sc, draws=500, seed=5, evaluation=Evaluation("stress", plan=alloc, chunk_size=500))
    b = fs.simulate(sc, draws=500, seed=5, evaluation=Evaluation("stress", plan=path, chunk_size=37))
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())


def test_stress_errors() -> None:
    sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    with pytest.raises(ValueError, match="stress mode needs a plan"):
        fs.simulate(sc, draws=2, evaluation=Evaluation("stress"))
    other = fs.solve(fs.load_scenario("scenarios/gam-2008.yaml"))
    with pytest.raises(ValueError, match="the plan does not match scenario 'tutorial-uncertain'"):
        fs.simulate(sc, draws=2, evaluation=Evaluation("stress", plan=other))


def test_probability_of_meeting_targets() -> None:
    """Capacity 10 or 30 with probabilities 0.3/0.7, window 0, 30 committed: a region minimum of 25 is met
    only when all 30 can be paid — in 70 % of the draws; the pillar (the only one) always has 100 %."""
    spec = one_cell(0, 10.0)
    spec["uncertainty"]["parameters"][0]["distribution"] = {"kind": "discrete", "values": [10.0, 30.0],
                                                            "probabilities": [0.3, 0.7]}
    spec["rules"] = {"region_limits": [{"region": "r", "min": 25}],
                     "pillar_balance": [{"pillar": "q", "min_share": 0.5}]}
    sc = fs.scenario_from_dict(spec)
    run = fs.simulate(sc, draws=4096, design="sobol", seed=0,
                      evaluation=Evaluation("stress", plan=plan_of(sc, {2009: 30.0})))
    table = fs.montecarlo.target_probabilities(run, sc).set_index("label")
    assert table.loc["r", "probability"] == pytest.approx(0.7, abs=0.01)
    assert table.loc["q", "probability"] == 1.0
    assert table.loc["r", "target"] == "region minimum: EUR 25.0 m"


@pytest.mark.parametrize(("window", "lost"), [(0, 15.0), (1, 0.0)])
def test_a_payment_delay_slips_money_past_the_deadline(window: int, lost: float) -> None:
    """Half of every year's payment slips a year: with window 0 the slipped 15 of 30 fall due after the
    deadline and are lost; with window 1 they are paid in time (capacity is ample)."""
    spec = one_cell(window, 1000.0)
    spec["uncertainty"]["parameters"].append({"id": "delay", "path": "instruments.i.payment_delay",
                                              "mode": "absolute", "distribution": {"kind": "discrete",
                                                                                   "values": [0.5],
                                                                                   "probabilities": [1.0]}})
    sc = fs.scenario_from_dict(spec)
    run = fs.simulate(sc, draws=2, evaluation=Evaluation("stress", plan=plan_of(sc, {2009: 30.0})))
    np.testing.assert_allclose(run["lost_to_decommitment"], lost)


def test_a_payment_delay_profile_still_sums_to_one() -> None:
    spec = one_cell(2, 1000.0, profile=[0.4, 0.4, 0.2])
    spec["uncertainty"]["parameters"] = [{"id": "delay", "path": "instruments.i.payment_delay", "mode": "absolute",
                                          "distribution": {"kind": "uniform", "low": 0.0, "high": 1.0}}]
    sc = fs.scenario_from_dict(spec)
    values = fs.montecarlo.parameter_values(sc.uncertainty, fs.montecarlo.unit_design("random", 50, 1, 3))
    numbers = fs.montecarlo.drawn_numbers(sc, values)
    profile = numbers.profile(sc, 0)
    np.testing.assert_allclose(profile.sum(axis=1), 1.0)
    np.testing.assert_allclose(profile[:, 0], 0.4 * (1 - values[:, 0]))
    drawn = fs.montecarlo.scenario_of_draw(sc, numbers, 7)
    assert drawn.instruments[0].payment_profile == pytest.approx(tuple(profile[7]))


def test_a_payment_delay_must_be_absolute(tmp_path: Path) -> None:
    spec = one_cell(2, 1000.0)
    spec["uncertainty"]["parameters"] = [{"id": "delay", "path": "instruments.i.payment_delay",
                                          "distribution": {"kind": "uniform", "low": 0.0, "high": 1.0}}]
    with pytest.raises(fs.ScenarioError, match=r"uncertainty\.parameters\[0\]\.mode: a payment delay is the share"):
        fs.scenario_from_dict(spec)


def _queue_everywhere(sc: fs.Scenario, eu: np.ndarray, numbers: Any) -> dict[str, np.ndarray]:
    """The payment queue run for every draw, region and cohort in every year (the plain algorithm that
    the stress test shortcuts where nothing can wait): the oracle for the shortcut."""
    n, ny = numbers.n, len(sc.years)
    commit = eu.sum(axis=1)
    total = (eu * (1 + sc.match_ratio[..., None])).sum(axis=1)
    factor = np.divide(total, commit, out=np.ones_like(total), where=commit > 0)
    if sc.absorption.basis != "total":
        factor = np.ones_like(factor)
    windows = [i.decommitment_window for i in sc.instruments]
    profiles = [numbers.profile(sc, i) for i in range(len(sc.instruments))]
    horizon = ny + max(max(windows), max(p.shape[1] for p in profiles) - 1) + 1
    own = numbers.absorption[:, : len(sc.regions)]  # each planning unit's own drawn capacity
    last = own[:, :, -1:]
    tail = last if sc.absorption.after_horizon == "last_year" else np.full(last.shape, np.inf)
    capacity = np.concatenate([own, np.repeat(tail, horizon - ny, axis=2)], axis=2)
    cohorts = sorted((c + windows[i], i, c) for i in range(len(sc.instruments)) for c in range(ny))
    waiting = {(i, c): np.zeros((n, len(sc.regions))) for _, i, c in cohorts}
    lost = np.zeros((n, len(sc.instruments), len(sc.regions)))
    delayed = np.zeros(n)
    for t in range(horizon):
        left = capacity[:, :, t].copy()
        for deadline, i, c in cohorts:
            lag = t - c
            if lag < 0:
                continue
            due = waiting[i, c]
            if lag < profiles[i].shape[1]:
                due += profiles[i][:, lag, None] * commit[i, :, c][None, :]
            if t > deadline:
                lost[:, i, :] += due
                due[:] = 0.0
                continue
            paid = np.minimum(due, left / factor[i, :, c])
            left -= paid * factor[i, :, c]
            due -= paid
            if t == deadline:
                lost[:, i, :] += due
                due[:] = 0.0
            else:
                delayed += due.sum(axis=1)
    return {"lost": lost, "delayed": delayed}


@pytest.mark.parametrize("path", ["scenarios/gam-2008-uncertain.yaml", "scenarios/tutorial-uncertain.yaml"])
@pytest.mark.parametrize("delay", [False, True])
def test_the_payment_shortcut_equals_the_full_queue(path: str, delay: bool) -> None:
    """Drawn absorption from 0.2× to 1.5× of planned, with and without payment delays: the stress test,
    which queues only the (draw, region) pairs where something can wait, equals the full queue. The oracle
    queues payment deadlines, so every instrument gets one (n+k read as a payment deadline); contracting
    deadlines have their own full-queue oracle in tests/test_mc_ledger.py."""
    from fundsim.montecarlo import numbers as nb
    from fundsim.montecarlo import stress

    spec = copy.deepcopy(fs.load_scenario(path).spec)
    for ins in spec["instruments"]:
        budget = ins.get("budget")
        if budget is not None:
            budget.pop("contracting_profile", None)
            budget["deadline"] = {"kind": "payment", "years": budget.get("deadline", {}).get("years", 2)}
    sc = fs.scenario_from_dict(spec)
    eu = fs.solve(sc).data["eu"].values
    rng = np.random.default_rng(7)
    n = 300
    base = nb.drawn_numbers(sc, np.zeros((n, len(sc.uncertainty.parameters))))
    absorption = sc.absorption.capacity[None] * rng.uniform(0.2, 1.5, (n, *sc.absorption.capacity.shape))
    # the regions planned in parts keep no shared capacity here (the oracle queues each unit on its own drawn
    # capacity; the split of a shared one is fundsim.montecarlo.stress._unit_capacity's, tested on its own)
    absorption = np.concatenate([absorption, np.full((n, len(sc.absorption.shared), len(sc.years)), np.inf)],
                                axis=1)
    drawn = nb.DrawnNumbers(base.usable, base.match, absorption, base.weights,
                            rng.uniform(0, 1, (n, len(sc.instruments))) if delay else None)
    fast = stress._payments(sc, eu, drawn)
    slow = _queue_everywhere(sc, eu, drawn)
    assert slow["lost"].sum() > 0 and slow["delayed"].sum() > 0  # the queue matters in these draws
    np.testing.assert_allclose(fast["lost"], slow["lost"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast["delayed"], slow["delayed"], rtol=1e-9, atol=1e-9)


def test_the_realised_objective_scores_the_plan_as_compare_does() -> None:
    """With an admin cost (an integer rule), each draw's realised objective is the plan's objective under that
    draw's numbers, as :func:`fundsim.results.objective.objective_value` scores it independently: the drawn
    impact weights, leverage, and the admin cost of every active cell."""
    import yaml

    from fundsim.montecarlo.numbers import drawn_numbers, scenario_of_draw
    from fundsim.results.objective import objective_value

    spec = yaml.safe_load(Path("scenarios/tutorial-uncertain.yaml").read_text(encoding="utf-8"))
    spec.pop("extends", None)
    base = yaml.safe_load(Path("scenarios/tutorial.yaml").read_text(encoding="utf-8"))
    base["uncertainty"] = spec["uncertainty"]
    base.setdefault("rules", {})["admin_cost"] = 0.5
    sc = fs.scenario_from_dict(base)
    plan = fs.solve(sc)
    eu = plan.data["eu"].transpose("instrument", "priority", "region", "year").values
    assert plan.objective == pytest.approx(objective_value(sc, eu))
    run = fs.simulate(sc, draws=8, seed=3, evaluation=Evaluation("stress", plan=plan, executor="sequential"))
    numbers = drawn_numbers(sc, run["parameter_value"].values)
    realised = run["realised_objective"].values
    assert len(np.unique(np.round(realised, 9))) > 1, "the drawn weights move the objective"
    for d in range(8):
        assert realised[d] == pytest.approx(objective_value(scenario_of_draw(sc, numbers, d), eu), rel=1e-9)
