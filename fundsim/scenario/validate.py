"""From raw scenario data to a validated :class:`ScenarioSpec`, collecting every problem at once."""

from __future__ import annotations

import types
import typing
from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError

from fundsim.errors import Problem, ScenarioError
from fundsim.scenario.files import Origins, format_path
from fundsim.scenario.schema import ScenarioSpec, suggest

__all__ = ["validate_spec"]

_SECTIONS = {
    "region": "regions",
    "priority": "priorities",
    "pillar": "pillars",
    "instrument": "instruments",
    "source": "match_sources",
}


def _ids(raw: dict[str, Any], section: str) -> list[tuple[int, str]]:
    entries = raw.get(section)
    if not isinstance(entries, list):
        return []
    return [(n, e["id"]) for n, e in enumerate(entries) if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _context(raw: dict[str, Any], origins: Origins) -> tuple[dict[str, set[Any]], list[Problem]]:
    """Ids each section declares (the validation context) and the duplicated ones."""
    context: dict[str, set[Any]] = {}
    problems: list[Problem] = []
    for kind, section in _SECTIONS.items():
        found = _ids(raw, section)
        context[kind] = {i for _, i in found}
        counts = Counter(i for _, i in found)
        for n, i in found:
            if counts[i] > 1:
                problems.append(_located(origins, (section, n, "id"), f"the id {i!r} is declared more than once"))
                counts[i] = 0
    regions = raw.get("regions")
    if isinstance(regions, list):
        context["group"] = {e["group"] for e in regions if isinstance(e, dict) and isinstance(e.get("group"), str)}
    years = raw.get("years")
    if isinstance(years, list) and all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        context["year"] = set(years)
    return context, problems


def _located(origins: Origins, loc: tuple[Any, ...], message: str) -> Problem:
    path = tuple(loc)
    while path and path not in origins:
        path = path[:-1]
    file, line = origins.get(path, (None, None))
    return Problem(file, line, format_path(tuple(loc)), message)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model whose fields live at ``loc`` (for 'valid fields are …' messages)."""
    current: Any = ScenarioSpec
    for part in loc:
        current = _unwrap_type(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
    current = _unwrap_type(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap_type(tp: Any) -> Any:
    """Strip Annotated, Optional and list[...] down to a model class where there is one."""
    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (list, tuple):
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else tp
            if not models:
                break
        else:
            break
    return tp


def _message(err: Any) -> str:
    kind, loc, given = err["type"], err["loc"], err.get("input")
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        valid = sorted(model.model_fields) if model else []
        return suggest(loc[-1], valid, "field").replace("unknown field", "unknown field", 1)
    if kind == "missing":
        model = _model_at(loc[:-1])
        field = model.model_fields.get(str(loc[-1])) if model else None
        what = f" ({field.description})" if field is not None and field.description else ""
        return f"required field missing{what}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind.startswith(("value_error", "assertion_error")):
        return msg
    return f"{msg}; got {given!r}" if not isinstance(given, dict | list) else msg


def validate_spec(raw: dict[str, Any], origins: Origins) -> ScenarioSpec:
    """Validate raw scenario data; raise :class:`ScenarioError` listing every problem found."""
    context, problems = _context(raw, origins)
    try:
        spec = ScenarioSpec.model_validate(raw, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_located(origins, tuple(err["loc"]), _message(err)))
    else:
        if not problems:
            return spec
    raise ScenarioError(problems)
