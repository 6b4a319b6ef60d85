"""``fundsim validate``, ``solve``, ``simulate``, ``export``, ``compare`` and ``report``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fundsim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    app,
    err,
    fail,
    infeasible,
    load,
    money_table,
    out,
    print_frame,
    solver_failed,
)
from fundsim.errors import InfeasibleError, SolverError
from fundsim.results import Allocation
from fundsim.solving import solve as solve_scenario


def _print_allocation(alloc: Allocation, top: int) -> None:
    a = alloc.data.attrs
    out.print(f"[bold]{a['scenario']}[/]: {a['status']}, objective [bold]{a['objective']:,.4f}[/] "
              f"({a['sense']}; {a['solver']} {a['solver_version']}, {a['solve_seconds']:.3f} s)", highlight=False)
    eu, cofin = float(alloc.data["eu"].sum()), float(alloc.data["cofin"].sum())
    out.print(f"EU commitments EUR {eu:,.1f} m; co-financing mobilised EUR {cofin:,.1f} m; "
              f"total EUR {eu + cofin:,.1f} m", highlight=False)
    for by, title in (("pillar", "By pillar"), ("group", "By region group"), ("instrument", "By instrument"),
                      ("year", "By year")):
        out.print(money_table(alloc.summary(by), f"{title} (EUR m)", by))
    binding = alloc.binding_rules()
    table = Table(title=f"Binding rules and shadow prices (top {min(top, len(binding))} of {len(binding)})",
                  title_justify="left")
    for col in ("rule", "where", "shadow price", "units"):
        table.add_column(col, justify="right" if col == "shadow price" else "left")
    for _, row in binding.head(top).iterrows():
        table.add_row(row["rule"], row["where"], f"{row['shadow_price']:,.4f}", row["units"])
    out.print(table)


OPTION_HELP = ("a solver option KEY=VALUE, e.g. time_limit=60 or, for scenarios with integer rules, "
               "mip_rel_gap=0.01 (repeat for several)")


def _options(pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs as solver options, numbers and true/false read as such."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise fail(f"--option {pair!r}: write KEY=VALUE, e.g. --option time_limit=60")
        value: object = text
        if text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            for kind in (int, float):
                try:
                    value = kind(text)
                    break
                except ValueError:
                    continue
        options[key.strip()] = value
    return options


@app.command()
def validate(scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)")) -> None:
    """Check a scenario file and report every problem in it (exit 2 if there is any)."""
    sc = load(scenario)
    n_cells = int(sc.eligible.sum())
    out.print(f"[green]ok[/] {scenario}: scenario {sc.name!r}, years {sc.years[0]}–{sc.years[-1]}, "
              f"{len(sc.instruments)} instruments, {len(sc.priorities)} priorities in {len(sc.pillars)} pillars, "
              f"{len(sc.regions)} regions, {n_cells} eligible cells; hash {sc.digest}", highlight=False)


@app.command()
def solve(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_files: list[Path] = typer.Option(None, "--out", "-o", help="write the allocation: .nc, .csv or .xlsx "
                                         "(repeat for several)"),
    solver: str = typer.Option("highs", help="solver backend: highs, or pulp (CBC)"),
    option: list[str] = typer.Option(None, "--option", help=OPTION_HELP),
    top: int = typer.Option(20, min=1, help="how many binding rules to list"),
    explain: bool = typer.Option(False, "--explain", help="also say in sentences which rules bind, what relaxing "
                                 "each is worth and over which interval, and which weights carry the objective"),
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
    options = _options(option or [])
    sc = load(scenario)
    try:
        with err.status(f"solving {sc.name} ({int(sc.eligible.sum()):,} eligible cells) …"):
            alloc = solve_scenario(sc, solver=solver, options=options)
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except ValueError as exc:  # an unknown solver name
        err.print(f"[bold red]{exc}[/]", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _print_allocation(alloc, top)
    if explain:
        with err.status("ranging the binding rules and weights …"):
            lines = alloc.explain(top=top)
        for line in lines:
            out.print(line, highlight=False, markup=False)
    for path in out_files or []:
        try:
            alloc.save(path)
        except OSError as exc:
            err.print(f"--out {path}: cannot write the file: {exc.strerror or exc}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        out.print(f"wrote {path}", highlight=False)


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
    sc = load(scenario)
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
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    a = run.attrs
    done = int(a.get("draws_computed", draws))
    resumed = f"; resumed: {draws - done:,} draws were in the store already" if done < draws else ""
    out.print(f"[bold]{sc.name}[/]: {draws:,} draws, {mode}, {design} design, seed {seed}; {done:,} computed in "
              f"{a['wall_seconds']:.2f} s ({done / a['wall_seconds']:,.0f} draws/s){resumed}", highlight=False)
    if "status" in run:
        bad = int((run["status"] != "optimal").sum())
        out.print(f"infeasible or failed draws: {bad:,} of {draws:,}", highlight=False)
    print_frame(summary(run), "Distribution over the draws")
    if mode == "reoptimise":
        freq = binding_frequency(run).head(15).set_index("rule")
        print_frame(freq, "How often each rule binds (share of draws) and its mean shadow price then")
    if out_file is not None and store is None:
        try:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            run.to_netcdf(out_file)
        except OSError as exc:
            err.print(f"--out {out_file}: cannot write the file: {exc.strerror or exc}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
    if out_file is not None:
        out.print(f"wrote {out_file}", highlight=False)



@app.command()
def export(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_file: Path = typer.Option(..., "--out", "-o", help="the LP file: .mps or .lp"),
) -> None:
    """Write the scenario's linear programme to an MPS or LP file, rows and columns named by rule and labels,
    for any other solver."""
    from fundsim.lp import assemble
    from fundsim.solvers.export import write_program

    if out_file.suffix not in (".mps", ".lp"):
        raise fail(f"--out {out_file}: unknown file type {out_file.suffix!r}; use .mps or .lp")
    sc = load(scenario)
    lp = assemble(sc)
    try:
        write_program(lp, out_file)
    except OSError as exc:
        raise fail(f"--out {out_file}: cannot write the file: {exc.strerror or exc}") from None
    kind = "mixed-integer programme" if lp.integrality is not None else "linear programme"
    out.print(f"wrote {out_file}: {sc.name}, a {kind} of {lp.num_col:,} columns, {lp.num_row:,} rows, "
              f"{lp.A.nnz:,} nonzeros", highlight=False)


@app.command()
def report(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_file: Path = typer.Option(..., "--out", "-o", help="the report: an .html file"),
    compare: list[Path] = typer.Option(None, "--compare", "-c", help="an allocation to compare with the optimum: "
                                       ".csv/.xlsx (long or wide) or .nc written by 'fundsim solve' (repeat)"),
    simulation: Path = typer.Option(None, help="a Monte Carlo run: a .zarr store or .nc file of 'fundsim simulate'"),
) -> None:
    """Write one self-contained HTML report: allocation, binding rules and shadow prices, comparison and
    Monte Carlo summaries, figures embedded."""
    from fundsim.comparison import read_allocation
    from fundsim.montecarlo import open_run
    from fundsim.reporting import report as write_report

    if out_file.suffix not in (".html", ".htm"):
        raise fail(f"--out {out_file}: use an .html file")
    for path in [*(compare or []), *([simulation] if simulation else [])]:
        if not path.exists():
            raise fail(f"{path}: no such file")
    sc = load(scenario)
    try:
        others = [read_allocation(path, sc) for path in compare or []]
        run = open_run(simulation) if simulation is not None else None
        with err.status(f"writing the report on {sc.name} …"):
            write_report(sc, compare=others, simulation=run, out=out_file)
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    out.print(f"wrote {out_file}", highlight=False)



@app.command(name="compare")
def compare_command(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    allocations: list[Path] = typer.Argument(..., help="allocations to compare with the optimum: .csv/.xlsx "
                                             "(long or wide layout) or .nc written by 'fundsim solve'"),
    out_file: Path = typer.Option(None, "--out", "-o", help="write the comparison: .xlsx (metrics, gap, "
                                  "compliance, attribution, differences)"),
    option: list[str] = typer.Option(None, "--option", help=OPTION_HELP + "; for the solve of the optimum"),
) -> None:
    """Compare allocations with the scenario's optimum: metrics, rule violations and the attribution of each
    gap to the rules and shadow prices that explain it."""
    from fundsim.comparison import compare, read_allocation

    if out_file is not None and out_file.suffix != ".xlsx":
        raise fail(f"--out {out_file}: use an .xlsx file")
    options = _options(option or [])
    missing = [p for p in allocations if not p.exists()]
    if missing:
        raise fail(f"{missing[0]}: no such file")
    sc = load(scenario)
    try:
        others = [read_allocation(path, sc) for path in allocations]
        with err.status(f"solving {sc.name} and comparing …"):
            comparison = compare(solve_scenario(sc, options=options), *others, scenario=sc)
            print_frame(comparison.gap, f"{sc.name}: objective and gap to the optimum")
            print_frame(comparison.metrics, "Metrics")
            counts = comparison.compliance.groupby(["allocation", "rule"])["size"].agg(["count", "sum"])
            print_frame(counts, "Rules broken: how often and by how much in all (EUR m)")
            for name in comparison.names[1:]:
                print_frame(comparison.attribution(name).by_rule.head(10).set_index("name"),
                            f"Why the optimum scores more than {name}")
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    if out_file is not None:
        try:
            comparison.to_excel(out_file)
        except OSError as exc:
            raise fail(f"--out {out_file}: cannot write the file: {exc.strerror or exc}") from None
        out.print(f"wrote {out_file}", highlight=False)
