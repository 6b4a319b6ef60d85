"""Monte Carlo: designs, the seed contract, the copula, distributions, drawn numbers, re-optimisation per
draw, the ``uncertainty:`` section's error messages and ``fs.simulate``'s own checks.

Statistical tests use fixed seeds and bounds of four standard errors, so they are deterministic and far
from flaky; draw counts are small except where a statistic needs more.
"""

from __future__ import annotations

import copy
import itertools
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from scipy import stats

import fundsim as fs
from fundsim.model import Distribution, Scenario, UncertainParameter, Uncertainty
from fundsim.model.uncertainty import KINDS
from fundsim.montecarlo import (
    DESIGNS,
    MODES,
    Evaluation,
    Sampling,
    drawn_numbers,
    parameter_values,
    run_chunk,
    scenario_of_draw,
    unit_design,
)
from fundsim.results import allocation_dataset
from fundsim.testing import assert_allocation_feasible

from helpers import line_of

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
UNCERTAIN = ROOT / "scenarios" / "tutorial-uncertain.yaml"
CUBE = ("instrument", "priority", "region", "year")
TIMING = ("wall_seconds", "created", "chunk_size", "executor", "workers", "draws_computed")  # differ in equal runs
EPS = 1e-12  # the design keeps uniforms in [EPS, 1 - EPS]


# ---- helpers -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def uncertain() -> Scenario:
    return fs.load_scenario(UNCERTAIN)


def tutorial_data() -> dict[str, Any]:
    return yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))


def with_uncertainty(parameters: list[dict[str, Any]], *, factors: list[dict[str, Any]] | None = None,
                     correlation: dict[str, Any] | None = None, **changes: Any) -> Scenario:
    """The tutorial with an ``uncertainty:`` section (and top-level sections replaced by ``changes``)."""
    data = tutorial_data()
    data.update(copy.deepcopy(changes))
    section: dict[str, Any] = {"parameters": parameters}
    if factors is not None:
        section["factors"] = factors
    if correlation is not None:
        section["correlation"] = correlation
    data["uncertainty"] = section
    return fs.scenario_from_dict(data)


def param(pid: str, path: str, kind: str = "uniform", mode: str = "multiplicative", factor: str | None = None,
          **dist: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": pid, "path": path, "mode": mode,
                           "distribution": {"kind": kind, **(dist or {"low": 0.5, "high": 1.5})}}
    if factor is not None:
        out["factor"] = factor
    return out


def values_of(sc: Scenario, draws: int, seed: int, design: str = "random") -> np.ndarray:
    """The drawn parameter values (draw × parameter) of a run, computed the way ``run_chunk`` does."""
    unc = sc.uncertainty
    assert unc is not None
    return parameter_values(unc, unit_design(design, draws, len(unc.sources), seed))


def numbers_only(run: xr.Dataset) -> xr.Dataset:
    """A run without the attrs that record when and how fast it ran."""
    out = run.copy()
    out.attrs = {k: v for k, v in run.attrs.items() if k not in TIMING}
    return out


def column(sc: Scenario, values: np.ndarray, pid: str) -> np.ndarray:
    assert sc.uncertainty is not None
    return values[:, [p.id for p in sc.uncertainty.parameters].index(pid)]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.spearmanr(a, b).statistic)


# ---- 1. the seed contract ----------------------------------------------------------------------------
@pytest.mark.parametrize("design", DESIGNS)
def test_numbers_do_not_depend_on_the_chunking(uncertain: Scenario, design: str) -> None:
    n = 15
    runs = [fs.simulate(uncertain, draws=n, seed=11, design=design, evaluation=Evaluation(chunk_size=c)) for c in (1, 7,
                        n)]
    reference = numbers_only(runs[0])
    assert {"objective", "parameter_value", "eu_by_pillar", "eu_by_group", "eu_by_instrument", "eu_by_year", "cofin",
            "shadow_price_envelope", "shadow_price_absorption"} <= set(reference.data_vars)
    np.testing.assert_array_equal(reference["draw"].values, np.arange(n))
    for run in runs[1:]:
        xr.testing.assert_identical(numbers_only(run), reference)


@pytest.mark.parametrize("design", DESIGNS)
def test_a_chunk_run_alone_gives_the_same_draws(uncertain: Scenario, design: str) -> None:
    """A chunk computed on its own (a fresh worker, as on a cluster node) gives the run's draws."""
    n, seed = 12, 5
    run = fs.simulate(uncertain, draws=n, seed=seed, design=design, evaluation=Evaluation(chunk_size=n))
    part = run_chunk(uncertain, Sampling(n, seed, design), 4, 9)
    np.testing.assert_array_equal(part["draw"].values, np.arange(4, 9))
    np.testing.assert_allclose(part["objective"].values, run["objective"].values[4:9], rtol=1e-9)
    np.testing.assert_allclose(part["eu_by_pillar"].values.sum(axis=1),
                               run["eu_by_pillar"].values[4:9].sum(axis=1), rtol=1e-9)


def test_random_design_row_k_is_the_kth_spawned_stream() -> None:
    n, dim, seed = 9, 4, 2024
    full = unit_design("random", n, dim, seed)
    children = np.random.SeedSequence(seed).spawn(n)
    assert full.shape == (n, dim)
    for k in range(n):
        words = children[k].generate_state(dim, np.uint64)
        expected = np.clip((words >> np.uint64(11)).astype(float) * 2.0**-53, EPS, 1 - EPS)
        np.testing.assert_array_equal(full[k], expected)
        # the documented form of the same stream
        same = np.random.SeedSequence(seed, spawn_key=(k,)).generate_state(dim, np.uint64)
        np.testing.assert_array_equal(same, words)


@pytest.mark.parametrize("seed", [0, 1, 2**32 + 5, 2**140 + 17])
def test_vectorised_seed_sequence_equals_numpy(seed: int) -> None:
    from fundsim.montecarlo.seeds import spawned_states

    keys = np.array([0, 1, 2, 77, 65_535, 2**31, 2**32 - 1])
    ours = spawned_states(seed, keys, 6)
    for row, k in zip(ours, keys, strict=True):
        numpy_words = np.random.SeedSequence(seed, spawn_key=(int(k),)).generate_state(6, np.uint64)
        np.testing.assert_array_equal(row, numpy_words)
    with pytest.raises(ValueError, match="draw numbers must lie in"):
        spawned_states(seed, np.array([2**32]), 1)


def test_random_design_is_uniform_and_independent() -> None:
    """The uniforms pass a Kolmogorov–Smirnov test per column, and neither columns nor consecutive
    draws are correlated beyond sampling error."""
    from scipy import stats

    u = unit_design("random", 20_000, 3, 11)
    for j in range(3):
        assert stats.kstest(u[:, j], "uniform").pvalue > 1e-3
    bound = 5 / np.sqrt(len(u))
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < bound
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < bound


def test_random_design_does_not_depend_on_the_number_of_draws(uncertain: Scenario) -> None:
    np.testing.assert_array_equal(unit_design("random", 5, 3, 8), unit_design("random", 40, 3, 8)[:5])
    short = fs.simulate(uncertain, draws=4, seed=8, evaluation=Evaluation(chunk_size=4))
    long = fs.simulate(uncertain, draws=10, seed=8, evaluation=Evaluation(chunk_size=3))
    np.testing.assert_array_equal(short["objective"].values, long["objective"].values[:4])


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize(("start", "stop"), [(0, 3), (3, 7), (7, 11), (0, 11), (5, 5)])
def test_design_rows_are_slices_of_the_whole_design(design: str, start: int, stop: int) -> None:
    full = unit_design(design, 11, 3, 99)
    part = unit_design(design, 11, 3, 99, start, stop)
    assert part.shape == (stop - start, 3)
    np.testing.assert_array_equal(part, full[start:stop])


@pytest.mark.parametrize(("start", "stop"), [(-1, 3), (4, 2), (0, 12)])
def test_design_rows_outside_the_run_are_refused(start: int, stop: int) -> None:
    with pytest.raises(ValueError, match="outside 0:11"):
        unit_design("random", 11, 2, 0, start, stop)


@pytest.mark.parametrize("design", DESIGNS)
def test_different_seeds_give_different_draws(uncertain: Scenario, design: str) -> None:
    a, b = unit_design(design, 16, 3, 1), unit_design(design, 16, 3, 2)
    assert not np.isin(a, b).any(), "two seeds share a uniform"
    run_a = fs.simulate(uncertain, draws=8, seed=1, design=design, evaluation=Evaluation(chunk_size=8))
    run_b = fs.simulate(uncertain, draws=8, seed=2, design=design, evaluation=Evaluation(chunk_size=8))
    assert not np.array_equal(run_a["objective"].values, run_b["objective"].values)


def test_a_run_holds_its_drawn_parameter_values(uncertain: Scenario) -> None:
    run = fs.simulate(uncertain, draws=6, seed=4, evaluation=Evaluation(chunk_size=4))
    assert run["parameter_value"].dims == ("draw", "parameter")
    assert uncertain.uncertainty is not None
    assert list(run["parameter"].values) == [p.id for p in uncertain.uncertainty.parameters]
    assert run["parameter_path"].values[0] == "instruments.tpma.envelope"
    np.testing.assert_array_equal(run["parameter_value"].values, values_of(uncertain, 6, 4))


# ---- 2. re-optimised draws equal cold solves ---------------------------------------------------------
@pytest.mark.parametrize("design", ["random", "sobol"])
def test_reoptimised_draws_equal_cold_solves(uncertain: Scenario, design: str) -> None:
    n, seed = 12, 21
    run = fs.simulate(uncertain, draws=n, seed=seed, design=design,
                      evaluation=Evaluation(keep_allocations=True, chunk_size=5))
    values = values_of(uncertain, n, seed, design)
    np.testing.assert_array_equal(run["parameter_value"].values, values)
    numbers = drawn_numbers(uncertain, values)
    assert set(run["status"].values) == {"optimal"}
    assert len(np.unique(np.round(run["objective"].values, 9))) > 3, "the draws hardly change the optimum"
    for d in range(n):
        sc = scenario_of_draw(uncertain, numbers, d)
        cold = fs.solve(sc)
        assert run["objective"].values[d] == pytest.approx(cold.objective, rel=1e-9, abs=1e-9), f"draw {d}"
        eu = run["eu"].isel(draw=d).transpose(*CUBE)
        assert_allocation_feasible(sc, allocation_dataset(sc, eu.values))
        # the summaries are the cube's sums
        np.testing.assert_allclose(eu.sum(("priority", "region", "year")).values,
                                   run["eu_by_instrument"].values[d], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(eu.sum(("instrument", "priority", "region")).values,
                                   run["eu_by_year"].values[d], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(eu.sum(("instrument", "priority", "year")).values,
                                   run["eu_by_region"].values[d], rtol=1e-9, atol=1e-9)
        cofin = float((eu.values * sc.match_ratio[..., None]).sum())
        assert run["cofin"].values[d] == pytest.approx(cofin, rel=1e-9, abs=1e-9)
    assert fs.solve(uncertain).objective == pytest.approx(130.0)  # the base scenario is untouched


def test_scenario_of_draw_is_a_copy(uncertain: Scenario) -> None:
    numbers = drawn_numbers(uncertain, np.array([[0.5, 0.5, 0.6, 1.2]]))
    before = np.stack([i.usable for i in uncertain.instruments]).copy()
    drawn = scenario_of_draw(uncertain, numbers, 0)
    np.testing.assert_array_equal(np.stack([i.usable for i in uncertain.instruments]), before)
    np.testing.assert_allclose(drawn.instruments[0].usable, 0.5 * before[0])
    np.testing.assert_allclose(drawn.absorption.capacity[0], [15.0, 15.0])
    assert drawn.objective.impact is not None
    assert drawn.objective.impact.weights[2, 0] == pytest.approx(3.6)


# ---- 3. a closed-form case ---------------------------------------------------------------------------
SIGMA = 0.2


def one_cell() -> Scenario:
    """One instrument, region, priority and year: objective = 2 · usable = 20 · m, m ~ lognormal(1, σ)."""
    return fs.scenario_from_dict({
        "name": "one-cell", "years": [2009],
        "pillars": [{"id": "p"}], "regions": [{"id": "r", "group": "g"}],
        "priorities": [{"id": "q", "pillar": "p"}],
        "instruments": [{"id": "x", "envelope": 10}],
        "objective": {"impact": {"basis": "eu", "weights": {"default": 2.0}}},
        "uncertainty": {"parameters": [param("m", "instruments.x.envelope", "lognormal", median=1.0, sigma=SIGMA)]},
    })


@pytest.mark.parametrize("design", ["random", "lhs"])
def test_closed_form_lognormal_envelope(design: str) -> None:
    sc, n = one_cell(), 2000
    assert fs.solve(sc).objective == pytest.approx(20.0)
    run = fs.simulate(sc, draws=n, seed=17, design=design, evaluation=Evaluation(chunk_size=500))
    obj = run["objective"].values
    np.testing.assert_allclose(obj, 20 * values_of(sc, n, 17, design)[:, 0], rtol=1e-9)
    mean = 20 * np.exp(SIGMA**2 / 2)
    se = obj.std(ddof=1) / np.sqrt(n)
    assert abs(obj.mean() - mean) < 4 * se, (obj.mean(), mean, se)
    for q in (0.1, 0.5, 0.9):
        exact = 20 * np.exp(SIGMA * stats.norm.ppf(q))
        assert abs(np.mean(obj <= exact) - q) < 4 * np.sqrt(q * (1 - q) / n), q
    # the eu summaries are the same number: all money goes to the one cell
    np.testing.assert_allclose(run["eu_by_instrument"].values[:, 0], obj / 2, rtol=1e-9)
    # the envelope's shadow price is the impact weight in every draw
    np.testing.assert_allclose(run["shadow_price_envelope"].values.ravel(), 2.0, rtol=1e-9)


# ---- 4. infeasible draws are recorded, not raised ----------------------------------------------------
def test_infeasible_draws_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(f"extends: {UNCERTAIN}\nname: tight\nrules:\n  region_limits:\n"
                    "    - {region: north_africa, min: 45}\n", encoding="utf-8")
    sc = fs.load_scenario(path)
    n, seed = 60, 3
    run = fs.simulate(sc, draws=n, seed=seed, evaluation=Evaluation(chunk_size=16))
    status = run["status"].values
    infeasible, optimal = status == "infeasible", status == "optimal"
    assert infeasible.any() and optimal.any(), set(status)
    assert (infeasible | optimal).all(), set(status)
    assert np.isnan(run["objective"].values[infeasible]).all()
    assert np.isfinite(run["objective"].values[optimal]).all()
    assert np.isnan(run["eu_by_pillar"].values[infeasible]).all()
    for text in run["diagnosis"].values[infeasible]:
        assert "north_africa" in text and "45" in text, text
        assert text.startswith("repair: lower the minimum for the region 'north_africa' from EUR 45.0 m"), text
    assert all(text == "" for text in run["diagnosis"].values[optimal])
    # infeasible only where North Africa cannot absorb 45 over the two years (25 · m · 2 < 45)
    values = values_of(sc, n, seed)
    assert (column(sc, values, "north_africa_absorption")[infeasible] < 0.9).all()
    # and the warm re-solves after an infeasible draw are still right
    numbers = drawn_numbers(sc, values)
    for d in range(n):
        drawn = scenario_of_draw(sc, numbers, d)
        if infeasible[d]:
            with pytest.raises(fs.InfeasibleError):
                fs.solve(drawn)
        else:
            assert run["objective"].values[d] == pytest.approx(fs.solve(drawn).objective, rel=1e-9)


def test_binding_frequency_counts_only_the_optimal_draws() -> None:
    """Four optimal draws and one infeasible one (no prices): a rule binding in two of the four binds in half
    of the optimal draws (not 2/5), and the infeasible fifth is reported beside it."""
    shadow = [[3.0, 0.0], [0.0, 0.0], [-1.0, 0.0], [0.0, 5.0], [np.nan, np.nan]]
    run = xr.Dataset({"status": ("draw", ["optimal", "optimal", "optimal", "optimal", "infeasible"]),
                      "shadow_price_cap": (("draw", "cap_id"), shadow, {"units": "objective per EUR m"})},
                     coords={"cap_id": ["c1", "c2"]})
    table = fs.montecarlo.binding_frequency(run)
    assert list(table["where"]) == ["c1", "c2"]
    assert list(table["binds_in"]) == [0.5, 0.25]
    assert list(table["mean_price_when_binding"]) == [1.0, 5.0]  # (3 - 1) / 2 and 5 / 1
    assert list(table["infeasible_share"]) == [0.2, 0.2]
    assert set(table["units"]) == {"objective per EUR m"}


def test_binding_frequency_of_a_run_with_no_optimal_draw_is_empty() -> None:
    run = xr.Dataset({"status": ("draw", ["infeasible", "time_limit"]),
                      "shadow_price_cap": (("draw", "cap_id"), [[np.nan], [np.nan]])}, coords={"cap_id": ["c1"]})
    table = fs.montecarlo.binding_frequency(run)
    assert table.empty and "infeasible_share" in table.columns


def test_binding_frequency_of_a_run_with_infeasible_draws(tmp_path: Path) -> None:
    """On the run above (a quarter of its draws infeasible), each share is recounted over the optimal draws."""
    path = tmp_path / "tight.yaml"
    path.write_text(f"extends: {UNCERTAIN}\nname: tight\nrules:\n  region_limits:\n"
                    "    - {region: north_africa, min: 45}\n", encoding="utf-8")
    run = fs.simulate(fs.load_scenario(path), draws=60, seed=3, evaluation=Evaluation(chunk_size=16))
    optimal = run["status"].values == "optimal"
    table = fs.montecarlo.binding_frequency(run)
    assert len(table) and set(table["infeasible_share"]) == {1 - optimal.mean()} and 0 < optimal.mean() < 1
    for rule, where, share in zip(table["rule"], table["where"], table["binds_in"], strict=True):
        da = run[f"shadow_price_{rule}"]
        labels = [", ".join(map(str, c)) for c in itertools.product(*(da[d].values for d in da.dims[1:]))]
        cell = da.values.reshape(da.sizes["draw"], -1)[:, labels.index(where)]
        assert share == np.count_nonzero(np.abs(cell[optimal]) > 1e-7) / np.count_nonzero(optimal)
    assert table["binds_in"].max() == 1.0  # the envelopes bind in every optimal draw


# ---- 5. designs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_every_column_has_one_point_per_stratum(design: str) -> None:
    n = 64  # a power of two, so that scrambled Sobol is balanced as well
    u = unit_design(design, n, 5, 12)
    for j in range(u.shape[1]):
        np.testing.assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))


def test_lhs_strata_for_any_number_of_draws() -> None:
    for n in (1, 7, 50):
        u = unit_design("lhs", n, 3, 5)
        for j in range(3):
            np.testing.assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))


@pytest.mark.parametrize("design", DESIGNS)
def test_designs_are_deterministic_and_strictly_inside_the_cube(design: str) -> None:
    for n, dim in ((1, 1), (10, 3), (256, 7)):
        u = unit_design(design, n, dim, 31)
        assert u.shape == (n, dim)
        assert (u > 0).all() and (u < 1).all()
        np.testing.assert_array_equal(u, unit_design(design, n, dim, 31))


def test_unknown_design_names_the_designs() -> None:
    with pytest.raises(ValueError, match="unknown design 'halton'") as info:
        unit_design("halton", 4, 2, 0)
    assert all(d in str(info.value) for d in DESIGNS)


# ---- 6. the copula -----------------------------------------------------------------------------------
@pytest.mark.parametrize("design", ["random", "lhs"])
def test_rank_correlation_with_the_crisis(uncertain: Scenario, design: str) -> None:
    values = values_of(uncertain, 4000, 2, design)
    absorption = column(uncertain, values, "north_africa_absorption")
    for pid in ("tpma_envelope", "member_state_match"):
        assert spearman(column(uncertain, values, pid), absorption) == pytest.approx(0.5, abs=0.05), pid
    # parameters sharing a factor are comonotone
    assert spearman(column(uncertain, values, "tpma_envelope"),
                    column(uncertain, values, "member_state_match")) == pytest.approx(1.0, abs=1e-12)
    assert abs(spearman(column(uncertain, values, "remittance_value"), absorption)) < 0.05
    # the copula leaves each marginal alone: PERT(0.6, 1, 1.1) still has its bounds and mean
    assert absorption.min() >= 0.6 and absorption.max() <= 1.1
    se = absorption.std() / np.sqrt(len(absorption))
    assert abs(absorption.mean() - (0.6 + 4 * 1.0 + 1.1) / 6) < 4 * se


@pytest.mark.parametrize("rho", [-0.6, 0.0, 0.3, 0.9])
def test_rank_correlation_is_the_one_asked_for(rho: float) -> None:
    sc = with_uncertainty([param("a", "instruments.tpma.envelope"),
                           param("b", "absorption.capacity", "lognormal", median=1.0, sigma=0.3)],
                          correlation={"between": ["a", "b"], "matrix": [[1, rho], [rho, 1]]})
    values = values_of(sc, 4000, 9)
    assert spearman(values[:, 0], values[:, 1]) == pytest.approx(rho, abs=0.05)


@pytest.mark.parametrize(("rho", "tolerance"), [(0.5, 0.006), (0.9, 0.002), (-0.6, 0.005)])
def test_the_copula_converts_rank_to_linear_correlation(rho: float, tolerance: float) -> None:
    """Precise enough to tell ρs from the Gaussian's Pearson ρ: using ρs as Pearson would give a rank
    correlation of (6/π)·asin(ρs/2), off by 0.017 at 0.5, 0.009 at 0.9 and 0.018 at -0.6."""
    d = Distribution("uniform", low=0.0, high=1.0)
    pair = (UncertainParameter("a", "absorption.capacity", d), UncertainParameter("b", "absorption.capacity", d))
    unc = Uncertainty(pair, (), np.array([[1.0, rho], [rho, 1.0]]))
    values = parameter_values(unc, unit_design("lhs", 50_000, 2, 3))
    assert spearman(values[:, 0], values[:, 1]) == pytest.approx(rho, abs=tolerance)
    assert (values > 0).all() and (values < 1).all()


def test_no_correlation_section_means_independent_sources() -> None:
    sc = with_uncertainty([param("a", "instruments.tpma.envelope"), param("b", "absorption.capacity")])
    assert sc.uncertainty is not None and sc.uncertainty.correlation is None
    values = values_of(sc, 4000, 1)
    assert abs(spearman(values[:, 0], values[:, 1])) < 0.05
    # uniform(0.5, 1.5) by the inverse CDF: the uniforms themselves, shifted
    np.testing.assert_allclose(values, 0.5 + unit_design("random", 4000, 2, 1))


def test_a_valid_rank_correlation_matrix_never_crashes_a_run() -> None:
    matrix = [[1, 0.5, 0.5], [0.5, 1, -0.5], [0.5, -0.5, 1]]  # PSD (determinant 0)
    parameters = [param("a", "instruments.tpma.envelope"), param("b", "instruments.enpi.envelope"),
                  param("c", "absorption.capacity")]
    try:
        sc = with_uncertainty(parameters, correlation={"between": ["a", "b", "c"], "matrix": matrix})
    except fs.ScenarioError:
        return  # refusing the matrix with a message is fine too
    run = fs.simulate(sc, draws=5, evaluation=Evaluation(chunk_size=5))
    assert set(run["status"].values) == {"optimal"}


# ---- 7. distributions --------------------------------------------------------------------------------
N_SAMPLE = 200_000


@pytest.fixture(scope="module")
def uniforms() -> np.ndarray:
    return np.clip(np.random.default_rng(12345).random(N_SAMPLE), EPS, 1 - EPS)


def close_mean(x: np.ndarray, expected: float) -> None:
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert abs(x.mean() - expected) < 4 * se + 1e-12, (x.mean(), expected, se)


def test_truncated_normal_stays_within_its_bounds(uniforms: np.ndarray) -> None:
    d = Distribution("normal", mean=1.0, sd=0.5, low=0.2, high=1.3)
    x = d.ppf(uniforms)
    assert x.min() >= 0.2 and x.max() <= 1.3
    close_mean(x, stats.truncnorm.mean((0.2 - 1) / 0.5, (1.3 - 1) / 0.5, loc=1.0, scale=0.5))
    one_sided = Distribution("normal", mean=0.0, sd=1.0, low=0.0).ppf(uniforms)
    assert one_sided.min() >= 0.0
    close_mean(one_sided, np.sqrt(2 / np.pi))  # the half-normal's mean
    plain = Distribution("normal", mean=3.0, sd=2.0).ppf(uniforms)
    close_mean(plain, 3.0)
    assert plain.std() == pytest.approx(2.0, rel=0.01)


def test_pert_mean(uniforms: np.ndarray) -> None:
    a, m, b = 0.6, 1.0, 1.1
    x = Distribution("pert", low=a, mode=m, high=b).ppf(uniforms)
    assert x.min() >= a and x.max() <= b
    close_mean(x, (a + 4 * m + b) / 6)


def test_triangular_bounds_and_mean(uniforms: np.ndarray) -> None:
    a, m, b = 2.0, 3.0, 7.0
    x = Distribution("triangular", low=a, mode=m, high=b).ppf(uniforms)
    assert x.min() >= a and x.max() <= b
    close_mean(x, (a + m + b) / 3)
    # the density peaks at the mode: P(x ≤ mode) = (m - a) / (b - a)
    assert np.mean(x <= m) == pytest.approx((m - a) / (b - a), abs=4 * np.sqrt(0.25 / N_SAMPLE))


def test_discrete_frequencies(uniforms: np.ndarray) -> None:
    values, probs = (0.8, 1.0, 1.2, 2.0), (0.25, 0.5, 0.15, 0.1)
    x = Distribution("discrete", values=values, probabilities=probs).ppf(uniforms)
    assert set(np.unique(x)) == set(values)
    for v, p in zip(values, probs, strict=True):
        assert np.mean(x == v) == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / N_SAMPLE)), v


def test_lognormal_median(uniforms: np.ndarray) -> None:
    x = Distribution("lognormal", median=3.0, sigma=0.4).ppf(uniforms)
    assert (x > 0).all()
    assert np.mean(x <= 3.0) == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / N_SAMPLE))
    assert np.log(x).std() == pytest.approx(0.4, rel=0.01)


def test_uniform_bounds_and_mean(uniforms: np.ndarray) -> None:
    x = Distribution("uniform", low=-1.0, high=3.0).ppf(uniforms)
    assert x.min() >= -1.0 and x.max() <= 3.0
    close_mean(x, 1.0)


DISTRIBUTIONS = [
    Distribution("normal", mean=1.0, sd=0.3),
    Distribution("normal", mean=1.0, sd=0.5, low=0.2, high=1.3),
    Distribution("lognormal", median=1.0, sigma=0.5),
    Distribution("uniform", low=0.05, high=1.0),
    Distribution("triangular", low=0.0, mode=0.1, high=1.0),
    Distribution("pert", low=0.6, mode=1.0, high=1.1),
    Distribution("discrete", values=(0.8, 1.0, 1.2), probabilities=(0.25, 0.5, 0.25)),
]


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: d.kind)
def test_mean_value_agrees_with_large_sample_means(dist: Distribution, uniforms: np.ndarray) -> None:
    close_mean(dist.ppf(uniforms), dist.mean_value())


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: d.kind)
def test_ppf_is_monotone(dist: Distribution) -> None:
    """Comonotone parameters of one factor and the copula's ranks rely on non-decreasing inverse CDFs."""
    x = dist.ppf(np.linspace(EPS, 1 - EPS, 2001))
    assert np.isfinite(x).all()
    assert (np.diff(x) >= 0).all()


def test_unknown_kind_names_the_kinds() -> None:
    with pytest.raises(ValueError, match="unknown distribution 'gamma'") as info:
        Distribution("gamma").ppf(np.array([0.5]))
    assert all(k in str(info.value) for k in KINDS)


# ---- 8. drawn numbers --------------------------------------------------------------------------------
NA, EP = 0, 1  # region order of the tutorial
MOBILITY, RETURN, REMITTANCES = 0, 1, 2


def half_usable_enpi() -> list[dict[str, Any]]:
    data = tutorial_data()["instruments"]
    data[1]["usable_share"] = 0.5  # enpi: envelope 20 a year, 10 usable
    return data


@pytest.mark.parametrize(("mode", "value", "expected"), [("multiplicative", 2.0, 20.0), ("absolute", 30.0, 15.0)])
def test_envelope_modes(mode: str, value: float, expected: float) -> None:
    sc = with_uncertainty([param("e", "instruments.enpi.envelope", mode=mode)], instruments=half_usable_enpi())
    np.testing.assert_allclose(sc.instruments[1].usable, [10.0, 10.0])
    numbers = drawn_numbers(sc, np.array([[value], [1.0 if mode == "multiplicative" else 20.0]]))
    assert numbers.n == 2 and numbers.usable.shape == (2, 2, 2)
    np.testing.assert_allclose(numbers.usable[0, 1], [expected, expected])  # absolute keeps the usable share
    np.testing.assert_allclose(numbers.usable[1, 1], [10.0, 10.0])  # the scenario's own value again
    np.testing.assert_allclose(numbers.usable[:, 0], 10.0)  # tpma untouched
    drawn = scenario_of_draw(sc, numbers, 0)
    np.testing.assert_allclose(drawn.instruments[1].usable, [expected, expected])
    np.testing.assert_allclose(drawn.instruments[1].envelope, [20.0, 20.0])


@pytest.mark.parametrize(("mode", "value", "expected"), [("multiplicative", 0.3, 30.0), ("absolute", 42.0, 42.0)])
def test_global_match_capacity(mode: str, value: float, expected: float) -> None:
    sc = with_uncertainty([param("c", "match_sources.member_states.capacity", mode=mode)])
    numbers = drawn_numbers(sc, np.array([[value]]))
    assert numbers.match[0].shape == (1, 2)
    np.testing.assert_allclose(numbers.match[0][0], [expected, expected])


def test_per_region_match_capacity() -> None:
    instruments = tutorial_data()["instruments"]
    instruments[1]["cofinancing"] = {"max_eu_share": 0.9, "match_source": "partners"}
    sources = [*tutorial_data()["match_sources"],
               {"id": "partners", "per_region": True, "capacity": {"north_africa": 4, "eastern_partnership": 6}}]
    for mode, value, expected in (("multiplicative", 0.5, [2.0, 3.0]), ("absolute", 5.0, [5.0, 5.0])):
        sc = with_uncertainty([param("p", "match_sources.partners.capacity", mode=mode)],
                              instruments=instruments, match_sources=sources)
        numbers = drawn_numbers(sc, np.array([[value]]))
        assert numbers.match[1].shape == (1, 2, 2)  # (draw, region, year)
        np.testing.assert_allclose(numbers.match[1][0], np.array(expected)[:, None] * np.ones(2))
        np.testing.assert_allclose(numbers.match[0][0], [100.0, 100.0])  # the other source untouched


def test_absorption_for_one_region_or_all() -> None:
    one = with_uncertainty([param("a", "absorption.capacity.north_africa")])
    every = with_uncertainty([param("a", "absorption.capacity")])
    set_all = with_uncertainty([param("a", "absorption.capacity", mode="absolute")])
    np.testing.assert_allclose(drawn_numbers(one, np.array([[0.8]])).absorption[0], [[20, 20], [np.inf, np.inf]])
    np.testing.assert_allclose(drawn_numbers(every, np.array([[0.8]])).absorption[0], [[20, 20], [np.inf, np.inf]])
    np.testing.assert_allclose(drawn_numbers(set_all, np.array([[30.0]])).absorption[0], [[30, 30], [30, 30]])
    ep_only = with_uncertainty([param("a", "absorption.capacity.eastern_partnership", mode="absolute")])
    np.testing.assert_allclose(drawn_numbers(ep_only, np.array([[7.0]])).absorption[0], [[25, 25], [7, 7]])


def test_impact_weights_for_all_a_priority_or_a_cell() -> None:
    base = fs.load_scenario(TUTORIAL).objective.impact
    assert base is not None
    w = np.asarray(base.weights)
    cases = {
        "objective.impact.weights": 2 * w,
        "objective.impact.weights.remittances": w * np.array([[1], [1], [2]]),
        "objective.impact.weights.remittances.north_africa": w * np.array([[1, 1], [1, 1], [2, 1]]),
        "objective.impact.weights.mobility.eastern_partnership": w * np.array([[1, 2], [1, 1], [1, 1]]),
    }
    for path, expected in cases.items():
        sc = with_uncertainty([param("w", path)])
        weights = drawn_numbers(sc, np.array([[2.0], [1.0]])).weights
        assert weights is not None and weights.shape == (2, 3, 2)
        np.testing.assert_allclose(weights[0], expected, err_msg=path)
        np.testing.assert_allclose(weights[1], w, err_msg=path)
    cell = with_uncertainty([param("w", "objective.impact.weights.return.north_africa", mode="absolute")])
    weights = drawn_numbers(cell, np.array([[0.25]])).weights
    assert weights is not None
    np.testing.assert_allclose(weights[0], np.where(np.arange(6).reshape(3, 2) == 2, 0.25, w))


def test_parameters_apply_in_order() -> None:
    set_then_scale = with_uncertainty([param("set", "absorption.capacity.north_africa", mode="absolute"),
                                       param("scale", "absorption.capacity")])
    scale_then_set = with_uncertainty([param("scale", "absorption.capacity"),
                                       param("set", "absorption.capacity.north_africa", mode="absolute")])
    a = drawn_numbers(set_then_scale, np.array([[30.0, 0.5]])).absorption[0]
    b = drawn_numbers(scale_then_set, np.array([[0.5, 30.0]])).absorption[0]
    np.testing.assert_allclose(a, [[15, 15], [np.inf, np.inf]])
    np.testing.assert_allclose(b, [[30, 30], [np.inf, np.inf]])
    twice = with_uncertainty([param("x", "instruments.tpma.envelope"), param("y", "instruments.tpma.envelope")])
    np.testing.assert_allclose(drawn_numbers(twice, np.array([[2.0, 1.5]])).usable[0, 0], [30.0, 30.0])


def test_a_multiplier_of_zero_leaves_an_unlimited_capacity_unlimited() -> None:
    # the tutorial's eastern partnership has no absorption limit (inf); north africa 25 a year
    sc = with_uncertainty([param("scale", "absorption.capacity")])
    with np.errstate(invalid="raise"):  # inf × 0 would be NaN: no capacity at all to the LP
        a = drawn_numbers(sc, np.array([[0.0]])).absorption[0]
    np.testing.assert_array_equal(a, [[0.0, 0.0], [np.inf, np.inf]])


def test_an_unlimited_shared_capacity_leaves_its_units_unlimited() -> None:
    from fundsim.montecarlo.stress import _unit_capacity

    raw = yaml.safe_load(Path(TUTORIAL).read_text())
    raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
    sc = fs.scenario_from_dict(raw)
    due = np.array([[[0.0, 10.0], [10.0, 10.0], [0.0, 0.0]]])  # (draw, unit, year): Morocco nothing in 2009
    stacked = np.array([[[np.inf, 8.0], [np.inf, np.inf], [np.inf, np.inf], [np.inf, 25.0]]])
    with np.errstate(invalid="raise"):  # Morocco's part of 2009's unlimited capacity: 0 × inf
        caps = _unit_capacity(sc, stacked, due)[0]
    np.testing.assert_array_equal(caps[:2], [[np.inf, 8.0], [np.inf, 12.5]])  # 2010: 25 split by what is due


def test_negative_draws_are_clipped_in_the_drawn_scenario() -> None:
    sc = with_uncertainty([param("n", "absorption.capacity.north_africa", "normal", mean=1.0, sd=1.0, low=0.0)])
    numbers = drawn_numbers(sc, np.array([[-0.5]]))  # validation refuses such a distribution; fed in by hand
    assert numbers.absorption[0, NA, 0] == pytest.approx(-12.5)
    np.testing.assert_array_equal(scenario_of_draw(sc, numbers, 0).absorption.capacity[NA], [0.0, 0.0])


def test_draws_that_change_the_lp_structure() -> None:
    sc = with_uncertainty([param("t", "instruments.tpma.envelope", "discrete", values=[0.0, 1.0],
                                 probabilities=[0.5, 0.5])])
    n, seed = 7, 3
    values = values_of(sc, n, seed)
    assert set(values[:, 0]) == {0.0, 1.0} and values[-1, 0] == 1.0  # both kinds of draw, money in the last
    runs = [fs.simulate(sc, draws=n, seed=seed, evaluation=Evaluation(chunk_size=c)) for c in (1, n)]
    xr.testing.assert_identical(numbers_only(runs[0]), numbers_only(runs[1]))
    numbers = drawn_numbers(sc, values)
    for d in range(n):
        cold = fs.solve(scenario_of_draw(sc, numbers, d)).objective
        assert runs[1]["objective"].values[d] == pytest.approx(cold, rel=1e-9)


# ---- 9. malformed uncertainty sections ---------------------------------------------------------------
BROKEN_BASE = f"""extends: {TUTORIAL}
name: broken
uncertainty:
  factors:
    - {{id: crisis}}
  parameters:
    - id: tpma_env
      path: instruments.tpma.envelope
      distribution: {{kind: lognormal, median: 1.0, sigma: 0.15}}
      factor: crisis
    - id: na_abs
      path: absorption.capacity.north_africa
      distribution: {{kind: pert, low: 0.6, mode: 1.0, high: 1.1}}
    - id: w
      path: objective.impact.weights.remittances
      distribution: {{kind: triangular, low: 0.5, mode: 1.0, high: 1.5}}
  correlation:
    between: [crisis, na_abs]
    matrix: [[1.0, 0.5], [0.5, 1.0]]
"""
SECTION = "uncertainty:"

# (id, text replaced, replacement, snippet of the line reported, field path, parts of the message)
ERROR_CASES = [
    ("unknown-instrument", "instruments.tpma.envelope", "instruments.tmpa.envelope", "instruments.tmpa.envelope",
     "uncertainty.parameters[0].path", ("unknown instrument 'tmpa'", "did you mean 'tpma'", "enpi, tpma")),
    ("unknown-region", "capacity.north_africa", "capacity.north_afrika", "capacity.north_afrika",
     "uncertainty.parameters[1].path", ("unknown region 'north_afrika'", "did you mean 'north_africa'")),
    ("unknown-priority", "weights.remittances", "weights.remitances", "weights.remitances",
     "uncertainty.parameters[2].path", ("unknown priority 'remitances'", "did you mean 'remittances'")),
    ("path-not-uncertain", "instruments.tpma.envelope", "instruments.tpma.eligibility", "tpma.eligibility",
     "uncertainty.parameters[0].path", ("cannot put uncertainty on 'instruments.tpma.eligibility'",
                                        "instruments.<id>.envelope", "match_sources.<id>.capacity",
                                        "absorption.capacity", "objective.impact.weights")),
    ("missing-parameter", "median: 1.0, sigma: 0.15", "median: 1.0", "kind: lognormal",
     "uncertainty.parameters[0].distribution", ("lognormal distribution needs median, sigma", "missing: sigma")),
    ("extra-parameter", "sigma: 0.15}", "sigma: 0.15, low: 0}", "kind: lognormal",
     "uncertainty.parameters[0].distribution", ("takes median, sigma", "not low")),
    ("low-not-below-high", "low: 0.6, mode: 1.0, high: 1.1", "low: 1.1, mode: 1.0, high: 0.6", "kind: pert",
     "uncertainty.parameters[1].distribution", ("low (1.1) must be below high (0.6)",)),
    ("mode-outside", "low: 0.5, mode: 1.0, high: 1.5", "low: 0.5, mode: 2.0, high: 1.5", "kind: triangular",
     "uncertainty.parameters[2].distribution", ("mode (2)", "between low (0.5) and high (1.5)")),
    ("probabilities-sum", "{kind: triangular, low: 0.5, mode: 1.0, high: 1.5}",
     "{kind: discrete, values: [0.5, 1.0], probabilities: [0.5, 0.4]}", "kind: discrete",
     "uncertainty.parameters[2].distribution", ("must sum to 1", "0.9")),
    ("one-probability-per-value", "{kind: triangular, low: 0.5, mode: 1.0, high: 1.5}",
     "{kind: discrete, values: [0.5, 1.0, 2.0], probabilities: [0.5, 0.5]}", "kind: discrete",
     "uncertainty.parameters[2].distribution", ("one probability per value", "3 values, 2 probabilities")),
    ("unknown-kind", "kind: lognormal", "kind: gamma", "kind: gamma",
     "uncertainty.parameters[0].distribution.kind", ("'gamma'", "lognormal", "pert", "discrete")),
    ("negative-sigma", "sigma: 0.15", "sigma: -0.15", "kind: lognormal",
     "uncertainty.parameters[0].distribution.sigma", ("> 0", "-0.15")),
    ("unknown-mode", "      factor: crisis\n", "      factor: crisis\n      mode: additive\n", "mode: additive",
     "uncertainty.parameters[0].mode", ("'additive'", "absolute", "multiplicative")),
    ("matrix-wrong-size", "[[1.0, 0.5], [0.5, 1.0]]", "[[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]",
     "correlation:", "uncertainty.correlation", ("must be 2×2", "got 3×3")),
    ("matrix-not-psd", "between: [crisis, na_abs]\n    matrix: [[1.0, 0.5], [0.5, 1.0]]",
     "between: [crisis, na_abs, w]\n    matrix: [[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]",
     "correlation:", "uncertainty.correlation", ("not positive semi-definite",)),
    ("matrix-not-symmetric", "[[1.0, 0.5], [0.5, 1.0]]", "[[1.0, 0.5], [0.2, 1.0]]", "correlation:",
     "uncertainty.correlation", ("symmetric", "ones on the diagonal")),
]
# cross-references between entries: each reported at the entry that is wrong
REFERENCE_CASES = [
    ("unknown-factor", "factor: crisis", "factor: crisys", ("unknown factor 'crisys'", "did you mean 'crisis'")),
    ("between-unknown", "between: [crisis, na_abs]", "between: [crisis, na_abz]",
     ("'na_abz'", "did you mean 'na_abs'", "crisis, na_abs, w", "parameters without a factor")),
    ("between-parameter-with-factor", "between: [crisis, na_abs]", "between: [tpma_env, na_abs]",
     ("'tpma_env'", "crisis, na_abs, w")),
    ("duplicate-parameter", "- id: w\n", "- id: na_abs\n", ("the id 'na_abs' is given twice",
                                                             "first at parameters[1]")),
    ("duplicate-factor", "- {id: crisis}", "- {id: crisis}\n    - {id: crisis}",
     ("the id 'crisis' is given twice", "first at factors[0]")),
]


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    assert BROKEN_BASE.count(old) == 1, old
    text = BROKEN_BASE.replace(old, new)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def only_problem(path: Path) -> fs.Problem:
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 1, str(info.value)
    assert "Traceback" not in str(info.value) and "Input should" not in str(info.value)
    return problems[0]


def test_broken_base_loads(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, "name: broken", "name: fine")
    sc = fs.load_scenario(path)
    assert sc.uncertainty is not None
    assert sc.uncertainty.sources == ("crisis", "na_abs", "w")


@pytest.mark.parametrize(("old", "new", "snippet", "field", "parts"), [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_malformed_uncertainty(tmp_path: Path, old: str, new: str, snippet: str, field: str,
                               parts: tuple[str, ...]) -> None:
    path, text = broken(tmp_path, old, new)
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.path) == (str(path), line_of(text, snippet), field), str(problem)
    for part in parts:
        assert part in problem.message, f"{part!r} not in {problem.message!r}"


@pytest.mark.parametrize(("old", "new", "parts"), [c[1:] for c in REFERENCE_CASES],
                         ids=[c[0] for c in REFERENCE_CASES])
def test_malformed_uncertainty_references(tmp_path: Path, old: str, new: str, parts: tuple[str, ...]) -> None:
    path, text = broken(tmp_path, old, new)
    problem = only_problem(path)
    assert problem.file == str(path)
    assert problem.path.startswith("uncertainty"), str(problem)
    assert problem.line is not None and line_of(text, SECTION) <= problem.line, str(problem)
    for part in parts:
        assert part in problem.message, f"{part!r} not in {problem.message!r}"


def test_every_problem_of_the_section_is_reported_at_once(tmp_path: Path) -> None:
    text = (BROKEN_BASE.replace("instruments.tpma.envelope", "instruments.tmpa.envelope")
            .replace("low: 0.6, mode: 1.0, high: 1.1", "low: 0.6, mode: 1.2, high: 1.1"))
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    paths = sorted(p.path for p in info.value.problems)
    assert paths == ["uncertainty.parameters[0].path", "uncertainty.parameters[1].distribution"], paths
    err = pickle.loads(pickle.dumps(info.value))  # survives a trip to a worker process and back
    assert isinstance(err, ValueError) and err.problems == info.value.problems


def test_an_empty_parameter_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(f"extends: {TUTORIAL}\nuncertainty:\n  parameters: []\n", encoding="utf-8")
    problem = only_problem(path)
    assert problem.path == "uncertainty.parameters" and problem.line == 3, str(problem)


def test_an_unknown_factor_points_at_its_line(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "factor: crisis", "factor: crisys")
    problem = only_problem(path)
    assert (problem.path, problem.line) == ("uncertainty.parameters[0].factor", line_of(text, "factor: crisys"))


def test_the_between_message_reads_well(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, "between: [crisis, na_abs]", "between: [crisis, na_abz]")
    assert ")s are" not in only_problem(path).message


def test_a_source_named_twice_in_between_is_refused(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, "between: [crisis, na_abs]", "between: [na_abs, na_abs]")
    problem = only_problem(path)
    assert problem.path.startswith("uncertainty") and "na_abs" in problem.message


def test_weights_without_an_impact_term_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "leverage.yaml"
    path.write_text(f"extends: {TUTORIAL}\nobjective:\n  impact: null\n  leverage: {{weight: 1}}\n"
                    "uncertainty:\n  parameters:\n    - id: w\n      path: objective.impact.weights\n"
                    "      distribution: {kind: uniform, low: 0.5, high: 1.5}\n", encoding="utf-8")
    problem = only_problem(path)
    assert problem.path == "uncertainty.parameters[0].path" and "impact" in problem.message


def test_a_variant_can_restate_a_distribution(tmp_path: Path) -> None:
    path = tmp_path / "variant.yaml"
    path.write_text(f"extends: {UNCERTAIN}\nuncertainty:\n  parameters:\n    - id: north_africa_absorption\n"
                    "      distribution: {kind: uniform, low: 0.5, high: 1.2}\n", encoding="utf-8")
    sc = fs.load_scenario(path)
    assert sc.uncertainty is not None
    assert sc.uncertainty.parameters[2].distribution == Distribution("uniform", low=0.5, high=1.2)


# ---- 10. simulate's own checks and provenance --------------------------------------------------------
def test_simulate_needs_uncertainty() -> None:
    with pytest.raises(ValueError, match="declares no uncertainty") as info:
        fs.simulate(fs.load_scenario(TUTORIAL), draws=3)
    assert "uncertainty:" in str(info.value) and "tutorial" in str(info.value)


def test_simulate_unknown_mode(uncertain: Scenario) -> None:
    with pytest.raises(ValueError, match="unknown mode 'optimise'") as info:
        fs.simulate(uncertain, draws=3, evaluation=Evaluation("optimise"))
    assert all(m in str(info.value) for m in MODES)


def test_simulate_unknown_design(uncertain: Scenario) -> None:
    with pytest.raises(ValueError, match="unknown design 'latin'") as info:
        fs.simulate(uncertain, draws=3, design="latin")
    assert all(d in str(info.value) for d in DESIGNS)


@pytest.mark.parametrize("draws", [0, -3])
def test_simulate_needs_draws(uncertain: Scenario, draws: int) -> None:
    with pytest.raises(ValueError, match="at least 1") as info:
        fs.simulate(uncertain, draws=draws)
    assert str(draws) in str(info.value)


def test_chunks_have_a_draw_at_least() -> None:
    with pytest.raises(ValueError, match="chunk_size must be a whole number of at least 1, got -1"):
        Evaluation(chunk_size=-1)


@pytest.mark.parametrize("design", DESIGNS)
def test_provenance(uncertain: Scenario, design: str) -> None:
    run = fs.simulate(uncertain, draws=3, seed=42, design=design, evaluation=Evaluation(chunk_size=2))
    attrs = run.attrs
    assert attrs["scenario_hash"] == uncertain.digest and attrs["scenario"] == "tutorial-uncertain"
    assert (attrs["seed"], attrs["design"], attrs["draws"], attrs["mode"]) == (42, design, 3, "reoptimise")
    assert attrs["fundsim_version"] == fs.__version__
    assert isinstance(attrs["solver_version"], str) and attrs["solver_version"][0].isdigit()
    assert attrs["wall_seconds"] >= 0 and attrs["created"]
    assert run.sizes["draw"] == 3
    assert run["objective"].attrs["long_name"] and run["eu_by_year"].attrs["units"] == "EUR m"


def test_a_mixed_integer_scenario_is_re_optimised_as_such() -> None:
    """With integer rules each draw is solved as a MILP and priced with its integer decisions fixed: the same
    objective and shadow prices as fs.solve of the draw's scenario, never silent zeros."""
    data = copy.deepcopy(fs.load_scenario(UNCERTAIN).spec)
    data.setdefault("rules", {})["max_instruments_per_cell"] = 1
    sc = fs.scenario_from_dict(data)
    run = fs.simulate(sc, draws=4, seed=5, evaluation=Evaluation(executor="sequential"))
    values = values_of(sc, 4, 5)
    numbers = drawn_numbers(sc, values)
    for d in range(4):
        alloc = fs.solve(scenario_of_draw(sc, numbers, d))
        assert run["objective"].values[d] == pytest.approx(alloc.objective, rel=1e-9)
        envelope = alloc.duals["envelope"].values
        np.testing.assert_allclose(run["shadow_price_envelope"].values[d], envelope, rtol=1e-7, atol=1e-9)
    assert np.nanmax(np.abs(run["shadow_price_envelope"].values)) > 0
