"""``fundsim validate``, ``solve``, ``replan``, ``simulate``, ``export``, ``compare`` and ``report``.

Every command checks its output paths before it loads or solves anything (exit 2), writes each output
atomically, and follows one interrupt rule (exit 130, see :func:`fundsim.cli.common.interruptible`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer
from rich.text import Text

from fundsim.cli.common import (
    EXIT_INFEASIBLE,
    app,
    check_outputs,
    choice,
    distinct_outputs,
    err,
    exit_codes,
    fail,
    flag,
    infeasible,
    info,
    interrupted,
    interruptible,
    load,
    money_table,
    out,
    print_frame,
    solver_failed,
    solver_option,
    text,
    uncut_table,
    written,
    wrote,
)
from fundsim.errors import FundsimWarning, InfeasibleError, SolverError
from fundsim.model import Scenario
from fundsim.outputs import write_csv

if TYPE_CHECKING:  # loaded when a command needs them, so that 'fundsim --help' starts fast
    from fundsim.comparison import Comparison
    from fundsim.results import Allocation


def solve_scenario(scenario: Scenario, *args: Any, **kwargs: Any) -> Allocation:
    """:func:`fundsim.solve`, imported on first use (the command line starts without the solver)."""
    from fundsim.solving import solve

    return solve(scenario, *args, **kwargs)

ALLOCATION_KINDS = (".nc", ".csv", ".xlsx")


def _print_allocation(alloc: Allocation, top: int) -> None:
    a = alloc.data.attrs
    proved = f", proved within {_percent(a['mip_gap'])} of the optimum" if "mip_gap" in a else ""
    out.print(text((str(a["scenario"]), "bold"), f": {a['status']}, objective ", (f"{a['objective']:,.4f}", "bold"),
                   f"{proved} ({a['sense']}; {a['solver']} {a['solver_version']}, {a['solve_seconds']:.3f} s)"))
    eu, cofin = float(alloc.data["eu"].sum()), float(alloc.data["cofin"].sum())
    out.print(text(f"EU commitments EUR {eu:,.1f} m; co-financing mobilised EUR {cofin:,.1f} m; "
                   f"total EUR {eu + cofin:,.1f} m"))
    for by, title in (("pillar", "By pillar"), ("group", "By region group"), ("instrument", "By instrument"),
                      ("year", "By year")):
        out.print(money_table(alloc.summary(by), f"{title} (EUR m)", by))
    countries = alloc.by_country()
    if len(countries):
        out.print(money_table(countries.drop(columns="in_region").rename(
            index=lambda c: f"{c} ({countries.loc[c, 'in_region']})"), "Countries planned on their own (EUR m; "
            "share_of_region is the share of the region's EU money)", "country"))
    _print_unused(alloc)
    _print_outputs(alloc)
    binding = alloc.binding_rules()
    if "replanned_from" in a:  # the held cells of a re-plan: one line, not a table's worth of locks
        from fundsim.review import HELD

        held = binding["where"].astype(str).str.startswith(HELD)
        if held.any():
            largest = binding.loc[held, "shadow_price"].abs().max()
            out.print(text(f"{int(held.sum())} cells held at the actuals bind (largest shadow price "
                           f"{largest:,.4f}); the table leaves them out (alloc.binding_rules() has them)"))
        binding = binding[~held].reset_index(drop=True)
    rows = [[str(r["rule"]), str(r["where"]), f"{r['shadow_price']:,.4f}", str(r["units"])]
            for _, r in binding.head(top).iterrows()]
    table = uncut_table(f"Binding rules and shadow prices (top {min(top, len(binding))} of {len(binding)})",
                        ["rule", "where", "shadow price", "units"], rows, [False, False, True, False])
    out.print(table)


def _print_outputs(alloc: Allocation) -> None:
    """The results framework's outputs per indicator next to their money, when the scenario has indicators."""
    import math

    outputs = alloc.outputs()
    if not len(outputs):
        return
    rows = [[str(ind), str(r["unit"]), f"{r['outputs']:,.1f}",
             "" if math.isnan(r["target"]) else f"{r['target']:,.1f}",
             "" if math.isnan(r["share_of_target"]) else f"{r['share_of_target']:.1%}",
             f"{r['money']:,.1f} ({r['basis']})"] for ind, r in outputs.iterrows()]
    out.print(uncut_table("Results framework: outputs per indicator", ["indicator", "unit", "outputs", "target",
                          "share of target", "money EUR m (basis)"], rows, [False, False, True, True, True, True]))


def _print_unused(alloc: Allocation) -> None:
    """The commitment appropriations the plan leaves, by instrument (the money ledger's unused terms)."""
    table = alloc.unused_money()
    table = table[(table.abs() > 5e-4).any(axis=1)]
    if table.empty:
        out.print(text("Every euro of commitment appropriations is committed."))
        return
    heads = ["instrument", "lapsed", "not used here", "lost at cut-off", "still available"]
    rows = [[str(name), *(f"{float(v):,.1f}" for v in row)] for name, row in table.iterrows()]
    total = table.sum()
    rows.append(["total", *(f"{float(v):,.1f}" for v in total)])
    out.print(uncut_table("Money not committed (EUR m)", heads, rows, [False, True, True, True, True]))
    out.print(text("not used here: usable for this policy but left to the instrument's other objectives"))


OPTION_HELP = ("a solver option KEY=VALUE, e.g. time_limit=60 or, for scenarios with integer rules, "
               "mip_rel_gap=0.01 (repeat for several); threads may be at most the number of cores. Scenarios with "
               "integer rules stop at a proved gap of 0.1 % or after 300 s unless mip_rel_gap or time_limit says "
               "otherwise (time_limit=inf: none)")


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _value(text: str) -> object:
    """An option's text as a number or a boolean where it reads as one."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _options(pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs as solver options, numbers and true/false read as such; ``threads`` at most the
    number of cores (0 lets HiGHS choose)."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise fail(f"--option {pair!r}: write KEY=VALUE, e.g. --option time_limit=60")
        options[key.strip()] = _value(raw)
    threads, cores = options.get("threads"), _cores()
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or not 0 <= threads <= cores):
        raise fail(f"--option threads={threads}: give a whole number from 1 to {cores}, the number of cores "
                   "on this machine (the limit), or 0 to let HiGHS choose")
    return options


@app.command(epilog=exit_codes(0, 2, 130))
@interruptible
def validate(scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)")) -> None:
    """Check a scenario file and report every problem in it (exit 2 if there is any)."""
    sc = load(scenario)
    n_cells = int(sc.eligible.sum())
    out.print(text(("ok", "green"), f" {scenario}: scenario {sc.name!r}, years {sc.years[0]}–{sc.years[-1]}, "
                   f"{len(sc.instruments)} instruments, {len(sc.priorities)} priorities in {len(sc.pillars)} "
                   f"pillars, {_geography(sc)}, {n_cells:,} eligible cells; hash {sc.digest}"))


def _geography(sc: Scenario) -> str:
    """``16 regions``, or ``16 regions in 22 planning units (6 countries planned on their own)``."""
    regions = len(dict.fromkeys(sc.region_of))
    countries = sum(r.level == "country" for r in sc.regions)
    if not sc.areas:
        return f"{regions} regions"
    return f"{regions} regions in {len(sc.regions)} planning units ({countries} countries planned on their own)"


def _interrupts(solver: str) -> bool:
    """Whether the backend ``solver`` stops cleanly on Ctrl-C (then a stopped MILP keeps its plan)."""
    from fundsim.solvers import BACKENDS, Capability

    return solver in BACKENDS and Capability.INTERRUPT in BACKENDS[solver].capabilities


def _percent(share: float) -> str:
    """A share as ``0.23 %``, two decimals."""
    return f"{100 * float(share):,.2f} %"


def _reports(solver: str) -> bool:
    """Whether the backend ``solver`` reports a MILP's progress (incumbent, bound, gap) while it solves."""
    from fundsim.solvers import BACKENDS, Capability

    return solver in BACKENDS and Capability.PROGRESS in BACKENDS[solver].capabilities


def _solve_or_exit(sc: Scenario, scenario: Path, solver: str, options: dict[str, object]) -> Allocation:
    """:func:`fundsim.solve`, a scenario with integer rules shown as it goes (when the backend reports its
    progress); a failure exits (2 bad options, 3 infeasible, 4 a solver failure)."""
    try:
        keep = _interrupts(solver)
        if sc.rules.integer:
            from fundsim.solvers.backends import solver_choice
            from fundsim.solving import mip_choice, mip_display, stopping_rule

            settings = mip_choice(solver_choice(solver, options)).settings
            if _reports(solver):
                with mip_display(sc.name, settings, info) as report:
                    return solve_scenario(sc, solver=solver, options=options, keep_interrupted=keep,
                                          progress=report)
            info.print(text(f"solving {sc.name} to {stopping_rule(settings)} (the {solver} backend does not report "
                            "its progress)"))
        with info.status(Text(f"solving {sc.name} ({int(sc.eligible.sum()):,} eligible cells) …")):
            return solve_scenario(sc, solver=solver, options=options, keep_interrupted=keep)
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except ValueError as exc:  # an unknown solver name
        raise fail(str(exc)) from None


def _write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(path)``; a failure of the disk (full, gone) exits 2 naming the file."""
    try:
        write(path)
    except OSError as exc:
        raise fail(f"--out {path}: cannot write the file: {exc.strerror or exc}") from None
    wrote(path)


@app.command(epilog=exit_codes(0, 2, 3, 4, 130))
@interruptible
def solve(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_files: list[Path] = typer.Option(None, "--out", "-o", metavar="FILE", help="write the allocation: .nc "
                                         "(everything, shadow prices and ranging included), .csv (the allocation, "
                                         "long format) or .xlsx (allocation, summaries, shadow prices); repeat for "
                                         "several"),
    shadow_prices: Path = typer.Option(None, "--shadow-prices", metavar="FILE", help="write the binding rules and "
                                       "their shadow prices to this .csv file"),
    solver: str = solver_option(),
    option: list[str] = typer.Option(None, "--option", metavar="KEY=VALUE", help=OPTION_HELP),
    top: int = typer.Option(20, min=1, metavar="N", help="how many binding rules to list"),
    explain: bool = flag("--explain", help="also say in sentences which rules bind, what relaxing each is worth "
                         "and over which interval, and which weights carry the objective"),
) -> None:
    """Solve a scenario: print summaries, binding rules and shadow prices; optionally write files.

    Every output path is checked before solving; each file is written whole or not at all, and nothing is
    written that the command line did not name. A scenario with integer rules is solved to a proved gap of
    0.1 % or for 300 s (--option mip_rel_gap=G, time_limit=S), its incumbent, bound and gap shown as it goes
    (HiGHS); a plan found by the time limit is kept, with the gap it proved.
    """
    check_outputs(out_files or [], ALLOCATION_KINDS, inputs=[scenario])
    check_outputs([shadow_prices], (".csv",), inputs=[scenario], option="--shadow-prices")
    distinct_outputs([*(out_files or []), shadow_prices])
    options = _options(option or [])
    sc = load(scenario)
    alloc = _solve_or_exit(sc, scenario, solver, options)
    _print_allocation(alloc, top)
    if explain:
        with info.status(Text("ranging the binding rules and weights …")):
            lines = alloc.explain(top=top)
        for line in lines:
            out.print(Text(line))
    for path in out_files or []:
        _write(path, alloc.save)
    if shadow_prices is not None:
        _write(shadow_prices, alloc.save_shadow_prices)
    if alloc.status == "interrupted":
        raise _interrupted_plan(alloc)
    if alloc.status == "limit":
        _limited_plan(alloc)


@app.command(epilog=exit_codes(0, 2, 3, 4, 130))
@interruptible
def replan(
    scenario: Path = typer.Argument(..., help="the revised scenario file (.yaml, .yml or .toml)"),
    actuals: Path = typer.Option(..., "--actuals", metavar="FILE", help="what was committed: an allocation written "
                                 "by 'fundsim solve' (.nc) or a .csv/.xlsx file (long or wide layout, see "
                                 "docs/allocation-files.md), with the scenario's labels"),
    from_year: int = typer.Option(..., "--from-year", metavar="YEAR", help="the first year re-planned; every cell of "
                                  "the years before it is held at the actuals"),
    out_files: list[Path] = typer.Option(None, "--out", "-o", metavar="FILE", help="write the re-planned allocation: "
                                         ".nc, .csv or .xlsx, as for solve; repeat for several"),
    shadow_prices: Path = typer.Option(None, "--shadow-prices", metavar="FILE", help="write the binding rules and "
                                       "their shadow prices to this .csv file"),
    solver: str = solver_option(),
    option: list[str] = typer.Option(None, "--option", metavar="KEY=VALUE", help=OPTION_HELP),
    top: int = typer.Option(20, min=1, metavar="N", help="how many binding rules to list"),
) -> None:
    """Re-plan a revised scenario from a year on, the years before it held at the actuals cell by cell (the
    mid-term review): print the plan as solve does; optionally write files.

    Every output path is checked before anything is read or solved; actuals the revised scenario's rules
    cannot hold exit 3 with the rules they break.
    """
    inputs = [scenario, actuals]
    check_outputs(out_files or [], ALLOCATION_KINDS, inputs=inputs)
    check_outputs([shadow_prices], (".csv",), inputs=inputs, option="--shadow-prices")
    distinct_outputs([*(out_files or []), shadow_prices])
    options = _options(option or [])
    _all_exist([actuals])
    sc = load(scenario)
    alloc = _replan_or_exit(sc, scenario, actuals, from_year, (solver, options))
    held = [y for y in sc.years if y < from_year]
    money = float(alloc.data["eu"].sel(year=held).sum())
    from fundsim.review import span

    out.print(text(f"held {span(held)} at the actuals of {actuals}, cell by cell (EUR {money:,.1f} m); "
                   f"re-planned {span([y for y in sc.years if y >= from_year])}"))
    _print_allocation(alloc, top)
    for path in out_files or []:
        _write(path, alloc.save)
    if shadow_prices is not None:
        _write(shadow_prices, alloc.save_shadow_prices)


def _replan_or_exit(sc: Scenario, scenario: Path, actuals: Path, from_year: int,
                    how: tuple[str, dict[str, object]]) -> Allocation:
    """The actuals read against the revised scenario and :func:`fundsim.replan`; a failure exits (2 a file or a
    year the scenario does not have, 3 actuals its rules cannot hold, 4 a solver failure)."""
    from fundsim.comparison import read_allocation
    from fundsim.review import replan as replan_scenario

    solver, options = how
    try:
        with warnings.catch_warnings():  # money above the revised envelopes in any year: the re-plan says whether
            warnings.simplefilter("ignore", FundsimWarning)  # the held years break them, the later are re-planned
            given = read_allocation(actuals, sc)
        with info.status(Text(f"re-planning {sc.name} from {from_year} ({int(sc.eligible.sum()):,} eligible "
                              "cells) …")):
            return replan_scenario(sc, given, from_year, solver=solver, options=options)
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except ValueError as exc:  # actuals of another scenario, a from-year it lacks, an unknown solver name
        raise fail(str(exc)) from None


def _interrupted_plan(alloc: Allocation) -> typer.Exit:
    """The exit of a MILP stopped by Ctrl-C with its best plan: what was kept, its proved gap, how to go on."""
    gap = float(alloc.data.attrs.get("mip_gap", float("nan")))
    where = f"written to {', '.join(map(str, written))}" if written else "shown above; no --out was given"
    return interrupted(f"kept the best plan found so far (status interrupted, proved within {gap:.2%} of the "
                       f"optimum), {where}",
                       "run the same command again to solve on, or add --option mip_rel_gap=G to stop at a gap G")


def _limited_plan(alloc: Allocation) -> None:
    """The note on a MILP stopped by its time limit with a plan: its proved gap, and how to go further."""
    a = alloc.data.attrs
    gap = f"proved within {_percent(a['mip_gap'])} of the optimum" if "mip_gap" in a else "its gap is unknown"
    limit = f" of {float(a['time_limit']):,.0f} s" if "time_limit" in a else ""
    err.print(text(f"stopped at the time limit{limit} before the gap asked for; the plan is {gap}. "
                   "Give it longer with --option time_limit=S, or accept a wider gap with --option mip_rel_gap=G"))


#: the Monte Carlo modes and designs, as fundsim.montecarlo.options has them (a test keeps them equal; naming them
#: here keeps the Monte Carlo stack out of the command line's start)
MODES, DESIGNS = ("reoptimise", "stress"), ("random", "lhs", "sobol")


def _store_kept(out_file: Path | None = None, **arguments: object) -> tuple[str, str] | None:
    """What an interrupted ``simulate`` keeps: the chunks already in its Zarr store."""
    if out_file is None or out_file.suffix != ".zarr" or not out_file.is_dir():
        return None
    return f"kept the chunks already computed in {out_file}", "run the same command again to resume"


@app.command(epilog=exit_codes(0, 2, 3, 4, 130))
@interruptible(kept=_store_kept)
def simulate(
    scenario: Path = typer.Argument(..., help="scenario file with an 'uncertainty:' section"),
    draws: int = typer.Option(1000, min=1, metavar="N", help="number of draws"),
    mode: str = choice("reoptimise", MODES, "reoptimise: the best plan per draw; stress: a fixed --plan"),
    plan: Path = typer.Option(None, metavar="FILE", help="for --mode stress: the plan, a .nc file written by "
                              "'fundsim solve'; default: the scenario's own optimum"),
    seed: int = typer.Option(0, metavar="N", help="draw k depends only on (seed, k); 0 to 2**63 - 1"),
    design: str = choice("random", DESIGNS, "how the draws cover the uncertainty: random, Latin hypercube or "
                         "Sobol' sequence"),
    chunk_size: int = typer.Option(None, min=1, metavar="N", help="draws per chunk (does not change the numbers)"),
    out_file: Path = typer.Option(None, "--out", "-o", metavar="PATH", help="a .zarr folder (written chunk by chunk; "
                                  "run the same command again to resume a stopped run) or a .nc file"),
    force: bool = flag("--force", help="replace a .zarr store that holds another run"),
    workers: int = typer.Option(None, min=1, metavar="N", help="local worker processes (default: one per core, for "
                                "large runs)"),
    scheduler: str = typer.Option(None, metavar="ADDRESS", help="run on a Dask cluster: its scheduler address, "
                                  "tcp://host:port"),
    solver: str = solver_option(),
) -> None:
    """Run a scenario under its declared uncertainty: print distributions, binding frequencies, money at risk.

    Ctrl-C (or SIGTERM) stops the run and exits 130; the chunks already in a .zarr store are kept, and the
    same command resumes them after checking each one."""
    from fundsim.montecarlo import Evaluation, Interrupted, Storage, binding_frequency, summary
    from fundsim.montecarlo import simulate as run_simulation
    from fundsim.montecarlo.executors import ProcessExecutor
    from fundsim.montecarlo.options import DesignName, Mode
    from fundsim.outputs import OutputError, atomic_file, check_output
    from fundsim.progress import progress_bar
    from fundsim.scenario.extends import read_tree

    def nothing_kept() -> str:
        unwritten = f"; {out_file} was not written" if out_file is not None else ""
        return f"interrupted: nothing was kept (only a .zarr --out keeps the chunks a run finished){unwritten}"

    if out_file is not None and out_file.suffix not in (".nc", ".zarr"):
        raise fail(f"--out {out_file}: use a .zarr folder or a .nc file")
    sc = load(scenario)
    inputs = {scenario, *(Path(f) for f, _ in read_tree(scenario)[1].values()), *([plan] if plan else [])}
    try:  # before any work: never over a folder fundsim did not make, an input, or into a file
        if out_file is not None:
            check_output(out_file, kinds=(".nc", ".zarr"), inputs=inputs)
    except OutputError as exc:
        raise fail(str(exc)) from None
    executor = scheduler if scheduler is not None else (ProcessExecutor(workers) if workers else None)
    store = out_file if out_file is not None and out_file.suffix == ".zarr" else None
    try:
        the_plan = plan if plan is not None else (solve_scenario(sc, solver=solver) if mode == "stress" else None)
        with progress_bar(f"{mode} {sc.name}", draws, info) as advance:
            how = Evaluation(cast("Mode", mode), plan=the_plan, executor=executor,
                             chunk_size=chunk_size)  # the options are checked when made: cast for mypy alone
            run = run_simulation(sc, draws, seed=seed, design=cast("DesignName", design), evaluation=how,
                                 storage=None if store is None else Storage(store, force=force),
                                 progress=advance, solver=solver)
    except Interrupted as exc:
        raise fail(f"interrupted: {exc.chunks_kept} of {exc.n_chunks} chunks ({exc.draws_kept:,} draws) kept in "
                   f"{exc.store}; run the same command again to resume" if exc.store is not None else
                   nothing_kept(), 130) from None
    except KeyboardInterrupt:
        raise fail(nothing_kept(), 130) from None
    except (ValueError, OSError) as exc:
        raise fail(f"{scenario}: {exc}") from None
    except InfeasibleError as exc:
        err.print(text((f"{scenario}: the plan to stress-test is infeasible", "bold red"), f" — {exc.message}"))
        raise typer.Exit(EXIT_INFEASIBLE) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    a = run.attrs
    done = int(a.get("draws_computed", draws))
    resumed = f"; resumed: {draws - done:,} draws were in the store already" if done < draws else ""
    out.print(text((sc.name, "bold"), f": {draws:,} draws, {mode}, {design} design, seed {seed}; {done:,} computed "
                   f"in {a['wall_seconds']:.2f} s ({done / a['wall_seconds']:,.0f} draws/s){resumed}"))
    if a.get("chunks_recomputed"):
        n = int(a["chunks_recomputed"])
        out.print(text(f"recomputed {n} chunk{'s' if n != 1 else ''} ({int(a['draws_recomputed']):,} draws) that "
                       "the store marked done but that failed their check (missing, damaged or unreadable)"))
    if "status" in run:
        failed, infeasible_draws = int(a["draws_failed"]), int(a["draws_infeasible"])
        out.print(text(f"infeasible or failed draws: {failed + infeasible_draws:,} of {draws:,} "
                       f"({infeasible_draws:,} infeasible, {failed:,} failed: a solver stop)"))
    print_frame(summary(run), "Distribution over the draws")
    if mode == "reoptimise":
        freq = binding_frequency(run).head(15).set_index("rule")
        print_frame(freq, "How often each rule binds (share of the optimal draws; infeasible_share: draws left out) "
                    "and its mean shadow price then")
    if out_file is not None and store is None:
        try:
            with atomic_file(out_file) as tmp:
                run.to_netcdf(tmp)
        except KeyboardInterrupt:
            raise fail(f"interrupted: {out_file} was not written", 130) from None
        except OSError as exc:
            raise fail(f"--out {out_file}: cannot write the file: {exc.strerror or exc}") from None
    if out_file is not None:
        wrote(out_file)


@app.command(epilog=exit_codes(0, 2, 4, 130))
@interruptible
def export(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_file: Path = typer.Option(..., "--out", "-o", metavar="FILE", help="the LP file: .mps or .lp"),
) -> None:
    """Write the scenario's linear programme to an MPS or LP file, rows and columns named by rule and labels,
    for any other solver."""
    from fundsim.lp import assemble
    from fundsim.solvers.export import write_program

    check_outputs([out_file], (".mps", ".lp"), inputs=[scenario])
    sc = load(scenario)
    lp = assemble(sc)
    try:
        _write(out_file, lambda path: write_program(lp, path))
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    kind = "mixed-integer programme" if lp.integrality is not None else "linear programme"
    out.print(text(f"{sc.name}: a {kind} of {lp.num_col:,} columns, {lp.num_row:,} rows, {lp.A.nnz:,} nonzeros"))


@app.command(epilog=exit_codes(0, 2, 3, 4, 130))
@interruptible
def report(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    out_file: Path = typer.Option(..., "--out", "-o", metavar="FILE", help="the report: an .html file"),
    compare: list[Path] = typer.Option(None, "--compare", "-c", metavar="FILE", help="an allocation to compare with "
                                       "the optimum: .csv/.xlsx (long or wide) or .nc written by 'fundsim solve' "
                                       "(repeat)"),
    simulation: Path = typer.Option(None, metavar="PATH", help="a Monte Carlo run: a .zarr store or .nc file of "
                                    "'fundsim simulate'"),
) -> None:
    """Write one self-contained HTML report: allocation, binding rules and shadow prices, comparison and
    Monte Carlo summaries, figures embedded. Every label in it is HTML-escaped."""
    from fundsim.comparison import read_allocation
    from fundsim.montecarlo import open_run
    from fundsim.reporting import report as write_report

    inputs = [scenario, *(compare or []), *([simulation] if simulation else [])]
    check_outputs([out_file], (".html", ".htm"), inputs=inputs, hint="use an .html file")
    _all_exist(inputs[1:])
    sc = load(scenario)
    try:
        others = [read_allocation(path, sc) for path in compare or []]
        run = open_run(simulation) if simulation is not None else None
        with info.status(Text(f"writing the report on {sc.name} …")):
            _write(out_file, lambda path: write_report(sc, compare=others, simulation=run, out=path))
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None


def _all_exist(paths: list[Path]) -> None:
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail(f"{missing[0]}: no such file")


@app.command(name="compare", epilog=exit_codes(0, 2, 3, 4, 130))
@interruptible
def compare_command(
    scenario: Path = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)"),
    allocations: list[Path] = typer.Argument(..., help="allocations to compare with the optimum: .csv/.xlsx "
                                             "(long or wide layout) or .nc written by 'fundsim solve'"),
    out_file: Path = typer.Option(None, "--out", "-o", metavar="FILE", help="write the comparison: .xlsx (sheets "
                                  "metrics, gap, compliance, attribution, differences) or .csv (the metrics table: "
                                  "metric × allocation, with the gap and the number of violations); never one of "
                                  "the inputs"),
    option: list[str] = typer.Option(None, "--option", metavar="KEY=VALUE", help=OPTION_HELP + "; for the solve of "
                                     "the optimum"),
    solver: str = solver_option("the solver backend for the optimum (pulp runs CBC)"),
) -> None:
    """Compare allocations with the scenario's optimum: metrics, rule violations and the attribution of each
    gap to the rules and shadow prices that explain it."""
    from fundsim.comparison import compare, read_allocation

    check_outputs([out_file], (".xlsx", ".csv"), inputs=[scenario, *allocations])
    options = _options(option or [])
    _all_exist(allocations)
    sc = load(scenario)
    try:
        others = [read_allocation(path, sc) for path in allocations]
        with info.status(Text(f"solving {sc.name} and comparing …")):
            comparison = compare(solve_scenario(sc, solver=solver, options=options), *others, scenario=sc)
            _print_comparison(comparison)
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    if out_file is not None:
        _write(out_file, comparison.to_excel if out_file.suffix.lower() == ".xlsx"
               else lambda path: write_csv(comparison.metrics, path))


def _print_comparison(comparison: Comparison) -> None:
    name = comparison.scenario.name
    print_frame(comparison.gap, f"{name}: objective and gap to the optimum")
    print_frame(comparison.metrics, "Metrics")
    counts = comparison.compliance.groupby(["allocation", "rule"])["size"].agg(["count", "sum"])
    print_frame(counts, "Rules broken: how often and by how much in all (EUR m)")
    for other in comparison.names[1:]:
        print_frame(comparison.attribution(other).by_rule.head(10).set_index("name"),
                    f"Why the optimum scores more than {other}")
