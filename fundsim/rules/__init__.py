"""Rule families, each declared once in its own module (see :mod:`fundsim.rules.family`).

Importing this package registers fundsim's own families, in the order their rows are written; a family from
outside fundsim registers itself the same way (``register(RuleFamily(...))``). What the families are made of —
the eligible cells, masks, unique rows (:mod:`fundsim.rules.rows`) and the programme they write into
(:mod:`fundsim.rules.program`) — sits here too, below the assembly that calls them.
"""

from fundsim.rules import (  # noqa: F401  (each module registers its family)
    absorption,
    admin_cost,
    binaries,
    caps,
    cofinancing,
    conditions,
    coordination,
    cutoff,
    deadlines,
    envelope,
    focus,
    goals,
    impact,
    instruments_per_cell,
    limits,
    locks,
    match_capacity,
    min_commitment,
    outstanding,
    packages,
    partnerships,
    payment_appropriations,
    payments,
    pillar_balance,
    results_framework,
    shares,
)
from fundsim.rules.checking import Plan, Violation
from fundsim.rules.family import (
    Assembly,
    Columns,
    Repair,
    Rows,
    RuleFamily,
    column_spec,
    families,
    register,
    registered,
    reported,
    row_spec,
    unregister,
    user_rule,
)
from fundsim.rules.program import share_base

__all__ = [
    "Assembly",
    "Columns",
    "Plan",
    "Repair",
    "Rows",
    "RuleFamily",
    "Violation",
    "column_spec",
    "families",
    "register",
    "registered",
    "reported",
    "row_spec",
    "share_base",
    "unregister",
    "user_rule",
]
