"""Caps on slices: the EU money in a slice of the allocation (any instruments, priorities, regions, years)
stays between a minimum and a maximum, over the period or in each year."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Rule, Violation, selected
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.limits import bounds
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import mask

CAPS = Rows("caps", ("cap",), "objective gained per EUR m the cap's minimum is lowered or its maximum raised",
            long_name="caps on slices", repair=Repair("the {bound} of the cap {cap!r}", section="caps", dim="cap"))
ANNUAL = Rows("annual_caps", ("annual_cap", "year"),
              "objective gained per EUR m the cap's minimum is lowered or its maximum raised in that year",
              long_name="annual caps on slices",
              repair=Repair("the annual {bound} of the cap {annual_cap!r} (binding in {year})", section="caps",
                            dim="annual_cap"))


def define_caps(a: Assembly) -> None:
    """``min_c ≤ Σ_{cells in slice c} eu ≤ max_c`` over the period, or in each year for ``per_year`` caps."""
    sc, cells, b = a.sc, a.cells, a.b
    for per_year, spec in ((False, CAPS), (True, ANNUAL)):
        caps = [c for c in sc.rules.caps if c.per_year == per_year]
        if not caps:
            continue
        hit = np.stack([mask(c.selector, sc, cells) for c in caps])
        ci, idx = np.nonzero(hit)
        lower, upper, kind = bounds([c.min for c in caps], [c.max for c in caps])
        labels = tuple(c.id for c in caps)
        if not per_year:
            b.add_constraints(Header(spec.name, spec.dims, (labels,), None, spec.row_unit, spec.long_name),
                              Entries(ci, cells.col[idx], np.ones(len(idx))), lower, upper, kind=kind)
            continue
        # one row per cap and year the cap's selector covers
        cap_years = np.stack([c.selector.vector("year", sc.years) for c in caps])
        cy_c, cy_y = np.nonzero(cap_years)
        row_of = np.full(cap_years.shape, -1, dtype=np.int64)
        row_of[cy_c, cy_y] = np.arange(len(cy_c))
        b.add_constraints(Header(spec.name, spec.dims, (labels, sc.years), (cy_c, cy_y), spec.row_unit,
                                 spec.long_name),
                          Entries(row_of[ci, cells.y[idx]], cells.col[idx], np.ones(len(idx))), lower[cy_c],
                          upper[cy_c], kind=kind)


def check_caps(plan: Plan) -> list[Violation]:
    """``min ≤ Σ_{slice} eu ≤ max`` over the period, or in each year of the slice for ``per_year`` caps."""
    sc, found = plan.sc, []
    for cap in sc.rules.caps:
        money = np.where(selected(cap.selector, sc), plan.eu, 0.0)
        if not cap.per_year:
            found += plan.outside(Rule("caps", "caps", {"cap": cap.id}),
                                  f"commitments in the slice of cap {cap.id} over the period are", float(money.sum()),
                                  cap.min, cap.max)
            continue
        years = cap.selector.vector("year", sc.years)
        for y in np.flatnonzero(years):
            found += plan.outside(Rule("caps", "caps", {"annual_cap": cap.id, "year": sc.years[y]}),
                                  f"commitments in the slice of cap {cap.id} in {sc.years[y]} are",
                                  float(money[..., y].sum()), cap.min, cap.max)
    return found


FAMILY = register(RuleFamily("caps", (CAPS, ANNUAL), define_caps, check_caps, order=100))
