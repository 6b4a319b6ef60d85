"""LP ranging: over which interval each shadow price and the allocation hold, checked against re-solves.

The tutorial's intervals are worked by hand (scenarios/tutorial.yaml): money is worth 3 in remittances in
North Africa, 2 in return there, 1.5 in mobility in the East and 1 elsewhere; ENPI may not fund
remittances, North Africa absorbs 25 a year and remittances may take 25 % of the 60 committed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import fundsim as fs
from fundsim.errors import SolverError
from fundsim.examples import synthetic_scenario
from fundsim.results.explain import explain
from fundsim.results.label import (
    cost_parameters,
    exact_rule_intervals,
    exact_weight_intervals,
    ranging_dataset,
    rebased_solver,
    row_index,
    row_ranges,
    row_sides,
)
from fundsim.results.ranging import cost_ranging, face_row_ranging
from fundsim.rules import user_rule
from fundsim.rules.program import LinearProgram
from fundsim.solvers import HighsSolver, Status


@pytest.fixture(scope="module")
def tutorial() -> fs.Allocation:
    return fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))


@pytest.fixture(scope="module")
def reference() -> fs.Allocation:
    """The reference case under its impact curves (gam-2008-impact-curves.yaml): the figures below are that
    optimum's, whose impact weights and pillar floors are ranged (the reference objective is a results framework)."""
    return fs.solve(fs.load_scenario("scenarios/gam-2008-impact-curves.yaml"))


def ends(alloc: fs.Allocation, name: str, exact: bool = False, **where: object) -> list[float]:
    return [float(v) for v in alloc.ranging(exact=exact)[name].sel(where).values]


# re-solves ---------------------------------------------------------------------------------------------
class Resolver:
    """Re-solves an LP warm with one row bound or the costs moved, then puts them back."""

    def __init__(self, lp: LinearProgram) -> None:
        self.lp = lp
        self.solver = HighsSolver({"solver": "simplex"})
        self.solver.solve(lp)

    def with_bound(self, row: int, side: int, bound: float) -> float:
        lo, up = self.lp.row_lower[row], self.lp.row_upper[row]
        new_lo = bound if side < 0 or lo == up else lo
        new_up = bound if side > 0 or lo == up else up
        self.solver.change_row_bounds(np.array([row]), np.array([new_lo]), np.array([new_up]))
        result = self.solver.solve()
        self.solver.change_row_bounds(np.array([row]), np.array([lo]), np.array([up]))
        return result.objective if result.status is Status.OPTIMAL else -np.inf

    def with_costs(self, costs: np.ndarray) -> float:
        cols = np.arange(self.lp.num_col)
        self.solver.change_costs(cols, costs)
        result = self.solver.solve()
        self.solver.change_costs(cols, self.lp.c)
        if result.status is Status.UNBOUNDED:  # a negative weight on a shortfall: no best allocation
            return np.inf if self.lp.sense == "max" else -np.inf
        return result.objective


def check_rule(alloc: fs.Allocation, name: str, label: dict, exact: bool) -> int:
    """Inside the interval the objective moves linearly at the shadow price; beyond an exact end it falls
    short of that line. Returns how many finite ends were crossed."""
    lp, result = alloc.lp, alloc.result
    assert lp is not None and result is not None
    row = int(row_index(lp, name).sel(label))
    solver = rebased_solver(lp, result)
    side = int(row_sides(lp, solver.ranging(), result.row_activity)[row])
    b0 = lp.row_upper[row] if side > 0 else lp.row_lower[row]
    y = float(result.row_dual[row])
    if exact:
        low, high = (float(v[0]) for v in face_row_ranging(solver, np.array([row]), np.array([side])))
    else:
        low, _, high = row_ranges(lp, solver.ranging(), result.row_activity)[row]
    again, crossed = Resolver(lp), 0
    line = lambda b: result.objective + y * (b - b0)  # noqa: E731
    tol = 1e-6 * max(1.0, abs(result.objective))
    for end in (low, high):
        if not np.isfinite(end) or abs(end - b0) < 1e-9:
            continue
        inside = b0 + 0.9 * (end - b0)
        assert again.with_bound(row, side, inside) == pytest.approx(line(inside), abs=tol), (name, label, end)
        if exact:
            beyond = end + 1e-3 * max(1.0, abs(end - b0)) * np.sign(end - b0)
            assert again.with_bound(row, side, beyond) < line(beyond) - 1e-9, (name, label, end)
            crossed += 1
    return crossed


# the solver's ranging ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["scenarios/tutorial.yaml", "scenarios/gam-2008.yaml"])
def test_cost_ranging_of_one_column_is_highs_cost_ranging(path: str) -> None:
    """The generalised cost ranging, along unit directions, gives HiGHS's own per-column intervals."""
    lp = fs.assemble(fs.load_scenario(path))
    solver = HighsSolver()
    solver.solve(lp)
    raw = solver.ranging()
    cols = np.arange(lp.num_col)[:: max(1, lp.num_col // 400)]
    low, high = cost_ranging(solver, sp.identity(lp.num_col, format="csc")[:, cols])
    np.testing.assert_allclose(lp.c[cols] + low, raw["col_cost_dn"][cols], atol=1e-9)
    np.testing.assert_allclose(lp.c[cols] + high, raw["col_cost_up"][cols], atol=1e-9)
    assert raw["row_bound_up"].shape == (lp.num_row,) and raw["col_cost_up"].shape == (lp.num_col,)


def test_ranging_needs_an_optimal_lp() -> None:
    lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    with pytest.raises(SolverError, match="before a solve"):
        HighsSolver().ranging()
    milp = dataclasses.replace(lp, integrality=np.ones(lp.num_col, np.int32))
    solver = HighsSolver()
    assert solver.solve(milp).status is Status.OPTIMAL
    with pytest.raises(SolverError, match="linear programmes only"):
        solver.ranging()
    result = HighsSolver().solve(lp)
    with pytest.raises(SolverError, match="integer rules"):
        rebased_solver(milp, result)
    with pytest.raises(SolverError, match="solve with solver='highs'"):
        rebased_solver(lp, dataclasses.replace(result, basis=None, solver="pulp"))


# the tutorial, by hand -----------------------------------------------------------------------------------
def test_tutorial_rule_intervals(tutorial: fs.Allocation) -> None:
    """North Africa 2009 absorbs 25 at 0.5 per EUR m more: more 2009 money goes to return there instead of
    mobility in the East, until all of 2009's 30 (TPMA 10 + ENPI 20) is there. The remittance ceiling,
    worth 1 per EUR m (return instead of remittances), holds down to 0 % and up to 33.3 %, when TPMA's 20 in
    North Africa are all remittances. TPMA's 2009 envelope is worth 1.75 up to 90: 1.5 in the East plus a
    quarter more remittances (3 instead of 2), until remittances reach the absorption left for them."""
    assert ends(tutorial, "absorption", region="north_africa", year=2009) == [10.0, 25.0, 30.0]
    assert ends(tutorial, "absorption", True, region="north_africa", year=2009) == pytest.approx([5.0, 25.0, 30.0])
    assert ends(tutorial, "absorption", True, region="north_africa", year=2010) == pytest.approx([5.0, 25.0, 30.0])
    share = ends(tutorial, "pillar_max_share", True, pillar="development")
    assert share == pytest.approx([0.0, 25.0, 100 / 3], abs=1e-9)
    assert ends(tutorial, "pillar_max_share", pillar="development") == pytest.approx([25.0, 25.0, 100 / 3])
    assert ends(tutorial, "envelope", True, instrument="tpma", year=2009) == pytest.approx([5.0, 10.0, 90.0])
    assert tutorial.ranging()["pillar_max_share"].attrs["units"] == "%"
    assert tutorial.ranging()["envelope"].attrs["units"] == "EUR m"


def test_tutorial_weight_intervals(tutorial: fs.Allocation) -> None:
    """Return in North Africa (2) keeps its money between 1.5 (East mobility wins) and 3 (it would take the
    remittances' place); remittances (3) keep theirs from 2 upwards; East mobility (1.5) between 1 (the
    other East priorities) and 2 (return in North Africa)."""
    for exact in (False, True):
        near = {"rel": 1e-12}  # the hand-worked ends, up to the basis's rounding
        assert ends(tutorial, "impact_weight", exact, priority="return", region="north_africa") == pytest.approx(
            [1.5, 2.0, 3.0], **near)
        rem = ends(tutorial, "impact_weight", exact, priority="remittances", region="north_africa")
        assert rem == pytest.approx([2.0, 3.0, np.inf], **near)
        assert ends(tutorial, "impact_weight", exact, priority="mobility", region="eastern_partnership") == \
            pytest.approx([1, 1.5, 2], **near)


def test_tutorial_user_numbers_move_as_the_intervals_say(tutorial: fs.Allocation) -> None:
    """The intervals are in the user's numbers: change them in the scenario and re-solve."""
    base = fs.load_scenario("scenarios/tutorial.yaml").spec

    def objective(**changes: object) -> float:
        return fs.solve(fs.scenario_from_dict({**base, **changes})).objective

    def absorption(cap: float) -> dict:
        return {"absorption": {**base["absorption"], "capacity": {"north_africa": {2009: cap, 2010: 25}}}}

    assert objective(**absorption(29.0)) == pytest.approx(130 + 0.5 * 4)
    assert objective(**absorption(6.0)) == pytest.approx(130 - 0.5 * 19)
    assert objective(**absorption(31.0)) < 130 + 0.5 * 6 - 1e-9  # beyond 30 the price falls
    assert objective(**absorption(4.0)) < 130 - 0.5 * 21 - 1e-9  # below 5 it rises
    for share, inside in ((0.33, True), (0.01, True), (0.34, False)):
        got = objective(rules={"pillar_balance": [{"pillar": "development", "max_share": share}]})
        line = 130 + 0.6 * (100 * share - 25)
        assert (got == pytest.approx(line)) if inside else got < line - 1e-9


def test_tutorial_weights_move_as_the_intervals_say(tutorial: fs.Allocation) -> None:
    sc = tutorial.scenario
    assert sc is not None
    term = sc.objective.impact
    assert term is not None
    p, r = sc.priority_ids.index("return"), sc.region_ids.index("north_africa")
    eu0 = tutorial.data["eu"].values

    def solve_with(weight: float) -> fs.Allocation:
        w = term.weights.copy()
        w[p, r] = weight
        impact = dataclasses.replace(term, weights=w)
        return fs.solve(sc.evolve(objective=dataclasses.replace(sc.objective, impact=impact)))

    for inside in (1.55, 2.95):
        alloc = solve_with(inside)
        np.testing.assert_allclose(alloc.data["eu"].values, eu0, atol=1e-9)
        assert alloc.objective == pytest.approx(130 + 35 * (inside - 2))
    for outside in (1.45, 3.05):
        alloc = solve_with(outside)
        assert alloc.objective > 130 + 35 * (outside - 2) + 1e-6  # the old allocation is no longer the best
        assert not np.allclose(alloc.data["eu"].values, eu0, atol=1e-6)


# re-solves on the tutorial and the reference scenario ------------------------------------------------------
def test_every_tutorial_rule_holds_inside_and_breaks_beyond(tutorial: fs.Allocation) -> None:
    crossed = 0
    for name, da in tutorial.duals.data_vars.items():
        if not user_rule(name):
            continue
        for label in da.to_series().dropna().index:
            where = dict(zip(da.dims, label if isinstance(label, tuple) else (label,), strict=True))
            check_rule(tutorial, str(name), where, exact=False)
            crossed += check_rule(tutorial, str(name), where, exact=True)
    assert crossed >= 10


REFERENCE_RULES: list[tuple[str, dict[str, object]]] = [
    ("pillar_min_share", {"pillar": "legal_migration"}),
    ("absorption", {"region": "southern_africa", "year": 2013}),
    ("absorption", {"region": "central_asia", "year": 2013}),
    ("match_capacity", {"source": "member_states", "year": 2009}),
    ("envelope", {"instrument": "tpma", "year": 2009}),
]


@pytest.mark.parametrize(("name", "label"), REFERENCE_RULES)
def test_reference_rules_hold_inside_and_break_beyond(reference: fs.Allocation, name: str, label: dict) -> None:
    assert abs(float(reference.duals[name].sel(label))) > 1e-6  # a binding rule
    check_rule(reference, name, label, exact=False)
    assert check_rule(reference, name, label, exact=True) == 2


def test_reference_exact_intervals_contain_the_basis_intervals(reference: fs.Allocation) -> None:
    """On the degenerate reference scenario the basis's intervals are short: the exact ones contain them and
    may be wider (the envelope of TPMA 2009 holds its price from 51.20 to 51.79, not only to 51.30: its upper
    end, verified by re-solving in test_reference_rules_hold_inside_and_break_beyond)."""
    lp, result = reference.lp, reference.result
    assert lp is not None and result is not None
    basis = reference.ranging()
    picks = [(name, int(row_index(lp, name).sel(label))) for name, label in REFERENCE_RULES]
    exact = exact_rule_intervals(lp, result, picks)
    for (name, label), got in zip(REFERENCE_RULES, exact, strict=True):
        b = basis[name].sel(label).values
        assert got[0] <= b[0] + 1e-7 and got[2] >= b[2] - 1e-7 and got[1] == pytest.approx(b[1])
    wider = [got[2] - got[0] > (b := basis[name].sel(label).values)[2] - b[0] + 1e-6
             for (name, label), got in zip(REFERENCE_RULES, exact, strict=True)]
    assert any(wider)  # degenerate: some exact interval is wider than its basis's


def test_reference_weights_hold_inside_and_break_beyond(reference: fs.Allocation) -> None:
    """For the most influential weights: inside the exact interval the allocation stays optimal (the
    objective is that of the old allocation at the new costs); beyond, some other allocation does better."""
    sc, lp, result = reference.scenario, reference.lp, reference.result
    assert sc is not None and lp is not None and result is not None
    params = cost_parameters(sc, lp)
    carried = [(abs(float(v)), p, k) for p in params for k, v in enumerate(p.value * (p.directions.T @ result.x))]
    picks = [(p, k) for _, p, k in sorted(carried, key=lambda t: -t[0])[:4]]
    exact = exact_weight_intervals(sc, lp, result, picks)
    again, crossed = Resolver(lp), 0
    for (p, k), (low, w0, high) in zip(picks, exact, strict=True):
        d = p.directions[:, k].toarray().ravel()
        for end in (low, high):
            if not np.isfinite(end):
                continue
            inside, beyond = (lp.c + (w - w0) * d for w in (w0 + 0.9 * (end - w0), end + 1e-3 * np.sign(end - w0)))
            assert again.with_costs(inside) == pytest.approx(inside @ result.x, rel=1e-9)
            assert again.with_costs(beyond) > beyond @ result.x + 1e-7
            crossed += 1
    assert crossed >= 4


# labels, units, infinities ------------------------------------------------------------------------------
def test_labelled_like_the_duals(reference: fs.Allocation) -> None:
    ranging = reference.ranging()
    for name, dual in reference.duals.data_vars.items():
        if not user_rule(name):
            assert name not in ranging
            continue
        da = ranging[name]
        assert da.dims == (*dual.dims, "interval") and list(da["interval"].values) == ["low", "value", "high"]
        assert da.attrs["units"] in ("EUR m", "%") and da.attrs["long_name"]
        np.testing.assert_array_equal(np.isnan(da.sel(interval="value")), np.isnan(dual))
        value = da.sel(interval="value")
        assert bool(((da.sel(interval="low") <= value + 1e-9) | value.isnull()).all())
        assert bool(((da.sel(interval="high") >= value - 1e-9) | value.isnull()).all())
    for name in ("impact_weight", "leverage_weight"):
        assert ranging[name].attrs["holds"] == "allocation"
    assert float(ranging["leverage_weight"].sel(interval="value")) == pytest.approx(0.1)


def test_infinite_ends_are_inf(tutorial: fs.Allocation) -> None:
    """A rule that does not bind holds its price 0 however far its limit rises: +inf, not a huge number."""
    match = tutorial.ranging()["match_capacity"].sel(source="member_states")
    np.testing.assert_array_equal(match.sel(interval="high"), [np.inf, np.inf])
    np.testing.assert_allclose(match.sel(interval="low"), [2.5, 2.5])  # the co-financing mobilised
    for exact in (False, True):
        for da in tutorial.ranging(exact=exact).data_vars.values():
            finite = da.values[np.isfinite(da.values)]
            assert (np.abs(finite) < 1e15).all()


def test_cost_parameters_rebuild_the_costs() -> None:
    """Σ value·direction over the objective's parameters is the LP's cost vector, for impact with and without
    diminishing returns, on EU or total cost, with leverage and goals."""
    tutorial = fs.load_scenario("scenarios/tutorial.yaml")
    spec = tutorial.spec
    goals = {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 30, "weight": 2.0},
                         {"id": "remit", "priorities": ["remittances"], "amount": 20}], "weight": 1.5}
    total = {**spec["objective"]["impact"], "basis": "total"}
    scenarios = [
        tutorial,
        fs.load_scenario("scenarios/gam-2008-impact-curves.yaml"),
        synthetic_scenario(6, 3, 5, 3, seed=2),
        fs.scenario_from_dict({**spec, "objective": {"impact": total, "leverage": {"weight": 0.3}, "goals": goals}}),
        fs.scenario_from_dict({**spec, "objective": {"goals": goals}}),
    ]
    for sc in scenarios:
        lp = fs.assemble(sc)
        params = cost_parameters(sc, lp)
        rebuilt = sum((p.directions @ np.nan_to_num(p.value) for p in params), np.zeros(lp.num_col))
        np.testing.assert_allclose(rebuilt, lp.c, atol=1e-12)


def test_goal_weights_hold_inside_and_break_beyond() -> None:
    """Goal programming (minimising the weighted shortfall): the targets' weights are ranged too."""
    spec = fs.load_scenario("scenarios/tutorial.yaml").spec
    goals = {"targets": [{"id": "east", "regions": ["eastern_partnership"], "amount": 30, "weight": 2.0},
                         {"id": "north", "regions": ["north_africa"], "amount": 45, "weight": 1.0}]}
    sc = fs.scenario_from_dict({**spec, "objective": {"goals": goals}})
    alloc = fs.solve(sc)
    weights = alloc.ranging(exact=True)["goal_weight"]
    assert weights.attrs["units"] == "objective per EUR m short"
    low, w0, high = (float(v) for v in weights.sel(target="north").values)
    assert w0 == 1.0 and low <= w0 <= high and (np.isfinite(low) or np.isfinite(high))
    lp, result = alloc.lp, alloc.result
    assert lp is not None and result is not None
    d = cost_parameters(sc, lp)[0].directions[:, 1].toarray().ravel()
    again = Resolver(lp)
    for end in (low, high):
        if np.isfinite(end) and abs(end - w0) > 1e-9:
            inside, beyond = w0 + 0.9 * (end - w0), end + 1e-3 * np.sign(end - w0)
            assert again.with_costs(lp.c + (inside - w0) * d) == pytest.approx((lp.c + (inside - w0) * d) @ result.x)
            assert again.with_costs(lp.c + (beyond - w0) * d) < (lp.c + (beyond - w0) * d) @ result.x - 1e-7


def test_synthetic_exact_ranging_contains_basis_ranging() -> None:
    sc = synthetic_scenario(5, 3, 4, 2, seed=7)
    lp = fs.assemble(sc)
    result = HighsSolver().solve(lp)
    basis, exact = ranging_dataset(sc, lp, result), ranging_dataset(sc, lp, result, exact=True)
    assert basis.attrs["ranging"] == "basis" and exact.attrs["ranging"] == "exact"
    for name, da in basis.data_vars.items():
        b, e = da.values, exact[name].values
        np.testing.assert_allclose(e[..., 1], b[..., 1])
        known = ~np.isnan(b[..., 1])
        assert (e[..., 0][known] <= b[..., 0][known] + 1e-6).all()
        assert (e[..., 2][known] >= b[..., 2][known] - 1e-6).all()


# export and explanation --------------------------------------------------------------------------------------
def test_netcdf_keeps_the_ranging(tutorial: fs.Allocation, tmp_path: Path) -> None:
    """The basis's ranging is written with the allocation, or the exact one once computed."""
    alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    back = fs.open_allocation(alloc.save(tmp_path / "a.nc"))
    for name, da in alloc.ranging().data_vars.items():
        np.testing.assert_array_equal(back.ranging()[name].values, da.values)
        assert back.ranging()[name].attrs["units"] == da.attrs["units"]
    assert back.ranging().attrs["ranging"] == "basis"
    assert "interval" not in back.data.coords
    np.testing.assert_allclose(back.data["eu"], alloc.data["eu"])
    with pytest.raises(SolverError, match="no exact ranging"):
        back.ranging(exact=True)
    exact = alloc.ranging(exact=True)
    back = fs.open_allocation(alloc.save(tmp_path / "a.nc"))
    assert back.ranging(exact=True).attrs["ranging"] == "exact" and back.ranging() is back.ranging(exact=True)
    np.testing.assert_array_equal(back.ranging()["envelope"].values, exact["envelope"].values)
    bare = fs.Allocation(tutorial.data, tutorial.duals)  # as read from a file written without ranging
    again = fs.open_allocation(bare.save(tmp_path / "b.nc"))
    with pytest.raises(SolverError, match="no basis ranging: it was read from a file written without it"):
        again.ranging()


def test_explain_tutorial(tutorial: fs.Allocation) -> None:
    lines = explain(tutorial, top=10)
    assert tutorial.explain(top=10) == lines
    assert lines[0].startswith("tutorial: objective 130 (maximise)")
    rules = [x for x in lines if x.startswith("- ") and "relaxing it" in x]
    assert len(rules) == 7  # four envelopes, the remittance ceiling, North Africa's two years
    assert ("- absorption capacity (payments) (north_africa, 2009): relaxing it by 1 EUR m is worth 0.5; this "
            "holds while the bound is between 5 and 30 EUR m (now 25).") in lines
    assert ("- maximum pillar share (development): relaxing it by 1 percentage point is worth 0.6; this holds "
            "while the bound is between 0 and 33.33 % (now 25).") in lines
    assert any("impact weight (remittances, north_africa) = 3 carries 45 of the objective" in x and
               "2 or more" in x for x in lines)
    basis = explain(tutorial, top=10, exact=False)
    assert any("holds at least while the bound is between 25 and 33.33 %" in x for x in basis)


def test_explain_reference_and_a_file(reference: fs.Allocation, tmp_path: Path) -> None:
    lines = explain(reference, top=3)
    assert len(lines) == 1 + 3 + 1 + 3
    assert reference.scenario is not None
    exact = fs.solve(reference.scenario).ranging(exact=True)["pillar_min_share"]  # a copy: no cache shared
    low, _, high = exact.sel({exact.dims[0]: "legal_migration"}).values
    assert "minimum pillar share (legal_migration)" in lines[1] and f"between {low:.2f} and {high:.2f} %" in lines[1]
    back = fs.open_allocation(reference.save(tmp_path / "ref.nc"))
    stored = explain(back, top=3)
    assert stored[1].startswith("- minimum pillar share (legal_migration)") and "holds at least" in stored[1]
    assert "closest to changing the allocation" in stored[4]


def test_no_ranging_for_a_milp(tutorial: fs.Allocation, tmp_path: Path) -> None:
    """With integer variables there is no ranging: a clear error, an explanation that says why once, and a
    file written without it. (HiGHS's MIP solve returns no duals, so no rule is listed as binding.)"""
    sc, lp = tutorial.scenario, tutorial.lp
    assert sc is not None and lp is not None
    milp = dataclasses.replace(lp, integrality=np.ones(lp.num_col, np.int32))
    alloc = fs.Allocation.from_solution(sc, milp, HighsSolver().solve(milp))
    with pytest.raises(SolverError, match="no ranging for a scenario with integer rules"):
        alloc.ranging()
    lines = explain(alloc, top=3)
    assert sum("No validity intervals: no ranging for a scenario with integer rules" in x for x in lines) == 1
    assert lines[-2] == "- impact weight (mobility, eastern_partnership) = 1.5 carries 15 of the objective."
    assert not any("holds" in x or "stays optimal" in x for x in lines)
    back = fs.open_allocation(alloc.save(tmp_path / "milp.nc"))
    assert not [k for k in back.data.data_vars if str(k).startswith("ranging_")]
    with pytest.raises(SolverError, match="read from a file written without it"):
        back.ranging()


def test_explain_is_exact_only_for_small_lps(tutorial: fs.Allocation, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``EXACT_COLUMNS`` columns explain gives the basis's intervals, and says they hold at least."""
    import fundsim.results.explain as module

    assert "holds while" in explain(tutorial, top=1)[1]
    monkeypatch.setattr(module, "EXACT_COLUMNS", 10)
    line = explain(tutorial, top=1)[1]
    assert "holds at least while the bound is between 5 and 10 EUR m (now 10)" in line
    assert "holds while" in explain(tutorial, top=1, exact=True)[1]
