"""``fundsim sensitivity sweep|tornado|sobol|morris|frontier|pareto`` and ``fundsim assumptions``: the analyst's
studies from a shell. ``assumptions`` is a top-level command (a planner's question about the scenario, as
``validate`` or ``solve`` are) though it lives with the studies it is one of.

Each prints its table and, with ``--out``, writes the study: NetCDF (``.nc``) for labelled datasets, CSV
(``.csv``) for tables, atomically and with text cells neutralised. The output path is checked before the
study runs. Bad arguments exit 2 with what would be valid; an infeasible point exits 3, a solver failure
4, an interrupt 130 (nothing is written: a study is written whole when it is complete).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import typer
from rich.text import Text

from fundsim.cli.common import (
    EXIT_BAD_INPUT,
    App,
    app,
    check_outputs,
    exit_codes,
    fail,
    flag,
    infeasible,
    info,
    interruptible,
    load,
    out,
    print_frame,
    solver_failed,
    solver_option,
    uncut_table,
    wrote,
)
from fundsim.errors import InfeasibleError, SolverError
from fundsim.formats import share
from fundsim.outputs import atomic_file, write_csv

if TYPE_CHECKING:  # loaded when a study runs, so that 'fundsim --help' starts fast
    import pandas as pd
    import xarray as xr

group = App(help="Sensitivity studies and trade-offs: sweep, tornado, sobol, morris, frontier, pareto.\n\n"
                    + exit_codes(0, 2, 3, 4, 130), no_args_is_help=True)
EPILOG = exit_codes(0, 2, 3, 4, 130)
KEEPS_INFEASIBLE = exit_codes(0, 2, 4, 130) + " An infeasible point is kept in the study with its status."
app.add_typer(group, name="sensitivity")

SCENARIO = typer.Argument(..., help="scenario file (.yaml, .yml or .toml)")
OUT = typer.Option(None, "--out", "-o", metavar="FILE", help="write the study: .nc (dataset) or .csv (table)")
SOLVER = solver_option()


def _check_out(path: Path | None, scenario: Path) -> None:
    check_outputs([path], (".nc", ".csv"), inputs=[scenario])


def _run(what: str, steps: Callable[[], int], work: Callable[[Callable[[int], None]], Any],
         unit: str = "solves") -> Any:
    """Run a study, its progress on stderr (``what: <steps> <unit>``, see :func:`fundsim.progress.progress_bar`);
    ``work`` is given the bar's advance. User errors exit 2, infeasibility 3, solver failures 4."""
    from fundsim.progress import progress_bar

    try:
        total = steps()
        with progress_bar(f"{what}: {total:,} {unit}", total, info) as advance:
            return work(advance)
    except InfeasibleError as exc:
        raise infeasible(exc, what) from None
    except SolverError as exc:
        raise solver_failed(exc, what) from None
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\""), EXIT_BAD_INPUT) from None


def _print_indices(study: xr.Dataset, title: str) -> None:
    """One table of a study's indices per output."""
    for name in study["output"].values:
        print_frame(study["indices"].sel(output=name).to_pandas(), f"{title} of {name}")


def _write(path: Path | None, data: xr.Dataset | pd.DataFrame) -> None:
    import xarray as xr

    if path is None:
        return
    try:
        if path.suffix.lower() == ".nc":
            ds = data if isinstance(data, xr.Dataset) else xr.Dataset.from_dataframe(data)
            ds.attrs = {k: (str(v) if isinstance(v, bool | tuple | list | dict) else v) for k, v in ds.attrs.items()}
            with atomic_file(path) as tmp:
                ds.to_netcdf(tmp)
        else:
            write_csv(data.to_dataframe() if isinstance(data, xr.Dataset) else data, path)
    except OSError as exc:
        raise fail(f"--out {path}: cannot write the file: {exc.strerror or exc}") from None
    wrote(path)


def _values(values: str | None, start: float | None, stop: float | None, num: int) -> np.ndarray:
    if values is not None:
        try:
            return np.array([float(v) for v in values.split(",") if v.strip()])
        except ValueError:
            raise fail(f"--values {values!r}: give numbers separated by commas, e.g. 0.8,0.9,1.0") from None
    if start is None or stop is None:
        raise fail("give the swept values: --values 0.8,0.9,1.0, or --start, --stop (and --num)")
    return np.linspace(start, stop, num)


def _outputs(names: str | None) -> list[str] | None:
    return None if names is None else [n.strip() for n in names.split(",") if n.strip()]


@group.command(epilog=KEEPS_INFEASIBLE)
@interruptible
def sweep(
    scenario: Path = SCENARIO,
    path: str = typer.Argument(..., help="the number to sweep, e.g. instruments.enpi.envelope, "
                               "absorption.capacity.west_africa, or a declared uncertain parameter's id"),
    values: str = typer.Option(None, metavar="X,Y,...", help="comma-separated values, e.g. 0.8,0.9,1.0"),
    start: float = typer.Option(None, metavar="X", help="first value of an even range"),
    stop: float = typer.Option(None, metavar="X", help="last value of an even range"),
    num: int = typer.Option(11, min=2, metavar="N", help="points of the range"),
    relative: bool = flag("--relative", help="values are factors on the scenario's number"),
    outputs: str = typer.Option(None, metavar="NAMES", help="extra named outputs, comma-separated, e.g. "
                                "pillar:legal,decommitted"),
    solver: str = SOLVER,
    out_file: Path = OUT,
) -> None:
    """One-at-a-time sweep: the optimum at each value of one number (warm re-solves)."""
    from fundsim.sensitivity import sweep as run_sweep

    _check_out(out_file, scenario)
    sc = load(scenario)
    grid = _values(values, start, stop, num)
    study = _run(f"sweep of {path} in {sc.name}", lambda: len(grid),
                 lambda advance: run_sweep(sc, path, grid, relative=relative, outputs=_outputs(outputs),
                                           solver=solver, progress=advance))
    scalars = [str(v) for v in study.data_vars if study[v].dims == ("value",) and study[v].dtype.kind == "f"]
    frame = study[scalars].to_dataframe()
    if "status" in study:
        frame.insert(0, "status", study["status"].values.astype(str))
    print_frame(frame, f"{sc.name}: sweep of {path}")
    _write(out_file, study)


@group.command(epilog=KEEPS_INFEASIBLE)
@interruptible
def tornado(
    scenario: Path = SCENARIO,
    output: str = typer.Option("objective", metavar="NAME", help="the output ranked by swing, e.g. objective, "
                               "pillar:legal"),
    low: float = typer.Option(0.05, metavar="QUANTILE", help="low quantile of each input"),
    high: float = typer.Option(0.95, metavar="QUANTILE", help="high quantile of each input"),
    solver: str = SOLVER,
    out_file: Path = OUT,
) -> None:
    """Each declared uncertainty at its low and high quantile, ranked by the swing of an output."""
    from fundsim.sensitivity import tornado as run_tornado
    from fundsim.sensitivity.tornadoes import tornado_points

    _check_out(out_file, scenario)
    sc = load(scenario)
    table = _run(f"tornado of {sc.name}", lambda: tornado_points(sc),
                 lambda advance: run_tornado(sc, output, low=low, high=high, solver=solver, progress=advance))
    print_frame(table.set_index("input"), f"{sc.name}: swing of {output} (base {table.attrs.get('base', 0):,.4g})")
    _write(out_file, table)


@group.command(epilog=KEEPS_INFEASIBLE)
@interruptible
def sobol(
    scenario: Path = SCENARIO,
    n: int = typer.Option(256, metavar="N", help="base sample size, a power of 2 ((d + 2)·n solves)"),
    outputs: str = typer.Option("objective", metavar="NAMES", help="named outputs, comma-separated"),
    second_order: bool = flag("--second-order", help="also the second-order indices S2"),
    seed: int = typer.Option(0, metavar="N", help="seeds the Sobol' sequence and the bootstrap"),
    ignore_correlation: bool = flag("--ignore-correlation", help="treat correlated inputs as independent"),
    solver: str = SOLVER,
    out_file: Path = OUT,
) -> None:
    """Sobol' indices (S1, ST with confidence intervals) of outputs over the declared uncertainties."""
    from fundsim.sensitivity import sobol as run_sobol
    from fundsim.sensitivity.gsa import sobol_points

    _check_out(out_file, scenario)
    sc = load(scenario)
    study = _run(f"sobol of {sc.name}", lambda: sobol_points(sc, n, second_order=second_order),
                 lambda advance: run_sobol(sc, n, _outputs(outputs) or "objective", second_order=second_order,
                                           seed=seed, ignore_correlation=ignore_correlation, solver=solver,
                                           progress=advance))
    _print_indices(study, f"{sc.name}: Sobol' indices")
    _write(out_file, study)


@group.command(epilog=KEEPS_INFEASIBLE)
@interruptible
def morris(
    scenario: Path = SCENARIO,
    trajectories: int = typer.Option(20, min=2, metavar="N", help="Morris trajectories ((d + 1) solves each)"),
    levels: int = typer.Option(4, min=2, metavar="N", help="grid levels per input"),
    outputs: str = typer.Option("objective", metavar="NAMES", help="named outputs, comma-separated"),
    seed: int = typer.Option(0, metavar="N", help="seeds the trajectories"),
    ignore_correlation: bool = flag("--ignore-correlation", help="treat correlated inputs as independent"),
    solver: str = SOLVER,
    out_file: Path = OUT,
) -> None:
    """Morris elementary effects (mu*, sigma) of outputs over the declared uncertainties."""
    from fundsim.sensitivity import morris as run_morris
    from fundsim.sensitivity.gsa import morris_points

    _check_out(out_file, scenario)
    sc = load(scenario)
    study = _run(f"morris of {sc.name}", lambda: morris_points(sc, trajectories),
                 lambda advance: run_morris(sc, trajectories, _outputs(outputs) or "objective", levels=levels,
                                            seed=seed, ignore_correlation=ignore_correlation, solver=solver,
                                            progress=advance))
    _print_indices(study, f"{sc.name}: Morris indices")
    _write(out_file, study)


@group.command(name="budget-frontier", epilog=EPILOG)
@interruptible
def budget_frontier_command(
    scenario: Path = SCENARIO,
    instrument: str = typer.Option(None, metavar="NAME", help="scale only this instrument's envelope (default: "
                                   "every one)"),
    lo: float = typer.Option(0.0, metavar="FACTOR", help="smallest budget multiplier"),
    hi: float = typer.Option(2.0, metavar="FACTOR", help="largest budget multiplier"),
    solver: str = SOLVER,
    out_file: Path = OUT,
) -> None:
    """The exact budget frontier: optimum against a budget multiplier, with its breakpoints."""
    from fundsim.sensitivity import budget_frontier
    from fundsim.sensitivity.frontier import FRONTIER_STEPS

    _check_out(out_file, scenario)
    sc = load(scenario)
    curve = _run(f"budget frontier of {sc.name}", lambda: FRONTIER_STEPS,
                 lambda advance: budget_frontier(sc, instrument, lo, hi, solver=solver, progress=advance),
                 f"steps (t from {lo:g} to {hi:g}: traced, then checked)")
    table = curve.table()
    print_frame(table[["kind", "objective", "slope_left", "slope_right", "value_per_eur_m", "eu"]],
                f"{sc.name}: budget frontier" + (f" of {instrument}" if instrument else "")
                + f", feasible from t = {curve.feasible_from:.6g}")
    for t, row in table[table["kind"] == "breakpoint"].iterrows():
        out.print(Text(f"at t = {t:.6g}:"))
        for label, rules in (("starts binding", row["starts_binding"]), ("stops binding", row["stops_binding"]),
                             ("prices move", row["prices_change"])):
            if rules:
                out.print(Text(f"  {label}: {rules}"))
    _write(out_file, curve.data)


# the command's earlier name, kept for scripts: one name per concept (fs.sensitivity.budget_frontier)
group.command(name="frontier", hidden=True, epilog=EPILOG)(budget_frontier_command)


@group.command(epilog=EPILOG)
@interruptible
def pareto(
    scenario: Path = SCENARIO,
    objectives: str = typer.Option("impact,leverage", metavar="NAMES", help="two or three of: impact, leverage, "
                                   "pillar_balance, regional_concentration (the first is optimised)"),
    points: int = typer.Option(11, min=2, metavar="N", help="ε values per bounded objective"),
    solver: str = SOLVER,
    out_file: Path = OUT,
) -> None:
    """The Pareto front between two or three objectives (ε-constraint)."""
    from fundsim.sensitivity import pareto_front
    from fundsim.sensitivity.pareto import pareto_points

    _check_out(out_file, scenario)
    sc = load(scenario)
    names = tuple(n.strip() for n in objectives.split(",") if n.strip())
    front = _run(f"pareto of {sc.name}", lambda: pareto_points(names, points),
                 lambda advance: pareto_front(sc, names, points, solver=solver, progress=advance), "optimisations")
    print_frame(front.table(), f"{sc.name}: {len(front)} efficient allocations")
    _write(out_file, front.data)


def _end_cell(row: pd.Series, figure: str, side: str) -> str:
    """One end's figure as the table shows it: EUR m with two decimals, a count with its share, or the status."""
    status = row[f"status_{side}"]
    if status not in ("optimal", "unchanged"):
        return str(status)
    if figure == "cells":
        return f"{int(row[f'cells_{side}'])} ({share(row[f'cells_share_{side}'])}); EU {int(row[f'cells_eu_{side}'])}"
    return f"{row[f'{figure}_{side}']:,.2f}"


def _print_assumptions(table: pd.DataFrame, top: int | None) -> None:
    a = table.attrs
    shown = table.head(top) if top else table
    header = ["rank", "assumption at", "value", "low", "high", "L1 low (EUR m)", "L1 high (EUR m)", "cells low",
              "cells high", "Δ objective low", "Δ objective high", "assumption"]
    rows = [[str(rank), str(row["path"]), f"{row['value']:.6g}", f"{row['low']:.6g}", f"{row['high']:.6g}",
             _end_cell(row, "l1", "low"), _end_cell(row, "l1", "high"), _end_cell(row, "cells", "low"),
             _end_cell(row, "cells", "high"), _end_cell(row, "objective", "low"), _end_cell(row, "objective", "high"),
             str(row["assumption"])] for rank, row in shown.iterrows()]
    more = f", the first {len(shown)} shown" if len(shown) < len(table) else ""
    title = (f"{a['scenario']}: {len(table)} numbers marked assumption{more}, ranked by how far the allocation "
             f"moves (L1 of the EU cube to the nearest optimum; cells: of the {a['funded_cells']} funded "
             f"priority × region cells, those whose total money moves, and of them ('EU') those whose EU money "
             f"moves); base objective {a['objective']:,.4f}; {a['solves']} solves in "
             f"{a['seconds']:.1f} s")
    out.print(uncut_table(title, header, rows, [True, False, True, True, True, *[True] * 6, False]))


@app.command(name="assumptions", epilog=exit_codes(0, 2, 4, 130) + " An end where the rules cannot all hold is "
             "reported 'infeasible' in the table, one the format refuses 'refused'.")
@interruptible
def assumptions_command(
    scenario: Path = SCENARIO,
    spread: float = typer.Option(0.5, metavar="SHARE", help="a number without 'range: \\[low, high]' moves to value "
                                 "× (1 ± spread)"),  # help is rich markup: '\\[' shows '['
    top: int = typer.Option(None, min=1, metavar="N", help="print the first N rows only (--out writes them all)"),
    solver: str = SOLVER,
    out_file: Path = typer.Option(None, "--out", "-o", metavar="FILE", help="write the whole table: .csv"),
) -> None:
    """Which assumptions decide the plan: every number marked 'assumption:' moved over its range, one at a time,
    ranked by how far the allocation moves."""
    from fundsim.progress import progress_bar
    from fundsim.scenario.extends import read_tree
    from fundsim.sensitivity.assumption_ranks import assumptions, marked_numbers

    check_outputs([out_file], (".csv",), inputs=[scenario])
    sc = load(scenario)
    n = len(marked_numbers(read_tree(scenario)[0], spread if 0 <= spread <= 1 else 0.5))

    def work() -> pd.DataFrame:
        with progress_bar(f"moving {n} assumptions of {sc.name}", 2 * n, info) as advance:
            return assumptions(sc, spread=spread, solver=solver, progress=advance)

    try:
        table = work()
    except InfeasibleError as exc:
        raise infeasible(exc, scenario) from None
    except SolverError as exc:
        raise solver_failed(exc, scenario) from None
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\""), EXIT_BAD_INPUT) from None
    _print_assumptions(table, top)
    _write(out_file, table)
