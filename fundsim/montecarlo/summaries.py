"""Summaries of a Monte Carlo run: distributions of the outputs, and how often each rule binds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.model import Scenario
from fundsim.results.names import shadow_prices_of
from fundsim.rules import user_rule

__all__ = ["binding_frequency", "chance", "exceedance", "expected", "summary", "target_probabilities"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FREQUENCY_COLUMNS = ("rule", "where", "binds_in", "mean_price_when_binding", "units", "infeasible_share")
HEADLINE = ("objective", "cofin", "realised_objective", "lost_to_decommitment", "lapsed", "payment_backlog",
            "cofin_shortfall")


def summary(run: xr.Dataset, quantiles: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
    """Mean, standard deviation and quantiles of each scalar output over the draws (NaN draws skipped),
    with the number of draws that count.

    Examples
    --------
    >>> import xarray as xr
    >>> run = xr.Dataset({"objective": ("draw", [100.0, 120.0, 140.0], {"units": "objective units"})})
    >>> summary(run).loc["objective", ["draws", "mean", "sd", "q50"]].tolist()
    [3.0, 120.0, 20.0, 120.0]
    """
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
    """How often each rule binds (nonzero shadow price) among the optimal draws, with its mean price then.

    ``binds_in`` is the share of the *optimal* draws in which the rule binds: a draw with no optimal
    allocation (infeasible, or stopped by the solver) has no shadow prices and is left out of the
    denominator. ``infeasible_share``, the same in every row, is the share of all draws so left out.
    Most frequent first. Links that price money rather than state a rule (``impact_link``, the marginal impact
    of money in each cell) are left out unless ``marginal_impact`` is true.

    Examples
    --------
    Four optimal draws and one infeasible one; the rule binds in two of the four:

    >>> import numpy as np, xarray as xr
    >>> run = xr.Dataset({"status": ("draw", ["optimal"] * 4 + ["infeasible"]),
    ...                   "shadow_price_cap": (("draw", "cap_id"), [[2.0], [0.0], [4.0], [0.0], [np.nan]])},
    ...                  coords={"cap_id": ["c1"]})
    >>> binding_frequency(run)[["rule", "where", "binds_in", "mean_price_when_binding", "infeasible_share"]]
      rule where  binds_in  mean_price_when_binding  infeasible_share
    0  cap    c1       0.5                      3.0               0.2
    """
    optimal = _optimal_draws(run)
    infeasible_share = np.count_nonzero(~optimal) / max(optimal.size, 1)
    rows = []
    for rule, stored in (shadow_prices_of(run) if optimal.any() else {}).items():
        if not (user_rule(rule) or marginal_impact):
            continue
        da = stored.isel(draw=optimal)
        binds = abs(da) > tol
        freq, mean_price = binds.mean("draw"), da.where(binds).mean("draw").to_series()
        for label, f in freq.to_series().items():
            if f > 0:
                rows.append({"rule": rule, "where": _where(label), "binds_in": float(f),
                             "mean_price_when_binding": float(mean_price[label]), "units": da.attrs.get("units", ""),
                             "infeasible_share": infeasible_share})
    table = pd.DataFrame(rows, columns=[*FREQUENCY_COLUMNS])
    return table.sort_values("binds_in", ascending=False, kind="stable").reset_index(drop=True)


def _optimal_draws(run: xr.Dataset) -> np.ndarray:
    """Which draws have an optimal allocation (every draw, in a run without a ``status``)."""
    if "status" not in run:
        return np.ones(run.sizes.get("draw", 0), dtype=bool)
    return np.asarray(run["status"].values.astype(str) == "optimal")


def _where(label: object) -> str:
    """A rule's coordinates as text: ``"a, b"`` for a tuple label."""
    return ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)


def exceedance(run: xr.Dataset, name: str, thresholds: np.ndarray | list[float]) -> pd.Series:
    """Probability that output ``name`` exceeds each threshold (over the draws where it is defined).

    Examples
    --------
    >>> import xarray as xr
    >>> run = xr.Dataset({"objective": ("draw", [100.0, 120.0, 130.0, float("nan")])})
    >>> exceedance(run, "objective", [110, 125]).tolist()  # of the three draws with a value
    [0.6666666666666666, 0.3333333333333333]
    """
    values = run[name].values.astype(float)
    values = values[np.isfinite(values)]
    return pd.Series([(values > t).mean() for t in thresholds], index=pd.Index(thresholds, name=name),
                     name=f"P({name} > threshold)")


def _by_label(run: xr.Dataset, name: str, reduce: Callable[[np.ndarray], float]) -> float | pd.Series:
    """``reduce`` applied to the values of output ``name`` over the draws where it is defined: a number for a
    per-draw output, a Series by label for one with one more dimension (``lost_by_instrument``)."""
    if name not in run:
        outputs = sorted(str(v) for v, da in run.data_vars.items() if "draw" in da.dims and da.ndim <= 2)
        raise ArgumentError(f"the run holds no output {name!r}; its outputs are: {', '.join(outputs)}")
    da = run[name]
    if da.dims == ("draw",):
        return reduce(da.values.astype(float))
    (label,) = [d for d in da.dims if d != "draw"]
    table = da.transpose("draw", label).values.astype(float)
    return pd.Series([reduce(table[:, n]) for n in range(table.shape[1])],
                     index=pd.Index(da[label].values, name=label), name=name)


def chance(run: xr.Dataset, name: str, *, above: float | None = None, below: float | None = None
           ) -> float | pd.Series:
    """Probability over the draws that output ``name`` lies above ``above`` and (or) below ``below`` (both
    strict; draws without a value are left out): "the probability that more than EUR 50 m lapses" is
    ``chance(run, "lapsed", above=50)``. An output by instrument (or region …) gives one probability per label.

    Examples
    --------
    >>> import xarray as xr
    >>> run = xr.Dataset({"lapsed": ("draw", [0.0, 60.0, 80.0, 20.0]),
    ...                   "lost_by_instrument": (("draw", "instrument"), [[0, 1], [0, 0], [2, 0], [0, 0]])},
    ...                  coords={"instrument": ["ipa", "enpi"]})
    >>> chance(run, "lapsed", above=50), chance(run, "lapsed", above=10, below=70)
    (0.5, 0.5)
    >>> chance(run, "lost_by_instrument", above=0).to_dict()
    {'ipa': 0.25, 'enpi': 0.25}
    """
    if above is None and below is None:
        raise ArgumentError("say what the chance is of: above=<number>, below=<number>, or both")

    def share(values: np.ndarray) -> float:
        values = values[np.isfinite(values)]
        inside = np.ones(values.shape, dtype=bool)
        if above is not None:
            inside &= values > above
        if below is not None:
            inside &= values < below
        return float(inside.mean()) if len(values) else float("nan")

    return _by_label(run, name, share)


def expected(run: xr.Dataset, name: str) -> float | pd.Series:
    """Mean of output ``name`` over the draws where it is defined: "the expected decommitment by instrument" is
    ``expected(run, "lost_by_instrument")`` (a Series by instrument; a number for a per-draw output).

    Examples
    --------
    >>> import xarray as xr
    >>> run = xr.Dataset({"lost_by_instrument": (("draw", "instrument"), [[0.0, 1.0], [4.0, float("nan")]])},
    ...                  coords={"instrument": ["ipa", "enpi"]})
    >>> expected(run, "lost_by_instrument").to_dict()
    {'ipa': 2.0, 'enpi': 1.0}
    """
    def mean(values: np.ndarray) -> float:
        values = values[np.isfinite(values)]
        return float(values.mean()) if len(values) else float("nan")

    return _by_label(run, name, mean)


def target_probabilities(run: xr.Dataset, scenario: Scenario) -> pd.DataFrame:
    """Probability over the draws that each pillar's and region's target is met.

    Targets are the scenario's pillar minimum shares, region minimums, minimum packages (counted on the
    region's whole money; a region planned in parts on all of its units together) and goal targets on one pillar
    or region. A stress run is judged on the money finally spent (after decommitment); a re-optimisation run on
    each draw's plan (an infeasible draw meets nothing).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> from fundsim.model import PillarBalance, Rules
    >>> sc = sc.evolve(rules=Rules(pillar_balance=(PillarBalance("legal", min_share=0.1),)))
    >>> table = target_probabilities(fs.simulate(sc, draws=8, seed=1), sc)
    >>> table[["target", "probability"]].to_dict("records")
    [{'target': 'at least 10% of EU money', 'probability': 1.0}]
    """
    stress = "spent_by_pillar" in run
    by_pillar = run["spent_by_pillar" if stress else "eu_by_pillar"]
    by_region = run["spent_by_region"] if stress else None
    total = by_pillar.sum("pillar", skipna=False)
    rows = []
    for rule in scenario.rules.pillar_balance:
        if rule.min_share:
            share = by_pillar.sel(pillar=rule.pillar) / total
            rows.append(("pillar", rule.pillar, f"at least {rule.min_share:.0%} of EU money", share >= rule.min_share
                         - 1e-9))
    regional = [(x.label, x.min, "region minimum") for x in scenario.rules.region_limits if x.min] + [
        (x.region, x.amount, "minimum package") for x in scenario.rules.min_packages if x.priorities is None]
    if by_region is not None:
        for region, amount, what in regional:
            spent = by_region.isel(region=scenario.units_of(region)).sum("region", skipna=False)
            rows.append(("region", region, f"{what}: EUR {amount:,.1f} m", spent >= amount - 1e-6))
    if scenario.objective.goals is not None:
        for t in scenario.objective.goals.targets:
            pillars = {p.pillar for p in scenario.priorities if t.selector.priorities is None
                       or p.id in t.selector.priorities}
            if (t.selector.regions is None and t.selector.instruments is None and len(pillars) == 1
                    and t.selector.priorities == frozenset(p.id for p in scenario.priorities if p.pillar in pillars)):
                (pillar,) = pillars
                rows.append(("pillar", pillar, f"goal {t.id}: EUR {t.amount:,.1f} m",
                             by_pillar.sel(pillar=pillar) >= t.amount - 1e-6))
    table = [{"level": level, "label": label, "target": text, "probability": float(met.mean("draw"))}
             for level, label, text, met in rows]
    return pd.DataFrame(table, columns=["level", "label", "target", "probability"])
