"""Region and priority limits: the EU money a region (or a priority) receives over the period stays between
its minimum and maximum."""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from fundsim import model as m
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.entries import Noted, Section
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import Amount, MaxAmount, PriorityRef, RegionRef, need_one

__all__ = [
    "FAMILY",
    "PRIORITY",
    "PRIORITY_SECTION",
    "REGION",
    "REGION_SECTION",
    "PriorityLimitSpec",
    "RegionLimitSpec",
    "bounds",
    "check_limits",
    "define_limits",
    "merged_limits",
]
from fundsim.rules.program import Entries, Header

_DUAL = "objective gained per EUR m the {0}'s minimum is lowered or its maximum raised"
REGION = Rows("region_limits", ("region",), _DUAL.format("region"), long_name="limits per region",
              repair=Repair("the {bound} for the region {region!r}", section="region_limits", key="label",
                            dim="region"))
PRIORITY = Rows("priority_limits", ("priority",), _DUAL.format("priority"), long_name="limits per priority",
                repair=Repair("the {bound} for the priority {priority!r}", section="priority_limits", key="label",
                              dim="priority"))


def bounds(lo: list[float | None], hi: list[float | None]) -> tuple[np.ndarray, np.ndarray, str]:
    """Row bounds from optional minima and maxima, and the rows' kind (``le``, ``ge`` or ``range``).

    Examples
    --------
    >>> bounds([None, 5.0], [10.0, None])
    (array([-inf,   5.]), array([10., inf]), 'range')
    >>> bounds([2.0], [None])[2]
    'ge'
    """
    lower = np.array([-np.inf if v is None else v for v in lo], float)
    upper = np.array([np.inf if v is None else v for v in hi], float)
    kind = "range" if np.isfinite(lower).any() and np.isfinite(upper).any() else (
        "ge" if np.isfinite(lower).any() else "le")
    return lower, upper, kind


def define_limits(a: Assembly) -> None:
    """``min_r ≤ Σ_{i,p,y} eu[i,p,r,y] ≤ max_r`` per region (or country; a region planned in parts counts all of
    its units), and likewise per priority (EUR m, period).

    Examples
    --------
    At least 15 to the Eastern Partnership (its ten eligible cells: TPMA's three priorities and ENPI's two, two
    years), at most 30 to return (eight cells: two instruments, two regions, two years):

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["region_limits"] = [{"region": "eastern_partnership", "min": 15}]
    >>> raw["rules"]["priority_limits"] = [{"priority": "return", "max": 30}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> region, priority = lp.constraints["region_limits"], lp.constraints["priority_limits"]
    >>> region.positions, region.kind, lp.row_lower[region.start:region.stop], lp.A[region.start].nnz
    ((array([1]),), 'ge', array([15.]), 10)
    >>> priority.kind, lp.row_upper[priority.start:priority.stop], lp.A[priority.start].nnz
    ('le', array([30.]), 8)
    """
    sc, cells = a.sc, a.cells
    for spec, labels, cell_idx, limits, covers in (
            (REGION, sc.area_ids, cells.r, sc.rules.region_limits, sc.membership),
            (PRIORITY, sc.priority_ids, cells.p, sc.rules.priority_limits, np.eye(len(sc.priorities), dtype=bool))):
        if not limits:
            continue
        pos = np.array([labels.index(x.label) for x in limits])
        rows, idx = np.nonzero(covers[pos][:, cell_idx])  # a region planned in parts: all of its units
        lower, upper, kind = bounds([x.min for x in limits], [x.max for x in limits])
        a.b.add_constraints(Header(spec.name, spec.dims, (labels,), (pos,), spec.row_unit, spec.long_name),
                            Entries(rows, cells.col[idx], np.ones(len(idx))), lower, upper, kind=kind)


def check_limits(plan: Plan) -> list[Violation]:
    """``min ≤ Σ eu ≤ max`` over the period, per region and per priority.

    Examples
    --------
    EUR 35 m for return in North Africa and nothing in the East break both limits:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["region_limits"] = [{"region": "eastern_partnership", "min": 15}]
    >>> raw["rules"]["priority_limits"] = [{"priority": "return", "max": 30}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> from fundsim.rules import Plan
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 1, 0, 0] = 35.0  # enpi, return, north_africa, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.family, v.value, v.limit) for v in check_limits(plan)]
    [('region_limits', 0.0, 15.0), ('priority_limits', 35.0, 30.0)]
    """
    sc, found = plan.sc, []
    by_region, by_priority = sc.membership @ plan.eu.sum(axis=(0, 1, 3)), plan.eu.sum(axis=(0, 2, 3))
    for words, dim, labels, sums, limits in (
        ("region limits", "region", sc.area_ids, by_region, sc.rules.region_limits),
        ("priority limits", "priority", sc.priority_ids, by_priority, sc.rules.priority_limits),
    ):
        for lim in limits:
            rule = Rule(f"{dim}_limits", words, {dim: lim.label})
            found += plan.outside(rule, f"EU commitments to {lim.label} over the period are",
                                  float(sums[labels.index(lim.label)]), lim.min, lim.max)
    return found


class RegionLimitSpec(Noted):
    """One entry of ``rules: region_limits:``: the EU money a region receives over the period, at least ``min`` and/or
    at most ``max`` (EUR m).

    Examples
    --------
    >>> RegionLimitSpec.model_validate({"region": "eastern_partnership", "min": 15}).max is None
    True
    >>> try:
    ...     RegionLimitSpec.model_validate({"region": "eastern_partnership", "min": 15, "max": 10})
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"])
    Value error, max (10) is below min (15); give a max of at least 15, or lower min
    """

    region: RegionRef
    min: Amount | None = None
    max: MaxAmount = None

    _check = model_validator(mode="after")(lambda self: need_one(self, "min", "max"))


class PriorityLimitSpec(Noted):
    """One entry of ``rules: priority_limits:``: the EU money a priority receives over the period, at least ``min``
    and/or at most ``max`` (EUR m).

    Examples
    --------
    >>> PriorityLimitSpec.model_validate({"priority": "return", "max": {"value": 30, "source": "a guess"}}).max
    30.0
    """

    priority: PriorityRef
    min: Amount | None = None
    max: MaxAmount = None

    _check = model_validator(mode="after")(lambda self: need_one(self, "min", "max"))


def merged_limits(entries: list[tuple[str, float | None, float | None]]) -> tuple[m.Limit, ...]:
    """One limit per label: several entries for one region (or priority) all hold, so the tightest
    minimum and maximum are kept.

    Examples
    --------
    >>> merged_limits([("north_africa", 10.0, None), ("north_africa", 5.0, 40.0), ("east", None, 8.0)])
    (Limit(label='north_africa', min=10.0, max=40.0), Limit(label='east', min=None, max=8.0))
    """
    merged: dict[str, tuple[float | None, float | None]] = {}
    for label, lo, hi in entries:
        old_lo, old_hi = merged.get(label, (None, None))
        lo = lo if old_lo is None else old_lo if lo is None else max(lo, old_lo)
        hi = hi if old_hi is None else old_hi if hi is None else min(hi, old_hi)
        merged[label] = (lo, hi)
    return tuple(m.Limit(label, lo, hi) for label, (lo, hi) in merged.items())


REGION_SECTION = Section("region_limits", list[RegionLimitSpec], [],
                         lambda value, labels: merged_limits([(x.region, x.min, x.max) for x in value]),
                         doc="| `region_limits[]` | `region`, `min`, `max` (EUR m) | EU commitments to the region over "
                             "the period |")
PRIORITY_SECTION = Section("priority_limits", list[PriorityLimitSpec], [],
                           lambda value, labels: merged_limits([(x.priority, x.min, x.max) for x in value]),
                           doc="| `priority_limits[]` | `priority`, `min`, `max` (EUR m) | EU commitments to the "
                               "priority over the period |")
FAMILY = register(RuleFamily("limits", (REGION, PRIORITY), define_limits, check_limits, order=80,
                             sections=(REGION_SECTION, PRIORITY_SECTION)))
