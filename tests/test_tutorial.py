"""The tutorial scenario's optimum and shadow prices, derived by hand in scenarios/tutorial.yaml.

Per EUR m: remittances in North Africa are worth 3, return there 2, mobility in the Eastern
Partnership 1.5, anything else 1. ENPI may not fund remittances; North Africa absorbs 25 a year;
remittances may take at most 25 % of the 60 committed. North Africa therefore gets 50 (15 remittances,
35 return) and the East the other 10 (mobility): 45 + 70 + 15 = 130.
"""

from __future__ import annotations

import numpy as np
import pytest

import fundsim as fs
from fundsim.testing import assert_allocation_feasible


@pytest.fixture(scope="module")
def alloc() -> fs.Allocation:
    return fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))


def test_optimum(alloc: fs.Allocation) -> None:
    assert alloc.status == "optimal"
    assert alloc.objective == pytest.approx(130.0, rel=1e-9)
    assert_allocation_feasible(alloc.scenario, alloc)


def test_allocation_by_cell(alloc: fs.Allocation) -> None:
    eu = alloc.data["eu"].sum(["instrument", "year"])
    assert float(eu.sel(priority="remittances", region="north_africa")) == pytest.approx(15.0)
    assert float(eu.sel(priority="return", region="north_africa")) == pytest.approx(35.0)
    assert float(eu.sel(priority="mobility", region="eastern_partnership")) == pytest.approx(10.0)
    assert float(eu.sum()) == pytest.approx(60.0)
    # ENPI may not fund remittances
    assert float(alloc.data["eu"].sel(instrument="enpi", priority="remittances").sum()) == 0.0


def test_cofinancing_at_the_rule_rate(alloc: fs.Allocation) -> None:
    """TPMA pays at most 80 %: each EUR m of TPMA mobilises 0.25 from member states."""
    tpma = alloc.data.sel(instrument="tpma")
    assert float(tpma["cofin"].sum()) == pytest.approx(0.25 * float(tpma["eu"].sum()))
    assert float(tpma["eu"].sum()) == pytest.approx(20.0)
    assert float(alloc.data["cofin"].sel(instrument="enpi").sum()) == 0.0


def test_shadow_prices(alloc: fs.Allocation) -> None:
    duals = alloc.duals
    np.testing.assert_allclose(duals["absorption"].sel(region="north_africa"), [0.5, 0.5], atol=1e-9)
    assert np.isnan(duals["absorption"].sel(region="eastern_partnership")).all()  # no capacity: no rule
    np.testing.assert_allclose(duals["envelope"], 1.75, atol=1e-9)
    # per EUR m the remittances ceiling is worth 1; per percentage point of 60 EUR m, 0.6
    assert float(duals["pillar_max_share"].sel(pillar="development")) == pytest.approx(0.6)
    assert duals["pillar_max_share"].attrs["units"] == "objective per percentage point"
    np.testing.assert_allclose(duals["match_capacity"], 0.0, atol=1e-12)


def test_shadow_prices_match_finite_differences() -> None:
    """Relax each binding rule by a small step and re-solve: the gain is the shadow price times the step."""
    base = fs.load_scenario("scenarios/tutorial.yaml").spec
    obj0 = 130.0
    step = 0.5
    spec = dict(base, absorption={**base["absorption"], "capacity": {"north_africa": {2009: 25 + step, 2010: 25}}})
    assert fs.solve(fs.scenario_from_dict(spec)).objective - obj0 == pytest.approx(0.5 * step)
    spec = dict(base, rules={"pillar_balance": [{"pillar": "development", "max_share": 0.26}]})
    assert fs.solve(fs.scenario_from_dict(spec)).objective - obj0 == pytest.approx(0.6)
    instruments = [dict(base["instruments"][0], envelope={2009: 10 + step, 2010: 10}), base["instruments"][1]]
    spec = dict(base, instruments=instruments)
    assert fs.solve(fs.scenario_from_dict(spec)).objective - obj0 == pytest.approx(1.75 * step)


def test_summaries(alloc: fs.Allocation) -> None:
    pillars = alloc.by_pillar()
    assert pillars.loc["development", "eu"] == pytest.approx(15.0)
    assert pillars.loc["development", "share_of_eu"] == pytest.approx(0.25)
    assert pillars["eu"].sum() == pytest.approx(60.0)
    groups = alloc.by_group()
    assert groups.loc["south", "eu"] == pytest.approx(50.0)
    assert alloc.by_instrument().loc["enpi", "eu"] == pytest.approx(40.0)
    assert list(alloc.by_year().index) == [2009, 2010]
    binding = alloc.binding_rules()
    assert set(binding["rule"]) == {"envelope", "absorption", "pillar_max_share"}
    assert binding["shadow_price"].iloc[0] == pytest.approx(1.75)


def test_metadata_and_units(alloc: fs.Allocation) -> None:
    attrs = alloc.data.attrs
    assert attrs["scenario"] == "tutorial"
    assert len(attrs["scenario_hash"]) == 16
    assert attrs["solver"] == "highs"
    assert attrs["status"] == "optimal"
    assert attrs["fundsim_version"] == fs.__version__
    for name in ("eu", "cofin", "total", "payments"):
        assert alloc.data[name].attrs["units"] == "EUR m"
        assert alloc.data[name].dims == ("instrument", "priority", "region", "year")
        assert alloc.data[name].attrs["long_name"]
