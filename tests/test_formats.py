"""The number policy of fundsim.formats: hand-written strings for money, shares and counts, the column rules,
and the report and the CLI read by it (no e-notation, no -0.0, shares in %)."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import app
from fundsim.comparison import read_allocation
from fundsim.formats import MISSING, column_kind, count, decimals_for, format_frame, label, money, percent, share
from fundsim.montecarlo import Evaluation
from fundsim.reporting import report

ROOT = Path(__file__).resolve().parents[1]
E_NOTATION = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d*)?[eE][-+]?\d+(?![\w.])")
NEGATIVE_ZERO = re.compile(r"(?<![\d.])-0(?:\.0+)?(?![\d.])")
SHARE_COLUMNS = {"share_of_eu", "share_of_region", "share_of_gap", "binds_in", "infeasible_share", "probability",
                 "max EU rate (co-financing)", "gap_percent"}


class Tables(HTMLParser):
    """Each table of a page by its caption: its rows of cell texts, the header first."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._last = ""
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figcaption":
            self._caption = []
        elif tag == "table":
            self._rows = []
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption" and self._caption is not None:
            self._last, self._caption = "".join(self._caption), None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._last:
            self.tables[self._last] = self._rows

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


# ---- the scalar formats, against hand-written strings ------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (1.83e4, "18,300.0"), (18305, "18,305.0"), (12345.64, "12,345.6"), (7986.45, "7,986.5"), (0, "0.0"),
    (1e-12, "0.0"), (-1e-12, "0.0"), (-0.04, "0.0"), (-0.0, "0.0"), (-0.06, "-0.1"), (-1234.56, "-1,234.6"),
    (1.25, "1.3"), (3.7499999999999996, "3.8"), (0.05, "0.1"), (999.96, "1,000.0"),
])
def test_money_has_one_fixed_decimal_and_no_negative_zero(value: float, expected: str) -> None:
    assert money(value) == expected


def test_money_takes_the_decimals_of_its_table() -> None:
    assert money(1234567.891, 2) == "1,234,567.89"
    assert money(2.675, 2) == "2.68"  # 2.67499999… in binary, 2.675 as written
    assert money(-0.004, 2) == "0.00"
    assert money(12.5, 0) == "13"
    assert money(0.1234567, 6) == "0.123457"


@pytest.mark.parametrize(("value", "expected"), [
    (0.1234, "12.3 %"), (0.5, "50.0 %"), (1, "100.0 %"), (1.0197, "102.0 %"), (-0.0116, "-1.2 %"),
    (1e-12, "0.0 %"), (-1e-12, "0.0 %"), (-0.0004, "0.0 %"), (0.0005, "0.1 %"), (7 / 12, "58.3 %"),
])
def test_a_share_is_a_fraction_shown_in_percent(value: float, expected: str) -> None:
    assert share(value) == expected


def test_shares_and_percentages_take_decimals() -> None:
    assert share(0.125, 0) == "13 %"
    assert share(0.123456, 2) == "12.35 %"
    assert percent(27.632925) == "27.6 %"
    assert percent(-1e-9) == "0.0 %"


@pytest.mark.parametrize(("value", "expected"), [(1234, "1,234"), (0, "0"), (7.0, "7"), (1234567, "1,234,567"),
                                                 (-3, "-3"), (2.5, "3")])
def test_a_count_is_whole_with_thousands_separators(value: float, expected: str) -> None:
    assert count(value) == expected


@pytest.mark.parametrize("missing", [float("nan"), None, pd.NA])
def test_a_missing_value_is_a_dash(missing: object) -> None:
    assert MISSING == "–"
    assert money(missing) == share(missing) == percent(missing) == count(missing) == "–"  # type: ignore[arg-type]


def test_infinities_are_named() -> None:
    assert money(math.inf) == "∞" and money(-math.inf) == "-∞"


@pytest.mark.parametrize("power", [-300, -20, -7, 0, 6, 15, 16, 17, 21, 100, 300])
def test_no_magnitude_gives_e_notation(power: int) -> None:
    for sign in (1, -1):
        value = sign * 1.5 * 10.0**power
        text = money(value)
        assert not E_NOTATION.search(text) and "e" not in text.lower(), text
        assert not share(value).lower().count("e")
        if power >= 0:  # every digit of the whole part is there: 1 and 5 followed by the zeros
            whole = text.split(".")[0].replace(",", "").lstrip("-")
            assert len(whole) == power + 1 and whole.startswith("15" if power else "1"), text
        else:
            assert text == "0.0"


def test_labels_are_shown_as_written() -> None:
    assert label("<b>north_africa</b>") == "<b>north_africa</b>"
    assert [label(v) for v in (0.6, 1.0, 2 / 3, 1e-05, 1e16, 2009, -0.25)] == [
        "0.6", "1", "0.666667", "0.00001", "10000000000000000", "2009", "-0.25"]


# ---- columns ----------------------------------------------------------------------------------------------

def test_column_kinds_by_documented_rules() -> None:
    frame = pd.DataFrame({"eu": [1.5], "share_of_eu": [0.2], "gap_percent": [3.0], "draws": [8], "rule": ["x"],
                          "held": [True], "q95": [3.2], "pillar share: legal": [12.0], "lapsed": [0.0]})
    kinds = {name: column_kind(name, values) for name, values in frame.items()}
    assert kinds == {"eu": "money", "share_of_eu": "share", "gap_percent": "percent", "draws": "count",
                     "rule": "text", "held": "text", "q95": "number",
                     "pillar share: legal": "number",  # a percentage in the metrics: a name's look decides nothing
                     "lapsed": "number"}


def test_decimals_of_a_plain_number_column() -> None:
    assert decimals_for([0.1, 0.0104]) == 4  # 0.1000, 0.0104: four significant digits of the largest
    assert decimals_for([0.0123]) == 5
    assert decimals_for([804.97, 582.5]) == 1
    assert decimals_for([1e-9]) == 6
    assert decimals_for([104.0, 82.0]) == 0
    assert decimals_for([]) == decimals_for([0.0, float("nan")]) == 1


def test_format_frame_follows_stated_kinds_then_the_rules() -> None:
    frame = pd.DataFrame({"name": ["a", None], "envelope": [18305.0, -1e-12], "rate": [0.8, 0.85], "n": [20, 1234],
                          "price": [0.1, 0.0104]}, index=[0.5, 1e-05])
    shown = format_frame(frame, {"envelope": "money", "rate": "share"})
    assert shown.index.tolist() == ["0.5", "0.00001"]
    assert shown.columns.tolist() == frame.columns.tolist()
    assert shown.to_numpy().tolist() == [["a", "18,305.0", "80.0 %", "20", "0.1000"],
                                         ["–", "0.0", "85.0 %", "1,234", "0.0104"]]
    assert format_frame(frame, "money", {"price": 2}).iloc[0].tolist() == ["a", "18,305.0", "0.8", "20.0", "0.10"]


def test_a_units_column_formats_plain_numbers_row_by_row() -> None:
    frame = pd.DataFrame({"units": ["EUR m", "% of EU commitments", "index (1/n to 1)", "index (1/n to 1)", "cells",
                                    "share"],
                          "optimum": [852.710067, 12.038243, 0.086519, 0.209448, 104.0, 0.25],
                          "other": [1034.86, 5.406528, 0.156002, 0.213446, 82.0, 0.5]})
    assert format_frame(frame).to_numpy().tolist() == [
        ["EUR m", "852.7", "1,034.9"], ["% of EU commitments", "12.0", "5.4"],
        ["index (1/n to 1)", "0.0865", "0.1560"], ["index (1/n to 1)", "0.2094", "0.2134"],
        ["cells", "104", "82"], ["share", "25.0 %", "50.0 %"]]
    assert format_frame(frame, decimals={"other": 2})["other"].tolist()[:2] == ["1,034.86", "5.41"]


def test_an_unknown_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValueError, match=r"unknown column kind \['euro'\]; the kinds are money, share, percent"):
        format_frame(pd.DataFrame({"eu": [1.0]}), {"eu": "euro"})  # type: ignore[dict-item]


# ---- the report and the CLI read by the policy ------------------------------------------------------------

PLAN = """instrument,priority,region,year,amount
tpma,remittances,north_africa,2009,10
tpma,mobility,eastern_partnership,2010,10
enpi,return,north_africa,2009,20
enpi,mobility,eastern_partnership,2010,5
"""
"""A plan of the tutorial worth 10 × 3 + 10 × 1.5 + 20 × 2 + 5 × 1.5 = 92.5 (the optimum 130: a gap of 37.5, 28.8 %),
North Africa over its absorption capacity of 25 in 2009 by 5."""


@pytest.fixture(scope="module")
def tutorial_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[str]]]:
    """The tables of the report of the uncertain tutorial with a target (legal migration at least 10 %), compared
    with :data:`PLAN` and simulated: every section."""
    folder = tmp_path_factory.mktemp("tutorial")
    (folder / "targets.yaml").write_text(
        f"extends: {ROOT / 'scenarios' / 'tutorial-uncertain.yaml'}\nname: tutorial-targets\nrules:\n"
        "  pillar_balance:\n    - {pillar: development, max_share: 0.25}\n    - {pillar: legal, min_share: 0.1}\n",
        encoding="utf-8")
    sc = fs.load_scenario(folder / "targets.yaml")
    path = folder / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    run = fs.simulate(sc, draws=8, seed=1, evaluation=Evaluation(executor="sequential"))
    return Tables(report(sc, compare=[read_allocation(path, sc)], simulation=run)).tables


def _column(table: list[list[str]], name: str) -> list[str]:
    header = next(row for row in table if name in row)
    at = header.index(name)
    return [row[at] for row in table[table.index(header) + 1:] if len(row) > at and row[at]]


def test_no_table_of_the_report_has_e_notation_or_negative_zero(tutorial_tables: dict[str, list[list[str]]]) -> None:
    assert len(tutorial_tables) >= 17  # every section's tables: scenario to Monte Carlo
    cells = [(caption, cell) for caption, rows in tutorial_tables.items() for row in rows for cell in row]
    assert not [c for c in cells if E_NOTATION.search(c[1])]
    assert not [c for c in cells if NEGATIVE_ZERO.search(c[1])]


def test_every_share_column_of_the_report_reads_in_percent(tutorial_tables: dict[str, list[list[str]]]) -> None:
    found = {}
    for caption, rows in tutorial_tables.items():
        for name in SHARE_COLUMNS & {cell for row in rows[:2] for cell in row}:
            cells = _column(rows, name)
            assert cells and all(re.fullmatch(r"-?[\d,]+\.\d %", c) for c in cells), (caption, name, cells)
            found[name] = found.get(name, 0) + 1
    assert set(found) == SHARE_COLUMNS - {"share_of_region"}  # the tutorial plans no country on its own


def test_the_report_reads_the_tutorial_as_worked_by_hand(tutorial_tables: dict[str, list[list[str]]]) -> None:
    instruments = tutorial_tables["Instruments over the whole horizon"]
    assert _column(instruments, "max EU rate (co-financing)") == ["80.0 %", "100.0 %"]  # tpma 0.8; enpi 1 by default
    assert _column(instruments, "envelope (EUR m)") == ["20.0", "40.0"]  # 10 + 10; 20 a year
    by_pillar = tutorial_tables["By pillar (EUR m; share_of_eu is the share of all EU money)"]
    assert _column(by_pillar, "share_of_eu") == ["25.0 %", "58.3 %", "16.7 %"]  # 15, 35 and 10 of 60
    assert _column(by_pillar, "total") == ["18.8", "35.0", "11.3"]  # 15 + 3.75 (a quarter of 15 at 80 %); 10 + 1.25
    gap = tutorial_tables["Objective and gap to the optimum"]
    assert gap[-1] == ["plan", "92.50", "130.00", "37.50", "28.8 %"]
    breaches = tutorial_tables["Rules each allocation breaks, with the size of the breach"]
    assert _column(breaches, "size") == ["5.00"]


@pytest.fixture(scope="module")
def gam_tables() -> dict[str, list[list[str]]]:
    return Tables(report(ROOT / "scenarios" / "gam-2008.yaml")).tables


def test_large_envelopes_read_in_full(gam_tables: dict[str, list[list[str]]]) -> None:
    countries = gam_tables["Countries planned on their own (EUR m; share_of_region is the share of the region's EU "
                           "money)"]
    assert all(re.fullmatch(r"[\d,]+\.\d %", c) for c in _column(countries, "share_of_region"))
    envelopes = _column(gam_tables["Instruments over the whole horizon"], "envelope (EUR m)")
    assert envelopes[1:3] == ["18,305.0", "7,986.5"]  # EDF10 3 661 a year over 2009-2013; ENPI 7 986.45
    cells = [cell for rows in gam_tables.values() for row in rows for cell in row]
    assert not [c for c in cells if E_NOTATION.search(c) or NEGATIVE_ZERO.search(c)]


def _table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("│")]


def test_cli_solve_tables_follow_the_policy() -> None:
    result = CliRunner().invoke(app, ["solve", "scenarios/tutorial.yaml"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    lines = _table_lines(result.output)
    assert lines and not [line for line in lines if E_NOTATION.search(line) or NEGATIVE_ZERO.search(line)]
    rows = [[cell.strip() for cell in line.strip("│").split("│")] for line in lines]
    assert ["development", "15.0", "3.8", "18.8", "25.0 %"] in rows  # cofin 3.75 rounds half up
    assert ["legal", "10.0", "1.3", "11.3", "16.7 %"] in rows


def test_cli_simulate_tables_follow_the_policy() -> None:
    result = CliRunner().invoke(app, ["simulate", "scenarios/tutorial-uncertain.yaml", "--draws", "8", "--seed", "1"],
                                env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    lines = _table_lines(result.output)
    assert not [line for line in lines if E_NOTATION.search(line) or NEGATIVE_ZERO.search(line)]
    binding = [line for line in lines if "tpma, 2009" in line]
    assert binding and "100.0 %" in binding[0]  # TPMA's envelope binds in every draw
