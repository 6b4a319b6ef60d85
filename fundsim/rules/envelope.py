"""Commitment appropriations: each year an instrument commits, carries over or leaves unused what it has, and
every euro of it is accounted for.

Per instrument and year, ``available = usable + carried in = committed + carried out + unused``. A budget
instrument may carry over at most its ``carry_over`` share of the year's appropriations; what it leaves unused
lapses (or, when only part of its envelope is usable for this policy, returns to its other objectives). A
multi-annual fund carries everything over until its cut-off year, where what is left is lost
(:mod:`fundsim.rules.cutoff`). ``carried`` and ``unused`` are columns of the LP, so the ledger reads each term
from the solution.
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.checking import Plan, Rule, Violation, eur
from fundsim.rules.family import Assembly, Columns, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header

__all__ = ["CARRIED", "ENVELOPE", "FAMILY", "UNUSED", "appropriations", "available_of", "carried_of", "check_envelope",
           "define_envelope", "unused_of"]

ENVELOPE = Rows("envelope", ("instrument", "year"),
                "objective gained per EUR m more of the instrument's usable envelope in that year",
                long_name="usable envelope",
                repair=Repair("the usable envelope of {instrument!r} in {year}", target="usable_envelope"))


def appropriations(sc: Scenario) -> dict[str, np.ndarray]:
    """Per (instrument, year): ``usable`` (voted for this policy), ``carried_in0`` (carried into the first year),
    how much may be carried out (``carry_limit``) and left unused (``unused_limit``: ``inf`` or 0).

    A budget instrument may leave money unused in every year; a fund only in its cut-off year (and after it),
    carrying everything over before; a fund whose cut-off lies after the last year keeps what is left available.

    Examples
    --------
    >>> import fundsim as fs
    >>> got = appropriations(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> got["usable"].tolist(), got["carry_limit"].tolist(), got["unused_limit"].tolist()
    ([[10.0, 10.0], [20.0, 20.0]], [[0.0, 0.0], [0.0, 0.0]], [[inf, inf], [inf, inf]])
    """
    years = np.asarray(sc.years)
    usable = np.stack([np.asarray(i.usable, dtype=float) for i in sc.instruments])
    carry = np.stack([i.budget.carry_limit(i.usable, sc.years) for i in sc.instruments])
    unused = np.full(usable.shape, np.inf)
    for n, ins in enumerate(sc.instruments):
        b = ins.budget
        if b.nature != "fund":
            carry[n, -1] = 0.0  # a carry-over out of the last year is no part of the plan: what is left lapses
        else:
            unused[n] = np.where(years >= b.cutoff, np.inf, 0.0) if b.cutoff is not None else 0.0
            if b.cutoff is None or b.cutoff > years[-1]:
                carry[n, -1] = np.inf  # still available after the last year
    carried_in0 = np.array([i.budget.carried_in for i in sc.instruments], dtype=float)
    return {"usable": usable, "carry_limit": carry, "unused_limit": unused, "carried_in0": carried_in0}


def _rows(sc: Scenario, got: dict[str, np.ndarray], cells_iy: np.ndarray) -> np.ndarray:
    """Which (instrument, year) get a row: those with money in or out, or with cells."""
    has = got["usable"] > 0
    has[:, 0] |= got["carried_in0"] > 0
    has[:, 1:] |= got["carry_limit"][:, :-1] > 0
    has |= cells_iy
    return has


def define_envelope(a: Assembly) -> None:
    """``Σ_{p,r} eu[i,p,r,y] + carried[i,y] + unused[i,y] − carried[i,y−1] = usable[i,y]`` (+ what the opening
    position carries into the first year): commitment appropriations are committed, carried over or left unused.

    ``0 ≤ carried[i,y] ≤`` the carry-over limit (a budget instrument's share of the year's appropriations, a
    fund's whole balance before its cut-off); ``unused ≥ 0`` where money may lapse or return (a fund only from its
    cut-off year). Columns exist only where they may be nonzero.

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> block = lp.constraints["envelope"]
    >>> block.coords
    (('tpma', 'enpi'), (2009, 2010))
    >>> lp.row_lower[block.start:block.stop], lp.row_upper[block.start:block.stop]  # TPMA 10 a year, ENPI 20
    (array([10., 10., 20., 20.]), array([10., 10., 20., 20.]))
    >>> lp.variables["unused"].size, "carried" in lp.variables  # nothing may be carried over
    (4, False)
    """
    sc, cells, b = a.sc, a.cells, a.b
    got = appropriations(sc)
    ni, ny = got["usable"].shape
    cells_iy = np.zeros((ni, ny), dtype=bool)
    cells_iy[cells.i, cells.y] = True
    has = _rows(sc, got, cells_iy)
    ki, ky = np.nonzero(has)
    row_of = np.full((ni, ny), -1, dtype=np.int64)
    row_of[ki, ky] = np.arange(len(ki))
    rows, cols, vals = [row_of[cells.i, cells.y]], [cells.col], [np.ones(cells.n)]
    coords = (sc.instrument_ids, sc.years)
    for spec, limit in ((CARRIED, got["carry_limit"]), (UNUSED, got["unused_limit"])):
        ci, cy = np.nonzero((limit > 0) & has)
        if not len(ci):
            continue
        block = b.add_variables(Header(spec.name, ("instrument", "year"), coords, (ci, cy),
                                       long_name=_LONG[spec.name]), len(ci), upper=limit[ci, cy])
        col = block.start + np.arange(len(ci))
        rows.append(row_of[ci, cy])
        cols.append(col)
        vals.append(np.ones(len(ci)))
        if spec is CARRIED:  # what is carried out of year y comes into year y + 1
            nxt = cy + 1 < ny
            rows.append(row_of[ci[nxt], cy[nxt] + 1])
            cols.append(col[nxt])
            vals.append(-np.ones(int(nxt.sum())))
    rhs = got["usable"][ki, ky] + np.where(ky == 0, got["carried_in0"][ki], 0.0)
    b.add_constraints(
        Header(ENVELOPE.name, ENVELOPE.dims, coords, (ki, ky), ENVELOPE.row_unit, ENVELOPE.long_name),
        Entries(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)), rhs, rhs, kind="le",
    )


_LONG = {"carried": "commitment appropriations carried over into the next year",
         "unused": "commitment appropriations left unused (lapsed, returned, or lost at the cut-off)"}


def _balance(sc: Scenario, eu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Carried and unused appropriations ``(instrument, year)`` for the EU cube ``eu`` at their best: carry over
    only what later years need (a fund: everything before its cut-off), leave the rest unused."""
    got = appropriations(sc)
    committed = eu.sum(axis=(1, 2))
    ni, ny = committed.shape
    carried, unused = np.zeros((ni, ny)), np.zeros((ni, ny))
    for n in range(ni):
        need = 0.0  # what year y + 1 needs from year y
        wanted = np.zeros(ny)
        for y in range(ny - 1, -1, -1):
            wanted[y] = need
            need = max(0.0, committed[n, y] + min(need, got["carry_limit"][n, y]) - got["usable"][n, y])
        come_in = got["carried_in0"][n]
        for y in range(ny):
            left = max(0.0, got["usable"][n, y] + come_in - committed[n, y])
            out = left if got["unused_limit"][n, y] == 0 else min(left, wanted[y])
            carried[n, y] = min(out, got["carry_limit"][n, y])
            unused[n, y] = left - carried[n, y]
            come_in = carried[n, y]
    return carried, unused


def available_of(sc: Scenario, eu: np.ndarray) -> np.ndarray:
    """Commitment appropriations available per (instrument, year) for the EU cube ``eu``: usable plus what the
    year before carries over at best (:func:`carried_of`).

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> available_of(sc, np.zeros((2, 3, 2, 2))).tolist()  # nothing may be carried over: the usable envelopes
    [[10.0, 10.0], [20.0, 20.0]]
    """
    got = appropriations(sc)
    carried, _ = _balance(sc, eu)
    return got["usable"] + np.concatenate([got["carried_in0"][:, None], carried[:, :-1]], axis=1)


def carried_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """The ``carried`` columns for the EU cube ``eu``: what each year carries over that later years commit.

    Examples
    --------
    A fund (no annual lapse) carries its 2009 balance into 2010: TPMA commits 4 of its 10 in 2009:

    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=fs.model.Budget(nature="fund"))
    >>> sc = sc.evolve(instruments=(tpma, sc.instruments[1]))
    >>> lp = fs.assemble(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0] = 4.0
    >>> carried_of(sc, eu, lp.variables["carried"], np.array([np.inf, np.inf]))  # 6 into 2010, 16 still available
    array([ 6., 16.])
    """
    carried, _ = _balance(sc, eu)
    return carried[block.positions]


def unused_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """The ``unused`` columns for the EU cube ``eu``: appropriations neither committed nor carried over.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> lp = fs.assemble(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, 0] = 15.0  # ENPI commits 15 of its 20 in 2009
    >>> unused_of(sc, eu, lp.variables["unused"], np.full(4, np.inf))  # TPMA 10, 10; ENPI 5, 20
    array([10., 10.,  5., 20.])
    """
    _, unused = _balance(sc, eu)
    return unused[block.positions]


CARRIED = Columns("carried", "reduced cost of appropriations carried over into the next year", carried_of,
                  slack=True, headroom=True)
UNUSED = Columns("unused", "reduced cost of appropriations left unused", unused_of, slack=True, headroom=True)


def check_envelope(plan: Plan) -> list[Violation]:
    """``Σ_{p,r} eu[i,p,r,y] ≤ usable[i,y] + carried in`` and, when the plan states what it carries over and leaves
    unused, each within its limits (that the terms add up is the ledger's check, :func:`fundsim.testing.check_ledger`).

    Examples
    --------
    TPMA commits 12 in 2009 against its usable envelope of 10:

    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))  # instrument × priority × region × year
    >>> eu[0, 0, 1, 0] = 12.0  # tpma, mobility, eastern_partnership, 2009
    >>> zero = np.zeros_like(eu)
    >>> plan = Plan(sc, eu, zero, eu, zero, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.size) for v in check_envelope(plan)]
    [({'instrument': 'tpma', 'year': 2009}, 12.0, 10.0, 2.0)]
    """
    sc, found = plan.sc, []
    got = appropriations(sc)
    committed = plan.eu.sum(axis=(1, 2))
    stated = plan.carried is not None and plan.unused is not None
    carried = plan.carried if plan.carried is not None else _balance(sc, plan.eu)[0]
    for n, ins in enumerate(sc.instruments):
        for y, year in enumerate(sc.years):
            come_in = float(carried[n, y - 1]) if y else float(got["carried_in0"][n])
            rule = Rule("envelope", "envelope", {"instrument": ins.id, "year": year})
            what = "usable envelope" if not come_in else f"usable envelope plus {eur(come_in)} carried in"
            found += plan.outside(rule, f"{ins.id}'s commitments in {year} are", committed[n, y], None,
                                  float(got["usable"][n, y]) + come_in, names=("minimum", what))
            if not stated:
                continue
            for name, values, limit in (("carried over", plan.carried, got["carry_limit"]),
                                        ("left unused", plan.unused, got["unused_limit"])):
                found += plan.outside(rule, f"{ins.id}'s appropriations {name} in {year} are",
                                      float(values[n, y]), 0.0, float(limit[n, y]),  # type: ignore[index]
                                      names=("minimum", "limit"))
    return found


FAMILY = register(RuleFamily("envelope", (ENVELOPE,), define_envelope, check_envelope, order=30,
                             columns=(CARRIED, UNUSED)))
