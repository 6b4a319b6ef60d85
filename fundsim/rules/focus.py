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

__all__ = ["FAMILY", "MAX_SHARE", "MIN_SHARE", "SECTION", "FocusSpec", "check_geographic_focus", "define_focus"]

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
    """``Σ_{r in focus regions} eu ≥ min_share·E`` (and ``≤ max_share·E``) (16041/08 §21).

    Examples
    --------
    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["geographic_focus"] = [{"id": "south", "region_groups": ["south"], "min_share": 0.5}]
    >>> lp = fs.assemble(fs.scenario_from_dict(raw))
    >>> block = lp.constraints["focus_min_share"]
    >>> block.coords, block.share, lp.row_lower[block.start:block.stop]
    ((('south',),), array([0.5]), array([0.]))
    """
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
    """``min_share·E ≤ Σ_{r in focus} eu ≤ max_share·E``.

    Examples
    --------
    Half of all EU money must go south (North Africa); all 10 go east, 5 short:

    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> import numpy as np
    >>> from fundsim.rules import Plan
    >>> raw["rules"]["geographic_focus"] = [{"id": "south", "region_groups": ["south"], "min_share": 0.5}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, 0] = 10.0  # enpi, mobility, eastern_partnership, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.size) for v in check_geographic_focus(plan)]
    [({'focus': 'south'}, 0.0, 5.0, 5.0)]
    """
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
    """One entry of ``rules: geographic_focus:``: the focus regions (or region groups) and their minimum and/or
    maximum share of all EU money.

    Examples
    --------
    >>> FocusSpec.model_validate({"region_groups": ["south"], "min_share": 0.5}).id
    'focus'
    >>> try:
    ...     FocusSpec.model_validate({"min_share": 0.5})
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"])
    Value error, name the region_groups (or regions) the focus rule is about; neither is given
    """

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
