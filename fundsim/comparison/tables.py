"""The tables of an allocation file (a CSV file or the sheets of a workbook), where each cell is, and the
limits every cell is held to before a layout reads it (:mod:`fundsim.limits`: ``cell_chars``,
``integer_digits``, ``labels``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fundsim import limits
from fundsim.errors import Problem

__all__ = ["Table", "screen", "show", "text"]

_INTEGER = re.compile(r"\s*[+-]?(\d+)\s*")
MAX_CELL_PROBLEMS = 20


def text(value: Any) -> str:
    """A cell as stripped text; numbers that are whole print without ``.0`` (Excel stores 2009 as 2009.0).

    Examples
    --------
    >>> text(2009.0), text("  tpma "), text(None), text(7.5)
    ('2009', 'tpma', '', '7.5')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def show(value: Any) -> str:
    """A cell as messages quote it: its :func:`text`, in quotes.

    Examples
    --------
    >>> show(2009.0)
    "'2009'"
    """
    return repr(text(value))


@dataclass
class Table:
    """One table of a file: its header, its rows (with the file line or sheet row of each) and its origin.

    Examples
    --------
    >>> table = Table("plan.xlsx", "allocation", ["instrument", "amount"], [(2, ["tpma", "ten"])])
    >>> table.ref(2, 1)
    'B2'
    >>> print(table.problem(2, 1, "'ten' is not a number"))
    plan.xlsx: allocation!B2 (amount): 'ten' is not a number
    >>> print(Table("plan.csv", None, ["instrument", "amount"], []).problem(2, 1, "'ten' is not a number"))
    plan.csv:2: column 'amount': 'ten' is not a number
    """

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
        name = text(self.header[col]) if col < len(self.header) else ""
        if self.sheet is None:
            path = f"column {name!r}" if name else f"column {col + 1}"
            return Problem(self.file, row, path + also, message)
        return Problem(self.file, None, f"{self.sheet}!{self.ref(row, col)}" + (f" ({name})" if name else "") + also,
                       message)


def _digits(value: Any, most: int) -> int:
    """How many digits an integer cell (a number or a text of digits) has when above ``most``, else 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return len(str(abs(value))) if abs(value) >= 10 ** most else 0
    found = _INTEGER.fullmatch(value) if isinstance(value, str) else None
    return len(found.group(1)) if found and len(found.group(1)) > most else 0


def _cell_problem(value: Any, lim: limits.Limits) -> str:
    """What is wrong with one cell under the limits ``lim``, or ``""``."""
    if isinstance(value, str) and len(value) > lim.cell_chars:
        return str(limits.LimitError("cell_chars", len(value), lim.cell_chars, f"the cell's {len(value):,} characters"))
    if isinstance(value, str) and "\x00" in value:
        return ("the cell holds a NUL character (byte 0): the file is binary or damaged; save it again from the "
                "program that made it")
    digits = _digits(value, lim.integer_digits)
    if digits:
        return str(limits.LimitError("integer_digits", digits, lim.integer_digits, f"an integer of {digits:,} digits"))
    return ""


def screen(table: Table) -> list[Problem]:
    """The cells of ``table`` (header included) that break a limit: over ``cell_chars`` characters, holding a
    NUL character, or an integer of more than ``integer_digits`` digits. At most :data:`MAX_CELL_PROBLEMS`
    cells are named.

    Examples
    --------
    >>> table = Table("plan.csv", None, ["instrument", "amount"], [(2, ["tpma", "1" * 30])])
    >>> problem = screen(table)[0]
    >>> problem.line, problem.path, problem.message.split(" (")[0]
    (2, "column 'amount'", 'an integer of 30 digits is above the limit integer_digits = 18')
    """
    lim, found = limits.current(), []
    for row, cells in [(table.header_row, table.header), *table.rows]:
        for col, value in enumerate(cells):
            message = _cell_problem(value, lim) if isinstance(value, str | int) else ""
            if message:
                found.append(table.problem(row, col, message))
                if len(found) >= MAX_CELL_PROBLEMS:
                    return found
    return found
