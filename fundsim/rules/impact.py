"""The impact term of the objective: weighted money per priority × region cell, with diminishing returns.

With breakpoints, the money in a cell is split over segment columns, each earning its slope; the link rows tie
the segments to the money. A link row's shadow price is the marginal impact of one more EUR m in the cell: it
prices money, its bound 0 is no user's number, so it is neither ranged nor relaxed.
"""

from __future__ import annotations

import numpy as np

from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import unique_rows

LINK = Rows("impact_link", ("priority", "region"),
            "marginal impact of one more EUR m in the priority × region cell (the slope of its current segment)",
            role="link", long_name="marginal impact of money in the cell")


def define_impact(a: Assembly) -> None:
    """Concave piecewise-linear impact of the money reaching each (priority, region) cell.

    Without breakpoints the impact ``w[p,r]·f·eu`` goes straight into the cost of ``eu`` (``f`` = 1 or
    1 + k by basis). With breakpoints, segment columns ``z[p,r,s]`` bounded by the segment lengths earn
    ``w[p,r]·slope_s`` each, and ``Σ_s z[p,r,s] ≤ Σ_{i,y} f·eu[i,p,r,y]`` links them to the money.
    """
    sc, cells, b = a.sc, a.cells, a.b
    term = sc.objective.impact
    if term is None:
        return
    factor = 1.0 + cells.k if term.basis == "total" else np.ones(cells.n)
    w = term.weight * term.weights
    if not term.breakpoints:
        a.cost += w[cells.p, cells.r] * factor * term.slopes[0]
        return
    (cp, cr), row = unique_rows((cells.p, cells.r), (len(sc.priorities), len(sc.regions)))
    live = w[cp, cr] > 0
    n_cell, n_seg = len(cp), len(term.slopes)
    edges = np.array([0.0, *term.breakpoints, np.inf])
    seg_cost = (w[cp, cr][:, None] * np.array(term.slopes)[None, :]).ravel()
    seg_upper = np.tile(np.diff(edges), n_cell)
    seg_upper[np.repeat(~live, n_seg)] = 0.0
    block = b.add_variables(
        Header("impact_segment", ("priority", "region", "segment"), (sc.priority_ids, sc.region_ids,
                                                                      tuple(range(n_seg))),
               (np.repeat(cp, n_seg), np.repeat(cr, n_seg), np.tile(np.arange(n_seg), n_cell)),
               long_name="money on each impact segment"),
        n_cell * n_seg, upper=seg_upper, cost=seg_cost,
    )
    seg_cols = block.start + np.arange(n_cell * n_seg)
    rows = np.concatenate([np.repeat(np.arange(n_cell), n_seg), row])
    cols = np.concatenate([seg_cols, cells.col])
    vals = np.concatenate([np.ones(n_cell * n_seg), -factor])
    b.add_constraints(
        Header(LINK.name, LINK.dims, (sc.priority_ids, sc.region_ids), (cp, cr), LINK.row_unit, LINK.long_name),
        Entries(rows, cols, vals), np.full(n_cell, -np.inf), np.zeros(n_cell), kind="le",
    )


def define_leverage(a: Assembly) -> None:
    """Adds ``λ·k`` to the cost of each cell's ``eu`` (in place): the co-financing it mobilises, weighted."""
    if a.sc.objective.leverage is not None:
        a.cost += a.sc.objective.leverage.weight * a.cells.k


# the impact segments are columns, so they come right after eu
FAMILY = register(RuleFamily("impact", (LINK,), define_impact, order=10))
LEVERAGE = register(RuleFamily("leverage", (), define_leverage, order=20))
