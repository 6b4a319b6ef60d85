"""Administrative cost (16041/08 §26, coherence): each priority × region cell that receives EU money costs a
fixed amount of administration in the objective."""

from __future__ import annotations

import numpy as np

from fundsim.rules.binaries import binaries, links
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Header
from fundsim.rules.rows import unique_rows

LINK = Rows("admin_link", ("instrument", "priority", "region", "year"),
            "none reported: an integer rule's link (EU money only in active cells)", role="link",
            long_name="EU money only in active cells")


def define_admin_cost(a: Assembly) -> None:
    """``eu[i,p,r,y] ≤ U·z[p,r]``; the objective loses ``cost·Σ z[p,r]`` (gains it when minimising).

    ``z[p,r]`` (block ``cell_active``) says the priority × region cell receives EU money; each active cell
    costs ``cost`` objective units of administration.
    """
    sc, cells = a.sc, a.cells
    rule = sc.rules.admin_cost
    if rule is None or rule.cost == 0:
        return
    (cp, cr), z_of = unique_rows((cells.p, cells.r), (len(sc.priorities), len(sc.regions)))
    sign = -1.0 if sc.objective.sense == "max" else 1.0
    block = binaries(a.b, Header("cell_active", ("priority", "region"), (sc.priority_ids, sc.region_ids), (cp, cr),
                                 long_name="priority × region cell receives EU money"), cost=sign * rule.cost)
    links(a, LINK, np.ones(cells.n, bool), block.start + z_of, "le")


FAMILY = register(RuleFamily("admin_cost", (LINK,), define_admin_cost, order=140))
