"""Sifting (fundsim.solvers.sifting): each result is certified against the full LP here, independently of
HiGHS (primal feasibility, reduced-cost signs, equal primal and dual objectives), and equals a full solve."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fundsim as fs
from fundsim.errors import SolverError
from fundsim.lp import LinearProgram
from fundsim.montecarlo import Reoptimiser
from fundsim.montecarlo.design import parameter_values, unit_design
from fundsim.montecarlo.numbers import drawn_numbers, scenario_of_draw
from fundsim.solvers import HighsSolver, SolveResult, Status
from fundsim.solvers.sifting import Sifting

from helpers import assert_certified

ROOT = Path(__file__).resolve().parents[1]


def make_lp(c: list[float], rows: list[list[float]], lower: list[float], upper: list[float], *,
            col_upper: list[float] | None = None, col_lower: list[float] | None = None,
            sense: str = "max") -> LinearProgram:
    n = len(c)
    return LinearProgram(sense, np.array(c, float), sp.csr_matrix(np.array(rows, float)), np.array(lower, float),
                         np.array(upper, float), np.array(col_lower or [0.0] * n, float),
                         np.array(col_upper or [np.inf] * n, float), variables={}, constraints={})


def sift_from(base: LinearProgram, **kw: int) -> Sifting:
    return Sifting(base, HighsSolver().solve(base), **kw)


# ---- hand-made LPs -----------------------------------------------------------------------------------
def test_a_restricted_lp_that_is_infeasible_is_left_to_a_full_solve() -> None:
    # max x1 + 0.5 x2, 1 <= x1 + x2 <= 3: the base optimum uses x1 alone, so x2 is left out. With x1 capped
    # at 0 the restricted LP is infeasible although x2 = 3 solves the full one
    base = make_lp([1, 0.5], [[1, 1]], [1], [3], col_upper=[10, 5])
    sifting = sift_from(base)
    assert list(sifting.working) == [0]
    draw = make_lp([1, 0.5], [[1, 1]], [1], [3], col_upper=[0, 5])
    assert sifting.solve(draw) is None
    assert HighsSolver().solve(draw).objective == pytest.approx(1.5)


def test_columns_price_in_until_none_improves() -> None:
    # three goods share one budget row; in the draw the base's winner becomes the worst
    base = make_lp([3, 2, 1], [[1, 1, 1]], [-np.inf], [3], col_upper=[2, 2, 2])
    sifting = sift_from(base)
    assert set(sifting.working) == {0, 1}
    draw = make_lp([1, 2, 3], [[1, 1, 1]], [-np.inf], [3], col_upper=[2, 2, 2])
    result = sifting.solve(draw)
    assert result is not None and result.objective == pytest.approx(8.0)
    np.testing.assert_allclose(result.x, [0, 1, 2], atol=1e-9)
    assert result.info["sifting_rounds"] == 2 and result.info["sifting_columns"] == 3
    assert_certified(draw, result)


def test_one_column_per_round_still_ends_at_the_optimum() -> None:
    rng = np.random.default_rng(3)
    n = 40
    c = rng.uniform(0.5, 2.0, n)
    base = make_lp(list(c), [list(rng.uniform(0.1, 1, n)), list(rng.uniform(0.1, 1, n))], [-np.inf] * 2, [5, 6],
                   col_upper=[1.0] * n)
    draw = make_lp(list(c[::-1]), base.A.toarray().tolist(), [-np.inf] * 2, [7, 4], col_upper=[1.0] * n)
    full = HighsSolver().solve(draw)
    one = sift_from(base, batch=1).solve(draw)
    many = sift_from(base).solve(draw)
    assert one is not None and many is not None
    assert one.info["sifting_rounds"] > many.info["sifting_rounds"]
    for result in (one, many):
        assert result.objective == pytest.approx(full.objective, rel=1e-9)
        assert_certified(draw, result)


def test_minimising() -> None:
    # cover a demand of 5 at least cost; the cheap supplier of the base becomes dear in the draw
    base = make_lp([1, 2, 3], [[1, 1, 1]], [5], [np.inf], col_upper=[4, 4, 4], sense="min")
    sifting = sift_from(base)
    draw = make_lp([5, 2, 1], [[1, 1, 1]], [5], [np.inf], col_upper=[4, 4, 4], sense="min")
    result = sifting.solve(draw)
    assert result is not None and result.objective == pytest.approx(1 * 4 + 2 * 1)
    assert_certified(draw, result)


def test_a_column_given_a_lower_bound_joins_the_working_set() -> None:
    base = make_lp([3, 1], [[1, 1]], [-np.inf], [3], col_upper=[4, 4])
    sifting = sift_from(base)
    assert list(sifting.working) == [0]
    draw = make_lp([3, 1], [[1, 1]], [-np.inf], [3], col_upper=[4, 4], col_lower=[0, 1])
    result = sifting.solve(draw)
    assert result is not None
    np.testing.assert_allclose(result.x, [2, 1], atol=1e-9)
    assert_certified(draw, result)


def test_a_column_whose_bounds_exclude_zero_is_not_held_at_zero() -> None:
    base = make_lp([3, 1], [[1, 1]], [-np.inf], [3], col_upper=[4, 4])
    draw = make_lp([3, 1], [[1, 1]], [-np.inf], [3], col_upper=[4, -1])  # x2 ≤ −1 with x2 ≥ 0: no solution
    assert sift_from(base).solve(draw) is None
    assert HighsSolver().solve(draw).status is not Status.OPTIMAL


def test_a_result_depends_on_its_lp_alone() -> None:
    rng = np.random.default_rng(5)
    n = 30
    A = rng.uniform(0, 1, (3, n)) * (rng.uniform(size=(3, n)) < 0.6)
    base = make_lp(list(rng.uniform(0, 1, n)), A.tolist(), [-np.inf] * 3, [3, 3, 3], col_upper=[1.0] * n)
    a = make_lp(list(rng.uniform(0, 1, n)), A.tolist(), [-np.inf] * 3, [2, 4, 3], col_upper=[1.0] * n)
    b = make_lp(list(rng.uniform(0, 1, n)), A.tolist(), [-np.inf] * 3, [4, 1, 2], col_upper=[1.0] * n)
    first = sift_from(base).solve(a)  # a fresh instance
    sifting = sift_from(base)
    sifting.solve(b)
    sifting.solve(a)
    sifting.solve(b)
    again = sifting.solve(a)  # after other LPs changed the same instance in place
    assert first is not None and again is not None
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.row_dual, again.row_dual)
    assert first.iterations == again.iterations


def test_a_base_optimum_without_columns() -> None:
    # the base's optimum is x = 0 with every row's slack basic: the working set is empty. A draw that needs
    # money in a cell must still be found infeasible in the restricted LP, and the columns priced in
    base = make_lp([1, 2], [[1, 0], [0, 1]], [-np.inf, -np.inf], [1, 1], col_upper=[1, 1], sense="min")
    sifting = sift_from(base)
    assert len(sifting.working) == 0
    needs_money = make_lp([1, 2], [[1, 0], [0, 1]], [0.5, -np.inf], [1, 1], col_upper=[1, 1], sense="min")
    assert sifting.solve(needs_money) is None
    assert HighsSolver().solve(needs_money).objective == pytest.approx(0.5)
    cheap = make_lp([-1, 2], [[1, 0], [0, 1]], [-np.inf, -np.inf], [1, 1], col_upper=[1, 1], sense="min")
    result = sifting.solve(cheap)
    assert result is not None and result.objective == pytest.approx(-1.0)
    assert_certified(cheap, result)
    # nothing prices in: the restricted LP has no column at all, and its objective is the offset alone
    offset = dataclasses.replace(base, offset=7.0)
    result = sifting.solve(offset)
    assert result is not None and result.objective == 7.0 == HighsSolver().solve(offset).objective
    assert_certified(offset, result)


def test_an_empty_restricted_lp_after_a_draw_with_prices() -> None:
    # min x1 + 2 x2, x1 + x2 <= 1: the base spends nothing, so the working set is empty. A draw that pays
    # for x1 prices the row (dual -1); the next draw spends nothing again and its row dual must be 0, not
    # the previous draw's
    base = make_lp([1, 2], [[1, 1]], [-np.inf], [1], col_upper=[5, 5], sense="min")
    sifting = sift_from(base)
    assert len(sifting.working) == 0
    paid = make_lp([-1, 2], [[1, 1]], [-np.inf], [1], col_upper=[5, 5], sense="min")
    first = sifting.solve(paid)
    assert first is not None and first.objective == pytest.approx(-1.0)
    assert first.row_dual[0] == pytest.approx(-1.0)
    again = sifting.solve(base)
    assert again is not None and again.objective == 0.0 and again.row_dual.tolist() == [0.0]
    assert_certified(base, again)


def test_another_matrix_or_sense_is_loaded_afresh() -> None:
    base = make_lp([3, 2, 1], [[1, 1, 1]], [-np.inf], [3], col_upper=[2, 2, 2])
    sifting = sift_from(base)
    other_matrix = make_lp([3, 2, 1], [[1, 2, 1]], [-np.inf], [3], col_upper=[2, 2, 2])
    minimise = make_lp([3, 2, 1], [[1, 1, 1]], [1], [3], col_upper=[2, 2, 2], sense="min")
    for lp, optimum in ((other_matrix, 7.0), (minimise, 1.0), (base, 8.0)):
        result = sifting.solve(lp)
        assert result is not None and result.objective == pytest.approx(optimum)
        assert_certified(lp, result)


def test_same_matrix_compares_the_matrix_only() -> None:
    lp = make_lp([1, 2], [[1, 0], [0, 1]], [0, 0], [1, 1])
    assert lp.same_matrix(lp) and lp.same_matrix(make_lp([5, 6], [[1, 0], [0, 1]], [-1, 2], [3, 4]))
    assert not lp.same_matrix(make_lp([1, 2], [[1, 0], [0, 2]], [0, 0], [1, 1]))  # another entry
    assert not lp.same_matrix(make_lp([1, 2], [[1, 1], [0, 1]], [0, 0], [1, 1]))  # another pattern
    assert not lp.same_matrix(make_lp([1, 2, 3], [[1, 0, 0], [0, 1, 0]], [0, 0], [1, 1]))  # another shape


def test_columns_added_to_and_dropped_from_a_loaded_lp() -> None:
    lp = make_lp([3, 1], [[1, 1]], [-np.inf], [3], col_upper=[2, 4])
    solver = HighsSolver()
    assert solver.solve(lp).objective == pytest.approx(7.0)  # 3·2 + 1·1
    solver.add_columns(np.array([2.0]), np.array([0.0]), np.array([5.0]), sp.csc_matrix([[1.0]]))
    grown = solver.solve()
    assert grown.objective == pytest.approx(8.0) and grown.x.tolist() == pytest.approx([2, 0, 1])  # 3·2 + 2·1
    with pytest.raises(SolverError, match="columns were added"):
        solver.ranging()
    solver.drop_added_columns()
    again = solver.solve()
    assert again.objective == pytest.approx(7.0) and len(again.x) == 2
    assert "row_bound_up" in solver.ranging()


def test_refuses_what_it_cannot_sift() -> None:
    lp = make_lp([1, 1], [[1, 1]], [1], [1], col_upper=[0.4, 0.4])  # infeasible
    with pytest.raises(ValueError, match="optimal solve"):
        Sifting(lp, HighsSolver().solve(lp))
    good = make_lp([1, 1], [[1, 1]], [0], [1])
    with pytest.raises(ValueError, match="base's shape"):
        sift_from(good).solve(make_lp([1, 1, 1], [[1, 1, 1]], [0], [1]))


# ---- random wide LPs -----------------------------------------------------------------------------------
def random_family(rng: np.random.Generator, m: int, n: int, density: float, sense: str,
                  k: int) -> list[LinearProgram]:
    """A base and ``k`` draws of one wide LP, feasible by construction: each has its own point ``x0`` within
    the column bounds (some lower bounds above 0), budgets above ``A x0``, floors below it, and one
    equality row through it when ``m`` > 1; costs differ in every LP."""
    A = rng.uniform(0.1, 2.0, (m, n)) * (rng.uniform(size=(m, n)) < density)
    upper = rng.uniform(0.5, 3.0, n)
    lower = np.where(rng.uniform(size=n) < 0.1, upper * rng.uniform(0.05, 0.3, n), 0.0)
    out = []
    for _ in range(k + 1):
        x0 = lower + (upper - lower) * rng.uniform(0.0, 0.6, n) * (rng.uniform(size=n) < 0.5)
        at = A @ x0
        budget = at + (A @ upper - at) * rng.uniform(0.0, 0.7, m)
        floor = np.where(rng.uniform(size=m) < 0.3, at * rng.uniform(0.0, 1.0, m), -np.inf)
        if m > 1:
            floor[-1] = budget[-1] = at[-1]
        out.append(make_lp(list(rng.uniform(-0.5, 2.0, n)), A.tolist(), list(floor), list(budget),
                           col_upper=list(upper), col_lower=list(lower), sense=sense))
    return out


@st.composite
def wide_lps(draw: st.DrawFn) -> list[LinearProgram]:
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return random_family(rng, draw(st.integers(1, 6)), draw(st.integers(5, 80)),
                         draw(st.sampled_from([0.3, 0.7, 1.0])), draw(st.sampled_from(["max", "min"])), 3)


def sift_family(family: list[LinearProgram]) -> list[SolveResult | None]:
    """One Sifting of the base (batch 2: several rounds) solving every draw in turn, in place; each result
    equal to a full solve and certified."""
    base, *draws = family
    sifting = sift_from(base, batch=2)
    results = []
    for draw in draws:
        full = HighsSolver().solve(draw)
        assert full.status is Status.OPTIMAL  # feasible by construction, bounded by the column bounds
        result = sifting.solve(draw)
        if result is not None:  # None: the restricted LP was infeasible, a column left out was needed
            assert result.objective == pytest.approx(full.objective, rel=1e-7, abs=1e-7)
            assert_certified(draw, result)
        results.append(result)
    return results


@given(wide_lps())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_wide_lps_agree_with_a_full_solve(family: list[LinearProgram]) -> None:
    sift_family(family)


def test_sifting_decides_most_random_draws() -> None:
    """Over 60 seeded families (180 draws), most draws are sifted, not left to a full solve, and many need
    several rounds: the agreement above is not carried by the fallback."""
    rng = np.random.default_rng(2008)
    results = [r for _ in range(60) for r in sift_family(random_family(
        rng, int(rng.integers(1, 7)), int(rng.integers(5, 81)), float(rng.choice([0.3, 0.7, 1.0])),
        str(rng.choice(["max", "min"])), 3))]
    decided = [r for r in results if r is not None]
    assert len(decided) >= 0.7 * len(results)
    assert sum(r.info["sifting_rounds"] >= 3 for r in decided) >= 0.2 * len(decided)


# ---- the re-optimiser sifts every draw of the reference ------------------------------------------------
def test_reference_draws_are_sifted_to_certified_optima() -> None:
    sc = fs.load_scenario(ROOT / "scenarios" / "gam-2008-uncertain.yaml")
    reopt = Reoptimiser(sc)
    assert reopt.sifting is not None and len(reopt.sifting.working) < reopt.lp.num_col / 3
    values = parameter_values(sc.uncertainty, unit_design("random", 8, len(sc.uncertainty.sources), 11))
    numbers = drawn_numbers(sc, values)
    for d in range(8):
        draw_lp = fs.assemble(scenario_of_draw(sc, numbers, d))
        result = reopt._solve(draw_lp)
        assert result.info["sifting_rounds"] >= 1, "the draw was not sifted"
        assert result.objective == pytest.approx(HighsSolver().solve(draw_lp).objective, rel=1e-9)
        assert_certified(draw_lp, result)
