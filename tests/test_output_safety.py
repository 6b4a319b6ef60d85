"""Nothing a user has is lost and nothing fundsim writes can execute: outputs are checked before any work,
written atomically, never over an input or a file the command line did not name; text cells that a
spreadsheet would read as formulas are neutralised; the HTML report and the console show user text as
text, never as markup."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, app

TUTORIAL = Path("scenarios/tutorial.yaml")
FORMULAS = ("=HYPERLINK(\"http://x\")", "+1+2", "-3+4", "@SUM(A1)")


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def tutorial() -> fs.Allocation:
    return fs.solve(fs.load_scenario(TUTORIAL))


def no_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any solve fail the test: the command must refuse before it computes anything."""
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the command solved before refusing its output")

    monkeypatch.setattr(sys.modules["fundsim.cli.core"], "solve_scenario", forbidden)
    monkeypatch.setattr(sys.modules["fundsim.solving"], "solve", forbidden)
    monkeypatch.setattr(sys.modules["fundsim.cli.core"], "load", forbidden)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- never over an input, a folder, or a file not named ---------------------------------------------------
@pytest.mark.parametrize("kind", [".csv", ".xlsx"])
def test_compare_out_naming_its_own_input_is_refused(kind: str, tutorial: fs.Allocation, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / f"plan{kind}"
    tutorial.save(plan)
    before = plan.read_bytes()
    no_solve(monkeypatch)
    code, text = run("compare", TUTORIAL, plan, "--out", plan)
    assert code == EXIT_BAD_INPUT
    assert "names one of this command's own inputs" in text.replace("\n", " ")
    assert plan.read_bytes() == before


def test_solve_never_replaces_a_file_it_was_not_given(tmp_path: Path) -> None:
    mine = tmp_path / "plan-shadow-prices.csv"
    mine.write_text("my own notes, not fundsim's\n")
    code, text = run("solve", TUTORIAL, "--out", tmp_path / "plan.csv")
    assert code == 0, text
    assert mine.read_text() == "my own notes, not fundsim's\n"
    assert files_in(tmp_path) == ["plan-shadow-prices.csv", "plan.csv"]
    assert pd.read_csv(tmp_path / "plan.csv")["eu"].sum() == pytest.approx(60.0)


def test_running_the_same_command_twice_replaces_its_own_outputs(tmp_path: Path) -> None:
    args = ["solve", TUTORIAL, "--out", tmp_path / "a.nc", "--out", tmp_path / "a.xlsx", "--out",
            tmp_path / "a.csv", "--shadow-prices", tmp_path / "prices.csv"]
    assert run(*args)[0] == 0
    first = pd.read_csv(tmp_path / "prices.csv")
    code, text = run(*args)
    assert code == 0, text
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "prices.csv"), first)
    assert files_in(tmp_path) == ["a.csv", "a.nc", "a.xlsx", "prices.csv"]  # no temporary file left


@pytest.mark.parametrize("command", [
    ("solve", TUTORIAL, "--out"),
    ("export", TUTORIAL, "--out"),
    ("report", TUTORIAL, "--out"),
    ("compare", TUTORIAL, "scenarios/gam-2008-as-programmed.csv", "--out"),
    ("sensitivity", "sweep", TUTORIAL, "instruments.tpma.envelope", "--values", "1", "--out"),
])
def test_an_output_under_a_plain_file_is_refused_before_any_work(command: tuple[object, ...], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "plainfile"
    blocker.write_text("a file, not a folder")
    suffix = {"solve": ".nc", "export": ".mps", "report": ".html", "compare": ".xlsx", "sensitivity": ".nc"}
    no_solve(monkeypatch)
    monkeypatch.setattr(sys.modules["fundsim.cli.sensitivity"], "load", lambda path: pytest.fail("loaded"))
    code, text = run(*command, blocker / f"x{suffix[str(command[0])]}")
    assert code == EXIT_BAD_INPUT, text
    assert "plainfile is a file, not a folder" in text.replace("\n", " ")
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.parametrize(("command", "name"), [
    (("export", TUTORIAL), "model.mps"),
    (("solve", TUTORIAL), "plan.nc"),
    (("report", TUTORIAL), "report.html"),
])
def test_an_output_that_is_a_folder_is_refused(command: tuple[object, ...], name: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    no_solve(monkeypatch)
    code, text = run(*command, "--out", folder)
    assert code == EXIT_BAD_INPUT
    assert "a folder of that name exists" in text.replace("\n", " ")
    assert files_in(folder) == ["keep.txt"]


def test_a_folder_without_a_suffix_is_named_as_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "models").mkdir()
    no_solve(monkeypatch)
    code, text = run("export", TUTORIAL, "--out", tmp_path / "models")
    assert code == EXIT_BAD_INPUT and "models: a folder, not a file; use .mps or .lp" in text.replace("\n", " ")


def test_an_output_named_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_solve(monkeypatch)
    code, text = run("solve", TUTORIAL, "--out", tmp_path / "a.csv", "--shadow-prices", tmp_path / "a.csv")
    assert code == EXIT_BAD_INPUT and "named twice" in text


def test_the_shadow_prices_go_only_where_they_are_asked(tmp_path: Path) -> None:
    code, text = run("solve", TUTORIAL, "--shadow-prices", tmp_path / "prices.csv")
    assert code == 0, text
    prices = pd.read_csv(tmp_path / "prices.csv").set_index(["rule", "where"])["shadow_price"]
    assert prices.loc[("absorption", "north_africa, 2009")] == pytest.approx(0.5)  # the tutorial's hand solution
    assert prices.loc[("envelope", "tpma, 2009")] == pytest.approx(1.75)
    code, text = run("solve", TUTORIAL, "--shadow-prices", tmp_path / "prices.xlsx")
    assert code == EXIT_BAD_INPUT and "use .csv" in text


# ---- atomic writes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stop", [OSError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("suffix", [".nc", ".csv", ".xlsx"])
def test_a_write_stopped_midway_leaves_the_old_file_and_no_temporary(
        suffix: str, stop: BaseException, tutorial: fs.Allocation, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"plan{suffix}"
    path.write_bytes(b"the old file")

    def half_then_fail(self: object, target: object, *args: object, **kwargs: object) -> None:
        if isinstance(target, str | Path):  # to_excel's target is the open workbook writer instead
            Path(target).write_bytes(b"half a fi")
        raise stop

    monkeypatch.setattr(xr.Dataset, "to_netcdf", half_then_fail)
    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    monkeypatch.setattr(pd.DataFrame, "to_excel", half_then_fail)
    with pytest.raises(type(stop)):
        tutorial.save(path)
    assert path.read_bytes() == b"the old file"
    assert files_in(tmp_path) == [path.name]


def test_an_interrupted_report_or_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import highspy

    from fundsim.solvers.export import write_program

    def half_then_interrupt(target: object, *args: object) -> None:
        Path(str(target)).write_bytes(b"half a fi")
        raise KeyboardInterrupt

    sc = fs.load_scenario(TUTORIAL)
    program = fs.assemble(sc)
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: half_then_interrupt(self))
    with pytest.raises(KeyboardInterrupt):
        fs.report(sc, out=tmp_path / "r.html")
    monkeypatch.setattr(highspy.Highs, "writeModel", lambda self, target: half_then_interrupt(target))
    with pytest.raises(KeyboardInterrupt):
        write_program(program, tmp_path / "m.mps")
    assert files_in(tmp_path) == []


# ---- formula injection --------------------------------------------------------------------------------------
def relabelled(alloc: fs.Allocation) -> fs.Allocation:
    """The tutorial's optimum with region and priority labels that a spreadsheet would run as formulas."""
    regions = {"north_africa": FORMULAS[0], "eastern_partnership": FORMULAS[1]}
    priorities = {"mobility": FORMULAS[2], "return": FORMULAS[3], "remittances": "remittances"}

    def rename(ds: xr.Dataset) -> xr.Dataset:
        for dim, new in (("region", regions), ("priority", priorities)):
            if dim in ds.dims:
                ds = ds.assign_coords({dim: [new[str(v)] for v in ds[dim].values]})
        return ds

    data = rename(alloc.data)
    data.attrs["scenario"] = "=cmd|' /C calc'!A0"
    return fs.Allocation(data, rename(alloc.duals))


def assert_neutral_sheets(path: Path) -> int:
    """Every cell of the workbook: no formula, and every text that starts like one starts with an apostrophe;
    returns how many neutralised cells there are."""
    found = 0
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value.lstrip("'").startswith(("=", "+", "-", "@")):
                    assert c.value.startswith("'"), (ws.title, c.coordinate, c.value)
                    found += 1
    return found


def test_labels_that_read_as_formulas_are_neutralised_in_csv(tutorial: fs.Allocation, tmp_path: Path) -> None:
    alloc = relabelled(tutorial)
    alloc.save(tmp_path / "plan.csv")
    alloc.save_shadow_prices(tmp_path / "prices.csv")
    with open(tmp_path / "plan.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["region"] for r in rows} == {"'" + FORMULAS[0], "'" + FORMULAS[1]}
    assert {r["priority"] for r in rows} == {"'" + FORMULAS[2], "'" + FORMULAS[3], "remittances"}
    assert sum(float(r["eu"]) for r in rows) == pytest.approx(60.0)  # numbers stay numbers
    with open(tmp_path / "prices.csv", newline="") as f:
        where = {r["where"] for r in csv.DictReader(f)}
    assert "'" + FORMULAS[0] + ", 2009" in where


def test_labels_that_read_as_formulas_are_neutralised_in_excel(tutorial: fs.Allocation, tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    relabelled(tutorial).save(path)
    assert assert_neutral_sheets(path) > 10
    ws = openpyxl.load_workbook(path)["allocation"]
    header = [c.value for c in ws[1]]
    regions = {ws.cell(row=r, column=header.index("region") + 1).value for r in range(2, ws.max_row + 1)}
    assert regions == {"'" + FORMULAS[0], "'" + FORMULAS[1]}
    eu = [ws.cell(row=r, column=header.index("eu") + 1).value for r in range(2, ws.max_row + 1)]
    assert sum(eu) == pytest.approx(60.0)
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)["metadata"].iter_rows(min_row=2)}
    assert meta["scenario"] == "'=cmd|' /C calc'!A0" and meta["objective"] == pytest.approx(130.0)


def test_comparison_workbook_neutralises_allocation_names(tutorial: fs.Allocation, tmp_path: Path) -> None:
    sc = fs.load_scenario(TUTORIAL)
    other = fs.read_allocation(Path(tutorial.save(tmp_path / "mine.csv")), sc)
    comparison = fs.compare(tutorial, other, scenario=sc, names=["@optimum", "=2+3 [a]"])
    path = comparison.to_excel(tmp_path / "cmp.xlsx")
    assert assert_neutral_sheets(path) >= 4
    header = [c.value for c in openpyxl.load_workbook(path)["metrics"][1]]
    assert header[-2:] == ["'@optimum", "'=2+3 [a]"]


def test_a_scenario_name_that_reads_as_a_formula_from_the_command_line(tmp_path: Path) -> None:
    spec = yaml.safe_load(TUTORIAL.read_text())
    spec["name"] = "=1+2"
    spec["regions"][0]["note"] = "@SUM(A1:A9)"
    path = tmp_path / "formula.yaml"
    path.write_text(yaml.safe_dump(spec))
    code, text = run("solve", path, "--out", tmp_path / "plan.xlsx")
    assert code == 0, text
    assert assert_neutral_sheets(tmp_path / "plan.xlsx") >= 1
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(tmp_path / "plan.xlsx")["metadata"].iter_rows()}
    assert meta["scenario"] == "'=1+2"


# ---- the HTML report escapes user text ----------------------------------------------------------------------
def test_the_report_escapes_every_label(tmp_path: Path) -> None:
    script = "<script>alert(1)</script>"
    spec = yaml.safe_load(TUTORIAL.read_text())
    spec["name"] = script
    spec["description"] = script
    spec["instruments"][0]["name"] = script
    path = tmp_path / "script.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "report.html"
    code, text = run("report", path, "--out", out)
    assert code == 0, text
    page = out.read_text()
    assert script not in page and "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, heading, instrument table


# ---- the console shows user text verbatim -------------------------------------------------------------------
def test_markup_in_paths_names_and_options_is_shown_verbatim(tmp_path: Path) -> None:
    folder = tmp_path / "[bold]runs[/x]"  # the slash makes it two folders, "[bold]runs[" and "x]"
    folder.mkdir(parents=True)
    spec = yaml.safe_load(TUTORIAL.read_text())
    spec["name"] = "[bold]plan[/x] [red]"
    path = folder / "s[/x].yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(spec))
    code, text = run("validate", path)
    assert code == 0, text
    assert f"ok {path}: scenario '[bold]plan[/x] [red]'" in text
    code, text = run("solve", path, "--out", folder / "[/x].csv")
    assert code == 0, text
    assert "[bold]plan[/x] [red]: optimal, objective 130.0000" in text
    assert f"wrote {folder / '[/x].csv'}" in text
    code, text = run("solve", folder / "[/x]missing.yaml")
    assert code == EXIT_BAD_INPUT and "[/x]missing.yaml" in text and "Traceback" not in text
    code, text = run("solve", path, "--option", "[bold]x[/x]=1")
    assert code == EXIT_BAD_INPUT and "[bold]x[/x]" in text
    code, text = run("sensitivity", "sweep", path, "no.such[/x]", "--values", "1")
    assert code == EXIT_BAD_INPUT and "no.such[/x]" in text and "MarkupError" not in text


def test_bracketed_labels_show_verbatim_in_tables(tutorial: fs.Allocation, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from rich.console import Console

    from fundsim.cli import common

    monkeypatch.setattr(common, "out", Console(width=200, highlight=False))
    frame = pd.DataFrame({"[b]col[/b]": ["[/x]", "[red]r"]}, index=["[bold]row[/]", "north"])
    common.print_frame(frame, "[i]title[/x]")
    shown = capsys.readouterr().out
    for text in ("[i]title[/x]", "[b]col[/b]", "[bold]row[/]", "[/x]", "[red]r"):
        assert text in shown, text


def test_threads_above_the_cores_exit_2_naming_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from fundsim.cli import core

    no_solve(monkeypatch)
    code, text = run("solve", TUTORIAL, "--option", "threads=100000")
    assert code == EXIT_BAD_INPUT
    assert f"from 1 to {core._cores()}, the number of cores on this machine (the limit)" in text.replace("\n", " ")
    code, text = run("solve", TUTORIAL, "--option", "threads=lots")
    assert code == EXIT_BAD_INPUT and "threads=lots" in text


def test_written_files_get_the_permissions_of_a_new_file_or_keep_the_replaced_ones(tmp_path: Path) -> None:
    import os
    import stat

    from fundsim.outputs import atomic_file

    old = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "new.csv") as tmp:
            tmp.write_text("a\n")
        assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644  # not mkstemp's 0o600
        kept = tmp_path / "kept.csv"
        kept.write_text("old\n")
        kept.chmod(0o640)
        with atomic_file(kept) as tmp:
            tmp.write_text("new\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "new\n"
    finally:
        os.umask(old)
