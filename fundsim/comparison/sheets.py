"""Reading the sheets of an Excel workbook into tables, safely.

- The archive is measured with :mod:`zipfile` before openpyxl opens it: its members' uncompressed sizes
  must sum to at most ``xlsx_uncompressed_bytes`` (against zip bombs).
- A cell's value is the one Excel or LibreOffice cached when it saved the file (``data_only=True``). A
  formula cell without a cached value — what a script writing formulas with openpyxl leaves — is refused,
  naming the sheet and the cells, rather than read as empty; the workbook is read a second time without
  ``data_only`` to tell such a cell from an empty one.
- The declared sheet dimensions are ignored (they may be false); rows are read as they are stored, up to
  ``labels`` filled rows, ``sheet_cells`` cells and Excel's last row.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fundsim import limits
from fundsim.comparison.tables import Table, text
from fundsim.errors import Problem
from fundsim.results.inputs import AllocationFileError, refuse
from fundsim.rules.fields import suggest

__all__ = ["read_xlsx"]

EXCEL_ROWS = 1_048_576
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
SAVE_AGAIN = "save it as .xlsx from Excel or LibreOffice, or export it to .csv"


def _has_formula(member: IO[bytes]) -> bool:
    """Whether a worksheet's XML holds a formula element ``<f>`` (read in chunks: memory stays small)."""
    tail = b""
    while chunk := member.read(1 << 20):
        if _FORMULA_TAG.search(tail + chunk):
            return True
        tail = chunk[-16:]
    return False


def _check_archive(path: Path) -> bool:
    """Refuse a file that is not a zip archive, or whose members unpack to more than the limit; whether any
    worksheet holds a formula."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            size = sum(member.file_size for member in members)
            limits.check("xlsx_uncompressed_bytes", size, f"the workbook's uncompressed size ({size:,} bytes)")
            sheets = [m for m in members if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")]
            for member in sheets:
                with archive.open(member) as xml:
                    if _has_formula(xml):
                        return True
            return False
    except limits.LimitError as err:
        raise refuse(path, str(err)) from None
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise refuse(path, f"cannot open the workbook (an .xlsx file is a zip archive, this is not one: {err}): "
                     f"{SAVE_AGAIN}") from None


def _open(path: Path, data_only: bool) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except Exception as err:  # openpyxl raises zipfile, KeyError, lxml and its own errors on damaged files
        raise refuse(path, f"cannot open the workbook ({str(err)[:200]}): {SAVE_AGAIN}") from None


def _is_formula(value: Any) -> bool:
    """A cell read without ``data_only`` that holds a formula (text ``=…`` or an array/table formula)."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    return (isinstance(value, str) and value.startswith("=")) or isinstance(value, ArrayFormula | DataTableFormula)


def _uncomputed(path: Path, title: str, cells: list[tuple[int, int, Any]]) -> Problem:
    """One problem naming the formula cells of a sheet that have no cached value."""
    from openpyxl.utils import get_column_letter

    refs = [f"{get_column_letter(c + 1)}{r}" for r, c, _ in cells]
    formula = getattr(cells[0][2], "text", cells[0][2])
    others = f" (also {', '.join(refs[1:6])}{f' and {len(refs) - 6} more' if len(refs) > 6 else ''})" \
        if len(refs) > 1 else ""
    return Problem(str(path), None, f"{title}!{refs[0]}{others}", f"the formula {formula} has no cached value: "
                   "the file was saved by a program that does not calculate formulas (a script writing with "
                   "openpyxl, for one), so its value is unknown; open the file in Excel or LibreOffice and save it, "
                   "or write the numbers instead of formulas")


def _pairs(values: Any, formulas: Any) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """Each stored row of a sheet as (cached values, formulas); without formulas, the values twice."""
    for ws in (values, formulas):
        if ws is not None:
            ws.reset_dimensions()  # the declared dimensions may be false: read the rows as stored
    rows = values.iter_rows(values_only=True)
    if formulas is None:
        return ((row, row) for row in rows)
    return zip(rows, formulas.iter_rows(values_only=True), strict=False)


def _rows(path: Path, values: Any, formulas: Any) -> tuple[list[tuple[int, list[Any]]], Problem | None]:
    """The filled rows of one sheet (cached values) and the problem of its uncomputed formulas, if any."""
    lim, title = limits.current(), values.title
    rows, uncomputed, cells, n = [], [], 0, 0
    for n, (row, formula_row) in enumerate(_pairs(values, formulas), start=1):
        cells += len(row)
        if n > EXCEL_ROWS or cells > lim.sheet_cells:
            what = f"the sheet's {cells:,} cells (up to row {n:,})"
            message = f"the sheet goes beyond Excel's last row {EXCEL_ROWS:,}: the file is damaged; {SAVE_AGAIN}" \
                if n > EXCEL_ROWS else str(limits.LimitError("sheet_cells", cells, lim.sheet_cells, what))
            raise refuse(path, message, f"sheet {title!r}")
        if row != formula_row:
            uncomputed += [(n, c, f) for c, (v, f) in enumerate(zip(row, formula_row, strict=False))
                           if v is None and _is_formula(f)]
        if row.count(None) < len(row) and any(text(c) != "" for c in row):
            rows.append((n, list(row)))
            if len(rows) > lim.labels + 1:
                raise refuse(path, str(limits.LimitError("labels", len(rows) - 1, lim.labels,
                                                         f"the sheet's {len(rows) - 1:,} rows below the header")),
                             f"sheet {title!r}")
    return rows, (_uncomputed(path, title, uncomputed) if uncomputed else None)


def _table(path: Path, values: Any, formulas: Any) -> tuple[Table | None, Problem | None]:
    """A worksheet as a table (its first filled row is the header; an empty sheet gives ``None``)."""
    try:
        rows, problem = _rows(path, values, formulas)
    except AllocationFileError:
        raise
    except Exception as err:  # openpyxl and lxml fail on damaged XML or numbers Python cannot hold
        raise refuse(path, f"cannot read the sheet ({str(err)[:200]}): {SAVE_AGAIN}", f"sheet {values.title!r}") \
            from None
    if not rows:
        return None, problem
    (row, header), body = rows[0], rows[1:]
    return Table(str(path), values.title, header, body, row), problem


def _chosen(path: Path, names: list[str], sheet: str | None, grid: Any) -> list[str]:
    """``sheet``, else a sheet named ``allocation``, else every grid sheet, else the first sheet."""
    if sheet is not None and sheet not in names:
        raise AllocationFileError([Problem(str(path), None, f"sheet {sheet!r}", suggest(sheet, names, "sheet"))])
    if sheet is not None:
        return [sheet]
    if "allocation" in names:
        return ["allocation"]
    return [n for n in names if grid.match(n)] or names[:1]


def read_xlsx(path: Path, sheet: str | None, grid: Any) -> list[Table]:
    """The tables of a workbook: ``sheet``, else a sheet named ``allocation``, else every grid sheet (names
    matching ``grid``, ``"<instrument> <year>"``), else the first sheet. See the module for what is refused.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> from fundsim.comparison.files import GRID_SHEET
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.xlsx"
    >>> frame = pd.DataFrame({"instrument": ["tpma"], "priority": ["return"], "region": ["north_africa"],
    ...                       "year": [2009], "amount": [5.0]})
    >>> frame.to_excel(path, sheet_name="allocation", index=False)
    >>> table = read_xlsx(path, None, GRID_SHEET)[0]
    >>> table.sheet, table.rows
    ('allocation', [(2, ['tpma', 'return', 'north_africa', 2009, 5])])
    """
    has_formulas = _check_archive(path)  # before openpyxl opens it
    values = _open(path, True)
    formulas = _open(path, False) if has_formulas else None  # read twice only when there are formulas
    try:
        names = list(values.sheetnames)
        found = [_table(path, values[n], formulas[n] if formulas else None) for n in _chosen(path, names, sheet, grid)]
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
    problems = [p for _, p in found if p is not None]
    if problems:
        raise AllocationFileError(problems)
    return [t for t, _ in found if t is not None]
