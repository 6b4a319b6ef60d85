"""Minimum commitment (16041/08 §26, readability): an instrument funds a priority in a region with nothing or
with at least its minimum over the period."""

from __future__ import annotations

import numpy as np

from fundsim.rules.binaries import instrument_lines, least
from fundsim.rules.checking import Plan, Violation, eur
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header

MIN = Rows("min_commitment", ("instrument", "priority", "region"),
           "objective gained per EUR m the minimum commitment is lowered (integer rule: not reported)",
           long_name="minimum commitment of an instrument to a priority in a region")


def define_min_commitment(a: Assembly) -> None:
    """``Σ_y eu[i,p,r,y] ≥ m_i·z[i,p,r]``: an instrument funds a priority in a region with 0 or at least m_i.

    The minimum holds for the line's total over the period; how it is spread over the years is free.
    """
    sc, cells = a.sc, a.cells
    smallest = least(sc)
    if not (smallest > 0).any():
        return
    lines = instrument_lines(a)
    if lines is None:
        return
    zi, zp, zr = (np.asarray(x) for x in lines.block.positions or ())
    with_min = smallest[zi] > 0
    row_of = np.full(lines.block.size, -1, dtype=np.int64)
    row_of[with_min] = np.arange(with_min.sum())
    cell_row = np.where(lines.col >= 0, row_of[lines.col - lines.block.start], -1)
    use = cell_row >= 0
    n = int(with_min.sum())
    a.b.add_constraints(Header(MIN.name, MIN.dims, (sc.instrument_ids, sc.priority_ids, sc.region_ids),
                               (zi[with_min], zp[with_min], zr[with_min]), MIN.row_unit, MIN.long_name),
                        Entries(np.concatenate([cell_row[use], np.arange(n)]),
                                np.concatenate([cells.col[use], lines.block.start + np.flatnonzero(with_min)]),
                                np.concatenate([np.ones(use.sum()), -smallest[zi[with_min]]])),
                        np.zeros(n), np.full(n, np.inf), kind="ge")


def check_min_commitment(plan: Plan) -> list[Violation]:
    """An instrument funds a priority in a region with 0 or at least its minimum commitment over the period."""
    sc, rule = plan.sc, plan.sc.rules.min_commitment
    if rule is None:
        return []
    smallest = np.broadcast_to(rule.minimum(sc.instrument_ids)[:, None, None], plan.eu.shape[:3])
    line = plan.eu.sum(axis=3)
    gap = smallest - line
    short = (line > plan.atol) & (gap > plan.slack(smallest))
    return [Violation("min_commitment", "minimum commitment", plan.labels(*t), line[t], smallest[t], gap[t], "EUR m",
                      f"minimum commitment: {plan.cell(*t)} commits {eur(line[t])} over the period, more than nothing "
                      f"but below the minimum commitment of {eur(smallest[t])} (by {gap[t]:.3f})")
            for t in map(tuple, np.argwhere(short))]


FAMILY = register(RuleFamily("min_commitment", (MIN,), define_min_commitment, check_min_commitment, order=130))
