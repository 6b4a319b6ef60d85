"""One-at-a-time sweeps: one number of the scenario over a list of values, each point a warm re-solve.

A sweep is a design whose rows are the swept values: the scenario gets one uncertain parameter at the
swept path and the points run through the Monte Carlo machinery (:func:`fundsim.montecarlo.run_values`,
the warm :class:`~fundsim.montecarlo.reoptimise.Reoptimiser`). Every other number stays at the scenario's
own (nominal) value; its declared uncertainties play no part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.model import Distribution, Scenario, UncertainParameter, Uncertainty
from fundsim.montecarlo.options import Evaluation, as_evaluation
from fundsim.rules.fields import suggest
from fundsim.scenario.uncertainty_schema import check_path
from fundsim.sensitivity.arguments import check_flag, study_arguments
from fundsim.sensitivity.outputs import evaluate, parse_outputs
from fundsim.solvers.backends import SolverLike

__all__ = ["resolve_path", "sweep"]

_UNITS = {"envelope": "EUR m per year", "payment_delay": "share of each year's payments",
          "capacity": "EUR m per year", "weights": "objective units per EUR m"}


def _context(sc: Scenario) -> dict[str, tuple[str, ...]]:
    """The ids a path may name, as :func:`~fundsim.scenario.uncertainty_schema.check_path` reads them."""
    return {"instrument": sc.instrument_ids, "source": sc.source_ids, "region": sc.area_ids,
            "priority": sc.priority_ids}


def resolve_path(sc: Scenario, path: str) -> str:
    """The parameter path ``path`` names: a path such as ``instruments.enpi.envelope``, or the id of a
    declared uncertain parameter (its path is used).

    Raises
    ------
    ValueError
        for a path the scenario cannot take, naming the valid forms or the valid ids (did you mean …)

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> resolve_path(sc, "tpma_envelope")
    'instruments.tpma.envelope'
    >>> resolve_path(sc, "instruments.enpy.envelope")
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: cannot sweep 'instruments.enpy.envelope': ... unknown instrument 'enpy' ...
    """
    if not isinstance(path, str):
        raise ArgumentError(f"a sweep path is a string such as 'instruments.<id>.envelope', not {path!r}")
    declared = {p.id: p.path for p in sc.uncertainty.parameters} if sc.uncertainty is not None else {}
    if path in declared:
        return declared[path]
    if "." not in path and declared:
        raise ArgumentError(f"cannot sweep {path!r}: " + suggest(path, list(declared), "uncertain parameter")
                         + "; or give a path such as instruments.<id>.envelope")
    try:
        check_path(path, _context(sc))
    except ValueError as err:
        raise ArgumentError(f"cannot sweep {path!r}: {err}") from None
    if path.startswith("objective.impact") and sc.objective.impact is None:
        raise ArgumentError(f"cannot sweep {path!r}: scenario {sc.name!r} has no impact term in its objective")
    return path


def _values(path: str, values: Iterable[float] | np.ndarray, relative: bool) -> np.ndarray:
    """The swept values as a checked 1-D array."""
    try:
        v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"sweep values must be numbers (a list, a range or an array), got {values!r}") from None
    if v.ndim != 1 or not len(v):
        raise ArgumentError(f"sweep values must be a non-empty list of numbers, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ArgumentError("sweep values must be finite numbers; got NaN or infinity")
    if path.endswith(".payment_delay"):
        if relative:
            raise ArgumentError(f"{path!r} is a share, swept as it is: use relative=False")
        if v.min() < 0 or v.max() > 1:
            raise ArgumentError("a payment delay is a share between 0 and 1; "
                                f"got values from {v.min():g} to {v.max():g}")
    elif v.min() < 0:
        what = "factors" if relative else "values"
        raise ArgumentError(f"sweep {what} of {path!r} must not be negative; got {v.min():g}")
    return v


def _variant(sc: Scenario, path: str, values: np.ndarray, relative: bool) -> Scenario:
    """The scenario with the swept number as its one uncertain parameter (declared uncertainty dropped)."""
    span = Distribution("uniform", low=float(values.min()), high=float(values.max()))
    swept = UncertainParameter("swept", path, span, "multiplicative" if relative else "absolute")
    return sc.evolve(uncertainty=Uncertainty(parameters=(swept,)))


def sweep(scenario: Scenario, path: str, values: Iterable[float] | np.ndarray, *, relative: bool = False,
          outputs: str | list[str] | tuple[str, ...] | None = None, evaluation: Evaluation | None = None,
          solver: SolverLike = "highs", options: Mapping[str, Any] | None = None,
          progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Solve the scenario at each value of one of its numbers.

    Parameters
    ----------
    scenario : the scenario (or the path of its file); its other numbers stay at their own values
    path : ``instruments.<id>.envelope`` (EUR m per year, or a factor on the usable money),
        ``instruments.<id>.payment_delay`` (a share), ``match_sources.<id>.capacity``,
        ``absorption.capacity[.<region>]``, ``objective.impact.weights[.<priority>[.<region>]]``, or the
        id of a declared uncertain parameter
    values : the swept values: a list, a ``range`` or an array (e.g. ``np.linspace(0.5, 1.5, 101)``)
    relative : values are factors on the scenario's number (``True``) or the number itself (``False``).
        An absolute envelope sets every year's envelope (the usable share is kept); an absolute capacity
        or weight path with fewer labels sets every cell below it.
    outputs : named scalar outputs to add (see :mod:`fundsim.sensitivity.outputs`), e.g.
        ``["pillar:legal", "region:north_africa", "decommitted"]``
    evaluation : a :class:`~fundsim.montecarlo.Evaluation`: its ``mode``, ``"reoptimise"`` (the best plan at
        each value, the default) or ``"stress"`` (its ``plan``, an Allocation, its Dataset or a NetCDF file; by
        default the scenario's own optimal plan, under each value); ``keep_allocations`` (each point's ``eu``
        cube); the ``solver`` that solves each point (``"highs"``, the default, or ``"pulp"``; a backend; or a
        :class:`~fundsim.solvers.SolverChoice`) and its ``options``; the ``executor`` (``None``: in order, in
        this process; ``"processes"`` or a Dask client) and the ``chunk_size``
    progress : called with the number of values of each chunk of points as it is solved (a progress bar's
        advance), ``len(values)`` in all

    Returns
    -------
    xarray.Dataset over dimension ``value`` (the swept numbers, with units): the per-point results of
    :func:`fundsim.simulate` in that mode (re-optimise: ``status``, ``objective``, ``cofin``,
    ``eu_by_pillar|group|instrument|year|region``, ``shadow_price_<rule>``), and one variable per named output.
    Infeasible points keep their status and hold NaN.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> s = sweep(sc, "absorption.capacity.north_africa", [15, 20, 25, 30], outputs=["region:north_africa"])
    >>> s["objective"].values.round(6).tolist()
    [120.0, 125.0, 130.0, 135.0]
    >>> s["region:north_africa"].values.round(6).tolist()
    [30.0, 40.0, 50.0, 60.0]
    >>> from fundsim.montecarlo import Evaluation
    >>> cbc = sweep(sc, "absorption.capacity.north_africa", [15, 30], solver="pulp")
    >>> cbc["objective"].values.round(6).tolist()
    [120.0, 135.0]
    """
    how = as_evaluation(evaluation).using(solver, options)
    scenario = study_arguments(scenario, outputs, how.plan)
    check_flag("relative", relative)
    path = resolve_path(scenario, path)
    v = _values(path, values, relative)
    variant = _variant(scenario, path, v, relative)
    wanted = parse_outputs(variant, outputs, how.mode) if outputs else ()
    run = evaluate(variant, v[:, None], wanted, how, progress=progress)
    run = run.drop_vars(["parameter_value", "parameter", "parameter_path"]).rename({"draw": "value"})
    parts = path.split(".")
    kind = {"instruments": parts[-1], "match_sources": "capacity", "absorption": "capacity"}.get(parts[0], "weights")
    attrs = {"units": "× nominal" if relative else _UNITS[kind],
             "long_name": f"{path} ({'factor on the scenario value' if relative else 'value'})"}
    run = run.assign_coords(value=("value", v, attrs))
    run.attrs.update({"study": "sweep", "path": path, "relative": int(relative)})
    return run
