"""One naming scheme (docs/architecture.md, "Names"): a rule's shadow price is ``duals[<rule>]`` in an Allocation
and ``shadow_price_<rule>`` wherever kinds mix (an allocation's NetCDF file, a Monte Carlo run and its store),
on the rule's own dims; an old store says what changed instead of failing with a KeyError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import fundsim as fs
from fundsim.montecarlo import Evaluation, Storage
from fundsim.montecarlo.store import open_run
from fundsim.results.names import placed, rule_of, shadow_price_name, unplaced

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"


def test_a_shadow_price_has_one_name_in_an_allocation_its_file_and_a_run(tmp_path: Path) -> None:
    sc = fs.load_scenario(UNCERTAIN)
    alloc = fs.solve(sc)
    assert {"envelope", "absorption", "pillar_max_share"} <= set(alloc.duals.data_vars)
    alloc.save(tmp_path / "plan.nc")
    stored = xr.load_dataset(tmp_path / "plan.nc")
    run = fs.simulate(sc, draws=4, seed=1)
    for rule in ("envelope", "absorption"):
        name = shadow_price_name(rule)
        assert name in stored and name in run
        assert stored[name].dims == alloc.duals[rule].dims == run[name].dims[1:]
    # the pillar balance names one pillar of three: beside the allocation's own pillars its dim is pillar_rule
    assert stored["shadow_price_pillar_max_share"].dims == ("pillar_rule",)
    assert run["shadow_price_pillar_max_share"].dims == ("draw", "pillar_rule")
    again = fs.open_allocation(tmp_path / "plan.nc")
    for rule, da in alloc.duals.data_vars.items():
        np.testing.assert_array_equal(again.duals[rule].values, da.values)
        assert again.duals[rule].dims == da.dims


def test_the_share_of_eu_is_named_apart_from_the_co_financing_rate() -> None:
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    pillars = alloc.by_pillar()
    assert "share_of_eu" in pillars and "eu_share" not in pillars
    # by hand (tests/test_tutorial.py): remittances, the development pillar, hold 15 of the 60 EUR m
    assert pillars.loc["development", "share_of_eu"] == pytest.approx(0.25)
    assert alloc.by_group().equals(alloc.summary("group"))
    with pytest.warns(FutureWarning, match="by_group"):
        alloc.by_region_group()


def test_an_old_run_says_what_changed(tmp_path: Path) -> None:
    old = xr.Dataset({"objective": ("draw", [1.0, 2.0]),
                      "shadow_envelope": (("draw", "envelope_instrument"), [[0.5], [0.0]])},
                     coords={"draw": [0, 1], "envelope_instrument": ["tpma"]})
    old.to_netcdf(tmp_path / "old.nc")
    with pytest.raises(fs.ArgumentError) as err:
        open_run(tmp_path / "old.nc")
    text = str(err.value)
    assert "older fundsim" in text and "'shadow_envelope'" in text and "'shadow_price_envelope'" in text


def test_a_rule_dim_is_renamed_only_where_the_container_has_it_with_other_labels() -> None:
    ds = xr.Dataset(coords={"pillar": ["a", "b"], "pillar_rule": ["a"], "year": [2009, 2010]})
    same = xr.DataArray([1.0, 2.0], dims=["year"], coords={"year": [2009, 2010]})
    assert placed(ds, "envelope", same).dims == ("year",)
    other = xr.DataArray([1.0], dims=["pillar"], coords={"pillar": ["b"]})
    moved = placed(ds, "pillar_min_share", other)
    assert moved.dims == ("pillar_min_share_pillar",)  # pillar and pillar_rule both hold other labels
    assert unplaced("pillar_min_share", moved).dims == ("pillar",)
    assert rule_of("shadow_price_caps") == "caps" and rule_of("eu_by_year") is None


def test_a_store_of_an_older_fundsim_is_not_resumed_into(tmp_path: Path) -> None:
    import zarr

    sc = fs.load_scenario(UNCERTAIN)
    store = tmp_path / "run.zarr"
    fs.simulate(sc, draws=8, seed=2, evaluation=Evaluation(chunk_size=4), storage=Storage(store))
    group = zarr.open_group(str(store), mode="r+", zarr_format=2)
    laid = str(group.attrs["store_variables"]).split(",")
    group.attrs["store_variables"] = ",".join(v.replace("shadow_price_", "shadow_") for v in laid)
    with pytest.raises(fs.OutputError) as err:
        fs.simulate(sc, draws=8, seed=2, evaluation=Evaluation(chunk_size=4), storage=Storage(store))
    assert "older fundsim" in str(err.value) and "'shadow_" in str(err.value)
