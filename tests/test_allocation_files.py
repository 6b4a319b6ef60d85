"""Allocation files: the three layouts read to the same cube, fundsim's own CSV and Excel files read back, and
every malformed file gives one clear error naming the file, the row or cell, and what would be valid."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

import fundsim as fs
from fundsim.comparison import AllocationFileError, read_allocation
from fundsim.comparison.metrics import cube
from fundsim.errors import FundsimWarning

HEADER = "instrument,priority,region,year,amount\n"


@pytest.fixture(scope="module")
def sc() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


@pytest.fixture(scope="module")
def optimum(sc: fs.Scenario) -> fs.Allocation:
    return fs.solve(sc)


def write(tmp_path: Path, text: str, name: str = "plan.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "plan.xlsx") -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def problems(path: Path, sc: fs.Scenario, **kwargs: object) -> list[str]:
    with pytest.raises(AllocationFileError) as info:
        read_allocation(path, sc, **kwargs)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith(f"{len(info.value.problems)} problem")
    assert str(path) in text
    return [str(p) for p in info.value.problems]


# ---- what reads ---------------------------------------------------------------------------------------
def test_fundsims_own_csv_reads_back_equal(sc: fs.Scenario, optimum: fs.Allocation, tmp_path: Path) -> None:
    optimum.to_csv(tmp_path / "opt.csv")
    back = read_allocation(tmp_path / "opt.csv", sc)
    for name in ("eu", "cofin", "total", "payments"):
        np.testing.assert_array_equal(cube(sc, back.data, name), cube(sc, optimum.data, name))
    assert back.status == "external" and back.data.attrs["name"] == "opt"
    assert back.objective == pytest.approx(optimum.objective, abs=1e-9)  # the LP-free evaluator agrees
    assert back.data.attrs["source_file"] == str(tmp_path / "opt.csv")


def test_fundsims_own_excel_reads_back_equal(sc: fs.Scenario, optimum: fs.Allocation, tmp_path: Path) -> None:
    optimum.to_excel(tmp_path / "opt.xlsx")  # the "allocation" sheet is found among the summary sheets
    back = read_allocation(tmp_path / "opt.xlsx", sc, name="from excel")
    np.testing.assert_allclose(cube(sc, back.data), cube(sc, optimum.data), atol=1e-12)
    assert back.data.attrs["name"] == "from excel"


def test_fundsims_own_netcdf_reads_back_with_its_shadow_prices(sc: fs.Scenario, optimum: fs.Allocation,
                                                               tmp_path: Path) -> None:
    optimum.save(tmp_path / "opt.nc")
    back = read_allocation(tmp_path / "opt.nc", sc)
    np.testing.assert_array_equal(cube(sc, back.data), cube(sc, optimum.data))
    assert back.data.attrs["name"] == "opt" and back.objective == back.data.attrs["objective_as_stored"] == 130.0
    assert float(back.duals["envelope"].max()) == pytest.approx(1.75)
    assert back.scenario is sc


def test_netcdf_of_another_scenario(sc: fs.Scenario, tmp_path: Path) -> None:
    other = fs.solve(sc.evolve(years=(2009, 2010), instruments=sc.instruments[:1]))
    other.save(tmp_path / "other.nc")
    assert problems(tmp_path / "other.nc", sc) == [
        f"{tmp_path / 'other.nc'}: coordinate 'instrument': the file lacks the scenario's instrument labels enpi: "
        "it was written for another scenario"]
    fake = write(tmp_path, "not netcdf", "fake.nc")
    (msg,) = problems(fake, sc)
    assert msg.startswith(f"{fake}: (top level): cannot open it as an allocation (") and "fundsim solve" in msg


def test_three_layouts_give_the_same_cube(sc: fs.Scenario, tmp_path: Path) -> None:
    long = write(tmp_path, "Instrument;Priority;Region;Year;Amount (EUR m);Source\n"
                           "TPMA;remittances;north_africa;2009;5;call 2009\n"
                           "tpma;remittances;north_africa;2010;7.5;x\n"
                           "enpi;return;north_africa;2010;12;\n", "long.csv")
    wide = write(tmp_path, "instrument,priority,region,2009,2010,notes\n"
                           "tpma,remittances,north_africa,5,7.5,a\nenpi,return,north_africa,,12,\n", "wide.csv")
    grid = workbook(tmp_path, {
        "tpma 2009": [["region", "remittances", "total"], ["north_africa", 5, 5]],
        "tpma 2010": [["region", "remittances"], ["north_africa", 7.5], ["eastern_partnership", None]],
        "enpi_2010": [["region", "return", "mobility"], ["north_africa", 12, 0], ["total", 12, 0]],
    })
    cubes = [cube(sc, read_allocation(p, sc).data) for p in (long, wide, grid)]
    assert cubes[0][0, 2, 0].tolist() == [5.0, 7.5] and cubes[0][1, 1, 0].tolist() == [0.0, 12.0]
    assert cubes[0].sum() == 24.5
    np.testing.assert_array_equal(cubes[0], cubes[1])
    np.testing.assert_array_equal(cubes[0], cubes[2])


def test_given_cofinancing_is_kept_and_blank_follows_the_rule(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, "instrument,priority,region,year,eu,co-financing\n"
                           "tpma,remittances,north_africa,2009,6,4\ntpma,return,north_africa,2009,2,\n")
    data = read_allocation(path, sc).data
    tpma: dict[str, object] = {"instrument": "tpma", "region": "north_africa", "year": 2009}
    assert float(data["cofin"].sel({"priority": "remittances", **tpma})) == 4.0  # as given (the rule asks 1.5)
    assert float(data["cofin"].sel({"priority": "return", **tpma})) == pytest.approx(0.5)  # 2·(1 − 0.8)/0.8
    assert float(data["total"].sel({"priority": "remittances", **tpma})) == 10.0


def test_money_above_envelopes_or_ineligible_is_kept_and_announced(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "tpma,remittances,north_africa,2009,12\nenpi,remittances,north_africa,2010,3\n")
    with pytest.warns(FundsimWarning, match="tpma commits 12.000 in 2009, above its usable envelope of 10.000") as w:
        alloc = read_allocation(path, sc)
    assert "1 cell the scenario makes ineligible" in str(w[0].message) and "enpi for remittances" in str(w[0].message)
    assert float(alloc.data["eu"].sum()) == 15.0
    assert "above its usable envelope" in alloc.data.attrs["envelope_check"]


def test_the_as_programmed_file_reads_cleanly_with_its_provenance() -> None:
    gam = fs.load_scenario("scenarios/gam-2008.yaml")
    path = Path("scenarios/gam-2008-as-programmed.csv")
    alloc = read_allocation(path, gam)  # FundsimWarning is an error here: no envelope or eligibility notice
    assert alloc.data.attrs["envelope_check"] == "within every usable envelope and eligible cell"
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert all(r["source"].startswith(("programmed: ", "illustration: ")) for r in rows)
    programmed = [r for r in rows if r["source"].startswith("programmed: ")]
    assert {r["instrument"] for r in programmed} >= {"tpma", "edf10", "ipa", "return_fund"}
    ipa = alloc.data["eu"].sel(instrument="ipa").sum(["priority", "region"]).values
    np.testing.assert_allclose(ipa, 66.7, atol=0.05)  # "> 600 over 2007-2015", 66.7 a year
    africa = alloc.data["in_region"].isin(["west_africa", "east_africa", "north_africa", "southern_africa"])
    lot1 = alloc.data["eu"].sel(instrument="tpma", year=[2009, 2010]).where(africa, 0.0).sum()
    assert float(lot1) >= 27.0  # TPMA call 2009-2010 lot 1 (28.5, of which 1.5 diaspora) is in it


# ---- what does not read -------------------------------------------------------------------------------
def test_unknown_instrument_is_named_with_the_closest(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "tpmaa,remittances,north_africa,2009,5\n")
    (msg,) = problems(path, sc)
    assert msg == (f"{path}:2: column 'instrument': unknown instrument 'tpmaa' (did you mean 'tpma'?); "
                   "valid instruments are: enpi, tpma")


def test_unknown_region_is_reported_once_with_every_line(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "tpma,remittances,north_afrika,2009,5\ntpma,return,north_afrika,2010,5\n")
    (msg,) = problems(path, sc)
    assert msg.startswith(f"{path}:2: column 'region' (also line 3): unknown region 'north_afrika' "
                          "(did you mean 'north_africa'?)")
    assert "valid regions are: eastern_partnership, north_africa" in msg


def test_bad_years(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "tpma,remittances,north_africa,2015,5\ntpma,return,north_africa,20x9,5\n")
    assert problems(path, sc) == [
        f"{path}:2: column 'year': year 2015 is outside the horizon: the scenario's years are 2009, 2010",
        f"{path}:3: column 'year': '20x9' is not a year: the scenario's years are 2009, 2010",
    ]


def test_missing_column_names_what_is_there_and_what_is_needed(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, "instrument,priority,year,amount\ntpma,remittances,2009,5\n")
    (msg,) = problems(path, sc)
    assert msg.startswith(f"{path}:1: header: missing column region; found 'instrument', 'priority', 'year', "
                          "'amount'. The first row must name the columns: instrument, priority, region, year")
    assert "one column per year (2009, 2010) (wide layout)" in msg


def test_non_numeric_and_negative_amounts(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, "instrument,priority,region,year,amount,cofinancing\n"
                           "tpma,remittances,north_africa,2009,ten,\ntpma,return,north_africa,2009,-3,\n"
                           "tpma,mobility,north_africa,2009,,\ntpma,mobility,north_africa,2010,2,-1\n")
    valid = "give the amount in EUR million as a number ≥ 0 (e.g. 12.5)"
    assert problems(path, sc) == [
        f"{path}:2: column 'amount': amount 'ten' is not a number: {valid}",
        f"{path}:3: column 'amount': amount '-3' is negative: {valid}",
        f"{path}:4: column 'amount': the amount is missing: {valid}",
        f"{path}:5: column 'cofinancing': co-financing '-1' is negative: give the co-financing in EUR million as "
        "a number ≥ 0 (e.g. 12.5)",
    ]


def test_duplicate_cell(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "tpma,remittances,north_africa,2009,5\nenpi,return,north_africa,2009,1\n"
                                    "TPMA,remittances,north_africa,2009,2\n")
    assert problems(path, sc) == [f"{path}:4: column 'amount': this instrument × priority × region × year is "
                                  "given again (first at line 2): give each cell once (add the amounts up)"]


@pytest.mark.parametrize("text", ["", "\n\n", HEADER])
def test_empty_file(sc: fs.Scenario, tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    (msg,) = problems(path, sc)
    assert msg.startswith(f"{path}: (top level): the file ")
    assert "instrument, priority, region, year, amount" in msg


def test_wrong_extension_and_missing_file(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "plan.txt")
    assert problems(path, sc) == [f"{path}: (top level): cannot read '.txt' files: valid allocation files are "
                                  ".csv, .xlsx, .xlsm, .nc"]
    gone = tmp_path / "gone.csv"
    assert problems(gone, sc) == [f"{gone}: (top level): no such file (give the path of a .csv, .xlsx, .xlsm, .nc "
                                  "allocation file)"]


def test_unknown_sheet_and_sheet_of_a_csv(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, {"allocation": [["instrument", "priority", "region", "year", "amount"]],
                               "notes": [["x"]]})
    assert problems(path, sc, sheet="alocation") == [
        f"{path}: sheet 'alocation': unknown sheet 'alocation' (did you mean 'allocation'?); valid sheets are: "
        "allocation, notes"]
    csv_path = write(tmp_path, HEADER + "tpma,remittances,north_africa,2009,5\n")
    assert problems(csv_path, sc, sheet="allocation") == [
        f"{csv_path}: sheet 'allocation': a .csv file has no sheets: leave sheet=None, or give an Excel file"]


def test_damaged_workbook(sc: fs.Scenario, tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    (msg,) = problems(path, sc)
    assert msg.startswith(f"{path}: (top level): cannot open the workbook (")
    assert msg.endswith("save it as .xlsx from Excel or LibreOffice, or export it to .csv")


def test_excel_problems_name_sheet_and_cell(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Plan": [["instrument", "priority", "region", "year", "amount"],
                                        ["tpma", "remitances", "north_africa", 2009, 5],
                                        ["enpi", "return", "north_africa", 2011, "n/a"]]})
    assert problems(path, sc) == [
        f"{path}: Plan!D3 (year): year 2011 is outside the horizon: the scenario's years are 2009, 2010",
        f"{path}: Plan!E3 (amount): amount 'n/a' is not a number: give the amount in EUR million as a number ≥ 0 "
        "(e.g. 12.5)",
        f"{path}: Plan!B2 (priority): unknown priority 'remitances' (did you mean 'remittances'?); valid "
        "priorities are: mobility, remittances, return",
    ]


def test_wide_layout_errors(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, "instrument,priority,region,2009,2012\ntpma,remittances,north_africa,5,x\n")
    assert problems(path, sc) == [
        f"{path}:1: column '2012': year 2012 is outside the horizon: the scenario's years are 2009, 2010",
        f"{path}:2: column '2012': amount 'x' is not a number: give the amount in EUR million as a number ≥ 0 "
        "(e.g. 12.5)",
    ]
    no_labels = write(tmp_path, "instrument,2009,2010\ntpma,5,5\n", "no_labels.csv")
    (msg,) = problems(no_labels, sc)
    assert msg.startswith(f"{no_labels}:1: header: missing columns priority, region; found 'instrument', '2009', "
                          "'2010'")


def test_grid_layout_errors(sc: fs.Scenario, tmp_path: Path) -> None:
    path = workbook(tmp_path, {"tpmx 2009": [["region", "remittances"], ["north_africa", 5]],
                               "enpi 2011": [["region", "retrun"], ["north_africa", 5]],
                               "tpma 2010": [["region", "return"], ["eastern_partnershp", -2]]})
    assert problems(path, sc) == [
        f"{path}: sheet name 'tpmx 2009': unknown instrument 'tpmx' (did you mean 'tpma'?); valid instruments "
        "are: enpi, tpma",
        f"{path}: sheet name 'enpi 2011': year 2011 is outside the horizon: the scenario's years are 2009, 2010",
        f"{path}: tpma 2010!B2 (return): amount '-2' is negative: give the amount in EUR million as a number ≥ 0 "
        "(e.g. 12.5)",
        f"{path}: enpi 2011!B1 (retrun): unknown priority 'retrun' (did you mean 'return'?); valid priorities "
        "are: mobility, remittances, return",
        f"{path}: tpma 2010!A2 (region): unknown region 'eastern_partnershp' (did you mean "
        "'eastern_partnership'?); valid regions are: eastern_partnership, north_africa",
    ]


def test_every_problem_at_once_and_the_error_pickles(sc: fs.Scenario, tmp_path: Path) -> None:
    path = write(tmp_path, "instrument,priority,region,year,amount,eu\n"
                           "tpma,remittances,north_africa,2009,5,5\nedf,return,asia,2013,-1,1\n")
    with pytest.raises(AllocationFileError) as info:
        read_allocation(path, sc)
    err = info.value
    assert len(err.problems) == 5  # two columns for the amount, year, amount, instrument, region
    assert "columns 'amount' and 'eu' both give the amount: keep one of them" in str(err)
    assert isinstance(err, fs.FundsimError) and isinstance(err, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and str(again) == str(err)
