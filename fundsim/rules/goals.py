"""Goal programming: a target of EU money for a slice of the allocation; each EUR m short of it costs its
weight in the objective."""

from __future__ import annotations

import numpy as np

from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import mask

GOAL = Rows("goal", ("target",), "objective gained per EUR m the target is lowered (its shortfall's weight while "
            "short)", long_name="target (goal programming)")


def define_goals(a: Assembly) -> None:
    """``Σ_{cells in target t} eu + shortfall_t ≥ amount_t``; each EUR m short costs ``weight·weight_t``."""
    sc, cells, b = a.sc, a.cells, a.b
    goals = sc.objective.goals
    if goals is None:
        return
    sign = 1.0 if sc.objective.sense == "min" else -1.0
    targets = goals.targets
    block = b.add_variables(
        Header("shortfall", ("target",), (tuple(t.id for t in targets),), long_name="shortfall against target"),
        len(targets), cost=sign * goals.weight * np.array([t.weight for t in targets]),
    )
    hit = np.stack([mask(t.selector, sc, cells) for t in targets])
    ti, idx = np.nonzero(hit)
    rows = np.concatenate([ti, np.arange(len(targets))])
    cols = np.concatenate([cells.col[idx], block.start + np.arange(len(targets))])
    b.add_constraints(
        Header(GOAL.name, GOAL.dims, (block.coords[0],), None, GOAL.row_unit, GOAL.long_name),
        Entries(rows, cols, np.ones(len(rows))), np.array([t.amount for t in targets]), np.full(len(targets), np.inf),
        kind="ge",
    )


FAMILY = register(RuleFamily("goals", (GOAL,), define_goals, order=110))
