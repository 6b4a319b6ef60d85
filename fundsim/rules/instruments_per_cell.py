"""Instruments per cell (16041/08 §26, readability): at most k instruments fund a priority in a region."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from fundsim import model as m
from fundsim.rules.binaries import instrument_lines
from fundsim.rules.checking import Plan, Violation
from fundsim.rules.entries import Section
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.fields import Whole
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import unique_rows

__all__ = ["FAMILY", "MAX", "SECTION", "check_max_instruments", "define_max_instruments"]

MAX = Rows("max_instruments", ("priority", "region"),
           "objective gained per instrument more allowed in the priority × region cell (integer rule: not reported)",
           long_name="at most k instruments per priority and region", row_unit="objective per instrument")


def define_max_instruments(a: Assembly) -> None:
    """``Σ_i z[i,p,r] ≤ k``: at most k instruments fund a priority in a region over the period (§26).

    Only priority × region cells that more than k instruments may fund get a row.

    Examples
    --------
    Both instruments may fund mobility and return in both regions, so those four cells get a row counting two
    binaries, at most 1; remittances (TPMA's alone) get none:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["max_instruments_per_cell"] = 1
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> block = lp.constraints["max_instruments"]
    >>> block.positions, lp.row_upper[block.start:block.stop], lp.A[block.start:block.stop].getnnz(1).tolist()
    ((array([0, 0, 1, 1]), array([0, 1, 0, 1])), array([1., 1., 1., 1.]), [2, 2, 2, 2])
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
    """At most k instruments fund each priority × region cell over the period (any EU money counts).

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["max_instruments_per_cell"] = 1
    >>> sc = fs.scenario_from_dict(raw)
    >>> from fundsim.rules import Plan
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[:, 0, 1, 0] = 3.0  # both instruments fund mobility in the eastern_partnership in 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.unit) for v in check_max_instruments(plan)]
    [({'priority': 'mobility', 'region': 'eastern_partnership'}, 2.0, 1.0, 'count')]
    """
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


SECTION = Section(
    "max_instruments_per_cell",
    Annotated[Whole, Field(ge=1, description="instruments per priority × region cell")] | None, None,
    lambda value, labels: None if value is None else m.MaxInstrumentsPerCell(value),
    doc="| `max_instruments_per_cell` | a whole number k ≥ 1 | instruments | none | at most k instruments fund any "
        "priority × region cell over the whole period (any EU money counts) |")
FAMILY = register(RuleFamily("max_instruments_per_cell", (MAX,), define_max_instruments, check_max_instruments,
                             order=120, sections=(SECTION,)))
