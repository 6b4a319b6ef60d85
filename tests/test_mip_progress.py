"""Live progress of a mixed-integer solve, its default gap and time limit, and the gap it proved.

The reference MILP is the tutorial with at most one instrument per cell: its optimum is 127.5 (the doctest of
``fundsim.solvers.mip.solve_mip``; the LP without the rule reaches 130). Every bound HiGHS proves on it must be
at least 127.5, and every plan it finds at most 127.5. A time limit is hit for sure by a progress callback that
sleeps past it at the first plan found: HiGHS stops at its next check with that plan.
"""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import fundsim as fs
import fundsim.progress as progress_module
from fundsim.cli import app
from fundsim.errors import CapabilityError, SolverError
from fundsim.progress import status_display
from fundsim.solvers import HighsSolver
from fundsim.solvers.base import MipProgress
from fundsim.testing import assert_allocation_feasible

OPTIMUM = 127.5
TOL = 1e-9


@pytest.fixture(scope="module")
def milp() -> fs.Scenario:
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    return sc.evolve(rules=dataclasses.replace(sc.rules, max_instruments_per_cell=fs.model.MaxInstrumentsPerCell(1)))


@pytest.fixture(scope="module")
def milp_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = yaml.safe_load(Path("scenarios/tutorial.yaml").read_text())
    spec["rules"]["max_instruments_per_cell"] = 1
    path = tmp_path_factory.mktemp("milp") / "one-per-cell.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def past_the_limit(limit: float, seen: list[MipProgress]) -> Callable[[MipProgress], None]:
    """A progress callback that records every report and, at the first plan, sleeps until HiGHS's clock is past
    ``limit``."""
    def report(snapshot: MipProgress) -> None:
        seen.append(snapshot)
        if snapshot.incumbent is not None and snapshot.seconds <= limit:
            time.sleep(limit - snapshot.seconds + 0.2)

    return report


# ---- the callback -----------------------------------------------------------------------------------------
def test_each_report_is_consistent_and_the_last_is_the_plan(milp: fs.Scenario) -> None:
    seen: list[MipProgress] = []
    alloc = fs.solve(milp, progress=seen.append)
    assert alloc.status == "optimal" and alloc.objective == pytest.approx(OPTIMUM)
    both = [(s.incumbent, s.bound, s.gap) for s in seen if s.incumbent is not None and s.bound is not None]
    assert len(both) >= 2 and all(isinstance(s, MipProgress) for s in seen)
    for incumbent, bound, gap in both:
        assert gap == pytest.approx(abs(incumbent - bound) / abs(incumbent), rel=1e-9, abs=1e-12)
        assert bound >= OPTIMUM - TOL >= incumbent - 2 * TOL  # a maximisation: bound ≥ optimum ≥ any plan
    assert all(s.gap is None for s in seen if s.incumbent is None or s.bound is None)
    incumbents = [s.incumbent for s in seen if s.incumbent is not None]
    bounds = [s.bound for s in seen if s.bound is not None]
    assert incumbents == sorted(incumbents) and bounds == sorted(bounds, reverse=True)  # each only improves
    assert [s.seconds for s in seen] == sorted(s.seconds for s in seen)
    last = seen[-1]
    assert last.incumbent == pytest.approx(alloc.objective) and last.bound == pytest.approx(OPTIMUM)
    assert last.gap is not None and last.gap <= 1e-3


def test_an_lp_reports_nothing() -> None:
    seen: list[MipProgress] = []
    assert fs.solve("scenarios/tutorial.yaml", progress=seen.append).objective == pytest.approx(130.0)
    assert seen == []


def test_the_backend_reports_to_its_progress_attribute(milp: fs.Scenario) -> None:
    solver, seen = HighsSolver(), list[MipProgress]()
    solver.progress = seen.append
    result = solver.solve(fs.assemble(milp))
    assert seen[-1].incumbent == pytest.approx(result.objective) == pytest.approx(OPTIMUM)
    assert result.info["mip_bound"] == pytest.approx(OPTIMUM)


def test_only_highs_reports_progress_and_other_kinds_are_refused(milp: fs.Scenario) -> None:
    with pytest.raises(CapabilityError, match=r"'pulp' has no progress callback.*highs"):
        fs.solve(milp, solver="pulp", progress=True)
    with pytest.raises(TypeError, match=r"progress: got the int 3; give True or False, or a function"):
        fs.solve(milp, progress=3)  # type: ignore[arg-type]


def test_progress_true_shows_the_search_on_stderr(milp: fs.Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    fs.solve(milp, progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "solving tutorial to a proved gap of 0.10 % or 300 s"
    assert lines[-1].startswith("tutorial: incumbent 127.5 · bound 127.5 · gap 0.00 % · ")


def test_money_is_never_in_scientific_notation() -> None:
    line = MipProgress(12_345_678.94, 1.5e7, (1.5e7 - 12_345_678.94) / 12_345_678.94, 1e4).describe()
    assert line == "incumbent 12,345,678.9 · bound 15,000,000.0 · gap 21.50 %"
    assert MipProgress(None, None, None, 0.0).describe() == "no plan yet"


# ---- the default gap and time limit, the gap proved -------------------------------------------------------
def test_the_default_gap_and_time_limit_land_in_the_attrs(milp: fs.Scenario) -> None:
    a = fs.solve(milp).data.attrs
    assert (a["mip_rel_gap"], a["time_limit"]) == (0.001, 300.0)
    assert 0 <= a["mip_gap"] <= 0.001 and a["mip_bound"] == pytest.approx(OPTIMUM)
    b = fs.solve(milp, options={"mip_rel_gap": 0.05, "time_limit": 60}).data.attrs
    assert (b["mip_rel_gap"], b["time_limit"]) == (0.05, 60)
    assert b["mip_gap"] == pytest.approx((b["mip_bound"] - b["objective"]) / b["objective"], abs=1e-12)
    assert b["mip_gap"] <= 0.05 and b["mip_bound"] >= OPTIMUM - TOL
    assert not {"mip_rel_gap", "time_limit", "mip_gap"} & set(fs.solve("scenarios/tutorial.yaml").data.attrs)


def test_pulp_gets_the_defaults_too(milp: fs.Scenario) -> None:
    a = fs.solve(milp, solver="pulp").data.attrs
    assert (a["mip_rel_gap"], a["time_limit"], a["objective"]) == (0.001, 300.0, pytest.approx(OPTIMUM))


def test_a_time_limit_keeps_the_incumbent_with_status_limit_and_its_gap(milp: fs.Scenario) -> None:
    seen: list[MipProgress] = []
    alloc = fs.solve(milp, options={"time_limit": 1.0}, progress=past_the_limit(1.0, seen))
    a = alloc.data.attrs
    assert alloc.status == "limit" and a["time_limit"] == 1.0
    assert_allocation_feasible(milp, alloc)
    assert alloc.objective <= OPTIMUM + TOL <= a["mip_bound"] + 2 * TOL  # a plan, and a bound on the optimum
    assert a["mip_gap"] == pytest.approx((a["mip_bound"] - alloc.objective) / alloc.objective, rel=1e-9)
    assert a["mip_gap"] > 0.001 and a["shadow_prices"] == "conditional on the integer decisions"
    assert seen[-1].bound == pytest.approx(a["mip_bound"])


def test_a_time_limit_before_any_plan_says_how_to_give_it_longer(milp: fs.Scenario) -> None:
    with pytest.raises(SolverError, match=r"stopped with status limit on 'tutorial' before it found a plan .*"
                                          r"its time limit: 0 s.*option time_limit") as caught:
        fs.solve(milp, options={"time_limit": 0})
    assert caught.value.status == "limit"


def test_pulp_keeps_a_plan_its_solver_stopped_with(milp: fs.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """What CBC reports at its time limit with a plan: PuLP status 1 and an integer-feasible solution."""
    import pulp

    real = pulp.LpProblem.solve

    def stopped_at_the_limit(self: pulp.LpProblem, solver: object = None) -> int:
        status = real(self, solver)
        if any(v.cat == "Integer" for v in self.variables()):
            self.sol_status = pulp.LpSolutionIntegerFeasible
        return status

    monkeypatch.setattr(pulp.LpProblem, "solve", stopped_at_the_limit)
    alloc = fs.solve(milp, solver="pulp")
    assert alloc.status == "limit" and alloc.objective == pytest.approx(OPTIMUM, abs=1e-6)
    assert "mip_gap" not in alloc.data.attrs  # PuLP passes on no bound
    assert_allocation_feasible(milp, alloc)


# ---- the command line -------------------------------------------------------------------------------------
def test_solve_prints_the_stopping_rule_progress_lines_and_the_proved_gap(milp_file: Path) -> None:
    result = CliRunner().invoke(app, ["solve", str(milp_file)])
    assert result.exit_code == 0, result.output
    err = result.stderr.splitlines()
    assert err[0] == "solving tutorial to a proved gap of 0.10 % or 300 s"
    shown = [line for line in err if line.startswith("tutorial: ")]
    assert shown and shown[-1].startswith("tutorial: incumbent 127.5 · bound 127.5 · gap 0.00 % · ")
    assert "tutorial: optimal, objective 127.5000, proved within 0.00 % of the optimum (maximise" in result.stdout
    assert "no plan yet" not in result.stdout and " · bound " not in result.stdout  # progress goes to stderr


def test_solve_options_change_the_stopping_rule(milp_file: Path) -> None:
    result = CliRunner().invoke(app, ["solve", str(milp_file), "--option", "mip_rel_gap=0.05", "--option",
                                      "time_limit=inf"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "solving tutorial to a proved gap of 5.00 %"
    result = CliRunner().invoke(app, ["solve", str(milp_file), "--solver", "pulp"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == ("solving tutorial to a proved gap of 0.10 % or 300 s (the pulp backend "
                                             "does not report its progress)")


def test_solve_an_lp_shows_no_mip_progress() -> None:
    result = CliRunner().invoke(app, ["solve", "scenarios/tutorial.yaml"])
    assert result.exit_code == 0 and "proved" not in result.output and result.stderr == ""


def test_solve_stopped_by_its_time_limit_keeps_the_plan_and_says_so(milp_file: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = HighsSolver._run

    def slow_at_the_first_plan(self: HighsSolver) -> bool:
        if self._is_mip():
            self.highs.cbMipImprovingSolution.subscribe(lambda event: time.sleep(1.2))
        return real(self)

    monkeypatch.setattr(HighsSolver, "_run", slow_at_the_first_plan)
    nc = tmp_path / "plan.nc"
    result = CliRunner().invoke(app, ["solve", str(milp_file), "--option", "time_limit=1", "--out", str(nc)])
    assert result.exit_code == 0, result.output
    plan = fs.open_allocation(nc)
    gap = plan.data.attrs["mip_gap"]
    assert plan.status == "limit" and gap > 0.001
    assert f"tutorial: limit, objective {plan.objective:,.4f}, proved within {100 * gap:,.2f} % of the optimum" \
        in result.stdout
    assert (f"stopped at the time limit of 1 s before the gap asked for; the plan is proved within {100 * gap:,.2f} "
            "% of the optimum.") in " ".join(result.stderr.split())


# ---- the status display ------------------------------------------------------------------------------------
class Clock:
    """A clock the test sets: every reading is ``now``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _pipe() -> tuple[Console, io.StringIO]:
    log = io.StringIO()
    return Console(file=log, force_terminal=False, force_jupyter=False), log


def test_status_lines_at_once_then_every_interval_then_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(progress_module, "monotonic", clock)
    console, log = _pipe()
    status_log = progress_module._StatusLog("gam", console, 5.0)
    for now, step in [(1, "show a"), (3, "show b"), (5.5, "tick"), (6, "tick"), (9, "show c"), (10, "show d"),
                      (11, "tick"), (12, "show e"), (13, "end")]:
        clock.now = now
        if step.startswith("show"):
            status_log.show(step[-1])
        else:
            getattr(status_log, step)()
    assert log.getvalue().splitlines() == ["gam: a · 1 s", "gam: b · 6 s", "gam: d · 11 s", "gam: e · 13 s"]


def test_status_lines_repeat_the_latest_while_nothing_changes() -> None:
    console, log = _pipe()
    with status_display("gam", console, interval=0.1) as show:
        show("no plan yet")
        deadline = time.monotonic() + 60
        while log.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = log.getvalue().splitlines()
    assert len(lines) >= 3 and all(line.startswith("gam: no plan yet · ") for line in lines)


def test_status_text_is_verbatim_and_nothing_shows_before_the_first_status() -> None:
    console, log = _pipe()
    with status_display("a[/x] [bold]b", console):
        pass
    assert log.getvalue() == ""
    with status_display("a[/x] [bold]b", console) as show:
        show("c [/red] :smile:")
    assert log.getvalue().startswith("a[/x] [bold]b: c [/red] :smile: · ")


def test_an_exception_writes_the_latest_status_and_propagates() -> None:
    console, log = _pipe()
    with pytest.raises(KeyboardInterrupt), status_display("gam", console, interval=3600) as show:
        show("no plan yet")
        show("incumbent 1.0")
        raise KeyboardInterrupt
    assert [line.rsplit(" · ", 1)[0] for line in log.getvalue().splitlines()] == ["gam: no plan yet",
                                                                                  "gam: incumbent 1.0"]


def test_a_terminal_gets_one_live_line_with_the_text_verbatim() -> None:
    log = io.StringIO()
    terminal = Console(file=log, force_terminal=True, force_jupyter=False, width=120)
    with status_display("a[/x] b", terminal) as show:
        show("incumbent 1.0")
    shown = log.getvalue()
    assert "\x1b[" in shown and "a[/x] b" in shown  # rich's live line, the description not read as markup
