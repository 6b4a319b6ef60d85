"""Reading scenario files: YAML (safe loading, with line numbers) and TOML, and ``extends:`` merging.

Every value read is paired with where it came from, so that a problem found later can name the file
and line. Lists of entries that carry an ``id`` merge by id when a file extends another; any other
value in the extending file replaces the base's.

YAML is read as plain data only: text, numbers, booleans, dates, lists and mappings. Any other tag
(``!!python/object``, ``!custom``) is reported as a problem and never constructed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from fundsim.errors import Problem, ScenarioError

__all__ = ["Origins", "format_path", "read_tree"]

Key = tuple[Any, ...]
Origins = dict[Key, tuple[str, int | None]]  # path → (file, line)

_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_SCALAR_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MERGE_TAG = _YAML_TAG + "merge"
_MAX_VALUES = 1_000_000  # aliases may not blow a small file up into more values than this


def format_path(path: Key) -> str:
    """``("instruments", 2, "envelope")`` → ``instruments[2].envelope``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else (
            f".{part}" if text else str(part))
    return text


def _problem(file: str, line: int | None, path: Key, message: str) -> ScenarioError:
    return ScenarioError([Problem(file, line, format_path(path), message)])


# ---- YAML --------------------------------------------------------------------------------------------
class _YamlReader:
    """Turns a composed YAML node tree into plain data, noting each path's line and gathering problems."""

    def __init__(self, loader: yaml.SafeLoader, file: str, origins: Origins) -> None:
        self.loader, self.file, self.origins = loader, file, origins
        self.problems: list[Problem] = []
        self.count = 0
        self.open: set[int] = set()  # ids of the nodes being read (an alias to one of them is a cycle)

    def _add(self, node: yaml.Node, path: Key, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, format_path(path), message))

    def read(self, node: yaml.Node, path: Key) -> Any:
        self.origins.setdefault(path, (self.file, node.start_mark.line + 1))
        self.count += 1
        if self.count > _MAX_VALUES:
            raise _problem(self.file, node.start_mark.line + 1, path,
                           f"the file expands to more than {_MAX_VALUES:,} values (through YAML aliases); "
                           "a scenario is far smaller")
        if id(node) in self.open:
            self._add(node, path, "a YAML alias refers to a value that contains it (a cycle); "
                                  "a scenario holds plain, finite data")
            return None
        tag_ok = (node.tag == _YAML_TAG + "map" if isinstance(node, yaml.MappingNode)
                  else node.tag == _YAML_TAG + "seq" if isinstance(node, yaml.SequenceNode)
                  else node.tag in _PLAIN_SCALAR_TAGS)
        if not tag_ok:
            shown = node.tag.replace(_YAML_TAG, "!!")
            self._add(node, path, f"the YAML tag {shown!r} is not allowed; a scenario file holds plain data "
                                  "only (text, numbers, true/false, dates, lists and mappings)")
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.read(v, (*path, i)) for i, v in enumerate(node.value)]
            return self.loader.construct_object(node, deep=True)
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Key) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:  # `<<: *defaults` merges a mapping (or a list of them)
                value = self.read(value_node, path)
                for m in value if isinstance(value, list) else [value]:
                    if isinstance(m, dict):
                        merged.update({k: v for k, v in m.items() if k not in merged})
                    else:
                        self._add(key_node, path, f"'<<' merges mappings only, got {m!r}")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_SCALAR_TAGS:
                self._add(key_node, path, "a mapping key must be plain text or a number, not a list, a mapping "
                                          "or a tagged value")
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if key in out:
                self._add(key_node, (*path, key), f"the key {key!r} appears twice in the same mapping (first at "
                                                  f"line {lines[key]}); give each key once")
                continue
            lines[key] = line
            self.origins[(*path, key)] = (self.file, line)
            out[key] = self.read(value_node, (*path, key))
        for k, v in merged.items():
            out.setdefault(k, v)
        return out


def _yaml_syntax_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark
    text = f"not valid YAML: {exc.problem or exc}"
    if mark is not None:
        text += f" (column {mark.column + 1})"
    if exc.context and exc.context_mark is not None and (mark is None or exc.context_mark.line != mark.line):
        text += f", {exc.context} that starts at line {exc.context_mark.line + 1}"
    if "'\\t'" in str(exc.problem):
        text += "; YAML indents with spaces, not tabs"
    return text


def _read_yaml(path: Path, text: str, origins: Origins) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _problem(str(path), 1, (), "the file is empty; a scenario is a mapping of sections "
                                             "(name:, years:, pillars:, regions:, priorities:, instruments: …)")
        reader = _YamlReader(loader, str(path), origins)
        data = reader.read(node, ())
        if reader.problems:
            raise ScenarioError(reader.problems)
        return data
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise _problem(str(path), line, (), _yaml_syntax_message(exc)) from None
    except yaml.YAMLError as exc:
        raise _problem(str(path), None, (), f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


# ---- TOML --------------------------------------------------------------------------------------------
_TOML_KEY = r'(?:[A-Za-z0-9_\-]+|"[^"\n]*"|\'[^\'\n]*\')'
_TOML_DOTTED = re.compile(rf"\s*({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*")
_TOML_TABLE = re.compile(rf"^\[\s*({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*\]")
_TOML_ARRAY_TABLE = re.compile(rf"^\[\[\s*({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*\]\]")
_TOML_ASSIGN = re.compile(rf"^({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*=")


def _toml_parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(_TOML_KEY, dotted)]


def _toml_lines(text: str) -> dict[Key, int]:
    """Best-effort line of each table header and ``key =`` line (tomllib reports none)."""
    lines: dict[Key, int] = {}
    table: Key = ()
    arrays: dict[Key, int] = {}  # array-of-tables path → index of its current entry

    def resolve(parts: list[str]) -> Key:
        out: Key = ()
        for p in parts:
            out = (*out, p)
            if out in arrays:
                out = (*out, arrays[out])
        return out

    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if m := _TOML_ARRAY_TABLE.match(s):
            parts = _toml_parts(m.group(1))
            base = (*resolve(parts[:-1]), parts[-1])
            arrays[base] = arrays.get(base, -1) + 1
            lines.setdefault(base, n)
            table = (*base, arrays[base])
            lines[table] = n
        elif m := _TOML_TABLE.match(s):
            table = resolve(_toml_parts(m.group(1)))
            lines.setdefault(table, n)
        elif m := _TOML_ASSIGN.match(s):
            key: Key = table
            for p in _toml_parts(m.group(1)):
                key = (*key, p)
                lines.setdefault(key, n)
    return lines


def _read_toml(path: Path, text: str, origins: Origins) -> Any:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else getattr(exc, "lineno", None)
        raise _problem(str(path), line, (), f"not valid TOML: {exc}") from None
    lines = _toml_lines(text)

    def note(value: Any, key: Key, inherited: int | None) -> None:
        line = lines.get(key, inherited)
        origins[key] = (str(path), line)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            note(v, (*key, k), line)

    note(data, (), None)
    return data


# ---- extends -----------------------------------------------------------------------------------------
# Values that a variant restates whole: merging them key by key would mix two descriptions of one thing
# (a year map with a {total, profile}, a share with an amount, two eligibility lists).
REPLACED_WHOLE = frozenset({"envelope", "capacity", "eligibility", "payment_profile", "breakpoints", "slopes",
                            "distribution", "matrix", "between"})
ALTERNATIVES = {"usable_share": "usable_amount", "usable_amount": "usable_share"}


def _merge(base: Any, over: Any) -> Any:
    """Deep merge for ``extends:``.

    Mappings merge key by key; a key set to ``null`` in the extending file is removed; the values named in
    ``REPLACED_WHOLE`` are replaced whole, and giving one of two alternatives (``usable_share`` /
    ``usable_amount``) drops the other. Non-empty lists of entries with ids merge entry by entry (new ids
    are appended); any other value, an empty list included, replaces the base's.
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is None:
                out.pop(k, None)
                continue
            if k in ALTERNATIVES:
                out.pop(ALTERNATIVES[k], None)
            out[k] = v if k in REPLACED_WHOLE or k not in base else _merge(base[k], v)
        return out
    if _idlist(base) and _idlist(over):
        out_list = list(base)
        index = {e["id"]: n for n, e in enumerate(out_list)}
        for entry in over:
            if entry["id"] in index:
                out_list[index[entry["id"]]] = _merge(out_list[index[entry["id"]]], entry)
            else:
                out_list.append(entry)
        return out_list
    return over


def _idlist(value: Any) -> bool:
    """A non-empty list of entries with (hashable, plain) ids: such lists merge entry by entry."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(e, dict) and isinstance(e.get("id"), str | int) for e in value
    )


def _read_file(path: Path) -> tuple[Any, Origins]:
    origins: Origins = {}
    suffix = path.suffix.lower()
    if suffix not in {".toml", ".yaml", ".yml"}:
        raise _problem(str(path), None, (), f"unknown file type {path.suffix or '(no suffix)'!r}; "
                                            "use .yaml, .yml or .toml")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(str(path), None, (), f"not a text file (not UTF-8: {exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise _problem(str(path), None, (), f"cannot read the file: {exc.strerror or exc}") from None
    data = _read_toml(path, text, origins) if suffix == ".toml" else _read_yaml(path, text, origins)
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"[:80]
        raise _problem(str(path), origins.get((), (None, 1))[1], (),
                       f"a scenario is a mapping of sections (name:, years:, regions: …), got {what}")
    return data, origins


def read_tree(path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Origins]:
    """Read a scenario file, following ``extends:``; return the merged data and each path's origin."""
    path = Path(path)
    if not path.exists():
        raise _problem(str(path), None, (), f"no such file (looked for {path.absolute()})")
    if not path.is_file():
        raise _problem(str(path), None, (), "not a file (a directory?); give the path of a scenario file")
    data, origins = _read_file(path)
    if "extends" not in data:
        return data, origins
    base_name = data.pop("extends")
    where = origins.get(("extends",), (str(path), None))[1]
    if not isinstance(base_name, str) or not base_name.strip():
        raise _problem(str(path), where, ("extends",), "extends takes the path of one base scenario file, "
                                                       f"relative to this file; got {base_name!r}")
    base_path = path.parent / base_name
    if not base_path.is_file():
        raise _problem(str(path), where, ("extends",), f"the base file {base_name!r} does not exist (looked for "
                                                       f"{base_path.absolute()}); the path is relative to "
                                                       "this file")
    chain = (*_seen, path.resolve())
    if base_path.resolve() in chain:
        names = " → ".join(p.name for p in (*chain, base_path.resolve()))
        raise _problem(str(path), where, ("extends",), f"files extend each other in a circle: {names}")
    base, base_origins = read_tree(base_path, chain)
    merged = _merge(base, data)
    out: Origins = dict(base_origins)
    out.update(_origins_for_merge(merged, data, origins))
    return merged, out


def _origins_for_merge(merged: Any, over: Any, origins: Origins) -> Origins:
    """Origins of the extending file's values at their paths in the merged tree."""
    result: Origins = {}

    def walk(m: Any, o: Any, mpath: Key, opath: Key) -> None:
        if opath in origins:
            result[mpath] = origins[opath]
        if isinstance(o, dict) and isinstance(m, dict):
            for k, v in o.items():
                walk(m.get(k), v, (*mpath, k), (*opath, k))
        elif isinstance(o, list) and isinstance(m, list):
            if _idlist(o) and _idlist(m):
                where = {e["id"]: n for n, e in enumerate(m)}
                for n, e in enumerate(o):
                    walk(m[where[e["id"]]], e, (*mpath, where[e["id"]]), (*opath, n))
            else:
                for n, e in enumerate(o):
                    walk(m[n] if n < len(m) else None, e, (*mpath, n), (*opath, n))

    walk(merged, over, (), ())
    return result
