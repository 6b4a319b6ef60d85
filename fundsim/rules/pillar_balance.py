"""Pillar balance (16041/08 §4): each pillar's share of all EU money stays within its minimum and maximum."""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from fundsim import model as m
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.entries import Labels, Noted, Section
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import MaxShare, PillarRef, Share, need_one
from fundsim.rules.shares import ALL_EU, share_rows, total_column

__all__ = [
    "FAMILY",
    "MAX_SHARE",
    "MIN_SHARE",
    "SECTION",
    "PillarBalanceSpec",
    "check_pillar_balance",
    "define_pillar_balance",
]

_DUAL = "objective gained per percentage point the pillar's {} share of all EU money is {}"
MIN_SHARE = Rows("pillar_min_share", ("pillar",), _DUAL.format("minimum", "lowered"), long_name="minimum pillar share",
                 share_of=ALL_EU, repair=Repair("the minimum share of the pillar {pillar!r}", section="pillar_balance",
                                                key="pillar", dim="pillar", lower="min_share", upper="max_share"))
MAX_SHARE = Rows("pillar_max_share", ("pillar",), _DUAL.format("maximum", "raised"), long_name="maximum pillar share",
                 share_of=ALL_EU, repair=Repair("the maximum share of the pillar {pillar!r}", section="pillar_balance",
                                                key="pillar", dim="pillar", lower="min_share", upper="max_share"))


def define_pillar_balance(a: Assembly) -> None:
    """``Σ_{p in pillar q} eu ≥ min_share_q·E`` and ``≤ max_share_q·E`` (16041/08 §4: balanced pillars).

    Examples
    --------
    The tutorial caps the development pillar at 25 % and sets no minimum:

    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> block = lp.constraints["pillar_max_share"]
    >>> block.coords, block.share, lp.row_upper[block.start:block.stop]
    ((('development',),), array([0.25]), array([0.]))
    >>> "pillar_min_share" in lp.constraints
    False
    """
    sc, cells = a.sc, a.cells
    rules = sc.rules.pillar_balance
    if not rules:
        return
    total_column(a)
    pillar_of_cell = np.array(sc.priority_pillars, dtype=object)[cells.p]
    members = np.stack([pillar_of_cell == rule.pillar for rule in rules])
    labels = tuple(rule.pillar for rule in rules)
    share_rows(a, MIN_SHARE, labels, members, [x.min_share for x in rules], "ge")
    share_rows(a, MAX_SHARE, labels, members, [x.max_share for x in rules], "le")


def check_pillar_balance(plan: Plan) -> list[Violation]:
    """``min_share·E ≤ Σ_{p in pillar} eu ≤ max_share·E`` with ``E`` all EU commitments.

    Examples
    --------
    Development (remittances) gets 10 of 20, twice its maximum of 25 % (5):

    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0], eu[1, 1, 0, 0] = 10.0, 10.0  # tpma remittances, enpi return; north_africa, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.size) for v in check_pillar_balance(plan)]
    [({'pillar': 'development'}, 10.0, 5.0, 5.0)]
    """
    sc, found = plan.sc, []
    total = float(plan.eu.sum())
    pillar_of = np.array([p.pillar for p in sc.priorities])
    for rule in sc.rules.pillar_balance:
        value = float(plan.eu[:, pillar_of == rule.pillar].sum())
        found += plan.outside_share(Rule("pillar_balance", "pillar balance", {"pillar": rule.pillar}),
                                    f"pillar {rule.pillar} gets", value, total, (rule.min_share, rule.max_share))
    return found


class PillarBalanceSpec(Noted):
    """One entry of ``rules: pillar_balance:``: a pillar's minimum and/or maximum share of all EU money.

    Examples
    --------
    >>> PillarBalanceSpec.model_validate({"pillar": "development", "max_share": 0.25}).max_share
    0.25
    >>> try:
    ...     PillarBalanceSpec.model_validate({"pillar": "development"})
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"])
    Value error, give min_share, max_share or both; neither is given
    """

    pillar: PillarRef
    min_share: Share | None = None
    max_share: MaxShare = None

    _check = model_validator(mode="after")(lambda self: need_one(self, "min_share", "max_share"))


def _build(value: list[PillarBalanceSpec], labels: Labels) -> tuple[m.PillarBalance, ...]:
    return tuple(m.PillarBalance(x.pillar, x.min_share, x.max_share) for x in value)


SECTION = Section("pillar_balance", list[PillarBalanceSpec], [], _build,
                  doc="| `pillar_balance[]` | `pillar`, `min_share`, `max_share` | share of all EU commitments going "
                      "to the pillar (16041/08 §4) |")
FAMILY = register(RuleFamily("pillar_balance", (MIN_SHARE, MAX_SHARE), define_pillar_balance, check_pillar_balance,
                             order=60, sections=(SECTION,)))
