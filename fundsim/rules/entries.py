"""What every entry of a scenario file shares, and how a rule family states its part of the file.

Every block of the schema (:mod:`fundsim.scenario.schema`, :mod:`fundsim.scenario.uncertainty_schema` and the
rule families' entries) is a frozen pydantic model with no unknown keys and optional notes on provenance
(:class:`Noted`). A rule family states its part of the scenario format as :class:`Section` values: the key
under ``rules:``, the pydantic annotation of what the file gives there, its default, and how it becomes the
domain's rule objects. The scenario loader builds the ``rules:`` section from the registered families.

Examples
--------
>>> spec = Noted(assumption="generous on purpose")
>>> spec.assumption
'generous on purpose'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from fundsim.model import Selector
from fundsim.rules.fields import (
    GroupRef,
    InstrumentRef,
    PillarRef,
    PriorityRef,
    RegionRef,
    ScenarioYear,
    unwrap_noted,
)

__all__ = ["CellSelector", "Labels", "Noted", "Section", "SliceSelector", "Spec", "as_field"]


class Spec(BaseModel):
    """A block of the scenario file: unknown keys are refused and a validated block never changes.

    Examples
    --------
    >>> Spec.model_config["extra"], Spec.model_config["frozen"]
    ('forbid', True)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class Noted(Spec):
    """A block that may say where its figures come from: ``source``, ``assumption`` and ``note``.

    Examples
    --------
    >>> Noted(source="16041/08 §26").source
    '16041/08 §26'
    """

    source: str | None = Field(None, description="where a public figure comes from")
    assumption: str | None = Field(None, description="what was assumed and why")
    note: str | None = None


class CellSelector(Noted):
    """Priorities (or whole pillars) and regions (or whole region groups); empty means all.

    Examples
    --------
    >>> sel = CellSelector.model_validate({"pillars": ["legal"], "region_groups": ["south"]})
    >>> sel.pillars, sel.region_groups, sel.priorities
    (['legal'], ['south'], None)
    """

    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None
    regions: list[RegionRef] | None = None
    region_groups: list[GroupRef] | None = None


class SliceSelector(CellSelector):
    """A cell selector that also names instruments and years: a slice of the allocation (caps, goal targets); empty
    means all.

    Examples
    --------
    References are checked against the scenario's ids when the validation context names them:

    >>> SliceSelector.model_validate({"instruments": ["enpi"], "years": [2009]}).years
    [2009]
    >>> try:
    ...     SliceSelector.model_validate({"years": [2011]}, context={"year": (2009, 2010)})
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"])
    Value error, year 2011 is not a scenario year; the years are 2009, 2010
    """

    instruments: list[InstrumentRef] | None = None
    years: list[ScenarioYear] | None = None


def as_field(name: str) -> BeforeValidator:
    """Accept a plain number (or ``{value: x, assumption: …}``) for a mapping whose main field is ``name``.

    Examples
    --------
    >>> convert = as_field("amount").func
    >>> convert(5), convert({"value": 5, "source": "§26"}), convert({"amount": 5})
    ({'amount': 5}, {'amount': 5, 'source': '§26'}, {'amount': 5})
    """

    def convert(value: Any) -> Any:
        if isinstance(value, dict) and "value" in value:
            unwrap_noted(value)  # its keys and its range checked, the range then left to the assumption study
            return {name: value["value"], **{k: v for k, v in value.items() if k not in ("value", "range")}}
        return value if value is None or isinstance(value, dict) else {name: value}

    return BeforeValidator(convert)


class Labels(Protocol):
    """What a section's ``build`` may ask of the scenario being made: pillars and region groups resolved into
    priorities and regions (``None``: all).

    Examples
    --------
    The loader is one: a focus rule's region group ``south`` becomes its regions when the scenario is built:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["geographic_focus"] = [{"id": "south", "region_groups": ["south"], "min_share": 0.5}]
    >>> fs.scenario_from_dict(raw).rules.geographic_focus[0].regions
    frozenset({'north_africa'})
    """

    def regions_of(self, sel: CellSelector) -> frozenset[str] | None: ...

    def priorities_of(self, sel: Any) -> frozenset[str] | None: ...

    def selector(self, sel: SliceSelector, label: str = "") -> Selector: ...

    def series(self, value: Any, missing: float) -> np.ndarray: ...


@dataclass(frozen=True)
class Section:
    """A rule family's part of the scenario format: ``rules: <key>: …``.

    Attributes
    ----------
    key : the key under ``rules:`` (also the field of :class:`fundsim.model.Rules` the built value goes to)
    annotation : what the file may give there, as a pydantic annotation (``list[PillarBalanceSpec]``)
    default : the value when the file gives none
    build : ``build(value, labels)``, the validated value as the domain's rule objects
    doc : the section of docs/scenario-format.md that documents it (a line of its table)

    Examples
    --------
    >>> from fundsim.rules.pillar_balance import SECTION, PillarBalanceSpec
    >>> SECTION.key, SECTION.default
    ('pillar_balance', [])
    >>> SECTION.build([PillarBalanceSpec(pillar="development", max_share=0.25)], None)
    (PillarBalance(pillar='development', min_share=None, max_share=0.25),)
    """

    key: str
    annotation: Any
    default: Any
    build: Callable[[Any, Labels], Any]
    doc: str = ""
