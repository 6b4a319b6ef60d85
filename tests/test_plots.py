"""Monte Carlo figures label themselves from the run's attrs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import xarray as xr

import fundsim as fs
import fundsim.plots as fp


@pytest.fixture(scope="module")
def run() -> xr.Dataset:
    return fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=40, seed=2, progress=True)


def test_distribution_labels_itself(run: xr.Dataset) -> None:
    ax = fp.distribution(run)
    assert ax.get_xlabel() == "optimal objective [objective units]"
    assert "tutorial-uncertain: 40 draws" in ax.get_title()
    assert len(ax.lines) == 3  # the 5 %, 50 % and 95 % quantiles
    plt.close("all")


def test_fan_chart_over_years(run: xr.Dataset) -> None:
    ax = fp.fan_chart(run)
    assert ax.get_ylabel() == "EU commitments by year [EUR m]" and ax.get_xlabel() == "year"
    assert list(ax.lines[0].get_xdata()) == [2009, 2010]
    plt.close("all")


def test_binding_bars_leave_out_marginal_impact(run: xr.Dataset) -> None:
    ax = fp.binding_bars(run)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and all(not t.startswith("impact_link") for t in labels)
    assert any(t.startswith("absorption: north_africa") for t in labels)
    plt.close("all")


def test_shadow_price_box_keeps_the_labels_that_bind(run: xr.Dataset) -> None:
    ax = fp.shadow_price_box(run, "absorption")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["north_africa, 2010", "north_africa, 2009"] or sorted(labels) == [
        "north_africa, 2009", "north_africa, 2010"]
    assert ax.get_xlabel() == "shadow price: absorption capacity (payments) [objective per EUR m]"
    plt.close("all")
