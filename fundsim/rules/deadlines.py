"""Decommitment deadlines: a plan commits only what its profiles pay (a payment deadline, the n+2 rule of the funds
under shared management) or contract (a contracting deadline, the n+3 of external actions) in time.

A plan follows each instrument's payment and contracting profiles, so the deadline holds for every commitment
when the profile fits inside the window — the scenario loader refuses one that does not. The deadline decides what
is lost when things run late: Monte Carlo stress runs delay contracts and payments and decommit what misses it
(:mod:`fundsim.montecarlo.stress`)."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Violation, eur
from fundsim.rules.family import RuleFamily, register

__all__ = ["FAMILY", "check_deadlines", "late_share"]


def late_share(profile: tuple[float, ...], window: int) -> float:
    """The share of a commitment a profile leaves after year n + ``window``.

    Examples
    --------
    >>> late_share((0.3, 0.4, 0.2, 0.1), 2), late_share((0.5, 0.5), 2)
    (0.1, 0.0)
    """
    return float(sum(profile[window + 1:]))


def check_deadlines(plan: Plan) -> list[Violation]:
    """Each year's commitments are paid (payment deadline) or contracted (contracting deadline) by n + k.

    Examples
    --------
    A scenario built by hand that pays TPMA over four years under an n+2 payment deadline loses a tenth of what
    it commits:

    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma = dataclasses.replace(sc.instruments[0], payment_profile=(0.3, 0.4, 0.2, 0.1))
    >>> sc = sc.evolve(instruments=(tpma, sc.instruments[1]))
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0, 0] = 10.0
    >>> [(v.labels, round(v.value, 6)) for v in check_deadlines(Plan(sc, eu, eu, eu, eu, None, None, 1e-7, 1e-6))]
    [({'instrument': 'tpma', 'year': 2009}, 1.0)]
    """
    sc, found = plan.sc, []
    committed = plan.eu.sum(axis=(1, 2))
    for n, ins in enumerate(sc.instruments):
        deadline = ins.budget.deadline
        contracting = deadline.kind == "contracting"
        profile = ins.budget.contracted_profile() if contracting else ins.payment_profile
        share = late_share(profile, deadline.window)
        if share <= 0:
            continue
        verb = "contracts" if contracting else "pays"
        for y in np.flatnonzero(committed[n] > plan.atol):
            lost = share * committed[n, y]
            found.append(Violation(
                "deadlines", "deadline", {"instrument": ins.id, "year": sc.years[y]}, lost, 0.0, lost, "EUR m",
                f"deadline: {ins.id} {verb} {share:.0%} of its {sc.years[y]} commitments of "
                f"{eur(committed[n, y])} after n+{deadline.window} ({deadline.words()}): {eur(lost)} would be "
                "decommitted"))
    return found


FAMILY = register(RuleFamily("deadlines", (), None, check_deadlines, order=48))
