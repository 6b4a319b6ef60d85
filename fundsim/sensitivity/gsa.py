"""Global sensitivity with SALib: Sobol' indices (Saltelli's design) and Morris screening.

The inputs are the scenario's independent sources of randomness, as in the Monte Carlo engine: each
factor (every parameter naming it moves with it) and each parameter without a factor. SALib samples
them in the unit hypercube; the parameters' inverse CDFs turn the samples into values exactly as
:func:`fundsim.montecarlo.parameter_values` does for a Monte Carlo design, so the declared distributions
are respected; the points are then solved by the Monte Carlo machinery (warm re-solves, any executor).

Sobol' and Morris indices assume independent inputs. A scenario that declares rank correlations between
its sources is refused unless ``ignore_correlation=True``, which studies the same marginal distributions
without the correlation (and says so in the result's attrs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from fundsim.errors import ArgumentError, InfeasibleError
from fundsim.model import Scenario, Uncertainty
from fundsim.model.uncertainty import check_seed
from fundsim.montecarlo import Evaluation, parameter_values
from fundsim.montecarlo.options import as_evaluation
from fundsim.sensitivity.outputs import Output, evaluate, output_matrix, parse_outputs
from fundsim.solvers.backends import SolverLike

__all__ = ["MORRIS_INDICES", "SOBOL_INDICES", "morris", "morris_points", "per_probability", "salib_seed", "sobol",
           "sobol_points"]

SOBOL_INDICES = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_INDICES = ("mu", "mu_star", "sigma", "mu_star_conf")
_EPS = 1e-12  # as in montecarlo.design: every inverse CDF stays finite


def _declared(sc: Scenario, method: str) -> Uncertainty:
    unc = sc.uncertainty
    if unc is None or not unc.parameters:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertainty: {method} indices are computed over the "
                         "declared uncertain parameters; add an 'uncertainty:' section")
    return unc


def _independent(sc: Scenario, ignore_correlation: bool, method: str) -> Uncertainty:
    """The scenario's uncertainty with independent sources (or an error explaining why not)."""
    unc = _declared(sc, method)
    if unc.correlation is not None and not ignore_correlation:
        corr = np.asarray(unc.correlation)
        pairs = [f"{unc.sources[a]} and {unc.sources[b]} ({corr[a, b]:g})" for a in range(len(corr))
                 for b in range(a + 1, len(corr)) if corr[a, b] != 0]
        raise ArgumentError(f"scenario {sc.name!r} declares rank correlations between {'; '.join(pairs)}; "
                         f"{method} indices apportion the output's variance to independent inputs and are not "
                         "defined for correlated ones. Pass ignore_correlation=True to study the same "
                         "distributions without the correlation (each factor stays one input), or remove it")
    return dataclasses.replace(unc, correlation=None)


def _problem(unc: Uncertainty) -> dict[str, Any]:
    return {"num_vars": len(unc.sources), "names": list(unc.sources), "bounds": [[0.0, 1.0]] * len(unc.sources)}


def _evaluate(sc: Scenario, unc: Uncertainty, u: np.ndarray, outputs: tuple[Output, ...], how: Evaluation,
              method: str, progress: Callable[[int], None] | None) -> np.ndarray:
    """The outputs ``(point, output)`` at the hypercube points ``u``; every point must have a plan."""
    values = parameter_values(unc, u)
    run = evaluate(sc, values, outputs, how, progress=progress)
    if "status" in run:
        bad = run["status"].values != "optimal"
        if bad.any():
            diagnosis = tuple(dict.fromkeys(d for d in run["diagnosis"].values[bad] if d))
            raise InfeasibleError(f"{int(bad.sum())} of {len(bad)} points of the {method} design of {sc.name!r} have "
                                  "no optimal allocation, and the indices need every point: narrow the distributions "
                                  "or study a fixed plan with evaluation=Evaluation('stress')", diagnosis[:5])
    return output_matrix(run, outputs)


def _constant(y: np.ndarray) -> bool:
    """An output that does not vary (up to the solver's tolerance) has no variance to apportion."""
    return bool(np.std(y) <= 1e-9 * max(1.0, float(np.abs(y).mean())))


def _analyse(y: np.ndarray, wanted: tuple[Output, ...], d: int, names: tuple[str, ...],
             analyse: Callable[[np.ndarray], Any]) -> tuple[np.ndarray, list[str], list[Any]]:
    """SALib's ``analyse`` of each output column of ``y``: indices ``(input, output, index)`` (0 for an output
    that does not vary), the names of the constant outputs, and SALib's result per output (``None`` if
    constant)."""
    indices = np.zeros((d, len(wanted), len(names)))
    constant: list[str] = []
    results: list[Any] = []
    for k, out in enumerate(wanted):
        if _constant(y[:, k]):
            constant.append(out.name)
            results.append(None)
            continue
        si = analyse(y[:, k])
        results.append(si)
        indices[:, k] = np.stack([np.ma.filled(np.ma.asarray(si[i], float), np.nan) for i in names], axis=1)
    return indices, constant, results


def _frame(sc: Scenario, unc: Uncertainty, outputs: tuple[Output, ...], points: tuple[np.ndarray, ...],
           indices: np.ndarray, index: tuple[str, ...], attrs: dict[str, Any]) -> xr.Dataset:
    """Label ``indices`` ``(parameter, output, index)`` with the inputs, the outputs and their units; keep the
    evaluated ``points`` (hypercube sample, outputs) for other statistics. ``attrs`` name the study's
    ``mode``."""
    mode = attrs["mode"]
    moves = [", ".join(p.id for p in unc.parameters if (p.factor or p.id) == s) for s in unc.sources]
    coords = {"parameter": list(unc.sources), "output": [o.name for o in outputs], "index": list(index),
              "kind": ("parameter", ["factor" if s in {f.id for f in unc.factors} else "parameter"
                                     for s in unc.sources]),
              "moves": ("parameter", moves),
              "units": ("output", [o.units for o in outputs]),
              "long_name": ("output", [o.long_name(mode) for o in outputs])}
    u, y = points
    data = {"indices": (("parameter", "output", "index"), indices, {"long_name": attrs.pop("long_name"),
                                                                  "units": attrs.pop("units")}),
            "sample": (("evaluation", "parameter"), u, {"long_name": "evaluated point in the unit hypercube"}),
            "output_value": (("evaluation", "output"), y, {"long_name": "output at the evaluated point"})}
    return xr.Dataset(data, coords=coords, attrs={"scenario": sc.name, **attrs})


def salib_seed(seed: object) -> int:
    """``seed`` as SALib takes it (NumPy's legacy seeding: a whole number from 0 to 2**32 - 1), or
    :class:`~fundsim.errors.ArgumentError` saying what would be valid (a seed of 1.5 would run as 1).

    Examples
    --------
    >>> salib_seed(7)
    7
    >>> salib_seed(2**32)
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: seed must be a whole number from 0 to 2**32 - 1 for SALib's designs; got 4294967296
    """
    try:
        value = check_seed(seed)
    except ValueError as exc:
        raise ArgumentError(str(exc).replace("2**63 - 1", "2**32 - 1 for SALib's designs")) from None
    if value >= 2**32:
        raise ArgumentError(f"seed must be a whole number from 0 to 2**32 - 1 for SALib's designs; got {value}")
    return value


def _check_n(n: int) -> None:
    if n < 2 or n & (n - 1):
        low = 1 << max(1, int(n).bit_length() - 1)
        raise ArgumentError(f"n must be a power of 2 (the balance of the Sobol' sequence depends on it); got {n}, "
                         f"use {low} or {2 * low}")


def sobol_points(scenario: Scenario, n: int = 256, *, second_order: bool = False) -> int:
    """How many points :func:`sobol` solves for ``scenario`` and ``n``: ``(d + 2)·n``, or ``(2d + 2)·n`` with
    ``second_order``, for its ``d`` inputs (its factors and the parameters without a factor).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")  # 3 inputs: a factor and 2 parameters
    >>> sobol_points(sc, 8), sobol_points(sc, 8, second_order=True)
    (40, 64)
    """
    _check_n(n)
    d = len(_declared(scenario, "Sobol'").sources)
    return ((2 if second_order else 1) * d + 2) * n


def sobol(scenario: Scenario, n: int = 256, outputs: str | list[str] | tuple[str, ...] = "objective", *,
          second_order: bool = False, seed: int = 0, ignore_correlation: bool = False,
          evaluation: Evaluation | None = None, solver: SolverLike = "highs",
          options: Mapping[str, Any] | None = None, progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Sobol' indices of scalar outputs over the scenario's declared uncertainties (SALib).

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section; its inputs are its factors and the parameters
        without a factor
    n : base sample size, a power of 2; the study solves ``(d + 2)·n`` points (``(2d + 2)·n`` with
        ``second_order``) for ``d`` inputs
    outputs : named scalar outputs (:mod:`fundsim.sensitivity.outputs`)
    second_order : also estimate the second-order indices ``S2``
    seed : seeds the scrambled Sobol' sequence and the bootstrap of the confidence intervals
    ignore_correlation : study a scenario that declares rank correlations as if its sources were independent
    evaluation : the :class:`~fundsim.montecarlo.Evaluation` of each point: its ``mode`` (``"reoptimise"``,
        the default, or ``"stress"`` of its ``plan``, by default the scenario's optimal plan); the ``solver``
        that solves each point (``"highs"``, the default, or ``"pulp"``; a backend; or a
        :class:`~fundsim.solvers.SolverChoice`) and its ``options``; the ``executor`` (``None``: in order, in
        this process; ``"processes"`` or a Dask client), as for :func:`fundsim.sensitivity.sweep`
    progress : called with the number of points of each chunk as it is solved (a progress bar's advance),
        :func:`sobol_points` in all

    Returns
    -------
    xarray.Dataset with ``indices`` over (parameter, output, index), index ``S1``, ``S1_conf``, ``ST``,
    ``ST_conf`` (the ``_conf`` entries are half-widths of 95 % bootstrap confidence intervals), the
    evaluated points ``sample`` (evaluation, parameter) in the unit hypercube and ``output_value``
    (evaluation, output); with
    ``second_order``, ``S2`` and ``S2_conf`` over (parameter, parameter_2, output), symmetric, NaN on the
    diagonal. An output that does not vary gets indices 0 (listed in ``attrs["constant_outputs"]``).

    Raises
    ------
    InfeasibleError
        when a point of the design has no feasible allocation (re-optimise mode)

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> s = sobol(sc, n=64, ignore_correlation=True)
    >>> s["indices"].sel(output="objective", index="ST").to_series().idxmax()
    'remittance_value'
    """
    how = as_evaluation(evaluation).using(solver, options)
    unc = _independent(scenario, ignore_correlation, "Sobol'")
    wanted = parse_outputs(scenario, outputs, how.mode)
    _check_n(n)
    problem = _problem(unc)
    seed = salib_seed(seed)
    u = np.clip(sobol_sample.sample(problem, n, calc_second_order=second_order, seed=seed), _EPS, 1 - _EPS)
    y = _evaluate(scenario, unc, u, wanted, how, "Sobol'", progress)
    d = problem["num_vars"]
    indices, constant, results = _analyse(y, wanted, d, SOBOL_INDICES, lambda yk: sobol_analyze.analyze(
        problem, yk, calc_second_order=second_order, seed=seed))
    s2 = np.full((2, d, d, len(wanted)), np.nan)
    for k, si in enumerate(results):
        if si is None:  # a constant output: no interaction either
            s2[:, ~np.eye(d, dtype=bool), k] = 0.0
        elif second_order:
            for j, key in enumerate(("S2", "S2_conf")):
                upper = np.triu(np.nan_to_num(si[key]), 1)
                s2[j, :, :, k] = np.where(np.eye(d, dtype=bool), np.nan, upper + upper.T)
    attrs = {"mode": how.mode, "study": "sobol", "n": n, "evaluations": len(u), "seed": seed,
             "second_order": int(second_order),
             "correlation_ignored": int(scenario.uncertainty.correlation is not None),  # type: ignore[union-attr]
             "constant_outputs": ", ".join(constant), "confidence_level": 0.95,
             "long_name": "Sobol' index", "units": "share of the output's variance"}
    ds = _frame(scenario, unc, wanted, (u, y), indices, SOBOL_INDICES, attrs)
    if second_order:
        for j, key in enumerate(("S2", "S2_conf")):
            ds[key] = (("parameter", "parameter_2", "output"), s2[j],
                       {"long_name": "second-order Sobol' index" + (" (confidence half-width)" if j else ""),
                        "units": "share of the output's variance"})
        ds = ds.assign_coords(parameter_2=list(unc.sources))
    return ds


def per_probability(si: Any, levels: int) -> dict[str, Any]:
    """SALib's Morris statistics per unit of probability.

    SALib divides each output change by the input's move on its grid ``k/(levels - 1)`` in [0, 1]; the
    study puts those levels at the quantile midpoints ``(k + ½)/levels``, so a grid move of Δ is a move of
    ``Δ·(1 - 1/levels)`` in probability, and ``mu``, ``mu_star``, ``sigma`` and ``mu_star_conf`` (all
    proportional to the effects) are multiplied by ``levels/(levels - 1)``.

    Examples
    --------
    >>> float(per_probability({"mu": 7.5, "mu_star": 10.5, "sigma": 0.0, "mu_star_conf": 0.3}, 4)["mu_star"])
    14.0
    """
    scale = levels / (levels - 1)
    return {name: np.ma.asarray(si[name], float) * scale for name in MORRIS_INDICES}


def morris_points(scenario: Scenario, trajectories: int = 20) -> int:
    """How many points :func:`morris` solves for ``scenario``: ``trajectories·(d + 1)`` for its ``d`` inputs.

    Examples
    --------
    >>> import fundsim as fs
    >>> morris_points(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), 3)  # 3 inputs: 3 × (3 + 1)
    12
    """
    return trajectories * (len(_declared(scenario, "Morris").sources) + 1)


def morris(scenario: Scenario, trajectories: int = 20, outputs: str | list[str] | tuple[str, ...] = "objective", *,
           levels: int = 4, seed: int = 0, ignore_correlation: bool = False,
           evaluation: Evaluation | None = None, solver: SolverLike = "highs",
           options: Mapping[str, Any] | None = None, progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Morris elementary-effects screening of scalar outputs over the declared uncertainties (SALib).

    Each input moves on a grid of ``levels`` equiprobable quantiles (the midpoints ``(k + ½)/levels`` of
    its distribution); an elementary effect is the output's change when one input moves by ``levels / 2``
    levels, which is ½ in probability, divided by that ½: an output ``14·u`` of one input's quantile ``u``
    has every effect 14, at any number of levels.

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section
    trajectories : number of Morris trajectories; the study solves ``trajectories·(d + 1)`` points
    outputs, seed, ignore_correlation, evaluation : as for :func:`sobol`
    levels : grid levels (even numbers keep the design balanced)
    progress : called with the number of points of each chunk as it is solved (a progress bar's advance),
        :func:`morris_points` in all

    Returns
    -------
    xarray.Dataset with ``indices`` over (parameter, output, index), index ``mu``, ``mu_star`` (the mean
    absolute elementary effect: rank inputs by it), ``sigma`` (spread: interactions or non-linearity) and
    ``mu_star_conf`` (95 % bootstrap half-width), in the output's units; ``sample`` and ``output_value`` as
    for :func:`sobol`.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> m = morris(sc, trajectories=10, ignore_correlation=True)
    >>> m["indices"].sel(output="objective", index="mu_star").to_series().idxmax()
    'remittance_value'
    """
    how = as_evaluation(evaluation).using(solver, options)
    unc = _independent(scenario, ignore_correlation, "Morris")
    wanted = parse_outputs(scenario, outputs, how.mode)
    if trajectories < 2 or levels < 2:
        raise ArgumentError(f"Morris needs at least 2 trajectories and 2 levels; got {trajectories} and {levels}")
    problem = _problem(unc)
    seed = salib_seed(seed)
    grid = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    edge = 0.5 / levels
    u = edge + (1 - 2 * edge) * grid
    y = _evaluate(scenario, unc, u, wanted, how, "Morris", progress)
    indices, constant, _ = _analyse(y, wanted, problem["num_vars"], MORRIS_INDICES, lambda yk: per_probability(
        morris_analyze.analyze(problem, grid, yk, num_levels=levels, seed=seed), levels))
    attrs = {"mode": how.mode, "study": "morris", "trajectories": trajectories, "levels": levels,
             "evaluations": len(grid), "seed": seed,
             "correlation_ignored": int(scenario.uncertainty.correlation is not None),  # type: ignore[union-attr]
             "constant_outputs": ", ".join(constant), "confidence_level": 0.95,
             "long_name": "Morris elementary-effect statistic", "units": "output units per unit of probability"}
    return _frame(scenario, unc, wanted, (u, y), indices, MORRIS_INDICES, attrs)
