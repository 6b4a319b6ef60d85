"""The ``fundsim`` command: output, files written, and the documented exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from fundsim.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, app

runner = CliRunner()


def test_validate_ok(tutorial_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tutorial_path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "2 instruments" in result.output


def test_solve_prints_summaries_and_shadow_prices(tutorial_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tutorial_path)])
    assert result.exit_code == 0, result.output
    for text in ("objective 130.0000", "By pillar", "By region group", "By instrument", "By year",
                 "Binding rules", "absorption", "north_africa, 2009", "0.5000", "pillar_max_share"):
        assert text in result.output, text


def test_solve_writes_every_format(tutorial_path: Path, tmp_path: Path) -> None:
    nc, csv, xlsx = tmp_path / "a.nc", tmp_path / "a.csv", tmp_path / "out" / "a.xlsx"
    result = runner.invoke(app, ["solve", str(tutorial_path), "--out", str(nc), "--out", str(csv), "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(nc)
    assert float(ds["eu"].sum()) == pytest.approx(60.0)
    frame = pd.read_csv(csv)
    assert {"instrument", "priority", "region", "year", "eu", "cofin", "total", "payments"} <= set(frame.columns)
    assert frame["eu"].sum() == pytest.approx(60.0)
    assert (tmp_path / "a-shadow-prices.csv").is_file()
    sheets = pd.read_excel(xlsx, sheet_name=None)
    expected = {"allocation", "by_pillar", "by_group", "by_instrument", "by_year", "shadow_prices", "metadata"}
    assert expected <= set(sheets)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tmp_path / "nope.yaml")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no such file" in result.output
    assert "Traceback" not in result.output


def test_bad_scenario_exits_2_with_line(tutorial_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(tutorial_path.read_text().replace("group: east,", "group: east, colour: blue,", 1))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{bad}:21: regions[1].colour: unknown field 'colour'" in result.output
    assert "Traceback" not in result.output


def test_bad_out_suffix_and_solver_exit_2(tutorial_path: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tutorial_path), "--out", str(tmp_path / "a.json")])
    assert result.exit_code == EXIT_BAD_INPUT and ".json" in result.output
    result = runner.invoke(app, ["solve", str(tutorial_path), "--solver", "gurobo"])
    assert result.exit_code == EXIT_BAD_INPUT and "highs" in result.output


def test_infeasible_exits_3_with_diagnosis(tutorial_path: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(tutorial_path.read_text())
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 80}]
    path = tmp_path / "infeasible.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    assert "infeasible" in result.output
    assert "north_africa" in result.output and "EUR 80.0 m" in result.output and "EUR 50.0 m" in result.output


def test_unwritable_out_exits_2_before_solving(tutorial_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["solve", str(tutorial_path), "--out", str(blocker / "x.nc")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "cannot create the folder" in result.output and "Traceback" not in result.output
    assert "objective" not in result.output  # nothing was solved


def test_top_must_be_positive(tutorial_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tutorial_path), "--top", "0"])
    assert result.exit_code == EXIT_BAD_INPUT
