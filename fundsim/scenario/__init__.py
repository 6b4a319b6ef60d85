"""Scenario files: reading (YAML/TOML), validation with file:line messages, and building the domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fundsim.limits import current
from fundsim.model import Scenario
from fundsim.scenario.build import build_scenario
from fundsim.scenario.extends import read_tree
from fundsim.scenario.files import Origins, bound_tree
from fundsim.scenario.validate import validate_spec

__all__ = ["load_scenario", "provenance_of", "scenario_from_dict"]


def provenance_of(data: Any, path: tuple = ()) -> list[tuple[str, str, str]]:
    """Every ``source:`` and ``assumption:`` note in raw scenario data, as (path, kind, text)."""
    from fundsim.scenario.files import format_path

    found: list[tuple[str, str, str]] = []
    if isinstance(data, dict):
        for kind in ("source", "assumption"):
            if isinstance(data.get(kind), str):
                found.append((format_path(path), kind, data[kind]))
        for k, v in data.items():
            found.extend(provenance_of(v, (*path, k)))
    elif isinstance(data, list):
        for n, v in enumerate(data):
            found.extend(provenance_of(v, (*path, n)))
    return found


def _build(raw: dict[str, Any], origins: Origins, source_file: str | None) -> Scenario:
    spec = validate_spec(raw, origins)
    return build_scenario(spec, tuple(provenance_of(raw)), source_file)


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and build a scenario from a YAML or TOML file.

    Raises :class:`fundsim.ScenarioError` listing every problem (file, line, field path, message).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> sc.years
    (2009, 2010)
    """
    raw, origins = read_tree(path)
    return _build(raw, origins, str(path))


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    """Validate and build a scenario from a Python mapping shaped like a scenario file.

    The limits on nesting, list entries and integer digits (:mod:`fundsim.limits`) hold as for a file.
    """
    import copy

    bound_tree(data, None, {}, current())
    return _build(copy.deepcopy(data), {}, None)
