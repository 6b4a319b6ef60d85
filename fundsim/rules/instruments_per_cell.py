"""Instruments per cell (16041/08 §26, readability): at most k instruments fund a priority in a region."""

from __future__ import annotations

import numpy as np

from fundsim.rules.binaries import instrument_lines
from fundsim.rules.checking import Plan, Violation
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import unique_rows

MAX = Rows("max_instruments", ("priority", "region"),
           "objective gained per instrument more allowed in the priority × region cell (integer rule: not reported)",
           long_name="at most k instruments per priority and region", row_unit="objective per instrument")


def define_max_instruments(a: Assembly) -> None:
    """``Σ_i z[i,p,r] ≤ k``: at most k instruments fund a priority in a region over the period (§26).

    Only priority × region cells that more than k instruments may fund get a row.
    """
    sc = a.sc
    rule = sc.rules.max_instruments_per_cell
    if rule is None:
        return
    lines = instrument_lines(a)
    if lines is None:
        return
    _, zp, zr = (np.asarray(x) for x in lines.block.positions or ())
    count = np.zeros((len(sc.priorities), len(sc.regions)), dtype=np.int64)
    np.add.at(count, (zp, zr), 1)
    busy = count[zp, zr] > rule.k
    (cp, cr), row = unique_rows((zp[busy], zr[busy]), count.shape)
    a.b.add_constraints(Header(MAX.name, MAX.dims, (sc.priority_ids, sc.region_ids), (cp, cr), MAX.row_unit,
                               MAX.long_name),
                        Entries(row, lines.block.start + np.flatnonzero(busy), np.ones(len(row))),
                        np.full(len(cp), -np.inf), np.full(len(cp), float(rule.k)), kind="le")


def check_max_instruments(plan: Plan) -> list[Violation]:
    """At most k instruments fund each priority × region cell over the period (any EU money counts)."""
    sc, rule = plan.sc, plan.sc.rules.max_instruments_per_cell
    if rule is None:
        return []
    active = np.abs(plan.eu).sum(axis=3) > plan.atol  # (instrument, priority, region)
    found = []
    for p, r in np.argwhere(active.sum(axis=0) > rule.k):
        names = [sc.instrument_ids[i] for i in np.flatnonzero(active[:, p, r])]
        found.append(Violation("max_instruments_per_cell", "instruments per cell",
                               {"priority": sc.priority_ids[p], "region": sc.region_ids[r]}, len(names), rule.k,
                               len(names) - rule.k, "count",
                               f"instruments per cell: {len(names)} instruments fund {sc.priority_ids[p]} in "
                               f"{sc.region_ids[r]} ({', '.join(names)}), above the maximum of {rule.k}"))
    return found


FAMILY = register(RuleFamily("max_instruments_per_cell", (MAX,), define_max_instruments, check_max_instruments,
                             order=120))
