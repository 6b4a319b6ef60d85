"""Allocation files that would crash, hang or silently mislead a reader: formula cells without a cached value,
cells and files over the limits, zip bombs, NUL bytes, huge integers, named pipes, and files of another kind
(a Monte Carlo run, a NetCDF without ``eu``). Each gives one error naming the file, the cell or line, what was
wrong and what would be valid — in Python and through the CLI (exit 2, no traceback)."""

from __future__ import annotations

import os
import re
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import app
from fundsim.comparison import AllocationFileError, read_allocation
from fundsim.comparison.files import GRID_SHEET
from fundsim.comparison.metrics import cube
from fundsim.comparison.sheets import read_xlsx
from fundsim.limits import raised

HEADER = ["instrument", "priority", "region", "year", "amount"]
ROW = "tpma,remittances,north_africa,2009,5\n"
runner = CliRunner()


@pytest.fixture(scope="module")
def sc() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


def csv_file(tmp_path: Path, body: str | bytes, name: str = "plan.csv") -> Path:
    path = tmp_path / name
    data = body.encode() if isinstance(body, str) else body
    path.write_bytes(",".join(HEADER).encode() + b"\n" + data)
    return path


def workbook(tmp_path: Path, rows: list[list[object]], name: str = "plan.xlsx", title: str = "allocation") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in [HEADER, *rows]:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def rewrite_sheet(path: Path, change: Callable[[str], str]) -> None:
    """Edit the XML of the first worksheet inside an .xlsx (as another program might have written it)."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts[member] = change(parts[member].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def refused(path: Path, sc: fs.Scenario, **kwargs: object) -> str:
    """The one problem read_allocation reports for ``path``, as text (file first)."""
    with pytest.raises(AllocationFileError) as info:
        read_allocation(path, sc, **kwargs)  # type: ignore[arg-type]
    (problem,) = info.value.problems
    text = str(problem)
    assert text.startswith(str(path)), text
    return text


def cli_refuses(*args: str) -> str:
    """Run the CLI, expect exit 2 and no traceback; the message printed."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return re.sub(r"\s+", " ", result.output)


# ---- formulas: cached values are read, a formula without one is refused -------------------------------
def test_formula_without_cached_value_is_refused_naming_sheet_and_cell(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5],
                               ["enpi", "return", "north_africa", 2010, "=2*5"],
                               ["enpi", "mobility", "north_africa", 2010, "=E3+1"]])
    text = refused(path, sc)
    assert "allocation!E3 (also E4)" in text
    assert "the formula =2*5 has no cached value" in text
    assert "open the file in Excel or LibreOffice and save it" in text
    assert str(path) in cli_refuses("compare", "scenarios/tutorial.yaml", str(path))


def test_array_formula_without_cached_value(sc: fs.Scenario, tmp_path: Path) -> None:
    from openpyxl.worksheet.formula import ArrayFormula

    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, None]])
    wb = load_workbook(path)
    wb["allocation"]["E2"] = ArrayFormula("E2:E2", "=SUM(1,2)")
    wb.save(path)
    assert refused(path, sc).startswith(f"{path}: allocation!E2: the formula =SUM(1,2) has no cached value")


def test_formula_cached_value_is_what_is_read(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, "=2*5"]])
    # what Excel leaves: the formula and the value it computed when saving (7, not 2*5, to show which is read)
    rewrite_sheet(path, lambda xml: xml.replace("<f>2*5</f><v />", "<f>2*5</f><v>7</v>"))
    alloc = read_allocation(path, sc)
    eu = cube(sc, alloc.data)
    assert eu.sum() == 7.0
    assert eu[sc.instrument_ids.index("tpma"), sc.priority_ids.index("remittances"),
              sc.region_ids.index("north_africa"), 0] == 7.0


def test_text_that_starts_with_an_equals_sign_is_no_formula(sc: fs.Scenario, tmp_path: Path) -> None:
    def saved(rows: list[list[object]], name: str) -> Path:
        wb = Workbook()
        ws = wb.active
        ws.title = "allocation"
        for row in [[*HEADER, "source"], *rows]:
            ws.append(row)
        ws["F2"].value, ws["F2"].data_type = "=call 2009", "s"  # a text cell, as Excel keeps '=call 2009
        wb.save(tmp_path / name)
        return tmp_path / name

    first = ["tpma", "remittances", "north_africa", 2009, 5, ""]
    assert cube(sc, read_allocation(saved([first], "text.xlsx"), sc).data).sum() == 5.0
    both = saved([first, ["enpi", "return", "north_africa", 2010, "=1+1", ""]], "both.xlsx")
    text = refused(both, sc)  # the formula E3 is refused, the text F2 is not
    assert "allocation!E3: the formula =1+1" in text and "F2" not in text


def test_formula_in_an_unread_total_row_of_a_grid_is_still_refused(sc: fs.Scenario, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "tpma 2009"
    for row in [["region", "remittances", "return"], ["north_africa", 5, 0], ["total", "=SUM(B2:B2)", 0]]:
        ws.append(row)
    wb.save(tmp_path / "grid.xlsx")
    text = refused(tmp_path / "grid.xlsx", sc)
    assert "tpma 2009!B3: the formula =SUM(B2:B2) has no cached value" in text


# ---- limits ------------------------------------------------------------------------------------------
def test_csv_cell_over_the_csv_modules_own_limit(sc: fs.Scenario, tmp_path: Path) -> None:
    long = "x" * 131_073  # over the csv module's field_size_limit: a csv.Error traceback before
    path = tmp_path / "plan.csv"
    path.write_text("instrument,priority,region,year,amount,source\n"
                    f"tpma,remittances,north_africa,2009,5,{long}\n")
    text = refused(path, sc)
    assert text.startswith(f"{path}:2: column 'source': the cell's 131,073 characters is above the limit "
                           "cell_chars = 10000")
    assert "FUNDSIM_LIMIT_CELL_CHARS" in text and "fundsim.limits.raised(cell_chars=...)" in text
    with raised(cell_chars=200_000):  # raised, it reads, and the ignored column changes nothing
        assert cube(sc, read_allocation(path, sc).data).sum() == 5.0


def test_xlsx_cell_over_the_limit_names_its_cell(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa" + " " * 20_000, 2009, 5]])
    text = refused(path, sc)
    assert text.startswith(f"{path}: allocation!C2 (region): the cell's 20,012 characters is above the limit "
                           "cell_chars")


def test_huge_integers_are_refused_not_a_traceback(sc: fs.Scenario, tmp_path: Path) -> None:
    big = "1" * 401
    text = refused(csv_file(tmp_path, f"tpma,remittances,north_africa,2009,{big}\n"), sc)
    assert ":2: column 'amount': an integer of 401 digits is above the limit integer_digits = 18" in text
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]])
    rewrite_sheet(path, lambda xml: xml.replace("<v>5</v>", f"<v>{big}</v>"))  # a number cell Python reads as int
    assert "allocation!E2 (amount): an integer of 401 digits is above the limit integer_digits" in refused(path, sc)


def test_a_number_python_cannot_parse_in_a_sheet(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]])
    rewrite_sheet(path, lambda xml: xml.replace("<v>5</v>", f"<v>{'9' * 5000}</v>"))  # int() refuses 5000 digits
    text = refused(path, sc)
    assert f"{path}: sheet 'allocation': cannot read the sheet (" in text
    assert "save it as .xlsx from Excel or LibreOffice, or export it to .csv" in text


def test_nul_byte_names_line_and_character(sc: fs.Scenario, tmp_path: Path) -> None:
    path = csv_file(tmp_path, ROW.encode() + b"enpi,return,north\x00_africa,2010,3\n")
    text = refused(path, sc)
    assert text == (f"{path}: (top level): a NUL byte at line 3, character 18: this is not CSV text (a binary "
                    "file, or a UTF-16 'Unicode text' export); save it as 'CSV UTF-8' or as .xlsx")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(",".join(HEADER) + "\n" + ROW, encoding="utf-16")
    assert "a NUL byte at line 1" in refused(utf16, sc)


def test_bytes_that_are_no_text_encoding(sc: fs.Scenario, tmp_path: Path) -> None:
    path = csv_file(tmp_path, ROW.encode() + b"enpi,return,north_africa,2010,\x81\n")  # 0x81: not cp1252 either
    assert refused(path, sc).endswith("line 3: byte 0x81 is neither UTF-8 nor Windows-1252 text: save the file as "
                                      "'CSV UTF-8'")


def test_file_bytes_limit(sc: fs.Scenario, tmp_path: Path) -> None:
    path = csv_file(tmp_path, ROW)
    with raised(file_bytes=20):
        text = refused(path, sc)
    size = path.stat().st_size
    assert f"the file's size ({size:,} bytes) is above the limit file_bytes = 20" in text
    assert "FUNDSIM_LIMIT_FILE_BYTES" in text


def test_rows_limit(sc: fs.Scenario, tmp_path: Path) -> None:
    path = csv_file(tmp_path, ROW + "enpi,return,north_africa,2010,3\ntpma,return,north_africa,2010,1\n")
    with raised(labels=2):
        assert "the file's 3 rows below the header is above the limit labels = 2" in refused(path, sc)
        xlsx = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]] * 3)
        assert "sheet 'allocation': the sheet's 3 rows below the header is above the limit labels" in \
            refused(xlsx, sc)


def test_zip_bomb_is_measured_before_openpyxl_opens_it(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/padding.bin", "w") as member:
        block = b"\0" * (1 << 20)
        for _ in range(201):  # 201 MiB of zeros, about 200 kB compressed
            member.write(block)
    assert path.stat().st_size < 1_000_000
    text = refused(path, sc)
    assert "the workbook's uncompressed size (210," in text and "above the limit xlsx_uncompressed_bytes = 200000000" \
        in text
    small = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]], name="small.xlsx")
    with raised(xlsx_uncompressed_bytes=1000):
        assert "FUNDSIM_LIMIT_XLSX_UNCOMPRESSED_BYTES" in refused(small, sc)


def test_false_sheet_dimensions_and_far_apart_cells(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]])
    # a sheet that claims every cell of Excel's grid: openpyxl would pad every row to 16,384 cells (100,000
    # rows: 1.6e9 cells); the dimension is ignored and rows are read as stored
    rewrite_sheet(path, lambda xml: xml.replace('<dimension ref="A1:E2" />', '<dimension ref="A1:XFD1048576" />'))
    (table,) = read_xlsx(path, None, GRID_SHEET)
    assert len(table.header) == 5 and [len(cells) for _, cells in table.rows] == [5]
    assert cube(sc, read_allocation(path, sc).data).sum() == 5.0
    # a row number beyond Excel's last row would have openpyxl yield empty rows without end
    rewrite_sheet(path, lambda xml: xml.replace("</sheetData>", '<row r="99999999999"><c r="A99999999999" t="n">'
                                                "<v>1</v></c></row></sheetData>"))
    assert "the sheet goes beyond Excel's last row 1,048,576: the file is damaged" in refused(path, sc)
    with raised(sheet_cells=9):
        two = workbook(tmp_path, [["tpma", "remittances", "north_africa", 2009, 5]], name="two.xlsx")
        assert "sheet 'allocation': the sheet's 10 cells (up to row 2) is above the limit sheet_cells = 9" \
            in refused(two, sc)


# ---- files that are not regular files, or not allocations -------------------------------------------------
def finishes(call: Callable[[], object], seconds: float = 20.0) -> BaseException | None:
    """Run ``call`` in a thread; fail if it has not finished in time (reading a FIFO would block forever)."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as err:  # handed back to the test, which asserts on it
            caught.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the reader hangs"
    return caught[0] if caught else None


@pytest.mark.parametrize("name", ["plan.csv", "plan.xlsx", "plan.nc"])
def test_named_pipe_is_refused_before_opening(sc: fs.Scenario, tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    err = finishes(lambda: read_allocation(fifo, sc))
    assert isinstance(err, AllocationFileError)
    assert "this is a named pipe, not a regular file: fundsim reads only regular files" in str(err)
    if name.endswith(".nc"):
        err = finishes(lambda: fs.open_allocation(fifo))
        assert isinstance(err, AllocationFileError) and "a named pipe, not a regular file" in str(err)


def test_named_pipe_through_the_cli(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.nc"
    os.mkfifo(fifo)
    out: list[str] = []
    assert finishes(lambda: out.append(cli_refuses("compare", "scenarios/tutorial.yaml", str(fifo)))) is None
    assert f"{fifo}: (top level): this is a named pipe, not a regular file" in out[0]
    out.clear()
    assert finishes(lambda: out.append(cli_refuses("simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "3",
                                                   "--mode", "stress", "--plan", str(fifo)))) is None
    assert "named pipe, not a regular file" in out[0]


def test_folder_and_missing_file(sc: fs.Scenario, tmp_path: Path) -> None:
    assert refused(tmp_path, sc).endswith("this is a folder, not a file: give the path of a .csv, .xlsx, .xlsm, .nc "
                                          "allocation file")
    assert "no such file" in refused(tmp_path / "nothing.xlsx", sc)
    store = tmp_path / "run.zarr"
    store.mkdir()
    with pytest.raises(AllocationFileError, match="this is a Monte Carlo run store written by 'fundsim simulate"):
        fs.open_allocation(store)


@pytest.fixture(scope="module")
def run_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "run.nc"
    fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=4, seed=1).to_netcdf(path)
    return path


def test_monte_carlo_run_is_recognised(sc: fs.Scenario, run_file: Path) -> None:
    expected = ("this is a Monte Carlo run in reoptimise mode written by 'fundsim simulate' (it has a draw dimension "
                "of 4 draws), not an allocation; write one with 'fundsim solve SCENARIO --out plan.nc' or "
                "Allocation.save('plan.nc')")
    assert refused(run_file, sc) == f"{run_file}: (top level): {expected}"
    with pytest.raises(AllocationFileError, match=re.escape(expected)):
        fs.open_allocation(run_file)
    assert expected in cli_refuses("compare", "scenarios/tutorial.yaml", str(run_file))
    assert expected in cli_refuses("simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "3", "--mode", "stress",
                                   "--plan", str(run_file))


def test_netcdf_without_eu_is_recognised(sc: fs.Scenario, tmp_path: Path) -> None:
    path = tmp_path / "other.nc"
    xr.Dataset({"temperature": ("time", np.arange(3.0))}).to_netcdf(path)
    expected = ("this is not an allocation written by fundsim: it has no 'eu' variable (EU commitments by "
                "instrument, priority, region, year); it holds temperature")
    assert expected in refused(path, sc)
    assert expected in cli_refuses("compare", "scenarios/tutorial.yaml", str(path))
    with pytest.raises(AllocationFileError, match="it holds temperature"):
        fs.open_allocation(path)


def test_allocation_missing_a_variable_or_labels(sc: fs.Scenario, tmp_path: Path) -> None:
    fs.solve(sc).save(tmp_path / "opt.nc")
    ds = xr.load_dataset(tmp_path / "opt.nc")
    ds.drop_vars("eligible").to_netcdf(tmp_path / "no-eligible.nc")
    assert refused(tmp_path / "no-eligible.nc", sc).endswith(
        "this is not an allocation written by fundsim: it lacks eligible (fundsim writes eu, cofin, total, payments "
        "and eligible); write one with 'fundsim solve SCENARIO --out plan.nc' or Allocation.save('plan.nc')")
    ds[["eu"]].sum("year").to_netcdf(tmp_path / "no-year.nc")
    assert "its 'eu' is over (instrument, priority, region), not (instrument, priority, region, year)" in refused(
        tmp_path / "no-year.nc", sc)
    ds.drop_vars("region").to_netcdf(tmp_path / "no-labels.nc")
    assert "its dimensions region have no labels (ids)" in refused(tmp_path / "no-labels.nc", sc)


def test_sensitivity_study_and_scenario_file_are_recognised(tmp_path: Path) -> None:
    study = fs.sensitivity.sweep(fs.load_scenario("scenarios/tutorial.yaml"), "instruments.tpma.envelope", [1.0],
                                 relative=True)
    study.to_netcdf(tmp_path / "sweep.nc")
    with pytest.raises(AllocationFileError, match="this is a sweep study written by 'fundsim sensitivity sweep'"):
        fs.open_allocation(tmp_path / "sweep.nc")
    with pytest.raises(AllocationFileError, match=r"this is a scenario file, not an allocation: fs.solve\(path\)"):
        fs.open_allocation("scenarios/tutorial.yaml")
    with pytest.raises(AllocationFileError, match=r"read a CSV or Excel allocation with fs.read_allocation"):
        fs.open_allocation("scenarios/gam-2008-as-programmed.csv")


def test_errors_survive_pickling(sc: fs.Scenario, tmp_path: Path) -> None:
    import pickle

    with pytest.raises(AllocationFileError) as info:
        read_allocation(csv_file(tmp_path, b"\x00"), sc)
    back = pickle.loads(pickle.dumps(info.value))
    assert back.problems == info.value.problems and str(back) == str(info.value)
