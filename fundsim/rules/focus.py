"""Geographic focus (16041/08 §21): the focus regions' share of all EU money stays within its bounds."""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from fundsim import model as m
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.entries import CellSelector, Labels, Noted, Section
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import GroupRef, Id, MaxShare, RegionRef, Share, need_one
from fundsim.rules.shares import ALL_EU, share_rows, total_column

_DUAL = "objective gained per percentage point the focus regions' {} share of all EU money is {}"
MIN_SHARE = Rows("focus_min_share", ("focus",), _DUAL.format("minimum", "lowered"),
                 long_name="minimum share to the focus regions", share_of=ALL_EU,
                 repair=Repair("the minimum share of the focus rule {focus!r}", section="geographic_focus", key="id",
                               dim="focus", lower="min_share", upper="max_share"))
MAX_SHARE = Rows("focus_max_share", ("focus",), _DUAL.format("maximum", "raised"),
                 long_name="maximum share to the focus regions", share_of=ALL_EU,
                 repair=Repair("the maximum share of the focus rule {focus!r}", section="geographic_focus", key="id",
                               dim="focus", lower="min_share", upper="max_share"))


def define_focus(a: Assembly) -> None:
    """``Σ_{r in focus regions} eu ≥ min_share·E`` (and ``≤ max_share·E``) (16041/08 §21)."""
    sc, cells = a.sc, a.cells
    rules = sc.rules.geographic_focus
    if not rules:
        return
    total_column(a)
    members = np.stack([np.isin(np.array(sc.region_ids)[cells.r], list(f.regions)) for f in rules])
    labels = tuple(f.id for f in rules)
    share_rows(a, MIN_SHARE, labels, members, [f.min_share for f in rules], "ge")
    share_rows(a, MAX_SHARE, labels, members, [f.max_share for f in rules], "le")


def check_geographic_focus(plan: Plan) -> list[Violation]:
    """``min_share·E ≤ Σ_{r in focus} eu ≤ max_share·E``."""
    sc, found = plan.sc, []
    total = float(plan.eu.sum())
    for rule in sc.rules.geographic_focus:
        inside = np.isin(sc.region_ids, list(rule.regions))
        where = ", ".join(sorted(rule.regions)) or "no region"
        value = float(plan.eu[:, :, inside].sum())
        found += plan.outside_share(Rule("geographic_focus", "geographic focus", {"focus": rule.id}),
                                    f"focus {rule.id} ({where}) gets", value, total, (rule.min_share, rule.max_share))
    return found


class FocusSpec(Noted):
    id: Id = "focus"
    region_groups: list[GroupRef] = []
    regions: list[RegionRef] = []
    min_share: Share | None = None
    max_share: MaxShare = None

    @model_validator(mode="after")
    def _check(self) -> FocusSpec:
        if not self.region_groups and not self.regions:
            raise ValueError("name the region_groups (or regions) the focus rule is about; neither is given")
        return need_one(self, "min_share", "max_share")


def _build(value: list[FocusSpec], labels: Labels) -> tuple[m.GeographicFocus, ...]:
    out = []
    for x in value:
        regions = labels.regions_of(CellSelector(regions=x.regions, region_groups=x.region_groups))
        out.append(m.GeographicFocus(x.id, frozenset() if regions is None else regions, x.min_share, x.max_share,
                                     description=", ".join([*x.region_groups, *x.regions])))
    return tuple(out)


SECTION = Section("geographic_focus", list[FocusSpec], [], _build,
                  doc="| `geographic_focus[]` | `id` (default `focus`), `region_groups`, `regions`, `min_share`, "
                      "`max_share` | share of all EU commitments going to those regions (§21) |")
FAMILY = register(RuleFamily("geographic_focus", (MIN_SHARE, MAX_SHARE), define_focus, check_geographic_focus,
                             order=70, sections=(SECTION,)))
