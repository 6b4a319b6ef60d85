"""Policy rules stated in domain words (16041/08 §4, §8, §11, §21) and the objective.

A :class:`Selector` names a slice of the allocation cube ``(instrument, priority, region, year)``;
pillars and region groups are resolved into priorities and regions when the scenario is made.
The integer rules (:class:`MaxInstrumentsPerCell`, :class:`MinCommitment`, :class:`AdminCost`,
:class:`MobilityPartnerships`) make instruments more readable and coherent (§8, §11, §26); a scenario
with any of them is planned as a mixed-integer programme.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "AdminCost",
    "Cap",
    "Condition",
    "Coordination",
    "GeographicFocus",
    "GoalTerm",
    "ImpactTerm",
    "Indicator",
    "LeverageTerm",
    "Limit",
    "Lock",
    "MaxInstrumentsPerCell",
    "MinCommitment",
    "MinPackage",
    "MobilityPartnerships",
    "Objective",
    "PillarBalance",
    "ResultsTerm",
    "Rules",
    "Selector",
    "Target",
]


_PLURAL = {"instrument": "instruments", "priority": "priorities", "region": "regions", "year": "years"}


@dataclass(frozen=True)
class Selector:
    """A slice of the allocation: ``None`` on a dimension means every label on it.

    Examples
    --------
    >>> Selector(regions=frozenset({"north_africa"})).vector("region", ("north_africa", "eastern_partnership")).tolist()
    [True, False]
    """

    instruments: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    years: frozenset[int] | None = None
    label: str = ""

    def vector(self, dim: str, labels: tuple) -> np.ndarray:
        """Boolean vector over ``labels`` of dimension ``dim`` (``instrument``, ``priority`` …)."""
        chosen = getattr(self, _PLURAL[dim])
        if chosen is None:
            return np.ones(len(labels), dtype=bool)
        return np.array([x in chosen for x in labels], dtype=bool)


@dataclass(frozen=True)
class PillarBalance:
    """Share of all EU commitments going to one pillar stays within [min_share, max_share] (§4).

    Examples
    --------
    >>> PillarBalance("development", max_share=0.25).max_share
    0.25
    """

    pillar: str
    min_share: float | None = None
    max_share: float | None = None


@dataclass(frozen=True)
class GeographicFocus:
    """At least ``min_share`` (at most ``max_share``) of EU commitments go to ``regions`` (§21).

    Examples
    --------
    >>> GeographicFocus("south", frozenset({"north_africa"}), min_share=0.4).min_share
    0.4
    """

    id: str
    regions: frozenset[str]
    min_share: float | None = None
    max_share: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Limit:
    """EU commitments over the period to one region or one priority stay within [min, max] EUR m.

    Examples
    --------
    >>> Limit("north_africa", max=50.0).max
    50.0
    """

    label: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class MinPackage:
    """A mobility-partnership region receives at least ``amount`` EUR m over the period (§11).

    ``priorities`` restricts what counts towards the package (``None``: every priority).

    Examples
    --------
    >>> MinPackage("eastern_partnership", 10.0).amount
    10.0
    """

    region: str
    amount: float
    priorities: frozenset[str] | None = None


@dataclass(frozen=True)
class Cap:
    """EU commitments in a slice stay within [min, max] EUR m, over the period or in each year.

    Examples
    --------
    >>> Cap("tpma_east", Selector(instruments=frozenset({"tpma"})), max=5.0, per_year=True).per_year
    True
    """

    id: str
    selector: Selector
    min: float | None = None
    max: float | None = None
    per_year: bool = False


@dataclass(frozen=True, eq=False)
class Coordination:
    """The external actions a region's Commission delegations and member-state missions can follow up (16041/08
    §25): the contracts signed in a year on the cells of ``selector`` by instruments with a contracting deadline
    stay within ``capacity`` (EUR m per scenario year, ``inf``: none).

    Examples
    --------
    >>> import numpy as np
    >>> Coordination("west_africa", Selector(regions=frozenset({"west_africa"})), np.array([12.0, 14.0])).id
    'west_africa'
    """

    id: str
    selector: Selector
    capacity: np.ndarray


def _overlap(a: frozenset[Any] | None, b: frozenset[Any] | None) -> bool:
    """Whether two choices on one dimension share a label (``None``: every label)."""
    if a is None or b is None:
        return bool(a if b is None else b) or a is b
    return bool(a & b)


@dataclass(frozen=True)
class Condition:
    """A condition on what may be funded in a planning unit (16041/08 §18, §14): the EU money of a slice there
    is allowed only once a condition is met.

    Two forms, by ``requires``:

    - *agreement* (§18, ``requires is None``): a partner's commitment, e.g. a readmission agreement in force.
      The slice's EU money in unit u in a year before ``met_from[u]`` is at most ``allowance`` (0: none);
      ``met_from[u] is None``: never met within the plan.
    - *ratio* (§14, migration profiles inform programming): the slice's EU money in unit u cumulated up to year
      y is at most ``ratio`` × the EU money on the prerequisite slice ``requires`` there cumulated up to year
      y − ``lag``, plus ``max(existing[u], allowance)`` (what is already unlocked).

    Attributes
    ----------
    id : the condition's label in shadow prices, violations and repairs
    selector : the conditioned slice (instruments, priorities, years; its regions are not read: ``units`` say
        where)
    units : ``(unit, regions)`` pairs: each planning unit conditioned and the regions it covers
    met_from : agreement form: per unit, the first year the condition is met (``None``: never)
    requires : ratio form: the prerequisite slice (instruments, priorities), disjoint from ``selector``
    ratio, lag : ratio form: EUR m unlocked per EUR m of the prerequisite, and the years it takes
    existing : ratio form: per unit, the EUR m already unlocked before the plan
    default : ratio form: the EUR m already unlocked in every other region of the scenario, each its own unit
        (``None``: only ``units`` are conditioned); :meth:`planned` lists them
    allowance : EUR m allowed in every row whatever the condition (0; a repair of the diagnosis raises it)

    Examples
    --------
    >>> legal = Selector(priorities=frozenset({"mobility"}))
    >>> east = (("eastern_partnership", frozenset({"eastern_partnership"})),)
    >>> Condition("readmission", legal, east, met_from=(2010,)).form
    'agreement'
    >>> try:
    ...     Condition("profiles", legal, east, requires=Selector(priorities=frozenset({"mobility", "return"})),
    ...               ratio=2.0, existing=(0.0,))
    ... except ValueError as exc:
    ...     print(str(exc).split(";")[0])
    the condition 'profiles': its prerequisite slice overlaps the conditioned slice (on the priorities mobility)
    """

    id: str
    selector: Selector
    units: tuple[tuple[str, frozenset[str]], ...]
    met_from: tuple[int | None, ...] = ()
    requires: Selector | None = None
    ratio: float = 0.0
    lag: int = 0
    existing: tuple[float, ...] = ()
    default: float | None = None
    allowance: float = 0.0

    def __post_init__(self) -> None:
        what = f"the condition {self.id!r}"
        n = len(self.units)
        if self.requires is None:
            if len(self.met_from) != n or self.existing:
                raise ValueError(f"{what}: an agreement condition gives met_from for each of its {n} units and no "
                                 f"existing allowance; got {len(self.met_from)} years and {len(self.existing)} "
                                 "allowances")
        else:
            if len(self.existing) != n or self.met_from:
                raise ValueError(f"{what}: a ratio condition gives an existing allowance for each of its {n} units "
                                 f"and no met_from; got {len(self.existing)} allowances and {len(self.met_from)} "
                                 "years")
            _amount(self.ratio, f"the ratio of {what}")
            _whole(self.lag, 0, f"the lag of {what}")
            for (unit, _), value in zip(self.units, self.existing, strict=True):
                _amount(value, f"the existing allowance of {what} in {unit!r}")
            if self.default is not None:
                _amount(self.default, f"the default existing allowance of {what}")
            self._disjoint(what, self.requires)
        _amount(self.allowance, f"the allowance of {what}")

    def _disjoint(self, what: str, req: Selector) -> None:
        sel = self.selector
        if all(_overlap(getattr(sel, d), getattr(req, d)) for d in ("instruments", "priorities", "years")):
            shared = ("every priority" if sel.priorities is None and req.priorities is None else
                      "the priorities " + ", ".join(sorted((sel.priorities or req.priorities or frozenset())
                                                           & (req.priorities or sel.priorities or frozenset()))))
            raise ValueError(f"{what}: its prerequisite slice overlaps the conditioned slice (on {shared}); give a "
                             "prerequisite disjoint from what it conditions")

    @property
    def form(self) -> str:
        """``"agreement"`` (allowed from a year on) or ``"ratio"`` (allowed in proportion to a prerequisite)."""
        return "agreement" if self.requires is None else "ratio"

    def planned(self, region_ids: tuple[str, ...]) -> Condition:
        """The condition with every unit it conditions listed: the planning units none of ``units`` covers added at
        ``default``, each its own unit (the condition itself when there is no default). A region planned in parts
        among ``units`` is one unit, its countries and rest together; they are not conditioned again.

        Examples
        --------
        >>> c = Condition("profiles", Selector(priorities=frozenset({"mobility"})),
        ...               (("north_africa", frozenset({"north_africa"})),),
        ...               requires=Selector(priorities=frozenset({"return"})), ratio=2.0,
        ...               existing=(30.0,), default=0.0)
        >>> c.planned(("north_africa", "eastern_partnership")).existing
        (30.0, 0.0)
        >>> parts = dataclasses.replace(c, units=(("north_africa", frozenset({"morocco", "north_africa_rest"})),))
        >>> [u for u, _ in parts.planned(("morocco", "north_africa_rest", "eastern_partnership")).units]
        ['north_africa', 'eastern_partnership']
        """
        if self.default is None:
            return self
        named = {r for _, covered in self.units for r in covered}
        rest = tuple(r for r in region_ids if r not in named)
        return dataclasses.replace(self, units=(*self.units, *((r, frozenset({r})) for r in rest)),
                                   existing=(*self.existing, *(self.default for _ in rest)), default=None)


@dataclass(frozen=True)
class Lock:
    """EU commitments in a slice are fixed at an amount (``min == max``: an adopted annual programme, a decision
    taken) or held within [min, max] EUR m.

    Examples
    --------
    >>> sel = Selector(instruments=frozenset({"enpi"}), years=frozenset({2009}))
    >>> Lock("enpi_2009", sel, 17.0, 17.0).fixed, Lock("enpi_low", sel, max=12.0).fixed
    (True, False)
    >>> Lock("enpi_2009", sel, 17.0, 12.0)
    Traceback (most recent call last):
    ...
    ValueError: the lock 'enpi_2009': its max (12) is below its min (17)
    """

    id: str
    selector: Selector
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError(f"the lock {self.id!r} needs an amount, a min or a max; it has none")
        for side in ("min", "max"):
            if getattr(self, side) is not None:
                _amount(getattr(self, side), f"the {side} of the lock {self.id!r}")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"the lock {self.id!r}: its max ({self.max:g}) is below its min ({self.min:g})")

    @property
    def fixed(self) -> bool:
        """Whether the slice's commitments are fixed at one amount (``min == max``)."""
        return self.min is not None and self.min == self.max


def _whole(value: object, least: int, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a whole number of at least ``least``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ValueError(f"{what} must be a whole number ≥ {least}, got {value!r}")


def _amount(value: object, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not 0 <= value < np.inf:
        raise ValueError(f"{what} must be a finite number ≥ 0, got {value!r}")


@dataclass(frozen=True)
class MaxInstrumentsPerCell:
    """At most ``k`` instruments fund any priority × region cell over the whole period (§26: readability).

    Examples
    --------
    >>> MaxInstrumentsPerCell(2).k
    2
    """

    k: int

    def __post_init__(self) -> None:
        _whole(self.k, 1, "max_instruments_per_cell")


@dataclass(frozen=True)
class MinCommitment:
    """An instrument funds a priority in a region with nothing or at least the minimum over the period.

    The minimum is on the total of the line (instrument × priority × region) over the period; how that
    total is spread over the years is free (§26: no scattering of small amounts).

    ``amount`` (EUR m) applies to every instrument not named in ``by_instrument``, a tuple of
    ``(instrument id, EUR m)`` pairs. A minimum of 0 means no minimum.

    Examples
    --------
    >>> rule = MinCommitment(2.0, (("tpma", 5.0),))
    >>> rule.minimum(("tpma", "enpi")).tolist()
    [5.0, 2.0]
    """

    amount: float = 0.0
    by_instrument: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        _amount(self.amount, "the minimum commitment")
        for ins, value in self.by_instrument:
            _amount(value, f"the minimum commitment of {ins!r}")

    def minimum(self, instrument_ids: tuple[str, ...]) -> np.ndarray:
        """The minimum commitment of each instrument, EUR m, in the order of ``instrument_ids``."""
        own = dict(self.by_instrument)
        return np.array([float(own.get(i, self.amount)) for i in instrument_ids])


@dataclass(frozen=True)
class AdminCost:
    """A fixed administrative cost for each priority × region cell that receives any EU money.

    ``cost`` is in objective units per active cell, subtracted from the objective when it is maximised
    and added when it is minimised (goals alone).

    Examples
    --------
    >>> AdminCost(1.5).cost
    1.5
    """

    cost: float

    def __post_init__(self) -> None:
        _amount(self.cost, "the administrative cost")


@dataclass(frozen=True)
class MobilityPartnerships:
    """Choose between ``min_new`` and ``max_new`` new mobility partnerships among ``candidates`` (§11).

    Each chosen region receives at least ``package`` EUR m over the period on ``priorities`` (``None``:
    every priority); regions not chosen get no package requirement. With ``only_partners`` money for
    those priorities reaches a candidate only through its partnership, so a candidate not chosen gets none.

    Examples
    --------
    >>> MobilityPartnerships(("senegal", "ghana"), max_new=1, package=10.0).max_new
    1
    """

    candidates: tuple[str, ...]
    max_new: int
    package: float
    priorities: frozenset[str] | None = None
    min_new: int = 0
    only_partners: bool = True

    def __post_init__(self) -> None:
        if not self.candidates or len(set(self.candidates)) != len(self.candidates):
            raise ValueError(f"the candidates must be distinct regions, at least one; got {list(self.candidates)}")
        _whole(self.max_new, 1, "max_new")
        _whole(self.min_new, 0, "min_new")
        _amount(self.package, "the partnership package")
        if self.max_new > len(self.candidates):
            raise ValueError(f"max_new ({self.max_new}) exceeds the number of candidates ({len(self.candidates)})")
        if self.min_new > self.max_new:
            raise ValueError(f"min_new ({self.min_new}) exceeds max_new ({self.max_new})")


@dataclass(frozen=True)
class Rules:
    """All policy rules of a scenario, one tuple per rule family; the integer rules are optional.

    ``registered`` holds the entries of rule families registered from outside fundsim
    (:func:`fundsim.rules.register`), as ``(family, entries)`` pairs; read them with :meth:`of`.

    Examples
    --------
    >>> import fundsim as fs
    >>> rules = fs.load_scenario("scenarios/tutorial.yaml").rules
    >>> rules.pillar_balance, rules.integer
    ((PillarBalance(pillar='development', min_share=None, max_share=0.25),), False)
    """

    pillar_balance: tuple[PillarBalance, ...] = ()
    geographic_focus: tuple[GeographicFocus, ...] = ()
    region_limits: tuple[Limit, ...] = ()
    priority_limits: tuple[Limit, ...] = ()
    min_packages: tuple[MinPackage, ...] = ()
    caps: tuple[Cap, ...] = ()
    locks: tuple[Lock, ...] = ()
    coordination: tuple[Coordination, ...] = ()
    conditions: tuple[Condition, ...] = ()
    max_instruments_per_cell: MaxInstrumentsPerCell | None = None
    min_commitment: MinCommitment | None = None
    admin_cost: AdminCost | None = None
    mobility_partnerships: MobilityPartnerships | None = None
    registered: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def of(self, family: str) -> tuple[Any, ...]:
        """The entries of a rule family registered from outside fundsim (``()`` when the scenario has none).

        Examples
        --------
        >>> Rules(registered=(("toy", ("a", "b")),)).of("toy"), Rules().of("toy")
        (('a', 'b'), ())
        """
        return dict(self.registered).get(family, ())

    @property
    def integer(self) -> bool:
        """Whether any rule needs integer decisions (the scenario is then a mixed-integer programme)."""
        return any(r is not None for r in (self.max_instruments_per_cell, self.min_commitment, self.admin_cost,
                                           self.mobility_partnerships))


@dataclass(frozen=True, eq=False)
class ImpactTerm:
    """Weighted impact with diminishing returns.

    The money reaching a ``(priority, region)`` cell over the period (EU or total cost, by ``basis``)
    earns ``weights[p, r] * slopes[k]`` per EUR m on segment k; segment k runs from
    ``breakpoints[k-1]`` to ``breakpoints[k]`` (0 and infinity at the ends). Slopes never rise, so
    the impact curve is concave and a maximising LP fills the segments in order.

    Examples
    --------
    >>> import numpy as np
    >>> term = ImpactTerm(np.ones((3, 2)), breakpoints=(10.0,), slopes=(1.0, 0.5), basis="eu")
    >>> term.slopes, term.weights.shape
    ((1.0, 0.5), (3, 2))
    """

    weights: np.ndarray
    breakpoints: tuple[float, ...] = ()
    slopes: tuple[float, ...] = (1.0,)
    basis: str = "total"
    weight: float = 1.0


@dataclass(frozen=True)
class LeverageTerm:
    """Rewards co-financing mobilised: ``weight`` objective units per EUR m of match.

    Examples
    --------
    >>> LeverageTerm(0.5).weight
    0.5
    """

    weight: float = 1.0


@dataclass(frozen=True)
class Target:
    """A goal: at least ``amount`` EUR m of EU commitments in a slice; each EUR m short costs ``weight``.

    Examples
    --------
    >>> Target("east", Selector(regions=frozenset({"eastern_partnership"})), amount=15.0).weight
    1.0
    """

    id: str
    selector: Selector
    amount: float
    weight: float = 1.0


@dataclass(frozen=True)
class GoalTerm:
    """Goal programming: weighted shortfall against targets, subtracted from the objective.

    Examples
    --------
    >>> goals = GoalTerm((Target("east", Selector(regions=frozenset({"eastern_partnership"})), amount=15.0),))
    >>> [t.id for t in goals.targets]
    ['east']
    """

    targets: tuple[Target, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Indicator:
    """An indicator of a results framework: outputs bought by the money in a slice, and what they are worth.

    The indicator's outputs are the money in its slice (EU money, or EU money plus co-financing, by ``basis``)
    divided by ``unit_cost`` (EUR m per unit of output). Each unit up to ``target`` is worth ``value``, each unit
    above it ``beyond_target`` (at most ``value``: returns diminish); without a target every unit is worth
    ``value``.

    Examples
    --------
    >>> ind = Indicator("returnees", Selector(priorities=frozenset({"return"})), unit_cost=0.004, target=5000.0,
    ...                 value=1.0, beyond_target=0.2)
    >>> ind.worth(7500.0)  # 5000 at 1 and 2500 at 0.2
    5500.0
    >>> Indicator("x", Selector(), unit_cost=0.0)
    Traceback (most recent call last):
    ...
    ValueError: the unit cost of the indicator 'x' must be a finite number > 0 (EUR m per unit of output), got 0.0
    """

    id: str
    selector: Selector
    unit_cost: float
    value: float = 1.0
    target: float | None = None
    beyond_target: float = 0.0
    basis: str = "total"
    name: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        what = f"the indicator {self.id!r}"
        if isinstance(self.unit_cost, bool) or not 0 < self.unit_cost < np.inf:
            raise ValueError(f"the unit cost of {what} must be a finite number > 0 (EUR m per unit of output), "
                             f"got {self.unit_cost!r}")
        _amount(self.value, f"the value of {what}")
        _amount(self.beyond_target, f"the value beyond the target of {what}")
        if self.target is not None:
            _amount(self.target, f"the target of {what}")
        if self.beyond_target > self.value:
            raise ValueError(f"{what}: its value beyond the target ({self.beyond_target:g}) exceeds its value "
                             f"({self.value:g}); returns may only diminish")
        if self.basis not in ("eu", "total"):
            raise ValueError(f"the basis of {what} must be 'eu' or 'total', got {self.basis!r}")

    @property
    def segments(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """``((length, value), (length, value))`` of the two pieces of its curve: up to the target, beyond it
        (without a target: every output, then nothing)."""
        if self.target is None:
            return (np.inf, self.value), (0.0, 0.0)
        return (self.target, self.value), (np.inf, self.beyond_target)

    def worth(self, outputs: float) -> float:
        """The objective value of ``outputs`` units: ``value·min(o, T) + beyond_target·max(o − T, 0)``."""
        (length, first), (_, second) = self.segments
        below = min(outputs, length)
        return float(first * below + second * max(outputs - length, 0.0))


@dataclass(frozen=True)
class ResultsTerm:
    """A results framework: indicators with unit costs, targets and values, weighted by ``weight``.

    Examples
    --------
    >>> ind = Indicator("returnees", Selector(priorities=frozenset({"return"})), unit_cost=0.004)
    >>> [i.id for i in ResultsTerm((ind,)).indicators]
    ['returnees']
    """

    indicators: tuple[Indicator, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Objective:
    """What "best" means. With only goals, the LP minimises the weighted shortfall; otherwise it
    maximises ``impact + leverage + results - goals``.

    Examples
    --------
    >>> Objective(leverage=LeverageTerm()).sense, Objective(goals=GoalTerm(())).sense
    ('max', 'min')
    """

    impact: ImpactTerm | None = None
    leverage: LeverageTerm | None = None
    goals: GoalTerm | None = None
    results: ResultsTerm | None = None

    @property
    def sense(self) -> str:
        """``"max"`` or ``"min"`` (goal programming alone minimises the shortfall)."""
        return "min" if self.impact is None and self.leverage is None and self.results is None else "max"
