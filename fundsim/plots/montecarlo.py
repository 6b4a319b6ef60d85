"""Monte Carlo figures: the distribution of an output, a fan chart over years, how often rules bind,
and shadow-price distributions. Each returns its matplotlib Axes and takes an optional ``ax``."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from fundsim.plots.axes import label_of, new_axes
from fundsim.results.names import shadow_price_name

__all__ = ["binding_bars", "distribution", "fan_chart", "shadow_price_box"]


def distribution(run: xr.Dataset, name: str = "objective", bins: int = 40, ax: Any = None) -> Any:
    """Histogram of a scalar output over the draws, with its 5 %, 50 % and 95 % quantiles marked.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> run = fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=8, seed=7)
    >>> ax = distribution(run, bins=5)
    >>> ax.get_xlabel(), ax.get_title()
    ('optimal objective [objective units]', 'tutorial-uncertain: 8 draws')
    """
    ax = new_axes(ax)
    da = run[name]
    values = da.values.astype(float)
    values = values[np.isfinite(values)]
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.7)
    for q, style in ((0.05, ":"), (0.5, "-"), (0.95, ":")):
        ax.axvline(np.quantile(values, q), color="k", linestyle=style, label=f"{q:.0%}")
    ax.set_xlabel(label_of(da))
    ax.set_ylabel("draws")
    ax.set_title(f"{run.attrs.get('scenario', '')}: {len(values):,} draws")
    ax.legend(title="quantile")
    return ax


def fan_chart(run: xr.Dataset, name: str = "eu_by_year", dim: str = "year", ax: Any = None) -> Any:
    """Median and 5–95 % / 25–75 % bands of an output over a dimension (years by default).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> run = fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=8, seed=7)
    >>> ax = fan_chart(run, "eu_by_year")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('year', 'EU commitments by year [EUR m]')
    """
    ax = new_axes(ax)
    da = run[name]
    q = da.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="draw")
    x = da[dim].values
    ax.fill_between(x, q.sel(quantile=0.05), q.sel(quantile=0.95), alpha=0.2, color="tab:blue", label="5–95 %")
    ax.fill_between(x, q.sel(quantile=0.25), q.sel(quantile=0.75), alpha=0.4, color="tab:blue", label="25–75 %")
    ax.plot(x, q.sel(quantile=0.5), color="k", label="median")
    ax.set_xlabel(dim)
    ax.set_ylabel(label_of(da))
    ax.legend()
    return ax


def binding_bars(run: xr.Dataset, top: int = 15, ax: Any = None) -> Any:
    """How often each rule binds, as horizontal bars (share of the optimal draws).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> run = fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=8, seed=7)
    >>> binding_bars(run, top=5).get_xlabel()
    'share of the optimal draws in which the rule binds'
    """
    from fundsim.montecarlo.summaries import binding_frequency

    ax = new_axes(ax)
    table = binding_frequency(run).head(top).iloc[::-1]
    labels = [f"{r}: {w}" for r, w in zip(table["rule"], table["where"], strict=True)]
    ax.barh(labels, table["binds_in"], color="tab:orange")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the optimal draws in which the rule binds")
    return ax


def shadow_price_box(run: xr.Dataset, rule: str, top: int = 12, ax: Any = None) -> Any:
    """Distribution of a rule's shadow price over the draws, one box for each of the ``top`` labels of the
    rule with the largest mean absolute price (labels where the rule never binds are left out).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> run = fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=8, seed=7)
    >>> ax = shadow_price_box(run, "absorption")
    >>> ax.get_xlabel()
    'shadow price: absorption capacity (payments) [objective per EUR m]'
    >>> sorted(t.get_text() for t in ax.get_yticklabels())  # the Eastern Partnership has no absorption rule
    ['north_africa, 2009', 'north_africa, 2010']
    """
    ax = new_axes(ax)
    da = run[shadow_price_name(rule)]
    flat = da.stack(label=[d for d in da.dims if d != "draw"]) if da.ndim > 1 else da.expand_dims(label=[rule], axis=1)
    weight = np.nan_to_num(np.abs(flat.values)).mean(axis=0)
    keep = [int(n) for n in np.argsort(-weight)[:top] if weight[n] > 0][::-1]
    data = [flat.isel(label=n).values[np.isfinite(flat.isel(label=n).values)] for n in keep]
    names = [", ".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in flat["label"].values[keep]]
    ax.boxplot(data, orientation="horizontal", tick_labels=names)
    ax.set_xlabel(label_of(da))
    return ax
