"""Sensitivity benchmarks: a 1,000-point sweep and a Sobol' study (N = 256) on the reference scenario under
uncertainty (``scenarios/gam-2008-uncertain.yaml``), each timed per evaluation against individual cold
``fs.solve`` calls of points of the same study, measured in the same run.

==============  ============================================================================================
row             what is timed
==============  ============================================================================================
``sweep``       ``fs.sensitivity.sweep`` of ``instruments.enpi.envelope``, factors 0.8 … 1.1 (the declared
                range of ``enpi_budget``), warm re-solves; objective and the two pillars' totals as outputs
``sobol``       ``fs.sensitivity.sobol`` over the 4 independent sources (the declared rank correlation is
                left aside: ``ignore_correlation=True``), first-order design, (d + 2)·N points
``cold``        for each study, ``--cold`` of its points (evenly spread) built as scenarios by hand (sweep)
                or with ``scenario_of_draw`` (Sobol') and solved one by one with ``fs.solve``: assembly,
                a cold HiGHS solve and labelling, as a user without the sensitivity module would
==============  ============================================================================================

The table gives seconds, milliseconds per evaluation, the cold baseline's milliseconds per solve, the
speed-up (cold ÷ warm) and the largest objective difference between a study's point and its cold solve.
It is printed and written to ``benchmarks/results/sens-<time>.csv`` (git-ignored).

    .venv/bin/python benchmarks/sensitivity.py                 # 1,000 points, N = 256, 30 cold solves each
    .venv/bin/python benchmarks/sensitivity.py --quick         # 100 points, N = 32, 10 cold solves
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import SCENARIOS, write_rows

import fundsim as fs
from fundsim import sensitivity
from fundsim.model import frozen_array
from fundsim.montecarlo import Evaluation, drawn_numbers, parameter_values, scenario_of_draw

REFERENCE = SCENARIOS / "gam-2008-uncertain.yaml"
OUTPUTS = ["objective", "pillar:legal_migration", "pillar:irregular_migration"]


def _with_envelope(sc: fs.Scenario, instrument: str, factor: float) -> fs.Scenario:
    """The scenario with one instrument's envelope and usable money scaled, built by hand."""
    changed = tuple(dataclasses.replace(i, envelope=frozen_array(i.envelope * factor),
                                        usable=frozen_array(i.usable * factor)) if i.id == instrument else i
                    for i in sc.instruments)
    return sc.evolve(instruments=changed)


def _cold(scenarios: list[fs.Scenario]) -> tuple[float, np.ndarray]:
    """Seconds per ``fs.solve`` of each scenario, one after the other, and their objectives."""
    began = time.perf_counter()
    objectives = np.array([fs.solve(s).objective for s in scenarios])
    return (time.perf_counter() - began) / len(scenarios), objectives


def _row(study: str, evaluations: int, seconds: float, cold: float, diff: float, **extra: Any) -> dict[str, Any]:
    per = seconds / evaluations
    return {"study": study, "evaluations": evaluations, "seconds": round(seconds, 2),
            "ms_per_evaluation": round(1e3 * per, 2), "cold_ms_per_solve": round(1e3 * cold, 2),
            "speedup_over_cold": round(cold / per, 2), "max_objective_diff": f"{diff:.1e}", **extra}


def bench_sweep(sc: fs.Scenario, points: int, cold_points: int, executor: str) -> dict[str, Any]:
    factors = np.linspace(0.8, 1.1, points)
    began = time.perf_counter()
    study = sensitivity.sweep(sc, "instruments.enpi.envelope", factors, relative=True, outputs=OUTPUTS,
                              evaluation=Evaluation(executor=executor))
    seconds = time.perf_counter() - began
    pick = np.linspace(0, points - 1, cold_points).round().astype(int)
    cold, objectives = _cold([_with_envelope(sc, "enpi", float(factors[k])) for k in pick])
    diff = float(np.abs(study["objective"].values[pick] - objectives).max())
    return _row("sweep", points, seconds, cold, diff, executor=executor,
                rebuilt=int(study["rebuilt"].sum()), infeasible=int((study["status"] != "optimal").sum()))


def bench_sobol(sc: fs.Scenario, n: int, cold_points: int, executor: str) -> dict[str, Any]:
    began = time.perf_counter()
    study = sensitivity.sobol(sc, n=n, outputs=OUTPUTS, ignore_correlation=True,
                              evaluation=Evaluation(executor=executor))
    seconds = time.perf_counter() - began
    evaluations = study.sizes["evaluation"]
    pick = np.linspace(0, evaluations - 1, cold_points).round().astype(int)
    if sc.uncertainty is None:
        raise SystemExit(f"{REFERENCE} declares no uncertainty")
    unc = dataclasses.replace(sc.uncertainty, correlation=None)
    numbers = drawn_numbers(sc, parameter_values(unc, study["sample"].values[pick]))
    cold, objectives = _cold([scenario_of_draw(sc, numbers, d) for d in range(len(pick))])
    diff = float(np.abs(study["output_value"].sel(output="objective").values[pick] - objectives).max())
    st = study["indices"].sel(output="objective", index="ST").to_series().round(3).to_dict()
    return _row("sobol", evaluations, seconds, cold, diff, executor=executor, n=n,
                objective_ST=" ".join(f"{k}={v}" for k, v in st.items()))


def environment() -> dict[str, str]:
    from importlib.metadata import version

    return {"python": platform.python_version(), "highspy": version("highspy"), "SALib": version("SALib"),
            "cpus": str(os.cpu_count()), "load_1min": f"{os.getloadavg()[0]:.1f}", "machine": platform.machine(),
            "fundsim": fs.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time sweeps and Sobol' studies against cold solves.")
    parser.add_argument("--points", type=int, default=1000, help="sweep points (default 1000)")
    parser.add_argument("--n", type=int, default=256, help="Sobol' base sample, a power of 2 (default 256)")
    parser.add_argument("--cold", type=int, default=30, help="cold fs.solve calls per study (default 30)")
    parser.add_argument("--executor", default="sequential", help="sequential (default) or processes")
    parser.add_argument("--quick", action="store_true", help="100 points, N = 32, 10 cold solves")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.n, args.cold = 100, 32, 10
    sc = fs.load_scenario(REFERENCE)
    fs.solve(sc)  # imports and first-call costs out of the timings
    rows = [bench_sweep(sc, args.points, args.cold, args.executor), bench_sobol(sc, args.n, args.cold, args.executor)]
    table = pd.DataFrame(rows).set_index("study")
    print(f"sensitivity on {REFERENCE.name}: warm studies against {args.cold} cold fs.solve calls each")
    print(table.to_string())
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    print(f"written to {write_rows(f'sens-{stamp}', rows, environment())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
