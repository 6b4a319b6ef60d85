"""``extends:`` — reading a variant and its base scenario, and merging the variant (the overlay) into it.

The rules, as docs/scenario-format.md states them:

- mappings merge key by key at every depth, year series and region maps included: an overlay
  ``envelope: {2013: 40}`` changes 2013 and keeps the base's other years;
- a number in the base stands for every year (and, for a per-region capacity, every region): an overlay
  that gives some years (or regions) changes those only;
- where one value has two shapes (a year map and ``{total, profile}``; a number and a mapping; two
  distributions of different ``kind``) the overlay's shape replaces the base's value whole;
- giving one of two alternatives (``usable_share`` / ``usable_amount``; ``regions`` / ``region_groups``;
  ``priorities`` / ``pillars`` in a selector) drops the base's other one;
- lists of entries that carry an ``id`` merge entry by entry (new ids are appended); any other list is
  replaced whole;
- ``null`` deletes a key, with a :class:`~fundsim.errors.FundsimWarning` when it removes a rule or a limit
  (anything under ``rules`` or ``absorption``; an envelope, usable share or amount, capacity, eligibility,
  co-financing rule, payment profile or decommitment window, or part of one).

Examples
--------
>>> base = {"years": [2012, 2013], "instruments": [{"id": "f", "envelope": 20, "usable_share": 0.5}]}
>>> over = {"instruments": [{"id": "f", "envelope": {2013: 40}, "usable_amount": 8}]}
>>> merge(base, over, {}, {}, "variant.yaml")[0]["instruments"]
[{'id': 'f', 'envelope': {2012: 20, 2013: 40}, 'usable_amount': 8}]
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from fundsim.errors import FundsimWarning
from fundsim.limits import current
from fundsim.rules.fields import NOTE_KEYS, show
from fundsim.scenario.files import (
    _MAX_VALUES,
    Key,
    Origins,
    format_path,
    over_limit,
    problem,
    read_file,
    special_file,
)

__all__ = ["merge", "read_tree"]

# keys of one mapping that describe the same thing two ways: the overlay's one replaces the base's
ALTERNATIVES = ({"usable_share", "usable_amount"}, {"regions", "region_groups"}, {"priorities", "pillars"})
# a null below these removes a rule or a limit: warned (the sections of rules and absorption limits, and an
# instrument's or match source's own limits and rules)
_RULE_SECTIONS = frozenset({"rules", "absorption"})
_LIMIT_KEYS = frozenset({"envelope", "usable_share", "usable_amount", "capacity", "eligibility", "cofinancing",
                         "payment_profile", "decommitment_window", "budget"})


def _is_year(key: Any) -> bool:
    return (isinstance(key, int) and not isinstance(key, bool)) or (isinstance(key, str) and key.strip().isdigit())


def _is_number(value: Any) -> bool:
    """A plain number or a number with its provenance (``{value: 380, source: …}``)."""
    if isinstance(value, dict):
        return "value" in value and set(value) <= NOTE_KEYS
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shape(value: dict[Any, Any]) -> str:
    """Which of a value's descriptions a mapping is: a number with its notes, ``{total, profile}``, a year map
    or any other mapping."""
    if _is_number(value):
        return "number"
    if "total" in value or "profile" in value:
        return "total"
    return "years" if value and all(_is_year(k) for k in value) else "mapping"


def _same_shape(base: dict[Any, Any], over: dict[Any, Any]) -> bool:
    """Whether two mappings describe a value the same way, and so merge key by key (a number with its notes
    is one value: never merged). A distribution's shape is its kind; an overlay that leaves it out keeps it."""
    if "kind" in base or "kind" in over:
        return over.get("kind", base.get("kind")) == base.get("kind")
    return _shape(base) == _shape(over) != "number"


def _idlist(value: Any) -> bool:
    """A non-empty list of entries with (hashable, plain) ids: such lists merge entry by entry."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(e, dict) and isinstance(e.get("id"), str | int) for e in value
    )


def _twin(mapping: dict[Any, Any], key: Any) -> Any:
    """The key of ``mapping`` that means ``key``: a year may be written 2013 (YAML) or "2013" (TOML)."""
    if key in mapping or not _is_year(key):
        return key
    other = str(key) if isinstance(key, int) else int(key)
    return other if other in mapping else key


class _Merger:
    """One overlay merged into its base; notes where each value came from and warns about removals."""

    def __init__(self, labels: dict[str, dict[Any, None]], base_origins: Origins, origins: Origins, file: str) -> None:
        self.labels, self.base_origins, self.origins, self.file = labels, base_origins, origins, file
        self.expanded: Origins = {}  # merged path → origin, for the years (regions) a base number stood for
        self.made = 0  # values made by expanding base numbers, bounded as aliases are

    def value(self, base: Any, over: Any, path: Key, opath: Key) -> Any:
        if over == {}:  # an empty mapping changes nothing, key by key
            return base
        if isinstance(over, dict) and _is_number(base) and not _is_number(over):
            base = self._expand(base, over, path, opath)
        if isinstance(base, dict) and isinstance(over, dict) and _same_shape(base, over):
            return self.mapping(base, over, path, opath)
        if _idlist(base) and _idlist(over):
            return self.idlist(base, over, path, opath)
        return over

    def _expand(self, number: Any, over: dict[Any, Any], path: Key, opath: Key) -> Any:
        """A base number as the mapping it stands for, when the overlay names some of its years or regions."""
        for labels in self.labels.values():
            if over and all(_twin(labels, k) in labels for k in over):
                self.made += len(labels)
                if self.made > _MAX_VALUES:
                    file, line = self.origins.get(opath, (self.file, None))
                    raise problem(file, line, path, f"merging this file into its base makes more than "
                                                    f"{_MAX_VALUES:,} values; a scenario is far smaller")
                origin = self.base_origins.get(path)
                if origin is not None:
                    self.expanded.update({(*path, label): origin for label in labels})
                return {label: copy.deepcopy(number) for label in labels}
        return number

    def mapping(self, base: dict[Any, Any], over: dict[Any, Any], path: Key, opath: Key) -> dict[Any, Any]:
        out = dict(base)
        for k, v in over.items():
            bk = _twin(out, k)
            if v is None:
                if bk in out:
                    self._removed((*path, k), (*opath, k), out.pop(bk))
                continue
            if path:  # at the top level, regions and priorities are sections, not alternatives
                for other in next((g - {k} for g in ALTERNATIVES if k in g), ()):
                    if other not in over:
                        out.pop(other, None)
            old = out.pop(bk) if bk != k else out.get(k)
            out[k] = v if old is None else self.value(old, v, (*path, k), (*opath, k))
        return out

    def idlist(self, base: list[Any], over: list[Any], path: Key, opath: Key) -> list[Any]:
        out = list(base)
        index = {e["id"]: n for n, e in enumerate(out)}
        for m, entry in enumerate(over):
            n = index.get(entry["id"])
            if n is None:
                index[entry["id"]] = len(out)
                out.append(entry)
            else:
                out[n] = self.value(out[n], entry, (*path, n), (*opath, m))
        return out

    def _removed(self, path: Key, opath: Key, old: Any) -> None:
        if path[-1] in NOTE_KEYS or not (path[0] in _RULE_SECTIONS or _LIMIT_KEYS.intersection(path)):
            return
        file, line = self.origins.get(opath, (self.file, None))
        where = f"{file}, {line}" if isinstance(line, str) else f"{file}:{line}" if line is not None else file
        warnings.warn(f"{where}: {format_path(path)}: null removes the base's value {show(old)}; what it set no "
                      "longer holds (a removed limit is no limit, a removed rule no longer applies). Leave the "
                      "key out to keep the base's value", FundsimWarning, stacklevel=2)


def _labels(base: dict[str, Any], over: dict[str, Any]) -> dict[str, dict[Any, None]]:
    """The merged scenario's years and region ids (each once, in order), the labels a base number stands for."""
    years = over.get("years", base.get("years"))
    regions = [e.get("id") for part in (base, over) if isinstance(part.get("regions"), list)
               for e in part["regions"] if isinstance(e, dict)]
    return {"years": dict.fromkeys(y for y in years if _is_year(y)) if isinstance(years, list) else {},
            "regions": dict.fromkeys(r for r in regions if isinstance(r, str))}


def merge(base: dict[str, Any], over: dict[str, Any], base_origins: Origins, origins: Origins,
          file: str) -> tuple[dict[str, Any], Origins]:
    """Merge the overlay ``over`` (read from ``file``) into ``base``; return the data and each path's origin.

    Examples
    --------
    >>> base = {"name": "base", "years": [2012, 2013], "absorption": {"capacity": {"south": 30}}}
    >>> over = {"name": "variant", "absorption": {"capacity": {"east": 10}}}
    >>> merged, origins = merge(base, over, {}, {("name",): ("variant.yaml", 1)}, "variant.yaml")
    >>> merged["name"], merged["absorption"], origins[("name",)]
    ('variant', {'capacity': {'south': 30, 'east': 10}}, ('variant.yaml', 1))
    """
    merger = _Merger(_labels(base, over), base_origins, origins, file)
    merged = merger.mapping(base, over, (), ())
    out: Origins = dict(base_origins)
    out.update(merger.expanded)
    out.update(_origins_for_merge(merged, over, origins))
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


def _read(path: Path) -> tuple[dict[str, Any], Origins]:
    """One scenario file: a workbook (:mod:`fundsim.scenario.xlsx`) or a YAML or TOML file."""
    from fundsim.scenario.xlsx import SUFFIXES, read_workbook

    if path.suffix.lower() in SUFFIXES and special_file(path) is None:
        return read_workbook(path)
    return read_file(path)


def read_tree(path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Origins]:
    """Read a scenario file, following ``extends:``; return the merged data and each path's origin.

    Examples
    --------
    >>> data, origins = read_tree("scenarios/tutorial-uncertain.yaml")
    >>> data["name"], data["years"], "uncertainty" in data
    ('tutorial-uncertain', [2009, 2010], True)
    >>> origins[("name",)], origins[("years",)]  # each value where it was written
    (('scenarios/tutorial-uncertain.yaml', 5), ('scenarios/tutorial.yaml', 14))
    """
    path = Path(path)
    data, origins = _read(path)
    if "extends" not in data:
        return data, origins
    base_name = data.pop("extends")
    where = (str(path), origins.get(("extends",), (str(path), None))[1], ("extends",))
    if not isinstance(base_name, str) or not base_name.strip():
        raise problem(*where, f"extends takes the path of one base scenario file, relative to this file; "
                              f"got {base_name!r}")
    base_path = path.parent / base_name
    kind = special_file(base_path)
    if kind is not None:
        raise problem(*where, f"the base file {base_name!r} does not exist (looked for {base_path.absolute()}); "
                              "the path is relative to this file" if kind == "no such file" else
                              f"the base file {base_name!r} is {kind}, not a scenario file")
    chain = (*_seen, path.resolve())
    if base_path.resolve() in chain:
        names = " → ".join(p.name for p in (*chain, base_path.resolve()))
        raise problem(*where, f"files extend each other in a circle: {names}")
    if len(chain) >= current().extends_chain:
        raise over_limit("extends_chain", len(chain) + 1, f"a chain of {len(chain) + 1} files or more (from "
                                                          f"{chain[0].name})", where)
    base, base_origins = read_tree(base_path, chain)
    return merge(base, data, base_origins, origins, str(path))
