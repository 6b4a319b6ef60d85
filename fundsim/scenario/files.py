"""Reading scenario files: YAML (safe loading, with line numbers) and TOML, and ``extends:`` merging.

Every value read is paired with where it came from, so that a problem found later can name the file
and line. Lists of entries that carry an ``id`` merge by id when a file extends another; any other
value in the extending file replaces the base's.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from fundsim.errors import Problem, ScenarioError

__all__ = ["Origins", "read_tree"]

Key = tuple[Any, ...]
Origins = dict[Key, tuple[str, int | None]]  # path → (file, line)


def _plain(node: yaml.Node, loader: yaml.SafeLoader, path: Key, file: str, origins: Origins) -> Any:
    """Turn a composed YAML node into plain Python data, noting each path's line."""
    origins[path] = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise _problem(file, key_node.start_mark.line + 1, path, "a mapping key must be a plain value")
            if key in out:
                raise _problem(file, key_node.start_mark.line + 1, path, f"the key {key!r} appears twice")
            origins[(*path, key)] = (file, key_node.start_mark.line + 1)
            out[key] = _plain(value_node, loader, (*path, key), file, origins)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, loader, (*path, i), file, origins) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _problem(file: str, line: int | None, path: Key, message: str) -> ScenarioError:
    return ScenarioError([Problem(file, line, format_path(path), message)])


def format_path(path: Key) -> str:
    """``("instruments", 2, "envelope")`` → ``instruments[2].envelope``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _read_yaml(path: Path, origins: Origins) -> Any:
    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _problem(str(path), 1, (), "the file is empty; a scenario is a mapping of sections")
        return _plain(node, loader, (), str(path), origins)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise _problem(str(path), line, (), f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise _problem(str(path), None, (), f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _read_toml(path: Path, origins: Origins) -> Any:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _problem(str(path), getattr(exc, "lineno", None), (), f"not valid TOML: {exc}") from None

    def note(value: Any, key: Key) -> None:
        origins[key] = (str(path), None)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            note(v, (*key, k))

    note(data, ())
    return data


def _merge(base: Any, over: Any) -> Any:
    """Deep merge: mappings key by key, lists of id'd entries by id, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
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
    return isinstance(value, list) and all(isinstance(e, dict) and "id" in e for e in value)




def read_tree(path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Origins]:
    """Read a scenario file, following ``extends:``; return the merged data and each path's origin."""
    path = Path(path)
    if not path.is_file():
        raise _problem(str(path), None, (), "no such file")
    if path.resolve() in _seen:
        chain = " → ".join(str(p) for p in (*_seen, path.resolve()))
        raise _problem(str(path), None, ("extends",), f"files extend each other in a circle: {chain}")
    origins: Origins = {}
    if path.suffix.lower() == ".toml":
        data = _read_toml(path, origins)
    elif path.suffix.lower() in {".yaml", ".yml"}:
        data = _read_yaml(path, origins)
    else:
        raise _problem(str(path), None, (), "unknown file type; use .yaml, .yml or .toml")
    if not isinstance(data, dict):
        raise _problem(str(path), 1, (), f"a scenario is a mapping of sections, got {type(data).__name__}")
    base_name = data.pop("extends", None)
    if base_name is None:
        return data, origins
    if not isinstance(base_name, str):
        raise _problem(str(path), origins.get(("extends",), (None, None))[1], ("extends",),
                       "extends takes the path of one base scenario file, relative to this file")
    base, base_origins = read_tree(path.parent / base_name, (*_seen, path.resolve()))
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
