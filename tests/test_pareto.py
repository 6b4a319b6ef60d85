"""Pareto fronts by the ε-constraint method: every point is efficient and optimal for its ε.

Optimality is checked independently: the ε-constrained problem is rebuilt here from a fresh LP of the
scenario with only its impact term (``fs.assemble``), the bound written as plain rows over the EU
commitments (``Σ k·eu ≥ ε`` for leverage, ``Σ_{cells of r} eu - ε·Σ eu ≤ 0`` for every region for the
largest regional share) and solved with SciPy's ``linprog``; the front's own auxiliary columns, bound
rows, Dinkelbach iterations and warm starts play no part.

Hand-worked front (the tutorial with ENPI's mobility money co-financed at 50 % by the member states, so
each EUR m of it mobilises 1 EUR m, and TPMA's 0.25): for impact, ENPI's money goes to return in North
Africa (weight 2) and 10 to mobility in the East (1.5): impact 130, leverage 0.25·20 + 10 = 15. For
leverage, all 40 of ENPI goes to mobility (in the East, 1.5): leverage 45, impact 60 + 45 + 10 = 115
(TPMA: 15 remittances, 5 return). Between, each EUR m moved from return to mobility costs 0.5 impact
and gains 1 leverage: impact = 130 - 0.5·(leverage - 15).
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.sparse as sp
import yaml
from scipy.optimize import linprog

import fundsim as fs
from fundsim.model import LeverageTerm, Objective, Rules
from fundsim.plots.frontier import pareto_chart
from fundsim.sensitivity.pareto import ParetoFront, objective_values, pareto_front
from fundsim.testing import assert_allocation_feasible


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


@pytest.fixture(scope="module")
def cofinanced() -> fs.Scenario:
    """The tutorial with ENPI's mobility money co-financed at 50 % (see the module docstring)."""
    with open("scenarios/tutorial.yaml", encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    spec["instruments"][1]["cofinancing"] = {"max_eu_share": 1.0, "exceptions": [
        {"priorities": ["mobility"], "max_eu_share": 0.5, "match_source": "member_states"}]}
    return fs.scenario_from_dict(spec)


# ---- the independent check ----------------------------------------------------------------------------------
def best_impact(sc: fs.Scenario, leverage: float | None = None, concentration: float | None = None) -> float | None:
    """Most impact with leverage ≥ ε and/or every region's share ≤ ε, from a fresh LP and linprog
    (``None`` when infeasible)."""
    lp = fs.assemble(sc.evolve(objective=Objective(impact=sc.objective.impact)))
    eu = lp.variables["eu"]
    assert eu.positions is not None
    i, p, r, _ = eu.positions
    rows: list[sp.csr_matrix] = [lp.A]
    lower: list[np.ndarray] = [lp.row_lower]
    upper: list[np.ndarray] = [lp.row_upper]
    if leverage is not None:
        row = np.zeros(lp.num_col)
        row[eu.start:eu.stop] = sc.match_ratio[i, p, r]
        rows.append(sp.csr_matrix(row))
        lower.append(np.array([leverage]))
        upper.append(np.array([np.inf]))
    if concentration is not None:
        block = np.zeros((len(sc.regions), lp.num_col))
        block[r, eu.start + np.arange(eu.size)] = 1.0
        block[:, eu.start:eu.stop] -= concentration
        rows.append(sp.csr_matrix(block))
        lower.append(np.full(len(sc.regions), -np.inf))
        upper.append(np.zeros(len(sc.regions)))
    A = sp.vstack(rows, format="csr")
    lo, up = np.concatenate(lower), np.concatenate(upper)
    finite_up, finite_lo = np.isfinite(up), np.isfinite(lo)
    res = linprog(-lp.c, A_ub=sp.vstack([A[finite_up], -A[finite_lo]]), b_ub=np.concatenate([up[finite_up],
                  -lo[finite_lo]]), bounds=np.column_stack([lp.col_lower, lp.col_upper]), method="highs")
    return None if res.status == 2 else -res.fun + lp.offset


def assert_optimal(sc: fs.Scenario, impact: float, *, leverage: float | None = None,
                   concentration: float | None = None) -> None:
    """``impact`` is the most impact under the bound ε, up to the front's documented rounding slack (every
    bound relaxed by 1e-9·(1 + |ε|)): between the optimum at ε and the optimum at the relaxed ε."""
    if leverage is not None:
        low, high = best_impact(sc, leverage=leverage), best_impact(sc, leverage=leverage - 1e-9 * (1 + leverage))
    else:
        assert concentration is not None
        low = best_impact(sc, concentration=concentration)
        high = best_impact(sc, concentration=concentration + 1e-9 * (1 + concentration))
    assert low is not None and high is not None
    assert low - 1e-9 * (1 + abs(low)) <= impact <= high + 1e-9 * (1 + abs(high))


def assert_efficient(front: ParetoFront) -> None:
    """No point is at least as good as another in every objective and better in one."""
    gain = np.column_stack([front.data[n].values * (1 if front.data[n].attrs["sense"] == "max" else -1)
                            for n in front.objectives])
    for a, b in itertools.permutations(range(len(gain)), 2):
        assert not (np.all(gain[a] >= gain[b] - 1e-9) and np.any(gain[a] > gain[b] + 1e-6)), (a, b)


# ---- hand-worked front ----------------------------------------------------------------------------------------
def test_impact_against_leverage_is_the_hand_worked_segment(cofinanced: fs.Scenario) -> None:
    front = pareto_front(cofinanced, ("impact", "leverage"), points=5)
    assert front.payoff.values == pytest.approx(np.array([[130.0, 15.0], [115.0, 45.0]]), rel=1e-7)
    assert front.data["leverage"].values == pytest.approx([15, 22.5, 30, 37.5, 45], rel=1e-7)
    assert front.data["impact"].values == pytest.approx(130 - 0.5 * (front.data["leverage"].values - 15), rel=1e-8)
    assert front.data["epsilon_leverage"].values == pytest.approx([15, 22.5, 30, 37.5, 45], rel=1e-7)
    assert_efficient(front)


def test_each_point_is_optimal_for_its_epsilon(cofinanced: fs.Scenario) -> None:
    front = pareto_front(cofinanced, ("impact", "leverage"), points=4)
    for impact, eps in zip(front.data["impact"].values, front.data["epsilon_leverage"].values, strict=True):
        assert_optimal(cofinanced, impact, leverage=eps)
    # and a bound just above the best leverage leaves nothing: the grid ends at the true best
    assert best_impact(cofinanced, leverage=front.payoff.loc["leverage", "leverage"] + 1e-4) is None


def test_objectives_with_no_conflict_give_one_point(tutorial: fs.Scenario) -> None:
    """In the tutorial every plan spends TPMA's 20 (the only co-financed money): impact's optimum is also
    leverage's, so the front is one point."""
    front = pareto_front(tutorial, ("impact", "leverage"), points=5)
    assert len(front) == 1
    assert front.data["impact"].item() == pytest.approx(130.0)
    assert front.data["leverage"].item() == pytest.approx(5.0)


# ---- shares: concentration and balance --------------------------------------------------------------------
def test_regional_concentration_front_on_the_tutorial(tutorial: fs.Scenario) -> None:
    """Concentration is least with 30 in each region (share 1/2, impact 75 + 45 = 120); impact's optimum
    puts 50 of 60 in North Africa (5/6); between, impact falls 30 per unit of share."""
    front = pareto_front(tutorial, ("impact", "regional_concentration"), points=5)
    share = front.data["regional_concentration"].values
    assert share == pytest.approx(np.linspace(5 / 6, 1 / 2, 5), rel=1e-8)
    assert front.data["impact"].values == pytest.approx(120 + 30 * (share - 0.5), rel=1e-8)
    for impact, eps in zip(front.data["impact"].values, share, strict=True):
        assert_optimal(tutorial, impact, concentration=eps)
    assert_efficient(front)


def test_a_share_optimised_first_is_the_least_share_for_its_bound(tutorial: fs.Scenario) -> None:
    """Concentration first (Dinkelbach's method): the same efficient points as impact first, and no plan
    has a lower largest share with at least that impact."""
    front = pareto_front(tutorial, ("regional_concentration", "impact"), points=4)
    share, impact = front.data["regional_concentration"].values, front.data["impact"].values
    assert impact == pytest.approx(np.linspace(120, 130, 4), rel=1e-8)
    assert share == pytest.approx(0.5 + (impact - 120) / 30, rel=1e-8)
    for s, eps in zip(share, front.data["epsilon_impact"].values, strict=True):
        assert best_impact(tutorial, concentration=s - 1e-6) < eps - 1e-9


def test_gam_concentration_points_are_optimal_for_their_epsilon() -> None:
    # 'impact' is the impact term: the reference case under its impact curves (the reference objective is a
    # results framework, which has none)
    gam = fs.load_scenario("scenarios/gam-2008-impact-curves.yaml")
    front = pareto_front(gam, ("impact", "regional_concentration"), points=3)
    assert len(front) == 3
    optimum = fs.solve(gam)  # the impact term alone: the optimum less the leverage (0.1 per EUR m of match)
    impact = optimum.objective - 0.1 * float(optimum.data["cofin"].sum())
    assert front.payoff.loc["impact", "impact"] == pytest.approx(impact, rel=1e-6)
    for k, (impact, eps) in enumerate(zip(front.data["impact"].values,
                                          front.data["epsilon_regional_concentration"].values, strict=True)):
        assert_optimal(gam, impact, concentration=eps)
        alloc = front.allocation(k)
        eu = alloc.data["eu"].sum(["instrument", "priority", "year"])
        assert float(eu.max() / eu.sum()) <= eps + 1e-7
    assert_efficient(front)


def test_pillar_balance_is_measured_on_the_allocation() -> None:
    """The imbalance is Σ |pillar share - target| over the ruled pillars (targets: the middle of each rule's
    [15 %, 30 %], 22.5 %), read here from each point's allocation summary. The impact-curve variant of the
    reference case: an impact term, and the three-component balance of §4."""
    gam = fs.load_scenario("scenarios/gam-2008-impact-curves.yaml")
    front = pareto_front(gam, ("impact", "pillar_balance"), points=3)
    assert front.data.attrs["pillar_targets"] == ("legal_migration: 0.225, irregular_migration: 0.225, "
                                                  "migration_development: 0.225")
    assert front.payoff.loc["pillar_balance", "pillar_balance"] == pytest.approx(0.0, abs=1e-7)
    for k in range(len(front)):
        shares = front.allocation(k).by_pillar()["share_of_eu"]
        imbalance = sum(abs(shares[q] - 0.225) for q in ("legal_migration", "irregular_migration",
                                                            "migration_development"))
        assert front.data["pillar_balance"].values[k] == pytest.approx(imbalance, abs=1e-8)
    assert np.all(np.diff(front.data["impact"].values) < 0)  # balance costs impact
    assert_efficient(front)


def test_three_objectives_and_explicit_targets(cofinanced: fs.Scenario) -> None:
    targets = {"legal": 1 / 3, "irregular": 1 / 3, "development": 1 / 3}
    front = pareto_front(cofinanced, ("impact", "leverage", "pillar_balance"), points=3, pillar_targets=targets)
    assert len(front) >= 3
    assert_efficient(front)
    for k in range(len(front)):
        alloc = front.allocation(k)
        assert alloc.lp is not None and alloc.result is not None
        values = objective_values(cofinanced, alloc.lp, alloc.result.x, targets)
        for name in front.objectives:
            assert values[name] == pytest.approx(front.data[name].values[k], rel=1e-9, abs=1e-12)
        for name in front.objectives[1:]:  # each bound holds
            eps = front.data[f"epsilon_{name}"].values[k]
            assert values[name] >= eps - 1e-6 if name == "leverage" else values[name] <= eps + 1e-6


# ---- allocations ------------------------------------------------------------------------------------------------
def test_every_point_is_a_full_allocation_keeping_every_rule(cofinanced: fs.Scenario) -> None:
    front = pareto_front(cofinanced, ("impact", "leverage"), points=3)
    for k in range(len(front)):
        alloc = front.allocation(k)
        assert_allocation_feasible(cofinanced, alloc, exact_cofinancing=True)
        assert alloc.objective == pytest.approx(front.data["impact"].values[k])
        assert float(alloc.data["cofin"].sum()) == pytest.approx(front.data["leverage"].values[k], rel=1e-8)
        assert float(alloc.data["eu"].sum()) == pytest.approx(front.data["eu"].values[k])
        assert "objective_bound" in alloc.duals
    table = front.table()
    assert list(table.columns) == ["impact", "leverage", "epsilon_leverage", "eu"]
    assert front.data["eu_by_group"].sum("group").values == pytest.approx(front.data["eu"].values)
    with pytest.raises(IndexError, match="points 0 to 2"):
        front.allocation(3)


# ---- bad input --------------------------------------------------------------------------------------------------
def test_unknown_objective_lists_the_objectives(tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match=r"unknown objective 'equity'; the objectives are: impact, leverage, "
                                         r"pillar_balance, regional_concentration"):
        pareto_front(tutorial, ("impact", "equity"))


@pytest.mark.parametrize("objectives", [("impact",), ("impact", "impact"),
                                        ("impact", "leverage", "pillar_balance", "regional_concentration")])
def test_two_or_three_different_objectives(tutorial: fs.Scenario, objectives: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="two or three different objectives"):
        pareto_front(tutorial, objectives)


def test_objectives_the_scenario_cannot_express(tutorial: fs.Scenario) -> None:
    no_impact = tutorial.evolve(objective=Objective(leverage=LeverageTerm()))
    with pytest.raises(ValueError, match=r"no impact term.*the others are: leverage, pillar_balance"):
        pareto_front(no_impact, ("impact", "leverage"))
    no_rules = tutorial.evolve(rules=Rules())
    with pytest.raises(ValueError, match="no pillar-balance rule; pass pillar_targets"):
        pareto_front(no_rules, ("impact", "pillar_balance"))
    with pytest.raises(ValueError, match=r"pillar_targets: 'legl' is not a pillar.*legal, irregular, development"):
        pareto_front(tutorial, ("impact", "pillar_balance"), pillar_targets={"legl": 0.5})
    with pytest.raises(ValueError, match="points must be an integer of at least 2"):
        pareto_front(tutorial, ("impact", "leverage"), points=1)


def test_chart_labels_itself(cofinanced: fs.Scenario) -> None:
    ax = pareto_chart(pareto_front(cofinanced, ("impact", "leverage"), points=3))
    assert ax.get_xlabel() == "co-financing mobilised [EUR m], higher is better"
    assert ax.lines[0].get_ydata() == pytest.approx([130.0, 122.5, 115.0])  # by leverage, rising
    axes = pareto_chart(pareto_front(cofinanced, ("impact", "leverage", "regional_concentration"), points=2))
    assert len(axes) == 3
    assert axes[2].get_ylabel().startswith("largest region's share of EU commitments [1]")
    plt.close("all")


def test_shadow_prices_are_the_trade_off_rates(cofinanced: fs.Scenario, tutorial: fs.Scenario) -> None:
    """The ε bound's shadow price is what the first objective gains per unit the bound is relaxed: 0.5 of
    impact per EUR m less leverage (the hand-worked segment), 30 of impact per unit more of the largest share."""
    front = pareto_front(cofinanced, ("impact", "leverage"), points=5)
    for k in (1, 2, 3):
        price = front.allocation(k).duals["objective_bound"].sel(objective="leverage").item()
        assert price == pytest.approx(0.5, rel=1e-7)
    front = pareto_front(tutorial, ("impact", "regional_concentration"), points=3)
    alloc = front.allocation(1)
    assert alloc.duals["objective_bound"].sel(objective="regional_concentration").item() == pytest.approx(30.0)
    assert alloc.duals["objective_bound"].attrs["units"] == "first objective per unit of the bound"
    assert set(alloc.binding_rules()["rule"]) >= {"objective_bound", "envelope"}
