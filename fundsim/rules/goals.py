"""Goal programming: a target of EU money for a slice of the allocation; each EUR m short of it costs its
weight in the objective."""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.checking import selected
from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header
from fundsim.rules.rows import mask

__all__ = ["FAMILY", "GOAL", "SHORTFALL", "define_goals", "shortfalls_of"]

GOAL = Rows("goal", ("target",), "objective gained per EUR m the target is lowered (its shortfall's weight while "
            "short)", long_name="target (goal programming)")


def define_goals(a: Assembly) -> None:
    """``Σ_{cells in target t} eu + shortfall_t ≥ amount_t``; each EUR m short costs ``weight·weight_t``.

    Examples
    --------
    A target of 12 for the East, each EUR m short costing 2 (the objective is maximised, so the cost is -2); its
    row counts the East's ten eligible cells and the shortfall:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["goals"] = {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 12,
    ...                                           "weight": 2}]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> short, goal = lp.variables["shortfall"], lp.constraints["goal"]
    >>> short.coords, lp.c[short.start:short.stop]
    ((('east',),), array([-2.]))
    >>> lp.row_lower[goal.start:goal.stop], lp.A[goal.start].nnz
    (array([12.]), 11)
    """
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


def shortfalls_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """Each target's shortfall for the EU cube ``eu`` (0 where the target is met).

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["goals"] = {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 12,
    ...                                           "weight": 2}]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, 0] = 5.0  # enpi, mobility, eastern_partnership, 2009: 7 short of 12
    >>> shortfalls_of(sc, eu, lp.variables["shortfall"], np.array([np.inf]))
    array([7.])
    """
    goals = sc.objective.goals
    targets = goals.targets if goals is not None else ()
    return np.array([max(0.0, t.amount - float(eu[selected(t.selector, sc)].sum())) for t in targets])


SHORTFALL = Columns("shortfall", "reduced cost of the shortfall against a goal", shortfalls_of)
FAMILY = register(RuleFamily("goals", (GOAL,), define_goals, order=110, columns=(SHORTFALL,)))
