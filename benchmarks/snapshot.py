"""Snapshot every figure fundsim computes for its shipped scenarios, and compare two snapshots.

A refactor that must not move a number (the seams issue) is checked by taking a snapshot on main before it
and one after, and comparing them::

    python benchmarks/snapshot.py take before.json          # on the commit before the refactor
    python benchmarks/snapshot.py take after.json           # on the refactored tree
    python benchmarks/snapshot.py diff before.json after.json
    python benchmarks/snapshot.py diff before.json after.json --rename .eu_share[=.share_of_eu[

``take`` solves every shipped scenario (the integer-rule one at a fixed gap), runs short seeded Monte Carlo
runs in both modes, a sweep, a Morris study and the evaluators' comparison, and stores each figure under a
stable name (objective, EU money by instrument/region/year/pillar, every shadow price and range of each
solve, run summaries and binding frequencies, the comparison's gap and metrics). ``diff`` lists every figure
that moved beyond a relative tolerance (default 1e-6) and every name present on one side only, and exits 1
if anything moved. Only the public API is used, so the script runs unchanged on both sides of a refactor.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MIP_OPTIONS = {"mip_rel_gap": 0.01}


def _flatten(prefix: str, obj: Any, out: dict[str, float | str]) -> None:
    """Flatten pandas frames and series, xarray objects, mappings and numbers under dotted names."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    if isinstance(obj, xr.Dataset):
        for name in obj.data_vars:
            _flatten(f"{prefix}.{name}", obj[name], out)
    elif isinstance(obj, xr.DataArray):
        _flatten(prefix, obj.to_series() if obj.dims else obj.values.item(), out)
    elif isinstance(obj, pd.DataFrame):
        for col in obj.columns:
            _flatten(f"{prefix}.{col}", obj[col], out)
    elif isinstance(obj, pd.Series):
        for key, value in obj.items():
            _flatten(f"{prefix}[{key}]", value, out)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _flatten(f"{prefix}.{key}", value, out)
    elif isinstance(obj, bool | int | float | np.bool_ | np.integer | np.floating):
        out[prefix] = float(obj)
    elif isinstance(obj, str):
        out[prefix] = obj


def _solves(figures: dict[str, float | str]) -> None:
    import fundsim as fs

    for path in sorted(p for p in SCENARIOS.glob("*.yaml") if p.name != "sources.yaml"):
        sc = fs.load_scenario(path)
        alloc = fs.solve(sc, options=MIP_OPTIONS if "coherent" in path.name else None)
        name = f"solve[{path.stem}]"
        figures[f"{name}.objective"] = float(alloc.objective)
        for by in ("instrument", "region", "year", "pillar", "group"):
            _flatten(f"{name}.by_{by}", alloc.summary(by), figures)
        _flatten(f"{name}.eu", alloc.data["eu"].sum("year"), figures)
        if "coherent" not in path.name:
            _flatten(f"{name}.shadow", alloc.binding_rules().set_index(["rule", "where"])["shadow_price"], figures)


def _runs(figures: dict[str, float | str]) -> None:
    import fundsim as fs
    from fundsim.montecarlo import Evaluation, binding_frequency, summary

    for stem in ("tutorial-uncertain", "gam-2008-uncertain"):
        sc = fs.load_scenario(SCENARIOS / f"{stem}.yaml")
        for mode in ("reoptimise", "stress"):
            plan = fs.solve(sc) if mode == "stress" else None
            run = fs.simulate(sc, 40, seed=11, evaluation=Evaluation(mode, plan=plan))
            _flatten(f"simulate[{stem},{mode}].summary", summary(run), figures)
            if mode == "reoptimise":
                freq = binding_frequency(run).set_index("rule")
                _flatten(f"simulate[{stem},{mode}].binding", freq.select_dtypes("number"), figures)


def _studies(figures: dict[str, float | str]) -> None:
    import fundsim as fs

    sc = fs.load_scenario(SCENARIOS / "tutorial-uncertain.yaml")
    _flatten("sweep[tpma]", fs.sensitivity.sweep(sc, "instruments.tpma.envelope", [0.5, 1.0, 1.5]), figures)
    _flatten("morris[tutorial]", fs.sensitivity.morris(sc, trajectories=4, seed=3, ignore_correlation=True), figures)
    gam = fs.load_scenario(SCENARIOS / "gam-2008.yaml")
    comparison = fs.compare(fs.solve(gam), fs.read_allocation(SCENARIOS / "gam-2008-as-programmed.csv", gam))
    _flatten("compare[as-programmed].gap", comparison.gap, figures)
    _flatten("compare[as-programmed].metrics", comparison.metrics, figures)


PARTS: dict[str, Callable[[dict[str, float | str]], None]] = {"solves": _solves, "runs": _runs,
                                                               "studies": _studies}


def take(out: Path, parts: Iterable[str]) -> dict[str, float | str]:
    import warnings

    figures: dict[str, float | str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for part in parts:
            try:
                PARTS[part](figures)
            except Exception as exc:  # a part that no longer runs is itself a difference to report
                figures[f"{part}.error"] = f"{type(exc).__name__}: {exc}"[:300]
    out.write_text(json.dumps(figures, indent=0, sort_keys=True, allow_nan=True), encoding="utf-8")
    print(f"wrote {out}: {len(figures):,} figures")
    return figures


def _moved(a: float | str, b: float | str, rtol: float) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a != b
    if math.isnan(a) and math.isnan(b):
        return False
    return not math.isclose(a, b, rel_tol=rtol, abs_tol=rtol)


def _renamed(name: str, renames: list[tuple[str, str]]) -> str:
    for old, new in renames:
        name = name.replace(old, new)
    return name


def diff(before: Path, after: Path, rtol: float, renames: list[tuple[str, str]] | None = None) -> int:
    """Compare two snapshots; ``renames`` (``old=new`` parts of names) map the names of the before side onto a
    renaming made on purpose (e.g. the column ``eu_share`` → ``share_of_eu``), so that its figures still compare."""
    a = {_renamed(k, renames or []): v for k, v in json.loads(before.read_text(encoding="utf-8")).items()}
    b = json.loads(after.read_text(encoding="utf-8"))
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    moved = [k for k in sorted(set(a) & set(b)) if _moved(a[k], b[k], rtol)]
    print(f"{len(set(a) & set(b)):,} figures on both sides; {len(moved)} moved beyond {rtol:g}; "
          f"{len(only_a)} only before; {len(only_b)} only after")
    for k in moved[:200]:
        print(f"  moved  {k}: {a[k]!r} -> {b[k]!r}")
    for k in only_a[:50]:
        print(f"  before {k}")
    for k in only_b[:50]:
        print(f"  after  {k}")
    return 1 if moved or only_a or only_b else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("take", help="write a snapshot of every figure")
    t.add_argument("out", type=Path)
    t.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    d = sub.add_parser("diff", help="compare two snapshots")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    d.add_argument("--rtol", type=float, default=1e-6)
    d.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                   help="a part of the before side's names renamed on purpose (repeat for several)")
    args = parser.parse_args(argv)
    if args.command == "take":
        take(args.out, args.parts)
        return 0
    renames = [tuple(r.split("=", 1)) for r in args.rename]
    if any(len(r) != 2 for r in renames):
        parser.error("--rename takes OLD=NEW")
    return diff(args.before, args.after, args.rtol, renames)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
