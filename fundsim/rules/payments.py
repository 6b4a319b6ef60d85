"""Payments: commitments are paid along each instrument's payment profile, ``pay[y] = Σ_l profile[l]·eu[y-l]``.
The payments are computed from the money, not columns of their own; absorption caps them
(:mod:`fundsim.rules.absorption`)."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Violation, eur, paid
from fundsim.rules.family import RuleFamily, register


def check_payments(plan: Plan) -> list[Violation]:
    """Payments follow each instrument's profile: ``pay[y] = Σ_l profile[l]·eu[y - l]``; each
    commitment is paid in full within the years or after the horizon."""
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
