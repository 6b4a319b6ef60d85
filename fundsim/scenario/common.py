"""What every block of a scenario file's schema shares (fundsim.scenario.schema and
fundsim.scenario.uncertainty_schema both build on it): no unknown keys, frozen, and the notes on provenance."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Noted", "Spec"]


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
    >>> import pydantic
    >>> Noted(source="16041/08 §26").source
    '16041/08 §26'
    >>> try:
    ...     Noted(sauce="16041/08")
    ... except pydantic.ValidationError as err:
    ...     print(err.errors()[0]["type"], err.errors()[0]["loc"])
    extra_forbidden ('sauce',)
    """

    source: str | None = Field(None, description="where a public figure comes from")
    assumption: str | None = Field(None, description="what was assumed and why")
    note: str | None = None
