"""Check an allocation against every rule of its scenario, without the solver.

:func:`assert_allocation_feasible` re-reads each rule from the domain objects of a
:class:`~fundsim.model.Scenario` and re-checks it on the numbers of an allocation with plain numpy. It
never looks at the LP the allocation came from, so it catches rules the assembly got wrong as well as
plans that were edited, imported or stress-tested by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol

import numpy as np
import xarray as xr

from fundsim.model import Scenario
from fundsim.rules import Violation, families
from fundsim.rules.checking import CUBE, Plan, eligible, eur


class AllocationLike(Protocol):
    """What the checker reads of an allocation: its ``data`` (a :class:`fundsim.results.Allocation` is one).
    The oracle imports only the domain, not the LP, the solvers or the results it checks."""

    @property
    def data(self) -> xr.Dataset: ...

__all__ = ["Violation", "assert_allocation_feasible", "check_ledger", "violations"]


# ---- reading the allocation ------------------------------------------------------------------------
def _dataset(allocation: AllocationLike | xr.Dataset) -> xr.Dataset:
    return allocation if isinstance(allocation, xr.Dataset) else allocation.data


def _plan(sc: Scenario, allocation: AllocationLike | xr.Dataset, rtol: float, atol: float) -> Plan:
    """The allocation's cubes in scenario order; raises AssertionError when the labels do not match."""
    data = _dataset(allocation)
    coords = sc.coords()
    missing = [name for name in ("eu", "cofin", "total", "payments") if name not in data.variables]
    if missing:
        held = sorted(map(str, data.data_vars))
        raise AssertionError(f"the allocation has no {', '.join(missing)}; it holds {held}")
    for dim, labels in coords.items():
        have = list(data[dim].values) if dim in data.coords else []
        if sorted(map(str, have)) != sorted(map(str, labels)):
            raise AssertionError(f"the allocation's {dim} labels {have} are not the scenario's {labels}")

    def cube(name: str, dims: tuple[str, ...] = CUBE, dtype: type = float) -> np.ndarray:
        return np.asarray(data[name].transpose(*dims).sel({d: coords[d] for d in dims}).values, dtype=dtype)

    later = cube("payments_after_horizon", CUBE[:3]) if "payments_after_horizon" in data.variables else None
    flagged = cube("eligible", dtype=bool) if "eligible" in data.variables else None
    carried = unused = None
    if all(name in data.variables for name in (*_UNUSED, "carried_out")):
        iy = ("instrument", "year")
        carried = cube("carried_out", iy)
        unused = np.sum([cube(name, iy) for name in _UNUSED], axis=0)
    return Plan(sc, cube("eu"), cube("cofin"), cube("total"), cube("payments"), later, flagged, rtol, atol,
                carried=carried, unused=unused)


_UNUSED = ("lapsed", "not_used", "lost_at_cutoff")


# ---- what holds whatever the rules: amounts, eligibility ----------------------------------------------
def _general(family: str, words: str, labels: dict, value: float, size: float, message: str) -> Violation:
    return Violation(family, words, labels, value, 0.0, size, "EUR m", f"{words}: {message}")


def check_finite_and_nonnegative(plan: Plan) -> list[Violation]:
    """Every amount is a number and none is negative."""
    found = []
    for name, what in (("eu", "commits"), ("cofin", "mobilises co-financing of"),
                       ("total", "has a total cost of"), ("payments", "pays")):
        values = getattr(plan, name)
        for idx in map(tuple, np.argwhere(~np.isfinite(values))):
            found.append(_general("non_negativity", "non-negativity", plan.labels(*idx), values[idx], np.nan,
                                  f"{plan.cell(*idx)} {what} {values[idx]}, not a finite amount"))
        for idx in map(tuple, np.argwhere(values < -plan.atol)):
            found.append(_general("non_negativity", "non-negativity", plan.labels(*idx), values[idx], -values[idx],
                                  f"{plan.cell(*idx)} {what} {eur(values[idx])}, below zero"))
    return found


def check_eligibility(plan: Plan) -> list[Violation]:
    """No EU money where the instrument may not fund the priority or region, or has no usable money."""
    sc, found = plan.sc, []
    for i, p, r, y in np.argwhere(~eligible(sc) & (np.abs(plan.eu) > plan.atol)):
        ins = sc.instruments[i]
        priority, region, year = sc.priority_ids[p], sc.region_ids[r], sc.years[y]
        why = [f"{ins.id} may not fund {priority}"] if priority not in ins.priorities else []
        why += [f"{ins.id} may not fund {region}"] if region not in ins.regions else []
        why += [f"{ins.id} has no usable money in {year}"] if not ins.usable[y] > 0 else []
        money = plan.eu[i, p, r, y]
        found.append(_general("eligibility", "eligibility", plan.labels(i, p, r, y), money, abs(money),
                              f"{ins.id} commits {eur(money)} to {priority} in {region} in {year}, but "
                              f"{' and '.join(why)}"))
    return found


def check_eligible_flags(plan: Plan) -> list[Violation]:
    """The allocation's own ``eligible`` flags, where it has them, agree with the scenario."""
    if plan.flagged is None:
        return []
    wrong = np.argwhere(plan.flagged != eligible(plan.sc))
    if not len(wrong):
        return []
    return [Violation("eligibility", "eligibility", plan.labels(*wrong[0]), len(wrong), 0.0, len(wrong), "count",
                      f"eligibility: the allocation's eligible flags disagree with the scenario in {len(wrong)} "
                      f"cells, e.g. {plan.cell(*wrong[0])}")]


GENERAL: tuple[Callable[[Plan], list[Violation]], ...] = (
    check_finite_and_nonnegative, check_eligibility, check_eligible_flags)


# ---- the money ledger, reconciled ---------------------------------------------------------------------------
def _carry_limits(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """What may be carried out of, and left unused in, each (instrument, year), re-read from the budget rules."""
    years = np.array(sc.years)
    carry = np.zeros((len(sc.instruments), len(years)))
    unused = np.full(carry.shape, np.inf)
    for n, ins in enumerate(sc.instruments):
        b = ins.budget
        if b.nature == "general_budget":
            carry[n, :-1] = b.carry_share * np.asarray(ins.usable, float)[:-1]  # nothing out of the last year
            continue
        cutoff = b.cutoff if b.cutoff is not None else years[-1] + 1
        carry[n] = np.where(years < cutoff, np.inf, 0.0)
        unused[n] = np.where(years >= cutoff, np.inf, 0.0)
        if cutoff > years[-1]:
            carry[n, -1] = np.inf
    return carry, unused


def _due_on_opening(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Payments due in each scenario year, and after the last, on the commitments made before the first year."""
    due, after = np.zeros((len(sc.instruments), len(sc.years))), np.zeros(len(sc.instruments))
    for n, ins in enumerate(sc.instruments):
        for year, amount in ins.budget.opening:
            for lag, share in enumerate(ins.payment_profile):
                if year + lag in sc.years:
                    due[n, sc.years.index(year + lag)] += share * amount
                elif year + lag > sc.years[-1]:
                    after[n] += share * amount
    return due, after


def check_ledger(sc: Scenario, data: xr.Dataset, plan: Plan) -> list[Violation]:
    """The allocation's money ledger reconciles, each term read from the allocation: commitment appropriations
    (usable + carried in = committed + carried out + lapsed + not used + lost at the cut-off in every year not
    overspent — an overspent year is the envelope's violation —, carried in equal
    to the year before's carried out, each term where and within the limits the budget rules allow) and
    commitments (committed = paid before + paid + decommitted + outstanding; payments due = the cubes' payments
    plus the opening RAL's; within the payment appropriations). Nothing to check for data without a ledger.

    Examples
    --------
    A ledger that says TPMA lapsed 2 more in 2009 than it had:

    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> data = fs.solve(sc).data.copy(deep=True)
    >>> data["lapsed"].loc[{"instrument": "tpma", "year": 2009}] += 2.0
    >>> plan = _plan(sc, data, 1e-7, 1e-6)
    >>> [(v.labels, v.value, v.limit) for v in check_ledger(sc, data, plan)]
    [({'instrument': 'tpma', 'year': 2009}, 12.0, 10.0)]
    """
    if "available" not in data.variables:
        return []
    coords, found = sc.coords(), []

    def get(name: str) -> np.ndarray:
        da = data[name]
        return np.asarray(da.sel({d: coords[d] for d in da.dims if d in coords}).values, dtype=float)

    def differ(what: str, labels: dict, got: float, want: float) -> None:
        if abs(got - want) > plan.slack(want):
            found.append(Violation("ledger", "ledger", labels, got, want, abs(got - want), "EUR m",
                                   f"ledger: {what} is {eur(got)}, but {eur(want)} by the ledger's other terms"))

    usable = np.stack([np.asarray(i.usable, float) for i in sc.instruments])
    carried_out, carried_in = get("carried_out"), get("carried_in")
    terms = {name: get(name) for name in ("committed", "carried_out", *_UNUSED)}
    carry, may_leave = _carry_limits(sc)
    committed = plan.eu.sum(axis=(1, 2))
    for n, ins in enumerate(sc.instruments):
        kept = {"lapsed": ins.budget.nature == "general_budget" and ins.budget.unused == "lapses",
                "not_used": ins.budget.unused == "returns",
                "lost_at_cutoff": ins.budget.nature == "fund" and ins.budget.unused == "lapses"}
        for y, year in enumerate(sc.years):
            where = {"instrument": ins.id, "year": year}
            came = carried_out[n, y - 1] if y else ins.budget.carried_in
            differ(f"{ins.id}'s appropriations carried into {year}", where, carried_in[n, y], came)
            differ(f"{ins.id}'s committed in {year}", where, terms["committed"][n, y], committed[n, y])
            differ(f"{ins.id}'s appropriations available in {year}", where, get("available")[n, y],
                   usable[n, y] + carried_in[n, y])
            if committed[n, y] <= usable[n, y] + carried_in[n, y] + plan.slack(usable[n, y]):  # else: envelope's
                differ(f"{ins.id}'s committed, carried over and unused in {year}", where,
                       sum(t[n, y] for t in terms.values()), usable[n, y] + carried_in[n, y])
            differ(f"{ins.id}'s carried out of {year}, beyond its limit,", where, carried_out[n, y],
                   min(carried_out[n, y], carry[n, y]))
            left = sum(terms[k][n, y] for k in _UNUSED)
            differ(f"{ins.id}'s money left unused in {year} (its budget rules keep it available)", where, left,
                   min(left, may_leave[n, y]))
            for name, allowed in kept.items():
                if not allowed:
                    differ(f"{ins.id}'s {name.replace('_', ' ')} in {year} (its budget rules have none)", where,
                           terms[name][n, y], 0.0)
    cohorts = [int(c) for c in data["cohort"].values]
    account = {name: get(name) for name in ("cohort_committed", "cohort_paid_before", "cohort_decommitted",
                                             "cohort_outstanding")}
    paid = get("cohort_paid")
    due_open, _ = _due_on_opening(sc)
    payments = plan.payments.sum(axis=(1, 2)) + due_open
    pa = np.stack([np.full(len(sc.years), np.inf) if i.budget.payment_appropriations is None
                   else np.asarray(i.budget.payment_appropriations, float) for i in sc.instruments])
    for n, ins in enumerate(sc.instruments):
        opening = dict(ins.budget.opening)
        for c, cohort in enumerate(cohorts):
            where = {"instrument": ins.id, "cohort": cohort}
            want = committed[n, sc.years.index(cohort)] if cohort in sc.years else opening.get(cohort, 0.0)
            differ(f"{ins.id}'s commitments of {cohort}", where, account["cohort_committed"][n, c], want)
            differ(f"{ins.id}'s {cohort} commitments paid, decommitted and outstanding", where,
                   account["cohort_paid_before"][n, c] + paid[n, c].sum() + account["cohort_decommitted"][n, c]
                   + account["cohort_outstanding"][n, c], account["cohort_committed"][n, c])
            fell_due = 0.0  # what has fallen due on the cohort by each year, from the profile
            for y, year in enumerate(sc.years):
                lag = year - cohort
                fell_due += ins.payment_profile[lag] * want if 0 <= lag < len(ins.payment_profile) else 0.0
                made = paid[n, c, : y + 1].sum()
                differ(f"{ins.id}'s payments on its {cohort} commitments by {year}, before they fall due,",
                       {**where, "year": year}, made, min(made, fell_due))
        for y, year in enumerate(sc.years):
            where = {"instrument": ins.id, "year": year}
            differ(f"{ins.id}'s payments due in {year}", where, get("payments_due")[n, y], payments[n, y])
            made = get("payments_made")[n, y]
            differ(f"{ins.id}'s payments made in {year}", where, made, paid[n, :, y].sum())
            differ(f"{ins.id}'s payments made in {year}, beyond its payment appropriations,", where, made,
                   min(made, pa[n, y]))
    return found


def checks() -> tuple[Callable[[Plan], list[Violation]], ...]:
    """Every check, in order: the amounts and eligibility, then each registered rule family's."""
    return (*GENERAL, *(f.check for f in families() if f.check is not None))


def violations(scenario: Scenario, allocation: AllocationLike | xr.Dataset, *, exact_cofinancing: bool = False,
               rtol: float = 1e-7, atol: float = 1e-6) -> list[Violation]:
    """Every rule of ``scenario`` that ``allocation`` breaks, one record each (``str(v)`` in the rules' words).

    The same checks as :func:`assert_allocation_feasible`, returned instead of raised, so that any
    allocation (an imported plan, a hand-edited one with money in ineligible cells or above its
    envelopes) can be scored for compliance. An empty list means every rule holds.

    Parameters
    ----------
    scenario : the :class:`~fundsim.model.Scenario` whose rules apply
    allocation : an :class:`~fundsim.results.Allocation`, or its ``data`` Dataset with ``eu``, ``cofin``,
        ``total`` and ``payments`` over (instrument, priority, region, year), EUR m
    exact_cofinancing : also flag cells that mobilise more co-financing than their rule requires
    rtol, atol : a value breaks a bound when it lies beyond it by more than ``atol + rtol·|bound|``

    Returns
    -------
    list of Violation
        one record per violation: its family, labels, value, limit, size, unit and message (the message
        starts with the rule in words, ``"absorption: …"``); see :class:`fundsim.rules.Violation`

    Raises
    ------
    AssertionError
        when the allocation lacks the cubes or its labels are not the scenario's (nothing to score)

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.testing import violations
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> data = fs.solve(sc).data.copy()
    >>> violations(sc, data)
    []
    >>> data["eu"] = 2 * data["eu"]
    >>> sorted({v.family for v in violations(sc, data)})
    ['absorption', 'cofinancing', 'envelope', 'ledger', 'payments']
    >>> worst = max((v for v in violations(sc, data) if v.family == "absorption"), key=lambda v: v.size)
    >>> worst.labels, worst.value, worst.limit, worst.size, worst.unit
    ({'region': 'north_africa', 'year': 2009}, 50.0, 25.0, 25.0, 'EUR m')
    """
    plan = dataclasses.replace(_plan(scenario, allocation, rtol, atol), exact_cofinancing=exact_cofinancing)
    return [v for check in checks() for v in check(plan)] + check_ledger(scenario, _dataset(allocation), plan)


def assert_allocation_feasible(scenario: Scenario, allocation: AllocationLike | xr.Dataset, *, rtol: float = 1e-7,
                               atol: float = 1e-6, exact_cofinancing: bool = False) -> None:
    """Check that an allocation keeps every rule of its scenario; raise listing every rule it breaks.

    Each rule is re-read from the scenario's domain objects and re-checked on the allocation's numbers
    with numpy, independently of the LP the allocation may have come from: non-negativity, eligibility,
    usable envelopes, co-financing (``cofin = eu·(1 - s)/s`` at the cell's maximum EU share ``s``, later
    exceptions winning), match-source capacity, payments against the payment profiles, absorption
    capacity, pillar balance, geographic focus, region and priority limits, minimum packages, caps, and
    the integer rules: instruments per priority × region cell, minimum commitments and new mobility
    partnerships (read from the money itself, not from any decision variables). Objective terms (impact,
    leverage, goal targets, administrative cost) constrain nothing and are not checked.

    Parameters
    ----------
    scenario : the :class:`~fundsim.model.Scenario` whose rules apply
    allocation : an :class:`~fundsim.results.Allocation`, or its ``data`` Dataset with ``eu``, ``cofin``,
        ``total`` and ``payments`` over (instrument, priority, region, year), EUR m
    rtol, atol : a value breaks a bound when it lies beyond it by more than ``atol + rtol·|bound|``
    exact_cofinancing : also flag cells that mobilise more co-financing than their rule requires (fundsim
        plans co-financing at exactly the rule's rate; an actual allocation may co-finance more)

    Raises
    ------
    AssertionError
        listing every violation in the rules' own words, e.g. ``absorption: payments to north_africa in
        2010 are EUR 27.300 m, above the capacity of EUR 25.000 m (by 2.300)``.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.testing import assert_allocation_feasible
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> alloc = fs.solve(sc)
    >>> assert_allocation_feasible(sc, alloc)
    >>> data = alloc.data.copy()
    >>> data["eu"] = 2 * data["eu"]  # twice the money: beyond every envelope and North Africa's capacity
    >>> try:
    ...     assert_allocation_feasible(sc, data)
    ... except AssertionError as err:
    ...     for line in str(err).splitlines():
    ...         if line.startswith("  - absorption"):
    ...             print(line)  # doctest: +NORMALIZE_WHITESPACE
      - absorption: payments to north_africa in 2009 are EUR 50.000 m, above the capacity of
        EUR 25.000 m (by 25.000)
      - absorption: payments to north_africa in 2010 are EUR 50.000 m, above the capacity of
        EUR 25.000 m (by 25.000)
    """
    found = violations(scenario, allocation, exact_cofinancing=exact_cofinancing, rtol=rtol, atol=atol)
    if found:
        n = len(found)
        head = f"{n} violation{'s' if n != 1 else ''} of the rules of scenario {scenario.name!r}:"
        raise AssertionError("\n".join([head, *(f"  - {v}" for v in found)]))
