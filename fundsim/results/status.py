"""Every rule of a solved plan, binding or slack, with its distance to binding in the rule's own units.

A planner asks not only which rules bind but how far the others are from binding: a focus rule met with 0.3
points to spare is one revision away from deciding the plan. For each row of a user's rule the table gives the
plan's value, the nearer bound, the distance between them (EUR m for money rules, percentage points for share
rules) and the shadow price. Rows that carry headroom columns of their own (the appropriations' ``carried`` and
``unused``) are measured without them: what is committed against what the rule allows (the usable money plus
what the year before carried in).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fundsim.results.label import share_bases
from fundsim.rules import column_spec, user_rule
from fundsim.rules.program import Block, LinearProgram
from fundsim.solvers.base import SolveResult

__all__ = ["rule_status"]

TOL = 1e-7


def _clean(value: float) -> float:
    """A figure as reported: rounding noise below 1e-9 is zero (no ``-1.8e-15`` in a table)."""
    value = float(value)
    return 0.0 if abs(value) < 1e-9 else value


def _labels(block: Block) -> list[str]:
    pos = block.positions if block.positions is not None else np.unravel_index(np.arange(block.size), block.shape)
    return [", ".join(str(block.coords[d][pos[d][n]]) for d in range(len(block.dims))) or "(all)"
            for n in range(block.size)]


def rule_status(lp: LinearProgram, result: SolveResult, prices: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per row of every user's rule: ``rule``, ``where``, ``status`` (``binding``, ``slack``, or
    ``violated`` for a plan outside the rule, which a solved plan never is), ``side``
    (``maximum`` or ``minimum``: the nearer finite bound), ``value`` and ``bound`` (EUR m, or % for share rules),
    ``distance`` (how far the value lies inside the bound, in ``units``: EUR m or percentage points) and
    ``shadow_price`` (from ``prices``, per rule block in the LP's row order; NaN where not given).

    Examples
    --------
    The tutorial's pillar ceiling binds at 25 %; North Africa's absorption binds; the Eastern Partnership has none:

    >>> import fundsim as fs
    >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> table = alloc.rule_status()
    >>> pillar = table.loc[table["rule"] == "pillar_max_share", ["status", "value", "bound", "distance", "units"]]
    >>> pillar.values.tolist()
    [['binding', 25.0, 25.0, 0.0, 'percentage points']]
    """
    x, activity = np.asarray(result.x, float), np.asarray(result.row_activity, float)
    room = np.zeros(lp.num_col)
    for name, block in lp.variables.items():
        spec = column_spec(name)
        if spec is not None and spec.headroom:
            room[block.start:block.stop] = x[block.start:block.stop]
    parts = lp.A.multiply(room[None, :]).tocsr()  # each headroom column's part of each row
    left = np.asarray(parts.maximum(0).sum(axis=1)).ravel()  # what the row leaves (carried out, unused)
    came = -np.asarray(parts.minimum(0).sum(axis=1)).ravel()  # what came in (carried in): adds to the bound
    rows = []
    for name, block in lp.constraints.items():
        if not user_rule(name) or block.size == 0:
            continue
        s = slice(block.start, block.stop)
        value = activity[s] - left[s] + came[s]
        lower, upper = lp.row_lower[s] + came[s], lp.row_upper[s] + came[s]
        price = prices.get(name) if prices is not None else None
        share = block.per_point
        base = share_bases(lp, block, x) if share else None
        for n, where in enumerate(_labels(block)):
            lo, hi, v = lower[n], upper[n], value[n]
            if not (np.isfinite(lo) or np.isfinite(hi)):
                continue
            to_hi = hi - v if np.isfinite(hi) else np.inf
            to_lo = v - lo if np.isfinite(lo) else np.inf
            # a fixed row measured without its slack columns (committed = voted − unused) is a maximum
            side, distance = ("maximum", to_hi) if to_hi <= to_lo or lo == hi else ("minimum", to_lo)
            bound = hi if side == "maximum" else lo
            units, shown_value, shown_bound = "EUR m", v, bound
            if share and base is not None:
                b = base[n]
                beta = float(block.share[n]) if block.share is not None else 0.0
                units = "percentage points"
                shown_value = 100 * (v + beta * b) / b if b > 0 else np.nan
                shown_bound = 100 * beta
                distance = 100 * distance / b if b > 0 else np.nan
            binding = abs(distance) <= TOL * max(1.0, abs(shown_bound)) if np.isfinite(distance) else False
            status = "binding" if binding else "violated" if distance < 0 else "slack"
            rows.append({"rule": name, "where": where, "status": status, "side": side,
                         "value": _clean(shown_value), "bound": _clean(shown_bound),
                         "distance": 0.0 if binding else _clean(distance), "units": units,
                         "shadow_price": float(price[n]) if price is not None else np.nan})
    columns = ["rule", "where", "status", "side", "value", "bound", "distance", "units", "shadow_price"]
    return pd.DataFrame(rows, columns=columns)
