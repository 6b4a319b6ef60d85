"""Vectorised assembly of a :class:`~fundsim.model.Scenario` into a :class:`LinearProgram`.

The columns ``eu[i,p,r,y]`` (the EU commitment of instrument i to priority p in region r in year y, EUR m,
defined only on eligible cells) are made here; every rule family then writes its own rows, in the order of
the registry (:func:`fundsim.rules.families`), each from index arrays with no Python loop over cells. Notation
of the families' equations: ``k[i,p,r] = (1 - s)/s`` the co-financing mobilised per EUR m at the maximum EU
share s; ``E = Σ eu`` the total EU commitment of the period.

The integer rules (readability and coherence, 16041/08 §8, §11, §26) add binary columns linked to the
money by ``eu ≤ U·z`` (:func:`fundsim.rules.binaries.cell_upper`); ``LinearProgram.integrality`` is then 1 on
the binary columns (``None`` for a pure LP).
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario
from fundsim.rules import Assembly, families
from fundsim.rules.program import Header, LinearProgram, ProgramBuilder
from fundsim.rules.rows import Cells

__all__ = ["Cells", "assemble", "define_eu"]


def define_eu(b: ProgramBuilder, sc: Scenario) -> Cells:
    """Columns ``eu[i,p,r,y] ≥ 0`` for eligible cells only.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder(sense="max")
    >>> cells = define_eu(b, sc)
    >>> cells.n == int(sc.eligible.sum()), b.build().variables["eu"].dims
    (True, ('instrument', 'priority', 'region', 'year'))
    """
    i, p, r, y = np.nonzero(sc.eligible)
    block = b.add_variables(Header("eu", ("instrument", "priority", "region", "year"),
                                   tuple(map(tuple, sc.coords().values())), (i, p, r, y), long_name="EU commitment"),
                            len(i))
    k = sc.match_ratio[i, p, r]
    return Cells(i, p, r, y, block.start + np.arange(len(i)), k)


def assemble(sc: Scenario) -> LinearProgram:
    """Build the LP of a scenario: columns for eligible cells, then each rule family's rows and columns.

    With integer rules the result is a mixed-integer programme: ``integrality`` is 1 on their binaries.

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> list(lp.constraints)[:3], lp.integrality is None
    (['envelope', 'match_capacity', 'absorption'], True)
    """
    b = ProgramBuilder(sense=sc.objective.sense, labels={"region": sc.area_ids} if sc.areas else {})
    cells = define_eu(b, sc)
    a = Assembly(b, sc, cells, np.zeros(cells.n))
    for family in families():
        if family.define is not None:
            family.define(a)
    lp = b.build()
    lp.c[cells.col] += a.cost
    return lp
