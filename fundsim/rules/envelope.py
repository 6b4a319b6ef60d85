"""Usable envelopes: an instrument cannot commit more than its usable envelope in a year."""

from __future__ import annotations

import numpy as np

from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import unique_rows

__all__ = ["ENVELOPE", "FAMILY", "check_envelope", "define_envelope"]

ENVELOPE = Rows("envelope", ("instrument", "year"),
                "objective gained per EUR m more of the instrument's usable envelope in that year",
                long_name="usable envelope",
                repair=Repair("the usable envelope of {instrument!r} in {year}", target="usable_envelope"))


def define_envelope(a: Assembly) -> None:
    """``Σ_{p,r} eu[i,p,r,y] ≤ usable[i,y]`` — an instrument cannot commit more than its usable envelope.

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> block = lp.constraints["envelope"]
    >>> block.coords
    (('tpma', 'enpi'), (2009, 2010))
    >>> lp.row_upper[block.start:block.stop]  # TPMA 10 a year, ENPI 20 a year
    array([10., 10., 20., 20.])
    """
    sc, cells = a.sc, a.cells
    (ki, ky), row = unique_rows((cells.i, cells.y), (len(sc.instruments), len(sc.years)))
    usable = np.stack([ins.usable for ins in sc.instruments])[ki, ky]
    a.b.add_constraints(
        Header(ENVELOPE.name, ENVELOPE.dims, (sc.instrument_ids, sc.years), (ki, ky), ENVELOPE.row_unit,
               ENVELOPE.long_name),
        Entries(row, cells.col, np.ones(cells.n)), np.full(len(ki), -np.inf), usable, kind="le",
    )


def check_envelope(plan: Plan) -> list[Violation]:
    """``Σ_{p,r} eu[i,p,r,y] ≤ usable[i,y]``.

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
    committed = plan.eu.sum(axis=(1, 2))
    for n, ins in enumerate(sc.instruments):
        for y, year in enumerate(sc.years):
            rule = Rule("envelope", "envelope", {"instrument": ins.id, "year": year})
            found += plan.outside(rule, f"{ins.id}'s commitments in {year} are", committed[n, y], None,
                                  float(ins.usable[y]), names=("minimum", "usable envelope"))
    return found


FAMILY = register(RuleFamily("envelope", (ENVELOPE,), define_envelope, check_envelope, order=30))
