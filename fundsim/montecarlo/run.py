"""``fs.simulate``: draws of a scenario's uncertain numbers, run chunk by chunk.

Each chunk is a pure function of (scenario, design, seed, number of draws, first and last draw), so the
numbers of a run do not depend on how it is split into chunks or where the chunks run.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from fundsim._version import __version__
from fundsim.errors import ArgumentError
from fundsim.model import Scenario
from fundsim.model.uncertainty import check_seed
from fundsim.montecarlo.checks import check_memory, check_plan_file, check_store, workers_of
from fundsim.montecarlo.design import DESIGNS, UNIFORMS, parameter_values, unit_design
from fundsim.montecarlo.executors import executor_for
from fundsim.montecarlo.numbers import drawn_numbers
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.montecarlo.store import ZarrStore, draw_counts
from fundsim.montecarlo.stress import stress_test
from fundsim.outputs import OutputError
from fundsim.results import Allocation, open_allocation
from fundsim.results.allocation import CUBE
from fundsim.solvers import Capability
from fundsim.solvers.backends import SolverChoice, SolverLike, solver_choice

__all__ = ["MODES", "Interrupted", "chunks", "simulate"]

MODES = ("reoptimise", "stress")


def chunks(n_draws: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each chunk of draws."""
    for start in range(0, n_draws, chunk_size):
        yield start, min(start + chunk_size, n_draws)


def _plan_cube(sc: Scenario, plan: Allocation | xr.Dataset | str | Path | None) -> np.ndarray:
    """The plan's EU commitments as a dense cube in the scenario's label order."""
    if plan is None:
        raise ArgumentError("stress mode needs a plan: plan=fs.solve(sc), an Allocation, or a NetCDF file written "
                         "by Allocation.save")
    if isinstance(plan, str | Path):
        plan = open_allocation(check_plan_file(plan))
    data = plan.data if isinstance(plan, Allocation) else plan
    coords = sc.coords()
    for dim, labels in coords.items():
        have = [str(x) if dim != "year" else int(x) for x in data["eu"][dim].values]
        missing = [x for x in labels if x not in have]
        if missing:
            raise ArgumentError(f"the plan does not match scenario {sc.name!r}: its {dim}s lack {missing}")
    return data["eu"].sel(coords).transpose(*CUBE).values.astype(float)


def _check(sc: Scenario, draws: int, mode: str, design: str, chunk_size: int) -> None:
    if sc.uncertainty is None:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertainty: add an 'uncertainty:' section (see "
                         "docs/scenario-format.md), or a file that extends the scenario with one")
    if mode not in MODES:
        raise ArgumentError(f"unknown mode {mode!r}; the modes are: {', '.join(MODES)}")
    if design not in DESIGNS:
        raise ArgumentError(f"unknown design {design!r}; the designs are: {', '.join(DESIGNS)}")
    if draws < 1 or chunk_size < 1:
        raise ArgumentError(f"draws and chunk_size must be at least 1, got {draws} and {chunk_size}")


def run_chunk(sc: Scenario, design: str, seed: int, draws: int, start: int, stop: int,
              reoptimiser: Reoptimiser | None = None, keep_allocations: bool = False,
              plan: np.ndarray | None = None, solver: SolverChoice | None = None) -> xr.Dataset:
    """Draws ``start:stop`` of a run: sample, then re-optimise (or, given a ``plan`` cube, stress-test it)."""
    unc = sc.uncertainty
    if unc is None:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertainty")
    values = parameter_values(unc, unit_design(design, draws, len(unc.sources), seed, start, stop))
    numbers = drawn_numbers(sc, values)
    if plan is not None:
        out = stress_test(sc, plan, numbers, np.arange(start, stop))
    else:
        worker = reoptimiser or Reoptimiser(sc, keep_allocations=keep_allocations,
                                            solver=solver or solver_choice())
        out = worker.solve_draws(numbers, np.arange(start, stop))
    out["parameter_value"] = (("draw", "parameter"), values, {"long_name": "drawn value of the uncertain parameter"})
    return out.assign_coords(parameter=[p.id for p in unc.parameters],
                             parameter_path=("parameter", [p.path for p in unc.parameters]))


_WORKERS: dict[tuple[str, str, bool, str], Reoptimiser] = {}  # per process: one assembled LP per scenario


def _chunk_task(task: tuple[Any, ...]) -> xr.Dataset:
    """What a worker runs for one chunk (module level, so that it pickles): data in, labelled results out."""
    sc, design, seed, draws, start, stop, keep, plan, solver = task
    worker = None
    if plan is None:
        key = (sc.digest, sc.name, keep, repr(solver))
        if key not in _WORKERS:
            _WORKERS.clear()
            _WORKERS[key] = Reoptimiser(sc, keep_allocations=keep, solver=solver)
        worker = _WORKERS[key]
    return run_chunk(sc, design, seed, draws, start, stop, worker, keep, plan, solver)


def _auto_executor(executor: Any, mode: str, draws: int) -> Any:
    if executor is None:  # a pool pays off only once its start-up is small against the run
        big = draws >= (1_000 if mode == "reoptimise" else 500_000)
        return executor_for("processes" if big else "sequential")
    return executor_for(executor)


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (or SIGTERM) after ``chunks_kept`` of its ``n_chunks`` chunks (``draws_kept``
    draws) were written and verified in ``store`` (``None``: a run in memory, of which nothing is kept).

    It is a :class:`KeyboardInterrupt`, so that code catching ``Exception`` does not swallow the user's stop.
    """

    def __init__(self, store: Path | None, chunks_kept: int, n_chunks: int, draws_kept: int) -> None:
        self.store, self.chunks_kept, self.n_chunks, self.draws_kept = store, chunks_kept, n_chunks, draws_kept
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.store is None:
            return "interrupted: nothing was kept (only a .zarr store keeps the chunks a run has finished)"
        return (f"interrupted: {self.chunks_kept} of {self.n_chunks} chunks ({self.draws_kept:,} draws) kept in "
                f"{self.store}; the same run resumes from there")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.store, self.chunks_kept, self.n_chunks, self.draws_kept))


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """For the duration of a run, SIGTERM stops it as Ctrl-C does (what is written is kept); the previous
    handler is put back after. Only the main thread can set handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _draws_in(bounds: list[tuple[int, int]], chunk_ids: Iterable[int]) -> int:
    return sum(bounds[n][1] - bounds[n][0] for n in chunk_ids)


def _run_chunks(tasks: list[tuple[Any, ...]], todo: list[int], bounds: list[tuple[int, int]],
                disk: ZarrStore | None, pool: Any, on_chunk: Callable[[int], None] | None) -> dict[int, xr.Dataset]:
    """Run the chunks ``todo`` on ``pool``: into the store or into memory."""
    parts: dict[int, xr.Dataset] = {}
    for i, part in pool.run(_chunk_task, tasks):
        n = todo[i]
        start, stop = bounds[n]
        if disk is not None:
            disk.write(n, part, start, stop, bounds[-1][1])
        else:
            parts[n] = part
        if on_chunk is not None:
            on_chunk(stop - start)
    return parts


def _inputs(scenario: Scenario, plan: object) -> list[str | Path | None]:
    """The run's own input files, which its store must not overwrite."""
    return [scenario.source_file, plan if isinstance(plan, str | Path) else None]


def simulate(scenario: Scenario | str | Path, draws: int = 1000, *, mode: str = "reoptimise", seed: int = 0,
             design: str = "random", chunk_size: int | None = None, keep_allocations: bool = False,
             plan: Allocation | xr.Dataset | str | Path | None = None, executor: Any = None,
             store: str | Path | None = None, force: bool = False, on_chunk: Callable[[int], None] | None = None,
             progress: bool = False, solver: SolverLike = "highs", options: dict[str, Any] | None = None
             ) -> xr.Dataset:
    """Run a scenario under its declared uncertainty.

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section, or the path of its file (which is loaded)
    draws : number of draws (at most the limit ``draws`` of :mod:`fundsim.limits`, and what fits in memory)
    mode : ``"reoptimise"``: the best allocation is found again for every draw (sifted from the
        scenario's optimum: :class:`~fundsim.solvers.sifting.Sifting`); ``"stress"``: the fixed ``plan``
        is evaluated under every draw, vectorised
    seed : a whole number from 0 to 2**63 - 1; draw k's numbers depend only on (seed, k) (random design) or
        on (seed, draws) (lhs, sobol)
    design : ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled)
    chunk_size : draws per chunk (does not change the numbers); default 100 (reoptimise), 10,000 (stress)
    keep_allocations : also keep every draw's full ``eu`` cube (memory grows with draws; use a ``store``)
    plan : for stress mode: an Allocation (``fs.solve(sc)``), its Dataset, or a NetCDF file it was saved to
    executor : ``"sequential"``, ``"processes"`` (a local pool), a ``dask.distributed.Client`` or a scheduler
        address ``"tcp://…"``; by default a pool for large runs (1,000 draws and more in reoptimise mode)
        and sequential otherwise. The numbers are the same on every executor.
    store : a ``.zarr`` folder: results are written chunk by chunk and a restarted run with the same
        arguments resumes where it stopped; the returned Dataset then reads lazily from the store
    force : replace a ``store`` that holds another run (by default such a store is refused)
    on_chunk : called with the number of draws of each finished chunk (progress bars)
    progress : show a progress bar (terminal or notebook)
    solver, options : the backend that re-optimises the draws (a name such as ``"highs"``, the default, or
        ``"pulp"``; a backend; or a :class:`~fundsim.solvers.SolverChoice`) and its options. It needs duals
        (the shadow prices of each draw). Draws are sifted on HiGHS; any other backend solves each draw on
        its own LP from scratch (the same optima, more slowly). Recorded in ``attrs["solver"]``.

    Returns
    -------
    xarray.Dataset with a ``draw`` dimension and the drawn ``parameter_value`` (draw, parameter).
    Reoptimise: ``status``, ``objective``, ``eu_by_pillar|group|region|instrument|year``, ``cofin``,
    ``shadow_price_<rule>`` (each rule on its own dims; see docs/architecture.md, "Names"). Stress:
    ``realised_objective``, ``lost_to_decommitment``, ``lost_by_region|instrument``, ``payment_backlog``,
    ``cofin_shortfall``, ``envelope_excess``, ``spent_by_pillar|region``. The run's provenance is in
    ``attrs``, with ``draws_computed``, ``draws_failed`` (a solver stop), ``draws_infeasible``,
    ``chunks_recomputed`` and ``draws_recomputed`` (chunks of the store that failed their check).

    Raises
    ------
    CapabilityError
        Before any draw: the backend lacks duals (or integer columns, for a scenario with integer rules).
    fundsim.outputs.OutputError
        Before any draw: the store is a folder fundsim did not make (it is never emptied), one of the run's
        inputs, in an unwritable place, or holds another run (without ``force``).
    fundsim.limits.LimitError
        Before any draw: more draws than the limit ``draws``, or results that would not fit in memory.
    Interrupted
        Ctrl-C or SIGTERM: the chunks already in the store are kept (they are verified and resumed by the
        same call); a pool's processes are stopped.

    Notes
    -----
    What a store guarantees. A store folder carries fundsim's marker (:data:`fundsim.outputs.STORE_MARKER`);
    a folder without it is never written into or emptied. A store holds one run (:data:`~fundsim.montecarlo.
    store.RUN_KEYS`): the same call resumes it, another run is refused unless ``force=True``. Every chunk is
    read back after it is written and its BLAKE2b digest recorded; on resume each chunk marked done is checked
    against its digest, and a chunk whose file is deleted, damaged or unreadable, or whose marks are gone, is
    computed again and counted in ``chunks_recomputed``. A run is never returned while a draw has no result.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> run = fs.simulate(sc, draws=20, seed=7)
    >>> run.sizes["draw"], set(run["status"].values), run.attrs["draws_failed"]
    (20, {'optimal'}, 0)
    >>> cbc = fs.simulate(sc, draws=5, seed=7, solver="pulp")
    >>> bool(np.allclose(cbc["objective"], run["objective"][:5], rtol=1e-6)), cbc.attrs["solver"]
    (True, 'pulp')
    """
    from fundsim.solving import as_scenario, check_options

    scenario = as_scenario(scenario)
    choice = solver_choice(solver, check_options(options), needs=[Capability.DUALS])
    if progress:
        return _with_progress(scenario, draws, mode=mode, seed=seed, design=design, chunk_size=chunk_size,
                              keep_allocations=keep_allocations, plan=plan, executor=executor, store=store,
                              force=force, on_chunk=on_chunk, solver=choice)
    chunk_size = (10_000 if mode == "stress" else 100) if chunk_size is None else chunk_size
    try:
        seed = check_seed(seed)  # 1.5 would run as 1 and be recorded as 1.5
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None
    _check(scenario, draws, mode, design, chunk_size)
    target = None if store is None else check_store(store, _inputs(scenario, plan))
    check_memory(scenario, draws, mode, design, keep_allocations, chunk_size, in_memory=target is None,
                 workers=workers_of(executor))
    began = time.perf_counter()
    cube = _plan_cube(scenario, plan) if mode == "stress" else None
    bounds = list(chunks(draws, chunk_size))
    provenance = _provenance(scenario, mode, design, seed, draws, chunk_size, keep_allocations, cube, choice)
    disk = ZarrStore(target, provenance, bounds, force) if target is not None else None
    finished: set[int] = set()
    try:
        with _sigterm_as_interrupt():
            finished = set() if disk is None else disk.finished()
            todo = [n for n in range(len(bounds)) if n not in finished]
            if on_chunk is not None and disk is not None:
                on_chunk(_draws_in(bounds, finished))
            tasks = [(scenario, design, seed, draws, *bounds[n], keep_allocations, cube, choice) for n in todo]
            with _auto_executor(executor, mode, draws) as pool:
                parts = _run_chunks(tasks, todo, bounds, disk, pool, on_chunk)
                ran_on = {"executor": pool.name, "workers": pool.workers}
    except KeyboardInterrupt as exc:  # what is verified in the store stays; a chunk checked or written half is redone
        kept = set() if disk is None else finished | disk.written
        raise Interrupted(None if disk is None else disk.path, len(kept), len(bounds),
                          _draws_in(bounds, kept)) from exc
    recomputed = [] if disk is None else disk.recomputed
    finish = {**ran_on, "wall_seconds": time.perf_counter() - began, "draws_computed": _draws_in(bounds, todo),
              "chunks_recomputed": len(recomputed), "draws_recomputed": _draws_in(bounds, recomputed)}
    return _stored(disk, finish) if disk is not None else _in_memory(parts, {**provenance, **finish})


def _with_progress(scenario: Scenario, draws: int, **kwargs: Any) -> xr.Dataset:
    """:func:`simulate` with a progress bar (terminal or notebook)."""
    from rich.progress import Progress

    on_chunk = kwargs.pop("on_chunk")
    with Progress(transient=True) as bar:
        task = bar.add_task(f"{kwargs['mode']} {scenario.name}", total=draws)

        def advance(n: int) -> None:
            bar.advance(task, n)
            if on_chunk is not None:
                on_chunk(n)

        return simulate(scenario, draws, on_chunk=advance, **kwargs)


def _provenance(sc: Scenario, mode: str, design: str, seed: int, draws: int, chunk_size: int,
                keep_allocations: bool, cube: np.ndarray | None, solver: SolverChoice) -> dict[str, Any]:
    """What a run is: its :data:`~fundsim.montecarlo.store.RUN_KEYS` and where it ran."""
    return {
        "scenario": sc.name, "scenario_hash": sc.digest, "mode": mode, "design": design,
        "uniforms": UNIFORMS if design == "random" else "scipy.stats.qmc", "seed": seed,
        "draws": draws, "chunk_size": chunk_size, "keep_allocations": int(keep_allocations),
        "plan_hash": "" if cube is None else hashlib.sha256(cube.tobytes()).hexdigest()[:16],
        "fundsim_version": __version__, "solver": solver.name, "solver_version": solver.make().version(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def _stored(disk: ZarrStore, finish: dict[str, Any]) -> xr.Dataset:
    """The finished run in its store, once every draw is verified to have a result."""
    lost = disk.unmark_missing()
    if lost:
        raise OutputError(disk.path, f"{lost:,} draws have no result in the store although their chunks were "
                                     "written; their chunks are unmarked: run the same command again to compute them")
    disk.update_attrs({**finish, **draw_counts(disk.open())})
    return disk.open()


def _in_memory(parts: dict[int, xr.Dataset], attrs: dict[str, Any]) -> xr.Dataset:
    out = xr.concat([parts[n] for n in sorted(parts)], dim="draw", data_vars="minimal", coords="minimal",
                    compat="override")
    out.attrs.update({**attrs, **draw_counts(out)})
    return out

