"""Monte Carlo benchmarks: re-optimisation throughput against PuLP and a bare-HiGHS floor, process-pool
scaling, stress throughput, memory as draws grow, and where a re-optimised draw spends its time.

``.venv/bin/python benchmarks/montecarlo.py [--quick]`` runs every part on the cases of :func:`registry`
(the reference ``scenarios/gam-2008-uncertain.yaml`` and a medium synthetic scenario, 60 regions ×
15 instruments × 8 priorities × 7 years, with an uncertainty section added here). Every driver of a case
sees the same draws (``unit_design`` → ``parameter_values`` → ``drawn_numbers``):

==============  ============================================================================================
part            what is timed
==============  ============================================================================================
``throughput``  per draw: (a) ``scenario_of_draw`` + the PuLP build (:mod:`pulp_model`) + PuLP's HiGHS,
                the baseline; (b) the floor: a bare highspy loop over fundsim's LP, the draw's changed
                numbers computed beforehand, timing only clearSolver/setBasis, changeColsCost/
                changeRowsBounds, run and getSolution, with the fastest in-place method of part
                ``options`` (warm dual simplex from the base basis; cold IPM + crossover from
                ``FLOOR_IPM_COLUMNS``); (b') bare sifting: ``Sifting.solve`` on each draw's LP, assembled
                beforehand; (c) ``fs.simulate`` sequential, as a user calls it (its one-time setup, assembly
                and a cold solve of the base, included)
``workers``     ``fs.simulate`` on ``ProcessExecutor(2)`` against ``ProcessExecutor(1)`` (reference)
``stress``      ``fs.simulate`` in stress mode (``Evaluation("stress")``) of 100,000 draws, random and Sobol designs
                (reference; best of three runs), and its steps timed apart (design, parameter values, drawn
                numbers, payment loop, the rest)
``memory``      RSS before and peak during stress and re-optimise runs written to a Zarr store, each in a
                fresh process (the peak is reset after the set-up through ``/proc/self/clear_refs``)
``profile``     one re-optimised draw split into scenario_of_draw, assemble, HiGHS runs, the rest of
                sifting (restricting, pricing, passing the model, results) and labelling; a prototype
                that scales the base LP's numbers by the drawn parameter values instead of re-assembling
                (:class:`ScaledNumbers`)
``options``     fundsim's sifting against HiGHS choices for an in-place re-solve of the full LP (pricing,
                primal/dual, cold IPM, the previous draw's basis, split cost/bound solves) in the floor
                loop, on the same draws
==============  ============================================================================================

Tables are printed and written as CSV to ``benchmarks/results/mc-<time>-<table>.csv`` (git-ignored).
``--quick`` uses fewer draws (about two minutes); ``--parts`` and ``--cases`` select.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import gc
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pulp
from cases import RESULTS, print_table, write_rows
from pulp_model import build_pulp

import fundsim as fs
from fundsim.examples import synthetic_spec
from fundsim.montecarlo import Evaluation, Storage
from fundsim.montecarlo.design import parameter_values, unit_design
from fundsim.montecarlo.executors import ProcessExecutor
from fundsim.montecarlo.numbers import DrawnNumbers, drawn_numbers, scenario_of_draw
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.solvers import HighsSolver
from fundsim.solvers.sifting import Sifting

ROOT = Path(__file__).resolve().parent.parent
SEED = 2008
TARGETS = {"over_pulp": 5.0, "over_pulp_stretch": 10.0, "over_floor": 0.8, "two_workers": 1.7, "stress": 1e5,
           "objective_rel": 1e-6}


# ---- the registry of cases -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A scenario with an uncertainty section, and how many draws each part gives it (full, quick)."""

    name: str
    make: Callable[[], fs.Scenario]
    description: str
    draws: tuple[int, int]  # throughput and profile: (full, quick)
    option_draws: tuple[int, int]


def medium_spec() -> dict[str, Any]:
    """``synthetic_spec(60, 15, 8, 7)`` with an uncertainty section shaped like the reference's: one crisis
    factor on both match sources and every envelope, PERT absorption, triangular weights on one priority."""
    spec = synthetic_spec(60, 15, 8, 7, seed=0)
    crisis = {"factor": "financial_crisis"}
    params: list[dict[str, Any]] = [
        {"id": "member_state_match", "path": "match_sources.member_states.capacity", **crisis,
         "distribution": {"kind": "lognormal", "median": 0.85, "sigma": 0.25}},
        {"id": "partner_match", "path": "match_sources.partners.capacity", **crisis,
         "distribution": {"kind": "lognormal", "median": 0.9, "sigma": 0.2}},
    ]
    params += [{"id": f"{i['id']}_budget", "path": f"instruments.{i['id']}.envelope", **crisis,
                "distribution": {"kind": "normal", "mean": 1.0, "sd": 0.05, "low": 0.8, "high": 1.1}}
               for i in spec["instruments"]]
    params += [
        {"id": "absorption", "path": "absorption.capacity",
         "distribution": {"kind": "pert", "low": 0.55, "mode": 0.95, "high": 1.1}},
        {"id": "impact_p01", "path": f"objective.impact.weights.{spec['priorities'][0]['id']}",
         "distribution": {"kind": "triangular", "low": 0.8, "mode": 1.0, "high": 1.6}},
    ]
    spec["uncertainty"] = {"factors": [{"id": "financial_crisis"}], "parameters": params,
                           "correlation": {"between": ["financial_crisis", "absorption"],
                                           "matrix": [[1.0, 0.3], [0.3, 1.0]]}}
    return spec


def registry() -> dict[str, Case]:
    return {
        "reference": Case("reference", lambda: fs.load_scenario(ROOT / "scenarios" / "gam-2008-uncertain.yaml"),
                          "scenarios/gam-2008-uncertain.yaml", (200, 30), (100, 10)),
        "medium": Case("medium", lambda: fs.scenario_from_dict(medium_spec()),
                       "synthetic 60×15×8×7 + crisis/absorption/weights uncertainty", (8, 2), (3, 1)),
    }


# ---- the same draws for every driver ------------------------------------------------------------------
@dataclass
class Draws:
    """A case's scenario and ``n`` draws of its numbers (random design, :data:`SEED`)."""

    sc: fs.Scenario
    n: int
    values: np.ndarray = field(init=False)  # (draw, parameter)
    numbers: DrawnNumbers = field(init=False)

    def __post_init__(self) -> None:
        unc = self.sc.uncertainty
        if unc is None:
            raise ValueError(f"scenario {self.sc.name!r} declares no uncertainty")
        self.values = parameter_values(unc, unit_design("random", self.n, len(unc.sources), SEED))
        self.numbers = drawn_numbers(self.sc, self.values)

    def scenario(self, d: int) -> fs.Scenario:
        return scenario_of_draw(self.sc, self.numbers, d)


# ---- the bare highspy loop: the floor, and the HiGHS option experiments ----------------------------------
def _inf(a: np.ndarray) -> np.ndarray:
    import highspy

    return np.ascontiguousarray(np.clip(a, -highspy.kHighsInf, highspy.kHighsInf), dtype=np.float64)


@dataclass
class Change:
    """What one draw passes to HiGHS: a reload (new structure) or the costs and bounds that differ."""

    load: fs.LinearProgram | None = None
    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    row_lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    row_up: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bcols: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    col_lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    col_up: np.ndarray = field(default_factory=lambda: np.zeros(0))


def changes(base: fs.LinearProgram, lps: list[fs.LinearProgram]) -> list[Change]:
    """Per draw, what differs from the LP loaded before it (what an in-place loop passes to HiGHS), computed
    up front."""
    loaded, out = base, []
    for lp in lps:
        ch = Change()
        if not lp.same_matrix(loaded):
            ch.load = base if lp.same_matrix(base) else lp
            loaded = ch.load
        c = np.flatnonzero(lp.c != loaded.c)
        r = np.flatnonzero((lp.row_lower != loaded.row_lower) | (lp.row_upper != loaded.row_upper))
        b = np.flatnonzero((lp.col_lower != loaded.col_lower) | (lp.col_upper != loaded.col_upper))
        ch.cols, ch.cost = c.astype(np.int32), np.ascontiguousarray(lp.c[c], dtype=np.float64)
        ch.rows, ch.row_lo, ch.row_up = r.astype(np.int32), _inf(lp.row_lower[r]), _inf(lp.row_upper[r])
        ch.bcols, ch.col_lo, ch.col_up = b.astype(np.int32), _inf(lp.col_lower[b]), _inf(lp.col_upper[b])
        out.append(ch)
        loaded = lp
    return out


@dataclass(frozen=True)
class Variant:
    """How the bare loop re-solves: HiGHS options, the start (base basis, previous basis, none)."""

    name: str
    options: dict[str, Any]
    start: str = "base"  # "base" | "previous" | "cold"
    split: bool = False  # costs first with primal simplex, then bounds with dual simplex


WARM = Variant("dual simplex, Devex, from the base basis", {"simplex_strategy": 1,
                                                            "simplex_dual_edge_weight_strategy": 1})
PRIMAL = Variant("primal simplex, from the base basis", {"simplex_strategy": 4})
COLD_IPM = Variant("cold IPM + crossover (presolve)", {"solver": "ipm"}, start="cold")


# from this many columns a cold IPM + crossover beats every warm in-place simplex re-solve (part options)
FLOOR_IPM_COLUMNS = 20_000


def floor_choice(base: fs.LinearProgram, only_costs: bool = False) -> Variant:
    """The fastest in-place re-solve of the full LP (part options): from ``FLOOR_IPM_COLUMNS`` columns a cold
    IPM with crossover, below it from the base basis by dual simplex, or primal when only costs move."""
    if base.num_col >= FLOOR_IPM_COLUMNS:
        return COLD_IPM
    return PRIMAL if only_costs else WARM


_BASES: dict[int, tuple[fs.Scenario, fs.LinearProgram, Any, float]] = {}


def base_of(sc: fs.Scenario) -> tuple[fs.LinearProgram, Any, float]:
    """The scenario's own LP, its optimal basis from a cold simplex solve, and the seconds both took: the
    Reoptimiser's set-up, made once per scenario and shared by every part (the loops below then only pass
    the model and set this basis)."""
    if id(sc) not in _BASES:
        start = time.perf_counter()
        base = fs.assemble(sc)
        solver = HighsSolver({"solver": "simplex"})
        solver.solve(base)
        _BASES[id(sc)] = (sc, base, solver.highs.getBasis(), time.perf_counter() - start)
    return _BASES[id(sc)][1:]


def bare_loop(sc: fs.Scenario, todo: list[Change], variant: Variant) -> dict[str, Any]:
    """Time the loop over pre-computed changes; return draws/s, objectives and simplex iterations."""
    import highspy

    base, basis, _ = base_of(sc)
    solver = HighsSolver({"solver": "simplex"})
    solver.load(base)  # passModel, once
    solver.highs.setBasis(basis)

    def configure(h: Any) -> None:
        for key, value in variant.options.items():
            h.setOptionValue(key, value)

    h = solver.highs
    configure(h)
    optimal = highspy.HighsModelStatus.kOptimal
    objs, iters = [], []
    gc.collect()
    start = time.perf_counter()
    for ch in todo:
        warm = variant.start != "cold"
        if ch.load is not None:
            solver.load(ch.load)
            h = solver.highs
            configure(h)
            warm = warm and ch.load is base
        if variant.start != "previous" or ch.load is not None:
            h.clearSolver()
            if warm:
                h.setBasis(basis)
        if len(ch.cols):
            h.changeColsCost(len(ch.cols), ch.cols, ch.cost)
        if variant.split:
            h.setOptionValue("simplex_strategy", 4)
            h.run()
            h.setOptionValue("simplex_strategy", 1)
        if len(ch.rows):
            h.changeRowsBounds(len(ch.rows), ch.rows, ch.row_lo, ch.row_up)
        if len(ch.bcols):
            h.changeColsBounds(len(ch.bcols), ch.bcols, ch.col_lo, ch.col_up)
        h.run()
        sol = h.getSolution()
        np.asarray(sol.col_value), np.asarray(sol.row_dual)
        info = h.getInfo()
        objs.append(info.objective_function_value if h.getModelStatus() == optimal else math.nan)
        iters.append(info.simplex_iteration_count)
    wall = time.perf_counter() - start
    return {"draws_per_s": len(todo) / wall, "seconds": wall, "objectives": np.array(objs),
            "iterations": float(np.mean(iters))}


# ---- part 1: re-optimise throughput -------------------------------------------------------------------
def pulp_solver() -> Any:
    highs = pulp.HiGHS(msg=False)
    return highs if highs.available() else pulp.PULP_CBC_CMD(msg=False)


def drive_pulp(dr: Draws) -> dict[str, Any]:
    """(a) the baseline: per draw, the draw's scenario, its LP written in PuLP, solved in process."""
    solver, objs = pulp_solver(), []
    gc.collect()
    start = time.perf_counter()
    for d in range(dr.n):
        prob = build_pulp(dr.scenario(d))
        status = prob.solve(solver)
        objs.append(pulp.value(prob.objective) if status == pulp.LpStatusOptimal else math.nan)
    wall = time.perf_counter() - start
    return {"draws_per_s": dr.n / wall, "objectives": np.array(objs, float), "solver": solver.name}


def drive_floor(dr: Draws, lps: list[fs.LinearProgram]) -> dict[str, Any]:
    """(b) the floor: fundsim's LP loaded once, each draw's numbers changed in place."""
    base = base_of(dr.sc)[0]
    return bare_loop(dr.sc, changes(base, lps), floor_choice(base))


def drive_sifting(sc: fs.Scenario, lps: list[fs.LinearProgram]) -> dict[str, Any]:
    """(b') fundsim's method bare: ``Sifting.solve`` on LPs assembled beforehand (draws of the base's
    structure; any other is solved cold, as the Reoptimiser does). Set-up untimed, as the floor's."""
    base = base_of(sc)[0]
    sifting = Sifting(base, HighsSolver().solve(base))
    objs, iters = [], []
    gc.collect()
    start = time.perf_counter()
    for lp in lps:
        result = sifting.solve(lp) if lp.same_matrix(base) else None
        if result is None:
            result = HighsSolver().solve(lp)
        objs.append(result.objective)
        iters.append(result.iterations)
    wall = time.perf_counter() - start
    return {"draws_per_s": len(lps) / wall, "seconds": wall, "objectives": np.array(objs, float),
            "iterations": float(np.mean(iters))}


def drive_fundsim(dr: Draws) -> dict[str, Any]:
    """(c) fs.simulate as a user calls it; its one-time set-up (the Reoptimiser's: assembly, the base solve and
    loading the restricted LP sifting starts from) is timed apart and reported."""
    from fundsim.montecarlo import Reoptimiser

    gc.collect()
    start = time.perf_counter()
    Reoptimiser(dr.sc)
    setup = time.perf_counter() - start
    gc.collect()
    start = time.perf_counter()
    run = fs.simulate(dr.sc, draws=dr.n, seed=SEED, evaluation=Evaluation(executor="sequential"))
    wall = time.perf_counter() - start
    return {"draws_per_s": dr.n / wall, "steady_draws_per_s": dr.n / max(wall - setup, 1e-9), "setup_s": setup,
            "objectives": run["objective"].values.astype(float), "rebuilt": int(run["rebuilt"].values.sum()),
            "iterations": float(run["iterations"].values.mean())}


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference; a draw infeasible in one and not the other counts as infinite."""
    both_nan = np.isnan(a) & np.isnan(b)
    d = np.abs(a - b) / np.maximum(1.0, np.abs(b))
    return float(np.max(np.where(both_nan, 0.0, np.nan_to_num(d, nan=np.inf)), initial=0.0))


def part_throughput(case: Case, sc: fs.Scenario, quick: bool) -> dict[str, Any]:
    dr = Draws(sc, case.draws[quick])
    base = base_of(sc)[0]
    lps = [fs.assemble(dr.scenario(d)) for d in range(dr.n)]
    a = drive_pulp(dr)
    log(f"{case.name}: (a) PuLP done")
    b = drive_floor(dr, lps)
    log(f"{case.name}: (b) floor done")
    b2 = drive_sifting(sc, lps)
    log(f"{case.name}: (b') bare sifting done")
    c = drive_fundsim(dr)
    log(f"{case.name}: (c) fundsim done")
    return {
        "case": case.name, "cols": base.num_col, "rows": base.num_row, "nnz": base.A.nnz, "draws": dr.n,
        "pulp_draws_per_s": a["draws_per_s"], "floor_draws_per_s": b["draws_per_s"],
        "sifting_draws_per_s": b2["draws_per_s"],
        "fundsim_draws_per_s": c["draws_per_s"], "fundsim_setup_s": c["setup_s"],
        "fundsim_steady_draws_per_s": c["steady_draws_per_s"],
        "over_pulp": c["draws_per_s"] / a["draws_per_s"], "over_floor": c["draws_per_s"] / b["draws_per_s"],
        "steady_over_sifting": c["steady_draws_per_s"] / b2["draws_per_s"],
        "max_rel_diff_pulp": rel_diff(a["objectives"], c["objectives"]),
        "max_rel_diff_floor": max(rel_diff(b["objectives"], c["objectives"]),
                                  rel_diff(b2["objectives"], c["objectives"])),
        "iterations": c["iterations"], "rebuilt": c["rebuilt"], "infeasible": int(np.isnan(c["objectives"]).sum()),
        "pulp_solver": a["solver"],
    }


# ---- part 1(d): two workers against one ---------------------------------------------------------------
def part_workers(sc: fs.Scenario, quick: bool) -> list[dict[str, Any]]:
    n = 120 if quick else 2400  # one worker: over a minute (about 30 draws/s)
    rows, objs = [], {}
    for workers in (1, 2):
        gc.collect()
        start = time.perf_counter()
        run = fs.simulate(sc, draws=n, seed=SEED, evaluation=Evaluation(executor=ProcessExecutor(workers)))
        wall = time.perf_counter() - start
        objs[workers] = run["objective"].values.astype(float)
        rows.append({"workers": workers, "draws": n, "wall_s": wall, "draws_per_s": n / wall})
        log(f"workers: {workers} done in {wall:.1f} s")
    rows[1]["speed_up"] = rows[0]["wall_s"] / rows[1]["wall_s"]
    rows[1]["max_rel_diff_1_vs_2"] = rel_diff(objs[2], objs[1])
    return rows


# ---- part 2: stress throughput ------------------------------------------------------------------------
STRESS_DRAWS, STRESS_CHUNK, STRESS_REPEATS = 100_000, 10_000, 3


def part_stress(sc: fs.Scenario) -> list[dict[str, Any]]:
    """Each design's run timed STRESS_REPEATS times, the best kept (timeit's rule: the others measure the
    machine's other load, and the first also the warm-up of imports and caches)."""
    plan, rows = fs.solve(sc), []
    for design in ("random", "sobol"):
        walls = []
        for _ in range(STRESS_REPEATS):
            gc.collect()
            start = time.perf_counter()
            fs.simulate(sc, draws=STRESS_DRAWS, design=design, seed=SEED,
                        evaluation=Evaluation("stress", plan=plan, executor="sequential"))
            walls.append(time.perf_counter() - start)
        wall = min(walls)
        rows.append({"design": design, "draws": STRESS_DRAWS, "wall_s": wall, "draws_per_s": STRESS_DRAWS / wall,
                     "worst_wall_s": max(walls),
                     **stress_breakdown(sc, plan, design, wall)})
        log(f"stress: {design} done")
    return rows


def stress_breakdown(sc: fs.Scenario, plan: fs.Allocation, design: str, wall: float) -> dict[str, Any]:
    """Seconds per run of each step of a stress chunk, timed directly over the run's chunks (the payment
    loop's share read from cProfile), the rest of ``fs.simulate`` by difference."""
    from fundsim.montecarlo import stress

    unc = sc.uncertainty
    if unc is None:
        raise ValueError(f"scenario {sc.name!r} declares no uncertainty")
    cube = plan.data["eu"].sel(sc.coords()).transpose("instrument", "priority", "region", "year").values
    t = dict.fromkeys(("design_s", "parameter_values_s", "drawn_numbers_s", "stress_test_s"), 0.0)
    prof = cProfile.Profile()
    for start in range(0, STRESS_DRAWS, STRESS_CHUNK):
        stop = start + STRESS_CHUNK
        t0 = time.perf_counter()
        u = unit_design(design, STRESS_DRAWS, len(unc.sources), SEED, start, stop)
        t1 = time.perf_counter()
        values = parameter_values(unc, u)
        t2 = time.perf_counter()
        numbers = drawn_numbers(sc, values)
        t3 = time.perf_counter()
        prof.enable()
        stress.stress_test(sc, cube, numbers, np.arange(start, stop))
        prof.disable()
        t4 = time.perf_counter()
        for key, dt_ in zip(t, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            t[key] += dt_
    payments = _cum(pstats.Stats(prof), "stress.py", "_payments")
    parts = t["design_s"] + t["parameter_values_s"] + t["drawn_numbers_s"] + t["stress_test_s"]
    return {**t, "payments_s": payments, "stress_rest_s": t["stress_test_s"] - payments,
            "other_s": max(wall - parts, 0.0)}


# ---- part 3: memory, each run in a fresh process -------------------------------------------------------
def _status_mb(key: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (its peak) from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def _reset_peak() -> bool:
    """Reset the peak RSS to the current RSS (Linux ≥ 4.0), so that VmHWM then reads the run's own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_child(mode: str, draws: int) -> None:
    """Run in a fresh process: the set-up (imports, scenario, plan or base solve), then one run into a Zarr
    store; print as JSON the RSS before the run, the peak during it (the peak of the whole process when
    it cannot be reset) and the process's peak (``getrusage``)."""
    sc = registry()["reference"].make()
    plan = fs.solve(sc) if mode == "stress" else None
    if mode == "reoptimise":
        Reoptimiser(sc)  # the set-up the run repeats
    gc.collect()
    before = _status_mb("VmRSS")
    reset = _reset_peak()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run = fs.simulate(sc, draws=draws, seed=SEED, evaluation=Evaluation(mode, plan=plan, executor="sequential"),
                          storage=Storage(Path(tmp) / "x.zarr"))
        wall = time.perf_counter() - start
        if run.sizes["draw"] != draws:
            raise RuntimeError(f"the store holds {run.sizes['draw']} draws, not {draws}")
    print(json.dumps({"rss_before_mb": before, "run_peak_mb": _status_mb("VmHWM"), "peak_reset": reset,
                      "process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "wall_s": wall}))


def part_memory(quick: bool) -> list[dict[str, Any]]:
    runs = [("stress", 10_000), ("stress", 100_000)] + ([] if quick else [("stress", 300_000)])
    runs += [("reoptimise", 30), ("reoptimise", 120)] if quick else [("reoptimise", 200), ("reoptimise", 1000)]
    rows = []
    for mode, draws in runs:
        out = subprocess.run([sys.executable, __file__, "--memory-child", mode, str(draws)], capture_output=True,
                             text=True, check=True, cwd=ROOT)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append({"mode": mode, "draws": draws, **got, "growth_mb": got["run_peak_mb"] - got["rss_before_mb"],
                     "draws_per_s": draws / got["wall_s"]})
        log(f"memory: {mode} {draws} done")
    return rows


# ---- part 4: where one re-optimised draw spends its time ------------------------------------------------
STEPS = ("scenario_of_draw", "assemble", "highs_run", "sifting_rest", "labelling")


def _cum(stats: pstats.Stats, file_part: str, func: str) -> float:
    return sum(v[3] for (f, _, name), v in stats.stats.items()  # type: ignore[attr-defined]
               if name == func and file_part in f)


def part_profile(case: Case, sc: fs.Scenario, quick: bool) -> dict[str, Any]:
    """Pass 1 times the steps with perf_counter; pass 2 runs ``solve_draws`` under cProfile, for labelling:
    ``_one`` minus assemble and ``_solve``, plus the per-chunk ``_label``."""
    dr = Draws(sc, case.draws[quick])
    r = Reoptimiser(sc)
    t = dict.fromkeys(STEPS, 0.0)
    for d in range(dr.n):
        t0 = time.perf_counter()
        scd = dr.scenario(d)
        t1 = time.perf_counter()
        lp = fs.assemble(scd)
        t2 = time.perf_counter()
        res = r._solve(lp)
        t3 = time.perf_counter()
        for key, dt_ in zip(STEPS, (t1 - t0, t2 - t1, res.seconds, t3 - t2 - res.seconds), strict=False):
            t[key] += dt_
    prof = cProfile.Profile()
    prof.enable()
    r.solve_draws(dr.numbers, np.arange(dr.n))
    prof.disable()
    st = pstats.Stats(prof)
    t["labelling"] = (_cum(st, "reoptimise.py", "_one") - _cum(st, "assembly.py", "assemble")
                      - _cum(st, "reoptimise.py", "_solve")
                      + _cum(st, "reoptimise.py", "_label"))
    total = sum(t.values())
    row: dict[str, Any] = {"case": case.name, "draws": dr.n, "ms_per_draw": 1e3 * total / dr.n}
    for key in STEPS:
        row[f"{key}_ms"] = 1e3 * t[key] / dr.n
        row[f"{key}_pct"] = 100 * t[key] / total
    got = lp_numbers_experiment(dr, dr.values, r.base_lp)
    if got:
        row.update(got)
        row["projected_draws_per_s"] = 1e3 / (row["ms_per_draw"] - got["assembled_numbers_ms"]
                                              + got["scaled_numbers_ms"])
    log(f"{case.name}: profile done")
    return row


# ---- part 4, experiment: a draw's LP numbers without re-assembling ------------------------------------
@dataclass
class ScaledNumbers:
    """A prototype of "compute only the changed LP numbers": when every uncertain parameter is
    multiplicative and each LP number it moves is proportional to it (found by assembling once per
    parameter at value 2), a draw's costs and row bounds are the base LP's times its parameter values."""

    base: fs.LinearProgram
    moved: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per parameter: cost cols, lower rows, upper rows

    @classmethod
    def of(cls, sc: fs.Scenario, base: fs.LinearProgram) -> ScaledNumbers | None:
        unc = sc.uncertainty
        if unc is None or any(p.mode != "multiplicative" for p in unc.parameters):
            return None
        moved = []
        for j in range(len(unc.parameters)):
            v = np.ones((1, len(unc.parameters)))
            v[0, j] = 2.0
            lp = fs.assemble(scenario_of_draw(sc, drawn_numbers(sc, v), 0))
            if not lp.same_matrix(base):
                return None
            idx = [np.flatnonzero(a != b) for a, b in ((lp.c, base.c), (lp.row_lower, base.row_lower),
                                                        (lp.row_upper, base.row_upper))]
            if not all(np.allclose(a[i], 2 * b[i], rtol=1e-12) for a, b, i in zip(
                    (lp.c, lp.row_lower, lp.row_upper), (base.c, base.row_lower, base.row_upper), idx, strict=True)):
                return None
            moved.append((idx[0], idx[1], idx[2]))
        return cls(base, moved)

    def numbers(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c, lo, up = self.base.c.copy(), self.base.row_lower.copy(), self.base.row_upper.copy()
        for v, (ci, li, ui) in zip(values, self.moved, strict=True):
            c[ci] *= v
            lo[li] *= v
            up[ui] *= v
        return c, lo, up


def _num_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference of two LP vectors (equal infinities count as equal)."""
    with np.errstate(invalid="ignore"):  # inf − inf where both are infinite: equal, and masked
        return float(np.max(np.where(a == b, 0.0, np.abs(a - b) / np.maximum(1.0, np.abs(b))), initial=0.0))


def _diff(c: np.ndarray, lo: np.ndarray, up: np.ndarray, loaded: tuple[np.ndarray, ...]) -> int:
    return len(np.flatnonzero(c != loaded[0])) + len(np.flatnonzero((lo != loaded[1]) | (up != loaded[2])))


def lp_numbers_experiment(dr: Draws, values: np.ndarray, base: fs.LinearProgram) -> dict[str, Any]:
    """ms per draw to get the numbers to pass to HiGHS: scenario_of_draw + assemble + structure check + diff
    (what the Reoptimiser does) against the scaled prototype + diff; and how far apart their numbers are."""
    proto = ScaledNumbers.of(dr.sc, base)
    if proto is None:
        return {}
    loaded: tuple[np.ndarray, ...] = (base.c, base.row_lower, base.row_upper)
    start = time.perf_counter()
    lps = []
    for d in range(dr.n):
        lp = fs.assemble(dr.scenario(d))
        lp.same_matrix(base)
        _diff(lp.c, lp.row_lower, lp.row_upper, loaded)
        loaded = (lp.c, lp.row_lower, lp.row_upper)
        lps.append(lp)
    assembled = time.perf_counter() - start
    loaded = (base.c, base.row_lower, base.row_upper)
    start = time.perf_counter()
    scaled = []
    for d in range(dr.n):
        c, lo, up = proto.numbers(values[d])
        _diff(c, lo, up, loaded)
        loaded = (c, lo, up)
        scaled.append(loaded)
    fast = time.perf_counter() - start
    worst = max(_num_diff(a, b) for lp, got in zip(lps, scaled, strict=True)
                for a, b in zip(got, (lp.c, lp.row_lower, lp.row_upper), strict=True))
    return {"assembled_numbers_ms": 1e3 * assembled / dr.n, "scaled_numbers_ms": 1e3 * fast / dr.n,
            "scaled_max_rel_diff": worst}


# ---- part 4b: HiGHS choices for the warm re-solve -------------------------------------------------------
VARIANTS = [
    WARM,
    Variant("dual simplex, steepest edge, from the base basis", {"simplex_dual_edge_weight_strategy": 2}),
    PRIMAL,
    Variant("split: costs by primal, then bounds by dual", {"simplex_dual_edge_weight_strategy": 1}, split=True),
    Variant("dual simplex, Devex, from the previous draw's basis", {"simplex_dual_edge_weight_strategy": 1},
            start="previous"),
    COLD_IPM,
    Variant("cold IPM without crossover", {"solver": "ipm", "run_crossover": "off"}, start="cold"),
    Variant("cold dual simplex, Devex (presolve)", {"simplex_dual_edge_weight_strategy": 1}, start="cold"),
]


def _first(choice: Variant, *others: Variant) -> list[Variant]:
    return [choice] + [v for v in others if v is not choice]


def part_options(case: Case, sc: fs.Scenario, quick: bool) -> list[dict[str, Any]]:
    """Each variant on the case's draws; also on draws moving only costs, and only bounds. In each group
    fundsim's sifting comes first and the in-place re-solves of the full LP are compared with it."""
    dr = Draws(sc, case.option_draws[quick])
    base = base_of(sc)[0]
    lps = [lp for lp in (fs.assemble(dr.scenario(d)) for d in range(dr.n)) if lp.same_matrix(base)]
    partial = {"costs only": [dataclasses.replace(base, c=lp.c) for lp in lps],
               "bounds only": [dataclasses.replace(base, row_lower=lp.row_lower, row_upper=lp.row_upper)
                               for lp in lps]}
    groups: dict[str, list[Variant | None]] = {  # None: fundsim's sifting
        "costs and bounds": [None, *_first(floor_choice(base), *VARIANTS)],
        "costs only": [None, *_first(floor_choice(base, only_costs=True), PRIMAL, WARM)],
        "bounds only": [None, *_first(floor_choice(base), WARM, PRIMAL)]}
    if quick and case.name != "reference":  # the medium case's solves take seconds: fundsim's against one
        groups = {"costs and bounds": [None, floor_choice(base)]}
    runs = [(moves, v, partial.get(moves, lps)) for moves, variants in groups.items() for v in variants]
    rows: list[dict[str, Any]] = []
    reference: dict[str, dict[str, Any]] = {}
    for moves, v, these in runs:
        out = drive_sifting(sc, these) if v is None else bare_loop(sc, changes(base, these), v)
        reference.setdefault(moves, out)
        name = "sifting from the base working set and basis (fundsim)" if v is None else v.name
        rows.append({"case": case.name, "draws_move": moves, "variant": name,
                     "draws": len(these),
                     "draws_per_s": out["draws_per_s"], "vs_fundsim": out["draws_per_s"] / reference[moves][
                         "draws_per_s"], "iterations": out["iterations"],
                     "max_rel_diff": rel_diff(out["objectives"], reference[moves]["objectives"])})
        log(f"{case.name}: options: {moves}: {name} done")
    return rows


# ---- tables ------------------------------------------------------------------------------------------
TABLES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {  # name: (title, [(key, heading, format)])
    "throughput": ("1. Re-optimise throughput, draws/s (a PuLP per draw, b bare-HiGHS floor, b' bare sifting, "
                   "c fs.simulate)", [
        ("case", "case", "{}"), ("cols", "cols", "{:,}"), ("rows", "rows", "{:,}"), ("draws", "draws", "{}"),
        ("pulp_draws_per_s", "(a) PuLP", "{:.2f}"), ("floor_draws_per_s", "(b) floor", "{:.2f}"),
        ("sifting_draws_per_s", "(b') sifting", "{:.2f}"), ("fundsim_draws_per_s", "(c) fundsim", "{:.2f}"),
        ("fundsim_setup_s", "(c) setup s", "{:.2f}"),
        ("fundsim_steady_draws_per_s", "(c) w/o setup", "{:.2f}"), ("over_pulp", "c/a", "{:.2f}×"),
        ("over_floor", "c/b", "{:.2f}×"), ("steady_over_sifting", "c w/o setup / b'", "{:.2f}×"),
        ("max_rel_diff_pulp", "max Δobj a–c", "{:.1e}"), ("max_rel_diff_floor", "max Δobj b,b'–c", "{:.1e}"),
        ("iterations", "simplex its/draw", "{:.0f}"),
        ("rebuilt", "rebuilt", "{}"), ("infeasible", "infeasible", "{}")]),
    "workers": ("1d. Process pool on the reference: 2 workers against 1", [
        ("workers", "workers", "{}"), ("draws", "draws", "{:,}"), ("wall_s", "wall s", "{:.1f}"),
        ("draws_per_s", "draws/s", "{:.1f}"), ("speed_up", "speed-up", "{:.2f}×"),
        ("max_rel_diff_1_vs_2", "max Δobj", "{:.1e}")]),
    "stress": ("2. Stress throughput on the reference; s per run: design, parameter_values, drawn_numbers, "
               "stress_test (payment loop, rest), the rest of fs.simulate", [
        ("design", "design", "{}"), ("draws", "draws", "{:,}"), ("wall_s", "best wall s", "{:.2f}"),
        ("worst_wall_s", "worst of 3 s", "{:.2f}"),
        ("draws_per_s", "draws/s", "{:,.0f}"), ("design_s", "design s", "{:.2f}"),
        ("parameter_values_s", "values s", "{:.2f}"), ("drawn_numbers_s", "numbers s", "{:.2f}"),
        ("payments_s", "payment loop s", "{:.2f}"), ("stress_rest_s", "stress rest s", "{:.2f}"),
        ("other_s", "other s", "{:.2f}")]),
    "memory": ("3. RSS of runs into a Zarr store, each in a fresh process: before the run (after imports, scenario, "
               "plan or base solve), peak during the run, growth, and the process's peak", [
        ("mode", "mode", "{}"), ("draws", "draws", "{:,}"), ("rss_before_mb", "before MB", "{:.0f}"),
        ("run_peak_mb", "peak in run MB", "{:.0f}"), ("growth_mb", "growth MB", "{:.0f}"),
        ("process_peak_mb", "process peak MB", "{:.0f}"), ("wall_s", "wall s", "{:.1f}"),
        ("draws_per_s", "draws/s", "{:,.0f}")]),
    "profile": ("4. One re-optimised draw, ms; the LP numbers by assembly (scenario_of_draw + assemble + diff) or by "
                "scaling the base LP's (prototype), their largest difference, and draws/s with the prototype", [
        ("case", "case", "{}"), ("draws", "draws", "{}"), ("ms_per_draw", "total ms", "{:.1f}")]
        + [(f"{s}_ms", s, "{:.2f}") for s in STEPS] + [("highs_run_pct", "HiGHS run %", "{:.1f}")]
        + [("assembled_numbers_ms", "LP numbers by assembly ms", "{:.2f}"),
           ("scaled_numbers_ms", "by scaling ms", "{:.3f}"), ("scaled_max_rel_diff", "Δ", "{:.1e}"),
           ("projected_draws_per_s", "draws/s if scaled", "{:.2f}")]),
    "options": ("4b. fundsim's sifting against in-place re-solves of the full LP (bare loops, same draws); each "
                "group against its first row", [
        ("case", "case", "{}"), ("draws_move", "draws move", "{}"), ("variant", "variant", "{}"),
        ("draws", "draws", "{}"), ("draws_per_s", "draws/s", "{:.2f}"),
        ("vs_fundsim", "vs 1st of group", "{:.2f}×"),
        ("iterations", "simplex its", "{:.0f}"), ("max_rel_diff", "max Δobj", "{:.1e}")]),
}


def show(name: str, rows: list[dict[str, Any]]) -> None:
    title, columns = TABLES[name]
    print_table(rows, columns, title, left=("case", "variant", "mode", "design", "draws_move"), width=220)


def check_targets(tables: dict[str, list[dict[str, Any]]], quick: bool) -> list[str]:
    """The targets, each as a line saying met or missed, with the number (--quick: too few draws to judge)."""
    lines = []

    def line(ok: bool, text: str) -> None:
        lines.append(f"[{'met' if ok else 'MISSED'}] {text}" + (" — quick run, indicative only" if quick else ""))

    for r in tables.get("throughput", []):
        line(r["over_pulp"] >= TARGETS["over_pulp"], f"{r['case']}: fundsim {r['over_pulp']:.2f}× PuLP per draw "
             f"(≥ 5×; stretch 10×: {'met' if r['over_pulp'] >= TARGETS['over_pulp_stretch'] else 'not met'})")
        line(r["over_floor"] >= TARGETS["over_floor"], f"{r['case']}: fundsim {r['over_floor']:.2f}× the bare-HiGHS "
             "floor (≥ 0.8×)")
        worst = max(r["max_rel_diff_pulp"], r["max_rel_diff_floor"])
        line(worst <= TARGETS["objective_rel"], f"{r['case']}: objectives of (a), (b), (c) agree per draw within "
             f"{worst:.1e} relative (≤ 1e-6)")
    for r in tables.get("workers", [])[1:]:
        line(r["speed_up"] >= TARGETS["two_workers"], f"2 workers {r['speed_up']:.2f}× 1 worker over {r['draws']} "
             "draws (≥ 1.7×)")
    for r in tables.get("stress", []):
        line(r["draws_per_s"] >= TARGETS["stress"], f"stress {r['design']}: {r['draws_per_s']:,.0f} draws/s "
             "(≥ 100,000)")
    return lines


def environment() -> dict[str, str]:
    from importlib.metadata import version

    return {"python": platform.python_version(), "highspy": version("highspy"), "pulp": version("pulp"),
            "cpus": str(os.cpu_count()), "machine": platform.machine(), "fundsim": fs.__version__}


_BEGAN = time.perf_counter()


def log(text: str) -> None:
    print(f"  [{time.perf_counter() - _BEGAN:5.0f} s] {text}", file=sys.stderr, flush=True)


PARTS = ("throughput", "workers", "stress", "memory", "profile", "options")


def main(argv: list[str] | None = None) -> int:
    cases = registry()
    parser = argparse.ArgumentParser(description="Monte Carlo benchmarks of fundsim against PuLP and bare HiGHS.")
    parser.add_argument("--quick", action="store_true", help="fewer draws (about two minutes)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--cases", default=",".join(cases), help=f"comma-separated, of {', '.join(cases)}")
    parser.add_argument("--memory-child", nargs=2, metavar=("MODE", "DRAWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]))
        return 0
    parts, names = args.parts.split(","), args.cases.split(",")
    bad = [p for p in parts if p not in PARTS] + [n for n in names if n not in cases]
    if bad:
        parser.error(f"unknown part(s) or case(s) {', '.join(bad)}; parts: {', '.join(PARTS)}; "
                     f"cases: {', '.join(cases)}")
    HighsSolver.is_available()  # the first Highs() of the process prints a banner: fundsim mutes it
    env = environment()
    log("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()))
    began = time.perf_counter()
    scenarios = {n: cases[n].make() for n in names}
    ref = scenarios.get("reference") or cases["reference"].make()
    tables: dict[str, list[dict[str, Any]]] = {}
    if "throughput" in parts:
        tables["throughput"] = [part_throughput(cases[n], scenarios[n], args.quick) for n in names]
    if "workers" in parts:
        tables["workers"] = part_workers(ref, args.quick)
    if "stress" in parts:
        tables["stress"] = part_stress(ref)
    if "memory" in parts:
        tables["memory"] = part_memory(args.quick)
    if "profile" in parts:
        tables["profile"] = [part_profile(cases[n], scenarios[n], args.quick) for n in names]
    if "options" in parts:
        tables["options"] = [row for n in names for row in part_options(cases[n], scenarios[n], args.quick)]
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    for name, rows in tables.items():
        show(name, rows)
        write_rows(f"mc-{stamp}-{name}", rows, env)
    for text in check_targets(tables, args.quick):
        print(text)
    print(f"written: {RESULTS}/mc-{stamp}-*.csv; {time.perf_counter() - began:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
