"""What every block of a scenario file's schema shares (fundsim.scenario.schema and
fundsim.scenario.uncertainty_schema both build on it): no unknown keys, frozen, and the notes on provenance."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Noted", "Spec"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Noted(Spec):
    source: str | None = Field(None, description="where a public figure comes from")
    assumption: str | None = Field(None, description="what was assumed and why")
    note: str | None = None
