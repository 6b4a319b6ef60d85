"""A scenario as the sheets of a workbook, and back: the layout of ``fundsim template`` (docs/excel.md).

The merged scenario tree (``extends:`` followed) is spread over sheets of rows: one sheet per list of entries
(pillars, regions, instruments, rules …), one row per entry, one column per field; year series (envelopes,
absorption and match capacities) as one row per owner and year (``all``: the same every year); every other
setting as a ``field`` / ``value`` row (``objective.impact.basis``). Each row has a ``notes`` column for its
``source:`` / ``assumption:`` / ``note:`` texts, one per line (``source: …`` for the row's entry, ``usable_share
assumption: …`` or ``usable_share range: 0.01, 0.05`` for one of its numbers), and a ``more`` column, YAML, for
what no column holds (a ``{total, profile}`` envelope, budget mechanics …). Reading builds the same tree, each
value's origin the sheet and cell it came from, so validation names them.

This module knows nothing of files: :mod:`fundsim.scenario.xlsx` reads and writes the workbook.

Examples
--------
>>> tree = {"name": "t", "years": [2009], "pillars": [{"id": "p", "source": "=1+2"}]}
>>> sheets = to_sheets(tree)
>>> sheets["pillars"][0]
{'id': 'p', 'notes': 'source: =1+2'}
>>> read = {"scenario": Sheet("scenario", {"field": "A", "value": "B"}, [(2, {"field": "name", "value": "t"})]),
...         "years": Sheet("years", {"year": "A"}, [(2, {"year": 2009})]),
...         "pillars": Sheet("pillars", {"id": "A", "notes": "C"}, [(2, sheets["pillars"][0])]),
...         **{name: Sheet(name, {}, []) for name in ("regions", "priorities", "instruments")}}
>>> from_sheets(read, "t.xlsx")[0] == tree
True
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from fundsim.errors import Problem, ScenarioError
from fundsim.rules.fields import NOTE_KEYS
from fundsim.scenario.files import Key, Origins, format_path

__all__ = ["LAYOUT", "SERIES", "SETTINGS", "Column", "Layout", "Series", "Sheet", "cell_at", "from_sheets",
           "sheet_names", "to_sheets"]

TEXT_NOTES = ("source", "assumption", "note")
ALL_YEARS = "all"
SINGLE_RULES = frozenset({"max_instruments_per_cell", "min_commitment", "admin_cost", "mobility_partnerships"})
_NOTE_LINE = re.compile(r"^(?:([A-Za-z_][\w.]*) )?(source|assumption|note|range): ?(.*)$")
EUR, SHARE = "EUR m", "share 0–1"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header ``name`` (also the prefix of its numbers' notes), the field it holds
    within an entry, its kind (``text``, ``number``, ``list`` of ids, ``numbers``, ``bool``), the unit shown in
    the header and the ids it names (a data-validation list).

    Examples
    --------
    >>> column = next(lay for lay in LAYOUT if lay.sheet == "instruments").columns[3]
    >>> column.name, column.path, column.unit
    ('max_eu_share', ('cofinancing', 'max_eu_share'), 'share 0–1')
    """

    name: str
    path: Key
    kind: str = "text"
    unit: str = ""
    ids: str = ""


def _c(name: str, kind: str = "text", unit: str = "", ids: str = "", path: Key | None = None) -> Column:
    return Column(name, path if path is not None else (name,), kind, unit, ids)


@dataclass(frozen=True)
class Layout:
    """A sheet of entries: the list at ``section`` (``regions``, ``rules.caps`` …), one row per entry; a nested
    list (``countries`` of a region) names its parent's id in the column ``owner``.

    Examples
    --------
    >>> countries = next(lay for lay in LAYOUT if lay.sheet == "countries")
    >>> countries.section, countries.owner.name
    (('regions', 'countries'), 'region')
    """

    sheet: str
    section: Key
    columns: tuple[Column, ...]
    owner: Column | None = None
    required: bool = False


_SELECT = (_c("priorities", "list", ids="priority"), _c("pillars", "list", ids="pillar"),
           _c("regions", "list", ids="region"), _c("region_groups", "list"))
LAYOUT = (
    Layout("pillars", ("pillars",), (_c("id"), _c("name")), required=True),
    Layout("regions", ("regions",), (_c("id"), _c("name"), _c("group")), required=True),
    Layout("countries", ("regions", "countries"), (_c("id"), _c("name")), _c("region", ids="region")),
    Layout("priorities", ("priorities",), (_c("id"), _c("name"), _c("pillar", ids="pillar")), required=True),
    Layout("match_sources", ("match_sources",), (_c("id"), _c("name"), _c("per_region", "bool"))),
    Layout("instruments", ("instruments",), (
        _c("id"), _c("name"), _c("usable_share", "number", SHARE),
        _c("max_eu_share", "number", SHARE, path=("cofinancing", "max_eu_share")),
        _c("match_source", ids="source", path=("cofinancing", "match_source")),
        _c("payment_profile", "numbers", "shares by year n, n+1 …"), _c("decommitment_window", "number", "years"),
        _c("budget_nature", path=("budget", "nature")),
        *(Column(f"eligible_{c.name}", ("eligibility", c.name), c.kind, c.unit, c.ids) for c in _SELECT)),
        required=True),
    Layout("cofinancing_exceptions", ("instruments", "cofinancing", "exceptions"),
           (*_SELECT, _c("max_eu_share", "number", SHARE), _c("match_source", ids="source")),
           _c("instrument", ids="instrument")),
    Layout("rules", ("rules",), (
        _c("id"), _c("pillar", ids="pillar"), _c("region", ids="region"), _c("priority", ids="priority"), *_SELECT,
        _c("instruments", "list", ids="instrument"), _c("years", "numbers"), _c("min", "number", EUR),
        _c("max", "number", EUR), _c("min_share", "number", SHARE), _c("max_share", "number", SHARE),
        _c("amount", "number", EUR), _c("value", "number"), _c("per_year", "bool"),
        _c("capacity", "number", "EUR m a year")), _c("family")),
    Layout("impact_cells", ("objective", "impact", "weights", "cells"),
           (_c("priority", ids="priority"), _c("region", ids="region"), _c("weight", "number", "per EUR m"))),
    Layout("indicators", ("objective", "results", "indicators"), (
        _c("id"), _c("name"), _c("unit"), *_SELECT, _c("instruments", "list", ids="instrument"),
        _c("years", "numbers"), _c("unit_cost", "number", "EUR m per unit"), _c("basis"),
        _c("target", "number", "units"), _c("value", "number", "per unit"),
        _c("beyond_target", "number", "per unit"))),
    Layout("uncertainty", ("uncertainty", "parameters"), (
        _c("id"), _c("path"), _c("mode"), _c("factor"), _c("distribution", path=("distribution", "kind")),
        *(_c(k, "number", path=("distribution", k)) for k in ("mean", "sd", "low", "high", "median", "sigma")),
        _c("most_likely", "number", path=("distribution", "mode")),
        _c("values", "numbers", path=("distribution", "values")),
        _c("probabilities", "numbers", path=("distribution", "probabilities")))),
    Layout("uncertainty_factors", ("uncertainty", "factors"), (_c("id"), _c("description"))),
)


@dataclass(frozen=True)
class Series:
    """A sheet of year series: the fields ``fields`` of the entries at ``section`` (or, with ``mapping``, the
    values of the mapping at ``section``), one row per owner, (region,) and year.

    Examples
    --------
    >>> [(s.sheet, s.owner.name, [f.name for f in s.fields]) for s in SERIES][0]
    ('envelopes', 'instrument', ['envelope', 'usable_amount'])
    """

    sheet: str
    section: Key
    owner: Column
    fields: tuple[Column, ...]
    regions: bool = False
    mapping: bool = False


SERIES = (
    Series("envelopes", ("instruments",), _c("instrument", ids="instrument"),
           (_c("envelope", "number", EUR), _c("usable_amount", "number", EUR))),
    Series("match_capacity", ("match_sources",), _c("source", ids="source"),
           (_c("capacity", "number", "EUR m a year"),), regions=True),
    Series("absorption", ("absorption", "capacity"), _c("region", ids="region"),
           (_c("capacity", "number", "EUR m a year"),), mapping=True),
)
#: the field / value sheets: the settings of a section go to its sheet, the rest to ``scenario``
SETTINGS = {"objective": "objective", "uncertainty": "uncertainty_settings", "": "scenario"}
YEARS_SHEET = "years"


# ---- values and cells ---------------------------------------------------------------------------------
def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _noted(value: Any) -> bool:
    """A number with its notes, ``{value: 380, source: …}``, whose notes a notes column can hold."""
    return (isinstance(value, dict) and _number(value.get("value")) and set(value) <= NOTE_KEYS
            and all(isinstance(value[k], str) for k in TEXT_NOTES if k in value)
            and ("range" not in value or (isinstance(value["range"], list) and all(map(_number, value["range"])))))


def _numbers_text(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _cell(value: Any, column: Column) -> tuple[bool, Any, dict[str, Any]]:
    """Whether ``value`` fits one cell of ``column``, the cell and the notes of a number."""
    kind = column.kind
    if kind == "number" and _noted(value):
        return True, value["value"], {k: v for k, v in value.items() if k != "value"}
    fits = {"number": _number(value), "bool": isinstance(value, bool), "text": isinstance(value, str),
            "list": isinstance(value, list) and all(isinstance(v, str) and "," not in v for v in value),
            "numbers": isinstance(value, list) and all(map(_number, value))}[kind]
    if not fits or (kind in ("list", "numbers") and not value):
        return False, None, {}
    return True, (", ".join(value) if kind == "list" else _numbers_text(value) if kind == "numbers" else value), {}


def _note_lines(prefix: str, notes: dict[str, Any]) -> list[str]:
    head = f"{prefix} " if prefix else ""
    return [f"{head}{k}: {_numbers_text(v) if k == 'range' else v}" for k, v in notes.items()]


def _get(tree: Any, path: Key) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return False, None
        tree = tree[part]
    return True, tree


def _pop(tree: dict[Any, Any], path: Key) -> Any:
    """Remove the value at ``path``, and the mappings it leaves empty."""
    if len(path) == 1:
        return tree.pop(path[0])
    value = _pop(tree[path[0]], path[1:])
    if tree[path[0]] == {}:
        del tree[path[0]]
    return value


def _put(tree: dict[Any, Any], path: Key, value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree[path[-1]] = value


# ---- writing ------------------------------------------------------------------------------------------
def _entry_row(entry: dict[str, Any], columns: tuple[Column, ...]) -> dict[str, Any]:
    """One row of cells (by column name) for an entry, its notes and what no column holds (``more``)."""
    rest = copy.deepcopy(entry)
    row: dict[str, Any] = {}
    notes = _note_lines("", {k: rest.pop(k) for k in TEXT_NOTES if isinstance(rest.get(k), str)})
    for column in columns:
        found, value = _get(rest, column.path)
        fits, cell, extra = _cell(value, column) if found else (False, None, {})
        if fits:
            _pop(rest, column.path)
            row[column.name] = cell
            notes += _note_lines(column.name, extra)
    if notes:
        row["notes"] = "\n".join(notes)
    if rest:
        row["more"] = rest
    return row


def _series_rows(value: Any) -> list[tuple[Any, Any, dict[str, Any]]] | None:
    """A year series as (year or ``all``, number, notes) rows; ``None`` when it is written another way."""
    if _number(value) or _noted(value):
        _, number, notes = _cell(value, _c("v", "number"))
        return [(ALL_YEARS, number, notes)]
    if isinstance(value, dict) and value and all(str(k).isdigit() for k in value):
        rows = [(int(k), *_cell(v, _c("v", "number"))[1:]) for k, v in value.items()]
        return rows if all(_number(v) or _noted(v) for v in value.values()) else None
    return None


def _region_series(value: Any) -> dict[Any, list[tuple[Any, Any, dict[str, Any]]]] | None:
    """A per-region capacity (a mapping region → year series) as rows per region; ``None`` if it is not one."""
    if not isinstance(value, dict) or not value or any(str(k).isdigit() or k in NOTE_KEYS for k in value):
        return None
    rows = {region: _series_rows(v) for region, v in value.items()}
    return {k: r for k, r in rows.items() if r is not None} if all(r is not None for r in rows.values()) else None


def _take_series(tree: dict[str, Any], spec: Series, out: list[dict[str, Any]]) -> None:
    found, owners = _get(tree, spec.section)
    if not found:
        return
    items = list(owners.items()) if spec.mapping else [(e.get("id"), e) for e in owners if isinstance(e, dict)]
    for owner, holder in items:
        rows: dict[tuple[Any, Any], dict[str, Any]] = {}
        for field in spec.fields:
            value = holder if spec.mapping else holder.get(field.name)
            plain = None if value is None else _series_rows(value)
            by_region = {None: plain} if plain is not None else (_region_series(value) if spec.regions else None)
            if value is None or by_region is None:
                continue
            for region, series in by_region.items():
                for year, number, notes in series or ():
                    row = rows.setdefault((region, year), {spec.owner.name: owner, **(
                        {"region": region} if region is not None else {}), "year": year})
                    row[field.name] = number
                    lines = _note_lines(field.name, notes)
                    if lines:
                        row["notes"] = "\n".join([*filter(None, [row.get("notes")]), *lines])
            if spec.mapping:
                del owners[owner]
            else:
                del holder[field.name]
        out.extend(rows.values())
    if spec.mapping and not owners:
        _pop(tree, spec.section)


def _take_entries(tree: dict[str, Any], layout: Layout, out: list[dict[str, Any]]) -> None:
    if layout.sheet == "rules":
        rules = tree.get("rules")
        if not isinstance(rules, dict):
            return
        for family in list(rules):
            value = rules[family]
            if family in SINGLE_RULES:
                entry = dict(value) if _noted(value) or isinstance(value, dict) else {"value": value}
                out.append({"family": family, **_entry_row(entry, layout.columns)})
            elif isinstance(value, list) and all(isinstance(e, dict) for e in value):
                out.extend({"family": family, **_entry_row(e, layout.columns)} for e in value)
            else:
                continue
            del rules[family]
        if not rules:
            del tree["rules"]
        return
    if layout.owner is not None:
        found, parents = _get(tree, layout.section[:1])
        for parent in parents if found and isinstance(parents, list) else ():
            found, entries = _get(parent, layout.section[1:])
            if found and isinstance(entries, list) and all(isinstance(e, dict | str) for e in entries):
                for e in entries:
                    row = _entry_row(e, layout.columns) if isinstance(e, dict) else {"name": e}
                    out.append({layout.owner.name: parent.get("id"), **row})
                _pop(parent, layout.section[1:])
        return
    found, entries = _get(tree, layout.section)
    if found and isinstance(entries, list) and all(isinstance(e, dict) for e in entries):
        out.extend(_entry_row(e, layout.columns) for e in entries)
        _pop(tree, layout.section)


def _settings(tree: Any, path: Key, out: dict[str, list[dict[str, Any]]]) -> None:
    """The rows of what is left: one per value (a number with its notes is one), a mapping's notes on a row of
    its own."""
    sheet = SETTINGS.get(str(path[0]) if path else "", SETTINGS[""])
    if isinstance(tree, dict) and tree and not _noted(tree):
        notes = {k: tree[k] for k in TEXT_NOTES if isinstance(tree.get(k), str)}
        if notes and path:
            out[sheet].append({"field": format_path(path), "notes": "\n".join(_note_lines("", notes))})
        for k, v in tree.items():
            if k not in notes or not path:
                if not path and k in notes:
                    out[sheet].append({"field": k, "value": v})
                else:
                    _settings(v, (*path, k), out)
        return
    row: dict[str, Any] = {"field": format_path(path)}
    fits, cell, notes = _cell(tree, _c("value", "number"))
    if fits:
        row["value"] = cell
        if notes:
            row["notes"] = "\n".join(_note_lines("", notes))
    elif isinstance(tree, str | bool):
        row["value"] = tree
    else:
        row["yaml"] = tree
    out[sheet].append(row)


def to_sheets(tree: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The rows of each sheet for a merged scenario tree: cells by column name; ``notes`` a text, ``more`` and
    ``yaml`` plain data (the writer turns them into YAML text).

    Examples
    --------
    >>> rows = to_sheets({"instruments": [{"id": "f", "envelope": {2009: 10, 2010: {"value": 12, "source": "B"}}}]})
    >>> rows["instruments"], rows["envelopes"]
    ([{'id': 'f'}], [{'instrument': 'f', 'year': 2009, 'envelope': 10}, \
{'instrument': 'f', 'year': 2010, 'envelope': 12, 'notes': 'envelope source: B'}])
    """
    tree = copy.deepcopy(tree)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in sheet_names()}
    years = tree.pop("years", None)
    if isinstance(years, list) and all(_number(y) for y in years):
        out[YEARS_SHEET] = [{"year": y} for y in years]
    elif years is not None:
        tree["years"] = years
    for spec in SERIES:
        _take_series(tree, spec, out[spec.sheet])
    for layout in reversed(LAYOUT):  # nested lists before the lists that hold them
        _take_entries(tree, layout, out[layout.sheet])
    _settings(tree, (), out)
    return out


def sheet_names() -> list[str]:
    """Every sheet of the layout, in the order of the workbook.

    Examples
    --------
    >>> sheet_names()[:4]
    ['scenario', 'years', 'pillars', 'regions']
    """
    return ["scenario", YEARS_SHEET, "pillars", "regions", "countries", "priorities", "match_sources",
            "match_capacity", "instruments", "envelopes", "cofinancing_exceptions", "absorption", "rules",
            "objective", "impact_cells", "indicators", "uncertainty", "uncertainty_factors", SETTINGS["uncertainty"]]


# ---- reading ------------------------------------------------------------------------------------------
def cell_at(sheet: str, ref: str) -> str:
    """The location of a cell as an origin's line: ``sheet instruments, cell C4``.

    Examples
    --------
    >>> cell_at("instruments", "C4")
    'sheet instruments, cell C4'
    """
    return f"sheet {sheet}, cell {ref}"


@dataclass(frozen=True)
class Sheet:
    """A sheet as read: the letter of each column (by its header's name, unit left out) and the filled rows
    (sheet row number, cells by column name; blank cells left out).

    Examples
    --------
    >>> Sheet("years", {"year": "A"}, [(2, {"year": 2009})]).rows
    [(2, {'year': 2009})]
    """

    name: str
    letters: dict[str, str]
    rows: list[tuple[int, dict[str, Any]]]


def _columns_of(sheet: str) -> tuple[list[str], list[str]]:
    """The column names a sheet may have and those it must have."""
    if sheet == YEARS_SHEET:
        return ["year"], ["year"]
    if sheet in SETTINGS.values():
        return ["field", "value", "yaml", "notes"], ["field"]
    for spec in SERIES:
        if spec.sheet == sheet:
            head = [spec.owner.name, *(["region"] if spec.regions else []), "year"]
            return [*head, *(f.name for f in spec.fields), "notes"], [spec.owner.name, "year"]
    layout = next(lay for lay in LAYOUT if lay.sheet == sheet)
    owner = [layout.owner.name] if layout.owner is not None else []
    names = [*owner, *(c.name for c in layout.columns), "more", "notes"]
    return names, owner + (["id"] if "id" in names and layout.sheet not in ("rules", "countries") else [])


class _Reader:
    """Builds the tree from the sheets, noting each value's origin and collecting every problem."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.origins: Origins = {(): (file, None)}
        self.problems: list[Problem] = []

    def at(self, sheet: Sheet, row: int, name: str) -> str:
        return cell_at(sheet.name, f"{sheet.letters.get(name, 'A')}{row}")

    def problem(self, where: str | None, path: Key, message: str) -> None:
        self.problems.append(Problem(f"{self.file}, {where}" if where else self.file, None, format_path(path),
                                     message))

    def note(self, path: Key, where: str) -> None:
        self.origins[path] = (self.file, where)

    def yaml(self, text: Any, where: str, path: Key) -> Any:
        """The data of a ``more`` or ``yaml`` cell, read as a scenario file's YAML is (safely, within limits)."""
        from pathlib import Path

        from fundsim.scenario.files import _read_yaml

        if not isinstance(text, str):
            return text
        try:
            data = _read_yaml(Path(f"{self.file}, {where}"), text, {})
        except ScenarioError as err:
            self.problems.extend(err.problems)
            return None

        def walk(value: Any, sub: Key) -> None:
            self.note((*path, *sub), where)
            for k, v in value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) \
                    else ():
                walk(v, (*sub, k))

        walk(data, ())
        return data

    def notes(self, text: Any, where: str, path: Key, fields: set[str]) -> dict[str, dict[str, Any]]:
        """The notes of a row by the column they belong to (``""``: the row's entry)."""
        found: dict[str, dict[str, Any]] = {}
        last: tuple[str, str] | None = None
        for line in str(text).splitlines():
            m = _NOTE_LINE.match(line)
            if m is None and last is not None and last[1] != "range":
                found[last[0]][last[1]] += "\n" + line
                continue
            if m is None or (m[1] or "") not in fields | {""}:
                shown = "; a column name first, for a number's note: " + ", ".join(sorted(fields)) if fields else ""
                self.problem(where, path, f"the note line {line!r} is not 'source: …', 'assumption: …', 'note: …' "
                                          f"or 'range: low, high'{shown}")
                continue
            field, kind, value = m[1] or "", m[2], m[3]
            found.setdefault(field, {})[kind] = [_parse_number(v) for v in value.split(",")] \
                if kind == "range" else value
            last = (field, kind)
        return found

    def entry(self, sheet: Sheet, row: int, cells: dict[str, Any], columns: tuple[Column, ...],
              path: Key) -> dict[str, Any]:
        """The entry of one row at ``path``: its cells, their notes and its ``more``."""
        entry: dict[str, Any] = {}
        self.note(path, self.at(sheet, row, next(iter(cells), "")))
        for column in columns:
            if column.name in cells:
                value = cells[column.name]
                if column.kind == "list":
                    value = [v.strip() for v in str(value).split(",") if v.strip()]
                elif column.kind == "numbers":
                    value = [_parse_number(v) for v in str(value).split(",") if v.strip()]
                _put(entry, column.path, value)
                self.note((*path, *column.path), self.at(sheet, row, column.name))
        if "notes" in cells:
            where = self.at(sheet, row, "notes")
            by_field = {c.name: c for c in columns if c.name in cells and c.kind == "number"}
            for field, notes in self.notes(cells["notes"], where, path, set(by_field)).items():
                target = by_field[field].path if field else ()
                if target:
                    _put(entry, target, {"value": _get(entry, target)[1], **notes})
                else:
                    entry.update(notes)
                for kind in notes:
                    self.note((*path, *target, kind), where)
        if "more" in cells:
            more = self.yaml(cells["more"], self.at(sheet, row, "more"), path)
            if isinstance(more, dict):
                _deep_update(entry, more)
            elif more is not None:
                self.problem(self.at(sheet, row, "more"), path, f"more holds the entry's other fields as a YAML "
                                                                f"mapping ({{field: value, …}}); got {more!r}")
        return entry


def _parse_number(text: Any) -> Any:
    """A number written in a list cell (``0.4, 0.4, 0.2``); text that is not one stays text, for validation to
    name."""
    text = str(text).strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _deep_update(tree: dict[Any, Any], more: dict[Any, Any]) -> None:
    for k, v in more.items():
        if isinstance(v, dict) and isinstance(tree.get(k), dict):
            _deep_update(tree[k], v)
        else:
            tree[k] = v


def _check_sheets(reader: _Reader, sheets: dict[str, Sheet]) -> None:
    known = sheet_names()
    for name, sheet in sheets.items():
        if name not in known:
            reader.problem(cell_at(name, "A1"), (), f"the sheet {name!r} is not part of a scenario workbook; the "
                           f"sheets are {', '.join(known)} (a sheet whose name starts with '_' is left out: keep "
                           "your own workings there)")
            continue
        allowed, needed = _columns_of(name)
        for column, letter in sheet.letters.items():
            if column not in allowed:
                reader.problem(cell_at(name, f"{letter}1"), (), f"unknown column {column!r}; the columns of the "
                               f"sheet {name} are {', '.join(allowed)}")
        for column in needed:
            if column not in sheet.letters and sheet.rows:
                reader.problem(cell_at(name, "A1"), (), f"the sheet has no column {column!r}; its columns are "
                               f"{', '.join(allowed)} ({', '.join(needed)} required)")
    for name in ("years", "pillars", "regions", "priorities", "instruments"):
        if name not in sheets:
            reader.problem(None, (name,), f"the workbook has no sheet {name!r}; a scenario workbook "
                           f"has the sheets {', '.join(known)} (fundsim template writes one)")


def _field_path(text: str) -> Key:
    """``objective.impact.weights.default`` → its path; a part of digits is a year (or a list position)."""
    parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", text.strip())
    return tuple(int(n) if n else int(k) if k.isdigit() else k for n, k in parts)


def _read_settings(reader: _Reader, sheet: Sheet, tree: dict[str, Any]) -> None:
    for row, cells in sheet.rows:
        if "field" not in cells:
            reader.problem(reader.at(sheet, row, "field"), (), "the row has no field; name the setting as its path "
                           "in the scenario format (objective.impact.basis)")
            continue
        path = _field_path(str(cells["field"]))
        if "yaml" in cells:
            value: Any = reader.yaml(cells["yaml"], reader.at(sheet, row, "yaml"), path)
        elif "value" in cells:
            value = cells["value"]
        else:
            value = None
        where = reader.at(sheet, row, "value" if "value" in cells else "yaml" if "yaml" in cells else "field")
        reader.note(path, where)
        notes = reader.notes(cells["notes"], reader.at(sheet, row, "notes"), path, set()).get("", {}) \
            if "notes" in cells else {}
        for kind in notes:
            reader.note((*path, kind), reader.at(sheet, row, "notes"))
        if value is None and not notes and "yaml" not in cells:
            continue
        if notes and value is None:
            found, there = _get(tree, path)
            _put(tree, path, {**(there if found and isinstance(there, dict) else {}), **notes})
        else:
            _put(tree, path, {"value": value, **notes} if notes else value)


def _read_entries(reader: _Reader, sheet: Sheet, layout: Layout, tree: dict[str, Any]) -> None:
    if layout.sheet == "rules":
        rules: dict[str, Any] = tree.setdefault("rules", {})
        for row, cells in sheet.rows:
            family = cells.get("family")
            if not isinstance(family, str) or not family.strip():
                reader.problem(reader.at(sheet, row, "family"), ("rules",), "the row names no rule family "
                               "(pillar_balance, region_limits, caps, locks, conditions, admin_cost …)")
                continue
            family = family.strip()
            rest = {k: v for k, v in cells.items() if k != "family"}
            if family in SINGLE_RULES:
                entry = reader.entry(sheet, row, rest, layout.columns, ("rules", family))
                rules[family] = entry["value"] if set(entry) == {"value"} else entry
            else:
                entries = rules.setdefault(family, [])
                entries.append(reader.entry(sheet, row, rest, layout.columns, ("rules", family, len(entries))))
            reader.note(("rules", family), reader.at(sheet, row, "family"))
        return
    if layout.owner is None:
        reader.note(layout.section, cell_at(sheet.name, "A1"))
        if not sheet.rows:
            return
        entries = [reader.entry(sheet, row, cells, layout.columns, (*layout.section, n))
                   for n, (row, cells) in enumerate(sheet.rows)]
        _put(tree, layout.section, entries)
        reader.note(layout.section, cell_at(sheet.name, "A1"))
        return
    parents = tree.get(layout.section[0])
    index = {e.get("id"): n for n, e in enumerate(parents)} if isinstance(parents, list) else {}
    for row, cells in sheet.rows:
        owner = cells.get(layout.owner.name)
        if owner not in index:
            reader.problem(reader.at(sheet, row, layout.owner.name), (layout.section[0],),
                           f"{layout.owner.name} {owner!r} is not one of the sheet {layout.section[0]}'s ids "
                           f"({', '.join(map(str, index)) or 'none'})")
            continue
        n = index[owner]
        found, held = _get(parents[n], layout.section[1:])  # type: ignore[index]
        if not found:
            held = []
            _put(parents[n], layout.section[1:], held)  # type: ignore[index]
        path = (layout.section[0], n, *layout.section[1:], len(held))
        rest = {k: v for k, v in cells.items() if k != layout.owner.name}
        held.append(rest["name"] if set(rest) == {"name"} and layout.sheet == "countries"
                    else reader.entry(sheet, row, rest, layout.columns, path))


def _read_series(reader: _Reader, sheet: Sheet, spec: Series, tree: dict[str, Any]) -> None:
    if spec.mapping:
        holders: dict[Any, tuple[dict[str, Any], Key]] = {}
        mapping = tree
        for part in spec.section:
            mapping = mapping.setdefault(part, {})
    else:
        entries = tree.get(spec.section[0])
        holders = {e.get("id"): (e, (spec.section[0], n)) for n, e in enumerate(entries)} \
            if isinstance(entries, list) else {}
    collected: dict[tuple[Any, Any, str], dict[Any, tuple[Any, dict[str, Any], int]]] = {}
    for row, cells in sheet.rows:
        owner, year = cells.get(spec.owner.name), cells.get("year", ALL_YEARS)
        if not spec.mapping and owner not in holders:
            reader.problem(reader.at(sheet, row, spec.owner.name), spec.section, f"{spec.owner.name} {owner!r} is "
                           f"not one of the sheet {spec.section[0]}'s ids ({', '.join(map(str, holders)) or 'none'})")
            continue
        if year != ALL_YEARS and not (isinstance(year, int) and not isinstance(year, bool)):
            reader.problem(reader.at(sheet, row, "year"), spec.section, f"year {year!r}: give a year of the "
                           f"scenario, or {ALL_YEARS!r} for a number that holds in every year")
            continue
        fields = {f.name for f in spec.fields if f.name in cells}
        notes = reader.notes(cells.get("notes", ""), reader.at(sheet, row, "notes"), spec.section, fields)
        if "" in notes:
            if len(fields) != 1:
                reader.problem(reader.at(sheet, row, "notes"), spec.section, "say which number a note is for: "
                               f"begin the line with its column ({', '.join(f.name for f in spec.fields)})")
                continue
            notes[next(iter(fields))] = {**notes.pop(""), **notes.get(next(iter(fields)), {})}
        for field in fields:
            key = (owner, cells.get("region"), field)
            collected.setdefault(key, {})[year] = (cells[field], notes.get(field, {}), row)
    for (owner, region, field), years in collected.items():
        if spec.mapping:
            path: Key = (*spec.section, owner)
        else:
            holder, base = holders[owner]
            path = (*base, field)
        if region is not None:
            path = (*path, region)
        if ALL_YEARS in years and len(years) > 1:
            reader.problem(reader.at(sheet, years[ALL_YEARS][2], "year"), path, f"give the number for "
                           f"{ALL_YEARS!r} years or for each year, not both")
            continue
        value: Any = {y: ({"value": v, **n} if n else v) for y, (v, n, _) in years.items()}
        for y, (_, n, row) in years.items():
            sub = path if y == ALL_YEARS else (*path, y)
            reader.note(sub, reader.at(sheet, row, field))
            for kind in n:
                reader.note((*sub, kind), reader.at(sheet, row, "notes"))
        value = value[ALL_YEARS] if ALL_YEARS in years else value
        if spec.mapping:
            mapping[owner] = value
        elif region is None:
            holder[field] = value
        else:
            holder.setdefault(field, {})[region] = value


def from_sheets(sheets: dict[str, Sheet], file: str) -> tuple[dict[str, Any], Origins]:
    """The scenario tree of a workbook's sheets and each value's origin, ``(file, "sheet S, cell C4")``.

    Raises :class:`~fundsim.errors.ScenarioError` listing every problem of the layout (an unknown sheet or
    column, a missing one, a row naming an unknown owner, a note that is not one), each at its cell; the
    values themselves are validated as a YAML file's are.

    Examples
    --------
    >>> sheets = {"years": Sheet("years", {"year": "A"}, [(2, {"year": 2009})]),
    ...           "pillars": Sheet("pillars", {"id": "A", "colour": "B"}, [(2, {"id": "p", "colour": "red"})])}
    >>> try:
    ...     from_sheets(sheets, "t.xlsx")
    ... except ScenarioError as err:
    ...     print(err.problems[0])
    t.xlsx, sheet pillars, cell B1: (top level): unknown column 'colour'; the columns of the sheet pillars are \
id, name, more, notes
    """
    reader = _Reader(file)
    _check_sheets(reader, sheets)
    if reader.problems:
        raise ScenarioError(reader.problems)
    tree: dict[str, Any] = {}
    for name in ("scenario", "objective", SETTINGS["uncertainty"]):
        if name in sheets:
            _read_settings(reader, sheets[name], tree)
    if YEARS_SHEET in sheets:
        sheet = sheets[YEARS_SHEET]
        tree["years"] = [cells.get("year") for _, cells in sheet.rows]
        reader.note(("years",), cell_at(YEARS_SHEET, "A1"))
        for n, (row, _) in enumerate(sheet.rows):
            reader.note(("years", n), reader.at(sheet, row, "year"))
    for layout in LAYOUT:
        if layout.sheet in sheets and (layout.owner is None or layout.sheet == "rules"):
            _read_entries(reader, sheets[layout.sheet], layout, tree)
    for layout in LAYOUT:
        if layout.sheet in sheets and layout.owner is not None and layout.sheet != "rules":
            _read_entries(reader, sheets[layout.sheet], layout, tree)
    for spec in SERIES:
        if spec.sheet in sheets:
            _read_series(reader, sheets[spec.sheet], spec, tree)
    if reader.problems:
        raise ScenarioError(reader.problems)
    if tree.get("rules") == {}:
        del tree["rules"]
    return tree, reader.origins
