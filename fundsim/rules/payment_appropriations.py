"""Payment appropriations: what an instrument pays in a year — on the plan's commitments and on those made before
the first year (the opening RAL) — stays within the payment appropriations voted for it."""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario, opening_due
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import payment_profiles

__all__ = ["FAMILY", "PAYMENT_APPROPRIATIONS", "check_payment_appropriations", "define_payment_appropriations",
           "limits"]

PAYMENT_APPROPRIATIONS = Rows(
    "payment_appropriations", ("instrument", "year"),
    "objective gained per EUR m more payment appropriations of the instrument in that year",
    long_name="payment appropriations",
    repair=Repair("the payment appropriations of {instrument!r} in {year} (what the opening RAL leaves of them)",
                  target="payment_budget"))


def limits(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Payment appropriations ``(instrument, year)`` (``inf``: not limited) and what the opening RAL takes of them.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([12.0, 15.0]), opening=((2008, 4.0),))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget, payment_profile=(0.5, 0.5))
    >>> pa, opening = limits(sc.evolve(instruments=(tpma, sc.instruments[1])))
    >>> pa.tolist(), opening.tolist()  # 2 of the 2008 commitment falls due in 2009
    ([[12.0, 15.0], [inf, inf]], [[2.0, 0.0], [0.0, 0.0]])
    """
    ny = len(sc.years)
    pa = np.stack([np.full(ny, np.inf) if i.budget.payment_appropriations is None
                   else np.asarray(i.budget.payment_appropriations, float) for i in sc.instruments])
    opening = np.stack([opening_due(i.payment_profile, i.budget.opening, sc.years)[0] for i in sc.instruments])
    return pa, opening


def define_payment_appropriations(a: Assembly) -> None:
    """``Σ_{p,r,l} profile[i,l]·eu[i,p,r,y−l] ≤ PA[i,y] − opening[i,y]``: payments falling due on the plan's
    commitments, and on the opening RAL (``opening``), within the payment appropriations.

    Only instrument-years with finite payment appropriations get a row.

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
    >>> block.coords, lp.row_upper[block.start:block.stop]  # 12 less the 2 due on 2008's commitment; 15
    ((('tpma', 'enpi'), (2009, 2010)), array([10., 15.]))
    >>> lp.A[block.start + 1].sum()  # 2010 pays half of 2009's six cells and half of 2010's
    np.float64(6.0)
    """
    sc, cells, b = a.sc, a.cells, a.b
    pa, opening = limits(sc)
    finite = np.isfinite(pa)
    if not finite.any():
        return
    ki, ky = np.nonzero(finite)
    row_of = np.full(pa.shape, -1, dtype=np.int64)
    row_of[ki, ky] = np.arange(len(ki))
    profile = payment_profiles(sc)
    ny = len(sc.years)
    rows, cols, vals = [], [], []
    for lag in range(profile.shape[1]):
        coef = profile[cells.i, lag]
        due = cells.y + lag
        ok = (coef > 0) & (due < ny)
        target = row_of[cells.i[ok], due[ok]]
        keep = target >= 0
        rows.append(target[keep])
        cols.append(cells.col[ok][keep])
        vals.append(coef[ok][keep])
    b.add_constraints(
        Header(PAYMENT_APPROPRIATIONS.name, PAYMENT_APPROPRIATIONS.dims, (sc.instrument_ids, sc.years), (ki, ky),
               PAYMENT_APPROPRIATIONS.row_unit, PAYMENT_APPROPRIATIONS.long_name),
        Entries(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)), np.full(len(ki), -np.inf),
        pa[ki, ky] - opening[ki, ky], kind="le",
    )


def check_payment_appropriations(plan: Plan) -> list[Violation]:
    """``Σ_{p,r} payments[i,p,r,y] + opening[i,y] ≤ PA[i,y]``: the plan's payments and the opening RAL's within
    the payment appropriations.

    Examples
    --------
    TPMA may pay 12 in 2009, 2 of which go to its 2008 commitment; the plan pays 11 more:

    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(payment_appropriations=np.array([12.0, 15.0]), opening=((2008, 4.0),))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget, payment_profile=(0.5, 0.5))
    >>> sc = sc.evolve(instruments=(tpma, sc.instruments[1]))
    >>> pay = np.zeros((2, 3, 2, 2))
    >>> pay[0, 2, 0, 0] = 11.0
    >>> plan = Plan(sc, pay, np.zeros_like(pay), pay, pay, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit) for v in check_payment_appropriations(plan)]
    [({'instrument': 'tpma', 'year': 2009}, 13.0, 12.0)]
    """
    sc, found = plan.sc, []
    pa, opening = limits(sc)
    due = plan.payments.sum(axis=(1, 2)) + opening
    for n, ins in enumerate(sc.instruments):
        for y, year in enumerate(sc.years):
            if np.isfinite(pa[n, y]):
                rule = Rule("payment_appropriations", "payment appropriations", {"instrument": ins.id, "year": year})
                found += plan.outside(rule, f"{ins.id}'s payments in {year} (the opening RAL's included) are",
                                      float(due[n, y]), None, float(pa[n, y]),
                                      names=("minimum", "payment appropriations"))
    return found


FAMILY = register(RuleFamily("payment_appropriations", (PAYMENT_APPROPRIATIONS,), define_payment_appropriations,
                             check_payment_appropriations, order=46))
