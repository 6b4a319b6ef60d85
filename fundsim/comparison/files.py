"""Reading allocation files into entries: the tables of a CSV file or workbook, their layouts (long, wide by
year, grid) and every problem found on the way, each with file, line or Sheet!cell and what would be valid.

:func:`fundsim.compare.read_allocation` builds the allocation from the entries; the layouts are described
there.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fundsim.errors import FundsimError, Problem
from fundsim.model import Scenario
from fundsim.scenario.fields import suggest

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
MAX_SHOWN = 40


class AllocationFileError(FundsimError, ValueError):
    """An allocation file cannot be read; ``problems`` lists every problem found (file, row or cell, what
    is wrong and what would be valid)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        files = sorted({p.file or "<allocation>" for p in self.problems})
        head = f"{n} problem{'s' if n != 1 else ''} in the allocation file {', '.join(files)}:"
        shown = [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        more = [f"  … and {n - MAX_SHOWN} more"] if n > MAX_SHOWN else []
        return "\n".join([head, *shown, *more])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


# ---- tables and where their cells are ------------------------------------------------------------------
@dataclass
class Table:
    """One table of a file: its header, its rows (with the file line or sheet row of each) and its origin."""

    file: str
    sheet: str | None
    header: list[Any]
    rows: list[tuple[int, list[Any]]]  # (1-based line or sheet row, cells)
    header_row: int = 1

    def ref(self, row: int, col: int) -> str:
        """A cell's short reference: ``"line 4"`` in a CSV file, ``"C4"`` in a sheet."""
        if self.sheet is None:
            return f"line {row}"
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(col + 1)}{row}"

    def problem(self, row: int, col: int, message: str, also: str = "") -> Problem:
        """A problem at a cell: CSV ``file:line: column 'x'``, Excel ``file: Sheet!C4 (x)``."""
        name = _text(self.header[col]) if col < len(self.header) else ""
        if self.sheet is None:
            path = f"column {name!r}" if name else f"column {col + 1}"
            return Problem(self.file, row, path + also, message)
        return Problem(self.file, None, f"{self.sheet}!{self.ref(row, col)}" + (f" ({name})" if name else "") + also,
                       message)


@dataclass(frozen=True)
class Entry:
    """One amount read from a file: its cell of the cube, EU money, co-financing (NaN: by the rule), origin."""

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
    """Resolves labels against a scenario and collects problems; unknown labels are grouped by value."""

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
            self.problems.append(table.problem(row, col, suggest(text, self.ids(dim), dim), also))


# ---- cell values --------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A cell as stripped text; numbers that are whole print without ``.0`` (Excel stores 2009 as 2009.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _show(value: Any) -> str:
    return repr(_text(value))


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
def _read_csv(path: Path) -> list[Table]:
    """The one table of a CSV file (comma or semicolon separated, UTF-8 or Windows-1252)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader]
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    (line, header), body = rows[0], rows[1:]
    return [Table(str(path), None, list(header), body, line)]


def _sheet_table(path: Path, ws: Any) -> Table | None:
    """A worksheet as a table: its first row is the header; empty sheets give ``None``."""
    rows = [(n, list(r)) for n, r in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)]
    rows = [(n, r) for n, r in rows if any(_text(c) != "" for c in r)]
    if not rows:
        return None
    (row, header), body = rows[0], rows[1:]
    return Table(str(path), ws.title, header, body, row)


def _read_xlsx(path: Path, sheet: str | None) -> list[Table]:
    """The tables of a workbook: ``sheet``, else a sheet named ``allocation``, else every grid sheet
    (``"<instrument> <year>"``), else the first sheet."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError and its own errors on damaged files
        raise AllocationFileError([Problem(str(path), None, "", f"cannot open the workbook ({err}): save it as "
                                           ".xlsx from Excel or LibreOffice, or export it to .csv")]) from None
    names = list(wb.sheetnames)
    if sheet is not None and sheet not in names:
        raise AllocationFileError([Problem(str(path), None, f"sheet {sheet!r}", suggest(sheet, names, "sheet"))])
    if sheet is not None:
        chosen = [sheet]
    elif "allocation" in names:
        chosen = ["allocation"]
    else:
        chosen = [n for n in names if GRID_SHEET.match(n)] or names[:1]
    tables = [_sheet_table(path, wb[n]) for n in chosen]
    wb.close()
    return [t for t in tables if t is not None]


def check_path(path: Path, sheet: str | None) -> str:
    """The file's suffix, once the file exists and is of a kind that can be read."""
    if not path.is_file():
        raise AllocationFileError([Problem(str(path), None, "", "no such file (give the path of a "
                                           f"{', '.join(SUFFIXES)} allocation file)")])
    suffix = path.suffix.casefold()
    if suffix not in SUFFIXES:
        raise AllocationFileError([Problem(str(path), None, "", f"cannot read {suffix or 'extensionless'!r} "
                                           f"files: valid allocation files are {', '.join(SUFFIXES)}")])
    if suffix in (".csv", ".nc") and sheet is not None:
        raise AllocationFileError([Problem(str(path), None, f"sheet {sheet!r}", f"a {suffix} file has no sheets: "
                                           "leave sheet=None, or give an Excel file")])
    return suffix


def read_tables(path: Path, suffix: str, sheet: str | None) -> list[Table]:
    tables = _read_csv(path) if suffix == ".csv" else _read_xlsx(path, sheet)
    if not tables:
        raise AllocationFileError([Problem(str(path), None, "", "the file is empty: expected a first row naming "
                                           "the columns instrument, priority, region, year, amount")])
    if not any(t.rows for t in tables):
        raise AllocationFileError([Problem(str(path), None, "", "the file has no rows below its header: expected one "
                                           "row per commitment under the columns instrument, priority, region, "
                                           "year, amount")])
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
    column, wide when its headers include years)."""
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
    seen: dict[tuple[int, int, int, int], Entry] = {}
    found = []
    for e in entries:
        first = seen.setdefault(e.cell, e)
        if first is not e:
            found.append(e.table.problem(e.row, e.col, "this instrument × priority × region × year is given again "
                                         f"(first at {first.table.ref(first.row, first.col)}): give each cell "
                                         "once (add the amounts up)"))
    return found
