"""Turn a validated :class:`ScenarioSpec` into the domain's immutable :class:`Scenario`."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any

import numpy as np

from fundsim import model as m
from fundsim.errors import FundsimWarning
from fundsim.rules import families
from fundsim.rules.entries import CellSelector, SliceSelector
from fundsim.scenario.schema import CofinancingSpec, InstrumentSpec, ResultsSpec, ScenarioSpec, WeightsSpec

__all__ = ["build_scenario", "spec_digest"]


def spec_digest(spec: ScenarioSpec) -> str:
    """A stable hash of the validated specification (first 16 hex digits of SHA-256).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.scenario.extends import read_tree
    >>> from fundsim.scenario.validate import validate_spec
    >>> digest = spec_digest(validate_spec(*read_tree("scenarios/tutorial.yaml")))
    >>> len(digest), digest == fs.load_scenario("scenarios/tutorial.yaml").digest
    (16, True)
    """
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _units(spec: ScenarioSpec) -> tuple[tuple[m.Region, ...], tuple[m.Area, ...]]:
    """The planning units (a region, or the countries of a region planned on their own and the region's rest) and
    the regions planned in parts."""
    units: list[m.Region] = []
    areas: list[m.Area] = []
    for r in spec.regions:
        name = r.name or r.id
        names = tuple(c if isinstance(c, str) else (c.name or c.id) for c in r.countries)
        if not r.planned:
            units.append(m.Region(r.id, name, r.group, names))
            continue
        own = [m.Region(c.id, c.name or c.id, r.group, (c.name or c.id,), within=r.id) for c in r.planned]
        others = tuple(c for c in r.countries if isinstance(c, str))
        rest = m.Region(r.rest_id, (r.rest.name if r.rest is not None and r.rest.name else None)
                        or f"{name}: regional programmes and other countries", r.group, others, within=r.id,
                        rest=True)
        units += [*own, rest]
        areas.append(m.Area(r.id, name, r.group, tuple(u.id for u in (*own, rest))))
    return tuple(units), tuple(areas)


class _Labels:
    """Resolves groups and pillars into concrete region and priority sets; a region planned in parts into its
    planning units."""

    def __init__(self, spec: ScenarioSpec) -> None:
        self.years = tuple(spec.years)
        self.units, self.areas = _units(spec)
        self.regions = tuple(r.id for r in self.units)
        self.groups = {r.id: r.group for r in self.units}
        self.cover = {r: (r,) for r in self.regions} | {a.id: a.units for a in self.areas}
        self.pillar_of = {p.id: p.pillar for p in spec.priorities}

    def expand(self, labels: Any) -> frozenset[str]:
        """The planning units that regions, countries and rests cover."""
        return frozenset(u for x in labels for u in self.cover[x])

    def regions_of(self, sel: CellSelector) -> frozenset[str] | None:
        if sel.regions is None and sel.region_groups is None:
            return None
        groups = set(sel.region_groups or ())
        return self.expand(sel.regions or ()) | {r for r, g in self.groups.items() if g in groups}

    def by_unit(self, values: dict[str, Any], missing: Any) -> tuple[np.ndarray, tuple[m.SharedCapacity, ...]]:
        """A capacity stated per region (or country): the series of each planning unit ``(region, year)`` and
        the shared capacities of the regions planned in parts. A unit neither named nor inside a region named
        gets ``missing`` (a year series, or ``None`` for unlimited)."""
        planned = {a.id for a in self.areas}
        covered = self.expand(k for k in values if k in planned)
        own = np.stack([self.series(values.get(r, None if r in covered else missing), np.inf)
                        for r in self.regions])
        shared = tuple(m.SharedCapacity(a.id, m.frozen_array(self.series(values[a.id], np.inf)))
                       for a in self.areas if a.id in values)
        return own, shared

    def priorities_of(self, sel: CellSelector | Any) -> frozenset[str] | None:
        if sel.priorities is None and sel.pillars is None:
            return None
        pillars = set(sel.pillars or ())
        return frozenset(sel.priorities or ()) | {p for p, q in self.pillar_of.items() if q in pillars}

    def selector(self, sel: SliceSelector, label: str = "") -> m.Selector:
        return m.Selector(
            instruments=None if sel.instruments is None else frozenset(sel.instruments),
            priorities=self.priorities_of(sel),
            regions=self.regions_of(sel),
            years=None if sel.years is None else frozenset(sel.years),
            label=label,
        )

    def series(self, value: Any, missing: float) -> np.ndarray:
        """A year series (number or year map) as an array over the scenario years."""
        if value is None:
            return np.full(len(self.years), missing)
        if isinstance(value, dict):
            return np.array([value.get(y, missing) for y in self.years], dtype=float)
        return np.full(len(self.years), float(value))


def _cofinancing(spec: CofinancingSpec, labels: _Labels) -> m.CofinancingRule:
    exceptions = tuple(
        m.CofinancingException(
            max_eu_share=e.max_eu_share,
            priorities=labels.priorities_of(e),
            regions=labels.regions_of(e),
            match_source=e.match_source,
        )
        for e in spec.exceptions
    )
    return m.CofinancingRule(spec.max_eu_share, spec.match_source, exceptions)


def _or_all(chosen: frozenset[str] | None, everything: frozenset[str]) -> frozenset[str]:
    """A selector left out means every label; an empty list means none."""
    return everything if chosen is None else chosen


def _instrument(spec: InstrumentSpec, labels: _Labels, all_p: frozenset, all_r: frozenset) -> m.Instrument:
    envelope = labels.series(spec.envelope, 0.0)
    if spec.usable_amount is not None:
        usable = np.minimum(labels.series(spec.usable_amount, 0.0), envelope)
    else:
        usable = envelope * (1.0 if spec.usable_share is None else spec.usable_share)
    budget = _budget(spec, labels)
    return m.Instrument(
        id=spec.id,
        name=spec.name or spec.id,
        envelope=m.frozen_array(envelope),
        usable=m.frozen_array(usable),
        regions=_or_all(labels.regions_of(spec.eligibility), all_r),
        priorities=_or_all(labels.priorities_of(spec.eligibility), all_p),
        cofinancing=_cofinancing(spec.cofinancing, labels),
        payment_profile=tuple(spec.payment_profile),
        decommitment_window=budget.deadline.window,
        budget=budget,
    )


def _budget(spec: InstrumentSpec, labels: _Labels) -> m.Budget:
    """The instrument's budget mechanics; without a ``budget:`` block, those that give a scenario its meaning
    before budget mechanics existed: a budget instrument whose money not committed in a year is gone (lapses
    when the whole envelope is usable, returns to the instrument's other objectives when only part is), nothing
    carried over, payments not limited, and a payment deadline of ``decommitment_window`` years."""
    b = spec.budget
    window = 2 if spec.decommitment_window is None else spec.decommitment_window
    partial = spec.usable_amount is not None or (spec.usable_share is not None and spec.usable_share < 1)
    default_unused = "returns" if partial else "lapses"
    if b is None:
        return m.Budget(unused=default_unused, deadline=m.Deadline("payment", window))
    d = b.deadline
    deadline = (m.Deadline("payment", window) if d is None
                else m.Deadline(d.kind, d.years, d.counted_from, d.decision_lead))
    pa = None if b.payment_appropriations is None else m.frozen_array(labels.series(b.payment_appropriations,
                                                                                      np.inf))
    return m.Budget(
        nature=b.nature, unused=b.unused or default_unused, carry_share=b.carry_over, cutoff=b.cutoff,
        payment_appropriations=pa, deadline=deadline,
        contracting_profile=None if b.contracting_profile is None else tuple(b.contracting_profile),
        max_outstanding=b.max_outstanding, carried_in=b.opening.carried_in,
        opening=tuple(sorted(b.opening.commitments.items())),
    )


def _match_source(spec: Any, labels: _Labels) -> m.MatchSource:
    cap = spec.capacity
    shared: tuple[m.SharedCapacity, ...] = ()
    if not spec.per_region:
        arr = labels.series(cap, np.inf)
    elif isinstance(cap, dict) and any(isinstance(k, str) for k in cap):
        arr, shared = labels.by_unit(cap, None)
    else:
        arr = np.tile(labels.series(cap, np.inf), (len(labels.regions), 1))
    return m.MatchSource(spec.id, spec.name or spec.id, spec.per_region, m.frozen_array(arr), shared)


def _weights(spec: WeightsSpec, sc: ScenarioSpec, labels: _Labels) -> np.ndarray:
    """Impact per EUR m for each (priority, planning unit): product of the multipliers (a region's multiplier
    applies to its countries too), then cell overrides (a region's to all of its units)."""
    p_ids = {p.id: n for n, p in enumerate(sc.priorities)}
    r_ids = {r: n for n, r in enumerate(labels.regions)}
    by_p = np.array([spec.by_pillar.get(p.pillar, 1.0) * spec.by_priority.get(p.id, 1.0) for p in sc.priorities])
    by_r = np.array([spec.by_region_group.get(u.group, 1.0) * spec.by_region.get(u.id, 1.0)
                     * (spec.by_region.get(u.within, 1.0) if u.within else 1.0) for u in labels.units])
    w = spec.default * by_p[:, None] * by_r[None, :]
    for cell in spec.cells:
        w[p_ids[cell.priority], [r_ids[u] for u in labels.cover[cell.region]]] = cell.weight
    return w


def _rules(spec: ScenarioSpec, labels: _Labels) -> m.Rules:
    """Each rule family's part of the file as the domain's rule objects (the families say how, see
    :class:`fundsim.rules.entries.Section`), and the entries of families registered from outside fundsim."""
    built = {section.key: section.build(getattr(spec.rules, section.key), labels)
             for f in families() for section in f.sections}
    return m.Rules(**built, registered=_registered(spec))


def _registered(spec: ScenarioSpec) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The entries of the rule families registered from outside fundsim, built into their domain objects."""
    out = []
    for f in families():
        entries = tuple(getattr(spec.rules, f.name, None) or ()) if f.entry is not None else ()
        if entries:
            out.append((f.name, f.build(entries) if f.build is not None else entries))
    return tuple(out)


def _objective(spec: ScenarioSpec, labels: _Labels) -> m.Objective:
    o = spec.objective
    impact = None
    if o.impact is not None:
        dr = o.impact.diminishing_returns
        impact = m.ImpactTerm(
            weights=m.frozen_array(_weights(o.impact.weights, spec, labels)),
            breakpoints=tuple(dr.breakpoints) if dr else (),
            slopes=tuple(dr.slopes) if dr else (1.0,),
            basis=o.impact.basis,
            weight=o.impact.weight,
        )
    leverage = m.LeverageTerm(o.leverage.weight) if o.leverage else None
    goals = None
    if o.goals is not None:
        targets = tuple(m.Target(t.id, labels.selector(t, t.id), t.amount, t.weight) for t in o.goals.targets)
        goals = m.GoalTerm(targets, o.goals.weight)
    return m.Objective(impact, leverage, goals, _results(o.results, labels))


def _results(spec: ResultsSpec | None, labels: _Labels) -> m.ResultsTerm | None:
    """The results framework: each indicator with its slice resolved (pillars into priorities, region groups into
    regions)."""
    if spec is None:
        return None
    indicators = tuple(
        m.Indicator(i.id, labels.selector(i, i.id), i.unit_cost, i.value, i.target,
                    0.0 if i.beyond_target is None else i.beyond_target, i.basis, i.name or i.id, i.unit)
        for i in spec.indicators
    )
    return m.ResultsTerm(indicators, spec.weight)


def _uncertainty(spec: ScenarioSpec) -> m.Uncertainty | None:
    u = spec.uncertainty
    if u is None:
        return None
    params = tuple(
        m.UncertainParameter(
            p.id, p.path,
            m.Distribution(kind=p.distribution.kind, mean=p.distribution.mean, sd=p.distribution.sd,
                           median=p.distribution.median, sigma=p.distribution.sigma, low=p.distribution.low,
                           mode=p.distribution.mode, high=p.distribution.high,
                           values=tuple(p.distribution.values or ()),
                           probabilities=tuple(p.distribution.probabilities or ())),
            p.mode, p.factor,
        )
        for p in u.parameters
    )
    result = m.Uncertainty(params, tuple(m.Factor(f.id, f.description) for f in u.factors))
    if u.correlation is None:
        return result
    sources = result.sources
    corr = np.eye(len(sources))
    column = {x: n for n, x in enumerate(sources)}
    index = [column[x] for x in u.correlation.between]
    corr[np.ix_(index, index)] = np.asarray(u.correlation.matrix, dtype=float)
    return m.Uncertainty(params, result.factors, m.frozen_array(corr))


def build_scenario(
    spec: ScenarioSpec, provenance: tuple = (), source_file: str | None = None
) -> m.Scenario:
    """Make the domain scenario from a validated specification.

    Examples
    --------
    >>> from fundsim.scenario.extends import read_tree
    >>> from fundsim.scenario.validate import validate_spec
    >>> sc = build_scenario(validate_spec(*read_tree("scenarios/tutorial.yaml")), source_file="scenarios/tutorial.yaml")
    >>> sc.name, sc.instrument_ids, sc.instruments[1].usable.tolist()  # ENPI: 20 a year
    ('tutorial', ('tpma', 'enpi'), [20.0, 20.0])
    """
    labels = _Labels(spec)
    all_p = frozenset(p.id for p in spec.priorities)
    all_r = frozenset(labels.regions)
    absorption, shared = labels.by_unit(spec.absorption.capacity, spec.absorption.default)
    scenario = m.Scenario(
        name=spec.name,
        description=spec.description,
        years=labels.years,
        pillars=tuple(m.Pillar(p.id, p.name or p.id) for p in spec.pillars),
        regions=labels.units,
        areas=labels.areas,
        priorities=tuple(m.Priority(p.id, p.name or p.id, p.pillar) for p in spec.priorities),
        match_sources=tuple(_match_source(s, labels) for s in spec.match_sources),
        instruments=tuple(_instrument(i, labels, all_p, all_r) for i in spec.instruments),
        absorption=m.Absorption(m.frozen_array(absorption), spec.absorption.basis, spec.absorption.after_horizon,
                                shared),
        rules=_rules(spec, labels),
        objective=_objective(spec, labels),
        uncertainty=_uncertainty(spec),
        provenance=provenance,
        source_file=source_file,
        digest=spec_digest(spec),
        spec=spec.model_dump(mode="python", exclude_none=True),
    )
    _warn_about(scenario)
    return scenario


def _warn_about(sc: m.Scenario) -> None:
    """Legal but probably unintended: nothing can be funded, co-financing that nobody supplies."""
    where = f" (scenario {sc.name!r})"
    if not sc.eligible.any():
        warnings.warn("no instrument has usable money for any eligible priority and region: every allocation is "
                      "empty" + where, FundsimWarning, stacklevel=3)
    funded_p: np.ndarray = np.asarray(sc.eligible.any(axis=(0, 2, 3)))
    funded_r: np.ndarray = np.asarray(sc.eligible.any(axis=(0, 1, 3)))
    for balance in sc.rules.pillar_balance:
        if balance.min_share and not funded_p[[p == balance.pillar for p in sc.priority_pillars]].any():
            warnings.warn(f"pillar {balance.pillar!r} must receive at least {balance.min_share:.0%} of EU money but no "
                          "instrument may fund any of its priorities: the only plan keeping the rule spends "
                          "nothing" + where, FundsimWarning, stacklevel=3)
    for focus in sc.rules.geographic_focus:
        if focus.min_share and not funded_r[[r in focus.regions for r in sc.region_ids]].any():
            warnings.warn(f"focus rule {focus.id!r} asks for at least {focus.min_share:.0%} of EU money in "
                          f"{focus.description} but no instrument may fund there: the only plan keeping the rule "
                          "spends nothing" + where, FundsimWarning, stacklevel=3)
    _warn_about_integer_rules(sc, where)
    for ins in sc.instruments:
        rule = ins.cofinancing
        unsourced = [rule.max_eu_share] if rule.match_source is None and rule.max_eu_share < 1 else []
        unsourced += [e.max_eu_share for e in rule.exceptions if e.max_eu_share < 1 and e.match_source is None
                      and rule.match_source is None]
        if unsourced:
            warnings.warn(f"instrument {ins.id!r} requires co-financing (maximum EU share {min(unsourced):.0%}) but "
                          "names no match_source: the match is assumed available without limit" + where,
                          FundsimWarning, stacklevel=3)


def _warn_about_integer_rules(sc: m.Scenario, where: str) -> None:
    """Minimum commitments no instrument can reach; partnership candidates nothing can fund."""
    rule = sc.rules.min_commitment
    if rule is not None:
        for ins, least in zip(sc.instruments, rule.minimum(sc.instrument_ids), strict=True):
            total = float(ins.usable.sum())  # the minimum holds per line over the period, not per year
            if least > 0 and total > 0 and least > total:
                warnings.warn(f"instrument {ins.id!r} must commit at least {least:g} EUR m at a time but has at most "
                              f"{total:g} usable over the period: it can commit nothing" + where, FundsimWarning,
                              stacklevel=4)
    mp = sc.rules.mobility_partnerships
    if mp is not None and mp.package > 0:
        chosen = m.Selector(priorities=mp.priorities).vector("priority", sc.priority_ids)
        funded: np.ndarray = np.asarray(sc.eligible[:, chosen].any(axis=(0, 1, 3)))
        row = {r: n for n, r in enumerate(sc.region_ids)}
        for r in mp.candidates:
            if not funded[row[r]]:
                warnings.warn(f"{r!r} is a candidate for a mobility partnership but no instrument may fund its "
                              "package priorities there: it can never be chosen" + where, FundsimWarning,
                              stacklevel=4)
