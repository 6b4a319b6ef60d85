"""The objective of any EU cube, computed from the scenario without the LP: the terms the LP optimises,
so that a plan from a file, a stressed plan and an optimum are scored alike.

At the LP's optimum :func:`objective_value` equals the solver's objective.
"""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario, Selector

__all__ = ["ATOL", "impact_value", "indicator_outputs", "objective_from_terms", "objective_terms", "objective_value",
           "results_value", "selected"]

ATOL = 1e-6  # EUR m: less money in a cell counts as none (admin cost per active cell)


def selected(sel: Selector, sc: Scenario) -> np.ndarray:
    """Boolean cube ``(instrument, priority, region, year)`` of the cells a selector names.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Selector
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cube = selected(Selector(regions=frozenset({"north_africa"})), sc)
    >>> cube.shape, int(cube.sum())  # 2 instruments x 3 priorities x 1 region x 2 years
    ((2, 3, 2, 2), 12)
    """
    v = [sel.vector(dim, tuple(labels)) for dim, labels in sc.coords().items()]
    return v[0][:, None, None, None] & v[1][None, :, None, None] & v[2][None, None, :, None] & v[3]


def impact_value(sc: Scenario, eu: np.ndarray) -> float:
    """The impact term: ``Σ_{p,r} Σ_s w[p,r]·slope_s·clip(m[p,r] − b_{s−1}, 0, b_s − b_{s−1})``.

    ``m[p,r] = Σ_{i,y} f·eu`` is the money reaching the cell (``f = 1 + k`` on the total-cost basis, 1 on
    the EU basis) and ``b`` the breakpoints (0 before the first, ∞ after the last). Only segments worth
    something (``w·slope > 0``) count, as in the LP, which fills the segments in order.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, 0] = 10.0  # ENPI: 10 for mobility in the Eastern Partnership, weight 1.5
    >>> impact_value(sc, eu)
    15.0
    """
    term = sc.objective.impact
    if term is None:
        return 0.0
    factor = 1.0 + sc.match_ratio[..., None] if term.basis == "total" else 1.0
    money = (factor * eu).sum(axis=(0, 3))
    w = term.weight * term.weights
    if not term.breakpoints:
        return float((w * money).sum() * term.slopes[0])
    edges = np.array([0.0, *term.breakpoints, np.inf])
    value = 0.0
    for s, slope in enumerate(term.slopes):
        filled = np.clip(money - edges[s], 0.0, edges[s + 1] - edges[s])
        worth = w * slope
        value += float(np.where(worth > 0, worth * filled, 0.0).sum())
    return value


def indicator_outputs(sc: Scenario, eu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per indicator of the results framework: the money in its slice and the outputs it buys.

    ``money_j = Σ_{cells in j} f_j·eu`` (``f_j = 1 + k`` on the total basis, 1 on the EU basis) and
    ``outputs_j = money_j / c_j`` (``c_j`` the unit cost, EUR m per unit), in the order of the indicators; empty
    arrays when the scenario has no results framework.

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["results"] = {"indicators": [
    ...     {"id": "returnees", "priorities": ["return"], "unit_cost": 0.004, "basis": "eu"},
    ...     {"id": "migrants", "pillars": ["legal"], "unit_cost": 0.01}]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 1, 0, 0], eu[0, 0, 1, 1] = 10.0, 4.0  # TPMA: return in North Africa, mobility in the East
    >>> indicator_outputs(sc, eu)  # 10 / 0.004; (4 + 1 co-financing) / 0.01
    (array([10.,  5.]), array([2500.,  500.]))
    """
    term = sc.objective.results
    if term is None:
        return np.zeros(0), np.zeros(0)
    total = eu * (1.0 + sc.match_ratio[..., None])
    money = np.array([float((total if ind.basis == "total" else eu)[selected(ind.selector, sc)].sum())
                      for ind in term.indicators])
    return money, money / np.array([ind.unit_cost for ind in term.indicators])


def results_value(sc: Scenario, eu: np.ndarray) -> float:
    """The results-framework term: ``λ·Σ_j [v_j·min(o_j, T_j) + b_j·max(o_j − T_j, 0)]``.

    ``o_j`` are the outputs of indicator ``j`` (:func:`indicator_outputs`), ``T_j`` its target (∞ without one),
    ``v_j`` its value per output up to the target, ``b_j`` beyond it, ``λ`` the term's weight.

    Examples
    --------
    2 500 persons against a target of 2 000, worth 0.01 each and 0.004 beyond: 20 + 2:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["objective"]["results"] = {"indicators": [{"id": "returnees", "priorities": ["return"],
    ...     "unit_cost": 0.004, "basis": "eu", "target": 2000, "value": 0.01, "beyond_target": 0.004}]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 1, 0, 0] = 10.0
    >>> round(results_value(sc, eu), 9)
    22.0
    """
    term = sc.objective.results
    if term is None:
        return 0.0
    _, outputs = indicator_outputs(sc, eu)
    return term.weight * sum(ind.worth(float(o)) for ind, o in zip(term.indicators, outputs, strict=True))


def objective_terms(sc: Scenario, eu: np.ndarray) -> dict[str, float]:
    """The scenario's objective terms for a dense EU cube ``(instrument, priority, region, year)``.

    ``impact`` (:func:`impact_value`), ``leverage`` (``λ·Σ k·eu``: co-financing at the rules' rate, as the
    LP plans it), ``results`` (:func:`results_value`), ``goals`` (``Σ_t weight·weight_t·max(0, amount_t −
    Σ_{slice t} eu)``, the weighted shortfall) and ``admin`` (the administrative cost times the number of
    priority × region cells with EU money), each present when the scenario has the term.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> objective_terms(sc, fs.solve(sc).data["eu"].values)
    {'impact': 130.0}
    """
    obj = sc.objective
    terms: dict[str, float] = {}
    if obj.impact is not None:
        terms["impact"] = impact_value(sc, eu)
    if obj.leverage is not None:
        terms["leverage"] = obj.leverage.weight * float((sc.match_ratio[..., None] * eu).sum())
    if obj.results is not None:
        terms["results"] = results_value(sc, eu)
    if obj.goals is not None:
        short = [max(0.0, t.amount - float(eu[selected(t.selector, sc)].sum())) for t in obj.goals.targets]
        terms["goals"] = obj.goals.weight * float(np.dot([t.weight for t in obj.goals.targets], short))
    if sc.rules.admin_cost is not None:
        terms["admin"] = sc.rules.admin_cost.cost * int((eu.sum(axis=(0, 3)) > ATOL).sum())
    return terms


def objective_value(sc: Scenario, eu: np.ndarray) -> float:
    """The scenario's objective for any EU cube, computed without the LP.

    ``impact + leverage + results − goals − admin`` when the scenario maximises, ``goals + admin`` when it
    only minimises shortfall (see :func:`objective_terms`). Money in cells outside eligibility counts like
    any other money (the LP never puts any there; compliance reports it). At the LP's optimum this equals
    the solver's objective.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, :] = 5.0  # TPMA: 5 a year for remittances in North Africa, weight 3
    >>> objective_value(sc, eu)
    30.0
    """
    return objective_from_terms(sc, objective_terms(sc, np.asarray(eu, dtype=float)))


def objective_from_terms(sc: Scenario, terms: dict[str, float]) -> float:
    """``impact + leverage + results − goals − admin`` when the scenario maximises, ``goals + admin`` when it
    only minimises shortfall; a term missing from ``terms`` counts 0.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> objective_from_terms(sc, {"impact": 130.0, "admin": 4.0})
    126.0
    """
    if sc.objective.sense == "min":
        return terms.get("goals", 0.0) + terms.get("admin", 0.0)
    gained = terms.get("impact", 0.0) + terms.get("leverage", 0.0) + terms.get("results", 0.0)
    return gained - terms.get("goals", 0.0) - terms.get("admin", 0.0)
