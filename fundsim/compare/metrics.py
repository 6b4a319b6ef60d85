"""What an evaluator measures on an allocation, each metric a small function with a hand-checkable definition.

Every function takes the :class:`~fundsim.model.Scenario` and an allocation's ``data`` Dataset (``eu``,
``cofin``, ``total`` over instrument × priority × region × year, EUR m) and returns a number or a
labelled Series. Shares are in per cent of all EU commitments ``E``; a *cell* is a priority × region pair
over the whole period, a *commitment* one instrument × priority × region × year entry. Amounts up to
``ATOL`` (EUR 1) count as nothing, as in :func:`fundsim.testing.violations`.

:func:`objective_value` scores any EU cube by the scenario's objective without the LP, so an actual or
imported allocation can be set beside the optimum.

Examples
--------
>>> import fundsim as fs
>>> from fundsim.compare import metrics
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> alloc = fs.solve(sc)
>>> metrics.pillar_shares(sc, alloc.data).round(2).to_dict()
{'legal': 16.67, 'irregular': 58.33, 'development': 25.0}
>>> metrics.objective_value(sc, alloc.data["eu"].values)
130.0
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from fundsim.model import Scenario, Selector

__all__ = [
    "ATOL",
    "METRICS",
    "active_cells",
    "average_commitment",
    "cube",
    "focus_shares",
    "group_shares",
    "herfindahl",
    "impact_value",
    "instruments_per_cell",
    "leverage",
    "metrics_table",
    "multi_instrument_share",
    "objective_terms",
    "objective_value",
    "pillar_balance_distance",
    "pillar_shares",
    "selected",
]

ATOL = 1e-6
CUBE = ("instrument", "priority", "region", "year")


# ---- reading an allocation --------------------------------------------------------------------------
def cube(sc: Scenario, data: xr.Dataset, name: str = "eu") -> np.ndarray:
    """The variable ``name`` of an allocation as a numpy cube in the scenario's label order."""
    da = data[name].transpose(*CUBE)
    return np.asarray(da.sel({d: list(c) for d, c in sc.coords().items()}).values, dtype=float)


def _share(part: np.ndarray | float, whole: float) -> np.ndarray | float:
    """``part`` in per cent of ``whole`` (NaN when there is nothing)."""
    return 100.0 * np.asarray(part) / whole if whole > 0 else np.full(np.shape(part), np.nan)


# ---- shares -----------------------------------------------------------------------------------------
def pillar_shares(sc: Scenario, data: xr.Dataset) -> pd.Series:
    """Per cent of EU commitments going to each pillar: ``100 · Σ_{p in pillar} eu / E``."""
    eu = cube(sc, data).sum(axis=(0, 2, 3))
    pillar_of = np.array(sc.priority_pillars)
    values = [eu[pillar_of == q].sum() for q in sc.pillar_ids]
    return pd.Series(_share(np.array(values), float(eu.sum())), index=pd.Index(sc.pillar_ids, name="pillar"))


def group_shares(sc: Scenario, data: xr.Dataset) -> pd.Series:
    """Per cent of EU commitments going to each region group (south, east, …), groups in first-seen order."""
    eu = cube(sc, data).sum(axis=(0, 1, 3))
    group_of = np.array(sc.region_groups)
    groups = list(dict.fromkeys(sc.region_groups))
    values = [eu[group_of == g].sum() for g in groups]
    return pd.Series(_share(np.array(values), float(eu.sum())), index=pd.Index(groups, name="group"))


def focus_shares(sc: Scenario, data: xr.Dataset) -> pd.Series:
    """Per cent of EU commitments going to the regions of each geographic-focus rule of the scenario (§21)."""
    eu = cube(sc, data).sum(axis=(0, 1, 3))
    rules = sc.rules.geographic_focus
    values = [eu[np.isin(sc.region_ids, list(f.regions))].sum() for f in rules]
    return pd.Series(_share(np.array(values), float(eu.sum())), index=pd.Index([f.id for f in rules], name="focus"),
                     dtype=float)


def pillar_balance_distance(sc: Scenario, data: xr.Dataset) -> float:
    """How far the pillar shares lie outside the pillar-balance rule (§4), in percentage points.

    ``Σ_q max(0, 100·min_q − s_q, s_q − 100·max_q)`` over the rule's pillars, ``s_q`` the pillar's share in
    per cent: 0 when every pillar lies in its band. With bands 15–30 % and shares 10, 35 and 20 % it is
    5 + 5 + 0 = 10.
    """
    shares = pillar_shares(sc, data)
    total = 0.0
    for rule in sc.rules.pillar_balance:
        s = float(shares[rule.pillar])
        low = -np.inf if rule.min_share is None else 100.0 * rule.min_share
        high = np.inf if rule.max_share is None else 100.0 * rule.max_share
        total += max(0.0, low - s, s - high)
    return total


def herfindahl(sc: Scenario, data: xr.Dataset, dim: str) -> float:
    """Herfindahl concentration of EU money over ``dim`` (``"region"`` or ``"instrument"``): ``Σ_g (x_g/E)²``.

    From ``1/n`` (spread evenly over the n labels) to 1 (all in one). Shares 0.5, 0.3, 0.2 give 0.38.
    """
    eu = cube(sc, data)
    by = eu.sum(axis=tuple(a for a, d in enumerate(CUBE) if d != dim))
    total = float(by.sum())
    return float(((by / total) ** 2).sum()) if total > 0 else float("nan")


# ---- money and coherence ----------------------------------------------------------------------------
def leverage(sc: Scenario, data: xr.Dataset) -> float:
    """Total cost per EUR of EU money: ``Σ total / Σ eu`` (1 without co-financing, 1.25 at an 80 % EU share)."""
    eu = float(cube(sc, data).sum())
    return float(cube(sc, data, "total").sum()) / eu if eu > 0 else float("nan")


def _cells(sc: Scenario, data: xr.Dataset) -> np.ndarray:
    """Boolean ``(instrument, priority, region)``: the instrument funds the cell over the period."""
    return cube(sc, data).sum(axis=3) > ATOL


def active_cells(sc: Scenario, data: xr.Dataset) -> int:
    """Number of priority × region cells receiving EU money over the period."""
    return int(_cells(sc, data).any(axis=0).sum())


def instruments_per_cell(sc: Scenario, data: xr.Dataset) -> float:
    """Mean number of instruments funding an active priority × region cell (1 = one instrument per cell)."""
    count = _cells(sc, data).sum(axis=0)
    active = count[count > 0]
    return float(active.mean()) if active.size else float("nan")


def multi_instrument_share(sc: Scenario, data: xr.Dataset) -> float:
    """Per cent of active priority × region cells funded by more than one instrument."""
    count = _cells(sc, data).sum(axis=0)
    active = count[count > 0]
    return float(100.0 * (active > 1).mean()) if active.size else float("nan")


def average_commitment(sc: Scenario, data: xr.Dataset) -> float:
    """Mean size of a commitment, ``E / (number of instrument × priority × region × year entries > 0)``."""
    eu = cube(sc, data)
    n = int((eu > ATOL).sum())
    return float(eu.sum()) / n if n else float("nan")


# ---- the objective, without the LP ------------------------------------------------------------------
def selected(sel: Selector, sc: Scenario) -> np.ndarray:
    """Boolean cube ``(instrument, priority, region, year)`` of the cells a selector names."""
    v = [sel.vector(dim, tuple(labels)) for dim, labels in sc.coords().items()]
    return v[0][:, None, None, None] & v[1][None, :, None, None] & v[2][None, None, :, None] & v[3]


def impact_value(sc: Scenario, eu: np.ndarray) -> float:
    """The impact term: ``Σ_{p,r} Σ_s w[p,r]·slope_s·clip(m[p,r] − b_{s−1}, 0, b_s − b_{s−1})``.

    ``m[p,r] = Σ_{i,y} f·eu`` is the money reaching the cell (``f = 1 + k`` on the total-cost basis, 1 on
    the EU basis) and ``b`` the breakpoints (0 before the first, ∞ after the last). Only segments worth
    something (``w·slope > 0``) count, as in the LP, which fills the segments in order.
    """
    term = sc.objective.impact
    if term is None:
        return 0.0
    factor = 1.0 + sc.match_ratio[..., None] if term.basis == "total" else 1.0
    money = (factor * eu).sum(axis=(0, 3))
    w = term.weight * term.weights
    if not term.breakpoints:
        return float((w * money).sum() * term.slopes[0])
    edges = np.array([0.0, *term.breakpoints, np.inf])
    value = 0.0
    for s, slope in enumerate(term.slopes):
        filled = np.clip(money - edges[s], 0.0, edges[s + 1] - edges[s])
        worth = w * slope
        value += float(np.where(worth > 0, worth * filled, 0.0).sum())
    return value


def objective_terms(sc: Scenario, eu: np.ndarray) -> dict[str, float]:
    """The scenario's objective terms for a dense EU cube ``(instrument, priority, region, year)``.

    ``impact`` (:func:`impact_value`), ``leverage`` (``λ·Σ k·eu``: co-financing at the rules' rate, as the
    LP plans it), ``goals`` (``Σ_t weight·weight_t·max(0, amount_t − Σ_{slice t} eu)``, the weighted
    shortfall) and ``admin`` (the administrative cost times the number of priority × region cells with EU
    money), each present when the scenario has the term.
    """
    obj = sc.objective
    terms: dict[str, float] = {}
    if obj.impact is not None:
        terms["impact"] = impact_value(sc, eu)
    if obj.leverage is not None:
        terms["leverage"] = obj.leverage.weight * float((sc.match_ratio[..., None] * eu).sum())
    if obj.goals is not None:
        short = [max(0.0, t.amount - float(eu[selected(t.selector, sc)].sum())) for t in obj.goals.targets]
        terms["goals"] = obj.goals.weight * float(np.dot([t.weight for t in obj.goals.targets], short))
    if sc.rules.admin_cost is not None:
        terms["admin"] = sc.rules.admin_cost.cost * int((eu.sum(axis=(0, 3)) > ATOL).sum())
    return terms


def objective_value(sc: Scenario, eu: np.ndarray) -> float:
    """The scenario's objective for any EU cube, computed without the LP.

    ``impact + leverage − goals − admin`` when the scenario maximises, ``goals + admin`` when it only
    minimises shortfall (see :func:`objective_terms`). Money in cells outside eligibility counts like
    any other money (the LP never puts any there; compliance reports it). At the LP's optimum this equals
    the solver's objective.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, :] = 5.0  # TPMA: 5 a year for remittances in North Africa, weight 3
    >>> objective_value(sc, eu)
    30.0
    """
    terms = objective_terms(sc, np.asarray(eu, dtype=float))
    if sc.objective.sense == "min":
        return terms.get("goals", 0.0) + terms.get("admin", 0.0)
    return terms.get("impact", 0.0) + terms.get("leverage", 0.0) - terms.get("goals", 0.0) - terms.get("admin", 0.0)


# ---- the table ---------------------------------------------------------------------------------------
Metric = Callable[[Scenario, xr.Dataset], "float | pd.Series"]

METRICS: tuple[tuple[str, str, Metric], ...] = (
    ("EU commitments", "EUR m", lambda sc, d: float(cube(sc, d).sum())),
    ("co-financing", "EUR m", lambda sc, d: float(cube(sc, d, "cofin").sum())),
    ("total cost", "EUR m", lambda sc, d: float(cube(sc, d, "total").sum())),
    ("leverage (total cost / EU money)", "ratio", leverage),
    ("pillar share", "% of EU commitments", pillar_shares),
    ("region group share", "% of EU commitments", group_shares),
    ("focus share (§21)", "% of EU commitments", focus_shares),
    ("distance from the pillar balance (§4)", "percentage points", pillar_balance_distance),
    ("Herfindahl concentration by region", "index (1/n to 1)", lambda sc, d: herfindahl(sc, d, "region")),
    ("Herfindahl concentration by instrument", "index (1/n to 1)", lambda sc, d: herfindahl(sc, d, "instrument")),
    ("active priority × region cells", "cells", active_cells),
    ("instruments per active cell", "instruments", instruments_per_cell),
    ("cells funded by more than one instrument", "% of active cells", multi_instrument_share),
    ("average commitment size", "EUR m", average_commitment),
)


def metrics_table(sc: Scenario, data: xr.Dataset) -> pd.DataFrame:
    """Every metric of :data:`METRICS` for one allocation: rows ``metric`` (labelled, e.g.
    ``"pillar share: legal"``), columns ``units`` and ``value``."""
    rows = []
    for name, units, fn in METRICS:
        value = fn(sc, data)
        if isinstance(value, pd.Series):
            rows += [(f"{name}: {label}", units, float(v)) for label, v in value.items()]
        else:
            rows.append((name, units, float(value)))
    return pd.DataFrame(rows, columns=["metric", "units", "value"]).set_index("metric")
