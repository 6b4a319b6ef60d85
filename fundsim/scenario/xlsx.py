"""A scenario workbook on disk: written by ``fundsim template`` and read wherever a scenario file is.

Reading is safe as an allocation workbook's is (docs/allocation-files.md): only a regular file within
``scenario_bytes`` is opened; the zip archive is measured before openpyxl opens it (``xlsx_uncompressed_bytes``,
against zip bombs); a cell's value is the one cached when the file was saved, and a formula cell without one is
refused naming its sheet and cell; a sheet holds at most ``sheet_cells`` cells and ``labels`` rows, a cell at
most ``cell_chars`` characters. Writing is atomic (:func:`fundsim.outputs.atomic_file`) and no text cell can
execute: a text that a spreadsheet would read as a formula is written with :func:`fundsim.outputs.neutralise`'s
apostrophe, which reading takes off again, so the text comes back as it was.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import yaml

from fundsim import limits
from fundsim.errors import Problem, ScenarioError
from fundsim.outputs import atomic_file, neutralise
from fundsim.scenario.files import Origins, bound_tree, over_limit, problem
from fundsim.scenario.workbook import (
    LAYOUT,
    SERIES,
    SETTINGS,
    YEARS_SHEET,
    Column,
    Sheet,
    cell_at,
    from_sheets,
    sheet_names,
    to_sheets,
)

__all__ = ["read_workbook", "write_workbook"]

SUFFIXES = (".xlsx", ".xlsm")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ROWS = 500  # rows the id ranges and data-validation lists cover
_IDS = {"pillar": "pillars", "region": "regions", "priority": "priorities", "instrument": "instruments",
        "source": "match_sources"}
_SAVE = "save it again from Excel or LibreOffice as .xlsx"


# ---- reading ------------------------------------------------------------------------------------------
def _has_formulas(path: Path) -> bool:
    """Refuse an archive over ``xlsx_uncompressed_bytes`` (before anything is unpacked); whether a worksheet
    holds a formula."""
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(m.file_size for m in archive.infolist())
            if size > limits.current().xlsx_uncompressed_bytes:
                raise over_limit("xlsx_uncompressed_bytes", size, f"the workbook's uncompressed size ({size:,} "
                                 "bytes)", (str(path), None, ()))
            for member in archive.infolist():
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                    with archive.open(member) as xml:
                        tail = b""
                        while chunk := xml.read(1 << 20):
                            if _FORMULA_TAG.search(tail + chunk):
                                return True
                            tail = chunk[-16:]
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise problem(str(path), None, (), f"not a workbook (an .xlsx file is a zip archive: {err}); {_SAVE}") \
            from None
    return False


def _open(path: Path, data_only: bool) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except Exception as err:  # openpyxl raises zipfile, KeyError, lxml and its own errors on damaged files
        raise problem(str(path), None, (), f"cannot open the workbook ({str(err)[:200]}); {_SAVE}") from None


def _text(value: Any) -> Any:
    """A cell's value: text stripped of the apostrophe :func:`~fundsim.outputs.neutralise` gave it."""
    if isinstance(value, str):
        if value.startswith("'") and neutralise(value[1:]) != value[1:]:
            return value[1:]
        return value
    return value


def _name(header: Any) -> str:
    """A header's column name: lower case, without its unit in brackets, words joined by ``_``."""
    text = re.sub(r"\(.*?\)", "", str(header)).strip().casefold()
    return re.sub(r"\s+", "_", text)


def _sheet(path: Path, values: Any, formulas: Any, found: list[Problem]) -> Sheet:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.formula import ArrayFormula

    lim, title = limits.current(), values.title
    values.reset_dimensions()
    rows = values.iter_rows(values_only=True)
    pairs = zip(rows, formulas.iter_rows(values_only=True), strict=False) if formulas is not None else \
        ((r, r) for r in rows)
    if formulas is not None:
        formulas.reset_dimensions()
    header: dict[str, str] = {}
    body: list[tuple[int, dict[str, Any]]] = []
    names: list[str] = []
    cells = 0
    for n, (row, formula_row) in enumerate(pairs, start=1):
        cells += len(row)
        if cells > lim.sheet_cells or len(body) > lim.labels:
            name = "sheet_cells" if cells > lim.sheet_cells else "labels"
            raise over_limit(name, cells if name == "sheet_cells" else len(body), f"the sheet {title}'s size",
                             (f"{path}, {cell_at(title, f'A{n}')}", None, ()))
        for c, (v, f) in enumerate(zip(row, formula_row, strict=False)):
            if v is None and ((isinstance(f, str) and f.startswith("=")) or isinstance(f, ArrayFormula)):
                found.append(Problem(f"{path}, {cell_at(title, f'{get_column_letter(c + 1)}{n}')}", None, "",
                                     f"the formula {getattr(f, 'text', f)} has no cached value (the file was saved "
                                     "by a program that does not calculate, a script with openpyxl for one); open "
                                     "it in Excel or LibreOffice and save it, or write the number"))
            elif isinstance(v, str) and len(v) > lim.cell_chars:
                found.append(Problem(f"{path}, {cell_at(title, f'{get_column_letter(c + 1)}{n}')}", None, "", str(
                    limits.LimitError("cell_chars", len(v), lim.cell_chars, f"the cell's {len(v):,} characters"))))
        filled = {c: _text(v) for c, v in enumerate(row) if v is not None and str(v).strip() != ""}
        if not filled:
            continue
        if not names:
            names = [_name(v) if v is not None else "" for v in row]
            header = {names[c]: get_column_letter(c + 1) for c in filled}
            continue
        body.append((n, {names[c]: v for c, v in filled.items() if c < len(names) and names[c]}))
    return Sheet(title, header, body)


def read_workbook(path: Path) -> tuple[dict[str, Any], Origins]:
    """The scenario tree of a workbook and each value's origin, ``(file, "sheet S, cell C4")``.

    Sheets whose names start with ``_`` are left out (a planner's own workings).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from fundsim.scenario.extends import read_tree
    >>> path = write_workbook(read_tree("scenarios/tutorial.yaml")[0], pathlib.Path(tempfile.mkdtemp()) / "t.xlsx")
    >>> tree, origins = read_workbook(path)
    >>> tree["instruments"][0]["cofinancing"]["max_eu_share"], origins[("instruments", 0, "cofinancing",
    ...                                                                  "max_eu_share")][1]
    (0.8, 'sheet instruments, cell D2')
    """
    size = path.stat().st_size
    if size > limits.current().scenario_bytes:
        raise over_limit("scenario_bytes", size, f"the file's size, {size:,} bytes,", (str(path), None, ()))
    has_formulas = _has_formulas(path)
    values = _open(path, True)
    formulas = _open(path, False) if has_formulas else None
    found: list[Problem] = []
    try:
        sheets = {n: _sheet(path, values[n], formulas[n] if formulas else None, found)
                  for n in values.sheetnames if not n.startswith("_")}
    except ScenarioError:
        raise
    except Exception as err:  # openpyxl and lxml fail on damaged XML
        raise problem(str(path), None, (), f"cannot read the workbook ({str(err)[:200]}); {_SAVE}") from None
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
    if found:
        raise ScenarioError(found)
    tree, origins = from_sheets(sheets, str(path))
    bound_tree(tree, str(path), {}, limits.current())
    return tree, origins


# ---- writing ------------------------------------------------------------------------------------------
def _headers(sheet: str) -> list[Column]:
    """The columns of a sheet as written, with their units."""
    if sheet == YEARS_SHEET:
        return [Column("year", ("year",), "number")]
    if sheet in SETTINGS.values():
        return [Column("field", ()), Column("value", ()), Column("yaml", (), unit="YAML, for lists and mappings"),
                Column("notes", ())]
    for spec in SERIES:
        if spec.sheet == sheet:
            return [spec.owner, *([Column("region", (), ids="region")] if spec.regions else []),
                    Column("year", (), unit="or all"), *spec.fields, Column("notes", ())]
    layout = next(lay for lay in LAYOUT if lay.sheet == sheet)
    return [*([layout.owner] if layout.owner else []), *layout.columns,
            Column("more", (), unit="YAML: other fields"), Column("notes", (), unit="source: / assumption:")]


def _header(column: Column) -> str:
    return f"{column.name} ({column.unit})" if column.unit else column.name


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list) or value is None:
        return yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False,
                              allow_unicode=True).strip().removesuffix("...").strip()
    return neutralise(value)


def _format(ws: Any, columns: list[Column], rows: int) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.freeze_panes = "B2"
    for n, column in enumerate(columns, start=1):
        letter = get_column_letter(n)
        ws.cell(1, n).font = Font(bold=True)
        widest = max([len(_header(column)), *(len(str(c.value or "")) for c in ws[letter][1:rows + 1])])
        ws.column_dimensions[letter].width = min(max(widest + 2, 10), 60)
        span = f"{letter}2:{letter}{_ROWS}"
        if column.ids:
            check = DataValidation(type="list", formula1=f"={column.ids}_ids", allow_blank=True,
                                   errorStyle="warning", error=f"not one of the {_IDS[column.ids]} ids",
                                   showErrorMessage=True)
            ws.add_data_validation(check)
            check.add(span)
        elif column.unit.startswith("share"):
            check = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                                   error="a share is a number from 0 to 1 (0.25 = 25 %)", showErrorMessage=True)
            ws.add_data_validation(check)
            check.add(span)
        if column.name in ("notes", "more", "yaml", "description"):
            for cell in ws[letter][1:rows + 1]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _workbook(sheets: dict[str, list[dict[str, Any]]]) -> Any:
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName

    book = Workbook()
    book.remove(book.active)
    for name in sheet_names():
        ws = book.create_sheet(name)
        columns = _headers(name)
        ws.append([_header(c) for c in columns])
        for row in sheets.get(name, []):
            ws.append([_cell(row[c.name]) if c.name in row else None for c in columns])
        _format(ws, columns, len(sheets.get(name, [])))
    for kind, sheet in _IDS.items():
        book.defined_names[f"{kind}_ids"] = DefinedName(f"{kind}_ids", attr_text=f"{sheet}!$A$2:$A${_ROWS}")
    return book


def write_workbook(tree: dict[str, Any] | None, path: str | Path) -> Path:
    """Write a scenario workbook to ``path`` (atomically): the sheets of the merged scenario ``tree``, or the
    empty template when ``tree`` is ``None``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from fundsim.scenario.extends import read_tree
    >>> path = write_workbook(read_tree("scenarios/tutorial.yaml")[0], pathlib.Path(tempfile.mkdtemp()) / "t.xlsx")
    >>> read_workbook(path)[0]["instruments"][1]["envelope"]
    20
    """
    book = _workbook(to_sheets(tree) if tree is not None else {"scenario": [{"field": "name"},
                                                                            {"field": "description"}]})
    with atomic_file(path) as tmp:
        book.save(tmp)
    return Path(path)
