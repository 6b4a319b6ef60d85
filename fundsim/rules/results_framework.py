"""The results-framework term of the objective: outputs per indicator, bought at unit costs, valued up to a target
and less beyond it.

An indicator's outputs are the money in its slice divided by its unit cost. They are split over two columns, the
outputs up to the target (each worth ``value``) and those beyond it (each worth ``beyond_target`` ≤ ``value``):
a concave two-piece curve, filled in order by a maximising LP, as the impact segments are. The link row of an
indicator ties its two columns to the money; its shadow price is the objective gained per unit of output more of
the indicator (``value`` below the target, ``beyond_target`` above it). It prices outputs, its bound 0 is no
user's number, so it is neither ranged nor relaxed.

Two columns rather than a shortfall column (goal programming): the objective is then the value of the outputs
itself, with no constant ``value·target`` to add back, and the columns read as outputs.
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.checking import selected
from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header
from fundsim.rules.rows import mask

__all__ = ["FAMILY", "LINK", "OUTPUTS", "PIECES", "define_results", "outputs_of", "pieces_of"]

PIECES = ("to_target", "beyond_target")
OUTPUT = "objective per unit of output"

LINK = Rows("results_link", ("indicator",), "objective gained per unit of output more of the indicator (its value "
            "below the target, its value beyond the target above it)", role="link",
            long_name="marginal value of an output of the indicator", row_unit=OUTPUT)


def define_results(a: Assembly) -> None:
    """Outputs of each indicator ``j``, valued on a concave two-piece curve.

    Columns ``q[j, to_target] ∈ [0, T_j]`` and ``q[j, beyond_target] ∈ [0, ∞)`` earn ``λ·v_j`` and ``λ·b_j`` per
    unit of output (``λ`` the term's weight, ``v_j`` the value, ``b_j ≤ v_j`` the value beyond the target ``T_j``;
    without a target the first is unbounded and the second closed), and the link row

        ``q[j, to_target] + q[j, beyond_target] − Σ_{cells in j} f_j·eu / c_j ≤ 0``

    ties them to the money (``c_j`` the unit cost in EUR m per unit; ``f_j = 1 + k`` on the total basis, 1 on
    the EU basis). A piece worth nothing is closed (upper bound 0), so the columns always hold the outputs.

    Examples
    --------
    Persons given reintegration support at EUR 4 000 each (0.004 EUR m), target 5 000, worth 0.01 each up to it
    and 0.002 beyond; the link row counts North Africa's four return cells at 1/0.004 = 250 outputs per EUR m:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["results"] = {"indicators": [{
    ...     "id": "returnees", "unit": "persons", "priorities": ["return"], "regions": ["north_africa"],
    ...     "unit_cost": 0.004, "basis": "eu", "target": 5000, "value": 0.01, "beyond_target": 0.002}]}
    >>> lp = fs.assemble(fs.scenario_from_dict(raw))
    >>> q, link = lp.variables["results_output"], lp.constraints["results_link"]
    >>> q.coords, lp.col_upper[q.start:q.stop], lp.c[q.start:q.stop]
    ((('returnees',), ('to_target', 'beyond_target')), array([5000.,   inf]), array([0.01 , 0.002]))
    >>> lp.A[link.start].nnz, np.unique(lp.A[link.start].data)
    (6, array([-250.,    1.]))
    """
    term = a.sc.objective.results
    if term is None:
        return
    sc, cells, b = a.sc, a.cells, a.b
    inds = term.indicators
    pieces = np.array([ind.segments for ind in inds])  # (indicator, piece, (length, value))
    worth = term.weight * pieces[:, :, 1]
    upper = np.where(worth > 0, pieces[:, :, 0], 0.0)
    block = b.add_variables(
        Header("results_output", ("indicator", "piece"), (tuple(i.id for i in inds), PIECES), None,
               "units of output", "outputs of the indicator, up to its target and beyond it"),
        2 * len(inds), upper=upper.ravel(), cost=worth.ravel(),
    )
    hit = np.stack([mask(ind.selector, sc, cells) for ind in inds])
    j, idx = np.nonzero(hit)
    total = np.array([ind.basis == "total" for ind in inds])
    unit_cost = np.array([ind.unit_cost for ind in inds])
    per_eur = np.where(total[j], 1.0 + cells.k[idx], 1.0) / unit_cost[j]  # outputs per EUR m of EU money
    rows = np.concatenate([np.repeat(np.arange(len(inds)), 2), j])
    cols = np.concatenate([block.start + np.arange(2 * len(inds)), cells.col[idx]])
    vals = np.concatenate([np.ones(2 * len(inds)), -per_eur])
    b.add_constraints(
        Header(LINK.name, LINK.dims, (block.coords[0],), None, LINK.row_unit, LINK.long_name),
        Entries(rows, cols, vals), np.full(len(inds), -np.inf), np.zeros(len(inds)), kind="le",
    )


def outputs_of(sc: Scenario, eu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The money (EUR m, on each indicator's basis) in each indicator's slice of the EU cube ``eu``, and the
    outputs it buys (money / unit cost), in the order of the indicators.

    Examples
    --------
    EUR 10 m of EU money for return in North Africa (TPMA, at most 80 % EU, mobilises 2.5 more) buy 3 125 persons
    at EUR 4 000 on the total basis:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["results"] = {"indicators": [{"id": "returnees", "priorities": ["return"],
    ...                                                "regions": ["north_africa"], "unit_cost": 0.004}]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 1, 0, 0] = 10.0  # tpma, return, north_africa, 2009
    >>> outputs_of(sc, eu)
    (array([12.5]), array([3125.]))
    """
    term = sc.objective.results
    inds = term.indicators if term is not None else ()
    ratio = sc.match_ratio[..., None]
    money = np.array([float(((1.0 + ratio if ind.basis == "total" else 1.0) * eu)[selected(ind.selector, sc)].sum())
                      for ind in inds])
    return money, money / np.array([ind.unit_cost for ind in inds])


def pieces_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """The two output columns of each indicator for the EU cube ``eu``: outputs up to the target, then beyond it
    (each clipped to its bounds ``upper``), flattened indicator by indicator.

    Examples
    --------
    3 125 persons against a target of 2 000: 2 000 to the target, 1 125 beyond it:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["results"] = {"indicators": [{"id": "returnees", "priorities": ["return"],
    ...     "regions": ["north_africa"], "unit_cost": 0.004, "target": 2000, "beyond_target": 0.5}]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> q = lp.variables["results_output"]
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 1, 0, 0] = 10.0
    >>> pieces_of(sc, eu, q, lp.col_upper[q.start:q.stop])
    array([2000., 1125.])
    """
    term = sc.objective.results
    inds = term.indicators if term is not None else ()
    _, out = outputs_of(sc, eu)
    first = np.array([ind.segments[0][0] for ind in inds])
    split = np.stack([np.minimum(out, first), np.maximum(out - first, 0.0)], axis=1).ravel()
    return np.clip(split, 0.0, upper)


OUTPUTS = Columns("results_output", "results framework: reduced cost of an indicator's outputs, up to its target "
                  "or beyond it", pieces_of)
FAMILY = register(RuleFamily("results", (LINK,), define_results, order=120, columns=(OUTPUTS,)))
