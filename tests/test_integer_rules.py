"""The integer rules (readability and coherence, 16041/08 §8, §11, §26) on scenarios small enough to solve by hand.

Each rule is solved as a MILP on a tiny scenario: the rule holds (checked by
:func:`fundsim.testing.assert_allocation_feasible`, which reads the rules from the domain objects), it costs
what was worked out by hand against the LP without it, and the shadow prices are flagged as conditional on
the integer decisions and equal those of a plain LP in which the decisions are imposed by ordinary rules.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest
import xarray as xr

import fundsim as fs
from fundsim.model import (
    AdminCost,
    Cap,
    MaxInstrumentsPerCell,
    MinCommitment,
    MobilityPartnerships,
    Selector,
)
from fundsim.results.allocation import allocation_dataset
from fundsim.results.label import block_array
from fundsim.solvers import HighsSolver, Status
from fundsim.solvers.mip import CONDITIONAL, fixed_lp, integer_only_rows, solve_mip
from fundsim.testing import assert_allocation_feasible, violations

NA, EP = "north_africa", "eastern_partnership"
R1, R2, R3 = "r1", "r2", "r3"


def with_rules(sc: fs.Scenario, **rules: Any) -> fs.Scenario:
    return sc.evolve(rules=dataclasses.replace(sc.rules, **rules))


def decisions(alloc: fs.Allocation, block: str) -> xr.DataArray:
    """A binary block of the solved programme, labelled (NaN where the block has no decision)."""
    assert alloc.lp is not None and alloc.result is not None
    return block_array(alloc.lp.variables[block], alloc.result.x)


def line_money(alloc: fs.Allocation) -> dict[tuple[str, str, str], float]:
    """EU money per instrument line (instrument, priority, region) over the period, nonzero lines only."""
    series = alloc.data["eu"].sum("year").to_series()
    return {k: float(v) for k, v in series[series > 1e-9].items()}


def one_year(**changes: Any) -> dict[str, Any]:
    """One year, one instrument ``fund`` of 10, impact on EU money; regions, priorities and rules by ``changes``."""
    data: dict[str, Any] = {
        "name": "tiny", "years": [2009], "pillars": [{"id": "legal"}, {"id": "irregular"}],
        "regions": [{"id": NA, "group": "south"}],
        "priorities": [{"id": "a", "pillar": "legal"}, {"id": "b", "pillar": "irregular"}],
        "instruments": [{"id": "fund", "envelope": 10}],
        "objective": {"impact": {"basis": "eu"}},
    }
    data.update(copy.deepcopy(changes))
    return data


@pytest.fixture
def tutorial() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


# ---- max_instruments_per_cell ---------------------------------------------------------------------------
def test_one_instrument_per_cell_on_the_tutorial(tutorial: fs.Scenario) -> None:
    """The LP (130) funds mobility in the East (worth 1.5) from both instruments, 5 each. With one instrument
    per cell ENPI keeps it; TPMA's 5 go to the next best cell open to it, return in the East (worth 1):
    15·3 + 35·2 + 5·1.5 + 5·1 = 127.5."""
    lp_alloc = fs.solve(tutorial)
    assert line_money(lp_alloc)[("tpma", "mobility", EP)] == line_money(lp_alloc)[("enpi", "mobility", EP)] == 5.0
    alloc = fs.solve(with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1)))
    assert alloc.objective == pytest.approx(127.5)
    assert lp_alloc.objective >= alloc.objective
    assert line_money(alloc) == pytest.approx({("tpma", "return", EP): 5.0, ("tpma", "remittances", NA): 15.0,
                                               ("enpi", "mobility", EP): 5.0, ("enpi", "return", NA): 35.0})
    funded = (alloc.data["eu"].sum("year") > 1e-9).sum("instrument")
    assert int(funded.max()) == 1
    active = decisions(alloc, "instrument_active")
    assert active.attrs["units"] == "1 = yes, 0 = no"
    assert float(active.sel(instrument="enpi", priority="return", region=NA)) == pytest.approx(1.0)
    assert float(active.sel(instrument="tpma", priority="return", region=NA)) == pytest.approx(0.0)
    assert np.isnan(active.sel(priority="remittances")).all()  # only ENPI-or-TPMA cells need a decision


def test_a_rule_that_cannot_bind_leaves_a_pure_lp(tutorial: fs.Scenario) -> None:
    """Two instruments: k = 2 never binds, so no decision is made and the LP is unchanged."""
    lp = fs.assemble(with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(2)))
    plain = fs.assemble(tutorial)
    assert lp.integrality is None
    assert (lp.num_col, lp.num_row) == (plain.num_col, plain.num_row)


def test_no_integer_rule_gives_a_pure_lp(tutorial: fs.Scenario) -> None:
    lp = fs.assemble(tutorial)
    assert lp.integrality is None
    assert not tutorial.rules.integer
    assert fs.solve(tutorial).data.attrs["shadow_prices"] == "exact"


def test_integrality_marks_exactly_the_binaries(tutorial: fs.Scenario) -> None:
    sc = with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1), admin_cost=AdminCost(0.1))
    lp = fs.assemble(sc)
    assert lp.integrality is not None
    marked = set(np.flatnonzero(lp.integrality))
    binaries = {c for name in ("instrument_active", "cell_active") for c in range(lp.variables[name].start,
                                                                                   lp.variables[name].stop)}
    assert marked == binaries
    assert (lp.col_upper[sorted(marked)] == 1).all()


def test_big_m_is_the_tightest_single_cell_bound(tutorial: fs.Scenario) -> None:
    """ENPI (20 a year) in North Africa: absorption 25 does not bind the cell alone, the envelope does (20);
    TPMA (10 a year): its envelope (10). No coefficient is a huge constant."""
    lp = fs.assemble(with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1)))
    block = lp.constraints["instrument_link"]
    rows = lp.A[block.start : block.stop]
    big_m = -rows.min(axis=1).toarray().ravel()
    cube = np.full(block.shape, np.nan)
    cube[block.positions] = big_m
    m = xr.DataArray(cube, dims=block.dims, coords=dict(zip(block.dims, map(list, block.coords), strict=True)))
    assert float(m.sel(instrument="enpi", priority="return", region=NA, year=2009)) == 20.0
    assert float(m.sel(instrument="tpma", priority="mobility", region=EP, year=2010)) == 10.0
    sc = with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1),
                    caps=(Cap("ret", Selector(priorities=frozenset({"return"})), max=7.0),))
    lp = fs.assemble(sc)
    block = lp.constraints["instrument_link"]
    assert -lp.A[block.start : block.stop].min() == 20.0  # mobility cells: the envelope
    assert sorted(set(-lp.A[block.start : block.stop].min(axis=1).toarray().ravel())) == [7.0, 10.0, 20.0]


# ---- min_commitment -------------------------------------------------------------------------------------
def min_commitment_spec(**rules: Any) -> dict[str, Any]:
    """Fund 10; a is worth 3 per EUR m but takes at most 7, b is worth 1: the LP gives 7 + 3 = 24."""
    return one_year(rules={"priority_limits": [{"priority": "a", "max": 7}], **rules},
                    objective={"impact": {"basis": "eu", "weights": {"by_priority": {"a": 3.0}}}})


def test_min_commitment_moves_money_to_reach_the_minimum() -> None:
    """Minimum 4: b's 3 are too few. b at 4 and a at 6 give 6·3 + 4 = 22, better than a alone (21).

    With both lines open, the envelope is worth 3 (a takes the next EUR m) and lowering b's minimum by one
    EUR m is worth 3 - 1 = 2; a's limit of 7 no longer binds."""
    lp_alloc = fs.solve(fs.scenario_from_dict(min_commitment_spec()))
    assert lp_alloc.objective == pytest.approx(24.0)
    sc = fs.scenario_from_dict(min_commitment_spec(min_commitment=4))
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(22.0)
    assert line_money(alloc) == pytest.approx({("fund", "a", NA): 6.0, ("fund", "b", NA): 4.0})
    assert alloc.data.attrs["shadow_prices"] == CONDITIONAL
    assert float(alloc.duals["envelope"].sel(instrument="fund", year=2009)) == pytest.approx(3.0)
    assert float(alloc.duals["min_commitment"].sel(instrument="fund", priority="b", region=NA)) == pytest.approx(2.0)
    assert float(alloc.duals["min_commitment"].sel(instrument="fund", priority="a", region=NA)) == pytest.approx(0.0)
    assert float(alloc.duals["priority_limits"].sel(priority="a")) == pytest.approx(0.0)


def test_min_commitment_is_over_the_period_not_each_year() -> None:
    """Two years of 5, a capped at 4, b at 3 a year: b's line of 3 + 3 = 6 keeps a minimum of 4 although no
    single year reaches it (4·3 + 6 = 18; a minimum for each year would leave b empty: 12)."""
    data = min_commitment_spec(min_commitment=4)
    data["years"] = [2009, 2010]
    data["instruments"] = [{"id": "fund", "envelope": 5}]
    data["rules"]["priority_limits"] = [{"priority": "a", "max": 4}]
    data["rules"]["caps"] = [{"id": "b_yearly", "priorities": ["b"], "per_year": True, "max": 3}]
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(18.0)
    assert alloc.data["eu"].sel(instrument="fund", priority="b", region=NA).values.tolist() == pytest.approx([3, 3])


def test_no_warning_when_the_period_reaches_the_minimum() -> None:
    """Two years of 3 and a minimum of 4: no year alone reaches it, the period does (6), so fundsim does not
    warn, and the fund commits its 6."""
    data = min_commitment_spec(min_commitment=4)
    data["years"] = [2009, 2010]
    data["instruments"] = [{"id": "fund", "envelope": 3}]
    with warnings.catch_warnings():
        warnings.simplefilter("error", fs.FundsimWarning)
        sc = fs.scenario_from_dict(data)
    assert float(fs.solve(sc).data["eu"].sum()) == pytest.approx(6.0)


def test_min_commitment_per_instrument() -> None:
    """A second instrument of 1 with its own minimum of 0.5 lifts a to its limit: fund a 6 and b 4, small a 1:
    7·3 + 4 = 25. Under the common minimum of 4 it can commit nothing (fundsim warns): 22."""
    data = min_commitment_spec(min_commitment={"amount": 4, "by_instrument": {"small": 0.5}})
    data["instruments"].append({"id": "small", "envelope": 1})
    sc = fs.scenario_from_dict(data)
    assert sc.rules.min_commitment == MinCommitment(4.0, (("small", 0.5),))
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(25.0)
    assert sum(v for k, v in line_money(alloc).items() if k[0] == "small") == pytest.approx(1.0)
    data["rules"]["min_commitment"] = 4
    with pytest.warns(fs.FundsimWarning, match="'small' must commit at least 4 EUR m at a time but has at most 1"):
        sc = fs.scenario_from_dict(data)
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(22.0)
    assert float(alloc.data["eu"].sel(instrument="small").sum()) == 0.0


# ---- admin_cost -----------------------------------------------------------------------------------------
def admin_spec(**rules: Any) -> dict[str, Any]:
    """Fund 10 for one priority in two regions: North Africa worth 2 but capped at 6, the East worth 1."""
    return one_year(regions=[{"id": NA, "group": "south"}, {"id": EP, "group": "east"}],
                    priorities=[{"id": "a", "pillar": "legal"}],
                    rules={"region_limits": [{"region": NA, "max": 6}], **rules},
                    objective={"impact": {"basis": "eu", "weights": {"by_region": {NA: 2.0}}}})


def test_admin_cost_closes_a_cell_not_worth_its_cost() -> None:
    """LP: 6·2 + 4·1 = 16. A cost of 5 per active cell: both cells 16 - 10 = 6, North Africa alone
    12 - 5 = 7, nothing 0. So the East closes and 4 stay unspent; the objective includes the cost."""
    assert fs.solve(fs.scenario_from_dict(admin_spec())).objective == pytest.approx(16.0)
    sc = fs.scenario_from_dict(admin_spec(admin_cost={"value": 5, "assumption": "a line costs 5"}))
    assert sc.rules.admin_cost == AdminCost(5.0)
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(7.0)
    assert line_money(alloc) == pytest.approx({("fund", "a", NA): 6.0})
    active = decisions(alloc, "cell_active")
    assert active.sel(priority="a").values.tolist() == pytest.approx([1.0, 0.0])
    impact = float((alloc.data["eu"].sum(["instrument", "year"]) * xr.DataArray([2.0, 1.0], dims="region")).sum())
    assert alloc.objective == pytest.approx(impact - 5.0 * float(active.sum()))


def test_admin_cost_duals_equal_the_lp_with_the_closed_cell_capped() -> None:
    """Conditional on North Africa open and the East closed: the LP in which a cap of 0 closes the East has
    the same shadow prices: North Africa's limit 2, the envelope 0 (money is left), the East 1 per EUR m."""
    alloc = fs.solve(fs.scenario_from_dict(admin_spec(admin_cost=5)))
    plain = fs.solve(fs.scenario_from_dict(admin_spec(caps=[{"id": "east", "regions": [EP], "max": 0}])))
    assert alloc.data.attrs["shadow_prices"] == CONDITIONAL
    assert plain.data.attrs["shadow_prices"] == "exact"
    for rule in ("region_limits", "envelope"):
        xr.testing.assert_allclose(alloc.duals[rule], plain.duals[rule])
    assert float(alloc.duals["region_limits"].sel(region=NA)) == pytest.approx(2.0)
    assert float(alloc.duals["admin_link"].sel(region=EP).sum()) == pytest.approx(1.0)
    assert float(plain.duals["caps"].sel(cap="east")) == pytest.approx(1.0)


@pytest.mark.parametrize(("cost", "objective", "spent"), [(3.0, 3.0, 10.0), (12.0, 10.0, 0.0)])
def test_admin_cost_is_added_when_goals_are_minimised(cost: float, objective: float, spent: float) -> None:
    """Goals alone: each EUR m short of 10 costs 1. A cell costing 3 is worth opening (3 < 10); at 12 it is not."""
    data = one_year(objective={"goals": {"targets": [{"id": "t", "amount": 10}]}}, rules={"admin_cost": cost})
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.data.attrs["sense"] == "minimise"
    assert alloc.objective == pytest.approx(objective)
    assert float(alloc.data["eu"].sum()) == pytest.approx(spent)


# ---- mobility_partnerships ------------------------------------------------------------------------------
def partnership_spec(mobility: dict[str, float], **rule: Any) -> dict[str, Any]:
    """Fund 30 in one year, three candidate regions; mobility worth ``mobility[r]``, return worth 1."""
    return one_year(
        regions=[{"id": R1, "group": "south"}, {"id": R2, "group": "east"}, {"id": R3, "group": "south"}],
        priorities=[{"id": "mobility", "pillar": "legal"}, {"id": "return", "pillar": "irregular"}],
        instruments=[{"id": "fund", "envelope": 30}],
        rules={"mobility_partnerships": {"candidates": [R1, R2, R3], "pillars": ["legal"], **rule}},
        objective={"impact": {"basis": "eu", "weights": {
            "cells": [{"priority": "mobility", "region": r, "weight": w} for r, w in mobility.items()]}}},
    )


@pytest.mark.parametrize(("only_partners", "objective"), [(True, 66.0), (False, 69.0)])
def test_at_most_n_partnerships(only_partners: bool, objective: float) -> None:
    """Mobility worth 3, 2, 1.5 in r1, r2, r3, each region taking at most 12. The LP: 36 + 24 + 9 = 69. Two
    partnerships at most, mobility money only through them: r1 and r2 get 12 each and the last 6 go to return
    in r3: 66. Without ``only_partners`` nothing stops mobility money to r3: 69."""
    data = partnership_spec({R1: 3.0, R2: 2.0, R3: 1.5}, max_new=2, package=10, only_partners=only_partners)
    data["rules"]["region_limits"] = [{"region": r, "max": 12} for r in (R1, R2, R3)]
    sc = fs.scenario_from_dict(data)
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(objective)
    chosen = decisions(alloc, "partnership")
    if only_partners:
        assert chosen.sel(region=[R1, R2, R3]).values.tolist() == pytest.approx([1.0, 1.0, 0.0])
        assert float(alloc.data["eu"].sel(priority="mobility", region=R3).sum()) == 0.0
    mobility = alloc.data["eu"].sel(priority="mobility").sum(["instrument", "year"])
    assert (mobility.where(chosen == 1, drop=True) >= 10 - 1e-6).all()


def test_min_new_forces_a_partnership_whose_package_binds() -> None:
    """One partnership must be made; mobility is worth 0.5 in r1, 0.8 in r2 and less than return (1)
    anywhere. r2 with its package of 10: 8 + 20 = 28 (r1: 25; the LP: 30). The package binds: one EUR m
    less of it is worth 1 - 0.8 = 0.2; the number of partnerships has no price (NaN)."""
    data = partnership_spec({R1: 0.5, R2: 0.8, R3: 0.1}, max_new=1, min_new=1, package=10)
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(28.0)
    assert line_money(alloc)[("fund", "mobility", R2)] == pytest.approx(10.0)
    assert float(alloc.duals["partnership_package"].sel(region=R2)) == pytest.approx(0.2)
    assert np.isnan(alloc.duals["partnership_count"].sel(partnerships="new"))
    binding = alloc.binding_rules()
    assert binding.loc[binding["rule"] == "partnership_package", "where"].tolist() == [R2]
    assert fs.solve(fs.scenario_from_dict({**data, "rules": {}})).objective == pytest.approx(30.0)


# ---- conditional shadow prices --------------------------------------------------------------------------
def test_conditional_duals_are_those_of_the_lp_with_the_decisions_fixed(tutorial: fs.Scenario) -> None:
    """The MILP's shadow prices equal a separate solve of the LP with its integer columns fixed, and those of
    the plain LP in which period caps of 0 close the lines the MILP closed."""
    sc = with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1))
    alloc = fs.solve(sc)
    assert alloc.data.attrs["shadow_prices"] == "conditional on the integer decisions"
    assert alloc.result is not None
    lp = fs.assemble(sc)
    mip = HighsSolver().solve(lp)
    assert mip.status is Status.OPTIMAL
    fixed = HighsSolver().solve(fixed_lp(lp, mip.x))
    priced = ~integer_only_rows(lp)
    assert priced.sum() < lp.num_row  # the max_instruments rows are on decisions alone
    np.testing.assert_allclose(alloc.result.row_dual[priced], fixed.row_dual[priced], atol=1e-9)
    assert np.isnan(alloc.result.row_dual[~priced]).all()
    assert np.isnan(alloc.duals["max_instruments"]).all()
    active = decisions(alloc, "instrument_active").to_series().dropna()
    closed = active[active < 0.5].index
    caps = tuple(Cap(f"closed{n}", Selector(instruments=frozenset({i}), priorities=frozenset({p}),
                                            regions=frozenset({r})), max=0.0) for n, (i, p, r) in enumerate(closed))
    plain = fs.solve(with_rules(tutorial, caps=caps))
    assert plain.objective == pytest.approx(alloc.objective)
    for rule in ("envelope", "absorption", "pillar_max_share"):
        xr.testing.assert_allclose(alloc.duals[rule], plain.duals[rule])


def test_fixed_lp_rounds_the_decisions_and_drops_integrality(tutorial: fs.Scenario) -> None:
    lp = fs.assemble(with_rules(tutorial, admin_cost=AdminCost(1.0)))
    assert lp.integrality is not None
    x = np.zeros(lp.num_col)
    ints = np.flatnonzero(lp.integrality)
    x[ints] = [1 - 1e-7, 2e-7, 1.0, 0.0, 1.0, 1.0][: len(ints)]
    fixed = fixed_lp(lp, x)
    assert fixed.integrality is None
    assert fixed.col_lower[ints].tolist() == fixed.col_upper[ints].tolist() == np.round(x[ints]).tolist()
    others = np.setdiff1d(np.arange(lp.num_col), ints)
    assert (fixed.col_upper[others] == lp.col_upper[others]).all()
    with pytest.raises(ValueError, match="no integer columns"):
        fixed_lp(fs.assemble(tutorial), x)


def test_solve_mip_passes_a_pure_lp_through(tutorial: fs.Scenario) -> None:
    result = solve_mip(HighsSolver(), fs.assemble(tutorial))
    assert result.objective == pytest.approx(130.0)
    assert "shadow_prices" not in result.info
    assert not np.isnan(result.row_dual).any()


def test_mip_result_keeps_the_milp_figures(tutorial: fs.Scenario) -> None:
    alloc = fs.solve(with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1)))
    assert alloc.result is not None
    assert alloc.result.info["mip_objective"] == pytest.approx(127.5)
    assert alloc.result.seconds >= alloc.result.info["mip_seconds"]


# ---- the checker ----------------------------------------------------------------------------------------
def hand_plan(sc: fs.Scenario, cells: dict[tuple[str, str, str, int], float]) -> xr.Dataset:
    eu = xr.DataArray(np.zeros(sc.eligible.shape), coords=sc.coords(), dims=list(sc.coords()))
    for cell, amount in cells.items():
        eu.loc[cell] = amount
    return allocation_dataset(sc, eu.values)


def test_checker_counts_instruments_per_cell(tutorial: fs.Scenario) -> None:
    sc = with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1))
    plan = hand_plan(sc, {("tpma", "return", NA, 2009): 5.0, ("enpi", "return", NA, 2010): 5.0})
    assert list(map(str, violations(sc, plan))) == [
        "instruments per cell: 2 instruments fund return in north_africa (tpma, enpi), above the maximum of 1"]
    assert violations(sc, hand_plan(sc, {("enpi", "return", NA, 2009): 5.0, ("enpi", "return", NA, 2010): 5.0})) == []


def test_checker_flags_a_line_below_the_minimum() -> None:
    sc = fs.scenario_from_dict(min_commitment_spec(min_commitment=4))
    plan = hand_plan(sc, {("fund", "a", NA, 2009): 7.0, ("fund", "b", NA, 2009): 3.0})
    assert list(map(str, violations(sc, plan))) == [
        "minimum commitment: fund for b in north_africa commits EUR 3.000 m over the period, more than nothing but "
        "below the minimum commitment of EUR 4.000 m (by 1.000)"]
    assert violations(sc, hand_plan(sc, {("fund", "a", NA, 2009): 7.0})) == []


def test_checker_flags_too_many_partnerships_and_short_packages() -> None:
    data = partnership_spec({R1: 3.0}, max_new=1, min_new=1, package=10)
    sc = fs.scenario_from_dict(data)
    plan = hand_plan(sc, {("fund", "mobility", R1, 2009): 12.0, ("fund", "mobility", R2, 2009): 4.0})
    assert list(map(str, violations(sc, plan))) == [
        "mobility partnerships: 2 candidates receive money for the package priorities (r1, r2), more than the 1 "
        "new partnerships allowed",
        "mobility partnerships: the package for r2 over the period is EUR 4.000 m, below the partnership package "
        "of EUR 10.000 m (by 6.000)",
    ]
    assert list(map(str, violations(sc, hand_plan(sc, {("fund", "return", R1, 2009): 12.0})))) == [
        "mobility partnerships: 0 candidates reach the partnership package of EUR 10.000 m, fewer than the 1 new "
        "partnerships required"]


# ---- domain objects -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "message"), [
    (lambda: MaxInstrumentsPerCell(0), "max_instruments_per_cell must be a whole number ≥ 1, got 0"),
    (lambda: MaxInstrumentsPerCell(1.5), "must be a whole number"),  # type: ignore[arg-type]
    (lambda: MinCommitment(-1.0), "the minimum commitment must be a finite number ≥ 0"),
    (lambda: AdminCost(float("inf")), "the administrative cost must be a finite number ≥ 0"),
    (lambda: MobilityPartnerships(("a", "b"), max_new=3, package=1.0), r"max_new \(3\) exceeds the number of"),
    (lambda: MobilityPartnerships(("a", "a"), max_new=1, package=1.0), "the candidates must be distinct"),
    (lambda: MobilityPartnerships(("a", "b"), max_new=1, min_new=2, package=1.0), r"min_new \(2\) exceeds"),
])
def test_domain_objects_check_themselves(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_scenario_refuses_rules_on_unknown_labels(tutorial: fs.Scenario) -> None:
    with pytest.raises(ValueError, match="mobility_partnerships names the unknown region 'west_africa'"):
        with_rules(tutorial, mobility_partnerships=MobilityPartnerships(("west_africa",), 1, 5.0))
    with pytest.raises(ValueError, match="min_commitment names the unknown instrument 'edf'"):
        with_rules(tutorial, min_commitment=MinCommitment(1.0, (("edf", 2.0),)))


def test_a_candidate_nothing_can_fund_is_warned_about() -> None:
    data = partnership_spec({R1: 3.0}, max_new=1, package=10)
    data["instruments"][0]["eligibility"] = {"regions": [R1, R2]}
    with pytest.warns(fs.FundsimWarning, match="'r3' is a candidate for a mobility partnership but no instrument"):
        fs.scenario_from_dict(data)


# ---- the coherent reference case ------------------------------------------------------------------------
def test_the_coherent_reference_case_solves_and_keeps_its_rules() -> None:
    sc = fs.load_scenario("scenarios/gam-2008-coherent.yaml")
    reference = fs.load_scenario("scenarios/gam-2008.yaml")
    assert not reference.rules.integer and fs.assemble(reference).integrality is None
    assert sc.rules.max_instruments_per_cell == MaxInstrumentsPerCell(1)
    mp = sc.rules.mobility_partnerships
    assert mp is not None
    assert any(kind == "assumption" and path.startswith("rules.admin_cost") for path, kind, _ in sc.provenance)
    alloc = fs.solve(sc, options={"mip_rel_gap": 0.01, "time_limit": 1800})  # speed: benchmarks/
    assert_allocation_feasible(sc, alloc, exact_cofinancing=True)
    assert alloc.data.attrs["shadow_prices"] == CONDITIONAL
    assert 0.9 * 806.602 < alloc.objective < 806.603  # below the LP (806.602): fewer lines, and each costs 0.5
    lines = alloc.data["eu"].sum("year") > 1e-6
    assert int(lines.sum("instrument").max()) == 1
    chosen = decisions(alloc, "partnership").sel(region=list(mp.candidates))
    assert 1 <= int(chosen.sum()) <= mp.max_new
    legal = alloc.data["eu"].where(alloc.data["pillar"] == "legal_migration").sum(["instrument", "priority", "year"])
    assert (legal.sel(region=list(mp.candidates)).where(chosen == 1, drop=True) >= mp.package - 1e-6).all()
    assert float(legal.sel(region=list(mp.candidates)).where(chosen == 0, drop=True).sum()) == 0.0
    assert not np.isnan(alloc.duals["envelope"]).all()
