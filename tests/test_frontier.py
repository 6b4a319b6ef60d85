"""The budget frontier is exact: its breakpoints and slopes hold against independent solves.

Every check solves the scaled scenario from scratch with ``fs.solve`` (its own LP, a cold HiGHS), never the
frontier's warm parametric LP, and conftest re-checks every allocation against every rule.

Hand-worked tutorial curve (scenarios/tutorial.yaml; weights per EUR m: remittances in North Africa 3,
return in North Africa 2, mobility in the Eastern Partnership 1.5; North Africa absorbs 25 a year;
remittances at most 25 % of all EU money E = 60t; ENPI may not fund remittances):

* t ≤ 5/6: all money fits in North Africa (30t a year ≤ 25): 15t remittances, 45t return,
  v = 45t + 90t = 135t.
* 5/6 ≤ t ≤ 10/3: North Africa full (50): 15t remittances, 50 - 15t return, 60t - 50 mobility in the East,
  v = 45t + 2(50 - 15t) + 1.5(60t - 50) = 105t + 25 (130 at t = 1; 105 = 1.75 × 60, the envelope
  shadow price worked in the file's comments times the 60 of usable money).
* t ≥ 10/3: remittances fill North Africa alone (15t ≥ 50), v = 3·50 + 1.5(60t - 50) = 90t + 75.

Only TPMA scaled (TPMA 20t, ENPI 40, E = 20t + 40): t ≤ 1/2: v = 80 + 60t (TPMA all remittances);
1/2 ≤ t ≤ 2/3: North Africa full, v = 50t + 85; t ≥ 2/3: remittances capped at E/4, v = 35t + 95
(35 = 1.75 × 20).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import fundsim as fs
from fundsim.plots.frontier import frontier_chart
from fundsim.sensitivity.frontier import Frontier, budget_frontier, scaled_scenario
from fundsim.testing import assert_allocation_feasible


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


@pytest.fixture(scope="module")
def gam() -> fs.Scenario:
    """The reference case under its impact curves (gam-2008-impact-curves.yaml, the former reference objective):
    the figures below are that optimum's, and the frontier's kinks are the curves' breakpoints."""
    return fs.load_scenario("scenarios/gam-2008-impact-curves.yaml")


def fresh(sc: fs.Scenario, t: float, instrument: str | None = None) -> float:
    """The optimum at ``t`` from a fresh LP and a cold solve."""
    return fs.solve(scaled_scenario(sc, t, instrument)).objective


def check_exact(sc: fs.Scenario, fr: Frontier, instrument: str | None = None) -> None:
    """Between points the curve is the straight line: a fresh solve inside each segment lies on the chord
    (which, the optimum being concave in t, makes it linear on the whole segment); at each breakpoint the
    value is the fresh optimum, and its one-sided slopes are finite differences of fresh solves, and
    differ (left above right: concave)."""
    t = fr.data["t"].values
    v = fr.data["objective"].values
    for a, b, va, vb in zip(t[:-1], t[1:], v[:-1], v[1:], strict=True):
        inside = a + 0.4 * (b - a)
        assert fresh(sc, inside, instrument) == pytest.approx(va + 0.4 * (vb - va), rel=1e-8, abs=1e-7)
    kinks = []
    for n in np.flatnonzero(fr.data["kind"].values == "breakpoint"):
        assert fresh(sc, t[n], instrument) == pytest.approx(v[n], rel=1e-8, abs=1e-7)
        h = 0.25 * min(t[n] - t[n - 1], t[n + 1] - t[n])
        left = (v[n] - fresh(sc, t[n] - h, instrument)) / h
        right = (fresh(sc, t[n] + h, instrument) - v[n]) / h
        slope_left, slope_right = fr.data["slope_left"].values[n], fr.data["slope_right"].values[n]
        assert left == pytest.approx(slope_left, rel=1e-5)
        assert right == pytest.approx(slope_right, rel=1e-5)
        assert slope_left - slope_right > -1e-7 * (1 + abs(slope_left))  # concave: the slope never rises
        kinks.append(slope_left - slope_right > 5e-5 * (1 + abs(slope_left)))  # a kink beyond the 1e-5 above
    assert not kinks or any(kinks)  # some breakpoint is a real kink (others may bend by less than the check sees)


# ---- the tutorial, against the hand-worked curve ---------------------------------------------------------------
def test_tutorial_budget_frontier_is_the_hand_worked_curve(tutorial: fs.Scenario) -> None:
    fr = budget_frontier(tutorial, lo=0.0, hi=4.0)
    assert fr.breakpoints == pytest.approx([5 / 6, 10 / 3], rel=1e-9)
    assert fr.data["slope_right"].values[:-1] == pytest.approx([135.0, 105.0, 90.0], rel=1e-9)
    assert fr.data["slope_left"].values[1:] == pytest.approx([135.0, 105.0, 90.0], rel=1e-9)
    assert fr.data["objective"].values == pytest.approx([0.0, 112.5, 375.0, 435.0], rel=1e-9)
    assert fr.value(1.0) == pytest.approx(130.0)  # the tutorial's optimum
    # 60 EUR m usable at t = 1: at t = 1 (between 5/6 and 10/3) one more EUR m is worth 105 / 60 = 1.75, the
    # envelope shadow price worked by hand in scenarios/tutorial.yaml
    assert fr.data["value_per_eur_m"].values[1] == pytest.approx(1.75, rel=1e-9)
    # what changes at 5/6: absorption starts to bind, and the envelopes' price falls from 2.25 to 1.75
    assert fr.data["prices_change"].values[1].startswith("envelope[tpma, 2009] 2.25 → 1.75")
    assert fr.feasible_from == 0.0  # no rule needs money
    check_exact(tutorial, fr)


def test_tutorial_breakpoints_say_which_rules_start_and_stop_binding(tutorial: fs.Scenario) -> None:
    fr = budget_frontier(tutorial, lo=0.0, hi=4.0)
    table = fr.table()
    first, second = table.index[1], table.index[2]
    # at 5/6 North Africa's absorption capacity fills up
    assert table.loc[first, "starts_binding"] == "absorption[north_africa, 2009]; absorption[north_africa, 2010]"
    assert table.loc[first, "stops_binding"] == ""
    # at 10/3 return has left North Africa: the 25 % ceiling on remittances no longer costs anything
    assert table.loc[second, "stops_binding"] == "pillar_max_share[development]"
    assert list(table["kind"]) == ["start", "breakpoint", "breakpoint", "end"]
    segments = fr.segments()
    assert segments["slope"].tolist() == pytest.approx([135.0, 105.0, 90.0])
    assert "absorption" not in segments.loc[0, "binding"]


def test_tutorial_one_instrument_frontier(tutorial: fs.Scenario) -> None:
    fr = budget_frontier(tutorial, instrument="tpma", lo=0.0, hi=2.0)
    assert fr.breakpoints == pytest.approx([1 / 2, 2 / 3], rel=1e-9)
    assert fr.data["slope_right"].values[:-1] == pytest.approx([60.0, 50.0, 35.0], rel=1e-9)
    assert fr.data["objective"].values[0] == pytest.approx(80.0)  # ENPI alone: 40 for return in North Africa
    assert fr.value(1.0) == pytest.approx(130.0)
    assert "tpma" in fr.data.attrs["parameter"]
    check_exact(tutorial, fr, "tpma")
    without = fr.allocation(0.0)  # TPMA has no money: its cells are not eligible, and ENPI's 40 go to return
    assert float(without.data["eu"].sel(instrument="tpma").sum()) == 0.0
    assert float(without.data["eu"].sel(instrument="enpi", priority="return").sum()) == pytest.approx(40.0)


def test_allocation_at_a_breakpoint_is_full_and_keeps_every_rule(tutorial: fs.Scenario) -> None:
    fr = budget_frontier(tutorial, lo=0.0, hi=4.0)
    t = float(fr.breakpoints[0])
    alloc = fr.allocation(t)
    assert alloc.objective == pytest.approx(112.5)
    assert float(alloc.data["eu"].sum()) == pytest.approx(fr.data["eu"].sel(t=t).item())
    assert float(alloc.data["eu"].sum()) == pytest.approx(50.0)  # 60 × 5/6
    assert_allocation_feasible(scaled_scenario(tutorial, t), alloc)
    between = fr.allocation(2.0)  # not a point of the curve: solved on demand
    assert between.objective == pytest.approx(105 * 2 + 25)
    by_pillar = fr.data["eu_by_pillar"].sel(t=t)
    assert by_pillar.sel(pillar="development").item() == pytest.approx(0.25 * 50)


# ---- the reference scenario, small ranges ------------------------------------------------------------------------
def test_gam_budget_frontier_is_exact_around_the_scenario(gam: fs.Scenario) -> None:
    fr = budget_frontier(gam, lo=0.97, hi=1.01)
    assert len(fr.breakpoints) >= 3
    assert fr.value(1.0) == pytest.approx(fs.solve(gam).objective, rel=1e-9)  # the scenario's own optimum
    slopes = fr.data["slope_right"].values[:-1]
    assert np.all(np.diff(slopes) < 0)  # concave: every slope below the one before
    # every breakpoint says what changes there: some shadow price moves, even where no rule starts or stops
    inner = fr.data["kind"].values == "breakpoint"
    assert all(fr.data["prices_change"].values[inner]), fr.data["prices_change"].values
    check_exact(gam, fr)


def test_gam_one_instrument_frontier_is_exact(gam: fs.Scenario) -> None:
    fr = budget_frontier(gam, instrument="enpi", lo=0.85, hi=1.0)
    assert len(fr.breakpoints) >= 2
    assert fr.value(1.0) == pytest.approx(fs.solve(gam).objective, rel=1e-9)
    check_exact(gam, fr, "enpi")


def test_gam_is_feasible_only_from_a_threshold(gam: fs.Scenario) -> None:
    fr = budget_frontier(gam, lo=0.0, hi=0.40)
    start = fr.feasible_from
    assert 0.339 < start < 0.40  # TPMA's floor for Africa (94 of 277.5) alone needs t ≥ 0.339; the packages more
    assert fr.data["t"].values[0] == start and fr.data["kind"].values[0] == "start"
    assert fs.solve(scaled_scenario(gam, start)).objective == pytest.approx(fr.data["objective"].values[0], rel=1e-8)
    with pytest.raises(fs.InfeasibleError):
        fs.solve(scaled_scenario(gam, start * (1 - 1e-6)))
    with pytest.raises(fs.InfeasibleError, match=rf"feasible from t = {start:.6f}"):
        budget_frontier(gam, lo=0.0, hi=0.3)


# ---- bad input ---------------------------------------------------------------------------------------------------
def test_unknown_instrument_lists_the_instruments(tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match=r"unknown instrument 'edf'.*its instruments are: tpma, enpi"):
        budget_frontier(tutorial, instrument="edf")


@pytest.mark.parametrize(("lo", "hi"), [(-0.5, 1.0), (1.0, 1.0), (2.0, 1.0), (0.0, float("inf"))])
def test_bad_range_is_refused(tutorial: fs.Scenario, lo: float, hi: float) -> None:
    with pytest.raises(ValueError, match="0 <= lo < hi"):
        budget_frontier(tutorial, lo=lo, hi=hi)


def test_outside_the_curve_is_refused(tutorial: fs.Scenario) -> None:
    fr = budget_frontier(tutorial, lo=0.5, hi=1.5)
    with pytest.raises(ValueError, match="outside the frontier's range"):
        fr.allocation(2.0)
    with pytest.raises(ValueError, match="outside the frontier's range"):
        fr.value(0.1)


def test_chart_labels_itself_and_marks_the_breakpoints(tutorial: fs.Scenario) -> None:
    ax = frontier_chart(budget_frontier(tutorial, lo=0.0, hi=4.0))
    assert ax.get_ylabel() == "optimal objective [objective units]"
    assert ax.get_xlabel() == "multiplier of every usable envelope [1]"
    assert ax.lines[1].get_xdata() == pytest.approx([5 / 6, 10 / 3])
    assert "2 breakpoints" in ax.get_title()
    plt.close("all")
