"""Run the Monte Carlo chunk machinery on given parameter values instead of a sampled design.

Sensitivity studies (sweeps, tornado diagrams, Sobol' and Morris designs from SALib) choose their own
points. :func:`run_values` takes those points as a ``(point, parameter)`` matrix of the scenario's
uncertain parameters and sends them through the same steps as :func:`fundsim.simulate`: chunks,
:func:`~fundsim.montecarlo.numbers.drawn_numbers`, the warm :class:`~fundsim.montecarlo.reoptimise.Reoptimiser`
(or the vectorised :func:`~fundsim.montecarlo.stress.stress_test` of a fixed plan) and any executor. It adds
what sensitivity outputs need and the Monte Carlo run does not record: EU money by region, and, on request,
the money each re-optimised plan would lose to decommitment.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import xarray as xr

from fundsim._version import __version__
from fundsim.errors import ArgumentError
from fundsim.model import Scenario
from fundsim.montecarlo.checks import check_memory, workers_of
from fundsim.montecarlo.executors import executor_for
from fundsim.montecarlo.numbers import DrawnNumbers, drawn_numbers
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.montecarlo.run import MODES, _plan_cube, chunks
from fundsim.montecarlo.stress import stress_test
from fundsim.results import Allocation
from fundsim.solvers import Capability
from fundsim.solvers.backends import SolverChoice, SolverLike, solver_choice

__all__ = ["run_values"]

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


def _reoptimised(sc: Scenario, numbers: DrawnNumbers, ids: np.ndarray, keep: bool, decommitment: bool,
                 solver: SolverChoice) -> xr.Dataset:
    out = _worker(sc, keep or decommitment, solver).solve_draws(numbers, ids)  # decommitment stresses each allocation
    if decommitment:
        out["lost_to_decommitment"] = ("draw", _own_plan_losses(sc, out["eu"].values, numbers),
                                       {"units": "EUR m", "long_name": "EU money the re-optimised plan loses to "
                                                                        "decommitment (not paid by n + window)"})
    return out if keep else out.drop_vars("eu", errors="ignore")


def _stressed(sc: Scenario, plan: np.ndarray, numbers: DrawnNumbers, ids: np.ndarray) -> xr.Dataset:
    out = stress_test(sc, plan, numbers, ids)
    committed = xr.DataArray(plan.sum(axis=(1, 2, 3)), dims="instrument")
    out["spent_by_instrument"] = (committed - out["lost_by_instrument"]).transpose("draw", "instrument").assign_attrs(
        units="EUR m", long_name="EU money finally spent")
    return out


def _value_chunk(task: tuple[Any, ...]) -> xr.Dataset:
    """One chunk of given points (module level, so that it pickles): data in, labelled results out."""
    sc, values, start, keep, plan, decommitment, solver = task
    numbers = drawn_numbers(sc, values)
    ids = np.arange(start, start + len(values))
    out = _stressed(sc, plan, numbers, ids) if plan is not None else \
        _reoptimised(sc, numbers, ids, keep, decommitment, solver)
    out["parameter_value"] = (("draw", "parameter"), values, {"long_name": "value of the uncertain parameter"})
    unc = sc.uncertainty
    params = () if unc is None else unc.parameters
    return out.assign_coords(parameter=[p.id for p in params], parameter_path=("parameter", [p.path for p in params]))


def _check(sc: Scenario, values: np.ndarray, mode: str, chunk_size: int) -> None:
    if sc.uncertainty is None:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertain parameters for the values to set")
    if mode not in MODES:
        raise ArgumentError(f"unknown mode {mode!r}; the modes are: {', '.join(MODES)}")
    n_par = len(sc.uncertainty.parameters)
    if values.ndim != 2 or values.shape[1] != n_par or not len(values):
        raise ArgumentError(f"values must be a (point, parameter) matrix with {n_par} column(s) (one per uncertain "
                         f"parameter of {sc.name!r}) and at least one row; got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ArgumentError("values must be finite numbers; got NaN or infinity")
    if chunk_size < 1:
        raise ArgumentError(f"chunk_size must be at least 1, got {chunk_size}")


def run_values(scenario: Scenario, values: np.ndarray, *, mode: str = "reoptimise",
               plan: Allocation | xr.Dataset | str | Any = None, keep_allocations: bool = False,
               decommitment: bool = False, chunk_size: int | None = None, executor: Any = "sequential",
               solver: SolverLike = "highs", options: dict[str, Any] | None = None) -> xr.Dataset:
    """Solve (or stress-test a plan at) given values of the scenario's uncertain parameters.

    Parameters
    ----------
    scenario : a scenario whose ``uncertainty.parameters`` name the columns of ``values``
    values : ``(point, parameter)`` matrix; row k sets every uncertain parameter as a drawn value would
        (an ``absolute`` parameter sets the number, a ``multiplicative`` one multiplies it)
    mode : ``"reoptimise"`` (the best allocation at each point, sifted from the scenario's optimum) or
        ``"stress"`` (the fixed ``plan`` under each point's numbers)
    plan : for stress mode: an Allocation, its Dataset, a NetCDF file it was saved to, or a dense
        ``(instrument, priority, region, year)`` array
    keep_allocations : keep each point's ``eu`` cube (re-optimise mode)
    decommitment : re-optimise mode: also evaluate each point's own plan through the stress model's payment
        flows and record the EU money it loses to decommitment (``lost_to_decommitment``). The LP keeps
        payments within the absorption capacity, so this is normally zero: it is a check, not a forecast.
    chunk_size : points per chunk (does not change the numbers); 100 by default
    executor : ``"sequential"`` (default), ``"processes"``, a ``dask.distributed.Client`` or an address
    solver, options : the backend that re-optimises the points and its options, as for
        :func:`fundsim.simulate` (HiGHS by default; it needs duals)

    Returns
    -------
    xarray.Dataset with a ``draw`` dimension (the row of ``values``), the variables of
    :func:`fundsim.simulate` in the same mode, plus ``spent_by_instrument`` (stress) and ``parameter_value``.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.montecarlo.given import run_values
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> at = np.array([[1.0, 0.5, 1.0, 1.0], [1.0, 0.5, 0.8, 1.0]])  # north Africa's absorption at 100 %, 80 %
    >>> run_values(sc, at)["objective"].values.round(6).tolist()
    [130.0, 125.0]
    """
    from fundsim.solving import check_options

    choice = solver_choice(solver, check_options(options), needs=[Capability.DUALS])
    values = np.atleast_2d(np.asarray(values, dtype=float))
    chunk_size = 100 if chunk_size is None else chunk_size
    _check(scenario, values, mode, chunk_size)
    check_memory(scenario, len(values), mode, "random", keep_allocations, chunk_size, in_memory=True,
                 workers=workers_of(executor))
    began = time.perf_counter()
    cube = None
    if mode == "stress":
        cube = np.asarray(plan, float) if isinstance(plan, np.ndarray) else _plan_cube(scenario, plan)
    bounds = list(chunks(len(values), chunk_size))
    tasks = [(scenario, values[a:b], a, keep_allocations, cube, decommitment, choice) for a, b in bounds]
    parts: dict[int, xr.Dataset] = {}
    with executor_for("sequential" if executor is None else executor) as pool:
        for i, part in pool.run(_value_chunk, tasks):
            parts[i] = part
        ran_on = {"executor": pool.name, "workers": pool.workers}
    out = xr.concat([parts[n] for n in sorted(parts)], dim="draw", data_vars="minimal", coords="minimal",
                    compat="override")
    out.attrs.update({"scenario": scenario.name, "scenario_hash": scenario.digest, "mode": mode, "design": "given",
                      "draws": len(values), "fundsim_version": __version__, **ran_on,
                      "wall_seconds": time.perf_counter() - began})
    return out
