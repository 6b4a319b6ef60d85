"""Figures that compare allocations: stacked bars by pillar or region group, a diverging heatmap of the
difference between two allocations, and the flow of money from instruments to pillars to region groups.
Each returns its matplotlib Axes, takes an optional ``ax`` and labels itself from the data's attrs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from fundsim.comparison import Comparison, compare
from fundsim.errors import ArgumentError
from fundsim.plots.axes import label_of, new_axes
from fundsim.results import Allocation

__all__ = ["difference_heatmap", "flow_chart", "stacked_bars"]

_BY_TEXT = {"pillar": "pillar", "group": "region group", "instrument": "instrument", "region": "region",
            "priority": "priority", "year": "year"}


def _comparison(data: Comparison | Allocation | Sequence[Allocation]) -> Comparison:
    if isinstance(data, Comparison):
        return data
    return compare(data) if isinstance(data, Allocation) else compare(*data)


def stacked_bars(data: Comparison | Allocation | Sequence[Allocation], by: str = "pillar", ax: Any = None) -> Any:
    """One bar per allocation, its EU commitments stacked by ``pillar`` or region ``group`` (or any cube dim).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> from fundsim.plots.compare import stacked_bars
    >>> ax = stacked_bars(fs.solve(fs.load_scenario("scenarios/tutorial.yaml")), by="group")
    >>> ax.get_ylabel()
    'EU commitment [EUR m]'
    """
    cmp = _comparison(data)
    if by not in _BY_TEXT:
        raise ArgumentError(f"cannot stack by {by!r}: choose one of {', '.join(_BY_TEXT)}")
    table = cmp.summary(by)
    ax = new_axes(ax)
    bottom = np.zeros(len(table.columns))
    for label, row in table.iterrows():
        ax.bar(list(table.columns), row.values, bottom=bottom, label=str(label))
        bottom += row.values
    ax.set_ylabel(label_of(cmp.eu))
    ax.set_xlabel("allocation")
    ax.set_title(f"{cmp.scenario.name}: EU commitments by {_BY_TEXT[by]}")
    ax.legend(title=_BY_TEXT[by], bbox_to_anchor=(1.02, 1), loc="upper left", fontsize="small")
    return ax


def _grid(eu: xr.DataArray, rows: str, cols: str) -> xr.DataArray:
    """``eu`` summed onto ``rows`` × ``cols`` (cube dims, or ``pillar`` / ``group``), labels in first-seen order."""
    out = eu
    for by in (rows, cols):
        if by in ("pillar", "group"):
            order = list(dict.fromkeys(eu[by].values.tolist()))
            out = out.groupby(by).sum().sel({by: order})
    keep = {rows, cols}
    out = out.sum([d for d in out.dims if d not in keep])
    return out.transpose(rows, cols).assign_attrs(eu.attrs)


def difference_heatmap(comparison: Comparison, a: str, b: str, rows: str = "region", cols: str = "priority",
                       ax: Any = None, annotate: bool | None = None) -> Any:
    """Heatmap of ``b − a`` (EU commitments over the period) on ``rows`` × ``cols``, with a diverging colour map
    centred at 0: blue where ``b`` gives more, red where it gives less. Values are written in the cells of
    grids up to 150 cells (``annotate`` forces it either way).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> from fundsim.comparison import compare
    >>> from fundsim.plots.compare import difference_heatmap
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cmp = compare(fs.solve(sc), fs.solve(sc.evolve(name="other")), names=["base", "other"], scenario=sc)
    >>> difference_heatmap(cmp, "base", "other").get_title()
    'tutorial: other − base'
    """
    for name in (a, b):
        if name not in comparison.names:
            raise ArgumentError(f"no allocation called {name!r}: the comparison holds {list(comparison.names)}")
    eu = comparison.eu
    diff = _grid(eu.sel(allocation=b) - eu.sel(allocation=a), rows, cols).assign_attrs(eu.attrs)
    ax = new_axes(ax, (max(6.0, 0.45 * diff.shape[1] + 3), max(3.5, 0.35 * diff.shape[0] + 2)))
    values = diff.values
    limit = float(np.abs(values).max()) or 1.0
    image = ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label=label_of(diff, f", {b} − {a}"))
    ax.set_xticks(range(values.shape[1]), [str(v) for v in diff[cols].values], rotation=60, ha="right",
                  fontsize="small")
    ax.set_yticks(range(values.shape[0]), [str(v) for v in diff[rows].values], fontsize="small")
    ax.set_xlabel(_BY_TEXT.get(cols, cols))
    ax.set_ylabel(_BY_TEXT.get(rows, rows))
    ax.set_title(f"{comparison.scenario.name}: {b} − {a}")
    if annotate if annotate is not None else values.size <= 150:
        for (r, c), v in np.ndenumerate(values):
            if abs(v) > 1e-9:
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize="x-small")
    return ax


# ---- flow chart ---------------------------------------------------------------------------------------------
def _flows(data: xr.Dataset, variable: str) -> tuple[xr.DataArray, xr.DataArray]:
    """Money from instrument to pillar, and from pillar to region group."""
    da = data[variable]
    pillars = list(dict.fromkeys(da["pillar"].values.tolist()))
    groups = list(dict.fromkeys(da["group"].values.tolist()))
    first = da.sum(["region", "year"]).groupby("pillar").sum().sel(pillar=pillars)
    second = da.sum(["instrument", "year"]).groupby("pillar").sum().groupby("group").sum()
    return first.transpose("instrument", "pillar"), second.sel(pillar=pillars, group=groups).transpose("pillar",
                                                                                                         "group")


def _stack(totals: np.ndarray, gap: float) -> np.ndarray:
    """Top of each node when nodes of ``totals`` are stacked downwards with ``gap`` between them."""
    return -np.concatenate([[0.0], np.cumsum(totals + gap)[:-1]])


def _band(ax: Any, x0: float, x1: float, top0: float, top1: float, width: float, color: Any) -> None:
    """A band of ``width`` from (x0, top0) to (x1, top1), a smooth S-curve."""
    t = np.linspace(0.0, 1.0, 40)
    s = 3 * t**2 - 2 * t**3
    top = top0 + (top1 - top0) * s
    ax.fill_between(x0 + (x1 - x0) * t, top - width, top, color=color, alpha=0.45, linewidth=0)


def _nodes(ax: Any, x: float, labels: list[str], totals: np.ndarray, tops: np.ndarray, colors: list[Any],
           side: str) -> None:
    for label, total, top, color in zip(labels, totals, tops, colors, strict=True):
        ax.add_patch(_rectangle(x, top, total, color))
        ha, dx = ("right", -0.03) if side == "left" else ("left", 0.03) if side == "right" else ("center", 0.0)
        ax.text(x + dx, top - total / 2, f"{label} ({total:,.1f})", ha=ha, va="center", fontsize="small",
                bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0} if side == "middle" else None)


def _rectangle(x: float, top: float, height: float, color: Any) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.015, top - height), 0.03, height, color=color)


def _draw_stage(ax: Any, flows: np.ndarray, x: tuple[float, float], tops: tuple[np.ndarray, np.ndarray],
                colors: list[Any]) -> None:
    """Bands from each left node to each right node, stacked in label order at both ends."""
    out = tops[0].copy()
    inn = tops[1].copy()
    for i in range(flows.shape[0]):
        for j in range(flows.shape[1]):
            width = flows[i, j]
            if width > 0:
                _band(ax, x[0] + 0.015, x[1] - 0.015, out[i], inn[j], width, colors[i])
                out[i] -= width
                inn[j] -= width


def flow_chart(allocation: Allocation | xr.Dataset, variable: str = "eu", ax: Any = None) -> Any:
    """Where the money flows: instruments (left) → pillars (middle) → region groups (right), band widths in
    proportion to the money (``eu`` by default, or ``total``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> from fundsim.plots.compare import flow_chart
    >>> ax = flow_chart(fs.solve(fs.load_scenario("scenarios/tutorial.yaml")))
    >>> ax.get_title()
    'tutorial (optimal): EU commitment from instrument to pillar to region group [EUR m]'
    """
    import matplotlib.pyplot as plt

    data = allocation.data if isinstance(allocation, Allocation) else allocation
    first, second = _flows(data, variable)
    ins_tot, pil_tot, grp_tot = first.sum("pillar").values, first.sum("instrument").values, second.sum("pillar").values
    gap = 0.04 * float(ins_tot.sum() or 1.0)
    tops = (_stack(ins_tot, gap), _stack(pil_tot, gap), _stack(grp_tot, gap))
    ax = new_axes(ax, (10, 6))
    cmap = plt.get_cmap("tab10")
    ins_colors = [cmap(n % 10) for n in range(len(ins_tot))]
    pil_colors = [plt.get_cmap("Set2")(n % 8) for n in range(len(pil_tot))]
    _draw_stage(ax, first.values, (0.0, 1.0), (tops[0], tops[1]), ins_colors)
    _draw_stage(ax, second.values, (1.0, 2.0), (tops[1], tops[2]), pil_colors)
    _nodes(ax, 0.0, [str(v) for v in first["instrument"].values], ins_tot, tops[0], ins_colors, "left")
    _nodes(ax, 1.0, [str(v) for v in first["pillar"].values], pil_tot, tops[1], pil_colors, "middle")
    _nodes(ax, 2.0, [str(v) for v in second["group"].values], grp_tot, tops[2], ["0.4"] * len(grp_tot), "right")
    low = min(float((t - s).min()) for t, s in zip(tops, (ins_tot, pil_tot, grp_tot), strict=True))
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(low - gap, gap)
    ax.set_xticks([0, 1, 2], ["instrument", "pillar", "region group"])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    who = data.attrs.get("name") or data.attrs.get("status", "")
    what = label_of(data[variable], " from instrument to pillar to region group")
    ax.set_title(f"{data.attrs.get('scenario', '')} ({who}): {what}")
    return ax
