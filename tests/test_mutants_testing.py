"""Tests written to kill mutants of fundsim/testing.py that survived the suite (issue 12, docs/mutation.md):
the allocation checker's reading of an allocation and its general checks (amounts, eligibility, flags),
with every expected record worked out by hand on scenarios/tutorial.yaml.

The tutorial: instruments tpma (10 EUR m in 2009 and in 2010, at most 80 % EU) and enpi (20 a year,
mobility and return only); priorities mobility, return, remittances; regions north_africa and
eastern_partnership; years 2009 and 2010.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

import fundsim as fs
from fundsim.rules import Violation, families
from fundsim.testing import (
    _plan,
    assert_allocation_feasible,
    check_eligibility,
    check_eligible_flags,
    check_finite_and_nonnegative,
    checks,
    violations,
)

TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1
TUTORIAL_RAW = yaml.safe_load((Path(__file__).resolve().parents[1] / "scenarios" / "tutorial.yaml").read_text(
    encoding="utf-8"))


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


def dataset(sc: fs.Scenario, eu: np.ndarray) -> xr.Dataset:
    """An allocation Dataset of the EU cube ``eu``, co-financed at the rule's rate, paid in the year."""
    cofin = eu * np.broadcast_to(sc.match_ratio[..., None], eu.shape)
    dims = ("instrument", "priority", "region", "year")
    coords = sc.coords()
    return xr.Dataset({"eu": (dims, eu.copy()), "cofin": (dims, cofin), "total": (dims, eu + cofin),
                       "payments": (dims, eu.copy())}, coords={d: coords[d] for d in dims})


def test_a_missing_cube_is_named(tutorial: fs.Scenario) -> None:
    data = dataset(tutorial, np.zeros((2, 3, 2, 2))).drop_vars(["cofin", "payments"])
    with pytest.raises(AssertionError, match=r"^the allocation has no cofin, payments; it holds \['eu', 'total'\]$"):
        violations(tutorial, data)
    assert_allocation_feasible(tutorial, dataset(tutorial, np.zeros((2, 3, 2, 2))))


def test_the_labels_must_be_the_scenarios(tutorial: fs.Scenario) -> None:
    data = dataset(tutorial, np.zeros((2, 3, 2, 2)))
    wrong = data.assign_coords(region=["north_africa", "sahel"])
    with pytest.raises(AssertionError, match=r"^the allocation's region labels \[.*'north_africa'.*'sahel'.*\] are not "
                                             r"the scenario's \['north_africa', 'eastern_partnership'\]$"):
        violations(tutorial, wrong)
    flat = data.drop_vars("year")  # a dim without coordinate labels
    with pytest.raises(AssertionError, match=r"^the allocation's year labels \[\] are not the scenario's"):
        violations(tutorial, flat)


def test_cubes_are_read_in_the_scenarios_order_whatever_the_datasets(tutorial: fs.Scenario) -> None:
    """A dataset with its dims transposed and every label list reversed: tpma's 12 for mobility in the East in 2009
    are 2 above its envelope of 10, and ENPI's 1 for remittances in North Africa in 2010 is not eligible."""
    eu = np.zeros((2, 3, 2, 2))
    eu[TPMA, MOBILITY, EAST, 0] = 12.0
    eu[ENPI, REMITTANCES, NA, 1] = 1.0
    data = dataset(tutorial, eu)
    data = data.isel(instrument=[1, 0], priority=[2, 1, 0], region=[1, 0], year=[1, 0])
    data = data.transpose("year", "region", "priority", "instrument")
    data["payments_after_horizon"] = xr.DataArray(np.arange(12.0).reshape(2, 2, 3),
                                                  dims=("region", "instrument", "priority"),
                                                  coords={"region": ["eastern_partnership", "north_africa"],
                                                          "instrument": ["enpi", "tpma"],
                                                          "priority": ["remittances", "return", "mobility"]})
    flags = np.ones((2, 3, 2, 2))
    data["eligible"] = (("instrument", "priority", "region", "year"), flags)
    plan = _plan(tutorial, data, 1e-7, 1e-6)
    assert np.array_equal(plan.eu, eu) and plan.eu.dtype == np.float64
    assert np.array_equal(plan.total, 1.25 * eu * np.array([1.0, 0.8])[:, None, None, None])
    # the given value at (region, instrument, priority) positions (a, b, c) of the given orders is 6a + 3b + c
    assert plan.after_horizon.shape == (2, 3, 2)
    assert plan.after_horizon[TPMA, MOBILITY].tolist() == [11.0, 5.0]  # north_africa, eastern_partnership
    assert plan.after_horizon[ENPI, REMITTANCES].tolist() == [6.0, 0.0]
    assert plan.flagged.dtype == bool and plan.flagged.all()
    assert (plan.rtol, plan.atol) == (1e-7, 1e-6)
    found = [(v.family, dict(v.labels), v.value) for v in violations(tutorial, data.drop_vars(
        ["payments_after_horizon", "eligible"])) if v.family in ("envelope", "eligibility")]
    assert found == [("eligibility", {"instrument": "enpi", "priority": "remittances", "region": "north_africa",
                                      "year": 2010}, 1.0),
                     ("envelope", {"instrument": "tpma", "year": 2009}, 12.0)]


def test_without_the_optional_cubes_the_plan_has_none(tutorial: fs.Scenario) -> None:
    plan = _plan(tutorial, dataset(tutorial, np.zeros((2, 3, 2, 2))), 1e-5, 1e-3)
    assert plan.after_horizon is None and plan.flagged is None and (plan.rtol, plan.atol) == (1e-5, 1e-3)


class Held:
    """An object with a ``data`` Dataset, as an Allocation is."""

    def __init__(self, data: xr.Dataset) -> None:
        self.data = data


def test_an_allocation_like_is_read_through_its_data(tutorial: fs.Scenario) -> None:
    eu = np.zeros((2, 3, 2, 2))
    eu[TPMA, MOBILITY, EAST, 0] = 12.0
    (v,) = violations(tutorial, Held(dataset(tutorial, eu)))
    assert (v.family, v.value, v.limit) == ("envelope", 12.0, 10.0)


def general(v: Violation) -> tuple:
    return v.family, v.rule, dict(v.labels), v.value, v.limit, v.size, v.unit, v.message


def test_amounts_not_finite_or_below_zero(tutorial: fs.Scenario) -> None:
    """NaN EU money, infinite co-financing, a total of -2 and payments of -1e-6 (the tolerance: no violation)."""
    eu = np.zeros((2, 3, 2, 2))
    data = dataset(tutorial, eu)
    data["eu"][TPMA, MOBILITY, NA, 0] = np.nan
    data["cofin"][TPMA, RETURN, EAST, 1] = np.inf
    data["total"][ENPI, MOBILITY, EAST, 1] = -2.0
    data["payments"][ENPI, RETURN, NA, 0] = -1e-6
    data["payments"][ENPI, RETURN, NA, 1] = -3.0
    found = check_finite_and_nonnegative(_plan(tutorial, data, 1e-7, 1e-6))
    nan, inf, below, paid = found
    assert general(nan)[:3] == ("non_negativity", "non-negativity", {"instrument": "tpma", "priority": "mobility",
                                                                    "region": "north_africa", "year": 2009})
    assert np.isnan(nan.value) and nan.limit == 0.0 and np.isnan(nan.size) and nan.unit == "EUR m"
    assert nan.message == "non-negativity: tpma for mobility in north_africa in 2009 commits nan, not a finite amount"
    assert inf.message == ("non-negativity: tpma for return in eastern_partnership in 2010 mobilises co-financing of "
                           "inf, not a finite amount")
    assert (inf.value, np.isnan(inf.size)) == (np.inf, True)
    assert general(below) == ("non_negativity", "non-negativity", {"instrument": "enpi", "priority": "mobility",
                                                                  "region": "eastern_partnership", "year": 2010},
                              -2.0, 0.0, 2.0, "EUR m", "non-negativity: enpi for mobility in eastern_partnership in "
                              "2010 has a total cost of EUR -2.000 m, below zero")
    assert paid.message == "non-negativity: enpi for return in north_africa in 2010 pays EUR -3.000 m, below zero"
    assert (paid.value, paid.size) == (-3.0, 3.0)


def test_money_where_an_instrument_may_not_fund(tutorial: fs.Scenario) -> None:
    """enpi (eligible for mobility and return, here only in the East, with no usable money in 2010) commits 3 to
    remittances in North Africa in 2010 (three reasons), -2 to mobility in North Africa in 2009 (one: any amount
    counts) and 1e-6 (the tolerance: none) to remittances in the East."""
    raw = {**TUTORIAL_RAW, "instruments": [TUTORIAL_RAW["instruments"][0],
                                           {**TUTORIAL_RAW["instruments"][1], "envelope": {2009: 20, 2010: 0},
                                            "eligibility": {"priorities": ["mobility", "return"],
                                                            "regions": ["eastern_partnership"]}}]}
    sc = fs.scenario_from_dict(raw)
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, REMITTANCES, NA, 1] = 3.0
    eu[ENPI, MOBILITY, NA, 0] = -2.0
    eu[ENPI, REMITTANCES, EAST, 0] = 1e-6
    one, three = check_eligibility(_plan(sc, dataset(sc, eu), 1e-7, 1e-6))
    assert general(three) == ("eligibility", "eligibility", {"instrument": "enpi", "priority": "remittances",
                                                            "region": "north_africa", "year": 2010}, 3.0, 0.0, 3.0,
                              "EUR m", "eligibility: enpi commits EUR 3.000 m to remittances in north_africa in 2010, "
                              "but enpi may not fund remittances and enpi may not fund north_africa and enpi has no "
                              "usable money in 2010")
    assert general(one)[2:7] == ({"instrument": "enpi", "priority": "mobility", "region": "north_africa",
                                  "year": 2009}, -2.0, 0.0, 2.0, "EUR m")
    assert one.message == ("eligibility: enpi commits EUR -2.000 m to mobility in north_africa in 2009, but enpi may "
                           "not fund north_africa")
    raw["instruments"][1] = {**raw["instruments"][1], "envelope": {2009: 20, 2010: 0.5}}
    sc = fs.scenario_from_dict(raw)  # enpi has 0.5 to use in 2010: money there, but not for remittances
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, REMITTANCES, EAST, 1] = 1.0
    (v,) = check_eligibility(_plan(sc, dataset(sc, eu), 1e-7, 1e-6))
    assert v.message == ("eligibility: enpi commits EUR 1.000 m to remittances in eastern_partnership in 2010, but "
                         "enpi may not fund remittances")


def test_the_allocations_eligible_flags(tutorial: fs.Scenario) -> None:
    """Flags that agree give nothing; two cells flagged wrongly give one record counting them, at the first."""
    data = dataset(tutorial, np.zeros((2, 3, 2, 2)))
    flags = np.ones((2, 3, 2, 2), dtype=bool)
    flags[ENPI, REMITTANCES] = False
    data["eligible"] = (("instrument", "priority", "region", "year"), flags.copy())
    assert check_eligible_flags(_plan(tutorial, data, 1e-7, 1e-6)) == []
    flags[TPMA, RETURN, EAST, 1] = False
    flags[ENPI, REMITTANCES, NA, 0] = True
    data["eligible"] = (("instrument", "priority", "region", "year"), flags)
    (v,) = check_eligible_flags(_plan(tutorial, data, 1e-7, 1e-6))
    assert general(v) == ("eligibility", "eligibility", {"instrument": "tpma", "priority": "return",
                                                        "region": "eastern_partnership", "year": 2010}, 2.0, 0.0, 2.0,
                          "count", "eligibility: the allocation's eligible flags disagree with the scenario in 2 "
                          "cells, e.g. tpma for return in eastern_partnership in 2010")
    (found,) = [x for x in violations(tutorial, data) if x.unit == "count"]
    assert found.value == 2.0


def test_checks_run_the_general_ones_then_every_familys(tutorial: fs.Scenario) -> None:
    found = checks()
    assert found[:3] == (check_finite_and_nonnegative, check_eligibility, check_eligible_flags)
    assert found[3:] == tuple(f.check for f in families() if f.check is not None)
    assert len(found[3:]) >= 12


def test_exact_co_financing_and_the_tolerances_reach_the_checks(tutorial: fs.Scenario) -> None:
    """tpma's 10 for mobility in North Africa with 4 of co-financing where 2.5 are due: only an exact check
    flags it; a total 1e-5 off the sum is flagged with the default atol, not with atol 1e-4."""
    eu = np.zeros((2, 3, 2, 2))
    eu[TPMA, MOBILITY, NA, 0] = 10.0
    data = dataset(tutorial, eu)
    data["cofin"][TPMA, MOBILITY, NA, 0] = 4.0
    data["total"][TPMA, MOBILITY, NA, 0] = 14.0
    assert violations(tutorial, data) == []
    (v,) = violations(tutorial, data, exact_cofinancing=True)
    assert (v.family, v.value, v.limit) == ("cofinancing", 4.0, pytest.approx(2.5))
    assert_allocation_feasible(tutorial, data)
    with pytest.raises(AssertionError, match=r"^1 violation of the rules of scenario 'tutorial':\n  - co-financing: "):
        assert_allocation_feasible(tutorial, data, exact_cofinancing=True)
    data["total"][TPMA, MOBILITY, NA, 0] = 14.00001
    (v,) = violations(tutorial, data)
    assert (v.family, v.value) == ("cofinancing", 14.00001)
    assert violations(tutorial, data, atol=1e-4) == []
    assert violations(tutorial, data, rtol=1e-6) == []  # 1e-6 + 1e-6·14 > 1e-5
    assert_allocation_feasible(tutorial, data, atol=1e-4)
    assert_allocation_feasible(tutorial, data, rtol=1e-6)
    for name in ("eu", "total", "payments"):  # 1 above tpma's envelope, and no co-financing
        data[name][TPMA, MOBILITY, EAST, 1] = 11.0
    with pytest.raises(AssertionError) as err:
        assert_allocation_feasible(tutorial, data, atol=1e-4)
    head, *lines = str(err.value).splitlines()
    assert head == "2 violations of the rules of scenario 'tutorial':"
    assert [line.split(":")[0] for line in lines] == ["  - envelope", "  - co-financing"]
