"""Share rules: ``Σ_{cells in group g} eu ≥ β_g·B`` (or ``≤``), a share ``β`` of a base ``B`` of money.

Most shares are of all EU money, ``B = E``, the aggregate column defined here once (``E - Σ eu = 0``, so a
share row needs two nonzeros per group, not n). :func:`share_rows` writes a block of share rows with its
shares and base recorded in the block, which is what labelling (per percentage point), ranging (as shares)
and diagnosis (repairs as shares) read: a family whose base is not ``E`` passes its own ``base``.
"""

from __future__ import annotations

import numpy as np

from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header, ShareRows
from fundsim.rules.rows import MONEY

__all__ = ["ALL_EU", "FAMILY", "TOTAL", "TOTAL_COLUMN", "share_rows", "total_column"]

TOTAL = Rows("total_eu_definition", (), "none: a definition (E is all EU money), not a rule", role="internal",
             long_name="definition of E")
ALL_EU = "all EU commitments"


def _define_total(a: Assembly) -> int:
    """Aggregate column ``E`` with ``E - Σ eu = 0``."""
    cells = a.cells
    block = a.b.add_variables(Header(TOTAL_COLUMN.name, long_name="total EU commitment"), 1)
    col = block.start
    a.b.add_constraints(
        Header(TOTAL.name, long_name=TOTAL.long_name),
        Entries(np.zeros(cells.n + 1, np.int64), np.append(cells.col, col), np.append(-np.ones(cells.n), 1.0)),
        np.zeros(1), np.zeros(1), kind="eq",
    )
    return col


def total_column(a: Assembly) -> int:
    """The column of ``E``, all EU money, made the first time a rule asks for it.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))  # the tutorial's 20 eligible cells
    >>> total_column(a), total_column(a)  # the column after the 20 cells, made on first use only
    (20, 20)
    >>> b.constraints["total_eu_definition"].size
    1
    """
    col: int = a.once("total_eu", _define_total)
    return col


def share_rows(a: Assembly, spec: Rows, labels: tuple, members: np.ndarray, shares: list[float | None],
               side: str, base: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    """``Σ_{cells in group g} eu - β_g·B_g ≥ 0`` (side ``ge``) or ``≤ 0`` (side ``le``), one row per group with
    a share given.

    ``members[g, cell]`` says which cells count for group g; ``base`` gives ``B_g`` as triplets ``(g, column,
    coefficient)`` over all groups (default: ``E`` for every group).

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))  # the tutorial's 20 eligible cells
    >>> east = Rows("east_share", ("region",), "objective gained per point", share_of=ALL_EU)
    >>> members = (a.cells.r == 1)[None, :]  # the Eastern Partnership's cells
    >>> share_rows(a, east, ("eastern_partnership",), members, [0.1], "ge")
    >>> lp = b.build()
    >>> block = lp.constraints["east_share"]
    >>> block.share, lp.row_lower[block.start:block.stop], lp.row_upper[block.start:block.stop]
    (array([0.1]), array([0.]), array([inf]))

    Its row holds +1 on the region's ten cells (TPMA 3 priorities, ENPI 2, over 2 years) and -0.1 on ``E``:

    >>> np.unique(lp.A[block.start].data, return_counts=True)
    (array([-0.1,  1. ]), array([ 1, 10]))
    """
    groups = [g for g, s in enumerate(shares) if s is not None]
    if not groups:
        return
    cells = a.cells
    if base is None:
        total = total_column(a)
        base = (np.arange(len(shares)), np.full(len(shares), total), np.ones(len(shares)))
    renumber = np.full(len(shares), -1, dtype=np.int64)
    renumber[groups] = np.arange(len(groups))
    keep = renumber[base[0]] >= 0
    base = (renumber[base[0][keep]], base[1][keep], base[2][keep])
    g_idx, c_idx = np.nonzero(members[groups])
    beta = np.array([shares[g] for g in groups], float)
    rows = np.concatenate([g_idx, base[0]])
    cols = np.concatenate([cells.col[c_idx], base[1]])
    vals = np.concatenate([np.ones(len(g_idx)), -beta[base[0]] * base[2]])
    zeros, inf = np.zeros(len(groups)), np.full(len(groups), np.inf)
    lower, upper = (zeros, inf) if side == "ge" else (-inf, zeros)
    a.b.add_constraints(
        Header(spec.name, spec.dims, (labels,), (np.array(groups),), MONEY, spec.long_name),
        Entries(rows, cols, vals), lower, upper, kind=side, share=ShareRows(beta, base),
    )


TOTAL_COLUMN = Columns("total_eu", "reduced cost of the total EU commitment",
                       lambda sc, eu, block, upper: np.array([eu.sum()]))
FAMILY = register(RuleFamily("total_eu", (TOTAL,), None, order=55, columns=(TOTAL_COLUMN,)))
