"""One policy for the numbers fundsim shows in tables, on the console and in the HTML report.

- **Money** (EUR m): thousands separators and fixed decimals, one unless a table says otherwise:
  ``18,305.0``, never ``1.83e+04``.
- **Shares** are fractions shown as percentages: ``0.1234`` → ``12.3 %``. **Percentages** (a value already in
  percent, such as ``gap_percent``) read the same way.
- **Counts**: whole numbers with thousands separators, ``1,234``.
- **Plain numbers** (objective values, shadow prices per EUR m, ratios): fixed decimals chosen per column.
- Halves round away from zero (``1.25`` → ``1.3``). Never scientific notation, and never ``-0.0``: a value that
  rounds to zero prints as ``0.0``. A missing value (NaN, None) prints as :data:`MISSING`; infinities as ``∞``
  and ``-∞``.

Which of these a table's column is, the caller says (``kinds=``); for the columns it leaves out,
:func:`column_kind` decides by documented rules, and a ``units`` column refines plain numbers row by row
(:func:`unit_kind`).

Examples
--------
>>> money(18305), money(-1e-12), share(0.1234), count(1234)
('18,305.0', '0.0', '12.3 %', '1,234')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "KINDS", "MISSING", "column_kind", "count", "decimals_for", "format_frame", "label", "money",
           "number", "percent", "share", "unit_kind"]

Kind = Literal["money", "share", "percent", "count", "number", "text"]
KINDS: tuple[Kind, ...] = ("money", "share", "percent", "count", "number", "text")

MISSING = "–"
"""What a missing value (NaN, None) prints as: an en dash."""

COLUMNS: dict[str, Kind] = {
    "eu": "money", "cofin": "money", "total": "money",
    "share_of_eu": "share", "share_of_region": "share", "share_of_gap": "share", "share_of_target": "share",
    "binds_in": "share", "infeasible_share": "share", "probability": "share",
    "gap_percent": "percent",
}
"""The kinds of the columns fundsim's own tables carry, by their exact names (see :func:`column_kind`)."""

_DEFAULT_DECIMALS = {"money": 1, "share": 1, "percent": 1, "count": 0}


def _missing(v: Any) -> bool:
    if v is None or type(v).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return math.isnan(v)
    except TypeError:
        return False


def number(v: float, decimals: int) -> str:
    """``v`` with thousands separators and ``decimals`` fixed decimals; no e-notation, no ``-0``.

    It rounds half away from zero, as budget tables do, once the float's noise beyond 15 significant digits is
    dropped: ``1.25`` → ``1.3``, and ``3.7499999999999996`` (3.75 computed) → ``3.8``.

    Examples
    --------
    >>> number(0.0123456, 4), number(-0.00004, 4), number(1e20, 0), number(float("nan"), 2)
    ('0.0123', '0.0000', '100,000,000,000,000,000,000', '–')
    >>> number(1.25, 1), number(3.7499999999999996, 1), number(-2.5, 0)
    ('1.3', '3.8', '-3')
    """
    if _missing(v):
        return MISSING
    v = float(v)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    wide = Context(prec=320 + decimals)  # room for every digit of the largest float
    rounded = Decimal(f"{v:.15g}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=wide)
    text = f"{rounded:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def money(v: float, decimals: int = 1) -> str:
    """EUR m as budget people read them: ``12,345.6``.

    Examples
    --------
    >>> money(12345.64), money(18300.0), money(-0.04), money(-0.06)
    ('12,345.6', '18,300.0', '0.0', '-0.1')
    """
    return number(v, decimals)


def share(v: float, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.1234`` → ``12.3 %``.

    Examples
    --------
    >>> share(0.1234), share(1.0197), share(-0.0001), share(0.5, 0)
    ('12.3 %', '102.0 %', '0.0 %', '50 %')
    """
    return MISSING if _missing(v) else number(float(v) * 100, decimals) + " %"


def percent(v: float, decimals: int = 1) -> str:
    """A value already in percent, as :func:`share` shows a fraction: ``27.63`` → ``27.6 %``.

    Examples
    --------
    >>> percent(27.632925), percent(0.0)
    ('27.6 %', '0.0 %')
    """
    return MISSING if _missing(v) else number(v, decimals) + " %"


def count(n: float) -> str:
    """A whole number with thousands separators: ``1,234``.

    Examples
    --------
    >>> count(1234), count(8.0), count(None)
    ('1,234', '8', '–')
    """
    return number(n, 0)


def label(v: Any) -> str:
    """A row label shown as it is; a float label (a swept value, a point of a frontier) with up to six
    significant digits, never in e-notation.

    Examples
    --------
    >>> label("north_africa"), label(2009), label(0.6), label(1.0), label(5 / 6), label(1e-05), label(1e16)
    ('north_africa', '2009', '0.6', '1', '0.833333', '0.00001', '10000000000000000')
    """
    if isinstance(v, float) and math.isfinite(v):
        return format(Decimal(f"{v:.6g}"), "f")
    return v if isinstance(v, str) else str(v)


def decimals_for(values: Iterable[float], digits: int = 4) -> int:
    """The fixed decimals of a plain-number column: none when every value is a whole number (cells, violations),
    else enough to show ``digits`` significant digits of its largest magnitude, between 1 and 6 (1 when no value
    is finite and non-zero).

    Examples
    --------
    >>> decimals_for([0.1, 0.0104]), decimals_for([804.97, 582.5]), decimals_for([1e-9]), decimals_for([0.0])
    (4, 1, 6, 1)
    >>> decimals_for([104.0, 82.0, 0.0]), decimals_for([1.5, 2.0])
    (0, 3)
    """
    finite = [abs(float(v)) for v in values if not _missing(v) and math.isfinite(float(v)) and v != 0]
    if not finite:
        return 1
    if all(v.is_integer() for v in finite):
        return 0
    return min(6, max(1, digits - 1 - math.floor(math.log10(max(finite)))))


def column_kind(name: Any, values: pd.Series) -> Kind:
    """The kind of a column its caller did not state, by these rules, in order:

    1. values that are not numbers, or are booleans: ``"text"``;
    2. a name in :data:`COLUMNS` (fundsim's own columns, by exact name): that kind;
    3. integer values: ``"count"``;
    4. otherwise ``"number"``: fixed decimals by :func:`decimals_for`, or by each row's units (:func:`unit_kind`)
       when the table has a ``units`` column.

    No kind is guessed from how a name looks (``"pillar share: …"`` in the metrics is already in percent, not a
    fraction): a caller with other money or share columns says so.

    Examples
    --------
    >>> import pandas as pd
    >>> [column_kind(c, v) for c, v in pd.DataFrame({"eu": [1.5], "share_of_eu": [0.2], "draws": [8],
    ...                                               "rule": ["envelope"], "q95": [3.2]}).items()]
    ['money', 'share', 'count', 'text', 'number']
    """
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "text"
    if name in COLUMNS:
        return COLUMNS[name]
    return "count" if pd.api.types.is_integer_dtype(values) else "number"


def unit_kind(units: str) -> tuple[Kind, int] | None:
    """The kind and decimals that a row's units give its plain numbers: ``EUR m`` is money (1 decimal), ``share``
    a share (1 decimal), units that start with ``%`` or are ``percentage points`` are percent figures shown as
    numbers (1 decimal, the units column saying what they are); ``None`` for any other units, whose rows take
    :func:`decimals_for` over the rows of the same units.

    Examples
    --------
    >>> unit_kind("EUR m"), unit_kind("% of EU commitments"), unit_kind("objective per percentage point")
    (('money', 1), ('number', 1), None)
    """
    if units == "EUR m":
        return "money", 1
    if units == "share":
        return "share", 1
    if units.startswith("%") or units == "percentage points":
        return "number", 1
    return None


_FORMAT = {"money": money, "share": share, "percent": percent, "number": number}


def _cells(values: pd.Series, kind: Kind, decimals: int) -> list[str]:
    if kind == "text":
        return [MISSING if _missing(v) else label(v) for v in values]
    if kind == "count":
        return [count(v) for v in values]
    show = _FORMAT[kind]
    return [show(v, decimals) for v in values]


def _by_units(frame: pd.DataFrame, columns: list[int], units: pd.Series) -> dict[int, list[str]]:
    """Plain-number columns formatted row by row by their row's units (:func:`unit_kind`); the rows of units
    without a rule take :func:`decimals_for` over all these columns, so a row's figures share their decimals."""
    names = units.astype(str).tolist()
    cells = {n: [""] * len(frame) for n in columns}
    for unit in dict.fromkeys(names):
        rows = [r for r, u in enumerate(names) if u == unit]
        block = frame.iloc[rows, columns]
        kind, fixed = unit_kind(unit) or ("number", decimals_for(block.to_numpy().ravel()))
        for n, (_, values) in zip(columns, block.items(), strict=True):
            for r, cell in zip(rows, _cells(values, kind, fixed), strict=True):
                cells[n][r] = cell
    return cells


def format_frame(frame: pd.DataFrame, kinds: Kind | Mapping[Any, Kind] | None = None,
                 decimals: Mapping[Any, int] | None = None, *, units: str | None = "units") -> pd.DataFrame:
    """``frame`` as the strings a table shows, by this policy; index and column labels kept (float row labels by
    :func:`label`).

    Parameters
    ----------
    kinds : the kind of each column (one of :data:`KINDS`), or one kind for every numeric column; the other
        columns by :func:`column_kind`
    decimals : fixed decimals of some columns, instead of the kind's default (1; 0 for counts; for plain numbers
        :func:`decimals_for` or the row's units)
    units : the column that gives each row's units (when the frame has it): the plain-number columns without
        stated decimals are formatted row by row by :func:`unit_kind`, so ``EUR m`` rows read as money, and the
        rows of other units take :func:`decimals_for` over all those columns

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"units": ["EUR m", "ratio"], "optimum": [18305.0, 1.196198], "gap": [-1e-12, 0.04]},
    ...                      index=["EU commitments", "leverage"])
    >>> format_frame(frame, {"gap": "share"})
                    units   optimum    gap
    EU commitments  EUR m  18,305.0  0.0 %
    leverage        ratio     1.196  4.0 %
    """
    import pandas as pd

    stated: dict[Any, Kind] = dict.fromkeys(frame.columns, kinds) if isinstance(kinds, str) else dict(kinds or {})
    decimals = dict(decimals or {})
    unknown = {k for k in stated.values() if k not in KINDS}
    if unknown:
        raise ValueError(f"unknown column kind {sorted(unknown)}; the kinds are {', '.join(KINDS)}")
    row_units = frame[units] if units is not None and units in frame.columns else None
    out: dict[int, list[str]] = {}
    by_units = []
    for n, name in enumerate(frame.columns):
        values = frame.iloc[:, n]
        found = column_kind(name, values)
        kind = found if found == "text" or name not in stated else stated[name]
        if kind == "number" and row_units is not None and name != units and name not in decimals:
            by_units.append(n)
        else:
            fixed = decimals.get(name, decimals_for(values) if kind == "number" else _DEFAULT_DECIMALS.get(kind, 0))
            out[n] = _cells(values, kind, fixed)
    if row_units is not None and by_units:
        out.update(_by_units(frame, by_units, row_units))
    index = frame.index.map(label) if pd.api.types.is_float_dtype(frame.index) else frame.index
    result = pd.DataFrame({n: out[n] for n in range(frame.shape[1])}, index=index)
    result.columns = frame.columns
    return result
