"""The scenario file format as pydantic models (the file edge; the domain never sees these).

Numbers may be written plain (``380``) or with their provenance (``{value: 380, source: "..."}`` or
``{value: 0.3, assumption: "..."}``). References to other entries (regions, priorities …) are checked
against the ids the file declares, passed in through the validation context, so that every problem
of a file is found in one pass. docs/scenario-format.md documents every field.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

__all__ = ["REF_KINDS", "ScenarioSpec", "suggest"]

NOTE_KEYS = frozenset({"value", "source", "assumption", "note"})
REF_KINDS = {
    "region": "regions",
    "group": "region groups",
    "priority": "priorities",
    "pillar": "pillars",
    "instrument": "instruments",
    "source": "match sources",
    "year": "years",
}


def suggest(given: object, valid: list[str] | tuple[str, ...] | set[str], what: str) -> str:
    """Message naming the valid choices, with the closest one first when there is one."""
    valid = sorted(str(v) for v in valid)
    close = difflib.get_close_matches(str(given), valid, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    listed = ", ".join(valid[:40]) + (", …" if len(valid) > 40 else "")
    return f"unknown {what} {given!r}{hint}; valid {what}s are: {listed or '(none declared)'}"


# ---- numbers with provenance ------------------------------------------------------------------------
def _unwrap(value: Any) -> Any:
    """Accept ``{value: x, source|assumption: "..."}`` wherever a number is expected."""
    if isinstance(value, dict):
        extra = set(value) - NOTE_KEYS
        if "value" not in value or extra:
            raise ValueError(
                "expected a number, or a mapping {value: <number>, source: <text>} / "
                f"{{value: <number>, assumption: <text>}}; got keys {sorted(map(str, value))}"
            )
        return value["value"]
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {value}")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value}")
    return value


Num = Annotated[float, BeforeValidator(_unwrap), AfterValidator(_finite)]
Amount = Annotated[Num, Field(ge=0, description="EUR million")]
Share = Annotated[Num, Field(ge=0, le=1, description="share between 0 and 1")]
EuShare = Annotated[Num, Field(gt=0, le=1, description="share above 0, at most 1")]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=80)]
Year = Annotated[int, BeforeValidator(_unwrap), Field(ge=1900, le=2200)]


# ---- references to declared ids ----------------------------------------------------------------------
def _ref(kind: str) -> AfterValidator:
    def check(value: Any, info: ValidationInfo) -> Any:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            raise ValueError(suggest(value, known, kind.replace("source", "match source")))
        return value

    return AfterValidator(check)


RegionRef = Annotated[str, _ref("region")]
GroupRef = Annotated[str, _ref("group")]
PriorityRef = Annotated[str, _ref("priority")]
PillarRef = Annotated[str, _ref("pillar")]
InstrumentRef = Annotated[str, _ref("instrument")]
SourceRef = Annotated[str, _ref("source")]


# ---- year series -------------------------------------------------------------------------------------
def _year_key(key: Any, info: ValidationInfo) -> int:
    try:
        year = int(key)
    except (TypeError, ValueError):
        raise ValueError(f"expected a year as key, got {key!r}") from None
    years = (info.context or {}).get("year")
    if years is not None and year not in years:
        raise ValueError(f"year {year} is not a scenario year; the years are {sorted(years)}")
    return year


def _number(value: Any, what: str) -> float:
    value = _unwrap(value)
    if isinstance(value, str) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number ≥ 0, got {value!r}")
    return float(value)


def _year_series(value: Any, info: ValidationInfo) -> dict[int, float] | float:
    """A number (same every year) or a mapping year → number."""
    if isinstance(value, dict) and "value" not in value:
        return {_year_key(k, info): _number(v, f"the amount for {k}") for k, v in value.items()}
    return _number(value, "the amount")


YearSeries = Annotated[Any, AfterValidator(_year_series)]


def _region_year_series(value: Any, info: ValidationInfo) -> Any:
    """A number, a mapping year → number, or a mapping region → (number | year → number)."""
    if isinstance(value, dict) and "value" not in value:
        keys = list(value)
        if keys and all(not str(k).isdigit() for k in keys):
            regions = (info.context or {}).get("region")
            out = {}
            for k, v in value.items():
                if regions is not None and k not in regions:
                    raise ValueError(suggest(k, regions, "region"))
                out[str(k)] = _year_series(v, info)
            return out
    return _year_series(value, info)


RegionYearSeries = Annotated[Any, AfterValidator(_region_year_series)]


# ---- building blocks ---------------------------------------------------------------------------------
class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Noted(Spec):
    source: str | None = Field(None, description="where a public figure comes from")
    assumption: str | None = Field(None, description="what was assumed and why")
    note: str | None = None


class CellSelector(Noted):
    """Priorities (or whole pillars) and regions (or whole region groups); empty means all."""

    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None
    regions: list[RegionRef] | None = None
    region_groups: list[GroupRef] | None = None


class SliceSelector(CellSelector):
    instruments: list[InstrumentRef] | None = None
    years: list[Year] | None = None

    @model_validator(mode="after")
    def _years_known(self, info: ValidationInfo) -> SliceSelector:
        years = (info.context or {}).get("year")
        bad = [y for y in self.years or [] if years is not None and y not in years]
        if bad:
            raise ValueError(f"years {bad} are not scenario years; the years are {sorted(years)}")
        return self


def _min_le_max(spec: Any, lo: str, hi: str, need_one: bool = True) -> Any:
    a, b = getattr(spec, lo), getattr(spec, hi)
    if need_one and a is None and b is None:
        raise ValueError(f"give {lo}, {hi} or both")
    if a is not None and b is not None and a > b:
        raise ValueError(f"{lo} ({a}) is above {hi} ({b})")
    return spec


# ---- sections ----------------------------------------------------------------------------------------
class PillarSpec(Noted):
    id: Id
    name: str | None = None


class RegionSpec(Noted):
    id: Id
    name: str | None = None
    group: Id = Field(description="focus area: south, east, south_east or other (any id may be used)")
    countries: list[str] = []


class PrioritySpec(Noted):
    id: Id
    name: str | None = None
    pillar: PillarRef


class MatchSourceSpec(Noted):
    id: Id
    name: str | None = None
    per_region: bool = False
    capacity: RegionYearSeries | None = Field(None, description="EUR m per year; omitted = unlimited")

    @model_validator(mode="after")
    def _shape(self) -> MatchSourceSpec:
        by_region = isinstance(self.capacity, dict) and any(isinstance(k, str) for k in self.capacity)
        if by_region and not self.per_region:
            raise ValueError("capacity is given per region; set per_region: true for such a source")
        return self


class EnvelopeTotal(Spec):
    total: Amount
    profile: dict[int, Share]
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _sums_to_one(self) -> EnvelopeTotal:
        s = sum(self.profile.values())
        if abs(s - 1.0) > 1e-6:
            raise ValueError(f"the annual profile must sum to 1, it sums to {s:g}")
        return self


def _envelope(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, dict) and "total" in value:
        env = EnvelopeTotal.model_validate(value, context=info.context)
        for y in env.profile:
            _year_key(y, info)
        return {y: env.total * s for y, s in env.profile.items()}
    return _year_series(value, info)


Envelope = Annotated[Any, AfterValidator(_envelope)]


class CofinancingExceptionSpec(CellSelector):
    max_eu_share: EuShare
    match_source: SourceRef | None = None


class CofinancingSpec(Noted):
    max_eu_share: EuShare = 1.0
    match_source: SourceRef | None = None
    exceptions: list[CofinancingExceptionSpec] = []


class InstrumentSpec(Noted):
    id: Id
    name: str | None = None
    envelope: Envelope = Field(description="EUR m: per year, a year map, or {total, profile}")
    usable_share: Share | None = None
    usable_amount: YearSeries | None = None
    eligibility: CellSelector = CellSelector()
    cofinancing: CofinancingSpec = CofinancingSpec()
    payment_profile: list[Share] = [1.0]
    decommitment_window: Annotated[int, Field(ge=0, le=10)] = 2

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentSpec:
        if self.usable_share is not None and self.usable_amount is not None:
            raise ValueError("give usable_share or usable_amount, not both")
        s = sum(self.payment_profile)
        if not self.payment_profile or abs(s - 1.0) > 1e-6:
            raise ValueError(f"payment_profile must sum to 1 (e.g. [0.4, 0.4, 0.2]); it sums to {s:g}")
        if len(self.payment_profile) > self.decommitment_window + 1:
            raise ValueError(
                f"payment_profile pays over {len(self.payment_profile)} years but money not paid by "
                f"n+{self.decommitment_window} is decommitted; shorten the profile to at most "
                f"{self.decommitment_window + 1} years or widen decommitment_window"
            )
        return self


class AbsorptionSpec(Noted):
    basis: Literal["total", "eu"] = "total"
    default: YearSeries | None = Field(None, description="capacity of every region not listed")
    capacity: dict[RegionRef, YearSeries] = {}


class PillarBalanceSpec(Noted):
    pillar: PillarRef
    min_share: Share | None = None
    max_share: Share | None = None

    _check = model_validator(mode="after")(lambda self: _min_le_max(self, "min_share", "max_share"))


class FocusSpec(Noted):
    id: Id = "focus"
    region_groups: list[GroupRef] = []
    regions: list[RegionRef] = []
    min_share: Share | None = None
    max_share: Share | None = None

    @model_validator(mode="after")
    def _check(self) -> FocusSpec:
        if not self.region_groups and not self.regions:
            raise ValueError("name the region_groups (or regions) the focus rule is about")
        return _min_le_max(self, "min_share", "max_share")


class RegionLimitSpec(Noted):
    region: RegionRef
    min: Amount | None = None
    max: Amount | None = None

    _check = model_validator(mode="after")(lambda self: _min_le_max(self, "min", "max"))


class PriorityLimitSpec(Noted):
    priority: PriorityRef
    min: Amount | None = None
    max: Amount | None = None

    _check = model_validator(mode="after")(lambda self: _min_le_max(self, "min", "max"))


class PackageSpec(Noted):
    region: RegionRef
    amount: Amount
    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None


class CapSpec(SliceSelector):
    id: Id
    min: Amount | None = None
    max: Amount | None = None
    per_year: bool = False

    _check = model_validator(mode="after")(lambda self: _min_le_max(self, "min", "max"))


class RulesSpec(Noted):
    pillar_balance: list[PillarBalanceSpec] = []
    geographic_focus: list[FocusSpec] = []
    region_limits: list[RegionLimitSpec] = []
    priority_limits: list[PriorityLimitSpec] = []
    min_packages: list[PackageSpec] = []
    caps: list[CapSpec] = []


class CellWeightSpec(Noted):
    priority: PriorityRef
    region: RegionRef
    weight: Annotated[Num, Field(ge=0)]


class WeightsSpec(Noted):
    default: Annotated[Num, Field(ge=0)] = 1.0
    by_pillar: dict[PillarRef, Annotated[Num, Field(ge=0)]] = {}
    by_priority: dict[PriorityRef, Annotated[Num, Field(ge=0)]] = {}
    by_region_group: dict[GroupRef, Annotated[Num, Field(ge=0)]] = {}
    by_region: dict[RegionRef, Annotated[Num, Field(ge=0)]] = {}
    cells: list[CellWeightSpec] = []


class DiminishingSpec(Noted):
    breakpoints: list[Annotated[Num, Field(gt=0)]]
    slopes: list[Annotated[Num, Field(ge=0)]]

    @model_validator(mode="after")
    def _concave(self) -> DiminishingSpec:
        b, s = self.breakpoints, self.slopes
        if len(s) != len(b) + 1:
            raise ValueError(
                f"give one slope more than breakpoints (a slope per segment): {len(b)} breakpoints, "
                f"{len(s)} slopes"
            )
        if any(b2 <= b1 for b1, b2 in zip(b, b[1:], strict=False)):
            raise ValueError(f"breakpoints must increase, got {b}")
        if any(s2 > s1 for s1, s2 in zip(s, s[1:], strict=False)):
            raise ValueError(f"slopes must not increase (returns diminish), got {s}")
        return self


class ImpactSpec(Noted):
    weight: Annotated[Num, Field(ge=0)] = 1.0
    basis: Literal["total", "eu"] = "total"
    weights: WeightsSpec = WeightsSpec()
    diminishing_returns: DiminishingSpec | None = None


class LeverageSpec(Noted):
    weight: Annotated[Num, Field(ge=0)] = 1.0


class TargetSpec(SliceSelector):
    id: Id
    amount: Amount
    weight: Annotated[Num, Field(ge=0)] = 1.0


class GoalsSpec(Noted):
    weight: Annotated[Num, Field(ge=0)] = 1.0
    targets: Annotated[list[TargetSpec], Field(min_length=1)]


class ObjectiveSpec(Noted):
    impact: ImpactSpec | None = None
    leverage: LeverageSpec | None = None
    goals: GoalsSpec | None = None

    @model_validator(mode="after")
    def _one_term(self) -> ObjectiveSpec:
        if self.impact is None and self.leverage is None and self.goals is None:
            raise ValueError("give at least one objective term: impact, leverage or goals")
        return self


def _years(value: list[int]) -> list[int]:
    if sorted(value) != value or len(set(value)) != len(value):
        raise ValueError(f"years must increase without repeats, got {value}")
    if value and value != list(range(value[0], value[-1] + 1)):
        raise ValueError(f"years must be consecutive (payments run year after year), got {value}")
    return value


class ScenarioSpec(Noted):
    name: str
    description: str = ""
    years: Annotated[list[Year], Field(min_length=1), AfterValidator(_years)]
    pillars: Annotated[list[PillarSpec], Field(min_length=1)]
    regions: Annotated[list[RegionSpec], Field(min_length=1)]
    priorities: Annotated[list[PrioritySpec], Field(min_length=1)]
    match_sources: list[MatchSourceSpec] = []
    instruments: Annotated[list[InstrumentSpec], Field(min_length=1)]
    absorption: AbsorptionSpec = AbsorptionSpec()
    rules: RulesSpec = RulesSpec()
    objective: ObjectiveSpec = ObjectiveSpec(impact=ImpactSpec())
