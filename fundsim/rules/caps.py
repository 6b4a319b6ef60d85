"""Caps on slices: the EU money in a slice of the allocation (any instruments, priorities, regions, years)
stays between a minimum and a maximum, over the period or in each year."""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from fundsim import model as m
from fundsim.rules.checking import Plan, Rule, Violation, selected
from fundsim.rules.entries import Labels, Section, SliceSelector
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import Amount, Id, MaxAmount, need_one
from fundsim.rules.limits import bounds
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import mask

__all__ = ["ANNUAL", "CAPS", "FAMILY", "SECTION", "CapSpec", "check_caps", "define_caps"]

CAPS = Rows("caps", ("cap",), "objective gained per EUR m the cap's minimum is lowered or its maximum raised",
            long_name="caps on slices", repair=Repair("the {bound} of the cap {cap!r}", section="caps", dim="cap"))
ANNUAL = Rows("annual_caps", ("annual_cap", "year"),
              "objective gained per EUR m the cap's minimum is lowered or its maximum raised in that year",
              long_name="annual caps on slices",
              repair=Repair("the annual {bound} of the cap {annual_cap!r} (binding in {year})", section="caps",
                            dim="annual_cap"))


def define_caps(a: Assembly) -> None:
    """``min_c ≤ Σ_{cells in slice c} eu ≤ max_c`` over the period, or in each year for ``per_year`` caps.

    Examples
    --------
    ENPI in the East has 4 eligible cells (mobility and return, two years); TPMA has 6 in each year (three
    priorities, two regions):

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["caps"] = [
    ...     {"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"], "max": 4},
    ...     {"id": "tpma_yearly", "instruments": ["tpma"], "min": 2, "per_year": True}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> caps, annual = lp.constraints["caps"], lp.constraints["annual_caps"]
    >>> caps.coords, lp.row_upper[caps.start:caps.stop], lp.A[caps.start].nnz
    ((('enpi_east',),), array([4.]), 4)
    >>> annual.coords, lp.row_lower[annual.start:annual.stop], lp.A[annual.start:annual.stop].getnnz(1).tolist()
    ((('tpma_yearly',), (2009, 2010)), array([2., 2.]), [6, 6])
    """
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
    """``min ≤ Σ_{slice} eu ≤ max`` over the period, or in each year of the slice for ``per_year`` caps.

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["caps"] = [
    ...     {"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"], "max": 4},
    ...     {"id": "tpma_yearly", "instruments": ["tpma"], "min": 2, "per_year": True}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> from fundsim.rules import Plan
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, :] = 3.0  # enpi, mobility, eastern_partnership, 3 each year
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> for v in check_caps(plan):
    ...     print(v.labels, v.value, v.limit)
    {'cap': 'enpi_east'} 6.0 4.0
    {'annual_cap': 'tpma_yearly', 'year': 2009} 0.0 2.0
    {'annual_cap': 'tpma_yearly', 'year': 2010} 0.0 2.0
    """
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


class CapSpec(SliceSelector):
    """One entry of ``rules: caps:``: a slice of the allocation (a selector) whose EU money stays between ``min`` and
    ``max`` (EUR m), over the period or, with ``per_year``, in each year.

    Examples
    --------
    >>> spec = CapSpec.model_validate({"id": "enpi_east", "instruments": ["enpi"], "max": 4})
    >>> spec.max, spec.min, spec.per_year
    (4.0, None, False)
    """

    id: Id
    min: Amount | None = None
    max: MaxAmount = None
    per_year: bool = False

    _check = model_validator(mode="after")(lambda self: need_one(self, "min", "max"))


def _build(value: list[CapSpec], labels: Labels) -> tuple[m.Cap, ...]:
    return tuple(m.Cap(x.id, labels.selector(x, x.id), x.min, x.max, x.per_year) for x in value)


SECTION = Section("caps", list[CapSpec], [], _build,
                  doc="| `caps[]` | `id`, selector with `instruments` and `years`, `min`, `max` (EUR m), `per_year` "
                      "(default `false`) | EU commitments in the slice, over the period or in each year |")
FAMILY = register(RuleFamily("caps", (CAPS, ANNUAL), define_caps, check_caps, order=100, sections=(SECTION,)))
