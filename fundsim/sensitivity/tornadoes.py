"""Tornado diagrams: each declared uncertainty at a low and a high quantile, the rest at their medians.

The inputs are every factor (all the parameters that name it move together) and every uncertain
parameter (alone, also when it belongs to a factor). Each input is set to its ``low`` and ``high``
quantile through the parameters' inverse CDFs, every other parameter to its median; the inputs are
ranked by the swing of the chosen output. Rank correlations between sources are left aside: this is a
one-at-a-time study of the marginal distributions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.model import Scenario, Uncertainty
from fundsim.montecarlo.options import Evaluation, as_evaluation
from fundsim.results.inputs import wrong_type
from fundsim.sensitivity.arguments import study_arguments
from fundsim.sensitivity.outputs import evaluate, parse_outputs
from fundsim.solvers.backends import SolverLike
from fundsim.solving import as_scenario

__all__ = ["tornado", "tornado_points", "tornado_study"]


def _inputs(unc: Uncertainty) -> list[tuple[str, str, list[int]]]:
    """(input id, kind, columns of the parameters it moves): factors first, then each parameter."""
    factors = [(f.id, "factor", [n for n, p in enumerate(unc.parameters) if p.factor == f.id]) for f in unc.factors]
    return factors + [(p.id, "parameter", [n]) for n, p in enumerate(unc.parameters)]


def _points(unc: Uncertainty, inputs: list[tuple[str, str, list[int]]], low: float, high: float) -> np.ndarray:
    """Rows: the medians, then each input at its low and at its high quantile."""
    def at(q: float) -> np.ndarray:
        return np.array([float(p.distribution.ppf(np.array([q]))[0]) for p in unc.parameters])

    base, lo, hi = at(0.5), at(low), at(high)
    rows = [base]
    for _, _, columns in inputs:
        for end in (lo, hi):
            row = base.copy()
            row[columns] = end[columns]
            rows.append(row)
    return np.array(rows)


def _declared(sc: Scenario) -> Uncertainty:
    if sc.uncertainty is None or not sc.uncertainty.parameters:
        raise ArgumentError(f"scenario {sc.name!r} declares no uncertainty: a tornado diagram needs an 'uncertainty:' "
                         "section (or use fundsim.sensitivity.sweep on any path)")
    return sc.uncertainty


def _check(sc: Scenario, low: float, high: float) -> Uncertainty:
    unc = _declared(sc)
    if not 0 < low < high < 1:
        raise ArgumentError(f"the quantiles must satisfy 0 < low < high < 1; got low={low!r}, high={high!r}")
    return unc


def tornado_points(scenario: Scenario | str) -> int:
    """How many points a tornado study of ``scenario`` solves: all inputs at their medians, then each input
    (factor or parameter) at its low and at its high quantile.

    Examples
    --------
    >>> tornado_points("scenarios/tutorial-uncertain.yaml")  # 1 factor and 4 parameters: 1 + 2 × 5
    11
    """
    return 1 + 2 * len(_inputs(_declared(as_scenario(scenario))))


def tornado_study(scenario: Scenario, outputs: str | list[str] | tuple[str, ...] = "objective", *,
                  low: float = 0.05, high: float = 0.95, evaluation: Evaluation | None = None,
                  solver: SolverLike = "highs", options: Mapping[str, Any] | None = None,
                  progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Every output at each input's low and high quantile, as a Dataset over (input, output).

    Parameters
    ----------
    scenario, low, high, evaluation, progress : as for :func:`tornado`
    outputs : named scalar outputs (:mod:`fundsim.sensitivity.outputs`)

    Returns
    -------
    xarray.Dataset with ``low``, ``high`` and ``swing`` (``|high - low|``) over (input, output),
    ``base`` (all at their medians) over output, ``status`` over (input, end), the parameter values of
    every point ``parameter_value`` (input, end, parameter), and coordinates ``kind`` (factor or parameter),
    ``moves`` (the parameters an input moves), ``units`` and ``long_name`` per output.

    Examples
    --------
    >>> import fundsim as fs
    >>> study = tornado_study(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), ["objective"])
    >>> study["swing"].sel(output="objective").to_series().round(2).nlargest(2).to_dict()
    {'remittance_value': 18.0, 'financial_crisis': 17.45}
    """
    how = as_evaluation(evaluation).using(solver, options)
    scenario = study_arguments(scenario, outputs, how.plan, low=low, high=high)
    unc = _check(scenario, low, high)
    wanted = parse_outputs(scenario, outputs, how.mode)
    inputs = _inputs(unc)
    run = evaluate(scenario, _points(unc, inputs, low, high), wanted, how, progress=progress)
    n = len(inputs)
    names = [o.name for o in wanted]
    values = np.stack([run[name].values for name in names], axis=1)  # (point, output)
    ends = values[1:].reshape(n, 2, len(names))
    status = run["status"].values[1:].reshape(n, 2) if "status" in run else np.full((n, 2), "stress")
    params = [p.id for p in unc.parameters]
    data = {
        "low": (("input", "output"), ends[:, 0], {"long_name": f"output with the input at its {low:.0%} quantile"}),
        "high": (("input", "output"), ends[:, 1], {"long_name": f"output with the input at its {high:.0%} quantile"}),
        "swing": (("input", "output"), np.abs(ends[:, 1] - ends[:, 0]), {"long_name": "swing of the output"}),
        "base": (("output",), values[0], {"long_name": "output with every input at its median"}),
        "status": (("input", "end"), status.astype(str)),
        "parameter_value": (("input", "end", "parameter"), run["parameter_value"].values[1:].reshape(n, 2, -1),
                            {"long_name": "value of the uncertain parameter"}),
    }
    coords = {"input": [i for i, _, _ in inputs], "output": names, "end": ["low", "high"], "parameter": params,
              "kind": ("input", [k for _, k, _ in inputs]),
              "moves": ("input", [", ".join(params[c] for c in cols) for _, _, cols in inputs]),
              "units": ("output", [run[name].attrs["units"] for name in names]),
              "long_name": ("output", [run[name].attrs["long_name"] for name in names])}
    attrs = {"study": "tornado", "scenario": scenario.name, "mode": how.mode, "low_quantile": low,
             "high_quantile": high}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def tornado(scenario: Scenario, output: str = "objective", *, low: float = 0.05, high: float = 0.95,
            evaluation: Evaluation | None = None, solver: SolverLike = "highs",
            options: Mapping[str, Any] | None = None, progress: Callable[[int], None] | None = None
            ) -> pd.DataFrame:
    """The declared uncertainties ranked by how far they swing ``output``.

    Parameters
    ----------
    scenario : a scenario with an ``uncertainty:`` section (or the path of its file)
    output : a named scalar output (:mod:`fundsim.sensitivity.outputs`): ``objective``, ``pillar:<id>``,
        ``region:<id>``, ``group:<id>``, ``instrument:<id>``, ``decommitted`` …
    low, high : the quantiles each input is set to (every other parameter at its median)
    evaluation : the :class:`~fundsim.montecarlo.Evaluation` of each point, as for
        :func:`fundsim.sensitivity.sweep`: ``mode`` ``"reoptimise"`` (the best plan at each point, the default)
        or ``"stress"`` (its ``plan``, by default the scenario's optimal plan, under each point's numbers), the
        ``solver`` (HiGHS by default) and its ``options``, the ``executor``
    progress : called with the number of points of each chunk as it is solved (a progress bar's advance),
        :func:`tornado_points` in all

    Returns
    -------
    pandas.DataFrame, one row per input (factors and parameters), largest swing first: ``input``, ``kind``,
    ``moves``, ``output_low``, ``output_high``, ``swing``. ``attrs`` hold ``output``, ``base`` (the output
    with every input at its median), ``units`` and ``long_name``.

    Examples
    --------
    >>> import fundsim as fs
    >>> t = tornado(fs.load_scenario("scenarios/tutorial-uncertain.yaml"))
    >>> t[["input", "swing"]].round(2).head(2).to_dict("records")
    [{'input': 'remittance_value', 'swing': 18.0}, {'input': 'financial_crisis', 'swing': 17.45}]
    """
    if not isinstance(output, str):
        raise wrong_type("output", output, "one output name such as 'objective' (tornado_study takes several)")
    how = as_evaluation(evaluation)
    scenario = study_arguments(scenario, output, how.plan, low=low, high=high)
    study = tornado_study(scenario, output, low=low, high=high, evaluation=how, solver=solver, options=options,
                          progress=progress)
    one = study.sel(output=output)
    table = pd.DataFrame({"input": study["input"].values, "kind": study["kind"].values, "moves": study["moves"].values,
                          "output_low": one["low"].values, "output_high": one["high"].values,
                          "swing": one["swing"].values})
    table = table.sort_values("swing", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    table.attrs.update({"output": output, "base": float(one["base"]), "units": str(one["units"].values),
                        "long_name": str(one["long_name"].values), "low_quantile": low, "high_quantile": high,
                        "scenario": scenario.name})
    return table
