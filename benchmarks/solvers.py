"""Solver backends side by side: HiGHS (in process) against CBC through PuLP, on the same LinearProgram.

``.venv/bin/python benchmarks/solvers.py`` times, for each case of :mod:`cases` (tutorial, the reference
``scenarios/gam-2008.yaml``, synthetic small and medium; large is left out by default, as CBC needs
minutes there) and each *variant* of it, a cold solve by every backend of :data:`SOLVERS`:

==============  ============================================================================================
solver          what is timed (wall clock of ``backend.solve(lp)``: everything a user waits for)
==============  ============================================================================================
``highs``       :class:`~fundsim.solvers.HighsSolver` as ``fs.solve`` uses it (passModel, HiGHS run,
                solution); ``highs_run`` is HiGHS's own run time
``cbc``         :class:`~fundsim.solvers.PulpSolver` with CBC: the PuLP model built from the CSR arrays
                (``cbc_build``), PuLP's MPS file, the CBC process, reading its solution, the dual check
``pulp_highs``  the same PuLP model solved by PuLP's in-process HiGHS: PuLP's overhead without CBC's
==============  ============================================================================================

Every ratio is to ``highs`` in the same run; ``gap`` is the largest relative objective difference to
HiGHS. Solves under a second are repeated and the best of three kept (``--quick``: once).

Variants (:data:`VARIANTS`) turn a case's scenario into the program to time; ``lp`` is the scenario as
it is. A MILP variant is one more :class:`Variant` whose ``make`` returns a scenario with integer rules
(``assemble`` then sets ``lp.integrality``) and whose ``options`` (say ``{"time_limit": 120.0}``, which both
backends understand) go to every backend; the table shows its integer columns and the drivers need no change.
A solve that ends other than optimal shows as ``–``.

The table is printed and written as CSV to ``benchmarks/results/solvers-<time>.csv``.

Usage: ``python benchmarks/solvers.py [--sizes tutorial,reference,small,medium] [--variants lp]
[--solvers highs,cbc,pulp_highs] [--quick]``
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Case, print_table, registry, write_rows
from run import REPEAT_BELOW, environment

import fundsim as fs
from fundsim.solvers import HighsSolver, PulpSolver, SolveResult, Status


@dataclass(frozen=True)
class Variant:
    """A way to turn a case's scenario into the program to time (e.g. with integer rules: a MILP), and the
    options every backend gets for it (``time_limit`` means the same to both)."""

    name: str
    make: Callable[[fs.Scenario], fs.Scenario]
    description: str
    options: dict[str, Any] = field(default_factory=dict)


def with_integer_rules(sc: fs.Scenario) -> fs.Scenario:
    """The scenario with three integer rules of any scenario's labels: at most 2 instruments per priority ×
    region cell, commitments of 0 or at least EUR 0.5 m per instrument line, an administrative cost of 0.05
    per active cell."""
    spec = copy.deepcopy(sc.spec)
    spec.pop("uncertainty", None)
    spec["rules"] = {**spec.get("rules", {}), "max_instruments_per_cell": 2, "min_commitment": 0.5,
                     "admin_cost": 0.05}
    return fs.scenario_from_dict(spec)


VARIANTS: dict[str, Variant] = {
    "lp": Variant("lp", lambda sc: sc, "the scenario as it is (a pure LP when it has no integer rules)"),
    "milp": Variant("milp", with_integer_rules, "at most 2 instruments per cell, minimum commitment 0.5, "
                    "admin cost 0.05 per cell; stop within 1 % of the optimum or at 60 s",
                    {"time_limit": 60.0, "mip_rel_gap": 0.01}),
}

# solver name → a fresh backend made with the variant's options (each timed solve is cold)
SOLVERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "highs": lambda options: HighsSolver(options),
    "cbc": lambda options: PulpSolver(options),
    "pulp_highs": lambda options: PulpSolver({**options, "solver": "HiGHS"}),
}
DEFAULT_SIZES = ["tutorial", "reference", "small", "medium"]


def time_solver(name: str, lp: fs.LinearProgram, options: dict[str, Any], repeat: int
                ) -> tuple[float, float, SolveResult]:
    """Best wall time and best solver-reported time of cold solves of ``lp`` by the backend ``name`` (one
    solve when it takes over :data:`run.REPEAT_BELOW`; NaN unless optimal), and the last result."""
    wall, inner = math.inf, math.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = SOLVERS[name](options).solve(lp)
        seconds = time.perf_counter() - start
        if result.status is not Status.OPTIMAL:
            return math.nan, math.nan, result
        wall, inner = min(wall, seconds), min(inner, result.seconds)
        if seconds > REPEAT_BELOW:
            break
    return wall, inner, result


def measure(case: Case, variant: Variant, solvers: list[str], repeat: int) -> dict[str, Any]:
    """One row: the program's size, each solver's time, its ratio to HiGHS and its objective gap."""
    lp = fs.assemble(variant.make(case.make()))
    integer = 0 if lp.integrality is None else int(np.count_nonzero(lp.integrality))
    row: dict[str, Any] = {"case": case.name, "variant": variant.name, "cols": lp.num_col, "rows": lp.num_row,
                           "nnz": lp.A.nnz, "integer_cols": integer}
    objectives = {}
    for name in solvers:
        seconds, inner, result = time_solver(name, lp, variant.options, repeat)
        row[f"{name}_s"], objectives[name] = seconds, result.objective
        if name == "highs":
            row["highs_run_s"] = inner
        if "build_seconds" in result.info:
            row[f"{name}_build_s"] = result.info["build_seconds"]
        print(f"  {case.name}/{variant.name}: {name} {seconds:.3f} s", file=sys.stderr, flush=True)
    base = objectives.get("highs")
    for name in solvers:
        if name != "highs" and base is not None:
            row[f"{name}_over_highs"] = row[f"{name}_s"] / row["highs_s"]
            row[f"{name}_gap"] = abs(objectives[name] - base) / max(1.0, abs(base))
    row["objective"] = base if base is not None else objectives[solvers[0]]
    return row


COLUMNS = [  # (key, heading, format)
    ("case", "case", "{}"), ("variant", "variant", "{}"), ("cols", "cols", "{:,}"), ("rows", "rows", "{:,}"),
    ("integer_cols", "int cols", "{:,}"), ("objective", "objective", "{:.6g}"),
    ("highs_s", "HiGHS s", "{:.3f}"), ("highs_run_s", "HiGHS run s", "{:.3f}"),
    ("cbc_s", "CBC s", "{:.3f}"), ("cbc_build_s", "CBC: PuLP build s", "{:.3f}"),
    ("cbc_over_highs", "CBC/HiGHS", "{:.1f}×"), ("cbc_gap", "CBC gap", "{:.1e}"),
    ("pulp_highs_s", "PuLP-HiGHS s", "{:.3f}"),
    ("pulp_highs_over_highs", "PuLP-HiGHS/HiGHS", "{:.1f}×"), ("pulp_highs_gap", "PuLP-HiGHS gap", "{:.1e}"),
]


def show(rows: list[dict[str, Any]]) -> None:
    print_table(rows, COLUMNS, "solver backends (cold solves, wall clock in seconds; ratios to HiGHS in the same run)",
                left=("case", "variant"), width=220)


def _choose(parser: argparse.ArgumentParser, given: str | None, known: list[str], default: list[str],
            what: str) -> list[str]:
    chosen = given.split(",") if given else default
    unknown = [n for n in chosen if n not in known]
    if unknown:
        parser.error(f"unknown {what} {', '.join(unknown)}; the {what} are: {', '.join(known)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    cases = registry()
    parser = argparse.ArgumentParser(description="Time HiGHS against CBC (through PuLP) on the same programs.")
    parser.add_argument("--sizes",
                        help=f"comma-separated cases (default: {','.join(DEFAULT_SIZES)}); of {', '.join(cases)}")
    parser.add_argument("--variants", help=f"comma-separated (default: all): {', '.join(VARIANTS)}")
    parser.add_argument("--solvers", help=f"comma-separated (default: all): {', '.join(SOLVERS)}")
    parser.add_argument("--quick", action="store_true", help="each solve once, and only tutorial, reference, small")
    args = parser.parse_args(argv)
    sizes = _choose(parser, args.sizes, list(cases), DEFAULT_SIZES[:3] if args.quick else DEFAULT_SIZES, "cases")
    variants = _choose(parser, args.variants, list(VARIANTS), list(VARIANTS), "variants")
    solvers = _choose(parser, args.solvers, list(SOLVERS), list(SOLVERS), "solvers")
    env = environment()
    print("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), file=sys.stderr)
    rows = [measure(cases[c], VARIANTS[v], solvers, 1 if args.quick else 3) for c in sizes for v in variants]
    show(rows)
    print(f"written: {write_rows(f'solvers-{dt.datetime.now():%Y%m%d-%H%M%S}', rows, env)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
