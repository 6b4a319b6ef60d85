"""Co-financing: each cell mobilises co-financing at its rule's rate, ``cofin = k·eu`` with ``k = (1 - s)/s``
at the maximum EU share ``s``. It needs no rows of its own (the rate is in the cells, :attr:`Cells.k`); the
match sources' capacities are :mod:`fundsim.rules.match_capacity`."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Violation, cofinancing_rule, eur
from fundsim.rules.family import RuleFamily, register

__all__ = ["FAMILY", "check_cofinancing"]


def _violation(plan: Plan, t: tuple, value: float, limit: float, message: str) -> Violation:
    return Violation("cofinancing", "co-financing", plan.labels(*t), value, limit, abs(limit - value), "EUR m",
                     f"co-financing: {message}")


def check_cofinancing(plan: Plan) -> list[Violation]:
    """``eu ≤ s·(eu + cofin)``, i.e. ``cofin ≥ eu·(1 - s)/s``, and ``total = eu + cofin`` in every cell.

    A maximum EU share allows more co-financing than the minimum; with ``exact_cofinancing`` the
    co-financing must be exactly the rule's rate, as fundsim plans it.

    Examples
    --------
    TPMA funds at most 80 % of a cell, so its EUR 10 m need 10·0.2/0.8 = 2.5 of co-financing; 1 is short by 1.5:

    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu, cofin = np.zeros((2, 3, 2, 2)), np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0], cofin[0, 2, 0, 0] = 10.0, 1.0  # tpma, remittances, north_africa, 2009
    >>> plan = Plan(sc, eu, cofin, eu + cofin, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.value, round(v.limit, 9), round(v.size, 9)) for v in check_cofinancing(plan)]
    [(1.0, 2.5, 1.5)]
    >>> print(check_cofinancing(plan)[0].message.split(" (")[0])
    co-financing: the EU share of tpma for remittances in north_africa in 2009 is 90.9%
    """
    sc, found = plan.sc, []
    share, _ = cofinancing_rule(sc)
    s = share[..., None]
    required = plan.eu * (1.0 - s) / s
    gap = required - plan.cofin
    for idx in np.argwhere(gap > plan.slack(required)):
        t = tuple(idx)
        actual = plan.eu[t] / (plan.eu[t] + plan.cofin[t])
        found.append(_violation(plan, t, plan.cofin[t], required[t],
                                f"the EU share of {plan.cell(*t)} is {actual:.1%} ({eur(plan.eu[t])} EU, "
                                f"{eur(plan.cofin[t])} co-financing), above the maximum EU share of "
                                f"{s[t[:3]][0]:.1%} (co-financing short by {gap[t]:.3f})"))
    for idx in np.argwhere(-gap > plan.slack(required)) if plan.exact_cofinancing else ():
        t = tuple(idx)
        found.append(_violation(plan, t, plan.cofin[t], required[t],
                                f"{plan.cell(*t)} mobilises {eur(plan.cofin[t])} of co-financing, but at the "
                                f"maximum EU share of {s[t[:3]][0]:.1%} its {eur(plan.eu[t])} of EU money "
                                f"mobilises {eur(required[t])}"))
    off = np.abs(plan.total - plan.eu - plan.cofin)
    for idx in np.argwhere(off > plan.slack(plan.eu + plan.cofin)):
        t = tuple(idx)
        found.append(_violation(plan, t, plan.total[t], plan.eu[t] + plan.cofin[t],
                                f"the total cost of {plan.cell(*t)} is {eur(plan.total[t])}, not the sum of its EU "
                                f"money ({eur(plan.eu[t])}) and co-financing ({eur(plan.cofin[t])})"))
    return found


FAMILY = register(RuleFamily("cofinancing", (), None, check_cofinancing, order=35))
