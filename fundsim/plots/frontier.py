"""Figures of trade-offs: the budget frontier and the Pareto front. Each returns its matplotlib Axes (an
array of Axes for a three-objective front) and takes optional axes to draw on; labels come from the
data's ``long_name`` and ``units`` attrs."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from fundsim.plots.axes import label_of, new_axes

if TYPE_CHECKING:  # the figures only read the objects' data
    from fundsim.sensitivity.frontier import Frontier
    from fundsim.sensitivity.pareto import ParetoFront

__all__ = ["frontier_chart", "pareto_chart"]


def frontier_chart(frontier: Frontier, ax: Any = None, *, annotate: bool = True) -> Any:
    """The optimal objective against the budget multiplier: the exact piecewise-linear curve, its
    breakpoints marked (and numbered when ``annotate``), the scenario as it stands (t = 1) as a dotted line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> from fundsim.sensitivity.frontier import budget_frontier
    >>> ax = frontier_chart(budget_frontier(fs.load_scenario("scenarios/tutorial.yaml"), hi=4.0))
    >>> ax.get_ylabel()
    'optimal objective [objective units]'
    """
    ax = new_axes(ax)
    data = frontier.data
    t, value = data["t"].values, data["objective"].values
    ax.plot(t, value, color="tab:blue", label="optimal objective")
    kinks = data["kind"].values == "breakpoint"
    ax.plot(t[kinks], value[kinks], "o", color="tab:red", label="breakpoint (binding rules change)")
    if annotate:
        for n, (x, y) in enumerate(zip(t[kinks], value[kinks], strict=True), start=1):
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
    if t[0] <= 1.0 <= t[-1]:
        ax.axvline(1.0, color="k", linestyle=":", label="scenario as it stands (t = 1)")
    ax.set_xlabel(label_of(data["t"]))
    ax.set_ylabel(label_of(data["objective"]))
    start = data.attrs["feasible_from"]
    feasible = f"; feasible from t = {start:.4g}" if start > data.attrs["lo"] else ""
    ax.set_title(f"{data.attrs['scenario']}: {int(kinks.sum())} breakpoints{feasible}")
    ax.legend()
    return ax


def _pair(front: ParetoFront, x: str, y: str, ax: Any) -> Any:
    data = front.data
    order = np.argsort(data[x].values)
    ax.plot(data[x].values[order], data[y].values[order], "o-", color="tab:blue")
    for name, setter in ((x, ax.set_xlabel), (y, ax.set_ylabel)):
        better = "higher" if data[name].attrs["sense"] == "max" else "lower"
        setter(f"{label_of(data[name])}, {better} is better")
    return ax


def pareto_chart(front: ParetoFront, ax: Any = None) -> Any:
    """The efficient points: one panel for two objectives (the first on the y axis), three pairwise
    panels for three (``ax``: one Axes, or an array of three, to draw on).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> from fundsim.sensitivity.pareto import pareto_front
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> ax = pareto_chart(pareto_front(sc, ("impact", "regional_concentration"), points=3))
    >>> ax.get_ylabel()
    "impact (the scenario's impact term) [objective units], higher is better"
    """
    names = front.objectives
    pairs = [(names[1], names[0])] if len(names) == 2 else list(itertools.combinations(names, 2))
    axes = ax
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, len(pairs), figsize=(6 * len(pairs), 4), squeeze=False)
        axes = axes[0] if len(pairs) > 1 else axes[0, 0]
    panels = np.atleast_1d(axes)
    for (x, y), panel in zip(pairs, panels, strict=True):
        _pair(front, x, y, panel)
    panels[0].set_title(f"{front.data.attrs['scenario']}: {len(front)} efficient points")
    return axes
