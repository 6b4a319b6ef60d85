"""Payment appropriations: what an instrument pays in a year — on the plan's commitments and on those made before
the first year (the opening RAL) — stays within the payment appropriations voted for it.

Payments fall due along the instrument's payment profile. Where payment appropriations are limited, the
Commission may pay later than due (never earlier): the columns ``payment[instrument, cohort, year]`` are what is
paid in a year on the commitments of a cohort (a commitment year; the opening position's years included), and
what is not paid by the end of the last year is outstanding (RAL). A payment deadline bounds the delay: what
falls due must be paid by n + k (:mod:`fundsim.rules.deadlines`); a contracting deadline leaves it free, so short
payment appropriations make the RAL grow. Without a limit every payment is made when due, and no column is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.checking import Plan, Rule, Violation, eur
from fundsim.rules.family import Assembly, Columns, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header

__all__ = [
    "CUMULATIVE",
    "FAMILY",
    "PAYMENT",
    "PAYMENT_APPROPRIATIONS",
    "cells_by_instrument_year",
    "check_payment_appropriations",
    "cohorts",
    "define_payment_appropriations",
    "limits",
    "payment_columns",
    "payments_of",
    "schedule",
]

PAYMENT_APPROPRIATIONS = Rows(
    "payment_appropriations", ("instrument", "year"),
    "objective gained per EUR m more payment appropriations of the instrument in that year",
    long_name="payment appropriations",
    repair=Repair("the payment appropriations of {instrument!r} in {year}", target="payment_budget"))
CUMULATIVE = Rows("payments_not_before_due", ("instrument", "cohort", "year"),
                  "a cohort's payments up to a year are at most what has fallen due by then", role="internal",
                  long_name="payments no earlier than due")


def cohorts(sc: Scenario) -> tuple[int, ...]:
    """Commitment years: the opening position's (before the first year), then the scenario's.

    Examples
    --------
    >>> import dataclasses
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=fs.model.Budget(opening=((2008, 4.0),)))
    >>> cohorts(sc.evolve(instruments=(tpma, sc.instruments[1])))
    (2008, 2009, 2010)
    """
    before = sorted({year for ins in sc.instruments for year, _ in ins.budget.opening})
    return (*before, *sc.years)


def limits(sc: Scenario) -> np.ndarray:
    """Payment appropriations ``(instrument, year)`` (``inf``: not limited).

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([12.0, 15.0]))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget)
    >>> limits(sc.evolve(instruments=(tpma, sc.instruments[1]))).tolist()
    [[12.0, 15.0], [inf, inf]]
    """
    ny = len(sc.years)
    return np.stack([np.full(ny, np.inf) if i.budget.payment_appropriations is None
                     else np.asarray(i.budget.payment_appropriations, float) for i in sc.instruments])


def _deadline(ins: Any) -> float:
    """Years after its commitment by which a cohort's payments must be made (``inf``: no payment deadline)."""
    d = ins.budget.deadline
    return float(d.window) if d.kind == "payment" else np.inf


def schedule(sc: Scenario, committed: np.ndarray, pa: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """What becomes of each cohort's commitments, for the commitments ``committed`` ``(instrument, year)``:
    ``cohort_committed``, ``cohort_paid_before`` (before the first year), ``cohort_paid`` ``(instrument, cohort,
    year)``, ``cohort_decommitted`` and ``cohort_outstanding`` (unpaid at the end of the last year).

    Payments fall due along the payment profile and are made when due; where payment appropriations are limited,
    each year pays what is due and waiting, earliest deadline first, within them, and what a payment deadline
    finds unpaid is decommitted. Earliest deadline first pays every cohort in time whenever any order does.
    ``pa`` replaces the scenario's payment appropriations ``(instrument, year)``.

    Examples
    --------
    Paid half at once and half the next year; 20 committed in 2008 leave 10 due in 2009; 2009's 20 and 2010's 30
    within payment appropriations of 15 a year (n+2 payment deadline): 2009 pays the 10 of 2008 and 5 of the
    10 due on 2009; 2010 pays the 15 still due on 2009's (the earlier deadline first); 2010's 30 are outstanding
    at the end of 2010:

    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([15.0, 15.0]), opening=((2008, 20.0),))
    >>> tpma = dataclasses.replace(sc.instruments[0], payment_profile=(0.5, 0.5), budget=budget)
    >>> got = schedule(sc.evolve(instruments=(tpma, sc.instruments[1])), np.array([[20.0, 30.0], [0.0, 0.0]]))
    >>> got["cohort_paid"][0].tolist(), got["cohort_outstanding"][0].tolist()
    ([[10.0, 0.0], [5.0, 15.0], [0.0, 0.0]], [0.0, 0.0, 30.0])
    """
    years, all_cohorts = sc.years, cohorts(sc)
    ni, nc, ny = len(sc.instruments), len(all_cohorts), len(years)
    names = ("cohort_committed", "cohort_paid_before", "cohort_decommitted", "cohort_outstanding")
    out: dict[str, np.ndarray] = {name: np.zeros((ni, nc)) for name in names}
    paid = np.zeros((ni, nc, ny))
    pa = limits(sc) if pa is None else pa
    for n, ins in enumerate(sc.instruments):
        amounts = dict(ins.budget.opening)
        amounts.update({year: float(committed[n, y]) for y, year in enumerate(years)})
        deadline = ins.budget.deadline
        in_time = sum(ins.budget.contracted_profile()[: deadline.window + 1]) if deadline.kind == "contracting" \
            else 1.0
        k = _deadline(ins)
        due = np.zeros((nc, ny))
        for c, cohort in enumerate(all_cohorts):
            amount = amounts.get(cohort, 0.0)
            out["cohort_committed"][n, c] = amount
            out["cohort_decommitted"][n, c] = amount * (1.0 - in_time)
            for lag, share in enumerate(ins.payment_profile):
                part, t = amount * in_time * share, cohort + lag
                if lag > k:  # a profile past its payment deadline (refused in a file): decommitted
                    out["cohort_decommitted"][n, c] += part
                elif t < years[0]:
                    out["cohort_paid_before"][n, c] += part
                elif t > years[-1]:
                    out["cohort_outstanding"][n, c] += part
                else:
                    due[c, t - years[0]] += part
        waiting = np.zeros(nc)
        order = sorted(range(nc), key=lambda c: (all_cohorts[c] + k, all_cohorts[c]))
        for y, year in enumerate(years):
            waiting += due[:, y]
            left = pa[n, y]
            for c in order:
                pay = min(waiting[c], left)
                paid[n, c, y], waiting[c], left = pay, waiting[c] - pay, left - pay
            late = np.array([all_cohorts[c] + k <= year for c in range(nc)])
            out["cohort_decommitted"][n, late] += waiting[late]
            waiting[late] = 0.0
        out["cohort_outstanding"][n] += waiting
    out["cohort_paid"] = paid
    return out


# ---- the programme ------------------------------------------------------------------------------------------
def cells_by_instrument_year(cells: Any, ny: int) -> dict[tuple[int, int], np.ndarray]:
    """The positions of the eligible cells of each (instrument, year), grouped once.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules.program import ProgramBuilder
    >>> cells = define_eu(ProgramBuilder(), fs.load_scenario("scenarios/tutorial.yaml"))
    >>> len(cells_by_instrument_year(cells, 2)[(0, 0)])  # tpma in 2009: three priorities, two regions
    6
    """
    key = cells.i * ny + cells.y
    if not len(key):  # nothing eligible (every envelope 0): np.split would still give one empty part
        return {}
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    parts = np.split(order, starts[1:])
    return {(int(k) // ny, int(k) % ny): part for k, part in zip(keys, parts, strict=True)}



def payment_columns(a: Assembly) -> dict[str, Any] | None:
    """The ``payment[instrument, cohort, year]`` columns of the instruments with limited payment appropriations,
    made once per programme (the deadline and outstanding families use them too), with their cumulative rows
    ``Σ_{t' ≤ t} payment[i,c,t'] ≤`` what has fallen due on cohort c by year t; ``None`` when no instrument's
    payments are limited.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([8.0, 8.0]))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget)
    >>> lp = fs.assemble(sc.evolve(instruments=(tpma, sc.instruments[1])))
    >>> # (cohort, year): (2009, 2009), (2009, 2010), (2010, 2010)
    >>> lp.variables["payment"].size, lp.constraints["payments_not_before_due"].size
    (3, 3)
    """
    return a.once("payment_columns", _make_payment_columns)


def _make_payment_columns(a: Assembly) -> dict[str, Any] | None:
    sc, cells, b = a.sc, a.cells, a.b
    pa = limits(sc)
    which = [n for n in range(len(sc.instruments)) if np.isfinite(pa[n]).any()]
    if not which:
        return None
    years, all_cohorts = sc.years, cohorts(sc)
    y0 = years[0]
    col_i, col_c, col_y = [], [], []
    for n in which:
        k = _deadline(sc.instruments[n])
        opening = dict(sc.instruments[n].budget.opening)
        for c, cohort in enumerate(all_cohorts):
            if cohort < y0 and opening.get(cohort, 0.0) <= 0:
                continue
            for y, year in enumerate(years):
                if cohort <= year <= cohort + k:
                    col_i.append(n)
                    col_c.append(c)
                    col_y.append(y)
    ci, cc, cy = np.array(col_i, np.int64), np.array(col_c, np.int64), np.array(col_y, np.int64)
    block = b.add_variables(Header(PAYMENT.name, ("instrument", "cohort", "year"),
                                   (sc.instrument_ids, all_cohorts, years), (ci, cc, cy),
                                   long_name="payments made on a cohort's commitments"), len(ci))
    cols = block.start + np.arange(len(ci))
    of_iy = cells_by_instrument_year(cells, len(sc.years))
    # cumulative rows: one per payment column, Σ_{t' ≤ t} payment − (due by t)·committed ≤ (opening due by t)
    rows, rcols, vals, upper = [], [], [], np.zeros(len(ci))
    for r in range(len(ci)):
        n, c, y = ci[r], cc[r], cy[r]
        same = np.flatnonzero((ci == n) & (cc == c) & (cy <= y))
        rows += [r] * len(same)
        rcols += list(cols[same])
        vals += [1.0] * len(same)
        ins, cohort = sc.instruments[n], all_cohorts[c]
        share = sum(s for lag, s in enumerate(ins.payment_profile) if y0 <= cohort + lag <= years[y])
        if cohort < y0:
            upper[r] = share * dict(ins.budget.opening)[cohort]
        else:
            mine = of_iy.get((n, years.index(cohort)), np.zeros(0, np.int64))
            rows += [r] * len(mine)
            rcols += list(cells.col[mine])
            vals += [-share] * len(mine)
    b.add_constraints(Header(CUMULATIVE.name, CUMULATIVE.dims, (sc.instrument_ids, all_cohorts, years), (ci, cc, cy),
                             CUMULATIVE.row_unit, CUMULATIVE.long_name),
                      Entries(np.array(rows), np.array(rcols), np.array(vals)), np.full(len(ci), -np.inf), upper,
                      kind="le")
    return {"i": ci, "c": cc, "y": cy, "cols": cols, "instruments": which}


def define_payment_appropriations(a: Assembly) -> None:
    """``Σ_c payment[i,c,y] ≤ PA[i,y]``: what the instrument pays in a year, on the plan's commitments and on the
    opening RAL, within its payment appropriations; each cohort's payments no earlier than they fall due
    (:func:`payment_columns`). Only instrument-years with finite payment appropriations get a row.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([12.0, 15.0]), opening=((2008, 4.0),))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget, payment_profile=(0.5, 0.5))
    >>> lp = fs.assemble(sc.evolve(instruments=(tpma, sc.instruments[1])))
    >>> block = lp.constraints["payment_appropriations"]
    >>> block.coords[0], lp.row_upper[block.start:block.stop]
    (('tpma', 'enpi'), array([12., 15.]))
    >>> lp.A[block.start].nnz  # 2009 pays on the 2008 and the 2009 cohorts
    2
    """
    sc, b = a.sc, a.b
    got = payment_columns(a)
    if got is None:
        return
    pa = limits(sc)
    ki, ky = np.nonzero(np.isfinite(pa))
    row_of = np.full(pa.shape, -1, dtype=np.int64)
    row_of[ki, ky] = np.arange(len(ki))
    target = row_of[got["i"], got["y"]]
    keep = target >= 0
    b.add_constraints(
        Header(PAYMENT_APPROPRIATIONS.name, PAYMENT_APPROPRIATIONS.dims, (sc.instrument_ids, sc.years), (ki, ky),
               PAYMENT_APPROPRIATIONS.row_unit, PAYMENT_APPROPRIATIONS.long_name),
        Entries(target[keep], got["cols"][keep], np.ones(int(keep.sum()))), np.full(len(ki), -np.inf), pa[ki, ky],
        kind="le",
    )


def payments_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """The ``payment`` columns for the EU cube ``eu``: each cohort paid when due, earliest deadline first within
    the payment appropriations (:func:`schedule`).

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([8.0, 8.0]))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget)
    >>> sc = sc.evolve(instruments=(tpma, sc.instruments[1]))
    >>> lp = fs.assemble(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0] = [10.0, 4.0]  # paid at once: 2009 pays 8 of its 10, 2010 the other 2 and its own 4
    >>> payments_of(sc, eu, lp.variables["payment"], np.full(3, np.inf))  # (2009, 2009), (2009, 2010), (2010, 2010)
    array([8., 2., 4.])
    """
    paid = schedule(sc, eu.sum(axis=(1, 2)))["cohort_paid"]
    return paid[block.positions]


PAYMENT = Columns("payment", "reduced cost of a payment made on a cohort's commitments in a year", payments_of,
                  slack=True, canonical=True)


def check_payment_appropriations(plan: Plan) -> list[Violation]:
    """Every cohort can be paid within the payment appropriations: paid when due or later, and by its payment
    deadline; what cannot is reported as decommitted for want of payment appropriations.

    Examples
    --------
    TPMA pays half of a commitment at once and half the next year, each paid by n+1; its payment appropriations
    are 12 in 2009 and 15 in 2010. 2009 pays the 2 due on 2008's commitments and 10 of the 13 due on 2009's; 2010
    would need the 3 left and 13 more, 16: 1 of 2009's commitments cannot be paid by 2010:

    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([12.0, 15.0]), opening=((2008, 4.0),),
    ...                          deadline=fs.model.Deadline("payment", 1))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget, payment_profile=(0.5, 0.5))
    >>> sc = sc.evolve(instruments=(tpma, sc.instruments[1]))
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0] = 26.0  # 13 due in 2009, 13 in 2010
    >>> [(v.labels, v.value) for v in check_payment_appropriations(Plan(sc, eu, eu, eu, eu, None, None, 1e-7, 1e-6))]
    [({'instrument': 'tpma', 'cohort': 2009}, 1.0)]
    """
    sc, found = plan.sc, []
    pa = limits(sc)
    committed = plan.eu.sum(axis=(1, 2))
    got = schedule(sc, committed)
    free = schedule(sc, committed, np.full(pa.shape, np.inf))  # what the profiles themselves decommit
    for n, ins in enumerate(sc.instruments):
        if not np.isfinite(pa[n]).any():
            continue
        for c, cohort in enumerate(cohorts(sc)):
            lost = got["cohort_decommitted"][n, c] - free["cohort_decommitted"][n, c]
            if lost > plan.slack(got["cohort_committed"][n, c]):
                rule = Rule("payment_appropriations", "payment appropriations", {"instrument": ins.id,
                                                                                  "cohort": cohort})
                found.append(Violation(rule.family, rule.words, rule.labels, lost, 0.0, lost, "EUR m",
                                       f"payment appropriations: {ins.id} cannot pay its {cohort} commitments by "
                                       f"their deadline ({ins.budget.deadline.words()}) within its payment "
                                       f"appropriations: {eur(lost)} would be decommitted"))
    return found


FAMILY = register(RuleFamily("payment_appropriations", (PAYMENT_APPROPRIATIONS, CUMULATIVE),
                             define_payment_appropriations, check_payment_appropriations, order=46,
                             columns=(PAYMENT,)))
