"""``fs.simulate``: draws of a scenario's uncertain numbers, run chunk by chunk.

Each chunk is a pure function of (scenario, design, seed, number of draws, first and last draw), so the
numbers of a run do not depend on how it is split into chunks or where the chunks run.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from fundsim._version import __version__
from fundsim.model import Scenario
from fundsim.model.uncertainty import check_seed
from fundsim.montecarlo.design import DESIGNS, UNIFORMS, parameter_values, unit_design
from fundsim.montecarlo.executors import executor_for
from fundsim.montecarlo.numbers import drawn_numbers
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.montecarlo.store import ZarrStore
from fundsim.montecarlo.stress import stress_test
from fundsim.results import Allocation, open_allocation
from fundsim.results.allocation import CUBE

__all__ = ["MODES", "chunks", "simulate"]

MODES = ("reoptimise", "stress")


def chunks(n_draws: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each chunk of draws."""
    for start in range(0, n_draws, chunk_size):
        yield start, min(start + chunk_size, n_draws)


def _plan_cube(sc: Scenario, plan: Allocation | xr.Dataset | str | Path | None) -> np.ndarray:
    """The plan's EU commitments as a dense cube in the scenario's label order."""
    if plan is None:
        raise ValueError("stress mode needs a plan: plan=fs.solve(sc), an Allocation, or a NetCDF file written "
                         "by Allocation.save")
    if isinstance(plan, str | Path):
        plan = open_allocation(plan)
    data = plan.data if isinstance(plan, Allocation) else plan
    coords = sc.coords()
    for dim, labels in coords.items():
        have = [str(x) if dim != "year" else int(x) for x in data["eu"][dim].values]
        missing = [x for x in labels if x not in have]
        if missing:
            raise ValueError(f"the plan does not match scenario {sc.name!r}: its {dim}s lack {missing}")
    return data["eu"].sel(coords).transpose(*CUBE).values.astype(float)


def _check(sc: Scenario, draws: int, mode: str, design: str, chunk_size: int) -> None:
    if sc.uncertainty is None:
        raise ValueError(f"scenario {sc.name!r} declares no uncertainty: add an 'uncertainty:' section (see "
                         "docs/scenario-format.md), or a file that extends the scenario with one")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; the modes are: {', '.join(MODES)}")
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; the designs are: {', '.join(DESIGNS)}")
    if draws < 1 or chunk_size < 1:
        raise ValueError(f"draws and chunk_size must be at least 1, got {draws} and {chunk_size}")


def run_chunk(sc: Scenario, design: str, seed: int, draws: int, start: int, stop: int,
              reoptimiser: Reoptimiser | None = None, keep_allocations: bool = False,
              plan: np.ndarray | None = None) -> xr.Dataset:
    """Draws ``start:stop`` of a run: sample, then re-optimise (or, given a ``plan`` cube, stress-test it)."""
    unc = sc.uncertainty
    if unc is None:
        raise ValueError(f"scenario {sc.name!r} declares no uncertainty")
    values = parameter_values(unc, unit_design(design, draws, len(unc.sources), seed, start, stop))
    numbers = drawn_numbers(sc, values)
    if plan is not None:
        out = stress_test(sc, plan, numbers, np.arange(start, stop))
    else:
        worker = reoptimiser or Reoptimiser(sc, keep_allocations=keep_allocations)
        out = worker.solve_draws(numbers, np.arange(start, stop))
    out["parameter_value"] = (("draw", "parameter"), values, {"long_name": "drawn value of the uncertain parameter"})
    return out.assign_coords(parameter=[p.id for p in unc.parameters],
                             parameter_path=("parameter", [p.path for p in unc.parameters]))


_WORKERS: dict[tuple[str, str, bool], Reoptimiser] = {}  # per process: one assembled LP per scenario


def _chunk_task(task: tuple[Any, ...]) -> xr.Dataset:
    """What a worker runs for one chunk (module level, so that it pickles): data in, labelled results out."""
    sc, design, seed, draws, start, stop, keep, plan = task
    worker = None
    if plan is None:
        key = (sc.digest, sc.name, keep)
        if key not in _WORKERS:
            _WORKERS.clear()
            _WORKERS[key] = Reoptimiser(sc, keep_allocations=keep)
        worker = _WORKERS[key]
    return run_chunk(sc, design, seed, draws, start, stop, worker, keep, plan)


def _auto_executor(executor: Any, mode: str, draws: int) -> Any:
    if executor is None:  # a pool pays off only once its start-up is small against the run
        big = draws >= (1_000 if mode == "reoptimise" else 500_000)
        return executor_for("processes" if big else "sequential")
    return executor_for(executor)


def simulate(scenario: Scenario, draws: int = 1000, *, mode: str = "reoptimise", seed: int = 0,
             design: str = "random", chunk_size: int | None = None, keep_allocations: bool = False,
             plan: Allocation | xr.Dataset | str | Path | None = None, executor: Any = None,
             store: str | Path | None = None, on_chunk: Callable[[int], None] | None = None,
             progress: bool = False) -> xr.Dataset:
    """Run a scenario under its declared uncertainty.

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section
    draws : number of draws
    mode : ``"reoptimise"``: the best allocation is found again for every draw (sifted from the
        scenario's optimum: :class:`~fundsim.solvers.sifting.Sifting`); ``"stress"``: the fixed ``plan``
        is evaluated under every draw, vectorised
    seed : draw k's numbers depend only on (seed, k) (random design) or on (seed, draws) (lhs, sobol)
    design : ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled)
    chunk_size : draws per chunk (does not change the numbers); default 100 (reoptimise), 10,000 (stress)
    keep_allocations : also keep every draw's full ``eu`` cube (memory grows with draws; use a ``store``)
    plan : for stress mode: an Allocation (``fs.solve(sc)``), its Dataset, or a NetCDF file it was saved to
    executor : ``"sequential"``, ``"processes"`` (a local pool), a ``dask.distributed.Client`` or a scheduler
        address ``"tcp://…"``; by default a pool for large runs (1,000 draws and more in reoptimise mode)
        and sequential otherwise. The numbers are the same on every executor.
    store : a ``.zarr`` folder: results are written chunk by chunk and a restarted run with the same
        arguments resumes where it stopped; the returned Dataset then reads lazily from the store
    on_chunk : called with the number of draws of each finished chunk (progress bars)
    progress : show a progress bar (terminal or notebook)

    Returns
    -------
    xarray.Dataset with a ``draw`` dimension and the drawn ``parameter_value`` (draw, parameter).
    Reoptimise: ``status``, ``objective``, ``eu_by_pillar|group|region|instrument|year``, ``cofin``,
    ``shadow_<rule>`` (each rule by its own dims, prefixed with its name). Stress:
    ``realised_objective``, ``lost_to_decommitment``, ``lost_by_region|instrument``, ``payment_backlog``,
    ``cofin_shortfall``, ``envelope_excess``, ``spent_by_pillar|region``. The run's provenance is in
    ``attrs``.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> run = fs.simulate(sc, draws=20, seed=7)
    >>> run.sizes["draw"], set(run["status"].values)
    (20, {'optimal'})
    """
    if progress:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(f"{mode} {scenario.name}", total=draws)

            def advance(n: int) -> None:
                bar.advance(task, n)
                if on_chunk is not None:
                    on_chunk(n)

            return simulate(scenario, draws, mode=mode, seed=seed, design=design, chunk_size=chunk_size,
                            keep_allocations=keep_allocations, plan=plan, executor=executor, store=store,
                            on_chunk=advance)
    chunk_size = (10_000 if mode == "stress" else 100) if chunk_size is None else chunk_size
    seed = check_seed(seed)  # 1.5 would run as 1 and be recorded as 1.5
    _check(scenario, draws, mode, design, chunk_size)
    began = time.perf_counter()
    cube = _plan_cube(scenario, plan) if mode == "stress" else None
    bounds = list(chunks(draws, chunk_size))
    provenance = {
        "scenario": scenario.name, "scenario_hash": scenario.digest, "mode": mode, "design": design,
        "uniforms": UNIFORMS if design == "random" else "scipy.stats.qmc", "seed": seed,
        "draws": draws, "chunk_size": chunk_size, "keep_allocations": int(keep_allocations),
        "plan_hash": "" if cube is None else hashlib.sha256(cube.tobytes()).hexdigest()[:16],
        "fundsim_version": __version__, "solver": "highs", "solver_version": _highs_version(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    disk = ZarrStore(store, provenance, len(bounds)) if store is not None else None
    finished = set() if disk is None else disk.finished()
    todo = [n for n in range(len(bounds)) if n not in finished]
    if on_chunk is not None and disk is not None:
        on_chunk(sum(bounds[n][1] - bounds[n][0] for n in range(len(bounds)) if n not in todo))
    tasks = [(scenario, design, seed, draws, *bounds[n], keep_allocations, cube) for n in todo]
    parts: dict[int, xr.Dataset] = {}
    with _auto_executor(executor, mode, draws) as pool:
        for i, part in pool.run(_chunk_task, tasks):
            n = todo[i]
            start, stop = bounds[n]
            if disk is not None:
                disk.write(n, part, start, stop, draws)
            else:
                parts[n] = part
            if on_chunk is not None:
                on_chunk(stop - start)
        ran_on = {"executor": pool.name, "workers": pool.workers}
    computed = sum(bounds[n][1] - bounds[n][0] for n in todo)  # the rest was in the store already
    finish = {**ran_on, "wall_seconds": time.perf_counter() - began, "draws_computed": computed}
    if disk is not None:
        disk.update_attrs(finish)
        return disk.open()
    out = xr.concat([parts[n] for n in sorted(parts)], dim="draw", data_vars="minimal", coords="minimal",
                    compat="override")
    out.attrs.update({**provenance, **finish})
    return out


def _highs_version() -> str:
    from fundsim.solvers.highs import _version

    return _version()
