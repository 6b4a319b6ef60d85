"""Check an allocation against every rule of its scenario, without the solver.

:func:`assert_allocation_feasible` re-reads each rule from the domain objects of a
:class:`~fundsim.model.Scenario` and re-checks it on the numbers of an allocation with plain numpy. It
never looks at the LP the allocation came from, so it catches rules the assembly got wrong as well as
plans that were edited, imported or stress-tested by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import xarray as xr

from fundsim.model import Scenario, Selector


class AllocationLike(Protocol):
    """What the checker reads of an allocation: its ``data`` (a :class:`fundsim.results.Allocation` is one).
    The oracle imports only the domain, not the LP, the solvers or the results it checks."""

    @property
    def data(self) -> xr.Dataset: ...

__all__ = ["assert_allocation_feasible", "violations"]

CUBE = ("instrument", "priority", "region", "year")


@dataclass(frozen=True, eq=False)
class _Plan:
    """An allocation's numbers as plain arrays in the scenario's label order, and the tolerance."""

    sc: Scenario
    eu: np.ndarray
    cofin: np.ndarray
    total: np.ndarray
    payments: np.ndarray
    after_horizon: np.ndarray | None  # payments due after the last year, per (instrument, priority, region)
    flagged: np.ndarray | None  # the allocation's own eligible flags
    rtol: float
    atol: float
    exact_cofinancing: bool = False

    def slack(self, bound: Any) -> Any:
        """How far past ``bound`` a value may lie before it counts as a violation."""
        return self.atol + self.rtol * np.abs(bound)

    def cell(self, i: int, p: int, r: int, y: int | None = None) -> str:
        """``"<instrument> for <priority> in <region> in <year>"``: one cell in words."""
        sc = self.sc
        when = "" if y is None else f" in {sc.years[y]}"
        return f"{sc.instrument_ids[i]} for {sc.priority_ids[p]} in {sc.region_ids[r]}{when}"


def _eur(value: float) -> str:
    return f"EUR {value:.3f} m"


def _bounds(rule: str, subject: str, value: float, lower: float | None, upper: float | None, plan: _Plan, *,
            lower_name: str = "minimum", upper_name: str = "maximum") -> list[str]:
    """Messages for ``value`` outside ``[lower, upper]``; ``subject`` ends with its verb ("… are")."""
    found = []
    if upper is not None and np.isfinite(upper) and value - upper > plan.slack(upper):
        found.append(f"{rule}: {subject} {_eur(value)}, above the {upper_name} of {_eur(upper)} "
                     f"(by {value - upper:.3f})")
    if lower is not None and np.isfinite(lower) and lower - value > plan.slack(lower):
        found.append(f"{rule}: {subject} {_eur(value)}, below the {lower_name} of {_eur(lower)} "
                     f"(by {lower - value:.3f})")
    return found


def _share_bounds(rule: str, subject: str, value: float, total: float, min_share: float | None,
                  max_share: float | None, plan: _Plan) -> list[str]:
    """Messages for money ``value`` outside ``[min_share, max_share]`` of all EU commitments ``total``."""
    found = []
    share = value / total if total > 0 else 0.0
    for limit, side, sign in ((max_share, "above the maximum", 1.0), (min_share, "below the minimum", -1.0)):
        if limit is None:
            continue
        bound = limit * total
        excess = sign * (value - bound)
        if excess > plan.slack(bound):
            found.append(f"{rule}: {subject} {_eur(value)} of {_eur(total)} of EU commitments ({share:.1%}), "
                         f"{side} share of {limit:.1%} ({_eur(bound)}; by {excess:.3f})")
    return found


# ---- reading the allocation ------------------------------------------------------------------------
def _dataset(allocation: AllocationLike | xr.Dataset) -> xr.Dataset:
    return allocation if isinstance(allocation, xr.Dataset) else allocation.data


def _plan(sc: Scenario, allocation: AllocationLike | xr.Dataset, rtol: float, atol: float) -> _Plan:
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
    return _Plan(sc, cube("eu"), cube("cofin"), cube("total"), cube("payments"), later, flagged, rtol, atol)


# ---- what the scenario says, recomputed from the domain objects --------------------------------------
def _eligible(sc: Scenario) -> np.ndarray:
    """Boolean cube: the instrument funds the priority and the region and has usable money that year."""
    out = np.zeros((len(sc.instruments), len(sc.priorities), len(sc.regions), len(sc.years)), dtype=bool)
    for n, ins in enumerate(sc.instruments):
        p = np.isin(sc.priority_ids, list(ins.priorities))
        r = np.isin(sc.region_ids, list(ins.regions))
        out[n] = p[:, None, None] & r[None, :, None] & (np.asarray(ins.usable) > 0)[None, None, :]
    return out


def _cofinancing_rule(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Maximum EU share and match source per (instrument, priority, region); later exceptions win."""
    shape = (len(sc.instruments), len(sc.priorities), len(sc.regions))
    share = np.empty(shape)
    source = np.empty(shape, dtype=object)
    for n, ins in enumerate(sc.instruments):
        rule = ins.cofinancing
        share[n], source[n] = rule.max_eu_share, rule.match_source
        for exc in rule.exceptions:
            p = np.array([exc.priorities is None or x in exc.priorities for x in sc.priority_ids])
            r = np.array([exc.regions is None or x in exc.regions for x in sc.region_ids])
            hit = p[:, None] & r[None, :]
            share[n][hit] = exc.max_eu_share
            if exc.match_source is not None:
                source[n][hit] = exc.match_source
    return share, source


def _paid(sc: Scenario, money: np.ndarray) -> np.ndarray:
    """Money falling due per (instrument, priority, region, year) under each instrument's payment profile."""
    ny = len(sc.years)
    out = np.zeros_like(money)
    for n, ins in enumerate(sc.instruments):
        for lag, share in enumerate(ins.payment_profile[:ny]):
            out[n, ..., lag:] += share * money[n, ..., : ny - lag]
    return out


def _selected(sel: Selector, sc: Scenario) -> np.ndarray:
    """Boolean cube of the cells a selector names (eligible or not)."""
    v = [sel.vector(dim, tuple(labels)) for dim, labels in zip(CUBE, sc.coords().values(), strict=True)]
    return v[0][:, None, None, None] & v[1][None, :, None, None] & v[2][None, None, :, None] & v[3]


# ---- one check per rule family ---------------------------------------------------------------------
def check_finite_and_nonnegative(plan: _Plan) -> list[str]:
    """Every amount is a number and none is negative."""
    found = []
    for name, what in (("eu", "commits"), ("cofin", "mobilises co-financing of"),
                       ("total", "has a total cost of"), ("payments", "pays")):
        values = getattr(plan, name)
        for idx in np.argwhere(~np.isfinite(values)):
            found.append(f"non-negativity: {plan.cell(*idx)} {what} {values[tuple(idx)]}, "
                         "not a finite amount")
        for idx in np.argwhere(values < -plan.atol):
            found.append(f"non-negativity: {plan.cell(*idx)} {what} {_eur(values[tuple(idx)])}, below zero")
    return found


def check_eligibility(plan: _Plan) -> list[str]:
    """No EU money where the instrument may not fund the priority or region, or has no usable money."""
    sc, found = plan.sc, []
    for i, p, r, y in np.argwhere(~_eligible(sc) & (np.abs(plan.eu) > plan.atol)):
        ins = sc.instruments[i]
        priority, region, year = sc.priority_ids[p], sc.region_ids[r], sc.years[y]
        why = [f"{ins.id} may not fund {priority}"] if priority not in ins.priorities else []
        why += [f"{ins.id} may not fund {region}"] if region not in ins.regions else []
        why += [f"{ins.id} has no usable money in {year}"] if not ins.usable[y] > 0 else []
        found.append(f"eligibility: {ins.id} commits {_eur(plan.eu[i, p, r, y])} to {priority} in {region} "
                     f"in {year}, but {' and '.join(why)}")
    return found


def check_envelope(plan: _Plan) -> list[str]:
    """``Σ_{p,r} eu[i,p,r,y] ≤ usable[i,y]``."""
    sc, found = plan.sc, []
    committed = plan.eu.sum(axis=(1, 2))
    for n, ins in enumerate(sc.instruments):
        for y, year in enumerate(sc.years):
            found += _bounds("envelope", f"{ins.id}'s commitments in {year} are", committed[n, y], None,
                             float(ins.usable[y]), plan, upper_name="usable envelope")
    return found


def check_cofinancing(plan: _Plan) -> list[str]:
    """``eu ≤ s·(eu + cofin)``, i.e. ``cofin ≥ eu·(1 - s)/s``, and ``total = eu + cofin`` in every cell.

    A maximum EU share allows more co-financing than the minimum; with ``exact_cofinancing`` the
    co-financing must be exactly the rule's rate, as fundsim plans it."""
    sc, found = plan.sc, []
    share, _ = _cofinancing_rule(sc)
    s = share[..., None]
    required = plan.eu * (1.0 - s) / s
    gap = required - plan.cofin
    for idx in np.argwhere(gap > plan.slack(required)):
        t = tuple(idx)
        actual = plan.eu[t] / (plan.eu[t] + plan.cofin[t])
        found.append(f"co-financing: the EU share of {plan.cell(*t)} is {actual:.1%} ({_eur(plan.eu[t])} EU, "
                     f"{_eur(plan.cofin[t])} co-financing), above the maximum EU share of {s[t[:3]][0]:.1%} "
                     f"(co-financing short by {gap[t]:.3f})")
    for idx in np.argwhere(-gap > plan.slack(required)) if plan.exact_cofinancing else ():
        t = tuple(idx)
        found.append(f"co-financing: {plan.cell(*t)} mobilises {_eur(plan.cofin[t])} of co-financing, but "
                     f"at the maximum EU share of {s[t[:3]][0]:.1%} its {_eur(plan.eu[t])} of EU money "
                     f"mobilises {_eur(required[t])}")
    off = np.abs(plan.total - plan.eu - plan.cofin)
    for idx in np.argwhere(off > plan.slack(plan.eu + plan.cofin)):
        t = tuple(idx)
        found.append(f"co-financing: the total cost of {plan.cell(*t)} is {_eur(plan.total[t])}, not the sum "
                     f"of its EU money ({_eur(plan.eu[t])}) and co-financing ({_eur(plan.cofin[t])})")
    return found


def check_match_capacity(plan: _Plan) -> list[str]:
    """``Σ cofin ≤ capacity[m, y]`` over the cells whose match source is m (per region-year for partners)."""
    sc, found = plan.sc, []
    _, source = _cofinancing_rule(sc)
    for m in sc.match_sources:
        drawn = (plan.cofin * (source == m.id)[..., None]).sum(axis=(0, 1))  # (region, year)
        cap = np.asarray(m.capacity, dtype=float)
        for y, year in enumerate(sc.years):
            if not m.per_region:
                found += _bounds("match capacity", f"co-financing drawn from {m.id} in {year} is",
                                 drawn[:, y].sum(), None, cap[y], plan, upper_name="capacity")
                continue
            for r, region in enumerate(sc.region_ids):
                found += _bounds("match capacity", f"co-financing drawn from {m.id} in {region} in {year} is",
                                 drawn[r, y], None, cap[r, y], plan, upper_name="capacity")
    return found


def check_payments(plan: _Plan) -> list[str]:
    """Payments follow each instrument's profile: ``pay[y] = Σ_l profile[l]·eu[y - l]``; each
    commitment is paid in full within the years or after the horizon."""
    sc, found = plan.sc, []
    expected = _paid(sc, plan.eu)
    for idx in np.argwhere(np.abs(plan.payments - expected) > plan.slack(expected)):
        t = tuple(idx)
        profile = list(sc.instruments[t[0]].payment_profile)
        found.append(f"payments: {plan.cell(*t)} pays {_eur(plan.payments[t])}, but the payment profile "
                     f"{profile} of its commitments gives {_eur(expected[t])}")
    if plan.after_horizon is not None:
        paid = plan.payments.sum(axis=-1) + plan.after_horizon
        committed = plan.eu.sum(axis=-1)
        for idx in np.argwhere(np.abs(paid - committed) > plan.slack(committed)):
            t = tuple(idx)
            found.append(f"payments: {plan.cell(*t)} pays {_eur(paid[t])} in all (counting what falls due "
                         f"after the last year), but commits {_eur(committed[t])}")
    return found


def check_absorption(plan: _Plan) -> list[str]:
    """``Σ_{i,p,l} profile[i,l]·money[i,p,r,y-l] ≤ capacity[r,y]``: payments falling due in a region-year,
    of EU money or of total cost (EU + co-financing) by the absorption basis, stay within capacity.

    Years after the last scenario year are held to the last year's capacity when the scenario's
    ``after_horizon`` is ``"last_year"``."""
    sc, found = plan.sc, []
    total = sc.absorption.basis == "total"
    money = (plan.total if total else plan.eu).sum(axis=1)  # (instrument, region, year)
    ny = len(sc.years)
    extra = max(len(ins.payment_profile) for ins in sc.instruments) - 1
    paid = np.zeros((len(sc.regions), ny + extra))
    for n, ins in enumerate(sc.instruments):
        for lag, share in enumerate(ins.payment_profile):
            paid[:, lag : lag + ny] += share * money[n]
    what = "payments (EU + co-financing)" if total else "payments"
    cap = np.asarray(sc.absorption.capacity, dtype=float)
    tail = cap[:, -1] if sc.absorption.after_horizon == "last_year" else np.full(len(sc.regions), np.inf)
    for r, region in enumerate(sc.region_ids):
        for y in range(ny + extra):
            limit = cap[r, y] if y < ny else tail[r]
            found += _bounds("absorption", f"{what} to {region} in {sc.years[0] + y} are", paid[r, y], None, limit,
                             plan, upper_name="capacity")
    return found


def check_pillar_balance(plan: _Plan) -> list[str]:
    """``min_share·E ≤ Σ_{p in pillar} eu ≤ max_share·E`` with ``E`` all EU commitments."""
    sc, found = plan.sc, []
    total = float(plan.eu.sum())
    pillar_of = np.array([p.pillar for p in sc.priorities])
    for rule in sc.rules.pillar_balance:
        value = float(plan.eu[:, pillar_of == rule.pillar].sum())
        found += _share_bounds("pillar balance", f"pillar {rule.pillar} gets", value, total, rule.min_share,
                               rule.max_share, plan)
    return found


def check_geographic_focus(plan: _Plan) -> list[str]:
    """``min_share·E ≤ Σ_{r in focus} eu ≤ max_share·E``."""
    sc, found = plan.sc, []
    total = float(plan.eu.sum())
    for rule in sc.rules.geographic_focus:
        inside = np.isin(sc.region_ids, list(rule.regions))
        where = ", ".join(sorted(rule.regions)) or "no region"
        value = float(plan.eu[:, :, inside].sum())
        found += _share_bounds("geographic focus", f"focus {rule.id} ({where}) gets", value, total,
                               rule.min_share, rule.max_share, plan)
    return found


def check_limits(plan: _Plan) -> list[str]:
    """``min ≤ Σ eu ≤ max`` over the period, per region and per priority."""
    sc, found = plan.sc, []
    by_region, by_priority = plan.eu.sum(axis=(0, 1, 3)), plan.eu.sum(axis=(0, 2, 3))
    families = (("region limits", sc.region_ids, by_region, sc.rules.region_limits),
                ("priority limits", sc.priority_ids, by_priority, sc.rules.priority_limits))
    for rule, labels, sums, limits in families:
        for lim in limits:
            found += _bounds(rule, f"EU commitments to {lim.label} over the period are",
                             float(sums[labels.index(lim.label)]), lim.min, lim.max, plan)
    return found


def check_min_packages(plan: _Plan) -> list[str]:
    """``Σ_{i, p in package, y} eu[i,p,r,y] ≥ amount`` for each package's region."""
    sc, found = plan.sc, []
    for pack in sc.rules.min_packages:
        counts = Selector(priorities=pack.priorities).vector("priority", sc.priority_ids)
        value = float(plan.eu[:, counts, sc.region_ids.index(pack.region)].sum())
        which = "" if pack.priorities is None else f" ({', '.join(sorted(pack.priorities))})"
        found += _bounds("minimum package", f"the package for {pack.region}{which} over the period is", value,
                         pack.amount, None, plan, lower_name="minimum package")
    return found


def check_caps(plan: _Plan) -> list[str]:
    """``min ≤ Σ_{slice} eu ≤ max`` over the period, or in each year of the slice for ``per_year`` caps."""
    sc, found = plan.sc, []
    for cap in sc.rules.caps:
        money = np.where(_selected(cap.selector, sc), plan.eu, 0.0)
        if not cap.per_year:
            found += _bounds("caps", f"commitments in the slice of cap {cap.id} over the period are",
                             float(money.sum()), cap.min, cap.max, plan)
            continue
        years = cap.selector.vector("year", sc.years)
        for y in np.flatnonzero(years):
            found += _bounds("caps", f"commitments in the slice of cap {cap.id} in {sc.years[y]} are",
                             float(money[..., y].sum()), cap.min, cap.max, plan)
    return found


def check_max_instruments(plan: _Plan) -> list[str]:
    """At most k instruments fund each priority × region cell over the period (any EU money counts)."""
    sc, rule = plan.sc, plan.sc.rules.max_instruments_per_cell
    if rule is None:
        return []
    active = np.abs(plan.eu).sum(axis=3) > plan.atol  # (instrument, priority, region)
    found = []
    for p, r in np.argwhere(active.sum(axis=0) > rule.k):
        names = [sc.instrument_ids[i] for i in np.flatnonzero(active[:, p, r])]
        found.append(f"instruments per cell: {len(names)} instruments fund {sc.priority_ids[p]} in "
                     f"{sc.region_ids[r]} ({', '.join(names)}), above the maximum of {rule.k}")
    return found


def check_min_commitment(plan: _Plan) -> list[str]:
    """An instrument funds a priority in a region with 0 or at least its minimum commitment over the period."""
    sc, rule = plan.sc, plan.sc.rules.min_commitment
    if rule is None:
        return []
    least = np.broadcast_to(rule.minimum(sc.instrument_ids)[:, None, None], plan.eu.shape[:3])
    line = plan.eu.sum(axis=3)
    gap = least - line
    short = (line > plan.atol) & (gap > plan.slack(least))
    return [f"minimum commitment: {plan.cell(*t)} commits {_eur(line[t])} over the period, more than nothing but "
            f"below the minimum commitment of {_eur(least[t])} (by {gap[t]:.3f})"
            for t in map(tuple, np.argwhere(short))]


def check_partnerships(plan: _Plan) -> list[str]:
    """At most ``max_new`` (at least ``min_new``) candidates are partners, each with its package.

    With ``only_partners`` every candidate receiving money for the package priorities is a partner;
    otherwise the candidates whose package is reached may be taken as the partners."""
    sc, mp = plan.sc, plan.sc.rules.mobility_partnerships
    if mp is None:
        return []
    counts = Selector(priorities=mp.priorities).vector("priority", sc.priority_ids)
    cand = [sc.region_ids.index(x) for x in mp.candidates]
    money = plan.eu[:, counts][:, :, cand].sum(axis=(0, 1, 3))
    reached = mp.package - money <= plan.slack(mp.package)
    found = []
    if mp.only_partners:
        funded = [x for x, v in zip(mp.candidates, money, strict=True) if v > plan.atol]
        if len(funded) > mp.max_new:
            found.append(f"mobility partnerships: {len(funded)} candidates receive money for the package priorities "
                         f"({', '.join(funded)}), more than the {mp.max_new} new partnerships allowed")
        found += [f"mobility partnerships: the package for {x} over the period is {_eur(v)}, below the partnership "
                  f"package of {_eur(mp.package)} (by {mp.package - v:.3f})"
                  for x, v, ok in zip(mp.candidates, money, reached, strict=True) if v > plan.atol and not ok]
    if reached.sum() < mp.min_new:
        found.append(f"mobility partnerships: {int(reached.sum())} candidates reach the partnership package of "
                     f"{_eur(mp.package)}, fewer than the {mp.min_new} new partnerships required")
    return found


def check_eligible_flags(plan: _Plan) -> list[str]:
    """The allocation's own ``eligible`` flags, where it has them, agree with the scenario."""
    if plan.flagged is None:
        return []
    wrong = np.argwhere(plan.flagged != _eligible(plan.sc))
    if not len(wrong):
        return []
    return [f"eligibility: the allocation's eligible flags disagree with the scenario in {len(wrong)} cells, "
            f"e.g. {plan.cell(*wrong[0])}"]


CHECKS: tuple[Callable[[_Plan], list[str]], ...] = (
    check_finite_and_nonnegative, check_eligibility, check_eligible_flags, check_envelope, check_cofinancing,
    check_match_capacity, check_payments, check_absorption, check_pillar_balance, check_geographic_focus,
    check_limits, check_min_packages, check_caps, check_max_instruments, check_min_commitment, check_partnerships,
)


def violations(scenario: Scenario, allocation: AllocationLike | xr.Dataset, *, exact_cofinancing: bool = False,
               rtol: float = 1e-7, atol: float = 1e-6) -> list[str]:
    """Every rule of ``scenario`` that ``allocation`` breaks, one message each in the rules' own words.

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
    list of str
        one line per violation, each starting with its rule family (``"absorption: …"``)

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
    >>> sorted({line.split(":")[0] for line in violations(sc, data)})
    ['absorption', 'co-financing', 'envelope', 'payments']
    """
    plan = dataclasses.replace(_plan(scenario, allocation, rtol, atol), exact_cofinancing=exact_cofinancing)
    return [message for check in CHECKS for message in check(plan)]


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
        raise AssertionError("\n".join([head, *(f"  - {m}" for m in found)]))
