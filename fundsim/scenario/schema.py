"""The scenario file format as pydantic models (the file edge; the domain never sees these).

Numbers may be written plain (``380``) or with their provenance (``{value: 380, source: "..."}`` or
``{value: 0.3, assumption: "..."}``). References to other entries (regions, priorities …) are checked
against the ids the file declares, passed in through the validation context, so that every problem
of a file is found in one pass. docs/scenario-format.md documents every field.
"""

from __future__ import annotations

import difflib
import itertools
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

__all__ = ["ID_PATTERN", "REF_KINDS", "Located", "ScenarioSpec", "show", "suggest"]

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
_REF_NAMES = {"group": "region group", "source": "match source"}  # kind → what a message calls it


def _plural(what: str) -> str:
    return what[:-1] + "ies" if what.endswith("y") and what[-2:-1] not in "aeiou" else what + "s"


def _closest(given: object, valid: list[str]) -> str | None:
    close = difflib.get_close_matches(str(given), valid, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(given: object, valid: list[str] | tuple[str, ...] | set[str], what: str) -> str:
    """Message naming the valid choices, with the closest one first when there is one.

    >>> suggest("north_afrika", {"north_africa", "east"}, "region")
    "unknown region 'north_afrika' (did you mean 'north_africa'?); valid regions are: east, north_africa"
    """
    valid = sorted(str(v) for v in valid)
    close = _closest(given, valid)
    hint = f" (did you mean '{close}'?)" if close else ""
    listed = ", ".join(v if v and "," not in v and v.strip() == v else repr(v) for v in valid[:40])
    listed += ", …" if len(valid) > 40 else ""
    return f"unknown {what} {given!r}{hint}; valid {_plural(what)} are: {listed or '(none declared)'}"


class Located(ValueError):
    """One or more problems below the value being validated, each as (relative path, message).

    Raised by validators that can tell *where* inside a value (or, from a model validator, in which
    field) a problem lies; :mod:`fundsim.scenario.validate` turns each entry into its own Problem with
    the path and line of that spot. An empty relative path means the value itself.
    """

    def __init__(self, problems: list[tuple[tuple[Any, ...], str]] | tuple[tuple[tuple[Any, ...], str], ...]):
        self.problems = tuple(problems)
        super().__init__("; ".join(m for _, m in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


def show(value: Any) -> str:
    """A value as a message quotes it: numbers plainly (0.25, not 0.25000000000000006), the rest by repr."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return "[" + ", ".join(show(float(v)) if isinstance(v, float) else str(v) for v in value) + "]"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


# ---- numbers with provenance ------------------------------------------------------------------------
_NOTED_FORM = "{value: <number>, source: <text>} or {value: <number>, assumption: <text>}"


def _is_noted(value: Any) -> bool:
    """Whether a mapping is meant as a number with its provenance (rather than, say, a year map)."""
    return isinstance(value, dict) and bool({"value", "source", "assumption"} & set(value))


def _unwrap(value: Any) -> Any:
    """Accept ``{value: x, source|assumption: "..."}`` wherever a number is expected."""
    if isinstance(value, dict):
        extra = sorted((k for k in value if k not in NOTE_KEYS), key=str)
        keys = sorted(NOTE_KEYS)
        problems: list[tuple[tuple[Any, ...], str]] = []
        if "value" not in value and not any(_closest(k, keys) == "value" for k in extra):
            problems.append(((), f"a number with provenance needs its value: write {_NOTED_FORM}; "
                                 f"got the keys {', '.join(map(str, value)) or '(none)'}"))
        for k in extra:
            close = _closest(k, keys)
            hint = f" (did you mean '{close}'?)" if close else ""
            problems.append(((k,), f"unknown key {k!r}{hint} in a number with provenance; valid keys are: "
                                   f"{', '.join(keys)}; write {_NOTED_FORM}"))
        if problems:
            raise Located(problems)
        value = value["value"]
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {value} (YAML reads yes/no/on/off as booleans)")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value}")
    return value


Num = Annotated[float, BeforeValidator(_unwrap), AfterValidator(_finite)]
Amount = Annotated[Num, Field(ge=0, description="EUR million")]
Share = Annotated[Num, Field(ge=0, le=1, description="share between 0 and 1")]
EuShare = Annotated[Num, Field(gt=0, le=1, description="share above 0, at most 1")]
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
Year = Annotated[int, BeforeValidator(_unwrap), Field(ge=1900, le=2200, description="a calendar year")]


# ---- references to declared ids ----------------------------------------------------------------------
def _ref(kind: str) -> AfterValidator:
    def check(value: Any, info: ValidationInfo) -> Any:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            raise ValueError(suggest(value, known, _REF_NAMES.get(kind, kind)))
        return value

    return AfterValidator(check)


RegionRef = Annotated[str, _ref("region")]
GroupRef = Annotated[str, _ref("group")]
PriorityRef = Annotated[str, _ref("priority")]
PillarRef = Annotated[str, _ref("pillar")]
InstrumentRef = Annotated[str, _ref("instrument")]
SourceRef = Annotated[str, _ref("source")]


# ---- year series -------------------------------------------------------------------------------------
def _years_text(years: Any) -> str:
    return ", ".join(str(y) for y in sorted(years))


def _year_key(key: Any, info: ValidationInfo) -> int:
    """A year used as a mapping key (an int in YAML, a string in TOML), checked against the scenario years."""
    year: int | None = None
    if isinstance(key, int) and not isinstance(key, bool):
        year = key
    elif (isinstance(key, str) and key.strip().isdigit()) or (isinstance(key, float) and key.is_integer()):
        year = int(key)
    years = (info.context or {}).get("year")
    if year is None:
        valid = f"; the scenario years are {_years_text(years)}" if years else ""
        raise ValueError(f"expected a year as key, got {key!r}{valid}")
    if years is not None and year not in years:
        raise ValueError(f"year {year} is not a scenario year; the years are {_years_text(years)}")
    return year


def _number(value: Any, what: str, unit: str = "EUR million") -> float:
    value = _unwrap(value)
    if value is None:
        raise ValueError(f"{what} must be a number, got nothing (an empty value)")
    if isinstance(value, str) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {show(value)}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number ≥ 0 ({unit}), got {show(value)}")
    return float(value)


def _collect(items: Any, check: Any) -> dict[Any, Any]:
    """Run ``check(key, value)`` over a mapping, gathering every :class:`Located` problem before raising."""
    out: dict[Any, Any] = {}
    problems: list[tuple[tuple[Any, ...], str]] = []
    for k, v in items:
        try:
            key, val = check(k, v)
        except Located as exc:
            problems.extend(((k, *sub), msg) for sub, msg in exc.problems)
        except ValueError as exc:
            problems.append(((k,), str(exc)))
        else:
            out[key] = val
    if problems:
        raise Located(problems)
    return out


def _year_series(value: Any, info: ValidationInfo) -> dict[int, float] | float:
    """A number (same every year) or a mapping year → number."""
    if isinstance(value, dict) and not _is_noted(value):
        return _collect(value.items(), lambda k, v: (_year_key(k, info), _number(v, f"the amount for {k}")))
    return _number(value, "the amount")


YearSeries = Annotated[Any, AfterValidator(_year_series)]


def _region_year_series(value: Any, info: ValidationInfo) -> Any:
    """A number, a mapping year → number, or a mapping region → (number | year → number)."""
    if isinstance(value, dict) and not _is_noted(value):
        keys = list(value)
        if keys and all(not str(k).strip().isdigit() for k in keys):
            regions = (info.context or {}).get("region")

            def check(k: Any, v: Any) -> tuple[str, Any]:
                if regions is not None and k not in regions:
                    raise ValueError(suggest(k, regions, "region"))
                return str(k), _year_series(v, info)

            return _collect(value.items(), check)
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


def _scenario_year(value: int, info: ValidationInfo) -> int:
    years = (info.context or {}).get("year")
    if years is not None and value not in years:
        raise ValueError(f"year {value} is not a scenario year; the years are {_years_text(years)}")
    return value


ScenarioYear = Annotated[Year, AfterValidator(_scenario_year)]


class SliceSelector(CellSelector):
    instruments: list[InstrumentRef] | None = None
    years: list[ScenarioYear] | None = None


def _need_one(spec: Any, lo: str, hi: str) -> Any:
    if getattr(spec, lo) is None and getattr(spec, hi) is None:
        raise ValueError(f"give {lo}, {hi} or both; neither is given")
    return spec


def _not_below(lo: str, hi: str) -> AfterValidator:
    """Check, on the ``hi`` field, that it is not below the (earlier declared) ``lo`` field."""

    def check(value: Any, info: ValidationInfo) -> Any:
        low = info.data.get(lo)
        if value is not None and low is not None and low > value:
            raise ValueError(f"{hi} ({show(value)}) is below {lo} ({show(low)}); "
                             f"give a {hi} of at least {show(low)}, or lower {lo}")
        return value

    return AfterValidator(check)


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


def _capacity_shape(value: Any, info: ValidationInfo) -> Any:
    by_region = isinstance(value, dict) and any(isinstance(k, str) for k in value)
    if by_region and info.data.get("per_region") is False:
        raise ValueError(f"capacity is given per region ({', '.join(value)}) but per_region is false; "
                         "set per_region: true for such a source, or give one capacity for all regions")
    return value


class MatchSourceSpec(Noted):
    id: Id
    name: str | None = None
    per_region: bool = False
    capacity: Annotated[RegionYearSeries | None, AfterValidator(_capacity_shape)] = Field(
        None, description="EUR m per year; omitted = unlimited"
    )


_ENVELOPE_KEYS = ("total", "profile", "source", "assumption", "note")


def _envelope_total(value: dict[Any, Any], info: ValidationInfo) -> dict[int, float]:
    """``{total: 60, profile: {2009: 0.5, 2010: 0.5}}`` → the amount of each year, every problem gathered."""
    problems: list[tuple[tuple[Any, ...], str]] = [
        ((k,), suggest(k, _ENVELOPE_KEYS, "field")) for k in value if k not in _ENVELOPE_KEYS
    ]
    total: float | None = None
    try:
        total = _number(value["total"], "the total")
    except Located as exc:
        problems.extend((("total", *sub), msg) for sub, msg in exc.problems)
    except ValueError as exc:
        problems.append((("total",), str(exc)))
    profile = value.get("profile")
    shares: dict[int, float] = {}
    if profile is None:
        problems.append(((), "an envelope given as a total needs its profile: the share of each year, "
                             "e.g. {total: 60, profile: {2009: 0.5, 2010: 0.5}}"))
    elif not isinstance(profile, dict):
        problems.append((("profile",), f"expected a mapping year → share, got {show(profile)}"))
    else:

        def share(k: Any, v: Any) -> tuple[int, float]:
            year, s = _year_key(k, info), _number(v, f"the share of {k}", "a share between 0 and 1")
            if s > 1:
                raise ValueError(f"the share of {k} must be between 0 and 1, got {show(s)}")
            return year, s

        try:
            shares = _collect(profile.items(), share)
        except Located as exc:
            problems.extend((("profile", *sub), msg) for sub, msg in exc.problems)
        else:
            s = sum(shares.values())
            if abs(s - 1.0) > 1e-6:
                problems.append((("profile",), f"the annual profile must sum to 1, it sums to {s:g} "
                                               f"({' + '.join(show(v) for v in shares.values())})"))
    if problems or total is None:
        raise Located(problems)
    return {y: total * s for y, s in shares.items()}


def _envelope(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, dict) and "total" in value:
        return _envelope_total(value, info)
    return _year_series(value, info)


Envelope = Annotated[Any, AfterValidator(_envelope)]


class CofinancingExceptionSpec(CellSelector):
    max_eu_share: EuShare
    match_source: SourceRef | None = None


class CofinancingSpec(Noted):
    max_eu_share: EuShare = 1.0
    match_source: SourceRef | None = None
    exceptions: list[CofinancingExceptionSpec] = []


def _not_with_share(value: Any, info: ValidationInfo) -> Any:
    share = info.data.get("usable_share")
    if value is not None and share is not None:
        raise ValueError(f"give usable_share or usable_amount, not both; usable_share is {show(share)} "
                         f"and usable_amount is {show(value)}")
    return value


def _payment_profile(value: list[float], info: ValidationInfo) -> list[float]:
    """Shares of a commitment paid in its year and the following ones: sum 1, within the n+N window."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    s = sum(value)
    if not value or abs(s - 1.0) > 1e-6:
        problems.append(((), f"payment_profile must sum to 1 (e.g. [0.4, 0.4, 0.2]); {show(value)} "
                             f"sums to {s:g}"))
    window = info.data.get("decommitment_window")
    if window is not None and len(value) > window + 1:
        problems.append(((), f"payment_profile {show(value)} pays over {len(value)} years but money not "
                             f"paid by n+{window} is decommitted; shorten the profile to at most {window + 1} "
                             f"years or widen decommitment_window (now {window})"))
    if problems:
        raise Located(problems)
    return value


class InstrumentSpec(Noted):
    id: Id
    name: str | None = None
    envelope: Envelope = Field(description="EUR m: per year, a year map, or {total, profile}")
    usable_share: Share | None = None
    usable_amount: Annotated[YearSeries | None, AfterValidator(_not_with_share)] = None
    eligibility: CellSelector = CellSelector()
    cofinancing: CofinancingSpec = CofinancingSpec()
    # decommitment_window before payment_profile: the profile's check reads the window
    decommitment_window: Annotated[int, BeforeValidator(_unwrap), Field(ge=0, le=10,
                                   description="years n+N until unpaid money lapses")] = 2
    payment_profile: Annotated[list[Share], AfterValidator(_payment_profile)] = [1.0]


class AbsorptionSpec(Noted):
    basis: Literal["total", "eu"] = "total"
    after_horizon: Literal["last_year", "unlimited"] = Field(
        "last_year", description="payments falling due after the last year: capped at the last year's capacity, "
        "or not capped")
    default: YearSeries | None = Field(None, description="capacity of every region not listed")
    capacity: dict[RegionRef, YearSeries] = {}


MaxShare = Annotated[Share | None, _not_below("min_share", "max_share")]
MaxAmount = Annotated[Amount | None, _not_below("min", "max")]


class PillarBalanceSpec(Noted):
    pillar: PillarRef
    min_share: Share | None = None
    max_share: MaxShare = None

    _check = model_validator(mode="after")(lambda self: _need_one(self, "min_share", "max_share"))


class FocusSpec(Noted):
    id: Id = "focus"
    region_groups: list[GroupRef] = []
    regions: list[RegionRef] = []
    min_share: Share | None = None
    max_share: MaxShare = None

    @model_validator(mode="after")
    def _check(self) -> FocusSpec:
        if not self.region_groups and not self.regions:
            raise ValueError("name the region_groups (or regions) the focus rule is about; neither is given")
        return _need_one(self, "min_share", "max_share")


class RegionLimitSpec(Noted):
    region: RegionRef
    min: Amount | None = None
    max: MaxAmount = None

    _check = model_validator(mode="after")(lambda self: _need_one(self, "min", "max"))


class PriorityLimitSpec(Noted):
    priority: PriorityRef
    min: Amount | None = None
    max: MaxAmount = None

    _check = model_validator(mode="after")(lambda self: _need_one(self, "min", "max"))


class PackageSpec(Noted):
    region: RegionRef
    amount: Amount
    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None


class CapSpec(SliceSelector):
    id: Id
    min: Amount | None = None
    max: MaxAmount = None
    per_year: bool = False

    _check = model_validator(mode="after")(lambda self: _need_one(self, "min", "max"))


# ---- integer rules (readability and coherence, §8, §11, §26) -------------------------------------------
def _as_field(name: str) -> BeforeValidator:
    """Accept a plain number (or ``{value: x, assumption: …}``) for a mapping whose main field is ``name``."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict) and "value" in value:
            return {name: value["value"], **{k: v for k, v in value.items() if k != "value"}}
        return value if value is None or isinstance(value, dict) else {name: value}

    return BeforeValidator(convert)


class MinCommitmentSpec(Noted):
    amount: Amount = 0.0
    by_instrument: dict[InstrumentRef, Amount] = {}


Whole = Annotated[int, BeforeValidator(_unwrap)]


class PartnershipsSpec(Noted):
    candidates: Annotated[list[RegionRef], Field(min_length=1)]
    max_new: Annotated[Whole, Field(ge=1, description="new partnerships at most")]
    min_new: Annotated[Whole, Field(ge=0, description="new partnerships at least")] = 0
    package: Amount
    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None
    only_partners: bool = True

    @model_validator(mode="after")
    def _check(self) -> PartnershipsSpec:
        problems: list[tuple[tuple[Any, ...], str]] = [
            (("candidates", n), f"the region {x!r} is a candidate twice (first as candidates"
                                f"[{self.candidates.index(x)}]); name each candidate once")
            for n, x in enumerate(self.candidates) if self.candidates.index(x) != n]
        n = len(set(self.candidates))
        if self.max_new > n:
            problems.append((("max_new",), f"max_new ({self.max_new}) is larger than the number of candidates ({n}: "
                                           f"{', '.join(dict.fromkeys(self.candidates))}); give at most {n}"))
        if self.min_new > self.max_new:
            problems.append((("min_new",), f"min_new ({self.min_new}) is larger than max_new ({self.max_new}); "
                                           f"give a min_new of at most {self.max_new}"))
        if problems:
            raise Located(problems)
        return self


class RulesSpec(Noted):
    pillar_balance: list[PillarBalanceSpec] = []
    geographic_focus: list[FocusSpec] = []
    region_limits: list[RegionLimitSpec] = []
    priority_limits: list[PriorityLimitSpec] = []
    min_packages: list[PackageSpec] = []
    caps: list[CapSpec] = []
    max_instruments_per_cell: Annotated[Whole, Field(ge=1, description="instruments per priority × region cell")] \
        | None = None
    min_commitment: Annotated[MinCommitmentSpec | None, _as_field("amount")] = None
    admin_cost: Annotated[Num, Field(ge=0, description="objective units per active priority × region cell")] \
        | None = None
    mobility_partnerships: PartnershipsSpec | None = None


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


def _increasing(value: list[float]) -> list[float]:
    if any(b2 <= b1 for b1, b2 in itertools.pairwise(value)):
        raise ValueError(f"breakpoints must increase, got {show(value)}")
    return value


def _slopes(value: list[float], info: ValidationInfo) -> list[float]:
    problems: list[tuple[tuple[Any, ...], str]] = []
    b = info.data.get("breakpoints")
    if b is not None and len(value) != len(b) + 1:
        problems.append(((), f"give one slope more than breakpoints (a slope per segment): {len(b)} "
                             f"breakpoints {show(b)} need {len(b) + 1} slopes, got {len(value)} {show(value)}"))
    if any(s2 > s1 for s1, s2 in itertools.pairwise(value)):
        problems.append(((), f"slopes must not increase (returns diminish), got {show(value)}"))
    if problems:
        raise Located(problems)
    return value


class DiminishingSpec(Noted):
    breakpoints: Annotated[list[Annotated[Num, Field(gt=0)]], AfterValidator(_increasing)]
    slopes: Annotated[list[Annotated[Num, Field(ge=0)]], AfterValidator(_slopes)]


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
        repeated = sorted({y for y in value if value.count(y) > 1})
        what = f"{', '.join(map(str, repeated))} repeated" if repeated else "not in order"
        raise ValueError(f"years must increase one by one without repeats, got {value} ({what})")
    if value and value != list(range(value[0], value[-1] + 1)):
        missing = sorted(set(range(value[0], value[-1] + 1)) - set(value))
        raise ValueError(f"years must be consecutive (payments run year after year), got {value}; "
                         f"missing {', '.join(map(str, missing))}")
    return value


# the uncertainty section builds on the blocks above, so it is imported once they exist
from fundsim.scenario.uncertainty_schema import UncertaintySpec  # noqa: E402


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
    uncertainty: UncertaintySpec | None = None
