"""Sensitivity figures: a tornado chart, Sobol' bars with confidence intervals, the Morris plane and a
sweep's response curve. Each labels itself from the data's attrs, takes an optional ``ax`` and returns
its matplotlib Axes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.plots.axes import label, new_axes

__all__ = ["morris_scatter", "sobol_bars", "sweep_plot", "tornado_chart"]


def _one_output(ds: xr.Dataset, output: str | None) -> str:
    names = [str(x) for x in ds["output"].values]
    if output is None:
        return names[0]
    if output not in names:
        raise ArgumentError(f"the study has no output {output!r}; its outputs are: {', '.join(names)}")
    return output


def tornado_chart(table: pd.DataFrame, top: int = 15, ax: Any = None) -> Any:
    """Bars from the output at each input's low quantile to its high one, around the base value; the
    largest swing on top. ``table`` is :func:`fundsim.sensitivity.tornado`'s DataFrame.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> ax = tornado_chart(fs.sensitivity.tornado(fs.load_scenario("scenarios/tutorial-uncertain.yaml")), top=2)
    >>> ax.get_xlabel(), len(ax.get_yticklabels())
    ('optimal objective [objective units]', 2)
    """
    ax = new_axes(ax)
    rows = table.head(top).iloc[::-1]
    base = table.attrs["base"]
    y = np.arange(len(rows))
    ax.barh(y, rows["output_low"] - base, left=base, color="tab:blue",
            label=f"input at its {table.attrs['low_quantile']:.0%} quantile")
    ax.barh(y, rows["output_high"] - base, left=base, color="tab:orange",
            label=f"input at its {table.attrs['high_quantile']:.0%} quantile")
    ax.axvline(base, color="k", linewidth=1)
    ax.set_yticks(y, [f"{i} ({k})" if k == "factor" else str(i) for i, k in zip(rows["input"], rows["kind"],
                                                                                  strict=True)])
    ax.set_xlabel(label(table.attrs["long_name"], table.attrs["units"]))
    ax.set_title(f"{table.attrs['scenario']}: every other input at its median")
    ax.legend(fontsize="small")
    return ax


def sobol_bars(study: xr.Dataset, output: str | None = None, ax: Any = None) -> Any:
    """First-order and total Sobol' indices of one output, with their confidence intervals as error bars.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> risky = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> study = fs.sensitivity.sobol(risky, n=8, ignore_correlation=True)
    >>> ax = sobol_bars(study)
    >>> ax.get_ylabel(), ax.get_title()
    ("Sobol' index [share of the output's variance]", "optimal objective: Sobol' indices (n = 8)")
    """
    ax = new_axes(ax)
    output = _one_output(study, output)
    si = study["indices"].sel(output=output)
    x = np.arange(si.sizes["parameter"])
    for shift, name, colour in ((-0.2, "S1", "tab:blue"), (0.2, "ST", "tab:orange")):
        ax.bar(x + shift, si.sel(index=name), width=0.4, yerr=si.sel(index=f"{name}_conf"), capsize=3,
               color=colour, label={"S1": "first order S1", "ST": "total ST"}[name])
    ax.set_xticks(x, [str(p) for p in si["parameter"].values], rotation=30, ha="right")
    ax.set_ylabel(label(study["indices"].attrs["long_name"], study["indices"].attrs["units"]))
    long_name = str(study["long_name"].sel(output=output).values)
    ax.set_title(f"{long_name}: Sobol' indices (n = {study.attrs['n']})")
    ax.legend()
    return ax


def morris_scatter(study: xr.Dataset, output: str | None = None, ax: Any = None) -> Any:
    """Each input on the Morris plane: mean absolute elementary effect μ* against its spread σ.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> study = fs.sensitivity.morris(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), trajectories=4,
    ...                               ignore_correlation=True)
    >>> morris_scatter(study).get_title()
    'optimal objective: Morris screening'
    """
    ax = new_axes(ax)
    output = _one_output(study, output)
    mi = study["indices"].sel(output=output)
    mu_star, sigma = mi.sel(index="mu_star").values, mi.sel(index="sigma").values
    ax.errorbar(mu_star, sigma, xerr=mi.sel(index="mu_star_conf").values, fmt="o", capsize=3)
    for name, x, y in zip(mi["parameter"].values, mu_star, sigma, strict=True):
        ax.annotate(str(name), (x, y), textcoords="offset points", xytext=(4, 4), fontsize="small")
    units = f"{study['units'].sel(output=output).values} per unit of quantile"
    ax.set_xlabel(label("μ*, mean absolute elementary effect", units))
    ax.set_ylabel(label("σ, spread of the elementary effects", units))
    ax.set_title(f"{study['long_name'].sel(output=output).values}: Morris screening")
    return ax


def sweep_plot(study: xr.Dataset, name: str = "objective", ax: Any = None) -> Any:
    """A sweep's output against the swept value (infeasible points leave a gap).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> ax = sweep_plot(fs.sensitivity.sweep(sc, "instruments.tpma.envelope", [0.5, 1.0, 1.5], relative=True))
    >>> ax.lines[0].get_ydata().tolist(), ax.get_ylabel()
    ([110.0, 130.0, 147.5], 'optimal objective [objective units]')
    """
    ax = new_axes(ax)
    da = study[name]
    if da.dims != ("value",):
        raise ArgumentError(f"{name!r} is not one number per swept value (its dims are {da.dims}); choose one of: "
                         + ", ".join(str(v) for v in study.data_vars if study[v].dims == ("value",)))
    x = study["value"]
    ax.plot(x.values, da.values, marker=".")
    ax.set_xlabel(label(x.attrs.get("long_name", "value"), x.attrs.get("units")))
    ax.set_ylabel(label(da.attrs.get("long_name", name), da.attrs.get("units")))
    return ax
