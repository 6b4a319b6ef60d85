"""Stress mode (montecarlo/stress.py) on plans worked by hand, written to kill the mutants the rest of the
suite let live (issue 12; docs/mutation.md). Every expected figure is worked out in the docstring.

Each test goes through the public paths: :func:`fundsim.simulate` in stress mode, or
:func:`fundsim.montecarlo.run_values` where a test sets the drawn values itself (a payment delay
outside [0, 1], which no valid distribution draws, or one capacity per point).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import xarray as xr

import fundsim as fs
from fundsim.montecarlo import Evaluation, run_values


def cell_scenario(years: list[int], *, window: int = 0, profile: list[float] | None = None,
                  capacity: Any = 1000, after_horizon: str = "last_year", basis: str = "eu",
                  max_eu_share: float = 1.0, parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One instrument ``i`` (envelope 100 a year), priority ``p`` and region ``r``.

    Without ``parameters`` the one uncertain number is r's absorption multiplied by exactly 1, so every
    draw has the scenario's own numbers.
    """
    cofinancing = {"max_eu_share": max_eu_share, "match_source": "ms"} if max_eu_share < 1 else {}
    return {
        "name": "cell", "years": years, "pillars": [{"id": "q"}],
        "regions": [{"id": "r", "group": "south"}], "priorities": [{"id": "p", "pillar": "q"}],
        "match_sources": [{"id": "ms", "capacity": 1000}],
        "instruments": [{"id": "i", "envelope": 100, "payment_profile": profile or [1.0],
                         "decommitment_window": window, "cofinancing": cofinancing}],
        "absorption": {"basis": basis, "capacity": {"r": capacity}, "after_horizon": after_horizon},
        "uncertainty": {"parameters": copy.deepcopy(parameters or [ONE_TIMES_CAPACITY])},
    }


ONE_TIMES_CAPACITY = {"id": "cap", "path": "absorption.capacity.r", "mode": "multiplicative",
                      "distribution": {"kind": "discrete", "values": [1.0], "probabilities": [1.0]}}
CAPACITY = {"id": "cap", "path": "absorption.capacity.r", "mode": "absolute",
            "distribution": {"kind": "uniform", "low": 0.0, "high": 2000.0}}
DELAY = {"id": "delay", "path": "instruments.i.payment_delay", "mode": "absolute",
         "distribution": {"kind": "uniform", "low": 0.0, "high": 1.0}}


def plan(sc: fs.Scenario, cells: dict[tuple[str, str, str, int], float]) -> xr.Dataset:
    """EU money per (instrument, priority, region, year) cell, as a plan to stress."""
    eu = xr.DataArray(np.zeros(sc.eligible.shape), coords=sc.coords(), dims=list(sc.coords()))
    for cell, amount in cells.items():
        eu.loc[cell] = amount
    return fs.results.allocation_dataset(sc, eu.values)


def stressed(data: dict[str, Any], cells: dict[tuple[str, str, str, int], float], draws: int = 2) -> xr.Dataset:
    sc = fs.scenario_from_dict(data)
    return fs.simulate(sc, draws=draws, evaluation=Evaluation("stress", plan=plan(sc, cells)))


# ---- co-financing: every match source, per region where it raises per region -----------------------------
def test_each_match_source_is_short_on_its_own_and_per_region_sources_per_region() -> None:
    """Instrument a is matched 1:1 by the member states (10 a year), b at 0.25 per EUR m by the partner
    countries (2 a year in r1, 100 in r2), c is EU money only.

    * member states: a needs 8 + 6 = 14 in 2009 (4 short) and 4 in 2010 (none short);
    * partners in r1: b needs 12 · 0.25 = 3 in 2009 (1 short) and 16 · 0.25 = 4 in 2010 (2 short);
      in r2 20 · 0.25 = 5 of 100 (none); c's 50 needs no match.

    Short in all: 4 + 1 + 2 = 7 (summed over both regions the partners would be 8 + 4 = 12 needed against
    a capacity of 2 in r1: 6 + 2 = 8 short, and 12 in all).
    """
    data = cell_scenario([2009, 2010])
    data["regions"] = [{"id": "r1", "group": "south"}, {"id": "r2", "group": "east"}]
    data["match_sources"] = [{"id": "ms", "capacity": 10},
                             {"id": "partners", "per_region": True, "capacity": {"r1": 2, "r2": 100}}]
    data["instruments"] = [
        {"id": "a", "envelope": 100, "cofinancing": {"max_eu_share": 0.5, "match_source": "ms"}},
        {"id": "b", "envelope": 100, "cofinancing": {"max_eu_share": 0.8, "match_source": "partners"}},
        {"id": "c", "envelope": 100}]
    data["absorption"] = {"basis": "eu", "default": 1000}
    data["uncertainty"]["parameters"][0]["path"] = "absorption.capacity.r1"
    run = stressed(data, {("a", "p", "r1", 2009): 8.0, ("a", "p", "r2", 2009): 6.0, ("a", "p", "r1", 2010): 4.0,
                          ("b", "p", "r1", 2009): 12.0, ("b", "p", "r2", 2009): 20.0, ("b", "p", "r1", 2010): 16.0,
                          ("c", "p", "r2", 2010): 50.0})
    np.testing.assert_allclose(run["cofin_shortfall"], [7.0, 7.0], atol=1e-12)
    np.testing.assert_allclose(run["lost_to_decommitment"], 0.0, atol=1e-12)


def test_a_per_region_source_drawn_lower_is_short_in_every_region() -> None:
    """The partners' capacity (3 a year in each region) drawn at half: 1.5 a year. b needs 0.25 per EUR m:
    8 in r1 in 2009 needs 2 (0.5 short), 12 in r2 in 2010 needs 3 (1.5 short): 2 short in all."""
    data = cell_scenario([2009, 2010], parameters=[
        {"id": "m", "path": "match_sources.partners.capacity", "mode": "multiplicative",
         "distribution": {"kind": "discrete", "values": [0.5], "probabilities": [1.0]}}])
    data["regions"] = [{"id": "r1", "group": "south"}, {"id": "r2", "group": "east"}]
    data["match_sources"] = [{"id": "partners", "per_region": True, "capacity": 3}]
    data["instruments"] = [{"id": "b", "envelope": 100,
                            "cofinancing": {"max_eu_share": 0.8, "match_source": "partners"}}]
    data["absorption"] = {"basis": "eu", "default": 1000}
    run = stressed(data, {("b", "p", "r1", 2009): 8.0, ("b", "p", "r2", 2010): 12.0})
    np.testing.assert_allclose(run["cofin_shortfall"], [2.0, 2.0], atol=1e-12)


# ---- after the horizon: capped at the last year's capacity, or not ---------------------------------------
@pytest.mark.parametrize(("after_horizon", "lost", "backlog"), [("last_year", 10.0, 20.0), ("unlimited", 0.0, 20.0)])
def test_what_waits_past_the_last_year(after_horizon: str, lost: float, backlog: float) -> None:
    """One year, 30 committed and due at once, capacity 10, window 1: 10 is paid in 2009 and 20 waits.
    In 2010, after the horizon, the region pays 10 more at the last year's capacity (10 lost), or all 20
    when the capacity after the horizon is unlimited (none lost)."""
    run = stressed(cell_scenario([2009], window=1, capacity=10, after_horizon=after_horizon),
                   {("i", "p", "r", 2009): 30.0})
    np.testing.assert_allclose(run["lost_to_decommitment"], lost, atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], backlog, atol=1e-12)
    np.testing.assert_allclose(run["spent_by_region"].sel(region="r"), 30.0 - lost, atol=1e-12)


@pytest.mark.parametrize(("after_horizon", "lost"), [("last_year", 14.0), ("unlimited", 0.0)])
def test_a_region_short_only_after_the_horizon(after_horizon: str, lost: float) -> None:
    """Profile (0.2, 0.8), window 1, one year, capacity 10, 30 committed: 6 falls due in 2009 (paid) and 24
    in 2010, after the horizon. Held to the last year's 10, 14 is lost at the deadline 2010; unlimited,
    nothing is. Nothing waits at the end of 2009."""
    run = stressed(cell_scenario([2009], window=1, profile=[0.2, 0.8], capacity=10, after_horizon=after_horizon),
                   {("i", "p", "r", 2009): 30.0})
    np.testing.assert_allclose(run["lost_to_decommitment"], lost, atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], 0.0, atol=1e-12)


# ---- a payment delay outside [0, 1] is clipped, as the drawn profile is ----------------------------------
def test_a_delay_above_one_slips_every_payment_one_year() -> None:
    """Delay 1.5 (as 1): the 2009 cohort's 20 all fall due in 2010, its deadline (window 1), where r
    absorbs 15: 5 is lost. The 2010 cohort's 40 fall due in 2011, after the horizon, where capacity is
    unlimited: paid. (Read unclipped, 2010's due would be 1.5 · 20 - 0.5 · 40 = 10 < 15: no shortage seen.)"""
    sc = fs.scenario_from_dict(cell_scenario([2009, 2010], window=1, capacity=15, after_horizon="unlimited",
                                             parameters=[DELAY]))
    stressed = Evaluation("stress", plan=plan(sc, {("i", "p", "r", 2009): 20.0, ("i", "p", "r", 2010): 40.0}))
    run = run_values(sc, np.array([[1.5], [1.0]]), stressed)
    np.testing.assert_allclose(run["lost_to_decommitment"], [5.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], [0.0, 0.0], atol=1e-12)


def test_a_delay_below_zero_slips_nothing() -> None:
    """Delay -0.5 (as 0), window 1: r absorbs 100 in 2009 and 10 from 2010 on. The 2009 cohort's 60 are paid
    in 2009. The 2010 cohort's 25 fall due in 2010: 10 paid, 15 wait; 10 paid in 2011, its deadline, and 5
    lost. (Read unclipped, 2010's due would be 1.5 · 25 - 0.5 · 60 = 7.5 < 10 and 2011's -12.5: no shortage
    seen.)"""
    sc = fs.scenario_from_dict(cell_scenario([2009, 2010], window=1, capacity={2009: 100, 2010: 10},
                                             parameters=[DELAY]))
    stressed = Evaluation("stress", plan=plan(sc, {("i", "p", "r", 2009): 60.0, ("i", "p", "r", 2010): 25.0}))
    run = run_values(sc, np.array([[-0.5], [0.0]]), stressed)
    np.testing.assert_allclose(run["lost_to_decommitment"], [5.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], [15.0, 15.0], atol=1e-12)


def test_only_the_short_draws_queue_each_with_its_own_delay() -> None:
    """One year, window 1, 30 committed, profile (1.0); each point sets r's capacity and the delay.

    * capacity 1000, delay 0.5: 15 paid in 2009 and 15 in 2010, nothing lost, nothing waits;
    * capacity 10, delay 0.5: 15 due in 2009, 10 paid, 5 waits; in 2010 (the deadline) 5 + 15 due, 10 paid,
      10 lost;
    * capacity 10, delay 0: 30 due in 2009, 10 paid, 20 waits; in 2010 10 paid, 10 lost;
    * capacity 40, delay 0.9: 3 due in 2009 and 27 in 2010, all paid.
    """
    sc = fs.scenario_from_dict(cell_scenario([2009], window=1, parameters=[CAPACITY, DELAY]))
    stressed = Evaluation("stress", plan=plan(sc, {("i", "p", "r", 2009): 30.0}))
    run = run_values(sc, np.array([[1000.0, 0.5], [10.0, 0.5], [10.0, 0.0], [40.0, 0.9]]), stressed)
    np.testing.assert_allclose(run["lost_to_decommitment"], [0.0, 10.0, 10.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], [0.0, 5.0, 20.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(run["spent_by_instrument"].sel(instrument="i"), [30.0, 20.0, 20.0, 30.0], atol=1e-12)


# ---- the queue: which years, which regions, which cohorts -------------------------------------------------
def test_a_later_region_is_queued_when_an_earlier_one_is_not() -> None:
    """r1 absorbs 1000 and is never short; r2 absorbs 10 and gets 30 in 2010, window 0: it pays 10 and loses
    20. r1's 5 in 2009 are all paid."""
    data = cell_scenario([2009, 2010])
    data["regions"] = [{"id": "r1", "group": "south"}, {"id": "r2", "group": "east"}]
    data["absorption"] = {"basis": "eu", "capacity": {"r1": 1000, "r2": 10}}
    data["uncertainty"]["parameters"][0]["path"] = "absorption.capacity.r1"
    run = stressed(data, {("i", "p", "r1", 2009): 5.0, ("i", "p", "r2", 2010): 30.0})
    np.testing.assert_allclose(run["lost_by_region"], [[0.0, 20.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["spent_by_region"], [[5.0, 10.0]] * 2, atol=1e-12)


def test_a_queue_that_starts_in_a_later_year() -> None:
    """Nothing committed in 2009; 30 in 2010 with profile (0.5, 0.5), window 2, capacity 10 a year (and
    after the horizon): 15 due in 2010, 10 paid (5 waits); 2011: 5 + 15 due, 10 paid (10 wait); 2012, the
    deadline: 10 paid, nothing lost. Waiting: 5 + 10 = 15."""
    run = stressed(cell_scenario([2009, 2010], window=2, profile=[0.5, 0.5], capacity=10),
                   {("i", "p", "r", 2010): 30.0})
    np.testing.assert_allclose(run["lost_to_decommitment"], 0.0, atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], 15.0, atol=1e-12)


def test_a_later_deadline_keeps_paying_after_an_earlier_one() -> None:
    """Two instruments in r: a (window 0) and b (window 2), 20 each in 2009, capacity 10 a year. a's deadline
    comes first: 2009 pays 10 of a, a loses 10; b waits 20, is paid 10 in 2010 and 10 in 2011, its
    deadline: nothing of b is lost. Waiting: 20 (end of 2009) + 10 (2010) = 30."""
    data = cell_scenario([2009])
    data["instruments"] = [{"id": "a", "envelope": 100, "decommitment_window": 0},
                           {"id": "b", "envelope": 100, "decommitment_window": 2}]
    data["absorption"]["capacity"] = {"r": 10}
    run = stressed(data, {("a", "p", "r", 2009): 20.0, ("b", "p", "r", 2009): 20.0})
    np.testing.assert_allclose(run["lost_by_instrument"], [[10.0, 0.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], 30.0, atol=1e-12)


def test_money_slipping_past_the_deadline_is_lost_queued_or_not() -> None:
    """Profile (0.5, 0.5), window 1, one year, 40 committed, delay 0.4: the drawn profile is (0.3, 0.5, 0.2),
    and 0.2 · 40 = 8 falls due in 2011, after the deadline 2010: lost outright.

    * capacity 1000: the rest is paid in time; lost 8, nothing waits;
    * capacity 10: 12 due in 2009, 10 paid, 2 wait; 2010: 2 + 20 due, 10 paid, 12 lost; lost 8 + 12 = 20.
    """
    sc = fs.scenario_from_dict(cell_scenario([2009], window=1, profile=[0.5, 0.5], parameters=[CAPACITY, DELAY]))
    stressed = Evaluation("stress", plan=plan(sc, {("i", "p", "r", 2009): 40.0}))
    run = run_values(sc, np.array([[1000.0, 0.4], [10.0, 0.4]]), stressed)
    np.testing.assert_allclose(run["lost_to_decommitment"], [8.0, 20.0], atol=1e-12)
    np.testing.assert_allclose(run["payment_backlog"], [0.0, 2.0], atol=1e-12)


def test_the_smallest_overrun_is_still_lost() -> None:
    """Capacity 10, window 0, 10 + 5e-9 committed in 2009: the 5e-9 over the capacity is lost, not rounded
    away (a pair within a hair of its capacity takes the exact queue)."""
    run = stressed(cell_scenario([2009], capacity=10), {("i", "p", "r", 2009): 10.0 + 5e-9})
    np.testing.assert_allclose(run["lost_to_decommitment"], 5e-9, rtol=1e-6)


def test_the_smallest_overrun_after_the_horizon_is_still_lost() -> None:
    """Profile (0.2, 0.8), window 1, capacity 10 (and 10 after the horizon), 12.5 + 6.25e-9 committed: 2.5
    falls due in 2009 and 10 + 5e-9 in 2010; the 5e-9 over the capacity is lost."""
    run = stressed(cell_scenario([2009], window=1, profile=[0.2, 0.8], capacity=10),
                   {("i", "p", "r", 2009): 12.5 + 6.25e-9})
    np.testing.assert_allclose(run["lost_to_decommitment"], 5e-9, rtol=1e-6)


def test_losses_are_taken_from_the_pillars_of_the_cells_that_lose() -> None:
    """Instrument a puts 10 into p1 (pillar q1) in r1 and 0.8 into p2 (q2) in r2; b puts 5 into p2 in r1 and
    nothing in r2. r2 absorbs 0.5, window 0: a loses 0.3 there, all of it from q2. Finally spent: q1 10,
    q2 5 + 0.8 - 0.3 = 5.5; r1 15, r2 0.5."""
    data = cell_scenario([2009])
    data["pillars"] = [{"id": "q1"}, {"id": "q2"}]
    data["priorities"] = [{"id": "p1", "pillar": "q1"}, {"id": "p2", "pillar": "q2"}]
    data["regions"] = [{"id": "r1", "group": "south"}, {"id": "r2", "group": "east"}]
    data["instruments"] = [{"id": "a", "envelope": 100, "decommitment_window": 0},
                           {"id": "b", "envelope": 100, "decommitment_window": 0}]
    data["absorption"] = {"basis": "eu", "capacity": {"r1": 1000, "r2": 0.5}}
    data["uncertainty"]["parameters"][0]["path"] = "absorption.capacity.r1"
    run = stressed(data, {("a", "p1", "r1", 2009): 10.0, ("a", "p2", "r2", 2009): 0.8, ("b", "p2", "r1", 2009): 5.0})
    np.testing.assert_allclose(run["lost_by_instrument"], [[0.3, 0.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["spent_by_pillar"], [[10.0, 5.5]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["spent_by_region"], [[15.0, 0.5]] * 2, atol=1e-12)


def test_every_output_is_labelled_by_draw_and_its_own_dims() -> None:
    """Three draws numbered 0, 1, 2, each output over the dims it is named for (no stray dimension)."""
    run = stressed(cell_scenario([2009, 2010]), {("i", "p", "r", 2009): 1.0}, draws=3)
    assert run.indexes["draw"].tolist() == [0, 1, 2]
    dims = {name: run[name].dims for name in ("lost_to_decommitment", "lost_by_region", "lost_by_instrument",
                                              "envelope_excess", "spent_by_pillar", "spent_by_region")}
    assert dims == {"lost_to_decommitment": ("draw",), "lost_by_region": ("draw", "region"),
                    "lost_by_instrument": ("draw", "instrument"), "envelope_excess": ("draw", "instrument", "year"),
                    "spent_by_pillar": ("draw", "pillar"), "spent_by_region": ("draw", "region")}
    assert run["lost_by_instrument"].coords["instrument"].values.tolist() == ["i"]


# ---- absorption on total cost --------------------------------------------------------------------------
@pytest.mark.parametrize(("basis", "lost"), [("total", 5.0), ("eu", 0.0)])
def test_capacity_on_total_cost_counts_the_cofinancing(basis: str, lost: float) -> None:
    """EU share 50 %: 15 EU money costs 30 in all. r absorbs 20 a year, window 0: on total cost it pays 20
    of the 30, that is 10 EU money, and 5 EU money is lost; on EU money it pays all 15."""
    run = stressed(cell_scenario([2009], capacity=20, basis=basis, max_eu_share=0.5), {("i", "p", "r", 2009): 15.0})
    np.testing.assert_allclose(run["lost_to_decommitment"], lost, atol=1e-12)


def test_total_cost_capacity_is_shared_by_instruments_of_different_shares() -> None:
    """On total cost, r absorbs 30, window 0: a (EU share 50 %) commits 10 (20 in all), b (EU only) 15.
    Earliest deadline first, instrument order breaking the tie: a's 20 of total cost are paid, leaving 10
    for b's 15: b loses 5 EU money."""
    data = cell_scenario([2009], capacity=30, basis="total")
    data["instruments"] = [{"id": "a", "envelope": 100, "decommitment_window": 0,
                            "cofinancing": {"max_eu_share": 0.5, "match_source": "ms"}},
                           {"id": "b", "envelope": 100, "decommitment_window": 0}]
    run = stressed(data, {("a", "p", "r", 2009): 10.0, ("b", "p", "r", 2009): 15.0})
    np.testing.assert_allclose(run["lost_by_instrument"], [[0.0, 5.0]] * 2, atol=1e-12)



def test_a_capacity_below_zero_reads_as_none_in_stress_mode() -> None:
    """A study's given point may ask for less than nothing: a region whose absorption is -5 absorbs nothing,
    as a re-optimised draw reads it (scenario_of_draw clips at 0). By hand: 30 committed in 2009, window 1 and
    no capacity in either year: all 30 are lost, nothing is spent (not 35 lost and -5 spent)."""
    sc = fs.scenario_from_dict(cell_scenario([2009, 2010], window=1, parameters=[CAPACITY]))
    stressed = Evaluation("stress", plan=plan(sc, {("i", "p", "r", 2009): 30.0}))
    run = run_values(sc, np.array([[-5.0]]), stressed)
    np.testing.assert_allclose(run["lost_to_decommitment"], [30.0], atol=1e-12)
    np.testing.assert_allclose(run["spent_by_region"].sum("region"), [0.0], atol=1e-12)
