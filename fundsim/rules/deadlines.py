"""Decommitment deadlines: a plan commits only what its profiles pay (a payment deadline, the n+2 rule of the funds
under shared management) or contract (a contracting deadline, the n+3 of external actions) in time.

Contracts and payments fall due along the instrument's profiles, which the scenario loader requires to fit inside
the window. Where payment appropriations are limited, payments may be made later than due
(:mod:`fundsim.rules.payment_appropriations`): a payment deadline then requires each cohort to be paid in full by
n + k (rows ``payment_deadline[instrument, cohort]``, whose shadow price is what letting one EUR m of that
cohort's commitments be decommitted would be worth). A contracting deadline leaves payments free: short payment
appropriations make the RAL grow instead. The deadline also decides what is lost when things run late under
uncertainty: Monte Carlo stress runs delay contracts and payments and decommit what misses it
(:mod:`fundsim.montecarlo.stress`)."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Violation, eur
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.payment_appropriations import cells_by_instrument_year, cohorts, payment_columns
from fundsim.rules.program import Entries, Header

__all__ = ["DEADLINE", "FAMILY", "check_deadlines", "define_deadlines", "late_share"]

DEADLINE = Rows("payment_deadline", ("instrument", "cohort"),
                "objective gained per EUR m of the cohort's commitments allowed to go unpaid past the payment deadline "
                "(decommitted)", long_name="payment deadline (n + k)")


def define_deadlines(a: Assembly) -> None:
    """``Σ_{t ≤ c+k} payment[i,c,t] ≥`` what falls due on cohort c from the first year on: an instrument with a
    payment deadline and limited payment appropriations pays each cohort in full by n + k (cohorts whose deadline
    falls after the last year get no row: what is unpaid then is outstanding).

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([8.0, 8.0]), deadline=fs.model.Deadline("payment", 1))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget)
    >>> lp = fs.assemble(sc.evolve(instruments=(tpma, sc.instruments[1])))
    >>> block = lp.constraints["payment_deadline"]
    >>> block.positions, lp.row_lower[block.start:block.stop]  # tpma's 2009 cohort, due by 2010
    ((array([0]), array([0])), array([0.]))
    """
    sc, cells, b = a.sc, a.cells, a.b
    got = payment_columns(a)
    if got is None:
        return
    years, all_cohorts = sc.years, cohorts(sc)
    of_iy = cells_by_instrument_year(cells, len(years))
    y0 = years[0]
    rows_i: list[int] = []
    rows_c: list[int] = []
    lower: list[float] = []
    entries: tuple[list[int], list[int], list[float]] = ([], [], [])
    for n in got["instruments"]:
        ins = sc.instruments[n]
        if ins.budget.deadline.kind != "payment":
            continue
        k = ins.budget.deadline.window
        opening = dict(ins.budget.opening)
        for c, cohort in enumerate(all_cohorts):
            if cohort + k > years[-1] or (cohort < y0 and opening.get(cohort, 0.0) <= 0):
                continue
            share = sum(s for lag, s in enumerate(ins.payment_profile) if y0 <= cohort + lag <= cohort + k)
            r = len(rows_i)
            mine = np.flatnonzero((got["i"] == n) & (got["c"] == c))
            entries[0].extend([r] * len(mine))
            entries[1].extend(got["cols"][mine])
            entries[2].extend([1.0] * len(mine))
            if cohort < y0:
                lower.append(share * opening[cohort])
            else:
                cell = of_iy.get((n, years.index(cohort)), np.zeros(0, np.int64))
                entries[0].extend([r] * len(cell))
                entries[1].extend(cells.col[cell])
                entries[2].extend([-share] * len(cell))
                lower.append(0.0)
            rows_i.append(n)
            rows_c.append(c)
    if not rows_i:
        return
    b.add_constraints(
        Header(DEADLINE.name, DEADLINE.dims, (sc.instrument_ids, all_cohorts), (np.array(rows_i), np.array(rows_c)),
               DEADLINE.row_unit, DEADLINE.long_name),
        Entries(np.array(entries[0]), np.array(entries[1]), np.array(entries[2])), np.array(lower),
        np.full(len(lower), np.inf), kind="ge",
    )


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


FAMILY = register(RuleFamily("deadlines", (DEADLINE,), define_deadlines, check_deadlines, order=48))
