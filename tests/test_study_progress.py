"""The studies' progress: each study's ``progress`` callback is told, in all, the total its helper (or the
command) announces before it starts, and the study commands print progress lines to stderr in a pipe.

The totals are worked by hand. ``tutorial-uncertain`` declares one factor (``financial_crisis``, moving two
parameters) and four parameters, so a tornado has 1 + 2 × 5 = 11 points; its independent inputs (the sources
of a Sobol' or Morris design) are the factor and the two parameters without one, d = 3. The tutorial's budget
frontier has its one breakpoint at t = 5/6, with slopes 135 left of it and 105 right of it.
"""

from __future__ import annotations

import itertools

import pytest
from typer.testing import CliRunner

import fundsim as fs
import fundsim.progress as progress_module
from fundsim.cli import app
from fundsim.montecarlo import Evaluation
from fundsim.sensitivity import budget_frontier, morris, pareto_front, sobol, sweep, tornado, tornado_study
from fundsim.sensitivity.frontier import FRONTIER_STEPS
from fundsim.sensitivity.gsa import morris_points, sobol_points
from fundsim.sensitivity.pareto import pareto_points
from fundsim.sensitivity.tornadoes import tornado_points

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario(TUTORIAL)


@pytest.fixture(scope="module")
def uncertain() -> fs.Scenario:
    return fs.load_scenario(UNCERTAIN)


def test_a_sweep_tells_each_chunk_of_its_values_as_it_is_solved(tutorial: fs.Scenario) -> None:
    done: list[int] = []
    study = sweep(tutorial, "absorption.capacity.north_africa", [15, 20, 25, 30], evaluation=Evaluation(chunk_size=3),
                  progress=done.append)
    assert done == [3, 1]
    assert study["objective"].values.round(6).tolist() == [120.0, 125.0, 130.0, 135.0]  # 5 per 5 of capacity


def test_a_sweep_on_a_pool_tells_every_chunk_and_still_says_where_it_ran(tutorial: fs.Scenario) -> None:
    done: list[int] = []
    study = sweep(tutorial, "absorption.capacity.north_africa", [15, 20, 30],
                  evaluation=Evaluation(executor="processes", chunk_size=2), progress=done.append)
    assert sorted(done) == [1, 2]  # the chunks finish in any order
    assert study.attrs["executor"] == "processes"
    assert study["objective"].values.round(6).tolist() == [120.0, 125.0, 135.0]


def test_a_tornado_is_told_its_11_points(uncertain: fs.Scenario) -> None:
    assert tornado_points(uncertain) == 11
    done: list[int] = []
    tornado(uncertain, progress=done.append, evaluation=Evaluation(chunk_size=4))
    assert done == [4, 4, 3]
    done.clear()
    tornado_study(uncertain, ["objective", "cofin"], progress=done.append)
    assert done == [11]


def test_tornado_points_refuses_a_scenario_without_uncertainty(tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match="declares no uncertainty: a tornado diagram needs"):
        tornado_points(tutorial)


@pytest.mark.parametrize(("second_order", "points", "chunks"), [(False, 40, [16, 16, 8]),  # (3 + 2)·8
                                                              (True, 64, [16, 16, 16, 16])])  # (2·3 + 2)·8
def test_a_sobol_study_is_told_its_points(uncertain: fs.Scenario, second_order: bool, points: int,
                                          chunks: list[int]) -> None:
    assert sobol_points(uncertain, 8, second_order=second_order) == points
    done: list[int] = []
    study = sobol(uncertain, 8, second_order=second_order, ignore_correlation=True, progress=done.append,
                  evaluation=Evaluation(chunk_size=16))
    assert done == chunks
    assert study.attrs["evaluations"] == study.sizes["evaluation"] == points


def test_sobol_points_refuses_what_sobol_refuses(uncertain: fs.Scenario, tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match=r"n must be a power of 2 .*; got 30, use 16 or 32"):
        sobol_points(uncertain, 30)
    with pytest.raises(ValueError, match="declares no uncertainty"):
        sobol_points(tutorial, 8)


def test_a_morris_study_is_told_its_points(uncertain: fs.Scenario) -> None:
    assert morris_points(uncertain, 3) == 12  # 3 trajectories of d + 1 = 4 points
    done: list[int] = []
    study = morris(uncertain, 3, ignore_correlation=True, progress=done.append)
    assert done == [12] and study.attrs["evaluations"] == 12


def test_a_budget_frontier_is_told_its_range_traced_then_checked(tutorial: fs.Scenario) -> None:
    """Over [0.5, 1.5] the supporting lines at the ends (slopes 135 and 105) cross at the breakpoint t = 5/6: one
    solve traces the whole range (50 steps). The two pieces are then checked left to right: the first ends a
    third of the way along the range, floor(50/3) = 16 steps, the second brings the rest, 34."""
    done: list[int] = []
    frontier = budget_frontier(tutorial, lo=0.5, hi=1.5, progress=done.append)
    assert FRONTIER_STEPS == 100
    assert done == [50, 16, 34]
    assert frontier.breakpoints.round(6).tolist() == [0.833333]


def test_a_budget_frontier_finishes_its_trace_before_its_checks(tutorial: fs.Scenario) -> None:
    done: list[int] = []
    budget_frontier(tutorial, lo=0.0, hi=2.0, progress=done.append)
    assert sum(done) == FRONTIER_STEPS and min(done) > 0
    assert FRONTIER_STEPS // 2 in itertools.accumulate(done)


def test_a_linear_frontier_is_told_all_its_steps_at_once(tutorial: fs.Scenario) -> None:
    """Linear on [1.9, 2]: the lines at its ends are one line, so it is one piece, traced and checked at once."""
    done: list[int] = []
    budget_frontier(tutorial, lo=1.9, hi=2.0, progress=done.append)
    assert done == [50, 50]


def test_a_pareto_front_is_told_each_lexicographic_optimisation(tutorial: fs.Scenario) -> None:
    assert pareto_points(("impact", "regional_concentration"), 3) == 5  # 2 payoff rows, 3 ε values
    done: list[int] = []
    front = pareto_front(tutorial, ("impact", "regional_concentration"), 3, progress=done.append)
    assert done == [1] * 5
    assert front.table()["impact"].round(4).tolist() == [130.0, 125.0, 120.0]


def test_a_pareto_axis_of_one_value_counts_the_points_it_saves(tutorial: fs.Scenario) -> None:
    """Leverage is 5 whichever objective is optimised first (the TPMA's 20 at an EU share of 0.8 mobilise
    20 × 0.25; the ENPI has no co-financing), so its ε grid is that one value: the two payoff rows, then the 2
    grid points saved, then the one solved."""
    done: list[int] = []
    front = pareto_front(tutorial, ("impact", "leverage"), 3, progress=done.append)
    assert done == [1, 1, 2, 1] and sum(done) == pareto_points(("impact", "leverage"), 3)
    assert len(front) == 1 and front.table()["leverage"].round(6).tolist() == [5.0]


def test_sweep_prints_progress_lines_to_stderr_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """150 values run in chunks of 100: a line after the first chunk (the clock reads 0 at the start, then 10
    per reading), 100 of 150 in 10 s leaves about 10 × 50 / 100 = 5 s."""
    monkeypatch.setattr(progress_module, "monotonic", itertools.count(0, 10).__next__)
    result = CliRunner().invoke(app, ["sensitivity", "sweep", TUTORIAL, "instruments.tpma.envelope", "--start", "0.5",
                                      "--stop", "1.5", "--num", "150", "--relative"])
    assert result.exit_code == 0, result.output
    what = "sweep of instruments.tpma.envelope in tutorial: 150 solves"
    assert [line for line in result.stderr.splitlines() if line.startswith(what)] == [
        f"{what}: 150 to do",
        f"{what}: 100/150 (66 %), 10 s elapsed, about 5 s left",
        f"{what}: 150/150 done in 30 s",
    ]
    assert what not in result.stdout and "tutorial: sweep of instruments.tpma.envelope" in result.stdout


@pytest.mark.parametrize(("args", "what", "total"), [
    (["tornado", UNCERTAIN], "tornado of tutorial-uncertain: 11 solves", 11),
    (["sobol", UNCERTAIN, "--n", "8", "--ignore-correlation"], "sobol of tutorial-uncertain: 40 solves", 40),
    (["morris", UNCERTAIN, "--trajectories", "3", "--ignore-correlation"], "morris of tutorial-uncertain: 12 solves",
     12),
    (["budget-frontier", TUTORIAL, "--lo", "0.5", "--hi", "1.5"],
     "budget frontier of tutorial: 100 steps (t from 0.5 to 1.5: traced, then checked)", 100),
    (["pareto", TUTORIAL, "--objectives", "impact,regional_concentration", "--points", "3"],
     "pareto of tutorial: 5 optimisations", 5),
])
def test_every_study_command_announces_its_total_on_stderr(args: list[str], what: str, total: int) -> None:
    result = CliRunner().invoke(app, ["sensitivity", *args])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"{what}: {total} to do"
    assert lines[-1].startswith(f"{what}: {total}/{total} done in ")


def test_a_user_error_before_any_count_shows_no_progress() -> None:
    result = CliRunner().invoke(app, ["sensitivity", "tornado", TUTORIAL])
    assert result.exit_code == 2
    assert "to do" not in result.stderr and "declares no uncertainty" in result.stderr

