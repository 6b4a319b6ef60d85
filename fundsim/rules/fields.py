"""Field types and checks the scenario schema is built from: numbers with their provenance, references to
declared ids, year series, and the message helpers (:func:`suggest`, :func:`show`, :class:`Located`) that
every validator of the file edge shares.
"""

from __future__ import annotations

import difflib
import functools
import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationInfo

__all__ = [
    "HINTS",
    "ID_PATTERN",
    "NOTE_KEYS",
    "REF_KINDS",
    "Amount",
    "EuShare",
    "GroupRef",
    "Id",
    "InstrumentRef",
    "Located",
    "MaxAmount",
    "MaxShare",
    "Num",
    "PillarRef",
    "PriorityRef",
    "RegionRef",
    "RegionYearSeries",
    "ScenarioYear",
    "Share",
    "SourceRef",
    "Whole",
    "Year",
    "YearSeries",
    "amount_number",
    "collect_problems",
    "need_one",
    "not_below",
    "show",
    "suggest",
    "unwrap_noted",
    "year_key",
    "year_series",
]

NOTE_KEYS = frozenset({"value", "source", "assumption", "note", "range"})
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


HINTS = 100  # "did you mean" searches for unknown references per validation: each reads every valid id


@functools.lru_cache(maxsize=64)
def _listing(valid: frozenset[str]) -> tuple[list[str], str]:
    """The valid ids sorted, and the first 40 as a message lists them (computed once per set of ids)."""
    ordered = sorted(str(v) for v in valid)
    listed = ", ".join(v if v and "," not in v and v.strip() == v else repr(v) for v in ordered[:40])
    return ordered, listed + (", …" if len(ordered) > 40 else "")


def suggest(given: object, valid: list[str] | tuple[str, ...] | set[str] | frozenset[str], what: str,
            closest: bool = True) -> str:
    """Message naming the valid choices, with the closest one first when there is one (and ``closest``).

    Examples
    --------
    >>> suggest("north_afrika", {"north_africa", "east"}, "region")
    "unknown region 'north_afrika' (did you mean 'north_africa'?); valid regions are: east, north_africa"
    """
    ordered, listed = _listing(valid if isinstance(valid, frozenset) else frozenset(str(v) for v in valid))
    close = _closest(given, ordered) if closest else None
    hint = f" (did you mean '{close}'?)" if close else ""
    return f"unknown {what} {given!r}{hint}; valid {_plural(what)} are: {listed or '(none declared)'}"


class Located(ValueError):
    """One or more problems below the value being validated, each as (relative path, message).

    Raised by validators that can tell *where* inside a value (or, from a model validator, in which
    field) a problem lies; :mod:`fundsim.scenario.validate` turns each entry into its own Problem with
    the path and line of that spot. An empty relative path means the value itself.

    Examples
    --------
    >>> err = Located([(("envelope", 2009), "must be a number"), ((), "needs an id")])
    >>> err.problems[0], str(err)
    ((('envelope', 2009), 'must be a number'), 'must be a number; needs an id')
    """

    def __init__(self, problems: list[tuple[tuple[Any, ...], str]] | tuple[tuple[tuple[Any, ...], str], ...]):
        self.problems = tuple(problems)
        super().__init__("; ".join(m for _, m in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


def show(value: Any) -> str:
    """A value as a message quotes it: numbers plainly (0.25, not 0.25000000000000006), the rest by repr.

    Examples
    --------
    >>> show(0.25000000000000006), show([1, 2.5]), show("tpma")
    ('0.25', '[1, 2.5]', "'tpma'")
    """
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


def _plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _range_problems(noted: dict[Any, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """What is wrong with a noted number's ``range: [low, high]`` (the ends of an assumption study,
    :func:`fundsim.sensitivity.assumptions`): two finite numbers with low ≤ value ≤ high.

    Examples
    --------
    >>> _range_problems({"value": 5, "range": [2, 8]})
    []
    >>> _range_problems({"value": 5, "range": [6, 8]})
    [(('range',), 'the range [6, 8] does not hold the value 5: give [low, high] with low ≤ 5 ≤ high')]
    """
    if "range" not in noted:
        return []
    given, value = noted["range"], noted.get("value")
    if not (isinstance(given, list) and len(given) == 2 and all(map(_plain_number, given))):
        return [(("range",), f"a range is two finite numbers [low, high], got {show(given)}")]
    low, high = given
    if _plain_number(value) and not low <= value <= high:
        return [(("range",), f"the range {show(given)} does not hold the value {show(value)}: give [low, high] "
                             f"with low ≤ {show(value)} ≤ high")]
    return []


def unwrap_noted(value: Any) -> Any:
    """Accept ``{value: x, source|assumption: "..."}`` wherever a number is expected; an assumed number may
    also state the ``range: [low, high]`` it is studied over (low ≤ value ≤ high).

    Examples
    --------
    >>> unwrap_noted({"value": 380, "source": "COM(2008) 611"}), unwrap_noted(380)
    (380, 380)
    >>> try:
    ...     unwrap_noted({"valeu": 380})
    ... except Located as err:
    ...     print(err.problems[0][1].split(";")[0])
    unknown key 'valeu' (did you mean 'value'?) in a number with provenance
    >>> unwrap_noted({"value": 0.02, "range": [0.01, 0.05], "assumption": "not published"})
    0.02
    """
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
                                   f"{', '.join(n for n in keys if n != 'range')} (and range: [low, high] beside "
                                   f"an assumption); write {_NOTED_FORM}"))
        problems.extend(_range_problems(value))
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


Num = Annotated[float, BeforeValidator(unwrap_noted), AfterValidator(_finite)]
Amount = Annotated[Num, Field(ge=0, description="EUR million")]
Share = Annotated[Num, Field(ge=0, le=1, description="share between 0 and 1")]
EuShare = Annotated[Num, Field(gt=0, le=1, description="share above 0, at most 1")]
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
Year = Annotated[int, BeforeValidator(unwrap_noted), Field(ge=1900, le=2200, description="a calendar year")]


# ---- references to declared ids ----------------------------------------------------------------------
def _ref(kind: str) -> AfterValidator:
    def check(value: Any, info: ValidationInfo) -> Any:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            hints = (info.context or {}).get("hints", [HINTS])  # one budget shared by the whole validation
            hints[0] -= 1
            raise ValueError(suggest(value, known, _REF_NAMES.get(kind, kind), closest=hints[0] >= 0))
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


def year_key(key: Any, info: ValidationInfo) -> int:
    """A year used as a mapping key (an int in YAML, a string in TOML), checked against the scenario years.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> info = SimpleNamespace(context={"year": {2009, 2010}})  # what pydantic's ValidationInfo carries
    >>> year_key("2009", info)  # TOML keys are strings
    2009
    >>> year_key(2011, info)
    Traceback (most recent call last):
    ...
    ValueError: year 2011 is not a scenario year; the years are 2009, 2010
    """
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


def amount_number(value: Any, what: str, unit: str = "EUR million") -> float:
    """``value`` (plain or with its provenance) as a finite number ≥ 0, else a ValueError naming ``what``.

    Examples
    --------
    >>> amount_number({"value": 3, "assumption": "a third of the envelope"}, "the envelope")
    3.0
    >>> amount_number("ten", "the envelope")
    Traceback (most recent call last):
    ...
    ValueError: the envelope must be a number, got 'ten'
    """
    value = unwrap_noted(value)
    if value is None:
        raise ValueError(f"{what} must be a number, got nothing (an empty value)")
    if isinstance(value, str) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {show(value)}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number ≥ 0 ({unit}), got {show(value)}")
    return float(value)


def collect_problems(items: Any, check: Any) -> dict[Any, Any]:
    """Run ``check(key, value)`` over a mapping, gathering every :class:`Located` problem before raising.

    Examples
    --------
    >>> try:
    ...     collect_problems([("tpma", 10), ("enpi", "x")], lambda k, v: (k, amount_number(v, f"the envelope of {k}")))
    ... except Located as err:
    ...     print(err.problems)
    ((('enpi',), "the envelope of enpi must be a number, got 'x'"),)
    """
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


def year_series(value: Any, info: ValidationInfo) -> dict[int, float] | float:
    """A number (same every year) or a mapping year → number.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> info = SimpleNamespace(context={"year": {2009, 2010}})
    >>> year_series({2009: 10, "2010": {"value": 12, "source": "COM(2008) 611"}}, info), year_series(5, info)
    ({2009: 10.0, 2010: 12.0}, 5.0)
    """
    if isinstance(value, dict) and not _is_noted(value):
        return collect_problems(value.items(),
                                lambda k, v: (year_key(k, info), amount_number(v, f"the amount for {k}")))
    return amount_number(value, "the amount")


YearSeries = Annotated[Any, AfterValidator(year_series)]


def _region_year_series(value: Any, info: ValidationInfo) -> Any:
    """A number, a mapping year → number, or a mapping region → (number | year → number)."""
    if isinstance(value, dict) and not _is_noted(value):
        keys = list(value)
        if keys and all(not str(k).strip().isdigit() for k in keys):
            regions = (info.context or {}).get("region")

            def check(k: Any, v: Any) -> tuple[str, Any]:
                if regions is not None and k not in regions:
                    raise ValueError(suggest(k, regions, "region"))
                return str(k), year_series(v, info)

            return collect_problems(value.items(), check)
    return year_series(value, info)


RegionYearSeries = Annotated[Any, AfterValidator(_region_year_series)]


def _scenario_year(value: int, info: ValidationInfo) -> int:
    years = (info.context or {}).get("year")
    if years is not None and value not in years:
        raise ValueError(f"year {value} is not a scenario year; the years are {_years_text(years)}")
    return value


ScenarioYear = Annotated[Year, AfterValidator(_scenario_year)]


def need_one(spec: Any, lo: str, hi: str) -> Any:
    """``spec`` once at least one of its fields ``lo`` and ``hi`` is given, else a ValueError saying so.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> need_one(SimpleNamespace(min=None, max=None), "min", "max")
    Traceback (most recent call last):
    ...
    ValueError: give min, max or both; neither is given
    """
    if getattr(spec, lo) is None and getattr(spec, hi) is None:
        raise ValueError(f"give {lo}, {hi} or both; neither is given")
    return spec


def not_below(lo: str, hi: str) -> AfterValidator:
    """Check, on the ``hi`` field, that it is not below the (earlier declared) ``lo`` field.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> check = not_below("min", "max").func
    >>> check(20, SimpleNamespace(data={"min": 10}))
    20
    >>> check(5, SimpleNamespace(data={"min": 10}))
    Traceback (most recent call last):
    ...
    ValueError: max (5) is below min (10); give a max of at least 10, or lower min
    """

    def check(value: Any, info: ValidationInfo) -> Any:
        low = info.data.get(lo)
        if value is not None and low is not None and low > value:
            raise ValueError(f"{hi} ({show(value)}) is below {lo} ({show(low)}); "
                             f"give a {hi} of at least {show(low)}, or lower {lo}")
        return value

    return AfterValidator(check)


MaxShare = Annotated[Share | None, not_below("min_share", "max_share")]
MaxAmount = Annotated[Amount | None, not_below("min", "max")]
Whole = Annotated[int, BeforeValidator(unwrap_noted)]
