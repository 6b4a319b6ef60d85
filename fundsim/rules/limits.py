"""Region and priority limits: the EU money a region (or a priority) receives over the period stays between
its minimum and maximum."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header

_DUAL = "objective gained per EUR m the {0}'s minimum is lowered or its maximum raised"
REGION = Rows("region_limits", ("region",), _DUAL.format("region"), long_name="limits per region",
              repair=Repair("the {bound} for the region {region!r}", section="region_limits", key="label",
                            dim="region"))
PRIORITY = Rows("priority_limits", ("priority",), _DUAL.format("priority"), long_name="limits per priority",
                repair=Repair("the {bound} for the priority {priority!r}", section="priority_limits", key="label",
                              dim="priority"))


def bounds(lo: list[float | None], hi: list[float | None]) -> tuple[np.ndarray, np.ndarray, str]:
    """Row bounds from optional minima and maxima, and the rows' kind (``le``, ``ge`` or ``range``)."""
    lower = np.array([-np.inf if v is None else v for v in lo], float)
    upper = np.array([np.inf if v is None else v for v in hi], float)
    kind = "range" if np.isfinite(lower).any() and np.isfinite(upper).any() else (
        "ge" if np.isfinite(lower).any() else "le")
    return lower, upper, kind


def define_limits(a: Assembly) -> None:
    """``min_r ≤ Σ_{i,p,y} eu[i,p,r,y] ≤ max_r`` per region, and likewise per priority (EUR m, period)."""
    sc, cells = a.sc, a.cells
    for spec, labels, cell_idx, limits in ((REGION, sc.region_ids, cells.r, sc.rules.region_limits),
                                           (PRIORITY, sc.priority_ids, cells.p, sc.rules.priority_limits)):
        if not limits:
            continue
        row_of = np.full(len(labels), -1, dtype=np.int64)
        row_of[[labels.index(x.label) for x in limits]] = np.arange(len(limits))
        rows = row_of[cell_idx]
        keep = rows >= 0
        lower, upper, kind = bounds([x.min for x in limits], [x.max for x in limits])
        pos = np.array([labels.index(x.label) for x in limits])
        a.b.add_constraints(Header(spec.name, spec.dims, (labels,), (pos,), spec.row_unit, spec.long_name),
                            Entries(rows[keep], cells.col[keep], np.ones(keep.sum())), lower, upper, kind=kind)


def check_limits(plan: Plan) -> list[Violation]:
    """``min ≤ Σ eu ≤ max`` over the period, per region and per priority."""
    sc, found = plan.sc, []
    by_region, by_priority = plan.eu.sum(axis=(0, 1, 3)), plan.eu.sum(axis=(0, 2, 3))
    for words, dim, labels, sums, limits in (
        ("region limits", "region", sc.region_ids, by_region, sc.rules.region_limits),
        ("priority limits", "priority", sc.priority_ids, by_priority, sc.rules.priority_limits),
    ):
        for lim in limits:
            rule = Rule(f"{dim}_limits", words, {dim: lim.label})
            found += plan.outside(rule, f"EU commitments to {lim.label} over the period are",
                                  float(sums[labels.index(lim.label)]), lim.min, lim.max)
    return found


FAMILY = register(RuleFamily("limits", (REGION, PRIORITY), define_limits, check_limits, order=80))
