"""The ``fundsim`` command: output, files written, and the documented exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from fundsim.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, app
from fundsim.montecarlo import open_run

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
    result = runner.invoke(app, ["solve", str(tutorial_path), "--out", str(nc), "--out", str(csv), "-o", str(xlsx),
                                 "--shadow-prices", str(tmp_path / "prices.csv")])
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(nc)
    assert float(ds["eu"].sum()) == pytest.approx(60.0)
    frame = pd.read_csv(csv)
    assert {"instrument", "priority", "region", "year", "eu", "cofin", "total", "payments"} <= set(frame.columns)
    assert frame["eu"].sum() == pytest.approx(60.0)
    assert set(pd.read_csv(tmp_path / "prices.csv")["rule"]) == {"envelope", "absorption", "pillar_max_share"}
    assert not (tmp_path / "a-shadow-prices.csv").exists()  # nothing is written that was not named
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
    assert "is a file, not a folder" in result.output and "Traceback" not in result.output
    assert "objective" not in result.output  # nothing was solved


def test_top_must_be_positive(tutorial_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tutorial_path), "--top", "0"])
    assert result.exit_code == EXIT_BAD_INPUT


def test_simulate_reoptimise_writes_the_run(tmp_path: Path) -> None:
    path = tmp_path / "run.nc"
    result = runner.invoke(app, ["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "30", "--seed", "3",
                                 "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert "30 draws, reoptimise" in result.output and "infeasible or failed draws: 0 of 30" in result.output
    assert "How often each rule binds" in result.output
    run = xr.load_dataset(path)
    assert run.sizes["draw"] == 30 and run.attrs["seed"] == 3
    opened = open_run(path)  # what `fundsim report --simulation run.nc` reads
    xr.testing.assert_identical(opened, run)
    with pytest.raises(ValueError, match=r"a \.zarr store or a \.nc file"):
        open_run(tmp_path / "run.csv")


def test_simulate_stress_defaults_to_the_scenarios_optimum(tmp_path: Path) -> None:
    plan = tmp_path / "plan.nc"
    assert runner.invoke(app, ["solve", "scenarios/tutorial-uncertain.yaml", "--out", str(plan)]).exit_code == 0
    with_file = runner.invoke(app, ["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "256", "--mode",
                                    "stress", "--design", "sobol", "--plan", str(plan)])
    default = runner.invoke(app, ["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "256", "--mode",
                                  "stress", "--design", "sobol"])
    assert with_file.exit_code == default.exit_code == 0
    table = [line for line in with_file.output.splitlines() if "realised" in line or "lost" in line]
    assert table and table == [line for line in default.output.splitlines() if "realised" in line or "lost" in line]


@pytest.mark.parametrize(("args", "message"), [
    (["scenarios/tutorial.yaml"], "declares no uncertainty"),
    (["scenarios/tutorial-uncertain.yaml", "--mode", "guess"], "the modes are: reoptimise, stress"),
    (["scenarios/tutorial-uncertain.yaml", "--design", "grid"], "the designs are: random, lhs, sobol"),
    (["scenarios/tutorial-uncertain.yaml", "--out", "run.parquet"], "use a .zarr folder or a .nc file"),
])
def test_simulate_bad_input_exits_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["simulate", *args, "--draws", "5"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert message in result.output and "Traceback" not in result.output


def test_solve_explain_says_which_rules_bind_and_over_which_interval() -> None:
    result = CliRunner().invoke(app, ["solve", "scenarios/tutorial.yaml", "--explain"])
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", " ")
    assert ("usable envelope (tpma, 2009): relaxing it by 1 EUR m is worth 1.75; this holds while the bound is "
            "between 5 and 90 EUR m (now 10)") in text
    assert "the allocation stays optimal while the weight is between 1.5 and 3" in text


def test_solver_options_from_the_command_line() -> None:
    ok = CliRunner().invoke(app, ["solve", "scenarios/tutorial.yaml", "--option", "time_limit=60",
                                  "--option", "solver=simplex"])
    assert ok.exit_code == 0, ok.output
    for bad, message in (("foo", "write KEY=VALUE"), ("no_such_option=3", "HiGHS does not accept the option"),
                         ("time_limit=soon", "HiGHS does not accept the option time_limit='soon'")):
        result = CliRunner().invoke(app, ["solve", "scenarios/tutorial.yaml", "--option", bad])
        assert result.exit_code == EXIT_BAD_INPUT, result.output
        assert message in result.output.replace("\n", " ")


def test_simulate_again_into_the_same_store_says_it_resumed(tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    args = ["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "6", "--chunk-size", "3", "--out", str(store)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "6 computed in" in first.output and "resumed" not in first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 computed in" in again.output and "resumed: 6 draws were in the store already" in again.output


def test_tables_never_cut_a_number_or_a_label_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped at 80 columns the wide tables of solve and simulate are printed whole: no cell ends in '…'
    (a q95 of 147.4 used to print as '147…')."""
    from fundsim.cli import common

    monkeypatch.setattr(common.out, "_width", 80)
    for args in (["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "20"],
                 ["solve", "scenarios/gam-2008.yaml"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "…" not in result.output, result.output
    assert "147.4" in CliRunner().invoke(app, ["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "20"]).output
