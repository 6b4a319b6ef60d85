"""Conditions on what may be funded (16041/08 §18, §14): the EU money of a slice in a planning unit is allowed
only once a condition is met there.

- *agreement* (§18: effective cooperation on readmission is a precondition of a trust-based partnership; a
  partner's commitments, such as a readmission agreement, are conditions on what may be funded): the slice's money
  in a unit is 0 in the years before the condition is met (``met_from``).
- *ratio* (§14: migration profiles should inform the programming of the financial instruments): the slice's money
  in a unit, cumulated up to a year, is at most ``ratio`` times the money on a prerequisite slice there cumulated
  up to ``lag`` years earlier, plus what is already unlocked (``existing``).

Both count EU money, as every share and limit does (co-financing follows the EU money at the cell's rate). A unit
is a planning unit as selectors name it (a region id), resolved by the scenario's labels.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from fundsim import model as m
from fundsim.errors import Problem, ScenarioError
from fundsim.rules.checking import Plan, Rule, Violation, selected
from fundsim.rules.entries import CellSelector, Labels, Noted, Section
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import (
    Amount,
    Id,
    InstrumentRef,
    Located,
    Num,
    PillarRef,
    PriorityRef,
    RegionRef,
    ScenarioYear,
    Whole,
    amount_number,
    collect_problems,
    show,
    suggest,
    unwrap_noted,
)
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import Cells, mask

__all__ = ["CONDITIONS", "CONDITION_RATIOS", "FAMILY", "SECTION", "ConditionSpec", "RequiresSpec",
           "check_conditions", "define_conditions", "unit_cells"]

DIMS = ("condition", "region", "year")
CONDITIONS = Rows("conditions", DIMS,
                  "objective gained per EUR m allowed on the slice in that unit and year before the condition is met",
                  long_name="conditions on what may be funded (§18)",
                  repair=Repair("the money allowed on the slice of the condition {condition!r} in {region!r} in "
                                "{year} before it is met", section="conditions", dim="condition",
                                lower="allowance", upper="allowance"))
CONDITION_RATIOS = Rows("condition_ratios", DIMS,
                        "objective gained per EUR m more unlocked on the slice in that unit by that year (beyond "
                        "what its prerequisite unlocks)",
                        long_name="money unlocked by a prerequisite (§14)",
                        repair=Repair("the money unlocked on the slice of the condition {condition!r} in {region!r} "
                                      "by {year}", section="conditions", dim="condition", lower="allowance",
                                      upper="allowance"))


def unit_cells(sc: m.Scenario, cells: Cells, regions: frozenset[str]) -> np.ndarray:
    """Which eligible cells lie in a unit's regions.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> int(unit_cells(sc, define_eu(ProgramBuilder(), sc), frozenset({"north_africa"})).sum())
    10
    """
    return np.isin(np.asarray(sc.region_ids), list(regions))[cells.r]


def _units(sc: m.Scenario, conditions: tuple[m.Condition, ...]) -> tuple[str, ...]:
    """The row blocks' ``region`` labels: the scenario's regions (a dim shared with every region-labelled block),
    then any other unit a condition names."""
    return tuple(dict.fromkeys([*sc.region_ids, *(u for c in conditions for u, _ in c.units)]))


def _before(cond: m.Condition, years: tuple[int, ...]) -> np.ndarray:
    """``before[u, y]``: year y of the plan comes before the condition is met in unit u."""
    met = np.array([np.inf if y is None else y for y in cond.met_from], float)
    return np.asarray(years, float)[None, :] < met[:, None]


def _agreement_rows(a: Assembly, conds: tuple[m.Condition, ...]) -> None:
    sc, cells = a.sc, a.cells
    units = _units(sc, conds)
    keys, cols = [], []
    for c, cond in enumerate(conds):
        if cond.form != "agreement":
            continue
        inside, before = mask(cond.selector, sc, cells), _before(cond, sc.years)
        for u, (unit, regions) in enumerate(cond.units):
            hit = inside & unit_cells(sc, cells, regions) & before[u][cells.y]
            keys.append(np.column_stack([np.full(hit.sum(), c), np.full(hit.sum(), units.index(unit)),
                                         cells.y[hit]]))
            cols.append(cells.col[hit])
    key = np.concatenate(keys) if keys else np.zeros((0, 3), np.int64)
    rows, row = np.unique(key, axis=0, return_inverse=True)
    if not len(rows):
        return
    allowance = np.array([conds[c].allowance for c in rows[:, 0]])
    a.b.add_constraints(Header(CONDITIONS.name, DIMS, (tuple(c.id for c in conds), units, sc.years),
                               tuple(rows.T), CONDITIONS.row_unit, CONDITIONS.long_name),
                        Entries(row.ravel(), np.concatenate(cols), np.ones(len(key))),
                        np.full(len(rows), -np.inf), allowance, kind="le")


def _ratio_rows(a: Assembly, conds: tuple[m.Condition, ...]) -> None:
    sc, cells = a.sc, a.cells
    units, ny = _units(sc, conds), len(sc.years)
    keys, cols, vals, bounds = [], [], [], {}
    for c, cond in enumerate(conds):
        if cond.form != "ratio":
            continue
        inside, before = mask(cond.selector, sc, cells), mask(cond.requires or m.Selector(), sc, cells)
        for u, (unit, regions) in enumerate(cond.units):
            here = unit_cells(sc, cells, regions)
            for y in range(ny):
                money = inside & here & (cells.y <= y)
                if not money.any():
                    continue  # nothing of the slice can be committed by then: the row would hold by itself
                pre = before & here & (cells.y <= y - cond.lag)
                at = (c, units.index(unit), y)
                bounds[at] = max(cond.existing[u], cond.allowance)
                keys += [at] * int(money.sum() + pre.sum())
                cols += [cells.col[money], cells.col[pre]]
                vals += [np.ones(money.sum()), np.full(pre.sum(), -cond.ratio)]
    if not bounds:
        return
    rows, row = np.unique(np.array(keys), axis=0, return_inverse=True)
    a.b.add_constraints(Header(CONDITION_RATIOS.name, DIMS, (tuple(c.id for c in conds), units, sc.years),
                               tuple(rows.T), CONDITION_RATIOS.row_unit, CONDITION_RATIOS.long_name),
                        Entries(row.ravel(), np.concatenate(cols), np.concatenate(vals)),
                        np.full(len(rows), -np.inf), np.array([bounds[tuple(k)] for k in rows.tolist()]),
                        kind="le")


def define_conditions(a: Assembly) -> None:
    """Agreement form (block ``conditions``): ``Σ_{i,p in slice, r in unit u} eu[i,p,r,y] ≤ allowance`` for each
    year y before the condition is met in u (``allowance`` 0 unless a repair raised it). Ratio form (block
    ``condition_ratios``): ``Σ_{y' ≤ y} cond[u,y'] − ratio·Σ_{y' ≤ y − lag} pre[u,y'] ≤ max(existing[u],
    allowance)`` for each year y by which the slice has money to commit, ``cond`` and ``pre`` the EU money of the
    conditioned and the prerequisite slice in unit u. A row per condition, unit and year.

    Examples
    --------
    Mobility (the legal pillar) in the Eastern Partnership waits for a readmission agreement in force from 2010;
    remittances in each region are unlocked at half the return money there a year before, North Africa having 2
    EUR m unlocked already:

    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["conditions"] = [
    ...     {"id": "readmission", "pillars": ["legal"], "met_from": {"eastern_partnership": 2010}},
    ...     {"id": "profiles", "priorities": ["remittances"], "requires": {"priorities": ["return"], "ratio": 0.5,
    ...      "lag": 1}, "existing": {"north_africa": 2}}]
    >>> lp = fs.assemble(fs.scenario_from_dict(raw))
    >>> block = lp.constraints["conditions"]
    >>> block.coords[0], lp.A[block.start:block.stop].getnnz(1).tolist()  # TPMA's and ENPI's mobility in 2009
    (('readmission', 'profiles'), [2])
    >>> ratios = lp.constraints["condition_ratios"]
    >>> [p.tolist() for p in ratios.positions], lp.row_upper[ratios.start:ratios.stop].tolist()
    ([[1, 1, 1, 1], [0, 0, 1, 1], [0, 1, 0, 1]], [2.0, 2.0, 0.0, 0.0])
    >>> sorted(lp.A[ratios.start + 1].data.tolist())  # North Africa 2010: TPMA's remittances, 2009's return
    [-0.5, -0.5, 1.0, 1.0]
    """
    conds = tuple(c.planned(a.sc.region_ids) for c in a.sc.rules.conditions)
    _agreement_rows(a, conds)  # both blocks labelled by every condition: they share the dim
    _ratio_rows(a, conds)


def _unit_money(plan: Plan, sel: m.Selector, regions: frozenset[str]) -> np.ndarray:
    """The EU money of a slice in a unit, per year (every cell of the slice, eligible or not)."""
    sc = plan.sc
    inside = selected(sel, sc) & np.isin(np.asarray(sc.region_ids), list(regions))[None, None, :, None]
    return np.where(inside, plan.eu, 0.0).sum(axis=(0, 1, 2))


def check_conditions(plan: Plan) -> list[Violation]:
    """The slice's money in each unit kept to what its condition allows: nothing before an agreement is met,
    no more than the prerequisite (and the existing allowance) unlocks.

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["conditions"] = [{"id": "readmission", "pillars": ["legal"],
    ...                                "met_from": {"eastern_partnership": 2010}}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1] = [4.0, 6.0]  # enpi, mobility, eastern_partnership: 4 in 2009, before the agreement
    >>> [(v.labels, v.value, v.limit) for v in check_conditions(Plan(sc, eu, eu, eu, eu, None, None, 1e-7, 1e-6))]
    [({'condition': 'readmission', 'region': 'eastern_partnership', 'year': 2009}, 4.0, 0.0)]
    """
    found: list[Violation] = []
    for cond in (c.planned(plan.sc.region_ids) for c in plan.sc.rules.conditions):
        for u, (_, regions) in enumerate(cond.units):
            money = _unit_money(plan, cond.selector, regions)
            found += (_agreement_kept(plan, cond, u, money) if cond.form == "agreement" else
                      _ratio_kept(plan, cond, u, money, _unit_money(plan, cond.requires or m.Selector(), regions)))
    return found


def _agreement_kept(plan: Plan, cond: m.Condition, u: int, money: np.ndarray) -> list[Violation]:
    unit, found = cond.units[u][0], []
    for y, year in enumerate(plan.sc.years):
        if _before(cond, plan.sc.years)[u, y]:
            rule = Rule("conditions", "conditions on what may be funded",
                        {"condition": cond.id, "region": unit, "year": year})
            found += plan.outside(rule, f"commitments in {year} on the slice of {cond.id} in {unit}, before the "
                                        "condition is met, are", float(money[y]), None, cond.allowance,
                                  names=("minimum", "allowance"))
    return found


def _ratio_kept(plan: Plan, cond: m.Condition, u: int, money: np.ndarray, pre: np.ndarray) -> list[Violation]:
    unit, found = cond.units[u][0], []
    cum, cum_pre = np.cumsum(money), np.concatenate([np.zeros(cond.lag), np.cumsum(pre)])
    for y, year in enumerate(plan.sc.years):
        unlocked = cond.ratio * float(cum_pre[y]) + max(cond.existing[u], cond.allowance)
        rule = Rule("condition_ratios", "money unlocked by a prerequisite",
                    {"condition": cond.id, "region": unit, "year": year})
        found += plan.outside(rule, f"commitments up to {year} on the slice of {cond.id} in {unit} are",
                              float(cum[y]), None, unlocked, names=("minimum", "money unlocked"))
    return found


# ---- the scenario format ------------------------------------------------------------------------------
def _units_of(kind: str, value: Any, info: ValidationInfo, check: Any) -> dict[str, Any]:
    """A mapping unit → value, each unit a declared planning unit (``default`` too where ``kind`` allows it)."""
    if not isinstance(value, dict) or not value:
        raise ValueError(f"give a mapping of units (region ids) to {kind}, at least one; got {value!r}")
    known = (info.context or {}).get("region")

    def one(k: Any, v: Any) -> tuple[str, Any]:
        if known is not None and k not in known and not (k == "default" and kind == "EUR m"):
            raise ValueError(suggest(k, known, "region"))
        return str(k), check(k, v)

    return collect_problems(value.items(), one)


def _met_year(k: Any, v: Any) -> int | None:
    v = unwrap_noted(v)
    if v is None:
        return None
    if not isinstance(v, int) or not 1900 <= v <= 2200:
        raise ValueError(f"the year the condition is met in {k} must be a calendar year (a whole number "
                         f"1900–2200) or null (never met within the plan), got {v!r}")
    return v


MetFrom = Annotated[Any, AfterValidator(lambda v, info: _units_of("years", v, info, _met_year))]
Unlocked = Annotated[Any, AfterValidator(
    lambda v, info: _units_of("EUR m", v, info, lambda k, x: amount_number(x, f"the existing allowance of {k}")))]


class RequiresSpec(Noted):
    """The prerequisite of a ratio condition: its slice (priorities or pillars, instruments), the EUR m unlocked
    per EUR m of it (``ratio``) and the years it takes (``lag``).

    Examples
    --------
    >>> RequiresSpec.model_validate({"priorities": ["migration_policy_capacity"], "ratio": 20, "lag": 1}).ratio
    20.0
    """

    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None
    instruments: list[InstrumentRef] | None = None
    ratio: Annotated[Num, Field(ge=0, description="EUR m unlocked per EUR m of the prerequisite")]
    lag: Annotated[Whole, Field(ge=0, description="years")] = 0


class ConditionSpec(Noted):
    """One entry of ``rules: conditions:``: a slice (``priorities`` / ``pillars``, ``instruments``, ``years``) and
    either ``met_from`` (agreement form) or ``requires`` with ``existing`` (ratio form).

    Examples
    --------
    >>> spec = ConditionSpec.model_validate({"id": "readmission", "pillars": ["legal"],
    ...                                      "met_from": {"eastern_partnership": 2010, "russia": None}})
    >>> spec.met_from
    {'eastern_partnership': 2010, 'russia': None}
    """

    id: Id
    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None
    instruments: list[InstrumentRef] | None = None
    years: list[ScenarioYear] | None = None
    regions: list[RegionRef] | None = Field(None, description="ratio form: the units conditioned (default: every "
                                            "unit of the scenario)")
    met_from: MetFrom | None = None
    requires: RequiresSpec | None = None
    existing: Unlocked | None = None
    allowance: Amount = 0.0

    @model_validator(mode="after")
    def _one_form(self) -> ConditionSpec:
        if (self.met_from is None) == (self.requires is None):
            given = "both are given" if self.met_from is not None else "neither is given"
            raise ValueError(f"give met_from (allowed from the year a condition is met, per unit) or requires (in "
                             f"proportion to a prerequisite slice), not both; {given}")
        if self.existing is not None and self.requires is None:
            raise Located([(("existing",), "existing (EUR m already unlocked per unit) belongs to a condition "
                                           "with requires; an agreement condition (met_from) has none")])
        if self.regions is not None and self.requires is None:
            raise Located([(("regions",), "regions lists the units a ratio condition (requires) holds for; an "
                                          "agreement condition names its units in met_from")])
        outside = sorted(set(self.existing or {}) - {"default"} - set(self.regions)) if self.regions else []
        if outside:
            raise Located([(("existing",), f"existing names {show(outside)}, which are not among the condition's "
                                           f"regions {show(self.regions)}; add them to regions or drop them")])
        return self


def _distinct(value: list[ConditionSpec]) -> list[ConditionSpec]:
    """Each condition has its own id (its label in the shadow prices and the repairs)."""
    first: dict[str, int] = {}
    problems = []
    for n, spec in enumerate(value):
        if spec.id in first:
            problems.append(((n, "id"), f"the condition id {spec.id!r} is used twice (first at conditions"
                                        f"[{first[spec.id]}]); give each condition its own id"))
        first.setdefault(spec.id, n)
    if problems:
        raise Located(problems)
    return value


def _unit(labels: Labels, unit: str) -> tuple[str, frozenset[str]]:
    return unit, labels.regions_of(CellSelector(regions=[unit])) or frozenset()


def _condition(x: ConditionSpec, labels: Labels) -> m.Condition:
    sel = m.Selector(None if x.instruments is None else frozenset(x.instruments), labels.priorities_of(x),
                     None, None if x.years is None else frozenset(x.years), label=x.id)
    if x.requires is None:
        met = x.met_from or {}
        return m.Condition(x.id, sel, tuple(_unit(labels, u) for u in met), met_from=tuple(met.values()),
                           allowance=x.allowance)
    given = dict(x.existing or {})
    default: float | None = given.pop("default", 0.0)
    if x.regions is not None:  # only the listed units are conditioned
        given = {u: given.get(u, default) for u in dict.fromkeys(x.regions)}
        default = None
    req = m.Selector(None if x.requires.instruments is None else frozenset(x.requires.instruments),
                     labels.priorities_of(x.requires))
    return m.Condition(x.id, sel, tuple(_unit(labels, u) for u in given), requires=req, ratio=x.requires.ratio,
                       lag=x.requires.lag, existing=tuple(given.values()), default=default, allowance=x.allowance)


def _build(value: list[ConditionSpec], labels: Labels) -> tuple[m.Condition, ...]:
    out, problems = [], []
    for n, x in enumerate(value):
        try:
            out.append(_condition(x, labels))
        except ValueError as exc:
            problems.append(Problem(None, None, f"rules.conditions[{n}].requires", str(exc)))
    if problems:
        raise ScenarioError(problems)
    return tuple(out)


SECTION = Section("conditions", Annotated[list[ConditionSpec], AfterValidator(_distinct)], [], _build,
                  doc="| `conditions[]` | `id`, selector (`priorities` / `pillars`, `instruments`, `years`), "
                      "`met_from` (unit → year or null) or `requires` (`priorities` / `pillars`, `instruments`, "
                      "`ratio`, `lag`) with `existing` (unit → EUR m, `default`) and optional `regions` (the units "
                      "it holds for) | EU money on the slice in a unit only from the year a condition is met (a "
                      "readmission agreement, §18), or at most `ratio` × the prerequisite's money `lag` years earlier "
                      "plus `existing` (migration profiles, §14) |")
FAMILY = register(RuleFamily("conditions", (CONDITIONS, CONDITION_RATIOS), define_conditions, check_conditions,
                             order=107, sections=(SECTION,)))
