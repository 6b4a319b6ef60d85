"""``fs.simulate``: draws of a scenario's uncertain numbers, run chunk by chunk; and :func:`run_values`, the same
driver on points a sensitivity study chose (sweeps, tornado diagrams, Sobol' and Morris designs).

Each chunk is a pure function of (scenario, its points, the evaluation): a chunk of a sampled run draws its
points from the :class:`~fundsim.montecarlo.options.Sampling` (seed, design, number of draws, first and last
draw), a chunk of given points carries them. So the numbers of a run do not depend on how it is split into
chunks or where the chunks run. Every chunk then takes the same steps:
:func:`~fundsim.montecarlo.numbers.drawn_numbers`, the warm :class:`~fundsim.montecarlo.reoptimise.Reoptimiser`
(or the vectorised :func:`~fundsim.montecarlo.stress.stress_test` of a fixed plan), on any executor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from fundsim._version import __version__
from fundsim.errors import ArgumentError
from fundsim.model import Scenario
from fundsim.montecarlo.checks import check_memory, check_plan_file, check_store, workers_of
from fundsim.montecarlo.design import UNIFORMS
from fundsim.montecarlo.executors import executor_for
from fundsim.montecarlo.numbers import DrawnNumbers, drawn_numbers
from fundsim.montecarlo.options import MODES, DesignName, Evaluation, PlanLike, Sampling, Storage, as_evaluation
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.montecarlo.store import ZarrStore, draw_counts
from fundsim.montecarlo.stress import stress_test
from fundsim.outputs import OutputError
from fundsim.results import Allocation, open_allocation
from fundsim.results.allocation import CUBE
from fundsim.results.inputs import wrong_type
from fundsim.solvers import Capability
from fundsim.solvers.backends import SolverChoice, SolverLike, solver_choice

__all__ = ["MODES", "Interrupted", "chunks", "run_chunk", "run_values", "simulate"]


def chunks(n_draws: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each chunk of draws.

    Examples
    --------
    >>> list(chunks(7, 3))
    [(0, 3), (3, 6), (6, 7)]
    """
    for start in range(0, n_draws, chunk_size):
        yield start, min(start + chunk_size, n_draws)


def _plan_cube(sc: Scenario, plan: PlanLike) -> np.ndarray:
    """The plan's EU commitments as a dense cube in the scenario's label order."""
    if plan is None:
        raise ArgumentError("stress mode needs a plan: Evaluation('stress', plan=fs.solve(sc)), an Allocation, or "
                            "a NetCDF file written by Allocation.save")
    if isinstance(plan, np.ndarray):
        return np.asarray(plan, float)
    if isinstance(plan, str | Path):
        plan = open_allocation(check_plan_file(plan))
    data = plan.data if isinstance(plan, Allocation) else plan
    if not isinstance(data, xr.Dataset):
        raise wrong_type("plan", plan, "a fundsim.Allocation, its Dataset, or the path of a .nc file")
    coords = sc.coords()
    for dim, labels in coords.items():
        have = [str(x) if dim != "year" else int(x) for x in data["eu"][dim].values]
        missing = [x for x in labels if x not in have]
        if missing:
            raise ArgumentError(f"the plan does not match scenario {sc.name!r}: its {dim}s lack {missing}")
    return data["eu"].sel(coords).transpose(*CUBE).values.astype(float)


# ---- one chunk ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class _Work:
    """What every chunk of a run does with its points, settled once before any: plain data, so that it pickles.

    ``cube`` is the plan's EU cube in stress mode (``None``: re-optimise); ``study`` adds what sensitivity
    outputs read and a Monte Carlo run does not record (EU money finally spent by instrument, in stress mode;
    with ``decommitment``, the money each re-optimised plan would lose to decommitment)."""

    cube: np.ndarray | None
    keep_allocations: bool
    solver: SolverChoice
    study: bool = False
    decommitment: bool = False


@dataclasses.dataclass(frozen=True, eq=False)
class _Task:
    """One chunk: points ``start:stop``, drawn from ``points`` (a :class:`Sampling`) or given as its rows."""

    sc: Scenario
    points: Sampling | np.ndarray
    start: int
    stop: int
    work: _Work


_WORKERS: dict[tuple[str, str, bool, str], Reoptimiser] = {}  # per process: one assembled LP per scenario


def _worker(sc: Scenario, keep: bool, solver: SolverChoice) -> Reoptimiser:
    """This process's re-optimiser for ``sc`` on ``solver``, keeping each point's allocation when ``keep``."""
    key = (sc.digest, sc.name, keep, repr(solver))
    if key not in _WORKERS:
        _WORKERS.clear()
        _WORKERS[key] = Reoptimiser(sc, keep_allocations=keep, solver=solver)
    return _WORKERS[key]


def _one_draw(numbers: DrawnNumbers, d: int) -> DrawnNumbers:
    """Draw ``d`` of ``numbers`` on its own (a leading axis of length 1)."""
    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[d:d + 1]

    return DrawnNumbers(numbers.usable[d:d + 1], tuple(m[d:d + 1] for m in numbers.match),
                        numbers.absorption[d:d + 1], cut(numbers.weights), cut(numbers.delay))


def _own_plan_losses(sc: Scenario, eu: np.ndarray, numbers: DrawnNumbers) -> np.ndarray:
    """Per draw: EU money the draw's own re-optimised plan loses to decommitment under the draw's numbers."""
    lost = np.full(numbers.n, np.nan)
    for d in range(numbers.n):
        if np.isfinite(eu[d]).all():
            one = stress_test(sc, eu[d], _one_draw(numbers, d), np.arange(1))
            lost[d] = float(one["lost_to_decommitment"].values[0])
    return lost


def _reoptimised(sc: Scenario, numbers: DrawnNumbers, ids: np.ndarray, work: _Work) -> xr.Dataset:
    keep = work.keep_allocations
    out = _worker(sc, keep or work.decommitment, work.solver).solve_draws(numbers, ids)  # losses stress each plan
    if not work.decommitment:
        return out
    out["lost_to_decommitment"] = ("draw", _own_plan_losses(sc, out["eu"].values, numbers),
                                   {"units": "EUR m", "long_name": "EU money the re-optimised plan loses to "
                                    "decommitment (not paid, or not contracted, by its deadline n + k)"})
    return out if keep else out.drop_vars("eu", errors="ignore")


def _stressed(sc: Scenario, plan: np.ndarray, numbers: DrawnNumbers, ids: np.ndarray, study: bool) -> xr.Dataset:
    out = stress_test(sc, plan, numbers, ids)
    if study:
        committed = xr.DataArray(plan.sum(axis=(1, 2, 3)), dims="instrument")
        out["spent_by_instrument"] = (committed - out["lost_by_instrument"]).transpose(
            "draw", "instrument").assign_attrs(units="EUR m", long_name="EU money finally spent")
    return out


def _chunk_task(task: _Task) -> xr.Dataset:
    """What a worker runs for one chunk (module level, so that it pickles): data in, labelled results out."""
    sc, unc = task.sc, task.sc.uncertainty
    if unc is None:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertainty")
    drawn = isinstance(task.points, Sampling)
    values = task.points.values(unc, task.start, task.stop) if isinstance(task.points, Sampling) else task.points
    numbers, ids = drawn_numbers(sc, values), np.arange(task.start, task.stop)
    work = task.work
    out = _stressed(sc, work.cube, numbers, ids, work.study) if work.cube is not None else \
        _reoptimised(sc, numbers, ids, work)
    out["parameter_value"] = (("draw", "parameter"), values,
                              {"long_name": f"{'drawn ' if drawn else ''}value of the uncertain parameter"})
    return out.assign_coords(parameter=[p.id for p in unc.parameters],
                             parameter_path=("parameter", [p.path for p in unc.parameters]))


def _work(sc: Scenario, how: Evaluation, *, study: bool = False, decommitment: bool = False) -> _Work:
    """The chunks' work for ``how``: its solver (which must give duals) and, in stress mode, its plan's cube;
    ``study`` and ``decommitment`` as in :class:`_Work`."""
    from fundsim.solving import check_options

    choice = solver_choice(how.solver, check_options(how.options), needs=[Capability.DUALS])
    cube = _plan_cube(sc, how.plan) if how.mode == "stress" else None
    return _Work(cube, bool(how.keep_allocations), choice, study, decommitment)


def run_chunk(sc: Scenario, sampling: Sampling, start: int, stop: int, evaluation: Evaluation | None = None
              ) -> xr.Dataset:
    """Draws ``start:stop`` of a run: sample them, then re-optimise (or stress-test the evaluation's plan).

    Parameters
    ----------
    sc : a scenario with an ``uncertainty:`` section
    sampling : the run's points (number of draws, seed, design)
    start, stop : the chunk's first draw and the draw after its last
    evaluation : the mode, plan and solver (:class:`~fundsim.montecarlo.options.Evaluation`; its executor and
        chunk size play no part in one chunk)

    Returns
    -------
    xarray.Dataset
        The chunk's results, as those of :func:`simulate` for these draws.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> part = run_chunk(sc, Sampling(20, seed=7), 4, 9)
    >>> part["draw"].values.tolist() == list(range(4, 9))
    True
    >>> bool(np.allclose(part["objective"], fs.simulate(sc, draws=20, seed=7)["objective"][4:9]))
    True
    """
    how = Evaluation() if evaluation is None else evaluation
    return _chunk_task(_Task(sc, sampling, start, stop, _work(sc, how)))


# ---- the driver ---------------------------------------------------------------------------------------------
class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (or SIGTERM) after ``chunks_kept`` of its ``n_chunks`` chunks (``draws_kept``
    draws) were written and verified in ``store`` (``None``: a run in memory, of which nothing is kept).

    It is a :class:`KeyboardInterrupt`, so that code catching ``Exception`` does not swallow the user's stop.

    Examples
    --------
    >>> from pathlib import Path
    >>> stop = Interrupted(Path("run.zarr"), 3, 10, 300)
    >>> isinstance(stop, KeyboardInterrupt), stop.chunks_kept, stop.draws_kept
    (True, 3, 300)
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


@dataclasses.dataclass(eq=False)
class _Driver:
    """One run's chunks: where they go (a store, or memory) and who hears of each finished one."""

    bounds: list[tuple[int, int]]
    disk: ZarrStore | None = None
    on_chunk: Callable[[int], None] | None = None
    finished: set[int] = dataclasses.field(default_factory=set)

    def run(self, tasks: Callable[[list[int]], list[_Task]], executor: Any) -> tuple[dict[int, xr.Dataset],
                                                                                    dict[str, Any]]:
        """Run the chunks not in the store yet on ``executor``: their results (those in memory) and where they
        ran. Ctrl-C or SIGTERM: :class:`Interrupted`, with what the store keeps."""
        began, bounds, disk = time.perf_counter(), self.bounds, self.disk
        try:
            with _sigterm_as_interrupt():
                self.finished = set() if disk is None else disk.finished()
                todo = [n for n in range(len(bounds)) if n not in self.finished]
                if self.on_chunk is not None and disk is not None:
                    self.on_chunk(_draws_in(bounds, self.finished))
                with executor as pool:
                    parts = self._chunks(tasks(todo), todo, pool)
                    ran_on = {"executor": pool.name, "workers": pool.workers}
        except KeyboardInterrupt as exc:  # the verified chunks stay; one half checked or written is redone
            kept = set() if disk is None else self.finished | disk.written
            raise Interrupted(None if disk is None else disk.path, len(kept), len(bounds),
                              _draws_in(bounds, kept)) from exc
        recomputed = [] if disk is None else disk.recomputed
        return parts, {**ran_on, "wall_seconds": time.perf_counter() - began, "draws_computed": _draws_in(bounds, todo),
                       "chunks_recomputed": len(recomputed), "draws_recomputed": _draws_in(bounds, recomputed)}

    def _chunks(self, tasks: list[_Task], todo: list[int], pool: Any) -> dict[int, xr.Dataset]:
        """Run the chunks ``todo`` on ``pool``: into the store or into memory."""
        parts: dict[int, xr.Dataset] = {}
        for i, part in pool.run(_chunk_task, tasks):
            n = todo[i]
            start, stop = self.bounds[n]
            if self.disk is not None:
                self.disk.write(n, part, start, stop, self.bounds[-1][1])
            else:
                parts[n] = part
            if self.on_chunk is not None:
                self.on_chunk(stop - start)
        return parts


def _auto_executor(executor: Any, mode: str, draws: int) -> Any:
    if executor is None:  # a pool pays off only once its start-up is small against the run
        big = draws >= (1_000 if mode == "reoptimise" else 500_000)
        return executor_for("processes" if big else "sequential")
    return executor_for(executor)


def _inputs(scenario: Scenario, plan: object) -> list[str | Path | None]:
    """The run's own input files, which its store must not overwrite."""
    return [scenario.source_file, plan if isinstance(plan, str | Path) else None]


def _check_uncertain(sc: Scenario) -> None:
    if sc.uncertainty is None:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertainty: add an 'uncertainty:' section (see "
                            "docs/scenario-format.md), or a file that extends the scenario with one")


def simulate(scenario: Scenario | str | Path, draws: int = 1000, *, seed: int = 0, design: DesignName = "random",
             evaluation: Evaluation | None = None, storage: Storage | None = None,
             progress: bool | Callable[[int], None] = False, solver: SolverLike = "highs",
             options: Mapping[str, Any] | None = None) -> xr.Dataset:
    """Run a scenario under its declared uncertainty.

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section, or the path of its file (which is loaded)
    draws : number of draws (at most the limit ``draws`` of :mod:`fundsim.limits`, and what fits in memory)
    seed : a whole number from 0 to 2**63 - 1; draw k's numbers depend only on (seed, k) (random design) or
        on (seed, draws) (lhs, sobol)
    design : ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled)
    evaluation : what is done at each draw (:class:`~fundsim.montecarlo.Evaluation`): its ``mode``
        (``"reoptimise"``, the default, or ``"stress"`` of its ``plan``: an Allocation such as
        ``fs.solve(sc)``, its Dataset, or a NetCDF file it was saved to), ``keep_allocations``, the
        ``executor`` and the ``chunk_size``. None of the executor and chunk size changes the numbers.
    storage : a :class:`~fundsim.montecarlo.Storage` (a ``.zarr`` folder, ``force``): results are written chunk
        by chunk and a restarted run with the same arguments resumes where it stopped; the returned Dataset then
        reads lazily from the store. ``None``: the run is held in memory
    progress : ``True``: show progress on stderr (a bar on a terminal or in a notebook, a line every 5 s in a
        pipe or a log); a function: called with the number of draws of each finished chunk (and first with
        those already in the store)
    solver, options : the backend that re-optimises the draws (a name such as ``"highs"``, the default, or
        ``"pulp"``; a backend; or a :class:`~fundsim.solvers.SolverChoice`) and its options; it needs duals.
        Points are sifted on HiGHS; any other backend solves each on its own LP (the same optima, more slowly)
        (recorded in ``attrs["solver"]``)

    Returns
    -------
    xarray.Dataset with a ``draw`` dimension and the drawn ``parameter_value`` (draw, parameter).
    Reoptimise: ``status``, ``objective``, ``eu_by_pillar|group|region|instrument|year``, ``cofin``,
    ``shadow_price_<rule>`` (each rule on its own dims; see docs/architecture.md, "Names"), and the draw's own
    ledger: ``lapsed``, ``lapsed|not_used|lost_at_cutoff_by_instrument`` (its payments never exceed the payment
    appropriations: the LP's rows keep them within). Stress: ``realised_objective`` (money decommitted buys no
    impact), ``lost_to_decommitment``, ``lost_by_region|instrument``, ``payment_backlog``, ``cofin_shortfall``,
    ``envelope_excess``, ``spent_by_pillar|region``, and the ledger of the fixed plan under the draw: ``lapsed``,
    ``lapsed|not_used|lost_at_cutoff_by_instrument``, ``payments_beyond_appropriations`` and
    ``outstanding_by_instrument`` (see :func:`~fundsim.montecarlo.stress.stress_test`). The run's provenance is in
    ``attrs``, with ``draws_computed``, ``draws_failed`` (a solver stop), ``draws_infeasible``,
    ``chunks_recomputed`` and ``draws_recomputed`` (chunks of the store that failed their check).

    Raises
    ------
    fundsim.ArgumentError
        Before any draw: an unknown design (or mode, executor, in the Evaluation), fewer than one draw, a
        scenario without uncertainty, stress mode without a plan, a plan of another scenario.
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
    >>> from fundsim.montecarlo import Evaluation
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> run = fs.simulate(sc, draws=20, seed=7)
    >>> run.sizes["draw"], set(run["status"].values), run.attrs["draws_failed"]
    (20, {'optimal'}, 0)
    >>> cbc = fs.simulate(sc, draws=5, seed=7, solver="pulp")
    >>> bool(np.allclose(cbc["objective"], run["objective"][:5], rtol=1e-6)), cbc.attrs["solver"]
    (True, 'pulp')
    >>> stress = fs.simulate(sc, draws=200, seed=7, evaluation=Evaluation("stress", plan=fs.solve(sc)))
    >>> stress.sizes["draw"], "realised_objective" in stress
    (200, True)
    """
    from fundsim.solving import as_scenario

    scenario = as_scenario(scenario)
    how, sampling = as_evaluation(evaluation).using(solver, options), Sampling(draws, seed, design)
    if storage is not None and not isinstance(storage, Storage):
        raise wrong_type("storage", storage, "a fundsim.montecarlo.Storage (a .zarr path, force) or None")
    if not isinstance(progress, bool) and not callable(progress):
        raise wrong_type("progress", progress, "True or False, or a function of the number of draws done")
    _check_uncertain(scenario)
    if progress is True:
        return _with_progress(scenario, sampling, how, storage)
    size = (10_000 if how.mode == "stress" else 100) if how.chunk_size is None else how.chunk_size
    how = dataclasses.replace(how, chunk_size=size)
    target = None if storage is None else check_store(Path(storage.path), _inputs(scenario, how.plan))
    check_memory(scenario, sampling.draws, how, design=sampling.design, in_memory=target is None,
                 workers=workers_of(how.executor))
    work = _work(scenario, how)
    driver = _Driver(list(chunks(sampling.draws, size)), on_chunk=progress if callable(progress) else None)
    provenance = _provenance(scenario, sampling, how, work)
    if storage is not None and target is not None:
        driver.disk = ZarrStore(target, provenance, driver.bounds, storage.force)
    parts, finish = driver.run(lambda todo: [_Task(scenario, sampling, *driver.bounds[n], work) for n in todo],
                               _auto_executor(how.executor, how.mode, sampling.draws))
    if driver.disk is not None:
        return _stored(driver.disk, finish)
    out = _concat(parts)
    out.attrs.update({**provenance, **finish, **draw_counts(out)})
    return out


def _with_progress(scenario: Scenario, sampling: Sampling, how: Evaluation, storage: Storage | None) -> xr.Dataset:
    """:func:`simulate` with a progress display on stderr (a bar on a terminal or in a notebook, lines
    elsewhere)."""
    from fundsim.progress import progress_bar

    with progress_bar(f"{how.mode} {scenario.name}", sampling.draws) as advance:
        return simulate(scenario, sampling.draws, seed=sampling.seed, design=sampling.design, evaluation=how,
                        storage=storage, progress=advance)


def _provenance(sc: Scenario, sampling: Sampling, how: Evaluation, work: _Work) -> dict[str, Any]:
    """What a run is: its :data:`~fundsim.montecarlo.store.RUN_KEYS` and where it ran."""
    design, cube, solver = sampling.design, work.cube, work.solver
    return {
        "scenario": sc.name, "scenario_hash": sc.digest, "mode": how.mode, "design": design,
        "uniforms": UNIFORMS if design == "random" else "scipy.stats.qmc", "seed": sampling.seed,
        "draws": sampling.draws, "chunk_size": how.chunk_size, "keep_allocations": int(work.keep_allocations),
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


def _concat(parts: dict[int, xr.Dataset]) -> xr.Dataset:
    return xr.concat([parts[n] for n in sorted(parts)], dim="draw", data_vars="minimal", coords="minimal",
                     compat="override")


# ---- given points -------------------------------------------------------------------------------------------
def _check_values(sc: Scenario, values: np.ndarray) -> None:
    if sc.uncertainty is None:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertain parameters for the values to set")
    n_par = len(sc.uncertainty.parameters)
    if values.ndim != 2 or values.shape[1] != n_par or not len(values):
        raise ArgumentError(f"values must be a (point, parameter) matrix with {n_par} column(s) (one per uncertain "
                            f"parameter of {sc.name!r}) and at least one row; got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ArgumentError("values must be finite numbers; got NaN or infinity")


def run_values(scenario: Scenario, values: np.ndarray, evaluation: Evaluation | None = None, *,
               decommitment: bool = False) -> xr.Dataset:
    """Solve (or stress-test a plan at) given values of the scenario's uncertain parameters: the driver of
    :func:`simulate` on points a study chose instead of a sampled design.

    Parameters
    ----------
    scenario : a scenario whose ``uncertainty.parameters`` name the columns of ``values``
    values : ``(point, parameter)`` matrix; row k sets every uncertain parameter as a drawn value would
        (an ``absolute`` parameter sets the number, a ``multiplicative`` one multiplies it)
    evaluation : the mode (and plan: stress mode needs one here, an Allocation, its Dataset, a NetCDF file or
        a dense ``(instrument, priority, region, year)`` array), ``keep_allocations``, solver, executor
        (``None``: in order, in this process) and chunk size (``None``: 100 points) of
        :class:`~fundsim.montecarlo.Evaluation`
    decommitment : re-optimise mode: also evaluate each point's own plan through the stress model's payment
        flows and record the EU money it loses to decommitment (``lost_to_decommitment``). The LP keeps
        payments within the absorption capacity, so this is normally zero: it is a check, not a forecast.

    Returns
    -------
    xarray.Dataset with a ``draw`` dimension (the row of ``values``), the variables of
    :func:`fundsim.simulate` in the same mode, plus ``spent_by_instrument`` (stress) and ``parameter_value``.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> at = np.array([[1.0, 0.5, 1.0, 1.0], [1.0, 0.5, 0.8, 1.0]])  # north Africa's absorption at 100 %, 80 %
    >>> run_values(sc, at)["objective"].values.round(6).tolist()
    [130.0, 125.0]
    >>> plan = fs.solve(sc)
    >>> run_values(sc, at, Evaluation("stress", plan=plan))["lost_to_decommitment"].values.round(6).tolist()
    [0.0, 0.0]
    """
    how = as_evaluation(evaluation)
    values = np.atleast_2d(np.asarray(values, dtype=float))
    _check_values(scenario, values)
    size = 100 if how.chunk_size is None else how.chunk_size
    how = dataclasses.replace(how, executor="sequential" if how.executor is None else how.executor, chunk_size=size)
    work = _work(scenario, how, study=True, decommitment=decommitment)
    check_memory(scenario, len(values), how, in_memory=True, workers=workers_of(how.executor))
    driver = _Driver(list(chunks(len(values), size)))
    parts, finish = driver.run(lambda todo: [_Task(scenario, values[a:b], a, b, work)
                                             for a, b in (driver.bounds[n] for n in todo)], executor_for(how.executor))
    out = _concat(parts)
    out.attrs.update({"scenario": scenario.name, "scenario_hash": scenario.digest, "mode": how.mode, "design": "given",
                      "draws": len(values), "fundsim_version": __version__, "executor": finish["executor"],
                      "workers": finish["workers"], "wall_seconds": finish["wall_seconds"]})
    return out
