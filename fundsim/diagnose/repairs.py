"""Repairs as data, in the rules' own words, and their application to a scenario.

A :class:`Repair` says how far one rule must give way; a :class:`Diagnosis` holds the cheap checks' findings
and the alternative repairs (each a tuple of repairs that together make the scenario feasible).
:func:`describe` translates an elastic :class:`~fundsim.diagnose.elastic.Relaxation` into a repair;
:func:`apply_repairs` makes the repaired variant with :meth:`Scenario.evolve`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from fundsim.diagnose.elastic import Relaxation
from fundsim.model import MatchSource, Scenario, frozen_array, stacked, unstacked
from fundsim.rules import Repair as RepairSpec
from fundsim.rules import row_spec

__all__ = ["SHARE", "Diagnosis", "Repair", "apply_repairs", "describe"]

SHARE = "share of all EU commitments"
MONEY = "EUR m"


@dataclass(frozen=True)
class Repair:
    """How far one rule must give way.

    Attributes
    ----------
    rule : the rule family, as the LP names its row block (``"envelope"``, ``"pillar_min_share"`` …)
    where : the rule's labels, e.g. ``{"instrument": "enpi", "year": 2010}`` or ``{"pillar": "legal"}``
    side : ``"lower"`` (a minimum is lowered) or ``"upper"`` (a maximum, envelope or capacity is raised)
    current, repaired : the user's number before and after (EUR m, or a share between 0 and 1)
    change : ``repaired - current``
    units : ``"EUR m"`` or ``"share of all EU commitments"``
    text : the repair in words, e.g. ``"raise the usable envelope of 'enpi' in 2010 from EUR 20.0 m by
        EUR 5.0 m to EUR 25.0 m"``

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.diagnose import diagnose
    >>> from fundsim.model import Limit, MinPackage, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tight = sc.evolve(rules=Rules(priority_limits=(Limit("mobility", min=70.0),),
    ...                              min_packages=(MinPackage("eastern_partnership", 70.0),)))
    >>> first = diagnose(tight, alternatives=1).repairs[0][0]
    >>> first.rule, first.where, first.change, first.units
    ('envelope', {'instrument': 'tpma', 'year': 2010}, 10.0, 'EUR m')
    """

    rule: str
    where: dict[str, Any]
    side: str
    current: float
    repaired: float
    change: float
    units: str
    text: str


def _joined(repairs: tuple[Repair, ...]) -> str:
    return " and ".join(r.text for r in repairs)


@dataclass(frozen=True)
class Diagnosis(Sequence[str]):
    """Why a scenario is infeasible and what would make it feasible, as data.

    ``checks`` are the cheap checks' findings (see :mod:`fundsim.diagnose.checklist`); ``repairs`` the
    alternatives, each a tuple of :class:`Repair` that together make the scenario feasible, the first the
    least change of all. As a sequence it reads as lines of text, the checks first, then one line per
    alternative (``"repair: …"``, ``"or: …"``), so ``for line in diagnosis`` prints it in words.

    Examples
    --------
    >>> d = Diagnosis(("the region 'x' needs at least EUR 9.0 m but at most EUR 5.0 m can reach it",))
    >>> d[0][:10], len(d)
    ('the region', 1)
    """

    checks: tuple[str, ...] = ()
    repairs: tuple[tuple[Repair, ...], ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """The checks, then one line per alternative repair."""
        alternatives = tuple(("repair: " if n == 0 else "or: ") + _joined(alt) for n, alt in enumerate(self.repairs))
        return (*self.checks, *alternatives)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self.lines[index]

    def __len__(self) -> int:
        return len(self.lines)

    def summary(self, width: int = 600) -> str:
        """One line (at most ``width`` characters), for a Monte Carlo draw: the repairs first, then the checks."""
        repairs = [("repair: " if n == 0 else "or: ") + _joined(alt) for n, alt in enumerate(self.repairs)]
        text = "; ".join([*repairs, *self.checks])
        return text if len(text) <= width else text[: width - 1] + "…"

    def __str__(self) -> str:
        parts = []
        if self.checks:
            parts += ["What stands in the way:", *(f"  - {c}" for c in self.checks)]
        if self.repairs:
            parts.append("What would make it feasible (each line alone is enough; the first changes the least money):")
            parts += [f"  - {'or ' if n else ''}{_joined(alt)}" for n, alt in enumerate(self.repairs)]
        return "\n".join(parts) or "no diagnosis: the rules hold together"


# ---- words -------------------------------------------------------------------------------------------
def _amount(value: float) -> str:
    """EUR m with one decimal, or two significant digits for amounts below 0.1."""
    digits = 1 if abs(value) >= 0.1 or value == 0 else 1 - math.floor(math.log10(abs(value)))
    return f"EUR {value:,.{digits}f} m"


def _percents(a: float, b: float) -> tuple[str, str]:
    """Two shares as percentages, with enough decimals to tell them apart (trailing zeros dropped)."""
    digits = 1
    while digits < 6 and round(100 * a, digits) == round(100 * b, digits):
        digits += 1

    def show(v: float) -> str:
        return f"{round(100 * v, digits):.{digits}f}".rstrip("0").rstrip(".") + " %"

    return show(a), show(b)


def _labels(r: Relaxation) -> dict[str, Any]:
    """The labels of the relaxed row on each of its block's dims (plain Python values)."""
    b = r.block
    idx = np.unravel_index(r.index, b.shape) if b.positions is None else tuple(p[r.index] for p in b.positions)
    out = {}
    for dim, coords, i in zip(b.dims, b.coords, idx, strict=True):
        value = coords[int(i)]
        out[dim] = value.item() if isinstance(value, np.generic) else value
    return out


def describe(r: Relaxation) -> Repair:
    """A relaxation in the rules' words, e.g. ``"lower the minimum share of the pillar 'legal' from 90 % to
    83.3 %"`` or ``"raise the usable envelope of 'enpi' in 2010 from EUR 20.0 m by EUR 5.0 m to EUR 25.0 m"``.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.diagnose.elastic import relax
    >>> from fundsim.model import Limit, MinPackage, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tight = sc.evolve(rules=Rules(priority_limits=(Limit("mobility", min=70.0),),
    ...                              min_packages=(MinPackage("eastern_partnership", 70.0),)))
    >>> print(describe(relax(fs.assemble(tight), rounds=1)[0][0]).text)
    raise the usable envelope of 'tpma' in 2010 from EUR 10.0 m by EUR 10.0 m to EUR 20.0 m
    """
    where = _labels(r)
    subject = _repair_of(r.block.name).words(where, r.side)
    verb = "lower" if r.repaired < r.current else "raise"
    if r.block.per_point:
        before, after = _percents(r.current, r.repaired)
        text, units = f"{verb} {subject} from {before} to {after}", SHARE
    else:
        text = (f"{verb} {subject} from {_amount(r.current)} by {_amount(abs(r.repaired - r.current))} to "
                f"{_amount(r.repaired)}")
        units = MONEY
    return Repair(r.block.name, where, r.side, r.current, r.repaired, r.repaired - r.current, units, text)


def _repair_of(name: str) -> RepairSpec:
    spec = row_spec(name)
    if spec is None or spec.repair is None:
        raise ValueError(f"the rows {name!r} declare no repair: no rule family lets them give way")
    return spec.repair


# ---- applying repairs --------------------------------------------------------------------------------
@dataclass
class _Draft:
    """The numbers a repair may change, as writable copies; :meth:`scenario` makes the variant."""

    sc: Scenario
    usable: np.ndarray
    envelope: np.ndarray
    capacity: dict[str, np.ndarray]
    absorption: np.ndarray
    rules: dict[str, tuple[Any, ...]]
    payment: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)  # repaired payment appropriations
    outstanding: dict[int, float] = dataclasses.field(default_factory=dict)  # repaired limits on the RAL

    @classmethod
    def of(cls, sc: Scenario) -> _Draft:
        rules = {f.name: getattr(sc.rules, f.name) for f in dataclasses.fields(sc.rules)
                 if isinstance(getattr(sc.rules, f.name), tuple) and f.name != "registered"}
        rules.update(sc.rules.registered)
        return cls(sc, np.stack([i.usable for i in sc.instruments]), np.stack([i.envelope for i in sc.instruments]),
                   {m.id: stacked(m.capacity, m.shared) if m.per_region else np.array(m.capacity, float)
                    for m in sc.match_sources}, stacked(sc.absorption.capacity, sc.absorption.shared), rules)

    def widen(self, section: str, position: int, field: str, side: str, value: float) -> None:
        """Move ``field`` of rule ``position`` of ``section`` to ``value`` unless it is already wider."""
        items = list(self.rules[section])
        old = getattr(items[position], field)
        new = value if old is None else min(old, value) if side == "lower" else max(old, value)
        entry = items[position]  # a dataclass, or a frozen pydantic model for a family registered from outside
        items[position] = (entry.model_copy(update={field: new}) if hasattr(entry, "model_copy")
                           else dataclasses.replace(entry, **{field: new}))
        self.rules[section] = tuple(items)

    def scenario(self) -> Scenario:
        sc = self.sc
        instruments = tuple(dataclasses.replace(ins, usable=frozen_array(self.usable[n]),
                                                envelope=frozen_array(self.envelope[n]), budget=self._budget(n))
                            for n, ins in enumerate(sc.instruments))
        sources = tuple(_with_capacity(m, self.capacity[m.id]) for m in sc.match_sources)
        per_unit, shared = unstacked(self.absorption, sc.absorption.shared)
        absorption = dataclasses.replace(sc.absorption, capacity=per_unit, shared=shared)
        outside = dict(sc.rules.registered)
        own: dict[str, Any] = {k: v for k, v in self.rules.items() if k not in outside}
        registered = tuple((k, self.rules[k]) for k in outside)
        return sc.evolve(instruments=instruments, match_sources=sources, absorption=absorption,
                         rules=dataclasses.replace(sc.rules, **own, registered=registered))


    def _budget(self, n: int) -> Any:
        budget = self.sc.instruments[n].budget
        if n in self.payment:
            budget = dataclasses.replace(budget, payment_appropriations=frozen_array(self.payment[n]))
        if n in self.outstanding:
            budget = dataclasses.replace(budget, max_outstanding=self.outstanding[n])
        return budget


def _raise_payment_appropriations(d: _Draft, r: Repair, spec: RepairSpec) -> None:
    """An instrument's payment appropriations in the year, up to what its payments need (the opening RAL's
    included: the row's bound is the appropriations less what the opening RAL takes)."""
    n, y = d.sc.instrument_ids.index(r.where["instrument"]), d.sc.years.index(r.where["year"])
    budget = d.sc.instruments[n].budget
    pa = d.payment.setdefault(n, np.array(budget.payment_appropriations, dtype=float))
    pa[y] = max(pa[y], pa[y] + (r.repaired - r.current))


def _with_capacity(source: MatchSource, values: np.ndarray) -> MatchSource:
    """The match source with its repaired capacities (a partner source's per unit and shared, stacked)."""
    if not source.per_region:
        return dataclasses.replace(source, capacity=frozen_array(values))
    per_unit, shared = unstacked(values, source.shared)
    return dataclasses.replace(source, capacity=per_unit, shared=shared)


def _raise_outstanding(d: _Draft, r: Repair, spec: RepairSpec) -> None:
    """An instrument's limit on commitments outstanding at the horizon, by what the row gives way."""
    n = d.sc.instrument_ids.index(r.where["instrument"])
    old = d.outstanding.get(n, d.sc.instruments[n].budget.max_outstanding)
    d.outstanding[n] = float(old if old is not None else 0.0) + max(0.0, r.repaired - r.current)


def _raise_envelope(d: _Draft, r: Repair, spec: RepairSpec) -> None:
    """Usable money up to the repaired amount; the envelope grows in proportion (its usable share kept)."""
    i, y = d.sc.instrument_ids.index(r.where["instrument"]), d.sc.years.index(r.where["year"])
    old = d.usable[i, y]
    if r.repaired > old:
        d.envelope[i, y] = d.envelope[i, y] * r.repaired / old if old > 0 else r.repaired
        d.usable[i, y] = r.repaired


def _raise_capacity(d: _Draft, r: Repair, spec: RepairSpec) -> None:
    """A match source's capacity in the year (and the region, for partner sources)."""
    y = d.sc.years.index(r.where["year"])
    source = r.where[spec.dim]
    cap = d.capacity[source]
    shared = d.sc.match_sources[d.sc.source_ids.index(source)].shared
    at = (d.sc.capacity_labels(shared).index(r.where["region"]), y) if "region" in r.where else y
    cap[at] = max(cap[at], r.repaired)


def _raise_absorption(d: _Draft, r: Repair, spec: RepairSpec) -> None:
    """Scenario years by their own capacity; years after the horizon through the last year's."""
    y = d.sc.years.index(r.where["year"]) if "year" in r.where else -1
    region = d.sc.capacity_labels(d.sc.absorption.shared).index(r.where["region"])
    d.absorption[region, y] = max(d.absorption[region, y], r.repaired)


def _widen_rule(d: _Draft, r: Repair, spec: RepairSpec) -> None:
    """The bound of the rule entry the row belongs to (a per-year cap relaxed in one year is relaxed in every
    year it covers: it has one bound)."""
    entries = d.rules[spec.section]
    labels = spec.labels(d.sc) if spec.labels is not None else tuple(getattr(x, spec.key) for x in entries)
    field = spec.lower if r.side == "lower" else spec.upper
    d.widen(spec.section, labels.index(r.where[spec.dim]), field, r.side, r.repaired)


_APPLY: dict[str, Callable[[_Draft, Repair, RepairSpec], None]] = {
    "usable_envelope": _raise_envelope,
    "match_source_capacity": _raise_capacity,
    "absorption_capacity": _raise_absorption,
    "payment_budget": _raise_payment_appropriations,
    "outstanding_limit": _raise_outstanding,
    "rule": _widen_rule,
}


def apply_repairs(sc: Scenario, repairs: Sequence[Repair]) -> Scenario:
    """The variant of ``sc`` with every repair applied (the scenario itself is unchanged).

    Each repair moves the user's number: usable envelope (and the envelope in proportion), match or
    absorption capacity, a minimum or maximum, a share. A per-year cap has one bound for all its years, so a
    repair in one year moves it in every year; payments due after the horizon are capped by the last year's
    absorption capacity, which is raised.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Limit, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> sc = sc.evolve(rules=Rules(region_limits=(Limit("north_africa", 60.0),)))
    >>> lower = Repair("region_limits", {"region": "north_africa"}, "lower", 60.0, 50.0, -10.0, "EUR m", "lower …")
    >>> apply_repairs(sc, [lower]).rules.region_limits
    (Limit(label='north_africa', min=50.0, max=None),)
    """
    draft = _Draft.of(sc)
    for r in repairs:
        spec = _repair_of(r.rule)
        _APPLY[spec.target](draft, r, spec)
    return draft.scenario()
