"""The diagnosis of an infeasible scenario and the repair of it (:func:`fundsim.diagnose.diagnose`)."""

from __future__ import annotations

from typing import Any

from fundsim.diagnose.checklist import checks
from fundsim.diagnose.elastic import relax
from fundsim.diagnose.repairs import Diagnosis, apply_repairs, describe
from fundsim.errors import ArgumentError, InfeasibleError
from fundsim.lp import LinearProgram, assemble
from fundsim.model import Scenario
from fundsim.solvers.backends import SolverLike

__all__ = ["diagnose", "repair"]


def diagnose(scenario: Scenario, lp: LinearProgram | None = None, *, alternatives: int = 3,
             solver: SolverLike = "highs", options: dict[str, Any] | None = None) -> Diagnosis:
    """Explain an infeasible scenario: the cheap checks' findings and up to ``alternatives`` repairs.

    Parameters
    ----------
    scenario : the scenario
    lp : its assembled programme (assembled here when not given)
    alternatives : how many alternative repairs to look for; the first changes the least money, each next
        one keeps the rules the earlier ones relaxed (fewer come back when no other rule can give way)
    solver, options : the backend that solves the elastic programme (a name such as ``"pulp"``, a backend,
        or a :class:`~fundsim.solvers.SolverChoice`) and its options; it needs in-place updates

    Returns
    -------
    Diagnosis
        ``checks`` (sentences) and ``repairs`` (alternatives, each a tuple of :class:`Repair`); no repairs
        when the scenario is feasible.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Limit, MinPackage, PillarBalance, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tight = sc.evolve(rules=Rules(pillar_balance=(PillarBalance("legal", min_share=0.9),),
    ...                               priority_limits=(Limit("return", min=10.0),),
    ...                               min_packages=(MinPackage("north_africa", 10.0, frozenset({"return"})),)))
    >>> d = diagnose(tight)
    >>> d.repairs[0][0].text
    "lower the minimum share of the pillar 'legal' from 90 % to 83.3 %"
    >>> d.repairs[0][0].where, round(d.repairs[0][0].repaired, 6)
    ({'pillar': 'legal'}, 0.833333)
    >>> diagnose(tight, solver="pulp").repairs[0][0].text  # any backend with in-place updates
    "lower the minimum share of the pillar 'legal' from 90 % to 83.3 %"
    """
    lp = assemble(scenario) if lp is None else lp
    found = checks(scenario)
    try:
        repairs = relax(lp, rounds=alternatives, solver=solver, options=options)
    except InfeasibleError as exc:  # no rule can give way: say so among the findings
        found.append(exc.message)
        repairs = []
    return Diagnosis(tuple(found), tuple(tuple(describe(r) for r in alt) for alt in repairs))


def repair(scenario: Scenario, diagnosis: Diagnosis, alternative: int = 0) -> Scenario:
    """The variant of ``scenario`` with one of the diagnosis's alternative repairs applied.

    Raises
    ------
    ValueError
        when the diagnosis has no such alternative.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Limit, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tight = sc.evolve(rules=Rules(region_limits=(Limit("north_africa", min=60.0),)))
    >>> fixed = repair(tight, diagnose(tight, alternatives=1))
    >>> fs.solve(fixed).objective > 0
    True
    """
    n = len(diagnosis.repairs)
    if not 0 <= alternative < n:
        valid = f"alternative 0 … {n - 1}" if n else "none: the scenario it describes is feasible"
        raise ArgumentError(f"the diagnosis has no repair number {alternative}; its repairs are: {valid}")
    return apply_repairs(scenario, diagnosis.repairs[alternative])
