"""Reading one scenario file: YAML (safe loading, with line numbers) and TOML.

Every value read is paired with where it came from, so that a problem found later can name the file
and line. Following ``extends:`` and merging a variant into its base is :mod:`fundsim.scenario.extends`.

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

__all__ = ["Key", "Origins", "format_path", "problem", "read_file"]

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


def problem(file: str, line: int | None, path: Key, message: str) -> ScenarioError:
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
            raise problem(self.file, node.start_mark.line + 1, path,
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
            raise problem(str(path), 1, (), "the file is empty; a scenario is a mapping of sections "
                                             "(name:, years:, pillars:, regions:, priorities:, instruments: …)")
        reader = _YamlReader(loader, str(path), origins)
        data = reader.read(node, ())
        if reader.problems:
            raise ScenarioError(reader.problems)
        return data
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise problem(str(path), line, (), _yaml_syntax_message(exc)) from None
    except yaml.YAMLError as exc:
        raise problem(str(path), None, (), f"not valid YAML: {exc}") from None
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
        raise problem(str(path), line, (), f"not valid TOML: {exc}") from None
    lines = _toml_lines(text)

    def note(value: Any, key: Key, inherited: int | None) -> None:
        line = lines.get(key, inherited)
        origins[key] = (str(path), line)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            note(v, (*key, k), line)

    note(data, (), None)
    return data


# ---- one file ----------------------------------------------------------------------------------------
def read_file(path: Path) -> tuple[Any, Origins]:
    origins: Origins = {}
    suffix = path.suffix.lower()
    if suffix not in {".toml", ".yaml", ".yml"}:
        raise problem(str(path), None, (), f"unknown file type {path.suffix or '(no suffix)'!r}; "
                                            "use .yaml, .yml or .toml")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise problem(str(path), None, (), f"not a text file (not UTF-8: {exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise problem(str(path), None, (), f"cannot read the file: {exc.strerror or exc}") from None
    data = _read_toml(path, text, origins) if suffix == ".toml" else _read_yaml(path, text, origins)
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"[:80]
        raise problem(str(path), origins.get((), (None, 1))[1], (),
                       f"a scenario is a mapping of sections (name:, years:, regions: …), got {what}")
    return data, origins
