"""What every ``fundsim`` command shares: the Typer app and how its help reads, the consoles and ``--quiet``,
exit codes, loading a scenario, checking and recording outputs, the interrupt rule, and printing tables.

No user text is ever read as console markup: every path, option value, label and message goes to the
console as a :class:`rich.text.Text` (or escaped), so ``[bold]`` or ``[/x]`` in a name shows as written.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from fundsim.errors import InfeasibleError, ScenarioError
from fundsim.formats import Kind, column_kind, format_frame, label
from fundsim.model import Scenario
from fundsim.outputs import OutputError, check_output

if TYPE_CHECKING:  # the command line starts without pandas and the scenario schema, loaded when used
    import pandas as pd

EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_INTERRUPTED = 0, 2, 3, 4, 130


class _Argument(TyperArgument):
    """An argument shown in help by its name and its help alone."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _no_metavar(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.metavar = ""
    return option


class Command(TyperCommand):
    """A command whose help names no Python type.

    typer 0.29 prints each parameter's annotation (``<path>``, ``<list[Path]>``, ``<bool>``, ``<str>``) where click
    printed a metavar. Every option of fundsim's gives a domain metavar (``FILE``, ``N``, ``KEY=VALUE``, the choices
    ``[highs|pulp]``; none for a flag); the help flag gets none; an argument is shown by its name, its help saying
    what it takes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:  # typer makes its own; only the help's type column changes
                param.__class__ = _Argument

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _no_metavar(super().get_help_option(ctx))


class Group(TyperGroup):
    """A group of commands whose help names no Python type (see :class:`Command`)."""

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _no_metavar(super().get_help_option(ctx))


class App(typer.Typer):
    """A Typer app of :class:`Group` and :class:`Command`, so that no command's help names a Python type."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(cls=Group, **settings)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        return super().command(*args, cls=Command, **kwargs)


def flag(*names: str, help: str) -> Any:
    """An option that is on when given (default off), shown in help without a metavar."""
    return typer.Option(False, *names, metavar="", help=help)


def choice(default: str | None, names: tuple[str, ...], help: str, *decls: str) -> Any:
    """An option taking one of ``names``: help shows them as ``[a|b]`` and shell completion offers them. The command
    checks the value where it always did, so a wrong one is refused with the domain's message, which names the
    valid ones (exit 2)."""

    def complete(incomplete: str) -> list[str]:
        return [name for name in names if name.startswith(incomplete)]

    return typer.Option(default, *decls, metavar="[" + "|".join(names) + "]", help=help, autocompletion=complete)


#: the solver backends by name, as :data:`fundsim.solvers.BACKENDS` has them (a test keeps them equal; naming
#: them here keeps the solvers out of the command line's start)
SOLVERS = ("highs", "pulp")


def solver_option(help: str = "the solver backend (pulp runs CBC)") -> Any:
    """The ``--solver`` option of every command that solves."""
    return choice("highs", SOLVERS, help)


app = App(
    help="Plan public funding: validate, solve, simulate, study and report on allocation scenarios.\n\n"
    "Exit codes: 0 ok, 2 bad input, 3 infeasible scenario, 4 solver failure, 130 interrupted (see each "
    "command's --help).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)
#: progress and informational lines on stderr; ``--quiet`` silences them (errors and warnings go to :data:`err`)
info = Console(stderr=True, soft_wrap=True, highlight=False)


def _version_line() -> str:
    """fundsim's version, and the Python and solver versions it runs on (read from the installed metadata:
    nothing is imported)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from fundsim._version import __version__

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return (f"fundsim {__version__} (Python {platform.python_version()}, highspy {installed('highspy')}, "
            f"PuLP {installed('pulp')})")


def _show_version(wanted: bool) -> None:
    if wanted:
        out.print(Text(_version_line()))
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version, metavar="",
                                       help="print the versions of fundsim, Python and the solvers, and exit"),
          quiet: bool = flag("--quiet", "-q", help="no progress and no informational lines on stderr (errors and "
                             "warnings are still shown; what a command prints on stdout is unchanged)")) -> None:
    """Plan public funding: validate, solve, simulate, study and report on allocation scenarios."""
    info.quiet = quiet  # set at every invocation: one process may run several (tests, notebooks)


#: the outputs the running command has written whole; what an interrupt reports as kept
written: list[Path] = []

F = TypeVar("F", bound=Callable[..., Any])


def text(*parts: str | tuple[str, str]) -> Text:
    """A console line from plain parts and ``(part, style)`` pairs; nothing in them is read as markup."""
    return Text.assemble(*parts)


def load(path: Path) -> Scenario:
    from fundsim.scenario import load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        n = len(exc.problems)
        err.print(text((f"{path}: {n} problem{'s' if n != 1 else ''}", "bold red"), " — nothing was solved:"))
        for p in exc.problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _either(kinds: tuple[str, ...]) -> str:
    return ", ".join(kinds[:-1]) + f" or {kinds[-1]}" if len(kinds) > 1 else kinds[0]


def check_outputs(paths: Iterable[Path | None], kinds: Iterable[str], inputs: Iterable[Path | None] = (),
                  option: str = "--out", hint: str | None = None) -> None:
    """Refuse, with exit 2 and before any work, an output path of another kind than ``kinds`` (``hint``
    says what to use) and every path :func:`fundsim.outputs.check_output` refuses: one of the command's
    ``inputs``, a path under a file, a folder, something that is not a regular file."""
    given = [p for p in inputs if p is not None]
    kinds = tuple(kinds)
    for path in paths:
        if path is None:
            continue
        if path.suffix.lower() not in kinds:
            what = "a folder, not a file" if path.is_dir() else f"unknown file type {path.suffix or '(none)'!r}"
            raise fail(f"{option} {path}: {what}; {hint or 'use ' + _either(kinds)}")
        try:
            check_output(path, kinds=kinds, inputs=given, option=option)
        except OutputError as exc:
            raise fail(str(exc)) from None


def distinct_outputs(paths: Iterable[Path | None]) -> None:
    """Refuse (exit 2) an output named twice: the second write would replace the first."""
    seen: dict[Path, Path] = {}
    for path in paths:
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise fail(f"{path}: named twice as an output ({seen[key]}); give each output its own path")
        seen[key] = path


_MEANING = {
    0: "ok",
    2: "bad input: a malformed scenario, a missing file, a wrong option, or an output path fundsim will not "
       "write (checked before any work)",
    3: "the scenario is infeasible; the message names the rules in conflict and the least change that helps",
    4: "the solver stopped without an answer (a time or iteration limit, a numerical failure)",
    130: "interrupted by Ctrl-C or SIGTERM: outputs already written whole are kept, nothing half-written is "
         "left, and one line says what was kept",
}


def exit_codes(*codes: int) -> str:
    """The exit codes a command can return, for its ``--help``."""
    return "Exit codes: " + "; ".join(f"{c} {_MEANING[c]}" for c in codes) + "."


def wrote(path: Path, detail: str = "") -> None:
    """Record and print that ``path`` was written whole."""
    written.append(path)
    out.print(text(f"wrote {path}{detail}"))


def cell(value: Any) -> Text:
    """A table cell or header shown verbatim."""
    return Text(value if isinstance(value, str) else str(value))


class Uncut:
    """A table rendered at the width its columns need when the console is narrower: rich would otherwise shrink
    (and at worst collapse) columns to fit, so the lines run longer instead."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        needed = Measurement.get(console, options.update_width(10_000), self.table).maximum
        yield from console.render(self.table, options.update_width(max(options.max_width, needed)))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options.update_width(10_000), self.table)


def uncut_table(title: str, header: list[str], rows: list[list[str]], numeric: list[bool]) -> Uncut:
    """A table that never cuts a number or a label: no column wraps, ends in '…' or collapses, so a table wider
    than the terminal (or than COLUMNS in a pipe) is printed whole and the lines run longer instead.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> console = Console(width=40, record=True, file=io.StringIO())
    >>> console.print(uncut_table("t", ["path", "figure"], [["instruments.enpi.usable_share", "12,345.67"]],
    ...                           [False, True]), crop=False)
    >>> "instruments.enpi.usable_share │ 12,345.67" in console.export_text()
    True
    """
    table = Table(title=Text(title), title_justify="left")
    for n, (name, is_number) in enumerate(zip(header, numeric, strict=True)):
        widest = max([len(name), *(len(row[n]) for row in rows)])
        table.add_column(cell(name), justify="right" if is_number else "left", no_wrap=True, min_width=widest)
    for row in rows:
        table.add_row(*map(cell, row))
    return Uncut(table)


def _cells(frame: pd.DataFrame, kinds: Mapping[Any, Kind] | None,
           decimals: Mapping[Any, int] | None) -> tuple[list[list[str]], list[bool]]:
    """The rows of a table of ``frame`` (its label first) by fundsim's number policy, and which columns are
    numbers."""
    shown = format_frame(frame, kinds, decimals)
    rows = [[label(name), *values] for name, values in zip(shown.index, shown.to_numpy().tolist(), strict=True)]
    return rows, [False] + [column_kind(c, v) != "text" for c, v in frame.items()]


def money_table(frame: pd.DataFrame, title: str, index_name: str) -> Uncut:
    """A table of EUR m: its plain-number columns are money (one decimal), its shares read in %
    (:mod:`fundsim.formats`)."""
    rows, numeric = _cells(frame, {c: "money" for c, v in frame.items() if column_kind(c, v) == "number"}, None)
    return uncut_table(title, [index_name, *map(str, frame.columns)], rows, numeric)


def print_frame(frame: pd.DataFrame, title: str, kinds: Mapping[Any, Kind] | None = None,
                decimals: Mapping[Any, int] | None = None) -> None:
    """Print ``frame`` as a table by fundsim's number policy (:func:`fundsim.formats.format_frame`: ``kinds`` and
    ``decimals`` of some columns, the others by their names, values and the rows' units)."""
    rows, numeric = _cells(frame, kinds, decimals)
    out.print(uncut_table(title, ["", *map(str, frame.columns)], rows, numeric))


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``message`` (verbatim, never as markup) on stderr and return the exit to raise."""
    err.print(Text(message, style="bold red"))
    return typer.Exit(code)


def solver_failed(exc: Exception, where: object) -> typer.Exit:
    """Print that the solver stopped without an answer (a limit, a numerical failure) and return exit 4."""
    return fail(f"{where}: solver failure — {exc}", EXIT_SOLVER)


def infeasible(exc: InfeasibleError, where: object) -> typer.Exit:
    """Print why a scenario is infeasible (its diagnosis: conflicts and repairs) and return exit 3 to raise."""
    err.print(text((f"{where}: infeasible", "bold red"), f" — {exc.message}. What stands in the way:"))
    for line in exc.diagnosis:
        typer.echo(f"  - {line}", err=True)
    return typer.Exit(EXIT_INFEASIBLE)


def interrupted(kept: str | None = None, resume: str = "run the same command again to redo the rest") -> typer.Exit:
    """Print the one line of an interrupt — what was kept and how to resume — and return exit 130."""
    if kept is None:
        kept = ("kept " + ", ".join(map(str, written)) + " (complete); nothing else was written"
                if written else "nothing was written (fundsim writes each output whole or not at all)")
    return fail(f"interrupted: {kept} — {resume}", EXIT_INTERRUPTED)


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt for the block, so it follows Ctrl-C's rule."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interruptible(command: F | None = None, *, kept: Callable[..., tuple[str, str] | None] | None = None) -> Any:
    """Make a command follow the interrupt rule: on Ctrl-C or SIGTERM it stops, keeps every output already
    written whole (partial files are removed by :func:`fundsim.outputs.atomic_file`), prints one line and
    exits 130.

    ``kept(**arguments)`` may say, as ``(what was kept, how to resume)``, what the command keeps beyond its
    whole files (a resumable store); ``None`` when it keeps nothing more.
    """
    if command is None:
        return functools.partial(interruptible, kept=kept)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        written.clear()
        try:
            with _sigterm_as_interrupt():
                return command(*args, **kwargs)
        except KeyboardInterrupt:
            more = kept(**kwargs) if kept is not None else None
            raise (interrupted(*more) if more else interrupted()) from None

    return run
