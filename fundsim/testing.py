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

__all__ = ["Violation", "assert_allocation_feasible", "violations"]


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
    return Plan(sc, cube("eu"), cube("cofin"), cube("total"), cube("payments"), later, flagged, rtol, atol)


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
    ['absorption', 'cofinancing', 'envelope', 'payments']
    >>> worst = max((v for v in violations(sc, data) if v.family == "absorption"), key=lambda v: v.size)
    >>> worst.labels, worst.value, worst.limit, worst.size, worst.unit
    ({'region': 'north_africa', 'year': 2009}, 50.0, 25.0, 25.0, 'EUR m')
    """
    plan = dataclasses.replace(_plan(scenario, allocation, rtol, atol), exact_cofinancing=exact_cofinancing)
    return [v for check in checks() for v in check(plan)]


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
