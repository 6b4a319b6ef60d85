"""The impact term of the objective: weighted money per priority × region cell, with diminishing returns.

With breakpoints, the money in a cell is split over segment columns, each earning its slope; the link rows tie
the segments to the money. A link row's shadow price is the marginal impact of one more EUR m in the cell: it
prices money, its bound 0 is no user's number, so it is neither ranged nor relaxed.
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header
from fundsim.rules.rows import unique_rows

__all__ = ["FAMILY", "LEVERAGE", "LINK", "SEGMENTS", "define_impact", "define_leverage", "segments_of"]

LINK = Rows("impact_link", ("priority", "region"),
            "marginal impact of one more EUR m in the priority × region cell (the slope of its current segment)",
            role="link", long_name="marginal impact of money in the cell")


def define_impact(a: Assembly) -> None:
    """Concave piecewise-linear impact of the money reaching each (priority, region) cell.

    Without breakpoints the impact ``w[p,r]·f·eu`` goes straight into the cost of ``eu`` (``f`` = 1 or
    1 + k by basis). With breakpoints, segment columns ``z[p,r,s]`` bounded by the segment lengths earn
    ``w[p,r]·slope_s`` each, and ``Σ_s z[p,r,s] ≤ Σ_{i,y} f·eu[i,p,r,y]`` links them to the money.

    Examples
    --------
    Without breakpoints the tutorial's weights are the costs of the money (TPMA in North Africa in 2009: mobility
    1, return 2, remittances 3):

    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> eu = lp.variables["eu"]
    >>> eu.dense(lp.c)[0, :, 0, 0]
    array([1., 2., 3.])

    With a breakpoint at 10 and slopes 1 and 0.5, each of the 6 priority × region cells gets two segment
    columns, the first 10 long; remittances in North Africa earn 3 and then 1.5:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["impact"]["diminishing_returns"] = {"breakpoints": [10], "slopes": [1.0, 0.5]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> seg = lp.variables["impact_segment"]
    >>> seg.size, lp.col_upper[seg.start:seg.start + 2]
    (12, array([10., inf]))
    >>> seg.dense(lp.c)[2, 0]
    array([3. , 1.5])
    >>> lp.constraints["impact_link"].shape
    (3, 2)
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
    """Adds ``λ·k`` to the cost of each cell's ``eu`` (in place): the co-financing it mobilises, weighted.

    Examples
    --------
    A leverage weight of 0.1 adds 0.1·k to the cost of each cell's money: 0.1·0.25 = 0.025 for TPMA (at most 80 %
    EU), nothing for ENPI:

    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["leverage"] = {"weight": 0.1}
    >>> eu = (lp := fs.assemble(fs.scenario_from_dict(raw))).variables["eu"]
    >>> eu.dense(lp.c, fill=0.0)[:, :, 0, 0]  # instrument × priority, North Africa, 2009
    array([[1.025, 2.025, 3.025],
           [1.   , 2.   , 0.   ]])
    """
    if a.sc.objective.leverage is not None:
        a.cost += a.sc.objective.leverage.weight * a.cells.k


def segments_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """Money on each impact segment for the EU cube ``eu``, filled in order up to each segment's length.

    Examples
    --------
    EUR 15 m for remittances in North Africa fill its first segment (10) and put 5 on the second:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["impact"]["diminishing_returns"] = {"breakpoints": [10], "slopes": [1.0, 0.5]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> seg = lp.variables["impact_segment"]
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0] = 15.0  # tpma, remittances, north_africa, 2009
    >>> segments_of(sc, eu, seg, lp.col_upper[seg.start:seg.stop]).reshape(3, 2, 2)[2, 0]
    array([10.,  5.])
    """
    impact = sc.objective.impact
    factor = 1.0 + sc.match_ratio[..., None] if impact is not None and impact.basis == "total" else 1.0
    money = (factor * eu).sum(axis=(0, 3))  # (priority, region) on the impact basis
    edges = np.array([0.0, *(impact.breakpoints if impact is not None else ())])
    p, r, s = block.positions if block.positions is not None else np.unravel_index(np.arange(block.size),
                                                                                    block.shape)
    return np.clip(money[p, r] - edges[s], 0.0, upper)


SEGMENTS = Columns("impact_segment", "diminishing returns: reduced cost of money on an impact segment of a priority "
                   "× region cell (segment 0 first)", segments_of)
# the impact segments are columns, so they come right after eu
FAMILY = register(RuleFamily("impact", (LINK,), define_impact, order=10, columns=(SEGMENTS,)))
LEVERAGE = register(RuleFamily("leverage", (), define_leverage, order=20))
