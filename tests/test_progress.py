"""``fundsim.progress.progress_bar``: plain lines where the console is not a terminal (a pipe, a log), rich's
live bar where it is, and an interrupt that closes the display and propagates.

The clock is replaced by a list of readings (the module reads it once at the start, once per ``advance`` and
once at the end), so every elapsed time and estimate below is worked by hand: after ``done`` of ``total``
steps in ``t`` seconds, about ``t · (total − done) / done`` seconds are left.
"""

from __future__ import annotations

import io
import itertools

import pytest
from rich.console import Console
from typer.testing import CliRunner

import fundsim.progress as progress_module
from fundsim.cli import app
from fundsim.progress import progress_bar


def _pipe() -> tuple[Console, io.StringIO]:
    log = io.StringIO()
    return Console(file=log, force_terminal=False, force_jupyter=False), log


def _clock(monkeypatch: pytest.MonkeyPatch, *readings: float) -> None:
    monkeypatch.setattr(progress_module, "monotonic", iter(readings).__next__)


def test_a_pipe_gets_a_start_line_one_per_advance_at_interval_0_and_an_end_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    console, log = _pipe()
    _clock(monkeypatch, 0, 10, 45, 60, 200)
    with progress_bar("moving 2 assumptions of tutorial", 4, console, interval=0) as advance:
        advance(1)
        advance(2)
        advance(1)
    assert log.getvalue().splitlines() == [
        "moving 2 assumptions of tutorial: 4 to do",
        "moving 2 assumptions of tutorial: 1/4 (25 %), 10 s elapsed, about 30 s left",
        "moving 2 assumptions of tutorial: 3/4 (75 %), 45 s elapsed, about 15 s left",
        "moving 2 assumptions of tutorial: 4/4 done in 3 min 20 s",
    ]


def test_lines_are_at_least_interval_seconds_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    console, log = _pipe()
    _clock(monkeypatch, 0, 1, 2, 6, 7, 10.5, 12, 4000)
    with progress_bar("reoptimise gam", 10_000, console) as advance:
        for _ in range(6):
            advance(1000)
    lines = log.getvalue().splitlines()
    assert lines == [
        "reoptimise gam: 10,000 to do",
        "reoptimise gam: 3,000/10,000 (30 %), 6 s elapsed, about 14 s left",
        "reoptimise gam: 6,000/10,000 (60 %), 12 s elapsed, about 8 s left",
        "reoptimise gam: 6,000/10,000 done in 1 h 06 min",
    ]


def test_the_share_is_rounded_down_so_100_percent_means_done(monkeypatch: pytest.MonkeyPatch) -> None:
    console, log = _pipe()
    _clock(monkeypatch, 0, 243, 486, 486)
    with progress_bar("d", 486, console, interval=0) as advance:
        advance(485)
        advance(1)
    assert log.getvalue().splitlines()[1] == "d: 485/486 (99 %), 4 min 03 s elapsed, about 1 s left"
    assert log.getvalue().splitlines()[2] == "d: 486/486 done in 8 min 06 s"


def test_user_text_is_printed_verbatim_never_as_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    console, log = _pipe()
    _clock(monkeypatch, 0, 1, 2)
    name = "moving 1 assumption of a[/x] [bold]b[/bold] :smile:"
    with progress_bar(name, 2, console, interval=0) as advance:
        advance(1)
    assert [line.split(": ")[0] for line in log.getvalue().splitlines()] == [name] * 3


def test_a_terminal_gets_the_live_bar_with_the_text_verbatim() -> None:
    log = io.StringIO()
    terminal = Console(file=log, force_terminal=True, force_jupyter=False, width=120)
    with progress_bar("a[/x] b", 3, terminal) as advance:
        advance(3)
    shown = log.getvalue()
    assert "a[/x] b" in shown and "\x1b[" in shown and "to do" not in shown


def test_a_notebook_without_ipywidgets_gets_lines_as_rich_would_only_warn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    log = io.StringIO()
    with progress_bar("d", 1, Console(file=log, force_jupyter=True)) as advance:
        advance(1)
    assert log.getvalue().startswith("d: 1 to do\nd: 1/1 done in ")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if name == "ipywidgets" else None)
    assert progress_module._live(Console(file=io.StringIO(), force_jupyter=True))


def test_an_interrupt_propagates_after_a_last_line(monkeypatch: pytest.MonkeyPatch) -> None:
    console, log = _pipe()
    _clock(monkeypatch, 0, 3, 7)
    with pytest.raises(KeyboardInterrupt), progress_bar("d", 5, console, interval=60) as advance:
        advance(2)
        raise KeyboardInterrupt
    assert log.getvalue().splitlines() == ["d: 5 to do", "d: stopped at 2/5 after 7 s"]


def test_an_interrupt_closes_the_live_bar_and_propagates() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True, force_jupyter=False)
    with pytest.raises(KeyboardInterrupt), progress_bar("d", 5, terminal) as advance:
        advance(2)
        raise KeyboardInterrupt
    with progress_bar("again", 1, terminal) as advance:  # rich refuses a second live display while one is open
        advance(1)


def test_assumptions_prints_progress_lines_to_stderr_when_not_a_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "monotonic", itertools.count(0, 10).__next__)
    result = CliRunner().invoke(app, ["assumptions", "scenarios/tutorial.yaml"])
    assert result.exit_code == 0, result.output
    what = "moving 2 assumptions of tutorial"
    assert [line for line in result.stderr.splitlines() if line.startswith(what)] == [
        f"{what}: 4 to do",
        f"{what}: 1/4 (25 %), 10 s elapsed, about 30 s left",
        f"{what}: 2/4 (50 %), 20 s elapsed, about 20 s left",
        f"{what}: 3/4 (75 %), 30 s elapsed, about 10 s left",
        f"{what}: 4/4 done in 50 s",
    ]
    assert what not in result.stdout and "2 numbers marked assumption" in result.stdout
