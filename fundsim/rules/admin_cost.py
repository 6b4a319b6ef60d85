"""Administrative cost (16041/08 §26, coherence): each priority × region cell that receives EU money costs a
fixed amount of administration in the objective."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from fundsim import model as m
from fundsim.rules.binaries import active, binaries, links
from fundsim.rules.entries import Section
from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.fields import Num
from fundsim.rules.program import Header
from fundsim.rules.rows import unique_rows

__all__ = ["CELLS", "FAMILY", "LINK", "SECTION", "define_admin_cost"]

LINK = Rows("admin_link", ("instrument", "priority", "region", "year"),
            "none reported: an integer rule's link (EU money only in active cells)", role="link",
            long_name="EU money only in active cells")


def define_admin_cost(a: Assembly) -> None:
    """``eu[i,p,r,y] ≤ U·z[p,r]``; the objective loses ``cost·Σ z[p,r]`` (gains it when minimising).

    ``z[p,r]`` (block ``cell_active``) says the priority × region cell receives EU money; each active cell
    costs ``cost`` objective units of administration.

    Examples
    --------
    An administrative cost of 2 per active cell: one binary per priority × region cell (6), each costing 2 in the
    maximised objective, and one link row per eligible cell (20):

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["admin_cost"] = 2
    >>> lp = fs.assemble(fs.scenario_from_dict(raw))
    >>> z = lp.variables["cell_active"]
    >>> z.size, lp.c[z.start:z.stop], lp.constraints["admin_link"].size
    (6, array([-2., -2., -2., -2., -2., -2.]), 20)
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


CELLS = Columns("cell_active", "reduced cost of opening a priority × region cell (administrative cost)",
                active((0, 3)))
SECTION = Section(
    "admin_cost", Annotated[Num, Field(ge=0, description="objective units per active priority × region cell")] | None,
    None, lambda value, labels: None if value is None else m.AdminCost(value),
    doc="| `admin_cost` | a number ≥ 0 | objective units per active cell | none | fixed administrative cost of "
        "each priority × region cell that receives any EU money |")
FAMILY = register(RuleFamily("admin_cost", (LINK,), define_admin_cost, order=140, columns=(CELLS,),
                             sections=(SECTION,)))
