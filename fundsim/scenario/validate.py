"""From raw scenario data to a validated :class:`ScenarioSpec`, collecting every problem at once.

pydantic finds the problems; this module says them in the scenario's own terms: the field path as the
file writes it (``instruments[1].cofinancing.max_eu_share``, never pydantic's internal step names),
the file and line the value came from, the value given and what would be valid.
"""

from __future__ import annotations

import re
import types
import typing
from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from fundsim.errors import Problem, ScenarioError
from fundsim.rules.fields import HINTS, ID_PATTERN, NOTE_KEYS, Located, show, suggest
from fundsim.scenario.files import Origins, format_path, located
from fundsim.scenario.schema import ScenarioSpec, scenario_spec

__all__ = ["validate_spec"]

_SECTIONS = {
    "region": "regions",
    "priority": "priorities",
    "pillar": "pillars",
    "instrument": "instruments",
    "source": "match_sources",
}
_OPTIONAL = {"match_sources"}  # sections that may be left out (then they declare no ids)
# pydantic names the steps of a validator chain in an error's location ("function-after[…]",
# "constrained-str", "nullable[…]"); they are not fields of the file.
_INTERNAL_STEP = re.compile(r"^[a-z][a-z\-]*(\[.*\])?$")


def _ids(raw: dict[str, Any], section: str) -> list[tuple[int, str]]:
    entries = raw.get(section)
    if not isinstance(entries, list):
        return []
    return [(n, e["id"]) for n, e in enumerate(entries) if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _context(raw: dict[str, Any], origins: Origins) -> tuple[dict[str, frozenset[Any]], list[Problem]]:
    """Ids each section declares (the validation context) and the duplicated ones."""
    context: dict[str, frozenset[Any]] = {}
    problems: list[Problem] = []
    for kind, section in _SECTIONS.items():
        if not isinstance(raw.get(section, [] if section in _OPTIONAL else None), list):
            continue  # missing or malformed: reported as such; references to it are not checked
        found = _ids(raw, section)
        context[kind] = frozenset(i for _, i in found)
        first: dict[str, int] = {}
        counts = Counter(i for _, i in found)
        for n, i in found:
            if i not in first:
                first[i] = n
                continue
            here, there = _located(origins, (section, n, "id"), ""), _located(origins, (section, first[i], "id"), "")
            at = (f"{there.file}:{there.line}" if there.line is not None else str(there.file)) \
                if there.file != here.file else f"line {there.line}"
            times = "twice" if counts[i] == 2 else f"{counts[i]} times"
            problems.append(_located(
                origins, (section, n, "id"),
                f"the id {i!r} is declared {times} in {section} (first as {section}[{first[i]}], {at}); "
                "ids must be unique",
            ))
    regions = raw.get("regions")
    if isinstance(regions, list):
        context["group"] = frozenset(e["group"] for e in regions
                                     if isinstance(e, dict) and isinstance(e.get("group"), str))
        if "region" in context:
            units, more = _planned_units(regions, origins, context["region"])
            context["region"] |= units
            problems += more
    years = raw.get("years")
    if isinstance(years, list) and years and all(
        isinstance(y, int) and not isinstance(y, bool) and 1900 <= y <= 2200 for y in years
    ):
        context["year"] = frozenset(years)
    return context, problems


def _planned_units(regions: list[Any], origins: Origins, declared: frozenset[str]
                   ) -> tuple[frozenset[str], list[Problem]]:
    """The ids of the countries planned on their own and of the rests of their regions (a rule may name them as it
    names a region), and those that repeat an id already declared."""
    seen: dict[str, tuple[Any, ...]] = {}
    problems: list[Problem] = []
    for n, region in enumerate(regions):
        if not isinstance(region, dict) or not isinstance(region.get("id"), str):
            continue
        countries = region.get("countries")
        planned: list[tuple[tuple[Any, ...], str]] = [(("regions", n, "countries", k, "id"), c["id"]) for k, c in
                   enumerate(countries if isinstance(countries, list) else [])
                   if isinstance(c, dict) and isinstance(c.get("id"), str)]
        if not planned:
            continue
        rest = region.get("rest")
        rest_id = rest.get("id") if isinstance(rest, dict) and isinstance(rest.get("id"), str) else None
        planned.append((("regions", n, "rest", "id") if rest_id else ("regions", n, "id"),
                        rest_id or f"{region['id']}_rest"))
        for loc, i in planned:
            if i in declared or i in seen:
                first = "a region" if i in declared else format_path(seen[i])
                problems.append(_located(origins, loc, f"the id {i!r} is already used by {first}; the ids of "
                                         "regions, of countries planned on their own and of the rests of their "
                                         "regions must all be different"))
            seen.setdefault(i, loc)
    return frozenset(seen), problems


def _located(origins: Origins, loc: tuple[Any, ...], message: str) -> Problem:
    """A Problem at ``loc``, with the file and line of the nearest enclosing value whose origin is known."""
    path = tuple(loc)
    while path and path not in origins:
        path = path[:-1]
    file, line = origins.get(path, (None, None))
    return located(file, line, tuple(loc), message)


# ---- finding the schema behind a location ------------------------------------------------------------
def _unwrap_type(tp: Any) -> Any:
    """Strip Annotated, Optional, list[...] and dict[..., X] down to a model class where there is one."""
    for _ in range(8):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated or origin in (list, tuple):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin in (typing.Union, types.UnionType):
            args = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a
                    for a in typing.get_args(tp)]  # a tagged union's members are Annotated
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if not models:
                break
            tp = models[0]
        else:
            break
    return tp


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model whose fields live at ``loc`` (for 'valid fields are …' messages)."""
    current: Any = scenario_spec()
    for part in loc:
        current = _unwrap_type(current)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            continue  # a key of a mapping (dict[RegionRef, …]) rather than a field
        current = field.annotation
    current = _unwrap_type(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_at(loc: tuple[Any, ...]) -> FieldInfo | None:
    """The schema field named last in ``loc`` (list indices after it allowed)."""
    names = [n for n, part in enumerate(loc) if isinstance(part, str)]
    if not names:
        return None
    model = _model_at(loc[: names[-1]])
    return model.model_fields.get(loc[names[-1]]) if model is not None else None


def _description(loc: tuple[Any, ...]) -> str:
    """The description of the value at ``loc`` ('EUR million', 'share between 0 and 1'), if the schema has one."""
    field = _field_at(loc)
    if field is None:
        return ""
    if field.description and isinstance(loc[-1], str):
        return field.description
    # a list item: look for the description on the item type (list[Share] → 'share between 0 and 1')
    item = field.annotation
    for _ in range(6):
        args = typing.get_args(item)
        if typing.get_origin(item) is typing.Annotated:
            for meta in args[1:]:
                if isinstance(meta, FieldInfo) and meta.description and item is not field.annotation:
                    return meta.description
            item = args[0]
        elif typing.get_origin(item) in (list, types.UnionType, typing.Union):
            item = next((a for a in args if a is not type(None)), None)
        else:
            break
    return ""


def _required_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, f in model.model_fields.items() if f.is_required()]


# ---- wording -----------------------------------------------------------------------------------------
_COMPARE = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", "≥"),
            "less_than": ("lt", "<"), "less_than_equal": ("le", "≤")}


def _missing(loc: tuple[Any, ...]) -> str:
    """'required field missing', with what to give: the field's description or the fields its entries need."""
    model = _model_at(loc[:-1])
    field = model.model_fields.get(str(loc[-1])) if model else None
    if field is None:
        return "required field missing"
    if field.description:
        return f"required field missing ({field.description})"
    inner = _unwrap_type(field.annotation)
    if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
        return "required field missing"
    need = ", ".join(_required_fields(inner)) or "no required fields"
    outer = field.annotation
    if typing.get_origin(outer) is typing.Annotated:
        outer = typing.get_args(outer)[0]
    if typing.get_origin(outer) is list:
        return f"required field missing; give a list of entries, each with {need}"
    return f"required field missing; give a mapping with {need}"


def _given(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict) and "value" in value and set(value) <= NOTE_KEYS:
        return show(value["value"])  # a number with its provenance: the number is what is wrong
    return show(value)


def _message(err: dict[str, Any], loc: tuple[Any, ...]) -> str:  # one branch per kind of error
    kind, given, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind in ("extra_forbidden", "invalid_key"):  # invalid_key: a key YAML read as a number, e.g. 2009
        model = _model_at(loc[:-1])
        return suggest(str(loc[-1]), sorted(model.model_fields) if model else [], "field")
    if kind == "missing":
        return _missing(loc)
    if kind in _COMPARE:
        key, sign = _COMPARE[kind]
        desc = _description(loc)
        return f"must be {sign} {show(ctx.get(key))}{f' ({desc})' if desc else ''}; got {_given(given)}"
    if kind == "finite_number":
        return f"expected a finite number; got {_given(given)}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        desc = _description(loc)
        return f"expected {what}{f' ({desc})' if desc else ''}; got {_given(given)}"
    if kind == "string_type":
        hint = ""
        if isinstance(given, bool):
            hint = " (YAML reads yes/no/on/off/true/false as booleans; quote the text: 'no')"
        elif isinstance(given, int | float):
            hint = " (quote it to make it text)"
        return f"expected text; got {_given(given)}{hint}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return ("not a valid id: an id starts with a letter and holds only letters, digits, '_' and '-'; "
                f"got {_given(given)}")
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters; got {_given(given)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false; got {_given(given)}"
    if kind in ("list_type", "tuple_type"):
        hint = f" (write [{given}] for a list of one)" if isinstance(given, str) else ""
        return f"expected a list; got {_given(given)}{hint}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        model = _model_at(loc)
        fields = f" with fields {', '.join(sorted(model.model_fields))}" if model else ""
        return f"expected a mapping{fields}; got {_given(given)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        got = ctx.get("actual_length", 0)
        return f"give at least {n} entr{'y' if n == 1 else 'ies'}; got {got or 'an empty list'}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return suggest(given, choices, "choice") if choices else str(err["msg"])
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind.startswith(("value_error", "assertion_error")):
        return msg
    return f"{msg}; got {_given(given)}"


def _clean(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic's location without its internal step names and the '[key]' marker of a bad mapping key."""
    return tuple(p for p in loc if not (isinstance(p, str) and _internal(p)))


def _internal(part: str) -> bool:
    return part == "[key]" or (_INTERNAL_STEP.fullmatch(part) is not None and ("[" in part or "-" in part))


def _problems_of(err: dict[str, Any], origins: Origins) -> list[Problem]:
    raw = tuple(err["loc"])
    # an unknown key is the user's, whatever it looks like (``bb-cc`` reads like one of pydantic's step names)
    loc = (*_clean(raw[:-1]), raw[-1]) if err["type"] == "extra_forbidden" and raw else _clean(raw)
    error = (err.get("ctx") or {}).get("error")
    if isinstance(error, Located):
        return [_located(origins, (*loc, *sub), msg) for sub, msg in error.problems]
    return [_located(origins, loc, _message(err, loc))]


def _sorted(problems: list[Problem], origins: Origins) -> list[Problem]:
    """The main file's problems first, each file's in line order (a stable sort: same line keeps order)."""
    main = origins.get((), (None, None))[0]
    return sorted(problems, key=lambda p: (p.file != main, p.file or "", p.line or 0))


def validate_spec(raw: dict[str, Any], origins: Origins) -> ScenarioSpec:
    """Validate raw scenario data; raise :class:`ScenarioError` listing every problem found.

    Examples
    --------
    >>> from fundsim.scenario.extends import read_tree
    >>> spec = validate_spec(*read_tree("scenarios/tutorial.yaml"))
    >>> type(spec).__name__, spec.name, spec.years
    ('ScenarioSpec', 'tutorial', [2009, 2010])
    >>> validate_spec({"name": "empty", "years": [2009]}, {})
    Traceback (most recent call last):
    ...
    fundsim.errors.ScenarioError: 4 problems in the scenario:
      - <scenario>: pillars: required field missing; give a list of entries, each with id
      - <scenario>: regions: required field missing; give a list of entries, each with id, group
      - <scenario>: priorities: required field missing; give a list of entries, each with id, pillar
      - <scenario>: instruments: required field missing; give a list of entries, each with id, envelope
    """
    if not isinstance(raw, dict):
        raise ScenarioError([_located(origins, (), f"a scenario is a mapping of sections, got {show(raw)}")])
    context, problems = _context(raw, origins)
    try:
        spec = scenario_spec().model_validate(raw, context={**context, "hints": [HINTS]})
    except ValidationError as exc:
        for err in exc.errors():
            problems.extend(_problems_of(dict(err), origins))
    else:
        problems.extend(_cross_checks(spec, origins))
        if not problems:
            return spec
    raise ScenarioError(_sorted(problems, origins))


def _duplicates(entries: list[Any], key: str, path: tuple[Any, ...], what: str, hint: str,
                origins: Origins) -> list[Problem]:
    """Entries of one rule list that repeat a label: each would be reported under the same name."""
    first: dict[Any, int] = {}
    found = []
    for n, entry in enumerate(entries):
        label = getattr(entry, key)
        if label in first:
            found.append(_located(origins, (*path, n, key), f"{what} {label!r} is given twice (first at "
                                  f"{format_path((*path, first[label]))}); {hint}"))
        first.setdefault(label, n)
    return found


def _limits_cross(entries: list[Any], key: str, path: tuple[Any, ...], origins: Origins) -> list[Problem]:
    """Several limit entries for one label all hold; their tightest min must not exceed their tightest max."""
    lows: dict[str, tuple[float, int]] = {}
    highs: dict[str, tuple[float, int]] = {}
    for n, e in enumerate(entries):
        label = getattr(e, key)
        if e.min is not None and (label not in lows or e.min > lows[label][0]):
            lows[label] = (e.min, n)
        if e.max is not None and (label not in highs or e.max < highs[label][0]):
            highs[label] = (e.max, n)
    found = []
    for label, (lo, n_lo) in lows.items():
        if label in highs and lo > highs[label][0]:
            hi, n_hi = highs[label]
            found.append(_located(origins, (*path, n_lo, "min"), f"the limits for {label!r} contradict each "
                                  f"other: min {lo:g} here, max {hi:g} at {format_path((*path, n_hi))}"))
    return found


def _cross_checks(spec: ScenarioSpec, origins: Origins) -> list[Problem]:
    """Checks across entries of a validated specification: repeated rule names, contradictory limits, partnership
    candidates, absolute capacities of regions planned in parts."""
    r: Any = spec.rules  # its fields come from the rule families (fundsim.rules.entries.Section)
    found = _duplicates(r.caps, "id", ("rules", "caps"), "the cap id", "give each cap its own id", origins)
    found += _duplicates(r.geographic_focus, "id", ("rules", "geographic_focus"), "the focus rule id",
                         "give each focus rule its own id (the default id is 'focus')", origins)
    found += _duplicates(r.pillar_balance, "pillar", ("rules", "pillar_balance"), "the pillar",
                         "put the min_share and max_share of a pillar in one entry", origins)
    if spec.objective.goals is not None:
        found += _duplicates(spec.objective.goals.targets, "id", ("objective", "goals", "targets"),
                             "the target id", "give each target its own id", origins)
    mins = [(n, x.min_share) for n, x in enumerate(r.pillar_balance) if x.min_share]
    if sum(v for _, v in mins) > 1 + 1e-9:
        parts = " + ".join(f"{r.pillar_balance[n].pillar} {v:.0%}" for n, v in mins)
        found.append(_located(origins, ("rules", "pillar_balance"), f"the minimum pillar shares add up to "
                              f"{sum(v for _, v in mins):.1%} ({parts}); together they may be at most 100 %"))
    if spec.uncertainty is not None and spec.objective.impact is None:
        for n, p in enumerate(spec.uncertainty.parameters):
            if p.path.startswith("objective.impact.weights"):
                found.append(_located(origins, ("uncertainty", "parameters", n, "path"), "the objective has no "
                                      "impact term, so its weights cannot be uncertain; add objective.impact or "
                                      "drop this parameter"))
    found += _partnership_cross(spec, origins)
    found += _absolute_capacity_cross(spec, origins)
    found += _limits_cross(r.region_limits, "region", ("rules", "region_limits"), origins)
    found += _limits_cross(r.priority_limits, "priority", ("rules", "priority_limits"), origins)
    return found


def _partnership_cross(spec: ScenarioSpec, origins: Origins) -> list[Problem]:
    """Candidates for new mobility partnerships are planning units without a partnership package already: not
    packaged themselves, and not inside a region planned in parts whose package counts their money too."""
    rules: Any = spec.rules
    mp = rules.mobility_partnerships
    if mp is None:
        return []
    packaged = {x.region: n for n, x in enumerate(rules.min_packages)}
    in_parts = {r.id: r for r in spec.regions if r.planned}
    region_of = {u: r.id for r in in_parts.values() for u in (*(c.id for c in r.planned), r.rest_id)}
    at = ("rules", "mobility_partnerships", "candidates")
    return [_located(origins, (*at, n),
                     f"{region!r} already has a partnership package (rules.min_packages[{packaged[region]}]); "
                     "candidates for new partnerships must be other regions; drop it from the candidates or "
                     "from min_packages")
            for n, region in enumerate(mp.candidates) if region in packaged] + [
        _located(origins, (*at, n),
                 f"{unit!r} is in {region_of[unit]!r}, which already has a partnership package (rules.min_packages"
                 f"[{packaged[region_of[unit]]}]) counting the money of all of its units, so a new partnership's "
                 "package there would count it again; candidates for new partnerships must be outside regions "
                 "with a package; drop it from the candidates or the package from min_packages")
        for n, unit in enumerate(mp.candidates) if region_of.get(unit) in packaged] + [
        _located(origins, (*at, n),
                 f"{region!r} is planned in parts (its countries {show([c.id for c in in_parts[region].planned])} "
                 f"and {in_parts[region].rest_id!r}); a partnership is chosen for one planning unit, so name a "
                 "country planned on its own or the region's rest")
        for n, region in enumerate(mp.candidates) if region in in_parts]


def _absolute_capacity_cross(spec: ScenarioSpec, origins: Origins) -> list[Problem]:
    """An absolute uncertain absorption capacity of a region planned in parts needs the region's own capacity: it
    sets that one number (a multiplier may instead move each of its units' capacities)."""
    if spec.uncertainty is None:
        return []
    in_parts = {r.id: r for r in spec.regions if r.planned}
    found = []
    for n, p in enumerate(spec.uncertainty.parameters):
        parts = p.path.split(".")
        region = in_parts.get(parts[2]) if parts[:2] == ["absorption", "capacity"] and len(parts) == 3 else None
        if p.mode == "absolute" and region is not None and region.id not in spec.absorption.capacity:
            units = ", ".join(f"absorption.capacity.{u}" for u in (*(c.id for c in region.planned), region.rest_id))
            found.append(_located(origins, ("uncertainty", "parameters", n, "mode"),
                                  f"mode: absolute sets the absorption capacity of {region.id!r}, but {region.id!r} "
                                  "is planned in parts and absorption.capacity states no capacity for it; state one "
                                  f"(absorption.capacity.{region.id}), use mode: multiplicative to move each of its "
                                  f"units' capacities, or name one of its units: {units}"))
    return found
