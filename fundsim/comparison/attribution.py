"""Which rules and shadow prices explain the objective gap between two allocations (LP duality, exactly).

Let the scenario's LP be ``max c·x`` subject to ``L ≤ A x ≤ U`` and column bounds, and let ``y`` be the row
duals of its optimum (∂objective/∂row bound) and ``d = c − Aᵀy`` the reduced costs. For *any* two column
vectors ``x_a`` and ``x_b``

    ``c·x_b − c·x_a = Σ_rows y_i·(A x_b − A x_a)_i + Σ_cols d_j·(x_b − x_a)_j``

holds exactly: it is the definition of ``d``. Each allocation is mapped onto the LP's columns: ``eu`` from
its EU cube (eligible cells), and the auxiliary columns at their best values given that money — the
money on each impact segment filled in order, the total ``E``, the shortfall against each goal — so
``c·x`` is the allocation's objective (:func:`~fundsim.comparison.metrics.objective_value`). Money in
ineligible cells has no column; its objective value is one more term, ``ineligible money``.

What the terms mean when ``b`` is the optimum: a binding rule (``y_i ≠ 0``) holds with equality there, so its
term is *shadow price × how much room a leaves on the rule* — ≥ 0 for a feasible ``a`` (objective lost by
not using what the rule allows), < 0 where ``a`` breaks the rule (objective gained by breaking it). A cell
term is *reduced cost × how far a's money in the cell lies from the optimum's*: only cells at a bound of the
optimum have ``d_j ≠ 0``; for EU money that is a cell the optimum leaves empty, whose money is worth less than
the shadow prices of the rules it uses. Rules that do not bind at the optimum (``y_i = 0``) explain nothing.
With degenerate optima the split among tied rules is the solver's (as for the shadow prices themselves); the
sum is always the gap. With integer rules the optimum's duals are those of the LP with the integer decisions
fixed (conditional shadow prices); the binary columns then carry reduced costs like any other column, and
rules on the integer decisions alone, which have no price, explain nothing.

Examples
--------
The tutorial's optimum (130) against a plan that uses every envelope but gives North Africa 15 a year of
its 25 and remittances 10 of the 15 allowed (115): absorption at 0.5 per EUR m and the remittances ceiling
at 1 per EUR m explain the gap of 15, as worked by hand in ``scenarios/tutorial.yaml``.

>>> import numpy as np
>>> import fundsim as fs
>>> from fundsim.comparison import attribute
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> optimum = fs.solve(sc)
>>> eu = np.zeros((2, 3, 2, 2))  # instrument, priority, region, year
>>> eu[0, 2, 0], eu[0, 0, 1], eu[1, 1, 0], eu[1, 0, 1] = 5, 5, 10, 10
>>> at = attribute(optimum, sc, eu, optimum.data["eu"].values, ("spread", "optimum"))
>>> at.by_rule[["name", "contribution"]].values.tolist()
[['absorption', 10.0], ['pillar_max_share', 5.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundsim.comparison.metrics import objective_value
from fundsim.errors import FundsimError
from fundsim.model import Scenario
from fundsim.results import Allocation, relaxation_duals
from fundsim.rules import column_spec, families
from fundsim.rules.program import Block, LinearProgram

__all__ = ["Attribution", "attribute", "lp_point"]

TOL = 1e-9
EU_TEXT = "misdirected money: reduced cost of EU money in an instrument × priority × region × year cell"


# ---- allocations as LP columns --------------------------------------------------------------------------
def lp_point(lp: LinearProgram, sc: Scenario, eu: np.ndarray) -> np.ndarray:
    """The LP column vector of an EU cube: ``eu`` columns from its eligible cells, auxiliary columns at their
    best values given that money (so ``lp.c @ x`` is the cube's objective when all its money is eligible).

    Binary columns of the integer rules are 1 where the money makes them so: an instrument funding a cell,
    an annual commitment made, a cell opened, a candidate receiving partnership money.
    Raises :class:`~fundsim.errors.FundsimError` for an LP with variable blocks this mapping does not know.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> optimum = fs.solve(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0], eu[0, 0, 1], eu[1, 1, 0], eu[1, 0, 1] = 5, 5, 10, 10
    >>> x = lp_point(optimum.lp, sc, eu)
    >>> x.shape, float(optimum.lp.c @ x)  # the plan's objective
    ((25,), 115.0)
    """
    x = np.zeros(lp.num_col)
    inside = np.where(sc.eligible, eu, 0.0)
    for name, block in lp.variables.items():
        part = slice(block.start, block.stop)
        if name == "eu":
            x[part] = inside[block.positions] if block.positions is not None else inside.ravel()
            continue
        spec = column_spec(name)
        if spec is None:
            known = ["eu", *(c.name for f in families() for c in f.columns)]
            raise FundsimError(f"cannot map an allocation onto the LP's variable block {name!r}: no rule family "
                               f"declares it; known blocks are {', '.join(known)}")
        x[part] = spec.point(sc, inside, block, lp.col_upper[part])
    return x


# ---- the decomposition -----------------------------------------------------------------------------------
def _labels(block: Block) -> list[str]:
    """One text label per element of a block (``"north_africa, 2009"``)."""
    if not block.dims:
        return ["(all)"] * block.size
    pos = block.positions if block.positions is not None else np.unravel_index(np.arange(block.size), block.shape)
    prefix = ["segment " if dim == "segment" else "" for dim in block.dims]
    return [", ".join(prefix[d] + str(block.coords[d][pos[d][n]]) for d in range(len(block.dims)))
            for n in range(block.size)]


def _terms(blocks: dict[str, Block], part: str, price: np.ndarray, va: np.ndarray, vb: np.ndarray,
           contribution: np.ndarray, texts: dict[str, str] | None = None) -> list[dict]:
    rows = []
    for name, block in blocks.items():
        s = slice(block.start, block.stop)
        hit = np.flatnonzero(np.abs(contribution[s]) > TOL)
        if not hit.size:
            continue
        labels = _labels(block)
        text = (texts or {}).get(name, block.long_name)
        rows += [{"part": part, "name": name, "where": labels[n], "description": text,
                  "price": float(price[s][n]), "a": float(va[s][n]), "b": float(vb[s][n]),
                  "contribution": float(contribution[s][n])} for n in hit]
    return rows


@dataclass(frozen=True, eq=False)
class Attribution:
    """The gap ``objective(b) − objective(a)`` split into the rules and cells that explain it.

    Attributes
    ----------
    a, b : names of the two allocations
    objective_a, objective_b : their objective values
    terms : one row per nonzero term: ``part`` (``rule``, ``cell`` or ``outside the LP``), ``name`` (the rule
        family or column block), ``where`` (its labels), ``description``, ``price`` (shadow price per EUR m of
        relaxation for rules, reduced cost for cells), ``a`` and ``b`` (the row's activity or the column's
        value for each allocation, EUR m), ``contribution`` (objective units), largest first
    residual : ``gap − Σ contributions`` (rounding only)

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> optimum = fs.solve(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0], eu[0, 0, 1], eu[1, 1, 0], eu[1, 0, 1] = 5, 5, 10, 10
    >>> at = attribute(optimum, sc, eu, optimum.data["eu"].values, ("spread", "optimum"))
    >>> at
    <Attribution 'optimum' − 'spread': gap 15 = absorption +10, pillar_max_share +5 …>
    >>> at.objective_a, at.objective_b, at.gap, round(at.residual, 9)
    (115.0, 130.0, 15.0, 0.0)
    """

    a: str
    b: str
    objective_a: float
    objective_b: float
    terms: pd.DataFrame
    residual: float

    @property
    def gap(self) -> float:
        """``objective(b) − objective(a)``."""
        return self.objective_b - self.objective_a

    @property
    def by_rule(self) -> pd.DataFrame:
        """Contributions summed per rule family (and per column block), largest first."""
        if self.terms.empty:
            return pd.DataFrame(columns=["part", "name", "description", "contribution", "share_of_gap"])
        table = self.terms.groupby(["part", "name", "description"], as_index=False)["contribution"].sum()
        table["share_of_gap"] = table["contribution"] / self.gap if self.gap else np.nan
        order = table["contribution"].abs().sort_values(ascending=False).index
        return table.loc[order].reset_index(drop=True)

    def __repr__(self) -> str:
        top = ", ".join(f"{r.name} {r.contribution:+.4g}" for r in self.by_rule.head(3).itertuples())
        return f"<Attribution {self.b!r} − {self.a!r}: gap {self.gap:.6g} = {top or 'nothing'} …>"

    def _repr_html_(self) -> str:
        head = (f"<h4>Why {self.b} and {self.a} differ</h4><p>objective {self.objective_b:.6g} − "
                f"{self.objective_a:.6g} = gap <b>{self.gap:.6g}</b> (residual {self.residual:.1e})</p>")
        fmt = {"float_format": lambda v: f"{v:,.4g}"}
        return (head + "<h5>By rule</h5>" + self.by_rule.to_html(index=False, **fmt)
                + "<h5>Largest terms</h5>" + self.terms.head(20).to_html(index=False, **fmt))


def attribute(optimum: Allocation, sc: Scenario, eu_a: np.ndarray, eu_b: np.ndarray, names: tuple[str, str]
              ) -> Attribution:
    """Split ``objective(b) − objective(a)`` with the duals of ``optimum`` (an :class:`Allocation` from a solve,
    keeping its ``lp`` and ``result``). See the module text for what each term means.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> optimum = fs.solve(sc)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0], eu[0, 0, 1], eu[1, 1, 0], eu[1, 0, 1] = 5, 5, 10, 10
    >>> at = attribute(optimum, sc, eu, optimum.data["eu"].values, ("spread", "optimum"))
    >>> at.terms[["name", "where", "price", "contribution"]].values.tolist()[0]
    ['absorption', 'north_africa, 2009', 0.5, 5.0]
    """
    lp, result = optimum.lp, optimum.result
    if lp is None or result is None:
        raise FundsimError("attribution needs an optimum that keeps its LP and solve result (from fs.solve)")
    y = np.nan_to_num(np.asarray(result.row_dual, float))  # rules on integer decisions alone have no price
    d = lp.c - lp.A.T @ y
    xa, xb = lp_point(lp, sc, eu_a), lp_point(lp, sc, eu_b)
    act_a, act_b = lp.A @ xa, lp.A @ xb
    relax = np.nan_to_num(relaxation_duals(lp, result))
    rows = _terms(lp.constraints, "rule", relax, act_a, act_b, y * (act_b - act_a))
    texts = {"eu": EU_TEXT, **{c.name: c.words for f in families() for c in f.columns}}
    rows += _terms(lp.variables, "cell", d, xa, xb, d * (xb - xa), texts)
    obj_a, obj_b = objective_value(sc, eu_a), objective_value(sc, eu_b)
    outside_a, outside_b = obj_a - float(lp.c @ xa), obj_b - float(lp.c @ xb)
    if abs(outside_b - outside_a) > TOL:
        rows.append({"part": "outside the LP", "name": "ineligible money", "where": "",
                     "description": "objective value of money in cells the scenario makes ineligible",
                     "price": np.nan, "a": outside_a, "b": outside_b, "contribution": outside_b - outside_a})
    terms = pd.DataFrame(rows, columns=["part", "name", "where", "description", "price", "a", "b", "contribution"])
    terms = terms.reindex(terms["contribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    residual = (obj_b - obj_a) - float(terms["contribution"].sum())
    return Attribution(names[0], names[1], obj_a, obj_b, terms, residual)
