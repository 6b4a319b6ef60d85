"""Sensitivity studies: sweeps equal individual solves, Sobol' and Morris match closed forms, the tornado
matches the tutorial worked by hand, bad input gives clear errors, and the figures label themselves."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample
from scipy import stats

import fundsim as fs
import fundsim.plots.sensitivity as fps
from fundsim import sensitivity
from fundsim.model import frozen_array
from fundsim.montecarlo import Evaluation
from fundsim.montecarlo.executors import ProcessExecutor
from fundsim.sensitivity import gsa

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario(TUTORIAL)


@pytest.fixture(scope="module")
def uncertain() -> fs.Scenario:
    return fs.load_scenario(UNCERTAIN)


# ---- a scenario whose objective is a known function of its inputs ------------------------------------------
# Three instruments each fund one priority (impact weights 3, 2 and 1 per EUR m; 10 EUR m each, one year,
# nothing else binds), so the optimum spends everything: objective = 30·E1 + 20·E2 + 10·E3 with the
# envelope factors E1 = U(0.5, 1.5) and E3 = U(0.8, 1.2) both driven by the factor f, and E2 lognormal
# (median 1, σ 0.3) on its own. Inputs: f (uniform u) and e2.
#   objective = 30(0.5 + u) + 10(0.8 + 0.4u) + 20·E2 = 23 + 34u + 20·E2
#   Var from f = 34²/12;  Var from e2 = 400·e^{σ²}(e^{σ²} - 1);  no interaction, so S1 = ST.
LINEAR = {
    "name": "linear",
    "years": [2009],
    "pillars": [{"id": "p", "name": "P"}],
    "regions": [{"id": "r", "name": "R", "group": "g"}],
    "priorities": [{"id": f"a{k}", "name": f"A{k}", "pillar": "p"} for k in (1, 2, 3)],
    "instruments": [{"id": f"e{k}", "name": f"E{k}", "envelope": 10, "eligibility": {"priorities": [f"a{k}"]}}
                    for k in (1, 2, 3)],
    "objective": {"impact": {"basis": "eu", "weights": {"default": 1.0, "cells": [
        {"priority": "a1", "region": "r", "weight": 3.0}, {"priority": "a2", "region": "r", "weight": 2.0},
        {"priority": "a3", "region": "r", "weight": 1.0}]}}},
    "uncertainty": {
        "factors": [{"id": "f"}],
        "parameters": [
            {"id": "e1", "path": "instruments.e1.envelope", "factor": "f",
             "distribution": {"kind": "uniform", "low": 0.5, "high": 1.5}},
            {"id": "e2", "path": "instruments.e2.envelope", "distribution": {"kind": "lognormal", "median": 1.0,
                                                                             "sigma": 0.3}},
            {"id": "e3", "path": "instruments.e3.envelope", "factor": "f",
             "distribution": {"kind": "uniform", "low": 0.8, "high": 1.2}}]},
}
VAR_F = 34**2 / 12
VAR_E2 = 400 * np.exp(0.09) * (np.exp(0.09) - 1)


@pytest.fixture(scope="module")
def linear() -> fs.Scenario:
    return fs.scenario_from_dict(LINEAR)


# ---- sweeps -----------------------------------------------------------------------------------------------
def _with_envelope(sc: fs.Scenario, instrument: str, factor: float) -> fs.Scenario:
    """The scenario with one instrument's envelope (and usable money) scaled, built by hand."""
    changed = tuple(dataclasses.replace(i, envelope=frozen_array(i.envelope * factor),
                                        usable=frozen_array(i.usable * factor)) if i.id == instrument else i
                    for i in sc.instruments)
    return sc.evolve(instruments=changed)


def _with_absorption(sc: fs.Scenario, region: str, capacity: float) -> fs.Scenario:
    cap = sc.absorption.capacity.copy()
    cap[sc.region_ids.index(region)] = capacity
    return sc.evolve(absorption=dataclasses.replace(sc.absorption, capacity=frozen_array(cap)))


def _assert_point_equals_solve(study, k: int, alloc: fs.Allocation, over: tuple[str, ...] = ()) -> None:
    """Point k of the sweep has the solve's objective, allocation (summed ``over`` some dims) and prices."""
    point = study.isel(value=k)
    assert point["status"].item() == "optimal"
    assert abs(float(point["objective"]) - alloc.objective) <= 1e-7
    eu = alloc.data["eu"].transpose(*point["eu"].dims)
    np.testing.assert_allclose(point["eu"].sum(over).values, eu.sum(over).values, atol=1e-7, rtol=0)
    by_region = alloc.data["eu"].sum(["instrument", "priority", "year"])
    np.testing.assert_allclose(point["eu_by_region"].values, by_region.values, atol=1e-7, rtol=0)
    for rule, price in alloc.duals.data_vars.items():
        np.testing.assert_allclose(point[f"shadow_price_{rule}"].values, price.values, atol=1e-7, rtol=0,
                                   equal_nan=True)


def test_relative_sweep_points_equal_individual_solves(tutorial: fs.Scenario) -> None:
    # shadow prices are compared too, so no point sits on a degenerate vertex: at 0.5 TPMA's 10 a year all go
    # to remittances and North Africa's capacity is met exactly; an envelope price of 2.5 and one of 3 are
    # then both right (one-sided derivatives), and a warm and a cold solve may report either
    factors = [0.6, 0.8, 1.0, 1.3]
    study = sensitivity.sweep(tutorial, "instruments.tpma.envelope", factors, relative=True,
                              evaluation=Evaluation(keep_allocations=True))
    assert study["value"].values.tolist() == factors and study["value"].attrs["units"] == "× nominal"
    for k, f in enumerate(factors):
        _assert_point_equals_solve(study, k, fs.solve(_with_envelope(tutorial, "tpma", f)))


def test_absolute_sweep_points_equal_individual_solves(tutorial: fs.Scenario) -> None:
    caps = range(10, 40, 7)
    study = sensitivity.sweep(tutorial, "absorption.capacity.north_africa", caps,
                              evaluation=Evaluation(keep_allocations=True))
    assert study["value"].attrs["units"] == "EUR m per year"
    # with North Africa's capacity short, money for return is worth the same in 2009 and 2010 (the capacity
    # caps payments each year, whatever the year's mix): the year split is one of many optima, so the
    # allocation is compared summed over years
    for k, cap in enumerate(caps):
        _assert_point_equals_solve(study, k, fs.solve(_with_absorption(tutorial, "north_africa", cap)), ("year",))


def test_sweep_on_the_reference_scenario_equals_cold_solves() -> None:
    sc = fs.load_scenario("scenarios/gam-2008.yaml")
    values = [0.7, 1.2]
    study = sensitivity.sweep(sc, "instruments.enpi.envelope", values, relative=True,
                              outputs=["pillar:legal_migration"])
    for k, f in enumerate(values):
        alloc = fs.solve(_with_envelope(sc, "enpi", f))
        assert abs(float(study["objective"][k]) - alloc.objective) <= 1e-7 * max(1.0, alloc.objective)
    assert study["pillar:legal_migration"].attrs == {"units": "EUR m",
                                                      "long_name": "EU commitments: pillar legal_migration"}


def test_absolute_and_relative_envelope_sweeps_agree(tutorial: fs.Scenario) -> None:
    # the TPMA envelope is 10 a year: a factor f is an absolute 10·f a year
    relative = sensitivity.sweep(tutorial, "instruments.tpma.envelope", [0.7, 1.4], relative=True)
    absolute = sensitivity.sweep(tutorial, "instruments.tpma.envelope", [7.0, 14.0])
    np.testing.assert_allclose(relative["objective"].values, absolute["objective"].values, atol=1e-9)
    # the tutorial's hand solution: the envelope's shadow price is 1.75 per EUR m over the two years (f ≥ 2/3)
    assert float(absolute["objective"][1] - absolute["objective"][0]) == pytest.approx(1.75 * 14, abs=1e-9)


def test_stress_sweep_counts_decommitted_money_by_hand(tutorial: fs.Scenario) -> None:
    # The optimal plan pays North Africa 25 a year (profile: all in the commitment year, n+2 window).
    # With capacity 10: 2009's 25 is paid 10 + 10 + 5 by 2011; 2010's 25 gets 0 + 5 + 10 by 2012: 10 lost.
    # With capacity 5: 2009's gets 5 + 5 + 5 by 2011 (10 lost); 2010's waits behind it and gets 5 in 2012
    # (20 lost): 30 lost. Earliest deadline first.
    study = sensitivity.sweep(tutorial, "absorption.capacity.north_africa", [25, 10, 5],
                              outputs=["decommitted", "region:north_africa", "objective"],
                              evaluation=Evaluation("stress"))
    np.testing.assert_allclose(study["decommitted"].values, [0.0, 10.0, 30.0], atol=1e-9)
    np.testing.assert_allclose(study["region:north_africa"].values, [50.0, 40.0, 20.0], atol=1e-9)
    assert study["region:north_africa"].attrs["long_name"] == "EU money finally spent: region north_africa"
    reopt = sensitivity.sweep(tutorial, "absorption.capacity.north_africa", [25, 10, 5], outputs=["decommitted"])
    np.testing.assert_allclose(reopt["decommitted"].values, 0.0, atol=1e-9)  # each plan fits its capacity


def test_infeasible_sweep_points_are_kept_with_their_status(tutorial: fs.Scenario) -> None:
    spec = {**tutorial.spec, "rules": {**tutorial.spec["rules"], "region_limits": [
        {"region": "eastern_partnership", "min": 35}]}}
    sc = fs.scenario_from_dict(spec)
    study = sensitivity.sweep(sc, "instruments.enpi.envelope", [0.1, 1.0], relative=True)
    assert study["status"].values.tolist() == ["infeasible", "optimal"]
    assert np.isnan(study["objective"][0]) and np.isfinite(study["objective"][1])


# ---- tornado ----------------------------------------------------------------------------------------------
def _tutorial_objective(t: float, a: float, v: float) -> float:
    """The tutorial's optimum by hand for a TPMA envelope factor t ≥ 2/3, North Africa absorption factor a
    and remittance weight factor v: remittances take 25 % of the 20t + 40 committed (all from TPMA), North
    Africa the rest of its 2·25a as return, the Eastern Partnership what is left as mobility (1.5)."""
    remit = 0.25 * (20 * t + 40)
    return 3 * v * remit + 2 * (50 * a - remit) + 1.5 * (20 * t + 40 - 50 * a)


def test_tornado_matches_the_hand_solution(uncertain: fs.Scenario) -> None:
    lo, hi = 0.05, 0.95
    tpma = {q: float(np.exp(0.15 * stats.norm.ppf(q))) for q in (lo, 0.5, hi)}
    pert = stats.beta(1 + 4 * 0.4 / 0.5, 1 + 4 * 0.1 / 0.5)  # low 0.6, mode 1.0, high 1.1
    absorb = {q: 0.6 + 0.5 * float(pert.ppf(q)) for q in (lo, 0.5, hi)}
    remit = {lo: 0.8, 0.5: 1.0, hi: 1.2}
    base = _tutorial_objective(tpma[0.5], absorb[0.5], remit[0.5])

    def swing(t: tuple[float, float] = (0.5, 0.5), a: tuple[float, float] = (0.5, 0.5),
              v: tuple[float, float] = (0.5, 0.5)) -> float:
        ends = [_tutorial_objective(tpma[t[k]], absorb[a[k]], remit[v[k]]) for k in (0, 1)]
        return abs(ends[1] - ends[0])

    expected = {"remittance_value": swing(v=(lo, hi)), "financial_crisis": swing(t=(lo, hi)),
                "tpma_envelope": swing(t=(lo, hi)), "north_africa_absorption": swing(a=(lo, hi)),
                "member_state_match": 0.0}  # the member states' match never binds
    table = sensitivity.tornado(uncertain, low=lo, high=hi)
    assert table["input"].tolist() == list(expected)  # ranked by swing (ties keep the declared order)
    np.testing.assert_allclose(table["swing"].values, list(expected.values()), atol=1e-7)
    assert table.attrs["base"] == pytest.approx(base, abs=1e-7)
    assert table.set_index("input").loc["financial_crisis", "moves"] == "tpma_envelope, member_state_match"


def test_tornado_study_covers_several_outputs(uncertain: fs.Scenario) -> None:
    study = sensitivity.tornado_study(uncertain, ["objective", "region:north_africa", "group:east"])
    assert study["swing"].dims == ("input", "output")
    # North Africa receives its whole absorption capacity, 2·25a: only the absorption moves it
    pert = stats.beta(4.2, 1.8)
    span = 0.5 * (pert.ppf(0.95) - pert.ppf(0.05))
    na = study["swing"].sel(output="region:north_africa")
    assert float(na.sel(input="north_africa_absorption")) == pytest.approx(50 * span, abs=1e-7)
    assert float(abs(na.drop_sel(input="north_africa_absorption")).max()) <= 1e-7
    assert str(study["units"].sel(output="group:east").values) == "EUR m"


# ---- Sobol' and Morris ------------------------------------------------------------------------------------
def test_sobol_matches_the_closed_form_within_its_confidence_intervals(linear: fs.Scenario) -> None:
    result = sensitivity.sobol(linear, n=256, second_order=True, seed=0)
    si = result["indices"].sel(output="objective")
    truth = {"f": VAR_F / (VAR_F + VAR_E2), "e2": VAR_E2 / (VAR_F + VAR_E2)}  # 0.700 and 0.300
    assert list(si["parameter"].values) == ["f", "e2"] and result.attrs["evaluations"] == 256 * 6
    for name, s in truth.items():
        for index in ("S1", "ST"):
            estimate, conf = float(si.sel(parameter=name, index=index)), float(si.sel(parameter=name,
                                                                                        index=f"{index}_conf"))
            assert abs(estimate - s) <= max(conf, 0.01), (name, index, estimate, s, conf)
            assert conf < 0.2 and abs(estimate - s) < 0.05  # the intervals are informative, not just wide
    s2, conf2 = result["S2"].sel(parameter="f", parameter_2="e2", output="objective"), result["S2_conf"].sel(
        parameter="f", parameter_2="e2", output="objective")
    assert abs(float(s2)) <= max(float(conf2), 0.01)  # no interaction


def test_sobol_gives_a_constant_output_zero_indices(linear: fs.Scenario) -> None:
    result = sensitivity.sobol(linear, n=16, outputs=["objective", "cofin"])
    assert result.attrs["constant_outputs"] == "cofin"  # nothing is co-financed in this scenario
    assert float(abs(result["indices"].sel(output="cofin")).max()) == 0.0
    assert float(result["indices"].sel(output="objective", index="ST").sum()) > 0.5


@pytest.mark.parametrize("levels", [2, 4, 6])
def test_morris_ranks_the_inputs_and_matches_the_linear_effect(linear: fs.Scenario, levels: int) -> None:
    result = sensitivity.morris(linear, trajectories=12, levels=levels, seed=1)
    mi = result["indices"].sel(output="objective")
    assert result["indices"].attrs["units"] == "output units per unit of probability"
    # f moves the objective by 34 per unit of its quantile u (objective = 23 + 34u + 20·E2): every
    # elementary effect of f is 34, whatever the grid
    for index, value in (("mu", 34.0), ("mu_star", 34.0), ("sigma", 0.0)):
        assert float(mi.sel(parameter="f", index=index)) == pytest.approx(value, abs=1e-7), index
    # e2's effects are the moves of its lognormal by half a unit of probability, between the quantile
    # midpoints (k + ½)/levels and (k + levels/2 + ½)/levels: 20·ΔE2 / ½
    e2 = np.exp(0.3 * stats.norm.ppf((np.arange(levels) + 0.5) / levels))
    moves = 20 * (e2[levels // 2:] - e2[:levels // 2]) / 0.5
    mu_star = float(mi.sel(parameter="e2", index="mu_star"))
    assert moves.min() - 1e-9 <= mu_star <= moves.max() + 1e-9
    assert mi.sel(index="mu_star").to_series().idxmax() == "f"


@pytest.mark.parametrize("levels", [2, 4, 6, 8])
def test_morris_statistics_are_per_unit_of_probability(levels: int) -> None:
    """SALib's statistics of ``Y = 14·u₁ + 3·u₂`` on the study's grid of quantile midpoints, rescaled, are
    the slopes 14 and 3 (SALib alone gives 14·(1 - 1/levels): 10.5 at 4 levels)."""
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0]] * 2}
    grid = morris_sample.sample(problem, 10, num_levels=levels, seed=3)
    u = 0.5 / levels + (1 - 1 / levels) * grid
    si = morris_analyze.analyze(problem, grid, 14 * u[:, 0] + 3 * u[:, 1], num_levels=levels, seed=3)
    scaled = gsa.per_probability(si, levels)
    np.testing.assert_allclose(scaled["mu_star"], [14.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(scaled["mu"], [14.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(scaled["sigma"], [0.0, 0.0], atol=1e-9)


def test_sobol_gives_the_same_numbers_on_a_process_pool(linear: fs.Scenario) -> None:
    serial = sensitivity.sobol(linear, n=32, seed=5)
    with ProcessExecutor(2) as pool:
        pooled = sensitivity.sobol(linear, n=32, seed=5, evaluation=Evaluation(executor=pool))
    np.testing.assert_allclose(pooled["indices"].values, serial["indices"].values, atol=1e-12)


def test_sobol_infeasible_points_raise_with_a_diagnosis(tutorial: fs.Scenario) -> None:
    spec = {**tutorial.spec, "rules": {**tutorial.spec["rules"], "region_limits": [
        {"region": "eastern_partnership", "min": 35}]},
        "uncertainty": {"parameters": [{"id": "enpi", "path": "instruments.enpi.envelope",
                                        "distribution": {"kind": "uniform", "low": 0.1, "high": 1.0}}]}}
    with pytest.raises(fs.InfeasibleError, match=r"points of the Sobol' design of 'tutorial' have no optimal"):
        sensitivity.sobol(fs.scenario_from_dict(spec), n=8)


# ---- bad input --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "words"), [
    ("instruments.enpy.envelope", ["cannot sweep 'instruments.enpy.envelope'", "did you mean 'enpi'",
                                   "valid instruments are: enpi, tpma"]),
    ("instruments.enpi.budget", ["cannot put uncertainty on", "instruments.<id>.envelope"]),
    ("absorption.capacity.north_afrika", ["unknown region 'north_afrika'", "did you mean 'north_africa'"]),
    ("tpma_envelop", ["unknown uncertain parameter 'tpma_envelop'", "did you mean 'tpma_envelope'"]),
])
def test_bad_sweep_paths_say_what_is_valid(uncertain: fs.Scenario, path: str, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        sensitivity.sweep(uncertain, path, [1.0])
    for w in words:
        assert w in str(info.value), str(info.value)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"path": "instruments.tpma.payment_delay", "values": [0.5], "relative": True}, "is a share"),
    ({"path": "instruments.tpma.payment_delay", "values": [1.5]}, "between 0 and 1"),
    ({"path": "instruments.tpma.envelope", "values": [-1.0]}, "must not be negative"),
    ({"path": "instruments.tpma.envelope", "values": []}, "non-empty"),
    ({"path": "instruments.tpma.envelope", "values": ["a"]}, "must be numbers"),
])
def test_bad_sweep_values_are_explained(tutorial: fs.Scenario, kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        sensitivity.sweep(tutorial, **kwargs)


def test_a_sweep_in_an_unknown_mode_is_refused(tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match="unknown mode 'fast'; the modes are: reoptimise, stress"):
        sensitivity.sweep(tutorial, "instruments.tpma.envelope", [1.0], evaluation=Evaluation("fast"))  # type: ignore[arg-type]


def test_bad_outputs_list_the_valid_ones(uncertain: fs.Scenario) -> None:
    with pytest.raises(ValueError) as info:
        sensitivity.tornado(uncertain, "objectiv")
    assert "unknown output 'objectiv' (did you mean 'objective'?)" in str(info.value)
    assert "pillar:<id>" in str(info.value) and "region:<id>" in str(info.value)
    with pytest.raises(ValueError) as info:
        sensitivity.sobol(uncertain, outputs=["pilar:legal", "region:north_afrika", "cofin_shortfall"],
                          ignore_correlation=True)
    text = str(info.value)
    assert "write pillar:<id>, region:<id>, group:<id>, instrument:<id>" in text
    assert "did you mean 'north_africa'" in text
    assert "'cofin_shortfall' is recorded in stress mode only" in text


def test_correlated_sources_are_refused_with_the_reason(uncertain: fs.Scenario) -> None:
    with pytest.raises(ValueError, match="declares rank correlations between financial_crisis") as info:
        sensitivity.sobol(uncertain)
    assert "ignore_correlation=True" in str(info.value)
    with pytest.raises(ValueError, match="ignore_correlation=True"):
        sensitivity.morris(uncertain)


def test_studies_of_scenarios_without_uncertainty_and_bad_sizes(tutorial: fs.Scenario, linear: fs.Scenario) -> None:
    for study in (sensitivity.tornado, sensitivity.sobol, sensitivity.morris):
        with pytest.raises(ValueError, match="declares no uncertainty"):
            study(tutorial)
    with pytest.raises(ValueError, match=r"n must be a power of 2 .*; got 100, use 64 or 128"):
        sensitivity.sobol(linear, n=100)
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        sensitivity.tornado(linear, low=0.9, high=0.1)


# ---- figures ----------------------------------------------------------------------------------------------
def test_figures_label_themselves(uncertain: fs.Scenario, linear: fs.Scenario, tutorial: fs.Scenario) -> None:
    ax = fps.tornado_chart(sensitivity.tornado(uncertain))
    assert ax.get_xlabel() == "optimal objective [objective units]"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "remittance_value"
    assert len(ax.patches) == 2 * 5
    ax = fps.sobol_bars(sensitivity.sobol(linear, n=16))
    assert ax.get_ylabel() == "Sobol' index [share of the output's variance]"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["f", "e2"] and "(n = 16)" in ax.get_title()
    ax = fps.morris_scatter(sensitivity.morris(linear, trajectories=4))
    assert ax.get_xlabel() == "μ*, mean absolute elementary effect [objective units per unit of quantile]"
    assert sorted(t.get_text() for t in ax.texts) == ["e2", "f"]
    study = sensitivity.sweep(tutorial, "absorption.capacity.north_africa", [20, 25], outputs=["region:north_africa"])
    ax = fps.sweep_plot(study, "region:north_africa")
    assert ax.get_xlabel() == "absorption.capacity.north_africa (value) [EUR m per year]"
    assert ax.get_ylabel() == "EU commitments: region north_africa [EUR m]"
    with pytest.raises(ValueError, match="not one number per swept value"):
        fps.sweep_plot(study, "eu_by_pillar")
    plt.close("all")
