"""The ``fundsim`` command.

Exit codes: 0 success; 2 bad input (a malformed scenario, a missing file, a wrong option);
3 infeasible scenario (the rules cannot all hold); 4 the solver failed for another reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from fundsim.errors import InfeasibleError, ScenarioError, SolverError
from fundsim.model import Scenario
from fundsim.results import Allocation
from fundsim.scenario import load_scenario
from fundsim.solve import solve as solve_scenario

EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 2, 3, 4

app = typer.Typer(
    help="Plan public funding: validate and solve allocation scenarios.\n\n"
    "Exit codes: 0 ok, 2 bad input, 3 infeasible scenario, 4 solver failure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        n = len(exc.problems)
        err.print(f"[bold red]{path}: {n} problem{'s' if n != 1 else ''}[/] — nothing was solved:", highlight=False)
        for p in exc.problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _table(frame: pd.DataFrame, title: str, index_name: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(index_name)
    for col in frame.columns:
        table.add_column(col, justify="right")
    for label, row in frame.iterrows():
        cells = [f"{v:.1%}" if c.endswith("share") else f"{v:,.2f}" for c, v in row.items()]
        table.add_row(str(label), *cells)
    return table


def _print_allocation(alloc: Allocation, top: int) -> None:
    a = alloc.data.attrs
    out.print(f"[bold]{a['scenario']}[/]: {a['status']}, objective [bold]{a['objective']:,.4f}[/] "
              f"({a['sense']}; {a['solver']} {a['solver_version']}, {a['solve_seconds']:.3f} s)", highlight=False)
    eu, cofin = float(alloc.data["eu"].sum()), float(alloc.data["cofin"].sum())
    out.print(f"EU commitments EUR {eu:,.1f} m; co-financing mobilised EUR {cofin:,.1f} m; "
              f"total EUR {eu + cofin:,.1f} m", highlight=False)
    for by, title in (("pillar", "By pillar"), ("group", "By region group"), ("instrument", "By instrument"),
                      ("year", "By year")):
        out.print(_table(alloc.summary(by), f"{title} (EUR m)", by))
    binding = alloc.binding_rules()
    table = Table(title=f"Binding rules and shadow prices (top {min(top, len(binding))} of {len(binding)})",
                  title_justify="left")
    for col in ("rule", "where", "shadow price", "units"):
        table.add_column(col, justify="right" if col == "shadow price" else "left")
    for _, row in binding.head(top).iterrows():
        table.add_row(row["rule"], row["where"], f"{row['shadow_price']:,.4f}", row["units"])
    out.print(table)


@app.command()
def validate(scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)")) -> None:
    """Check a scenario file and report every problem in it (exit 2 if there is any)."""
    sc = _load(scenario)
    n_cells = int(sc.eligible.sum())
    out.print(f"[green]ok[/] {scenario}: scenario {sc.name!r}, years {sc.years[0]}–{sc.years[-1]}, "
              f"{len(sc.instruments)} instruments, {len(sc.priorities)} priorities in {len(sc.pillars)} pillars, "
              f"{len(sc.regions)} regions, {n_cells} eligible cells; hash {sc.digest}", highlight=False)


@app.command()
def solve(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_files: list[Path] = typer.Option(None, "--out", "-o", help="write the allocation: .nc, .csv or .xlsx "
                                         "(repeat for several)"),
    solver: str = typer.Option("highs", help="solver backend"),
    top: int = typer.Option(20, min=1, help="how many binding rules to list"),
) -> None:
    """Solve a scenario: print summaries, binding rules and shadow prices; optionally write files."""
    for path in out_files or []:
        if path.suffix not in (".nc", ".csv", ".xlsx"):
            err.print(f"--out {path}: unknown file type {path.suffix!r}; use .nc, .csv or .xlsx")
            raise typer.Exit(EXIT_BAD_INPUT)
        try:  # find an unwritable place before solving, not after
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            err.print(f"--out {path}: cannot create the folder {path.parent}: {exc.strerror or exc}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    sc = _load(scenario)
    try:
        with err.status(f"solving {sc.name} ({int(sc.eligible.sum()):,} eligible cells) …"):
            alloc = solve_scenario(sc, solver=solver)
    except InfeasibleError as exc:
        err.print(f"[bold red]{scenario}: infeasible[/] — {exc.message}. What stands in the way:", highlight=False)
        for line in exc.diagnosis:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    except SolverError as exc:
        err.print(f"[bold red]{scenario}: solver failure[/] — {exc}", highlight=False)
        raise typer.Exit(EXIT_SOLVER) from None
    except ValueError as exc:  # an unknown solver name
        err.print(f"[bold red]{exc}[/]", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _print_allocation(alloc, top)
    for path in out_files or []:
        try:
            alloc.save(path)
        except OSError as exc:
            err.print(f"--out {path}: cannot write the file: {exc.strerror or exc}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        out.print(f"wrote {path}", highlight=False)


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for col in frame.columns:
        table.add_column(str(col), justify="left" if frame[col].dtype == object else "right")
    for label, row in frame.iterrows():
        table.add_row(str(label), *(f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row.values))
    out.print(table)


@app.command()
def simulate(
    scenario: Path = typer.Argument(..., help="scenario file with an 'uncertainty:' section"),
    draws: int = typer.Option(1000, min=1, help="number of draws"),
    mode: str = typer.Option("reoptimise", help="reoptimise (best plan per draw) or stress (a fixed --plan)"),
    plan: Path = typer.Option(None, help="for --mode stress: the plan, a .nc file written by 'fundsim solve'; "
                              "default: the scenario's own optimum"),
    seed: int = typer.Option(0, help="draw k depends only on (seed, k)"),
    design: str = typer.Option("random", help="random, lhs or sobol"),
    chunk_size: int = typer.Option(None, min=1, help="draws per chunk (does not change the numbers)"),
    out_file: Path = typer.Option(None, "--out", "-o", help="a .zarr folder (written chunk by chunk; run the "
                                  "same command again to resume a stopped run) or a .nc file"),
    workers: int = typer.Option(None, min=1, help="local worker processes (default: one per core, for large runs)"),
    scheduler: str = typer.Option(None, help="run on a Dask cluster: its scheduler address, tcp://host:port"),
) -> None:
    """Run a scenario under its declared uncertainty: print distributions, binding frequencies, money at risk."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from fundsim.montecarlo import binding_frequency, summary
    from fundsim.montecarlo import simulate as run_simulation
    from fundsim.montecarlo.executors import ProcessExecutor

    if out_file is not None and out_file.suffix not in (".nc", ".zarr"):
        err.print(f"--out {out_file}: use a .zarr folder or a .nc file")
        raise typer.Exit(EXIT_BAD_INPUT)
    executor = scheduler if scheduler is not None else (ProcessExecutor(workers) if workers else None)
    store = out_file if out_file is not None and out_file.suffix == ".zarr" else None
    sc = _load(scenario)
    try:
        the_plan = plan if plan is not None else (solve_scenario(sc) if mode == "stress" else None)
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task(f"{mode} {sc.name}", total=draws)
            run = run_simulation(sc, draws, mode=mode, seed=seed, design=design, chunk_size=chunk_size,
                                 plan=the_plan, executor=executor, store=store,
                                 on_chunk=lambda n: bar.advance(task, n))
    except (ValueError, OSError) as exc:
        err.print(f"[bold red]{scenario}: {exc}[/]", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except InfeasibleError as exc:
        err.print(f"[bold red]{scenario}: the plan to stress-test is infeasible[/] — {exc.message}")
        raise typer.Exit(EXIT_INFEASIBLE) from None
    a = run.attrs
    out.print(f"[bold]{sc.name}[/]: {draws:,} draws, {mode}, {design} design, seed {seed}, "
              f"{a['wall_seconds']:.2f} s ({draws / a['wall_seconds']:,.0f} draws/s)", highlight=False)
    if "status" in run:
        bad = int((run["status"] != "optimal").sum())
        out.print(f"infeasible or failed draws: {bad:,} of {draws:,}", highlight=False)
    _print_frame(summary(run), "Distribution over the draws")
    if mode == "reoptimise":
        freq = binding_frequency(run).head(15).set_index("rule")
        _print_frame(freq, "How often each rule binds (share of draws) and its mean shadow price then")
    if out_file is not None and store is None:
        try:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            run.to_netcdf(out_file)
        except OSError as exc:
            err.print(f"--out {out_file}: cannot write the file: {exc.strerror or exc}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
    if out_file is not None:
        out.print(f"wrote {out_file}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
