"""``fs.simulate``: draws of a scenario's uncertain numbers, run chunk by chunk.

Each chunk is a pure function of (scenario, design, seed, number of draws, first and last draw), so the
numbers of a run do not depend on how it is split into chunks or where the chunks run.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from fundsim._version import __version__
from fundsim.model import Scenario
from fundsim.montecarlo.design import DESIGNS, parameter_values, unit_design
from fundsim.montecarlo.numbers import drawn_numbers
from fundsim.montecarlo.reoptimise import Reoptimiser
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


def simulate(scenario: Scenario, draws: int = 1000, *, mode: str = "reoptimise", seed: int = 0,
             design: str = "random", chunk_size: int | None = None, keep_allocations: bool = False,
             plan: Allocation | xr.Dataset | str | Path | None = None,
             on_chunk: Callable[[int], None] | None = None) -> xr.Dataset:
    """Run a scenario under its declared uncertainty.

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section
    draws : number of draws
    mode : ``"reoptimise"``: the best allocation is found again for every draw (warm-started);
        ``"stress"``: the fixed ``plan`` is evaluated under every draw, vectorised
    seed : draw k's numbers depend only on (seed, k) (random design) or on (seed, draws) (lhs, sobol)
    design : ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled)
    chunk_size : draws per chunk (does not change the numbers); default 100 (reoptimise), 10,000 (stress)
    keep_allocations : also keep every draw's full ``eu`` cube (memory grows with draws)
    plan : for stress mode: an Allocation (``fs.solve(sc)``), its Dataset, or a NetCDF file it was saved to
    on_chunk : called with the number of draws of each finished chunk (progress bars)

    Returns
    -------
    xarray.Dataset with a ``draw`` dimension and the drawn ``parameter_value`` (draw, parameter).
    Reoptimise: ``status``, ``objective``, ``eu_by_pillar|group|instrument|year``, ``cofin``,
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
    chunk_size = (10_000 if mode == "stress" else 100) if chunk_size is None else chunk_size
    _check(scenario, draws, mode, design, chunk_size)
    began = time.perf_counter()
    cube = _plan_cube(scenario, plan) if mode == "stress" else None
    worker = None if mode == "stress" else Reoptimiser(scenario, keep_allocations=keep_allocations)
    parts = []
    for a, b in chunks(draws, chunk_size):
        parts.append(run_chunk(scenario, design, seed, draws, a, b, worker, plan=cube))
        if on_chunk is not None:
            on_chunk(b - a)
    rebuilt = 0 if worker is None else worker.rebuilt
    out = xr.concat(parts, dim="draw", data_vars="minimal", coords="minimal", compat="override")
    out.attrs.update({
        "scenario": scenario.name, "scenario_hash": scenario.digest, "mode": mode, "design": design,
        "seed": seed, "draws": draws, "fundsim_version": __version__,
        "solver": "highs", "solver_version": _highs_version(),
        "structural_rebuilds": rebuilt, "wall_seconds": time.perf_counter() - began,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    })
    return out


def _highs_version() -> str:
    from fundsim.solvers.highs import _version

    return _version()
