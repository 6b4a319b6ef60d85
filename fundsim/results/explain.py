"""An allocation in plain sentences: which rules bind, what relaxing them is worth and for how long, and
which impact weights carry the objective and how far they may move before the allocation changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fundsim.errors import SolverError
from fundsim.results.label import (
    CostParameter,
    cost_parameters,
    exact_rule_intervals,
    exact_weight_intervals,
    row_index,
)
from fundsim.rules import user_rule

if TYPE_CHECKING:  # Allocation.explain imports this module when called: no import cycle at run time
    from fundsim.results.allocation import Allocation

__all__ = ["explain"]

TOL = 1e-7  # a shadow price below this is no price
EXACT_COLUMNS = 5_000  # by default, exact intervals up to this many LP columns (the reference scenario has 2,959)


@dataclass(frozen=True)
class _Rule:
    name: str
    label: dict[str, object]
    price: float
    units: str
    long_name: str

    @property
    def where(self) -> str:
        return ", ".join(map(str, self.label.values()))


def explain(alloc: Allocation, top: int = 10, *, exact: bool | None = None) -> list[str]:
    """The binding rules with their shadow prices and validity intervals, and the most influential weights.

    Parameters
    ----------
    alloc : a solved :class:`Allocation` (or one read from NetCDF, explained from its stored ranging)
    top : how many rules and how many weights to explain
    exact : give the whole interval over which each price (allocation) holds, two small LPs per number
        listed (0.04 s each on the reference scenario, 2 s on a synthetic LP of 34,000 columns); otherwise
        the optimal basis's interval, over which it holds at least (and which the sentence says). By
        default exact for LPs of up to ``EXACT_COLUMNS`` columns.

    Returns
    -------
    list of sentences: a headline, then one per binding rule (largest shadow price first), then one per
    objective weight, those carrying the largest part of the objective first.

    Examples
    --------
    >>> import fundsim as fs
    >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> for line in explain(alloc, top=2):  # doctest: +NORMALIZE_WHITESPACE
    ...     print(line)
    tutorial: objective 130 (maximise). Binding rules, largest shadow price first:
    - usable envelope (tpma, 2009): relaxing it by 1 EUR m is worth 1.75; this holds while the bound is
      between 5 and 90 EUR m (now 10).
    - usable envelope (tpma, 2010): relaxing it by 1 EUR m is worth 1.75; this holds while the bound is
      between 5 and 90 EUR m (now 10).
    Objective weights, those carrying most of the objective first:
    - impact weight (return, north_africa) = 2 carries 70 of the objective; the allocation stays optimal
      while the weight is between 1.5 and 3.
    - impact weight (remittances, north_africa) = 3 carries 45 of the objective; the allocation stays
      optimal while the weight is 2 or more.
    """
    if exact is None:
        exact = alloc.lp is not None and alloc.lp.num_col <= EXACT_COLUMNS
    a = alloc.data.attrs
    lines = [f"{a.get('scenario')}: objective {float(a['objective']):,.6g} ({a.get('sense')}). "
             "Binding rules, largest shadow price first:"]
    rules = _binding(alloc, top)
    intervals, note = _rule_intervals(alloc, rules, exact)
    minimise = a.get("sense") == "minimise"
    lines += [_rule_sentence(rule, ends, note, minimise) for rule, ends in zip(rules, intervals, strict=True)]
    if rules and intervals[0] is None:
        lines.append(f"  (No validity intervals: {note}.)")
    if not rules:
        lines.append("- none: no rule has a shadow price; the objective alone decides the allocation.")
    lines += _weight_lines(alloc, top, exact)
    return lines


# rules -------------------------------------------------------------------------------------------------
def _binding(alloc: Allocation, top: int) -> list[_Rule]:
    """The rules with a shadow price, largest first (as :meth:`Allocation.binding_rules`)."""
    rules = []
    for name, da in alloc.duals.data_vars.items():
        if not user_rule(str(name)):
            continue
        series = da.to_series().dropna()
        for label, price in series[series.abs() > TOL].items():
            values = label if isinstance(label, tuple) else (label,)
            rules.append(_Rule(str(name), dict(zip(map(str, da.dims), values, strict=True)), float(price),
                               da.attrs["units"],
                               da.attrs["long_name"].removeprefix("shadow price: ")))
    rules.sort(key=lambda r: -abs(r.price))
    return rules[:top]


def _rule_intervals(alloc: Allocation, rules: list[_Rule], exact: bool) -> tuple[list[np.ndarray | None], str]:
    """``[low, value, high]`` per rule and how it was found: ``"exact"``, ``"basis"`` or why there is none."""
    if exact and rules and alloc.lp is not None and alloc.result is not None and alloc.scenario is not None:
        try:
            picks = [(r.name, int(row_index(alloc.lp, r.name).sel(r.label))) for r in rules]
            return list(exact_rule_intervals(alloc.lp, alloc.result, picks)), "exact"
        except SolverError:
            pass  # a MILP or another backend: the stored ranging, if any, says why below
    try:
        ranging = alloc.ranging()
    except SolverError as exc:
        return [None] * len(rules), str(exc)
    how = str(ranging.attrs.get("ranging", "basis"))
    return [ranging[r.name].sel(r.label).values for r in rules], how


def _rule_sentence(rule: _Rule, ends: np.ndarray | None, how: str, minimise: bool = False) -> str:
    unit = rule.units.split(" per ", 1)[1] if " per " in rule.units else "unit"  # "objective per EUR m"
    share = unit == "percentage point"
    worth = f"changes the objective by {_num(rule.price)}" if minimise else f"is worth {_num(rule.price)}"
    text = f"- {rule.long_name} ({rule.where}): relaxing it by 1 {unit} {worth}"
    if ends is None:
        return text + "."
    holds = "this holds" if how == "exact" else "this holds at least"
    return text + f"; {holds} while the bound is {_span(ends, '%' if share else 'EUR m')}."


# weights -----------------------------------------------------------------------------------------------
def _weight_lines(alloc: Allocation, top: int, exact: bool) -> list[str]:
    if alloc.scenario is None or alloc.lp is None or alloc.result is None:
        return _stored_weight_lines(alloc, top)
    params = cost_parameters(alloc.scenario, alloc.lp)
    picks = _influential(params, np.asarray(alloc.result.x), top)
    if not picks:
        return []
    ends: list[np.ndarray | None]
    try:
        ends, how = list(_weight_intervals(alloc, [(p, k) for p, k, _ in picks], exact)), "exact" if exact else "basis"
    except SolverError as exc:
        ends, how = [None] * len(picks), str(exc)
    lines = ["Objective weights, those carrying most of the objective first:"]
    for (p, k, carried), e in zip(picks, ends, strict=True):
        lines.append(f"- {_weight_name(p, k)} = {_num(float(p.value[k]))} carries {_num(carried)} of the objective"
                     + _weight_tail(e, how))
    return lines + ([f"  (No validity intervals: {how}.)"] if ends[0] is None else [])


def _influential(params: list[CostParameter], x: np.ndarray, top: int) -> list[tuple[CostParameter, int, float]]:
    """The weights carrying the largest part of the objective, ``value · (d·x)`` (the objective is linear in
    each weight: this is what it would lose were the weight 0)."""
    found = []
    for p in params:
        carried = p.value * (p.directions.T @ x)
        found += [(p, k, float(c)) for k, c in enumerate(carried) if np.isfinite(c) and abs(c) > TOL]
    found.sort(key=lambda t: -abs(t[2]))
    return found[:top]


def _weight_intervals(alloc: Allocation, picks: list[tuple[CostParameter, int]], exact: bool) -> list[np.ndarray]:
    if alloc.scenario is None or alloc.lp is None or alloc.result is None:
        raise SolverError("no LP kept", "unavailable")
    if exact:
        return list(exact_weight_intervals(alloc.scenario, alloc.lp, alloc.result, picks))
    ranging = alloc.ranging()
    return [ranging[p.name].sel(_weight_label(p, k)).values for p, k in picks]


def _weight_label(p: CostParameter, k: int) -> dict[str, object]:
    shape = tuple(len(c) for c in p.coords)
    index = [int(i) for i in np.unravel_index(k, shape)] if p.positions is None and p.dims else \
        [int(pos[k]) for pos in p.positions or ()]
    return {d: c[int(i)] for d, c, i in zip(p.dims, p.coords, index, strict=True)}


def _weight_name(p: CostParameter, k: int) -> str:
    label = _weight_label(p, k)
    name = p.long_name.split(":")[0]
    return f"{name} ({', '.join(map(str, label.values()))})" if label else name


def _weight_tail(ends: np.ndarray | None, how: str) -> str:
    if ends is None:
        return "."
    holds = "stays optimal" if how == "exact" else "stays optimal at least"
    return f"; the allocation {holds} while the weight is {_span(ends, '')}."


def _stored_weight_lines(alloc: Allocation, top: int) -> list[str]:
    """For an allocation read from a file: the weights' stored intervals, the narrowest (relative) first."""
    try:
        ranging = alloc.ranging()
    except SolverError:
        return []
    rows = []
    for name, da in ranging.data_vars.items():
        if da.attrs.get("holds") != "allocation":
            continue
        da = da.transpose(..., "interval")
        for index in np.ndindex(da.shape[:-1]):
            low, value, high = (float(v) for v in da.values[index])
            if np.isnan(value):
                continue
            label = tuple(da[d].values[i] for d, i in zip(da.dims[:-1], index, strict=True))
            margin = min(value - low, high - value) / max(abs(value), TOL)
            rows.append((margin, str(name), label, np.array([low, value, high])))
    rows.sort(key=lambda t: t[0])
    how = str(ranging.attrs.get("ranging", "basis"))
    lines = ["Objective weights, the closest to changing the allocation first:"] if rows else []
    for _, name, label, ends in rows[:top]:
        where = f" ({', '.join(map(str, label))})" if label else ""
        lines.append(f"- {name.replace('_', ' ')}{where} = {_num(ends[1])}" + _weight_tail(ends, how))
    return lines


# numbers -----------------------------------------------------------------------------------------------
def _num(v: float) -> str:
    """A number as a reader writes it: 4 significant digits, no trailing zeros, thousands separated."""
    if not np.isfinite(v):
        return "unlimited" if v > 0 else "-unlimited"
    if abs(v) < 1e-9:  # rounding noise of a zero (a share's end computed as β + b/E)
        return "0"
    text = f"{v:,.4g}" if abs(v) < 1e15 else f"{v:.3e}"
    return "0" if text in ("-0", "0") else text


def _span(ends: np.ndarray, unit: str) -> str:
    """``[low, value, high]`` in words: between, or up to, or from … on."""
    low, value, high = (float(v) for v in ends)
    u = f" {unit}" if unit else ""
    now = f" (now {_num(value)})" if unit else ""
    if np.isinf(low) and np.isinf(high):
        return f"anything{now}"
    if np.isinf(high):
        return f"{_num(low)}{u} or more{now}"
    if np.isinf(low):
        return f"{_num(high)}{u} or less{now}"
    return f"between {_num(low)} and {_num(high)}{u}{now}"
