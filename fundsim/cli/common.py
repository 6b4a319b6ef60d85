"""What every ``fundsim`` command shares: the Typer app, the consoles, exit codes, loading a scenario
and printing tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from fundsim.errors import InfeasibleError, ScenarioError
from fundsim.model import Scenario
from fundsim.scenario import load_scenario

EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 2, 3, 4

app = typer.Typer(
    help="Plan public funding: validate, solve, simulate, study and report on allocation scenarios.\n\n"
    "Exit codes: 0 ok, 2 bad input, 3 infeasible scenario, 4 solver failure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        n = len(exc.problems)
        err.print(f"[bold red]{path}: {n} problem{'s' if n != 1 else ''}[/] — nothing was solved:", highlight=False)
        for p in exc.problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def money_table(frame: pd.DataFrame, title: str, index_name: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(index_name)
    for col in frame.columns:
        table.add_column(col, justify="right")
    for label, row in frame.iterrows():
        cells = [f"{v:.1%}" if c.endswith("share") else f"{v:,.2f}" for c, v in row.items()]
        table.add_row(str(label), *cells)
    return table


def print_frame(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for col in frame.columns:
        table.add_column(str(col), justify="left" if frame[col].dtype == object else "right")
    for label, row in frame.iterrows():
        name = f"{label:.6g}" if isinstance(label, float) else str(label)
        table.add_row(name, *(f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row.values))
    out.print(table)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    err.print(f"[bold red]{message}[/]", highlight=False)
    return typer.Exit(code)


def solver_failed(exc: Exception, where: object) -> typer.Exit:
    """Print that the solver stopped without an answer (a limit, a numerical failure) and return exit 4."""
    return fail(f"{where}: solver failure — {exc}", EXIT_SOLVER)


def infeasible(exc: InfeasibleError, where: object) -> typer.Exit:
    """Print why a scenario is infeasible (its diagnosis: conflicts and repairs) and return exit 3 to raise."""
    err.print(f"[bold red]{where}: infeasible[/] — {exc.message}. What stands in the way:", highlight=False)
    for line in exc.diagnosis:
        typer.echo(f"  - {line}", err=True)
    return typer.Exit(EXIT_INFEASIBLE)
