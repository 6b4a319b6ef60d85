"""Commitment cut-off of a multi-annual fund (the 10th EDF: no new commitments after 31 December 2013): no
commitment in a year after the cut-off, and nothing carried past it (what is left is lost,
:mod:`fundsim.rules.envelope`)."""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import unique_rows

__all__ = ["CUTOFF", "FAMILY", "after_cutoff", "check_cutoff", "define_cutoff"]

CUTOFF = Rows("commitment_cutoff", ("instrument", "year"),
              "objective gained per EUR m the instrument could commit in that year, after its commitment cut-off",
              long_name="commitment cut-off")


def after_cutoff(sc: Scenario) -> np.ndarray:
    """Boolean ``(instrument, year)``: the year comes after the instrument's commitment cut-off.

    Examples
    --------
    >>> import dataclasses
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> edf = dataclasses.replace(sc.instruments[0], budget=fs.model.Budget(nature="fund", cutoff=2009))
    >>> after_cutoff(sc.evolve(instruments=(edf, sc.instruments[1]))).tolist()
    [[False, True], [False, False]]
    """
    years = np.asarray(sc.years)
    return np.stack([years > i.budget.cutoff if i.budget.cutoff is not None else np.zeros(len(years), bool)
                     for i in sc.instruments])


def define_cutoff(a: Assembly) -> None:
    """``Σ_{p,r} eu[i,p,r,y] ≤ 0`` for every year ``y`` after the cut-off of instrument ``i`` in which it has
    cells (appropriations written for years after the cut-off cannot be committed).

    Examples
    --------
    >>> import dataclasses
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> edf = dataclasses.replace(sc.instruments[0], budget=fs.model.Budget(nature="fund", cutoff=2009))
    >>> lp = fs.assemble(sc.evolve(instruments=(edf, sc.instruments[1])))
    >>> block = lp.constraints["commitment_cutoff"]
    >>> block.positions, lp.A[block.start].nnz  # tpma in 2010: its six cells
    ((array([0]), array([1])), 6)
    """
    sc, cells, b = a.sc, a.cells, a.b
    late = after_cutoff(sc)[cells.i, cells.y]
    if not late.any():
        return
    (ki, ky), row = unique_rows((cells.i[late], cells.y[late]), (len(sc.instruments), len(sc.years)))
    b.add_constraints(
        Header(CUTOFF.name, CUTOFF.dims, (sc.instrument_ids, sc.years), (ki, ky), CUTOFF.row_unit, CUTOFF.long_name),
        Entries(row, cells.col[late], np.ones(int(late.sum()))), np.full(len(ki), -np.inf), np.zeros(len(ki)),
        kind="le",
    )


def check_cutoff(plan: Plan) -> list[Violation]:
    """No commitment in a year after the instrument's cut-off.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> edf = dataclasses.replace(sc.instruments[0], budget=fs.model.Budget(nature="fund", cutoff=2009))
    >>> sc = sc.evolve(instruments=(edf, sc.instruments[1]))
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0, 1] = 3.0  # tpma commits 3 in 2010
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit) for v in check_cutoff(plan)]
    [({'instrument': 'tpma', 'year': 2010}, 3.0, 0.0)]
    """
    sc, found = plan.sc, []
    committed = plan.eu.sum(axis=(1, 2))
    for n, y in np.argwhere(after_cutoff(sc)):
        ins = sc.instruments[n]
        rule = Rule("cutoff", "commitment cut-off", {"instrument": ins.id, "year": sc.years[y]})
        found += plan.outside(rule, f"{ins.id}'s commitments in {sc.years[y]}, after its cut-off in "
                                    f"{ins.budget.cutoff}, are", float(committed[n, y]), None, 0.0,
                              )
    return found


FAMILY = register(RuleFamily("cutoff", (CUTOFF,), define_cutoff, check_cutoff, order=32))
