"""Summaries of a Monte Carlo run: distributions of the outputs, and how often each rule binds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["binding_frequency", "exceedance", "summary"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HEADLINE = ("objective", "cofin", "realised_objective", "lost_to_decommitment", "payment_backlog", "cofin_shortfall")


def summary(run: xr.Dataset, quantiles: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
    """Mean, standard deviation and quantiles of each scalar output over the draws (NaN draws skipped),
    with the number of draws that count."""
    rows = {}
    for name in HEADLINE:
        if name in run:
            values = run[name].values.astype(float)
            ok = values[np.isfinite(values)]
            rows[name] = {"units": run[name].attrs.get("units", ""), "draws": len(ok),
                          "mean": ok.mean() if len(ok) else np.nan, "sd": ok.std(ddof=1) if len(ok) > 1 else np.nan,
                          **{f"q{round(q * 100):02d}": np.quantile(ok, q) if len(ok) else np.nan for q in quantiles}}
    return pd.DataFrame.from_dict(rows, orient="index")


def binding_frequency(run: xr.Dataset, tol: float = 1e-7, *, marginal_impact: bool = False) -> pd.DataFrame:
    """Share of the (optimal) draws in which each rule binds (nonzero shadow price), with the mean price
    when it binds; most frequent first. ``impact_link`` (the marginal impact of money in each cell, not a
    rule) is left out unless ``marginal_impact`` is true."""
    rows = []
    for name in (v for v in run.data_vars if str(v).startswith("shadow_")):
        if name == "shadow_impact_link" and not marginal_impact:
            continue
        da = run[name]
        rule = str(name).removeprefix("shadow_")
        binds = abs(da) > tol
        freq = binds.mean("draw")
        mean_price = da.where(binds).mean("draw")
        for label, f in freq.to_series().items():
            if f > 0:
                where = ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)
                price = mean_price.to_series()[label]
                rows.append({"rule": rule, "where": where, "binds_in": float(f), "mean_price_when_binding":
                             float(price), "units": da.attrs.get("units", "")})
    table = pd.DataFrame(rows, columns=["rule", "where", "binds_in", "mean_price_when_binding", "units"])
    return table.sort_values("binds_in", ascending=False, kind="stable").reset_index(drop=True)


def exceedance(run: xr.Dataset, name: str, thresholds: np.ndarray | list[float]) -> pd.Series:
    """Probability that output ``name`` exceeds each threshold (over the draws where it is defined)."""
    values = run[name].values.astype(float)
    values = values[np.isfinite(values)]
    return pd.Series([(values > t).mean() for t in thresholds], index=pd.Index(thresholds, name=name),
                     name=f"P({name} > threshold)")
