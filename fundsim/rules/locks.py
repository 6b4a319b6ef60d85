"""Locks: the EU money in a slice of the allocation is fixed at an amount (adopted annual programmes, decisions
already taken) or held within bounds; the mid-term review (:func:`fundsim.replan`) holds the years
already committed this way, cell by cell."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, model_validator

from fundsim import model as m
from fundsim.rules.checking import CUBE, Plan, Rule, Violation
from fundsim.rules.entries import Labels, Section, SliceSelector
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import Amount, Id, Located, MaxAmount
from fundsim.rules.limits import bounds
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import Cells

__all__ = ["FAMILY", "LOCKS", "SECTION", "LockSpec", "check_locks", "define_locks", "slice_index"]

LOCKS = Rows("locks", ("lock",),
             "objective gained per EUR m the lock is loosened (a fixed amount lowered or raised, a bound moved)",
             long_name="locked slices",
             repair=Repair("the {bound} of the lock {lock!r}", section="locks", dim="lock"))


def slice_index(sel: m.Selector, sc: m.Scenario) -> tuple[np.ndarray, ...]:
    """The positions a selector names on each dim of the cube (instrument, priority, region, year), for
    ``np.ix_``: the slice is their product, so a lock costs the size of its own slice, not of the cube.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Selector
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> [i.tolist() for i in slice_index(Selector(instruments=frozenset({"enpi"}), years=frozenset({2009})), sc)]
    [[1], [0, 1, 2], [0, 1], [0]]
    """
    return tuple(np.flatnonzero(sel.vector(dim, tuple(labels)))
                 for dim, labels in zip(CUBE, sc.coords().values(), strict=True))


def _members(sc: m.Scenario, cells: Cells, locks: tuple[m.Lock, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(lock, cell)`` pairs: the eligible cells in each lock's slice."""
    shape = (len(sc.instruments), len(sc.priorities), len(sc.regions), len(sc.years))
    cell_of = np.full(shape, -1, dtype=np.int64)
    cell_of[cells.i, cells.p, cells.r, cells.y] = np.arange(cells.n)
    found = [cell_of[np.ix_(*slice_index(lock.selector, sc))].ravel() for lock in locks]
    found = [f[f >= 0] for f in found]
    which = np.repeat(np.arange(len(locks)), [len(f) for f in found])
    return which, np.concatenate(found) if found else np.zeros(0, np.int64)


def define_locks(a: Assembly) -> None:
    """``min_l ≤ Σ_{cells in slice l} eu ≤ max_l`` per lock; a fixed lock has ``min_l = max_l`` (its amount).

    Examples
    --------
    ENPI commits 17 in 2009 (its four eligible cells: mobility and return, two regions); at most 5 of TPMA's
    money goes to remittances (two cells a year):

    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["locks"] = [
    ...     {"id": "enpi_2009", "instruments": ["enpi"], "years": [2009], "amount": 17},
    ...     {"id": "tpma_remittances", "instruments": ["tpma"], "priorities": ["remittances"], "max": 5}]
    >>> lp = fs.assemble(fs.scenario_from_dict(raw))
    >>> locks = lp.constraints["locks"]
    >>> locks.coords, locks.kind, lp.A[locks.start:locks.stop].getnnz(1).tolist()
    ((('enpi_2009', 'tpma_remittances'),), 'range', [4, 4])
    >>> lp.row_lower[locks.start:locks.stop], lp.row_upper[locks.start:locks.stop]
    (array([ 17., -inf]), array([17.,  5.]))
    """
    sc, cells = a.sc, a.cells
    locks = sc.rules.locks
    if not locks:
        return
    which, idx = _members(sc, cells, locks)
    lower, upper, kind = bounds([x.min for x in locks], [x.max for x in locks])
    a.b.add_constraints(Header(LOCKS.name, LOCKS.dims, (tuple(x.id for x in locks),), None, LOCKS.row_unit,
                               LOCKS.long_name),
                        Entries(which, cells.col[idx], np.ones(len(idx))), lower, upper, kind=kind)


def check_locks(plan: Plan) -> list[Violation]:
    """``min ≤ Σ_{slice} eu ≤ max`` per lock, on the allocation's numbers (the slice's cells, eligible or not).

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["locks"] = [{"id": "enpi_2009", "instruments": ["enpi"], "years": [2009], "amount": 17}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 1, 0, 0] = 20.0  # enpi, return, north_africa, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.size) for v in check_locks(plan)]
    [({'lock': 'enpi_2009'}, 20.0, 17.0, 3.0)]
    """
    sc, found = plan.sc, []
    for lock in sc.rules.locks:
        money = float(plan.eu[np.ix_(*slice_index(lock.selector, sc))].sum())
        names = ("locked amount", "locked amount") if lock.fixed else ("minimum", "maximum")
        found += plan.outside(Rule("locks", "locks", {"lock": lock.id}),
                              f"commitments in the slice of lock {lock.id} are", money, lock.min, lock.max,
                              names=names)
    return found


def _amount_or_bounds(spec: LockSpec) -> LockSpec:
    if spec.amount is not None and (spec.min is not None or spec.max is not None):
        given = " and ".join(f"{k} {getattr(spec, k):g}" for k in ("min", "max") if getattr(spec, k) is not None)
        raise ValueError(f"give amount (a fixed lock) or min/max (a bounded lock), not both: amount "
                         f"{spec.amount:g} and {given} are given")
    if spec.amount is None and spec.min is None and spec.max is None:
        raise ValueError("give amount (the slice's commitments fixed at it), or min, max or both (bounded); none "
                         "is given")
    return spec


class LockSpec(SliceSelector):
    """One entry of ``rules: locks:``: a slice of the allocation (a selector) whose EU commitments are fixed at
    ``amount`` (EUR m) or held between ``min`` and ``max``.

    Examples
    --------
    >>> spec = LockSpec.model_validate({"id": "enpi_2009", "instruments": ["enpi"], "years": [2009], "amount": 17})
    >>> spec.amount, spec.min, spec.max
    (17.0, None, None)
    >>> try:
    ...     LockSpec.model_validate({"id": "x", "amount": 17, "max": 20})
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"])
    Value error, give amount (a fixed lock) or min/max (a bounded lock), not both: amount 17 and max 20 are given
    """

    id: Id
    amount: Amount | None = None
    min: Amount | None = None
    max: MaxAmount = None

    _check = model_validator(mode="after")(_amount_or_bounds)


def _distinct(value: list[LockSpec]) -> list[LockSpec]:
    """Each lock has its own id (its label in the shadow prices and the repairs)."""
    first: dict[str, int] = {}
    problems = []
    for n, spec in enumerate(value):
        if spec.id in first:
            problems.append(((n, "id"), f"the lock id {spec.id!r} is used twice (first at locks[{first[spec.id]}]); "
                                        "give each lock its own id"))
        first.setdefault(spec.id, n)
    if problems:
        raise Located(problems)
    return value


def _build(value: list[LockSpec], labels: Labels) -> tuple[m.Lock, ...]:
    def bounds_of(x: LockSpec) -> tuple[Any, Any]:
        return (x.amount, x.amount) if x.amount is not None else (x.min, x.max)

    return tuple(m.Lock(x.id, labels.selector(x, x.id), *bounds_of(x)) for x in value)


SECTION = Section("locks", Annotated[list[LockSpec], AfterValidator(_distinct)], [], _build,
                  doc="| `locks[]` | `id`, selector with `instruments` and `years`, `amount` or `min`/`max` (EUR m) | "
                      "EU commitments in the slice fixed at `amount` (adopted programmes, decisions taken) or held "
                      "within `min`/`max` |")
FAMILY = register(RuleFamily("locks", (LOCKS,), define_locks, check_locks, order=105, sections=(SECTION,)))
