"""``fundsim sensitivity …`` and ``fundsim export``: the studies from a shell, their files and their errors."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, EXIT_SOLVER, app

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output.replace("\n", " ")


def test_sweep_writes_the_points_it_prints(tmp_path: Path) -> None:
    out = tmp_path / "sweep.nc"
    code, text = run("sensitivity", "sweep", TUTORIAL, "instruments.tpma.envelope", "--values", "0.5,1,1.5",
                     "--relative", "--out", str(out))
    assert code == 0, text
    study = xr.load_dataset(out)
    np.testing.assert_allclose(study["objective"], [110.0, 130.0, 147.5])  # tutorial: envelope worth 1.75 → less
    assert "147.5" in text


def test_sweep_over_an_even_range(tmp_path: Path) -> None:
    out = tmp_path / "range.nc"
    code, text = run("sensitivity", "sweep", TUTORIAL, "instruments.tpma.envelope", "--start", "0.9",
                     "--stop", "1.1", "--num", "3", "--relative", "--out", str(out))
    assert code == 0, text
    study = xr.load_dataset(out)
    np.testing.assert_allclose(study["value"], [0.9, 1.0, 1.1])
    assert float(study["objective"].sel(value=1.0)) == pytest.approx(130.0)


def test_tornado_table_to_csv(tmp_path: Path) -> None:
    out = tmp_path / "tornado.csv"
    code, text = run("sensitivity", "tornado", UNCERTAIN, "--out", str(out))
    assert code == 0, text
    table = pd.read_csv(out)
    assert list(table["swing"]) == sorted(table["swing"], reverse=True)
    assert table["input"].iloc[0] == "remittance_value"


def test_sobol_and_morris_name_every_input(tmp_path: Path) -> None:
    code, text = run("sensitivity", "sobol", UNCERTAIN, "--n", "32", "--ignore-correlation",
                     "--out", str(tmp_path / "s.nc"))
    assert code == 0, text
    indices = xr.load_dataset(tmp_path / "s.nc")["indices"]
    assert set(indices["index"].values) >= {"S1", "ST", "S1_conf", "ST_conf"}
    code, text = run("sensitivity", "morris", UNCERTAIN, "--trajectories", "4", "--ignore-correlation")
    assert code == 0, text
    assert "mu_star" in text and "financial_crisis" in text


def test_frontier_and_pareto_from_the_shell(tmp_path: Path) -> None:
    code, text = run("sensitivity", "budget-frontier", TUTORIAL, "--lo", "0.5", "--hi", "1.5",
                     "--out", str(tmp_path / "f.nc"))
    assert code == 0, text
    curve = xr.load_dataset(tmp_path / "f.nc")
    t1 = float(np.interp(1.0, curve["t"], curve["objective"]))
    assert t1 == pytest.approx(fs.solve(fs.load_scenario(TUTORIAL)).objective, rel=1e-9)
    code, text = run("sensitivity", "pareto", "scenarios/gam-2008-impact-curves.yaml", "--points", "3")
    assert code == 0, text
    assert "efficient allocations" in text


def test_the_budget_frontier_keeps_its_earlier_command_name() -> None:
    # one name per concept (fs.sensitivity.budget_frontier, `sensitivity budget-frontier`); scripts that say
    # `sensitivity frontier` still run, and the hidden name is not listed in --help
    code, text = run("sensitivity", "frontier", TUTORIAL, "--lo", "0.5", "--hi", "1.5")
    assert code == 0 and "budget frontier" in text, text
    code, text = run("sensitivity", "--help")
    assert "budget-frontier" in text and " frontier " not in text


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", TUTORIAL, "instruments.tpmaa.envelope", "--values", "1"], "tpma"),
    (["sweep", TUTORIAL, "instruments.tpma.envelope", "--values", "a,b"], "give numbers separated by commas"),
    (["sweep", TUTORIAL, "instruments.tpma.envelope"], "give the swept values"),
    (["sweep", TUTORIAL, "instruments.tpma.envelope", "--values", "1", "--out", "x.txt"], "use .nc or .csv"),
    (["tornado", UNCERTAIN, "--output", "pilar:legal"], "pillar"),
    (["sobol", UNCERTAIN, "--n", "32"], "ignore_correlation"),
    (["sobol", UNCERTAIN, "--n", "30", "--ignore-correlation"], "power of 2"),
    (["tornado", TUTORIAL], "uncertainty"),
    (["pareto", TUTORIAL, "--objectives", "impact,happiness"], "happiness"),
    (["budget-frontier", TUTORIAL, "--instrument", "tpmaa"], "tpma"),
])
def test_study_errors_exit_2(args: list[str], message: str) -> None:
    code, text = run("sensitivity", *args)
    assert code == EXIT_BAD_INPUT, text
    assert message in text


def test_an_infeasible_sweep_point_is_kept_not_fatal(tmp_path: Path) -> None:
    """North Africa must get 45 over two years: with an absorption capacity of 10 a year it cannot, with 25 it
    can. The infeasible point is kept with its status; the command succeeds."""
    scenario = tmp_path / "tight.yaml"
    scenario.write_text(f"extends: {Path(TUTORIAL).resolve()}\nname: tight\nrules:\n  region_limits:\n"
                        "    - {region: north_africa, min: 45}\n", encoding="utf-8")
    out = tmp_path / "s.nc"
    code, text = run("sensitivity", "sweep", str(scenario), "absorption.capacity.north_africa", "--values", "10,25",
                     "--out", str(out))
    assert code == 0, text
    study = xr.load_dataset(out)
    assert list(study["status"].values.astype(str)) == ["infeasible", "optimal"]
    assert np.isnan(study["objective"].values[0]) and np.isfinite(study["objective"].values[1])


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_export_reads_back_to_the_same_optimum(suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"gam{suffix}"
    code, text = run("export", "scenarios/gam-2008.yaml", "--out", str(out))
    assert code == 0, text
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(out))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(806.601961, rel=1e-6)
    assert re.search(r"envelope[\[(]tpma,2010[\])]", out.read_text())  # rows named by rule and labels


def test_export_rejects_other_file_types(tmp_path: Path) -> None:
    code, text = run("export", TUTORIAL, "--out", str(tmp_path / "x.json"))
    assert code == EXIT_BAD_INPUT and "use .mps or .lp" in text


def test_compare_prints_the_gap_and_writes_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "cmp.xlsx"
    code, text = run("compare", "scenarios/gam-2008.yaml", "scenarios/gam-2008-as-programmed.csv", "--out", str(out))
    assert code == 0, text
    gap = pd.read_excel(out, sheet_name="gap", index_col=0)
    assert gap.loc["gam-2008-as-programmed", "gap"] > 0 and gap.loc["gam-2008-as-programmed", "optimum"] == \
        pytest.approx(806.601961, rel=1e-6)
    assert "Why the optimum scores more than gam-2008-as-programmed" in text


def test_compare_errors_exit_2(tmp_path: Path) -> None:
    code, text = run("compare", TUTORIAL, str(tmp_path / "none.csv"))
    assert code == EXIT_BAD_INPUT and "no such file" in text
    bad = tmp_path / "bad.csv"
    bad.write_text("instrument,priority,region,year,amount\ntpma,return,north_africa,2031,5\n")
    code, text = run("compare", TUTORIAL, str(bad))
    assert code == EXIT_BAD_INPUT and "2031" in text


def test_a_solve_stopped_by_its_time_limit_exits_4() -> None:
    code, text = run("solve", "scenarios/gam-2008.yaml", "--option", "time_limit=0")
    assert code == EXIT_SOLVER and "solver failure" in text and "limit" in text


@pytest.mark.parametrize("command", [("simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "2", "--mode",
                                      "stress"), ("report", TUTORIAL, "--out", "report.html")])
def test_solver_failures_exit_4(command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The optimum's solve (the plan to stress-test, the report's optimum) stopping without an answer."""
    from fundsim.errors import SolverError

    def stopped(*args: object, **kwargs: object) -> None:
        raise SolverError("highs stopped with status limit", "limit")

    monkeypatch.setattr(sys.modules["fundsim.cli.core"], "solve_scenario", stopped)
    monkeypatch.setattr(sys.modules["fundsim.solving"], "solve", stopped)  # what the report solves with
    args = [str(tmp_path / a) if a == "report.html" else a for a in command]
    code, text = run(*args)
    assert code == EXIT_SOLVER and "solver failure" in text and "limit" in text


def test_compare_passes_solver_options() -> None:
    args = ("compare", "scenarios/gam-2008.yaml", "scenarios/gam-2008-as-programmed.csv")
    code, text = run(*args, "--option", "solver=simplex", "--option", "time_limit=60")
    assert code == 0 and "Why the optimum scores more than" in text
    code, text = run(*args, "--option", "no_such_option=1")
    assert code == EXIT_BAD_INPUT and "no_such_option=1" in text
    code, text = run(*args, "--option", "time_limit")
    assert code == EXIT_BAD_INPUT and "write KEY=VALUE" in text
    code, text = run(*args, "--option", "time_limit=0")  # the optimum's solve stops at once
    assert code == EXIT_SOLVER and "solver failure" in text and "limit" in text


def test_frontier_says_what_changes_at_each_breakpoint() -> None:
    code, text = run("sensitivity", "budget-frontier", TUTORIAL, "--lo", "0", "--hi", "4")
    assert code == 0, text
    assert "at t = 0.833333:" in text and "starts binding: absorption[north_africa, 2009]" in text
    assert "stops binding: pillar_max_share[development]" in text
