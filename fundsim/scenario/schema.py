"""The scenario file format as pydantic models (the file edge; the domain never sees these).

Numbers may be written plain (``380``) or with their provenance (``{value: 380, source: "..."}`` or
``{value: 0.3, assumption: "..."}``). References to other entries (regions, priorities …) are checked
against the ids the file declares, passed in through the validation context, so that every problem
of a file is found in one pass. docs/scenario-format.md documents every field.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    create_model,
    model_validator,
)

from fundsim.model import Deadline
from fundsim.rules import families
from fundsim.rules.entries import CellSelector, Noted, SliceSelector
from fundsim.rules.fields import (
    Amount,
    EuShare,
    GroupRef,
    Id,
    Located,
    Num,
    PillarRef,
    PriorityRef,
    RegionRef,
    RegionYearSeries,
    Share,
    SourceRef,
    Year,
    YearSeries,
    amount_number,
    collect_problems,
    show,
    suggest,
    unwrap_noted,
    year_key,
    year_series,
)
from fundsim.scenario.uncertainty_schema import UncertaintySpec

__all__ = ["ScenarioSpec", "scenario_spec"]


# ---- sections ----------------------------------------------------------------------------------------
class PillarSpec(Noted):
    id: Id
    name: str | None = None


class CountrySpec(Noted):
    """A country planned on its own inside its region: a planning unit of its own."""

    id: Id
    name: str | None = None


class RestSpec(Noted):
    """The planning unit of a region's regional programmes and of its countries not planned on their own."""

    id: Id | None = None
    name: str | None = None


def _country_kind(value: Any) -> str:
    return "country-planned" if isinstance(value, dict | CountrySpec) else "country-name"


CountryEntry = Annotated[Annotated[str, Tag("country-name")] | Annotated[CountrySpec, Tag("country-planned")],
                         Discriminator(_country_kind)]


def _planned_once(value: list[str | CountrySpec]) -> list[str | CountrySpec]:
    """A country is named once in its region, whether planned on its own or not."""
    names = [c if isinstance(c, str) else (c.name or c.id) for c in value]
    twice = sorted(n for n, k in Counter(names).items() if k > 1)
    if twice:
        raise ValueError(f"the countries {show(twice)} are listed more than once; name each country once (as a "
                         "name, or as {id, name} when it is planned on its own)")
    return value


class RegionSpec(Noted):
    id: Id
    name: str | None = None
    group: Id = Field(description="focus area: south, east, south_east or other (any id may be used)")
    countries: Annotated[list[CountryEntry], AfterValidator(_planned_once)] = Field(
        [], description="the region's countries: a name, or {id, name} for a country planned on its own")
    rest: RestSpec | None = Field(None, description="the unit of the region's regional programmes and other "
                                  "countries, when some are planned on their own (id default <region>_rest)")

    @property
    def planned(self) -> list[CountrySpec]:
        """The countries planned on their own."""
        return [c for c in self.countries if isinstance(c, CountrySpec)]

    @property
    def rest_id(self) -> str:
        """The id of the rest unit (only meaningful when some countries are planned on their own)."""
        return (self.rest.id if self.rest is not None and self.rest.id else None) or f"{self.id}_rest"

    @model_validator(mode="after")
    def _rest_needs_countries(self) -> RegionSpec:
        if self.rest is not None and not self.planned:
            raise Located([(("rest",), "rest names the unit of the countries not planned on their own, but no "
                                       "country of the region is planned on its own; give countries as {id, name} "
                                       "or drop rest")])
        return self


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
        total = amount_number(value["total"], "the total")
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
            year, s = year_key(k, info), amount_number(v, f"the share of {k}", "a share between 0 and 1")
            if s > 1:
                raise ValueError(f"the share of {k} must be between 0 and 1, got {show(s)}")
            return year, s

        try:
            shares = collect_problems(profile.items(), share)
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
    return year_series(value, info)


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


def _profile_sum(value: list[float], what: str) -> list[tuple[tuple[Any, ...], str]]:
    s = sum(value)
    if not value or abs(s - 1.0) > 1e-6:
        return [((), f"{what} must sum to 1 (e.g. [0.4, 0.4, 0.2]); {show(value)} sums to {s:g}")]
    return []


def _payment_profile(value: list[float], info: ValidationInfo) -> list[float]:
    """Shares of a commitment paid in its year and the following ones: sum 1, within the n+N window of a payment
    deadline (a contracting deadline leaves the payments of signed contracts free)."""
    problems = _profile_sum(value, "payment_profile")
    budget = info.data.get("budget")
    deadline = budget.deadline if budget is not None else None
    window = deadline.window if deadline is not None else info.data.get("decommitment_window")
    window = 2 if window is None and deadline is None else window
    if deadline is not None and deadline.kind == "contracting":
        window = None
    name = "the payment deadline's years" if deadline is not None else "decommitment_window"
    if window is not None and len(value) > window + 1:
        problems.append(((), f"payment_profile {show(value)} pays over {len(value)} years but money not "
                             f"paid by n+{window} is decommitted; shorten the profile to at most {window + 1} "
                             f"years or widen {name} (now {window})"))
    if problems:
        raise Located(problems)
    return value


class DeadlineSpec(Noted):
    kind: Literal["payment", "contracting"] = Field(
        "payment", description="what must happen by n+k: payment (shared management, n+2) or contracting "
        "(external actions, n+3)")
    years: Annotated[int, BeforeValidator(unwrap_noted), Field(ge=0, le=10, description="k of n+k")] = 2
    counted_from: Literal["commitment", "decision"] = "commitment"
    decision_lead: Annotated[int, BeforeValidator(unwrap_noted), Field(ge=0, le=5)] = 0

    @model_validator(mode="after")
    def _lead(self) -> DeadlineSpec:
        if self.decision_lead and self.counted_from != "decision":
            raise ValueError("decision_lead needs counted_from: decision (the years the financing decision comes "
                             "before the commitment)")
        if self.decision_lead > self.years:
            raise ValueError(f"decision_lead ({self.decision_lead}) cannot exceed the deadline's years "
                             f"({self.years}): the deadline would fall before the commitment")
        return self

    @property
    def window(self) -> int:
        return Deadline(self.kind, self.years, self.counted_from, self.decision_lead).window


class OpeningSpec(Noted):
    carried_in: Amount = Field(0.0, description="commitment appropriations carried into the first year")
    commitments: dict[Year, Amount] = Field({}, description="commitments made before the first year, by year; "
                                           "paid along the payment profile")

    @model_validator(mode="after")
    def _before(self, info: ValidationInfo) -> OpeningSpec:
        years = (info.context or {}).get("year")
        if years and self.commitments:
            late = sorted(y for y in self.commitments if y >= min(years))
            if late:
                raise ValueError(f"opening commitments are those made before the first year ({min(years)}); "
                                 f"{', '.join(map(str, late))} is not before it (plan those years, or lock "
                                 f"them with rules: locks)")
        return self


class BudgetSpec(Noted):
    nature: Literal["general_budget", "fund"] = Field(
        "general_budget", description="general budget (annual lapse, carry-over) or multi-annual fund (cut-off)")
    unused: Literal["lapses", "returns"] | None = Field(
        None, description="usable money not committed lapses, or returns to the instrument's other objectives; "
        "default: returns when only part of the envelope is usable, lapses otherwise")
    carry_over: Share = Field(0.0, description="general budget: share of a year's commitment appropriations that "
                              "may be carried into the next year")
    cutoff: Year | None = Field(None, description="fund: last year of new commitments")
    payment_appropriations: YearSeries | None = Field(None, description="EUR m a year; default: not limited")
    deadline: DeadlineSpec | None = None
    contracting_profile: list[Share] | None = None
    max_outstanding: Amount | None = Field(None, description="EUR m unpaid at the end of the last year, at most")
    opening: OpeningSpec = OpeningSpec()

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> BudgetSpec:
        problems: list[tuple[tuple[Any, ...], str]] = []
        years = (info.context or {}).get("year")
        if self.cutoff is not None and years and self.cutoff < min(years):
            problems.append((("cutoff",), f"a cut-off in {self.cutoff} falls before the first year ({min(years)}): "
                                          f"nothing could be committed; give a year from {min(years)} on"))
        if self.nature == "fund" and self.carry_over:
            problems.append((("carry_over",), "a fund keeps its money available until its cut-off without a "
                                              "carry-over decision; carry_over is for general_budget instruments"))
        if self.nature != "fund" and self.cutoff is not None:
            problems.append((("cutoff",), "a commitment cut-off is the rule of a multi-annual fund; give "
                                          "nature: fund, or drop cutoff"))
        profile = self.contracting_profile
        if profile is not None:
            if self.deadline is None or self.deadline.kind != "contracting":
                problems.append((("contracting_profile",), "a contracting profile needs a contracting deadline: "
                                                           "deadline: {kind: contracting, years: 3}"))
            else:
                problems += [(("contracting_profile", *w), t) for w, t in _profile_sum(profile,
                                                                                       "contracting_profile")]
                if len(profile) > self.deadline.window + 1:
                    problems.append((("contracting_profile",),
                                     f"contracting_profile {show(profile)} contracts over {len(profile)} years but "
                                     f"contracts must be signed by n+{self.deadline.window}; shorten it to at "
                                     f"most {self.deadline.window + 1} years"))
        if problems:
            raise Located(problems)
        return self


def _not_both_deadlines(value: int | None, info: ValidationInfo) -> int | None:
    budget = info.data.get("budget")
    if value is not None and budget is not None and budget.deadline is not None:
        raise ValueError("give the deadline once: budget.deadline (kind, years) replaces decommitment_window")
    return value


class InstrumentSpec(Noted):
    id: Id
    name: str | None = None
    envelope: Envelope = Field(description="EUR m: per year, a year map, or {total, profile}")
    usable_share: Share | None = None
    usable_amount: Annotated[YearSeries | None, AfterValidator(_not_with_share)] = None
    eligibility: CellSelector = CellSelector()
    cofinancing: CofinancingSpec = CofinancingSpec()
    # budget and decommitment_window before payment_profile: the profile's check reads the deadline
    budget: BudgetSpec | None = None
    decommitment_window: Annotated[int | None, BeforeValidator(unwrap_noted), AfterValidator(_not_both_deadlines),
                                   Field(ge=0, le=10, description="years n+N until unpaid money is "
                                         "decommitted; default 2")] = None
    payment_profile: Annotated[list[Share], AfterValidator(_payment_profile)] = [1.0]

    @model_validator(mode="after")
    def _paid_after_contracted(self) -> InstrumentSpec:
        """Payments cannot run ahead of the contracts they pay: by each year, what is paid is at most what is
        contracted."""
        contracts = self.budget.contracting_profile if self.budget is not None else None
        if not contracts:
            return self
        paid = list(itertools.accumulate(self.payment_profile))
        signed = list(itertools.accumulate(contracts))
        for lag, (p, c) in enumerate(zip(paid, signed + [1.0] * len(paid), strict=False)):
            if p > c + 1e-9:
                raise Located([(("payment_profile",),
                                f"payment_profile {show(self.payment_profile)} has paid {p:.0%} by n+{lag} but "
                                f"contracting_profile {show(contracts)} has contracted only {c:.0%} by then: "
                                f"payments follow signed contracts, so pay at most {c:.0%} by n+{lag} (a payment "
                                f"profile such as {show(contracts)} passes)")])
        return self


class AbsorptionSpec(Noted):
    basis: Literal["total", "eu"] = "total"
    after_horizon: Literal["last_year", "unlimited"] = Field(
        "last_year", description="payments falling due after the last year: capped at the last year's capacity, "
        "or not capped")
    default: YearSeries | None = Field(None, description="capacity of every region not listed")
    capacity: dict[RegionRef, YearSeries] = {}


def _rules_model(families: tuple[Any, ...]) -> type[Noted]:
    """The ``rules:`` section: one field per section of each rule family (fundsim's own), and a list of entries
    for each family registered from outside fundsim."""
    fields: dict[str, Any] = {}
    for f in families:
        for section in f.sections:
            fields[section.key] = (section.annotation, section.default)
    taken = sorted(f.name for f in families if f.entry is not None and f.name in fields)
    if taken:
        raise ValueError(f"registered rule families named like fundsim's own sections under rules: "
                         f"{', '.join(taken)}; give them other names")
    fields.update({f.name: (list[f.entry], []) for f in families if f.entry is not None})  # type: ignore[name-defined]
    return create_model("RulesSpec", __base__=Noted, **fields)


RulesSpec = _rules_model(families())  # the families registered when fundsim is imported: fundsim's own


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


class IndicatorSpec(SliceSelector):
    """An indicator of the results framework: the slice whose money buys its outputs, their unit cost, a target
    and what each output is worth."""

    id: Id
    name: str | None = None
    unit: str = Field("units", description="what one output is, e.g. persons")
    unit_cost: Annotated[Num, Field(gt=0, description="EUR m per unit of output")]
    basis: Literal["total", "eu"] = Field("total", description="the money that buys outputs: EU money plus "
                                          "co-financing, or EU money alone")
    target: Annotated[Num | None, Field(gt=0, description="outputs aimed at")] = None
    value: Annotated[Num, Field(ge=0, description="objective per unit of output (up to the target)")] = 1.0
    beyond_target: Annotated[Num | None, Field(ge=0, description="objective per unit above the target")] = None

    @model_validator(mode="after")
    def _diminishing(self) -> IndicatorSpec:
        if self.beyond_target is not None and self.target is None:
            raise Located([(("beyond_target",), f"beyond_target ({show(self.beyond_target)}) needs a target: give "
                                                "target (the outputs aimed at), or drop beyond_target")])
        if self.beyond_target is not None and self.beyond_target > self.value:
            raise Located([(("beyond_target",), f"beyond_target ({show(self.beyond_target)}) exceeds value "
                                                f"({show(self.value)}): an output above the target may be worth "
                                                "less than one below it, not more (returns diminish)")])
        return self


class ResultsSpec(Noted):
    weight: Annotated[Num, Field(ge=0)] = 1.0
    indicators: Annotated[list[IndicatorSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _distinct(self) -> ResultsSpec:
        first: dict[str, int] = {}
        problems: list[tuple[tuple[Any, ...], str]] = []
        for n, ind in enumerate(self.indicators):
            if ind.id in first:
                problems.append((("indicators", n, "id"), f"the indicator id {ind.id!r} is given twice (also at "
                                                          f"indicators[{first[ind.id]}]); give each its own id"))
            first.setdefault(ind.id, n)
        if problems:
            raise Located(problems)
        return self


class ObjectiveSpec(Noted):
    impact: ImpactSpec | None = None
    leverage: LeverageSpec | None = None
    goals: GoalsSpec | None = None
    results: ResultsSpec | None = None

    @model_validator(mode="after")
    def _one_term(self) -> ObjectiveSpec:
        if self.impact is None and self.leverage is None and self.goals is None and self.results is None:
            raise ValueError("give at least one objective term: impact, leverage or goals, or a results framework "
                             "(results)")
        return self


def _shown_years(value: list[int]) -> str:
    return show(value) if len(value) <= 12 else f"{show(value[:6])[:-1]}, … ({len(value):,} years)]"


def _years(value: list[int]) -> list[int]:
    """Consecutive, increasing years without repeats (checked in one pass)."""
    if any(b <= a for a, b in itertools.pairwise(value)):
        counts = Counter(value)
        repeated = [y for y, n in counts.items() if n > 1]
        what = f"{', '.join(map(str, sorted(repeated)[:10]))} repeated" if repeated else "not in order"
        raise ValueError(f"years must increase one by one without repeats, got {_shown_years(value)} ({what})")
    if value and value[-1] - value[0] + 1 != len(value):
        missing = sorted(set(range(value[0], value[-1] + 1)) - set(value))
        raise ValueError(f"years must be consecutive (payments run year after year), got {_shown_years(value)}; "
                         f"missing {', '.join(map(str, missing))}")
    return value


class ScenarioSpec(Noted):
    """A whole scenario file, validated (docs/scenario-format.md documents every field).

    Examples
    --------
    >>> from fundsim.scenario.extends import read_tree
    >>> spec = ScenarioSpec.model_validate(read_tree("scenarios/tutorial.yaml")[0])
    >>> spec.name, [i.id for i in spec.instruments], spec.rules.pillar_balance[0].max_share
    ('tutorial', ['tpma', 'enpi'], 0.25)
    """

    name: str
    description: str = ""
    years: Annotated[list[Year], Field(min_length=1), AfterValidator(_years)]
    pillars: Annotated[list[PillarSpec], Field(min_length=1)]
    regions: Annotated[list[RegionSpec], Field(min_length=1)]
    priorities: Annotated[list[PrioritySpec], Field(min_length=1)]
    match_sources: list[MatchSourceSpec] = []
    instruments: Annotated[list[InstrumentSpec], Field(min_length=1)]
    absorption: AbsorptionSpec = AbsorptionSpec()
    rules: RulesSpec = RulesSpec()  # type: ignore[valid-type]
    objective: ObjectiveSpec = ObjectiveSpec(impact=ImpactSpec())
    uncertainty: UncertaintySpec | None = None


_MADE: dict[tuple[int, ...], tuple[tuple[Any, ...], type[ScenarioSpec]]] = {}


def _with_families(registered: tuple[Any, ...]) -> type[ScenarioSpec]:
    """The schema for another set of registered families, made once per set (the set is kept with it, so the
    ids in the key stay those of these families)."""
    key = tuple(map(id, registered))
    if key not in _MADE:
        rules = _rules_model(registered)
        _MADE[key] = (registered, create_model("ScenarioSpec", __base__=ScenarioSpec, rules=(rules, rules())))
    return _MADE[key][1]


def scenario_spec() -> type[ScenarioSpec]:
    """The schema of a scenario file: :class:`ScenarioSpec`, whose ``rules:`` section has one part per rule
    family (each family states its own, :class:`fundsim.rules.entries.Section`), and a list under ``rules:`` for
    each family registered from outside fundsim (``RuleFamily.entry``), validated with the same located errors.

    Examples
    --------
    >>> scenario_spec() is ScenarioSpec  # no rule family registered from outside fundsim
    True
    >>> sorted(scenario_spec().model_fields["rules"].annotation.model_fields)[:3]
    ['admin_cost', 'assumption', 'caps']
    """
    now = families()
    return ScenarioSpec if now == _AT_IMPORT else _with_families(now)


_AT_IMPORT = families()
