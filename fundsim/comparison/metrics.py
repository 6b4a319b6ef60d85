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
>>> from fundsim.comparison import metrics
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

from fundsim.model import Scenario
from fundsim.results.objective import ATOL, impact_value, objective_terms, objective_value, selected

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

CUBE = ("instrument", "priority", "region", "year")


# ---- reading an allocation --------------------------------------------------------------------------
def cube(sc: Scenario, data: xr.Dataset, name: str = "eu") -> np.ndarray:
    """The variable ``name`` of an allocation as a numpy cube in the scenario's label order.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = cube(sc, fs.solve(sc).data)
    >>> eu.shape, float(eu.sum())
    ((2, 3, 2, 2), 60.0)
    """
    da = data[name].transpose(*CUBE)
    return np.asarray(da.sel({d: list(c) for d, c in sc.coords().items()}).values, dtype=float)


def _share(part: np.ndarray | float, whole: float) -> np.ndarray | float:
    """``part`` in per cent of ``whole`` (NaN when there is nothing)."""
    return 100.0 * np.asarray(part) / whole if whole > 0 else np.full(np.shape(part), np.nan)


# ---- shares -----------------------------------------------------------------------------------------
def pillar_shares(sc: Scenario, data: xr.Dataset) -> pd.Series:
    """Per cent of EU commitments going to each pillar: ``100 · Σ_{p in pillar} eu / E``.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> pillar_shares(sc, fs.solve(sc).data).round(2).to_dict()  # 10, 35 and 15 of 60
    {'legal': 16.67, 'irregular': 58.33, 'development': 25.0}
    """
    eu = cube(sc, data).sum(axis=(0, 2, 3))
    pillar_of = np.array(sc.priority_pillars)
    values = [eu[pillar_of == q].sum() for q in sc.pillar_ids]
    return pd.Series(_share(np.array(values), float(eu.sum())), index=pd.Index(sc.pillar_ids, name="pillar"))


def group_shares(sc: Scenario, data: xr.Dataset) -> pd.Series:
    """Per cent of EU commitments going to each region group (south, east, …), groups in first-seen order.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> group_shares(sc, fs.solve(sc).data).round(2).to_dict()  # 50 and 10 of 60
    {'south': 83.33, 'east': 16.67}
    """
    eu = cube(sc, data).sum(axis=(0, 1, 3))
    group_of = np.array(sc.region_groups)
    groups = list(dict.fromkeys(sc.region_groups))
    values = [eu[group_of == g].sum() for g in groups]
    return pd.Series(_share(np.array(values), float(eu.sum())), index=pd.Index(groups, name="group"))


def focus_shares(sc: Scenario, data: xr.Dataset) -> pd.Series:
    """Per cent of EU commitments going to the regions of each geographic-focus rule of the scenario (§21).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import GeographicFocus, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> east = GeographicFocus("east", frozenset({"eastern_partnership"}), min_share=0.1)
    >>> focus_shares(sc.evolve(rules=Rules(geographic_focus=(east,))), fs.solve(sc).data).round(2).to_dict()
    {'east': 16.67}
    """
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

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import PillarBalance, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> plan = fs.solve(sc).data
    >>> pillar_balance_distance(sc, plan)  # development at 25 %, its maximum
    0.0
    >>> strict = sc.evolve(rules=Rules(pillar_balance=(PillarBalance("development", max_share=0.2),)))
    >>> round(pillar_balance_distance(strict, plan), 6)  # 25 % against a maximum of 20 %
    5.0
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

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> plan = fs.solve(sc).data
    >>> round(herfindahl(sc, plan, "region"), 4), round(herfindahl(sc, plan, "instrument"), 4)  # 50:10, 20:40
    (0.7222, 0.5556)
    """
    eu = cube(sc, data)
    by = eu.sum(axis=tuple(a for a, d in enumerate(CUBE) if d != dim))
    total = float(by.sum())
    return float(((by / total) ** 2).sum()) if total > 0 else float("nan")


# ---- money and coherence ----------------------------------------------------------------------------
def leverage(sc: Scenario, data: xr.Dataset) -> float:
    """Total cost per EUR of EU money: ``Σ total / Σ eu`` (1 without co-financing, 1.25 at an 80 % EU share).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> round(leverage(sc, fs.solve(sc).data), 4)  # 65 of total cost for 60 of EU money
    1.0833
    """
    eu = float(cube(sc, data).sum())
    return float(cube(sc, data, "total").sum()) / eu if eu > 0 else float("nan")


def _cells(sc: Scenario, data: xr.Dataset) -> np.ndarray:
    """Boolean ``(instrument, priority, region)``: the instrument funds the cell over the period."""
    return cube(sc, data).sum(axis=3) > ATOL


def active_cells(sc: Scenario, data: xr.Dataset) -> int:
    """Number of priority × region cells receiving EU money over the period.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> active_cells(sc, fs.solve(sc).data)  # remittances and return in North Africa, mobility in the East
    3
    """
    return int(_cells(sc, data).any(axis=0).sum())


def instruments_per_cell(sc: Scenario, data: xr.Dataset) -> float:
    """Mean number of instruments funding an active priority × region cell (1 = one instrument per cell).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> round(instruments_per_cell(sc, fs.solve(sc).data), 4)  # mobility in the East has both instruments
    1.3333
    """
    count = _cells(sc, data).sum(axis=0)
    active = count[count > 0]
    return float(active.mean()) if active.size else float("nan")


def multi_instrument_share(sc: Scenario, data: xr.Dataset) -> float:
    """Per cent of active priority × region cells funded by more than one instrument.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> round(multi_instrument_share(sc, fs.solve(sc).data), 2)  # 1 cell of 3
    33.33
    """
    count = _cells(sc, data).sum(axis=0)
    active = count[count > 0]
    return float(100.0 * (active > 1).mean()) if active.size else float("nan")


def average_commitment(sc: Scenario, data: xr.Dataset) -> float:
    """Mean size of a commitment, ``E / (number of instrument × priority × region × year entries > 0)``.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> round(average_commitment(sc, fs.solve(sc).data), 6)  # 60 over 6 instrument x priority x region x year entries
    10.0
    """
    eu = cube(sc, data)
    n = int((eu > ATOL).sum())
    return float(eu.sum()) / n if n else float("nan")


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
    ``"pillar share: legal"``), columns ``units`` and ``value``.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> table = metrics_table(sc, fs.solve(sc).data)
    >>> round(float(table.loc["co-financing", "value"]), 6), table.loc["pillar share: legal", "units"]
    (5.0, '% of EU commitments')
    """
    rows = []
    for name, units, fn in METRICS:
        value = fn(sc, data)
        if isinstance(value, pd.Series):
            rows += [(f"{name}: {label}", units, float(v)) for label, v in value.items()]
        else:
            rows.append((name, units, float(value)))
    return pd.DataFrame(rows, columns=["metric", "units", "value"]).set_index("metric")
