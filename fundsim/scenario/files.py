"""Reading one scenario file: YAML (safe loading, with line numbers) and TOML.

Every value read is paired with where it came from, so that a problem found later can name the file
and line. Following ``extends:`` and merging a variant into its base is :mod:`fundsim.scenario.extends`.

YAML is read as plain data only: text, numbers, booleans, dates, lists and mappings. Any other tag
(``!!python/object``, ``!custom``) is reported as a problem and never constructed.

Nothing read can hang, crash or exhaust memory: only regular files are opened (a named pipe or a device
would block), and the limits of :mod:`fundsim.limits` bound a file's size (``scenario_bytes``), how deeply its
values nest (``nesting_depth``), the entries of one list (``labels``) and the digits of an integer
(``integer_digits``); YAML aliases may expand a file to at most a million values. Each check is one pass
over the file, and each breach is a problem with the file, the line, the limit and how to raise it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from fundsim.errors import Problem, ScenarioError
from fundsim.limits import DEFAULTS, LimitError, Limits, current, file_kind

__all__ = ["Key", "Line", "Origins", "bound_tree", "format_path", "located", "over_limit", "problem", "read_file",
           "special_file"]

Key = tuple[Any, ...]
Line = int | str | None  # a text file's line, or a workbook's cell: "sheet instruments, cell C4"
Origins = dict[Key, tuple[str, Line]]  # path → (file, line)

_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_SCALAR_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MERGE_TAG = _YAML_TAG + "merge"
_MAX_VALUES = 1_000_000  # aliases may not blow a small file up into more values than this
_TOO_DEEP_FOR_PYTHON = ("values nest more deeply than this Python's stack can read (the limit nesting_depth, "
                        "now {}, was raised beyond it); nest the values less deeply")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def format_path(path: Key) -> str:
    """``("instruments", 2, "envelope")`` → ``instruments[2].envelope``.

    Examples
    --------
    >>> format_path(("instruments", 2, "envelope"))
    'instruments[2].envelope'
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else (
            f".{part}" if text else str(part))
    return text


def located(file: str | None, line: Line, path: Key, message: str) -> Problem:
    """The :class:`~fundsim.errors.Problem` at ``file`` and ``line`` (a workbook's cell joins the file's name,
    since a problem's line is a number) and the field ``path``.

    Examples
    --------
    >>> print(located("tutorial.yaml", 14, ("years",), "must not be empty"))
    tutorial.yaml:14: years: must not be empty
    >>> print(located("scenario.xlsx", "sheet instruments, cell D4", ("instruments", 0, "usable_share"),
    ...               "must be between 0 and 1; got 1.2"))
    scenario.xlsx, sheet instruments, cell D4: instruments[0].usable_share: must be between 0 and 1; got 1.2
    """
    if isinstance(line, str):
        return Problem(f"{file}, {line}", None, format_path(path), message)
    return Problem(file, line, format_path(path), message)


def problem(file: str | None, line: Line, path: Key, message: str) -> ScenarioError:
    """The :class:`~fundsim.errors.ScenarioError` of one problem at ``file``, ``line`` and the field ``path``.

    Examples
    --------
    >>> print(problem("tutorial.yaml", 14, ("years",), "must not be empty"))
    1 problem in the scenario:
      - tutorial.yaml:14: years: must not be empty
    """
    return ScenarioError([located(file, line, path, message)])


def over_limit(name: str, value: Any, what: str, where: tuple[str | None, Line, Key],
               limits: Limits | None = None) -> ScenarioError:
    """The problem of an input over the limit ``name`` of ``limits`` (default: the limits in force,
    :mod:`fundsim.limits`), at (file, line, path).

    Examples
    --------
    >>> err = over_limit("labels", 10**6, "a list of 1,000,000 regions", ("big.yaml", 4, ("regions",)))
    >>> err.problems[0].path, err.problems[0].message.split(" (")[0]
    ('regions', 'a list of 1,000,000 regions is above the limit labels = 100000')
    """
    limit = getattr(limits if limits is not None else current(), name)
    return problem(*where, str(LimitError(name, value, limit, what)))


def special_file(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file ("no such file", "a named pipe" …), else ``None``.

    Looked up without opening the file: opening a named pipe waits for a writer, and a device may never end.

    Examples
    --------
    >>> from pathlib import Path
    >>> special_file(Path("scenarios")), special_file(Path("nowhere.yaml"))
    ('a directory', 'no such file')
    >>> print(special_file(Path("scenarios/tutorial.yaml")))  # a regular file
    None
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    return file_kind(mode)


# ---- YAML --------------------------------------------------------------------------------------------
class _YamlReader:
    """Turns a composed YAML node tree into plain data, noting each path's line and gathering problems."""

    def __init__(self, loader: yaml.SafeLoader, file: str, origins: Origins, limits: Limits) -> None:
        self.loader, self.file, self.origins, self.limits = loader, file, origins, limits
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
        self._bound(node, path)
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

    def _bound(self, node: yaml.Node, path: Key) -> None:
        """Refuse a value nested too deeply (aliases can nest deeper than the text), a list with too many
        entries, an integer with too many digits; each before it is read."""
        where = (self.file, node.start_mark.line + 1, path)
        if len(path) > self.limits.nesting_depth:
            raise over_limit("nesting_depth", len(path), f"a value nested {len(path)} deep", where, self.limits)
        if isinstance(node, yaml.SequenceNode) and len(node.value) > self.limits.labels:
            raise over_limit("labels", len(node.value), f"a list of {len(node.value):,} entries", where,
                             self.limits)
        if isinstance(node, yaml.ScalarNode) and node.tag == _YAML_TAG + "int":
            digits = sum(c.isalnum() for c in node.value.removeprefix("0x").removeprefix("0o").removeprefix("0b"))
            if digits > self.limits.integer_digits:
                raise over_limit("integer_digits", digits, f"an integer of {digits} digits", where, self.limits)

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


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing values nested more deeply than the limit before its composer (which
    recurses, one Python frame per level) can overflow the stack."""

    def __init__(self, text: str, file: str, limits: Limits) -> None:
        super().__init__(text)
        self.file, self.depth, self.limits = file, 0, limits

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1  # the top-level mapping is 1; a value's depth is the length of its path, 1 less
        try:
            if self.depth - 1 > self.limits.nesting_depth:
                where = (self.file, self.peek_event().start_mark.line + 1, ())
                raise over_limit("nesting_depth", self.depth - 1, f"a value nested {self.depth - 1} deep", where,
                                 self.limits)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _read_yaml(path: Path, text: str, origins: Origins) -> Any:
    limits = current()
    try:
        loader = _Loader(text, str(path), limits)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        at = text.count("\n", 0, exc.position) + 1
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise problem(str(path), at, (), f"not valid YAML: the character {shown} is not allowed in a YAML "
                                           "file") from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise problem(str(path), 1, (), "the file is empty; a scenario is a mapping of sections "
                                             "(name:, years:, pillars:, regions:, priorities:, instruments: …)")
        reader = _YamlReader(loader, str(path), origins, limits)
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
    except RecursionError:  # only with a nesting limit raised beyond what Python's stack holds
        raise problem(str(path), None, (), _TOO_DEEP_FOR_PYTHON.format(limits.nesting_depth)) from None
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
    limits = current()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else getattr(exc, "lineno", None)
        raise problem(str(path), line, (), f"not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays and inline tables
        if limits.nesting_depth > DEFAULTS.nesting_depth:  # it reads the default depth, but maybe not more
            raise problem(str(path), None, (), _TOO_DEEP_FOR_PYTHON.format(limits.nesting_depth)) from None
        raise over_limit("nesting_depth", limits.nesting_depth + 1, "the depth of nesting",
                         (str(path), None, ()), limits) from None
    except ValueError:  # an integer beyond Python's digits for a conversion
        digits = re.search(rf"\d{{{limits.integer_digits + 1},}}", text)
        line = text.count("\n", 0, digits.start()) + 1 if digits else None
        raise over_limit("integer_digits", len(digits.group()) if digits else limits.integer_digits + 1,
                         "an integer with more digits than the limit", (str(path), line, ()), limits) from None
    lines = _toml_lines(text)
    bound_tree(data, str(path), lines, limits)

    def note(value: Any, key: Key, inherited: int | None) -> None:
        line = lines.get(key, inherited)
        origins[key] = (str(path), line)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            note(v, (*key, k), line)

    note(data, (), None)
    return data


def bound_tree(data: Any, file: str | None, lines: dict[Key, int], limits: Limits) -> None:
    """The limits on nesting, list entries and integer digits, over read data, in one pass without recursion.

    Examples
    --------
    >>> from fundsim.limits import current, raised
    >>> from fundsim.errors import ScenarioError
    >>> bound_tree({"years": [2009, 2010]}, "t.yaml", {}, current())
    >>> try:
    ...     with raised(nesting_depth=2):
    ...         bound_tree({"years": [[[2009]]]}, "t.yaml", {}, current())
    ... except ScenarioError as err:
    ...     print(err.problems[0].path, err.problems[0].message.split(" (")[0])
    years[0][0] a value nested 3 deep is above the limit nesting_depth = 2
    >>> from fundsim.limits import Limits
    >>> try:  # limits given outright are the ones the message names
    ...     bound_tree({"years": [[[2009]]]}, "t.yaml", {}, Limits(nesting_depth=2))
    ... except ScenarioError as err:
    ...     print(err.problems[0].message.split(" (")[0])
    a value nested 3 deep is above the limit nesting_depth = 2
    """
    stack: list[tuple[Any, Key]] = [(data, ())]
    count = 0
    while stack:
        value, path = stack.pop()
        where = (file, next((lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in lines), None), path)
        count += 1
        if count > _MAX_VALUES:  # shared parts of a Python mapping count each time they are met, as aliases do
            raise problem(*where, f"the scenario holds more than {_MAX_VALUES:,} values; a scenario is far smaller")
        if len(path) > limits.nesting_depth:
            raise over_limit("nesting_depth", len(path), f"a value nested {len(path)} deep", where, limits)
        if isinstance(value, list) and len(value) > limits.labels:
            raise over_limit("labels", len(value), f"a list of {len(value):,} entries", where, limits)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limits.integer_digits:
            digits = len(str(abs(value)))
            raise over_limit("integer_digits", digits, f"an integer of {digits} digits", where, limits)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack.extend((v, (*path, k)) for k, v in items)


# ---- one file ----------------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    """The text of a regular file of at most ``scenario_bytes`` bytes, without control characters."""
    limit = current().scenario_bytes
    size = path.stat().st_size
    if size > limit:
        raise over_limit("scenario_bytes", size, f"the file's size, {size:,} bytes,", (str(path), None, ()))
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)  # the file may have grown since
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise problem(str(path), None, (), f"not a text file (not UTF-8: {exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise problem(str(path), None, (), f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise over_limit("scenario_bytes", len(raw), "the file's size", (str(path), None, ()))
    if bad := _CONTROL.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        raise problem(str(path), line, (), f"the file holds the control character U+{ord(bad.group()):04X} "
                                           f"(column {column}); a scenario file is plain text: is it a binary "
                                           "file, or saved in another encoding than UTF-8?")
    return text


def read_file(path: Path) -> tuple[Any, Origins]:
    """Read one YAML or TOML scenario file (without following ``extends:``): its data and each path's origin.

    Examples
    --------
    >>> from pathlib import Path
    >>> data, origins = read_file(Path("scenarios/tutorial.yaml"))
    >>> data["name"], origins[("name",)]
    ('tutorial', ('scenarios/tutorial.yaml', 12))
    """
    origins: Origins = {}
    kind = special_file(path)
    if kind == "no such file":
        raise problem(str(path), None, (), f"no such file (looked for {path.absolute()})")
    if kind is not None:
        plain = "file" if kind == "a directory" else "regular file"  # pipes and devices are never opened
        raise problem(str(path), None, (), f"{kind}, not a {plain}: give the path of a scenario file (.yaml, "
                                           ".yml or .toml)")
    suffix = path.suffix.lower()
    if suffix not in {".toml", ".yaml", ".yml"}:
        raise problem(str(path), None, (), f"unknown file type {path.suffix or '(no suffix)'!r}; "
                                            "use .yaml, .yml or .toml, or a workbook (.xlsx, .xlsm)")
    text = _read_text(path)
    data = _read_toml(path, text, origins) if suffix == ".toml" else _read_yaml(path, text, origins)
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"[:80]
        raise problem(str(path), origins.get((), (None, 1))[1], (),
                      f"a scenario is a mapping of sections (name:, years:, regions: …), got {what}")
    return data, origins
