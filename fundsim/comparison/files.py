"""Reading allocation files into entries: the tables of a CSV file or workbook, their layouts (long, wide by
year, grid) and every problem found on the way, each with file, line or Sheet!cell and what would be valid.

:func:`fundsim.comparison.read_allocation` builds the allocation from the entries; the layouts are described
there.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fundsim import limits
from fundsim.comparison.sheets import read_xlsx
from fundsim.comparison.tables import Table, screen
from fundsim.comparison.tables import show as _show
from fundsim.comparison.tables import text as _text
from fundsim.errors import Problem
from fundsim.model import Scenario
from fundsim.results.inputs import AllocationFileError, check_file, refuse
from fundsim.rules.fields import suggest

__all__ = ["ALIASES", "SUFFIXES", "AllocationFileError", "Entry", "Reader", "Table", "check_path", "duplicates",
           "parse", "read_tables"]

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".nc")
ALIASES: dict[str, tuple[str, ...]] = {
    "instrument": ("instrument", "instruments", "instrument_id", "fund"),
    "priority": ("priority", "priorities", "priority_id", "theme"),
    "region": ("region", "regions", "region_id"),
    "year": ("year", "years", "commitment_year"),
    "eu": ("amount", "eu", "eu_amount", "eu_commitment", "commitment", "commitments"),
    "cofin": ("cofinancing", "cofin", "co_financing", "match"),
}
LABELS = ("instrument", "priority", "region")
GRID_SHEET = re.compile(r"^\s*(\S+?)[\s_-]+(\d{4})\s*$")
VALID = f"a {', '.join(SUFFIXES)} allocation file"


@dataclass(frozen=True)
class Entry:
    """One amount read from a file: its cell of the cube, EU money, co-financing (NaN: by the rule), origin.

    Examples
    --------
    >>> import pathlib, tempfile, fundsim as fs
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.csv"
    >>> _ = path.write_text("instrument,priority,region,year,amount\\ntpma,remittances,north_africa,2009,7.5")
    >>> entry = parse(read_tables(path, ".csv", None)[0], Reader(fs.load_scenario("scenarios/tutorial.yaml")))[0]
    >>> entry.cell, entry.eu, entry.row  # (instrument, priority, region, year) positions; line 2 of the file
    ((0, 2, 0, 0), 7.5, 2)
    """

    cell: tuple[int, int, int, int]
    eu: float
    cofin: float
    table: Table
    row: int
    col: int


def _year(value: Any, years: tuple[int, ...]) -> tuple[int | None, str]:
    """Position of a year in the horizon, or ``None`` and what is wrong."""
    number = _number(value)
    valid = f"the scenario's years are {', '.join(map(str, years))}"
    if number is None or not float(number).is_integer():
        return None, f"{_show(value)} is not a year: {valid}"
    if int(number) not in years:
        return None, f"year {int(number)} is outside the horizon: {valid}"
    return years.index(int(number)), ""


def _amount(value: Any, what: str, blank: float | None) -> tuple[float | None, str]:
    """A money amount ≥ 0, or ``None`` and what is wrong; an empty cell gives ``blank`` (``None``: required)."""
    valid = f"give the {what} in EUR million as a number ≥ 0 (e.g. 12.5)"
    if _text(value) == "":
        return blank, "" if blank is not None else f"the {what} is missing: {valid}"
    number = _number(value)
    if number is None or not math.isfinite(number):
        return None, f"{what} {_show(value)} is not a number: {valid}"
    if number < 0:
        return None, f"{what} {_show(value)} is negative: {valid}"
    return number, ""


@dataclass
class Reader:
    """Resolves labels against a scenario and collects problems; unknown labels are grouped by value.

    Examples
    --------
    >>> import fundsim as fs
    >>> reader = Reader(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> reader.find("instrument", "TPMA"), reader.find("region", "sahel"), reader.problems
    (0, None, [])
    """

    sc: Scenario
    problems: list[Problem] = field(default_factory=list)
    unknown: dict[tuple[str, str, int], list[tuple[Table, int, int]]] = field(default_factory=dict)

    def ids(self, dim: str) -> tuple[str, ...]:
        return {"instrument": self.sc.instrument_ids, "priority": self.sc.priority_ids,
                "region": self.sc.region_ids}[dim]

    def find(self, dim: str, value: Any) -> int | None:
        """Position of a label on ``dim``, ignoring case (``None``: not a label of the scenario)."""
        folded = [x.casefold() for x in self.ids(dim)]
        text = _text(value).casefold()
        return folded.index(text) if text in folded else None

    def label(self, dim: str, value: Any, table: Table, row: int, col: int) -> int | None:
        """Position of a label, or ``None`` after noting where the unknown label occurs."""
        found = self.find(dim, value)
        if found is None:
            self.unknown.setdefault((dim, _text(value), id(table)), []).append((table, row, col))
        return found

    def check(self, checked: tuple[Any, str], table: Table, row: int, col: int) -> Any:
        """The value of a ``(value, problem)`` pair, noting the problem at the cell."""
        value, message = checked
        if message:
            self.problems.append(table.problem(row, col, message))
        return value

    def report_unknown(self) -> None:
        """One problem per unknown label and table, naming every place it occurs and the valid labels."""
        for (dim, text, _), places in self.unknown.items():
            table, row, col = places[0]
            others = [table.ref(r, c) for _, r, c in places[1:6]]
            more = f" and {len(places) - 6} more" if len(places) > 6 else ""
            also = f" (also {', '.join(others)}{more})" if others else ""
            area = (next((a for a in self.sc.areas if a.id.casefold() == text.casefold()), None)
                    if dim == "region" else None)
            message = suggest(text, self.ids(dim), dim) if area is None else (
                f"{text!r} is a region planned in parts: give each row to one of its units, "
                f"{', '.join(repr(u) for u in area.units)} (the last holds its regional programmes and its other "
                "countries)")
            self.problems.append(table.problem(row, col, message, also))


# ---- cell values --------------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(_text(value))
    except ValueError:
        return None


def _normal(name: Any) -> str:
    """A column name, lower case, without a unit in brackets, words joined by ``_``."""
    text = re.sub(r"[\(\[].*?[\)\]]", "", _text(name)).strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


# ---- reading files ------------------------------------------------------------------------------------
def _decode(path: Path, data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without a byte-order mark), else Windows-1252."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, start = data.count(b"\n", 0, nul) + 1, data.rfind(b"\n", 0, nul) + 1
        raise refuse(path, f"a NUL byte at line {line}, character {nul - start + 1}: this is not CSV text (a "
                     "binary file, or a UTF-16 'Unicode text' export); save it as 'CSV UTF-8' or as .xlsx")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise refuse(path, f"line {line}: byte 0x{data[err.start]:02x} is neither UTF-8 nor Windows-1252 text: "
                     "save the file as 'CSV UTF-8'") from None


def _csv_rows(path: Path, text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The rows of a CSV text with their line numbers; no cell can be longer than the file, so the csv module's
    own field limit (131,072 characters) is lifted while reading and :func:`screen` applies ``cell_chars``."""
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, len(text) + 1))
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as err:
        raise refuse(path, f"line {reader.line_num}: cannot read it as CSV ({err}); check its quotes") from None
    finally:
        csv.field_size_limit(old)


def _read_csv(path: Path) -> list[Table]:
    """The one table of a CSV file (comma or semicolon separated, UTF-8 or Windows-1252)."""
    try:
        text = _decode(path, path.read_bytes())
    except OSError as err:
        raise refuse(path, f"cannot read the file ({err.strerror or err})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [(n, row) for n, row in _csv_rows(path, text, delimiter) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    try:
        limits.check("labels", len(rows) - 1, f"the file's {len(rows) - 1:,} rows below the header")
    except limits.LimitError as err:
        raise refuse(path, str(err)) from None
    (line, header), body = rows[0], rows[1:]
    return [Table(str(path), None, list(header), body, line)]


def check_path(path: Path, sheet: str | None) -> str:
    """The file's suffix, once the file exists, is a regular file within ``file_bytes`` and of a kind that can
    be read (see :func:`fundsim.results.inputs.check_file`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.csv"
    >>> _ = path.write_text("instrument,priority,region,year,amount")
    >>> check_path(path, None)
    '.csv'
    >>> try:
    ...     check_path(path, "allocation")
    ... except AllocationFileError as err:
    ...     print(err.problems[0].message)
    a .csv file has no sheets: leave sheet=None, or give an Excel file
    """
    suffix = path.suffix.casefold()
    if suffix != ".nc":  # fundsim.results.open_allocation checks a NetCDF file
        check_file(path, VALID)
    if suffix not in SUFFIXES:
        raise refuse(path, f"cannot read {suffix or 'extensionless'!r} files: valid allocation files are "
                     f"{', '.join(SUFFIXES)}")
    if suffix in (".csv", ".nc") and sheet is not None:
        raise refuse(path, f"a {suffix} file has no sheets: leave sheet=None, or give an Excel file",
                     f"sheet {sheet!r}")
    return suffix


def read_tables(path: Path, suffix: str, sheet: str | None) -> list[Table]:
    """The tables of a CSV file or workbook, once every cell keeps the limits (:func:`screen`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.csv"
    >>> _ = path.write_text("instrument,priority,region,year,amount\\ntpma,remittances,north_africa,2009,7.5")
    >>> table = read_tables(path, ".csv", None)[0]
    >>> table.header
    ['instrument', 'priority', 'region', 'year', 'amount']
    >>> table.rows
    [(2, ['tpma', 'remittances', 'north_africa', '2009', '7.5'])]
    """
    tables = _read_csv(path) if suffix == ".csv" else read_xlsx(path, sheet, GRID_SHEET)
    if not tables:
        raise refuse(path, "the file is empty: expected a first row naming the columns instrument, priority, "
                     "region, year, amount")
    problems = [p for t in tables for p in screen(t)]
    if problems:
        raise AllocationFileError(problems)
    if not any(t.rows for t in tables):
        raise refuse(path, "the file has no rows below its header: expected one row per commitment under the "
                     "columns instrument, priority, region, year, amount")
    return tables


# ---- layouts ------------------------------------------------------------------------------------------
def _columns(table: Table, reader: Reader) -> dict[str, int]:
    """Field → column position by the aliases of :data:`ALIASES`; two columns for one field are a problem."""
    found: dict[str, int] = {}
    normal = [_normal(h) for h in table.header]
    for fld, names in ALIASES.items():
        hits = [n for n, h in enumerate(normal) if h in names]
        if len(hits) > 1:
            both = " and ".join(repr(_text(table.header[h])) for h in hits)
            what = {"eu": "amount", "cofin": "co-financing"}.get(fld, fld)
            reader.problems.append(table.problem(table.header_row, hits[1], f"columns {both} both give the {what}: "
                                                 "keep one of them"))
        if hits:
            found[fld] = hits[0]
    return found


def _missing(table: Table, need: list[str], sc: Scenario) -> Problem:
    got = ", ".join(repr(_text(h)) for h in table.header if _text(h)) or "none"
    years = ", ".join(map(str, sc.years))
    message = (f"missing column{'s' if len(need) > 1 else ''} {', '.join(need)}; found {got}. The first row must "
               "name the columns: instrument, priority, region, year, amount (or eu) and optionally cofinancing "
               f"(long layout), or instrument, priority, region and one column per year ({years}) (wide layout)")
    if table.sheet is None:
        return Problem(table.file, table.header_row, "header", message)
    return Problem(table.file, None, f"{table.sheet}!{table.header_row}:{table.header_row} (header)", message)


def _cell(cells: list[Any], col: int) -> Any:
    return cells[col] if col < len(cells) else None


def _labels(reader: Reader, table: Table, row: int, cells: list[Any], cols: dict[str, int]) -> list[int] | None:
    found = [reader.label(dim, _cell(cells, cols[dim]), table, row, cols[dim]) for dim in LABELS]
    return None if None in found else [int(x) for x in found if x is not None]


def _parse_long(table: Table, cols: dict[str, int], reader: Reader) -> list[Entry]:
    """One row per commitment: instrument, priority, region, year, amount [, cofinancing]."""
    entries, years = [], reader.sc.years
    for row, cells in table.rows:
        ipr = _labels(reader, table, row, cells, cols)
        y = reader.check(_year(_cell(cells, cols["year"]), years), table, row, cols["year"])
        eu = reader.check(_amount(_cell(cells, cols["eu"]), "amount", None), table, row, cols["eu"])
        cofin = math.nan
        if "cofin" in cols:
            cofin = reader.check(_amount(_cell(cells, cols["cofin"]), "co-financing", math.nan), table, row,
                                 cols["cofin"])
        if ipr is not None and y is not None and eu is not None and cofin is not None:
            entries.append(Entry((*ipr, y), eu, cofin, table, row, cols["eu"]))
    return entries


def _parse_wide(table: Table, cols: dict[str, int], reader: Reader) -> list[Entry]:
    """One row per instrument × priority × region, one column per year (headers that are four digits)."""
    heads = {n: h for n, h in enumerate(table.header) if re.fullmatch(r"\d{4}", _text(h))}
    years = {n: reader.check(_year(h, reader.sc.years), table, table.header_row, n) for n, h in heads.items()}
    entries = []
    for row, cells in table.rows:
        ipr = _labels(reader, table, row, cells, cols)
        for col, y in years.items():
            eu = reader.check(_amount(_cell(cells, col), "amount", 0.0), table, row, col)
            if ipr is not None and y is not None and eu:
                entries.append(Entry((*ipr, y), eu, math.nan, table, row, col))
    return entries


def _grid_sheet(table: Table, reader: Reader) -> tuple[int | None, int | None]:
    """Instrument and year named by a grid sheet's name, noting unknown ones."""
    name, year = GRID_SHEET.match(table.sheet or "").groups()  # type: ignore[union-attr]
    where = f"sheet name {table.sheet!r}"
    i = reader.find("instrument", name)
    if i is None:
        reader.problems.append(Problem(table.file, None, where, suggest(name, reader.ids("instrument"),
                                                                        "instrument")))
    y, message = _year(year, reader.sc.years)
    if message:
        reader.problems.append(Problem(table.file, None, where, message))
    return i, y


def _parse_grid(table: Table, reader: Reader) -> list[Entry]:
    """A sheet ``"<instrument> <year>"``: regions down column A, priorities across the first row."""
    i, y = _grid_sheet(table, reader)
    prio = {col: reader.label("priority", h, table, table.header_row, col) for col, h in enumerate(table.header)
            if col > 0 and _text(h) and _normal(h) != "total"}
    entries = []
    for row, cells in table.rows:
        if _normal(_cell(cells, 0)) == "total":
            continue
        r = reader.label("region", _cell(cells, 0), table, row, 0)
        for col, p in prio.items():
            eu = reader.check(_amount(_cell(cells, col), "amount", 0.0), table, row, col)
            if i is not None and y is not None and r is not None and p is not None and eu:
                entries.append(Entry((i, p, r, y), eu, math.nan, table, row, col))
    return entries


def parse(table: Table, reader: Reader) -> list[Entry]:
    """The entries of one table, by its layout (grid by the sheet name, long when it names a year or amount
    column, wide when its headers include years).

    Examples
    --------
    >>> import pathlib, tempfile, fundsim as fs
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.csv"
    >>> _ = path.write_text("instrument,priority,region,2009,2010\\nenpi,return,north_africa,20,15")  # wide
    >>> entries = parse(read_tables(path, ".csv", None)[0], Reader(fs.load_scenario("scenarios/tutorial.yaml")))
    >>> [(e.cell, e.eu) for e in entries]
    [((1, 1, 0, 0), 20.0), ((1, 1, 0, 1), 15.0)]
    """
    if table.sheet is not None and GRID_SHEET.match(table.sheet):
        return _parse_grid(table, reader)
    cols = _columns(table, reader)
    labels = [d for d in LABELS if d not in cols]
    has_years = any(re.fullmatch(r"\d{4}", _text(h)) for h in table.header)
    if "eu" in cols or "year" in cols or not has_years:
        need = labels + (["year"] if "year" not in cols else []) + (["amount"] if "eu" not in cols else [])
        if need:
            reader.problems.append(_missing(table, need, reader.sc))
            return []
        return _parse_long(table, cols, reader)
    if labels:
        reader.problems.append(_missing(table, labels, reader.sc))
        return []
    return _parse_wide(table, cols, reader)


def duplicates(entries: list[Entry]) -> list[Problem]:
    """One problem per entry whose cell an earlier entry already gave, naming where it was first given.

    Examples
    --------
    >>> import pathlib, tempfile, fundsim as fs
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.csv"
    >>> _ = path.write_text("instrument,priority,region,year,amount\\nenpi,return,north_africa,2009,20\\n"
    ...                     "ENPI,return,north_africa,2009,1")
    >>> entries = parse(read_tables(path, ".csv", None)[0], Reader(fs.load_scenario("scenarios/tutorial.yaml")))
    >>> print(duplicates(entries)[0].message.split(":")[0])
    this instrument × priority × region × year is given again (first at line 2)
    """
    seen: dict[tuple[int, int, int, int], Entry] = {}
    found = []
    for e in entries:
        first = seen.setdefault(e.cell, e)
        if first is not e:
            found.append(e.table.problem(e.row, e.col, "this instrument × priority × region × year is given again "
                                         f"(first at {first.table.ref(first.row, first.col)}): give each cell "
                                         "once (add the amounts up)"))
    return found
