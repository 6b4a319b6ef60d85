"""Outstanding commitments (the RAL, *reste à liquider*) at the end of the last year: what an instrument has
committed and not yet paid — on the plan's commitments and on the opening position — stays within a limit."""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario, opening_due
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.payment_appropriations import payment_columns, schedule
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import payment_profiles

__all__ = ["FAMILY", "OUTSTANDING", "check_outstanding", "define_outstanding", "outstanding_share"]

OUTSTANDING = Rows(
    "max_outstanding", ("instrument",),
    "objective gained per EUR m more commitments the instrument may leave outstanding (RAL) at the end of the last "
    "year", long_name="outstanding commitments (RAL) at the horizon",
    repair=Repair("the limit on {instrument!r}'s outstanding commitments at the horizon (what the opening "
                  "position leaves of it)", target="outstanding_limit"))


def outstanding_share(sc: Scenario) -> np.ndarray:
    """``(instrument, year)``: the share of a commitment of that year still unpaid at the end of the last year.

    Examples
    --------
    >>> import dataclasses
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma = dataclasses.replace(sc.instruments[0], payment_profile=(0.5, 0.3, 0.2))
    >>> outstanding_share(sc.evolve(instruments=(tpma, sc.instruments[1]))).round(6).tolist()
    [[0.2, 0.5], [0.0, 0.0]]
    """
    profile = payment_profiles(sc)
    ny = len(sc.years)
    left = np.zeros((len(sc.instruments), ny))
    for y in range(ny):
        paid_lags = ny - y  # lags 0 … ny − y − 1 fall in the scenario years
        left[:, y] = profile[:, paid_lags:].sum(axis=1)
    return left


def define_outstanding(a: Assembly) -> None:
    """``Σ_{p,r,y} left[i,y]·eu[i,p,r,y] ≤ max_outstanding[i] − opening_left[i]``, where ``left[i,y]`` is the share
    of a commitment of year y unpaid at the end of the last year (:func:`outstanding_share`) and
    ``opening_left`` what the opening position still owes then.

    Examples
    --------
    >>> import dataclasses
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma = dataclasses.replace(sc.instruments[0], payment_profile=(0.5, 0.5),
    ...                            budget=fs.model.Budget(max_outstanding=2.0))
    >>> lp = fs.assemble(sc.evolve(instruments=(tpma, sc.instruments[1])))
    >>> block = lp.constraints["max_outstanding"]
    >>> block.coords, lp.row_upper[block.start:block.stop], lp.A[block.start].sum()  # half of 2010's six cells
    ((('tpma', 'enpi'),), array([2.]), np.float64(3.0))
    """
    sc, cells, b = a.sc, a.cells, a.b
    limit = np.array([np.inf if i.budget.max_outstanding is None else i.budget.max_outstanding
                      for i in sc.instruments])
    which = np.flatnonzero(np.isfinite(limit))
    if not len(which):
        return
    row_of = np.full(len(limit), -1, dtype=np.int64)
    row_of[which] = np.arange(len(which))
    coef = outstanding_share(sc)[cells.i, cells.y]
    opening = np.array([opening_due(i.payment_profile, i.budget.opening, sc.years)[2] for i in sc.instruments])
    paying = payment_columns(a)  # instruments that may pay later than due: what is left is what is not paid
    later = np.zeros(len(limit), bool)
    rows, cols, vals = [], [], []
    if paying is not None:
        later[[n for n in paying["instruments"] if row_of[n] >= 0]] = True
        for n in paying["instruments"]:  # outstanding = commitments and opening RAL − payments made in the horizon
            if row_of[n] < 0:
                continue  # its payments are limited but its RAL is not: no row
            ins = sc.instruments[n]
            due, _, after = opening_due(ins.payment_profile, ins.budget.opening, sc.years)
            opening[n] = due.sum() + after
            mine = paying["i"] == n
            rows.append(np.full(int(mine.sum()), row_of[n]))
            cols.append(paying["cols"][mine])
            vals.append(-np.ones(int(mine.sum())))
        coef = np.where(later[cells.i], 1.0, coef)
    keep = (row_of[cells.i] >= 0) & (coef > 0)
    rows.append(row_of[cells.i[keep]])
    cols.append(cells.col[keep])
    vals.append(coef[keep])
    b.add_constraints(
        Header(OUTSTANDING.name, OUTSTANDING.dims, (sc.instrument_ids,), (which,), OUTSTANDING.row_unit,
               OUTSTANDING.long_name),
        Entries(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)), np.full(len(which), -np.inf),
        limit[which] - opening[which], kind="le",
    )


def check_outstanding(plan: Plan) -> list[Violation]:
    """What is unpaid at the end of the last year — on the plan's commitments and the opening position's, paid when
    due or, with limited payment appropriations, as early as they allow
    (:func:`~fundsim.rules.payment_appropriations.schedule`)
    — stays within ``max_outstanding``.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma = dataclasses.replace(sc.instruments[0], payment_profile=(0.5, 0.5),
    ...                            budget=fs.model.Budget(max_outstanding=2.0))
    >>> sc = sc.evolve(instruments=(tpma, sc.instruments[1]))
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0, 1] = 10.0  # half of tpma's 2010 commitment is unpaid at the end of 2010
    >>> plan = Plan(sc, eu, eu, eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit) for v in check_outstanding(plan)]
    [({'instrument': 'tpma'}, 5.0, 2.0)]
    """
    sc, found = plan.sc, list[Violation]()
    left = schedule(sc, plan.eu.sum(axis=(1, 2)))["cohort_outstanding"].sum(axis=1)
    for n, ins in enumerate(sc.instruments):
        if ins.budget.max_outstanding is None:
            continue
        rule = Rule("outstanding", "outstanding commitments", {"instrument": ins.id})
        found += plan.outside(rule, f"{ins.id}'s commitments unpaid at the end of {sc.years[-1]} are",
                              float(left[n]), None, ins.budget.max_outstanding)
    return found


FAMILY = register(RuleFamily("outstanding", (OUTSTANDING,), define_outstanding, check_outstanding, order=47))
