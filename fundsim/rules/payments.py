"""Payments: commitments are paid along each instrument's payment profile, ``pay[y] = Σ_l profile[l]·eu[y-l]``.
The payments are computed from the money, not columns of their own; absorption caps them
(:mod:`fundsim.rules.absorption`)."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Violation, eur, paid
from fundsim.rules.family import RuleFamily, register

__all__ = ["FAMILY", "check_payments"]


def check_payments(plan: Plan) -> list[Violation]:
    """Payments follow each instrument's profile: ``pay[y] = Σ_l profile[l]·eu[y - l]``; each
    commitment is paid in full within the years or after the horizon.

    Examples
    --------
    The tutorial's instruments pay each commitment in full in its own year (profile ``[1.0]``), so EUR 5 m
    committed in 2009 with nothing paid is a violation of 5:

    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, 0] = 5.0  # enpi, mobility, eastern_partnership, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, np.zeros_like(eu), None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels["year"], v.value, v.limit) for v in check_payments(plan)]
    [(2009, 0.0, 5.0)]
    """
    sc, found = plan.sc, []
    expected = paid(sc, plan.eu)
    for idx in np.argwhere(np.abs(plan.payments - expected) > plan.slack(expected)):
        t = tuple(idx)
        profile = list(sc.instruments[t[0]].payment_profile)
        found.append(Violation("payments", "payments", plan.labels(*t), plan.payments[t], expected[t],
                               abs(plan.payments[t] - expected[t]), "EUR m",
                               f"payments: {plan.cell(*t)} pays {eur(plan.payments[t])}, but the payment profile "
                               f"{profile} of its commitments gives {eur(expected[t])}"))
    if plan.after_horizon is not None:
        total = plan.payments.sum(axis=-1) + plan.after_horizon
        committed = plan.eu.sum(axis=-1)
        for idx in np.argwhere(np.abs(total - committed) > plan.slack(committed)):
            t = tuple(idx)
            found.append(Violation("payments", "payments", plan.labels(*t), total[t], committed[t],
                                   abs(total[t] - committed[t]), "EUR m",
                                   f"payments: {plan.cell(*t)} pays {eur(total[t])} in all (counting what falls "
                                   f"due after the last year), but commits {eur(committed[t])}"))
    return found


FAMILY = register(RuleFamily("payments", (), None, check_payments, order=45))
