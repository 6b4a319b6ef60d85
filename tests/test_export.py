"""Allocations round-trip through NetCDF and export to CSV (long format) and Excel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fundsim as fs


@pytest.fixture(scope="module")
def alloc() -> fs.Allocation:
    return fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))


def test_netcdf_round_trip(alloc: fs.Allocation, tmp_path: Path) -> None:
    path = alloc.save(tmp_path / "a.nc")
    back = fs.open_allocation(path)
    for name in ("eu", "cofin", "total", "payments"):
        np.testing.assert_allclose(back.data[name], alloc.data[name])
        assert back.data[name].attrs["units"] == "EUR m"
    assert back.data["eligible"].dtype == bool
    np.testing.assert_allclose(back.duals["absorption"], alloc.duals["absorption"])
    assert float(back.duals["pillar_max_share"].sel(pillar="development")) == pytest.approx(0.6)
    assert back.data.attrs["scenario_hash"] == alloc.data.attrs["scenario_hash"]
    assert back.objective == pytest.approx(130.0)


def test_long_frame_has_only_eligible_cells(alloc: fs.Allocation) -> None:
    frame = alloc.to_frame()
    assert len(frame) == int(alloc.data["eligible"].sum())
    assert not ((frame["instrument"] == "enpi") & (frame["priority"] == "remittances")).any()


def test_unknown_suffix(alloc: fs.Allocation, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"use a \.nc, \.csv or \.xlsx"):
        alloc.save(tmp_path / "a.parquet")


def test_excel_sheets(alloc: fs.Allocation, tmp_path: Path) -> None:
    path = alloc.save(tmp_path / "a.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert sheets["by_pillar"].set_index("pillar").loc["development", "eu"] == pytest.approx(15.0)
    assert set(sheets["shadow_prices"]["rule"]) == {"envelope", "absorption", "pillar_max_share"}


def test_html_repr(alloc: fs.Allocation) -> None:
    text = alloc._repr_html_()
    assert "tutorial" in text and "By pillar" in text and "Binding rules" in text and "<table" in text
