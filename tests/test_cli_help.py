"""Every command's ``--help`` in domain words (no Python type, the choices of a choice option listed) and the global
``--quiet``: progress and informational lines off, errors and what a command prints on stdout kept."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any, get_args

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from fundsim.cli import EXIT_BAD_INPUT, app
from fundsim.cli.common import SOLVERS
from fundsim.cli.core import DESIGNS, MODES
from fundsim.progress import progress_bar, status_display

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"
#: what typer 0.29 prints beside a parameter it is given no metavar for: its Python type
PYTHON_TYPES = ("<bool>", "<str>", "<Path>", "<path>", "<int>", "<int range>", "<float>", "<float range>", "list[")


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group of the app, the app itself first, hidden ones too, with the words that call it."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


ALL = dict(commands(typer.main.get_command(app)))


def help_of(*path: str) -> str:
    """``fundsim <path> --help`` at 80 columns, in a pipe (the runner's output is not a terminal)."""
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def option_row(text: str, option: str) -> str:
    """The first line of ``option``'s row in a help panel."""
    return next(line for line in text.splitlines() if re.match(rf"│\s*\*?\s*{re.escape(option)}\s", line))


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})


def test_every_command_is_covered() -> None:
    assert {" ".join(path) for path in ALL} >= {
        "", "validate", "solve", "replan", "simulate", "export", "report", "compare", "assumptions", "sensitivity",
        "sensitivity sweep", "sensitivity tornado", "sensitivity sobol", "sensitivity morris",
        "sensitivity budget-frontier", "sensitivity frontier", "sensitivity pareto"}


@pytest.mark.parametrize("path", list(ALL), ids=lambda path: " ".join(path) or "fundsim")
def test_help_names_no_python_type_and_cuts_no_name(path: tuple[str, ...]) -> None:
    text = help_of(*path)
    assert [t for t in PYTHON_TYPES if t in text] == [], text
    assert "…" not in text, text  # no option name nor metavar cut to fit 80 columns
    assert "Show this message and exit." in option_row(text, "--help")


@pytest.mark.parametrize("path", [p for p, c in ALL.items() if any(q.name == "solver" for q in c.params)],
                         ids=" ".join)
def test_every_solver_option_lists_the_backends(path: tuple[str, ...]) -> None:
    assert "[highs|pulp]" in option_row(help_of(*path), "--solver")


def test_simulate_lists_its_modes_and_designs() -> None:
    text = help_of("simulate")
    assert "[reoptimise|stress]" in option_row(text, "--mode")
    assert "[random|lhs|sobol]" in option_row(text, "--design")


@pytest.mark.parametrize(("path", "option", "metavar"), [
    (("solve",), "--out", "FILE"), (("solve",), "--option", "KEY=VALUE"), (("solve",), "--top", "N"),
    (("replan",), "--from-year", "YEAR"), (("simulate",), "--out", "PATH"), (("simulate",), "--scheduler", "ADDRESS"),
    (("assumptions",), "--spread", "SHARE"), (("sensitivity", "sweep"), "--values", "X,Y,..."),
])
def test_a_value_option_shows_what_it_takes(path: tuple[str, ...], option: str, metavar: str) -> None:
    row = option_row(help_of(*path), option)
    assert re.search(rf"\s{re.escape(metavar)}\s", row), row


@pytest.mark.parametrize(("path", "option"), [
    ((), "--version"), ((), "--quiet"), (("solve",), "--explain"), (("simulate",), "--force"),
    (("sensitivity", "sweep"), "--relative"), (("sensitivity", "sobol"), "--second-order"),
    (("sensitivity", "morris"), "--ignore-correlation"),
])
def test_a_flag_shows_no_metavar(path: tuple[str, ...], option: str) -> None:
    row = option_row(help_of(*path), option)
    after = row.split(option, 1)[1]
    assert re.match(r"(\s+-[a-z])?\s{2,}[a-z]", after), row  # the (short name and) help follow at once


def test_help_text_in_brackets_is_shown_as_written() -> None:
    assert "'range: [low, high]'" in help_of("assumptions")


def test_the_choices_are_the_engine_s() -> None:
    from fundsim.montecarlo.options import DesignName, Mode
    from fundsim.solvers import BACKENDS

    assert tuple(BACKENDS) == SOLVERS
    assert get_args(Mode) == MODES
    assert get_args(DesignName) == DESIGNS


@pytest.mark.parametrize(("path", "option", "typed", "offered"), [
    (("simulate",), "mode", "s", ["stress"]), (("simulate",), "design", "", ["random", "lhs", "sobol"]),
    (("solve",), "solver", "p", ["pulp"]), (("sensitivity", "sweep"), "solver", "x", []),
])
def test_shell_completion_offers_the_choices(path: tuple[str, ...], option: str, typed: str,
                                             offered: list[str]) -> None:
    command = ALL[path]
    param = next(p for p in command.params if p.name == option)
    assert [item.value for item in param.shell_complete(typer.Context(command), typed)] == offered


@pytest.mark.parametrize(("args", "message"), [
    (("solve", TUTORIAL, "--solver", "gurobi"), "unknown solver 'gurobi'; available solvers are: highs, pulp"),
    (("sensitivity", "sweep", TUTORIAL, "instruments.tpma.envelope", "--values", "1", "--solver", "cbc"),
     "unknown solver 'cbc'; available solvers are: highs, pulp"),
    (("simulate", UNCERTAIN, "--draws", "2", "--mode", "guess"),
     "unknown mode 'guess'; the modes are: reoptimise, stress"),
    (("simulate", UNCERTAIN, "--draws", "2", "--design", "grid"),
     "unknown design 'grid'; the designs are: random, lhs, sobol"),
])
def test_a_wrong_choice_exits_2_naming_the_valid_ones(args: tuple[str, ...], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert message in result.stderr and "Traceback" not in result.output


def without_timings(text: str) -> str:
    return re.sub(r"\d+(\.\d+)? s\b", "… s", text)


def test_quiet_silences_the_progress_and_keeps_the_table() -> None:
    loud = invoke("assumptions", TUTORIAL)
    quiet = invoke("--quiet", "assumptions", TUTORIAL)
    assert loud.exit_code == quiet.exit_code == 0, loud.output + quiet.output
    # the tutorial marks two numbers 'assumption', each moved to its two ends: four solves
    assert loud.stderr.splitlines()[0] == "moving 2 assumptions of tutorial: 4 to do"
    assert "4/4 done in" in loud.stderr
    assert quiet.stderr == ""
    assert "2 numbers marked assumption" in quiet.stdout
    assert without_timings(quiet.stdout) == without_timings(loud.stdout)


def test_quiet_is_short_q_and_lasts_one_invocation() -> None:
    assert invoke("-q", "assumptions", TUTORIAL).stderr == ""
    assert "moving 2 assumptions of tutorial: 4 to do" in invoke("assumptions", TUTORIAL).stderr


@pytest.mark.parametrize(("args", "message"), [
    (("-q", "solve", TUTORIAL, "--solver", "gurobi"), "unknown solver 'gurobi'"),
    (("-q", "validate", "no-such-scenario.yaml"), "no-such-scenario.yaml: 1 problem — nothing was solved"),
    (("-q", "solve", TUTORIAL, "--out", "plan.json"), "unknown file type '.json'"),
])
def test_errors_still_print_under_quiet(args: tuple[str, ...], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert message in result.stderr


def test_a_quiet_console_shows_no_progress() -> None:
    log = io.StringIO()
    console = Console(file=log, quiet=True)
    with progress_bar("solving", 3, console, interval=0) as advance:
        advance(3)
    with status_display("solving", console, interval=0.1) as show:
        show("incumbent 1.0 · bound 2.0")
    assert log.getvalue() == ""
