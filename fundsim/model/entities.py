"""The things a scenario is made of: years, regions, priorities, pillars, match sources, instruments.

Domain objects are frozen dataclasses: immutable, picklable and checked when made. Numeric series are
read-only numpy arrays laid out along the scenario's own label order (years, regions).
A variant of an object is a copy with changes (:func:`dataclasses.replace`), never a mutation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fundsim.model.budget import Budget, Deadline

__all__ = [
    "Area",
    "CofinancingException",
    "CofinancingRule",
    "Instrument",
    "MatchSource",
    "Pillar",
    "Priority",
    "Region",
    "SharedCapacity",
    "frozen_array",
    "stacked",
    "unstacked",
]


def frozen_array(values: object, dtype: type = float) -> np.ndarray:
    """Return a read-only float array copy of ``values``.

    Examples
    --------
    >>> arr = frozen_array([1, 2.5])
    >>> arr.tolist(), arr.flags.writeable
    ([1.0, 2.5], False)
    """
    arr: np.ndarray = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class Pillar:
    """A component of the Global Approach (16041/08 §4), e.g. legal migration & mobility.

    Examples
    --------
    >>> Pillar("legal", "Legal migration and mobility").id
    'legal'
    """

    id: str
    name: str


@dataclass(frozen=True)
class Region:
    """A planning unit funds go to: a region, a country planned on its own, or the rest of a region whose
    countries are planned on their own (its regional programmes and other countries). ``group`` is its focus
    area (south, east, south_east, other); ``within`` the region a country or a rest belongs to (``None`` for a
    whole region).

    Examples
    --------
    >>> Region("north_africa", "North Africa", "south", ("Morocco", "Tunisia")).group
    'south'
    >>> Region("cape_verde", "Cape Verde", "south", ("Cape Verde",), within="west_africa").level
    'country'
    """

    id: str
    name: str
    group: str
    countries: tuple[str, ...] = ()
    within: str | None = None
    rest: bool = False

    @property
    def level(self) -> str:
        """``region`` (a whole region), ``country`` (a country planned on its own) or ``rest`` (the rest of a
        region whose countries are planned on their own).

        Examples
        --------
        >>> units = [Region("west_africa_rest", "West Africa (rest)", "south", ("Mali",), "west_africa", rest=True),
        ...          Region("senegal", "Senegal", "south", ("Senegal",), within="west_africa"),
        ...          Region("eastern_partnership", "Eastern Partnership", "east")]
        >>> [r.level for r in units]
        ['rest', 'country', 'region']
        """
        return "region" if self.within is None else "rest" if self.rest else "country"


@dataclass(frozen=True)
class Area:
    """A region planned in parts: its countries planned on their own and its rest (``units``, ids of planning
    units). A rule, a capacity or a result stated for the area holds for the sum over its units.

    Examples
    --------
    >>> Area("west_africa", "West Africa", "south", ("west_africa_rest", "cape_verde", "senegal")).units[1]
    'cape_verde'
    """

    id: str
    name: str
    group: str
    units: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class SharedCapacity:
    """A capacity stated for a region planned in parts (an :class:`Area`): it holds for the sum over the area's
    units, EUR m per scenario year (``inf``: unlimited).

    Examples
    --------
    >>> SharedCapacity("west_africa", frozen_array([30, 32])).capacity.tolist()
    [30.0, 32.0]
    """

    area: str
    capacity: np.ndarray


def stacked(capacity: np.ndarray, shared: tuple[SharedCapacity, ...]) -> np.ndarray:
    """Per-unit capacities ``(region, year)`` and then the shared ones, as one writable array.

    Examples
    --------
    >>> stacked(frozen_array([[5.0, 5.0]]), (SharedCapacity("west_africa", frozen_array([8.0, 9.0])),)).tolist()
    [[5.0, 5.0], [8.0, 9.0]]
    """
    return np.vstack([np.asarray(capacity, float)] + [np.asarray(s.capacity, float)[None] for s in shared])


def unstacked(values: np.ndarray, shared: tuple[SharedCapacity, ...]) -> tuple[np.ndarray, tuple[SharedCapacity, ...]]:
    """The inverse of :func:`stacked`: the per-unit capacities and the shared ones with their new values.

    Examples
    --------
    >>> region = SharedCapacity("west_africa", frozen_array([8, 8]))
    >>> own, shared = unstacked(np.array([[5.0, 5.0], [9.0, 9.0]]), (region,))
    >>> own.tolist(), shared[0].area, shared[0].capacity.tolist()
    ([[5.0, 5.0]], 'west_africa', [9.0, 9.0])
    """
    n = len(values) - len(shared)
    return frozen_array(values[:n]), tuple(replace(s, capacity=frozen_array(values[n + k]))
                                           for k, s in enumerate(shared))


@dataclass(frozen=True)
class Priority:
    """A thematic priority, belonging to one pillar.

    Examples
    --------
    >>> Priority("return", "Voluntary return and reintegration", pillar="irregular").pillar
    'irregular'
    """

    id: str
    name: str
    pillar: str


@dataclass(frozen=True, eq=False)
class MatchSource:
    """Who supplies the co-financing match, and how much they can raise (EUR m).

    ``capacity`` has shape ``(year,)`` for a source shared by all regions, or ``(region, year)`` (per planning
    unit) when ``per_region`` is true (e.g. partner countries raise their own match); ``shared`` then holds the
    capacities stated for regions planned in parts, each for the sum over the region's units. ``inf`` means
    unlimited.

    Examples
    --------
    >>> source = MatchSource("member_states", "EU member states", False, frozen_array([100, 100]))
    >>> source.capacity.tolist()
    [100.0, 100.0]
    """

    id: str
    name: str
    per_region: bool
    capacity: np.ndarray
    shared: tuple[SharedCapacity, ...] = ()


@dataclass(frozen=True)
class CofinancingException:
    """A different maximum EU share (and optionally match source) for some priorities and/or regions.

    ``None`` for ``priorities`` or ``regions`` means every one.

    Examples
    --------
    >>> exc = CofinancingException(0.5, priorities=frozenset({"return"}))
    >>> exc.applies(("mobility", "return"), ("north_africa",)).tolist()
    [[False], [True]]
    """

    max_eu_share: float
    priorities: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    match_source: str | None = None

    def applies(self, priority_ids: tuple[str, ...], region_ids: tuple[str, ...]) -> np.ndarray:
        """Boolean matrix ``(priority, region)`` of the cells this exception covers."""
        p = np.array([self.priorities is None or x in self.priorities for x in priority_ids])
        r = np.array([self.regions is None or x in self.regions for x in region_ids])
        return p[:, None] & r[None, :]


@dataclass(frozen=True)
class CofinancingRule:
    """Maximum EU share of eligible cost; the match source supplies the rest.

    A commitment ``eu`` to a cell whose maximum EU share is ``s`` mobilises
    ``cofin = eu * (1 - s) / s`` from the match source, so that ``eu = s * (eu + cofin)``.
    Exceptions are applied in order; a later one wins where two overlap.

    Examples
    --------
    >>> rule = CofinancingRule(0.8, "member_states", (CofinancingException(0.5, priorities=frozenset({"return"})),))
    >>> share, source = rule.resolve(("mobility", "return"), ("north_africa",))
    >>> share.tolist(), source.tolist()
    ([[0.8], [0.5]], [['member_states'], ['member_states']])
    """

    max_eu_share: float = 1.0
    match_source: str | None = None
    exceptions: tuple[CofinancingException, ...] = ()

    def resolve(
        self, priority_ids: tuple[str, ...], region_ids: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Maximum EU share and match source (object array, ``None`` = none) per ``(priority, region)``."""
        shape = (len(priority_ids), len(region_ids))
        share = np.full(shape, self.max_eu_share)
        source = np.full(shape, self.match_source, dtype=object)
        for exc in self.exceptions:
            mask = exc.applies(priority_ids, region_ids)
            share[mask] = exc.max_eu_share
            if exc.match_source is not None:
                source[mask] = exc.match_source
        return share, source


@dataclass(frozen=True, eq=False)
class Instrument:
    """A Community financial instrument as the scenario sees it.

    Attributes
    ----------
    envelope : EUR m per scenario year (the whole envelope; 0 where none)
    usable : EUR m per scenario year usable for this policy (``envelope * usable_share`` or a set amount)
    regions, priorities : where and on what the instrument may be spent (already resolved from groups
        and pillars)
    payment_profile : share of a commitment paid in the commitment year, the next year, …; sums to 1
    decommitment_window : the deadline's window k: money not paid (or, for a contracting deadline, not
        contracted) by year n + k is decommitted (n+2 rule: 2); the same as ``budget.deadline.window``
    budget : its budget nature, appropriations, deadline and opening position (:class:`~fundsim.model.Budget`)

    Examples
    --------
    >>> import fundsim as fs
    >>> tpma = fs.load_scenario("scenarios/tutorial.yaml").instruments[0]
    >>> tpma.id, tpma.usable.tolist(), sorted(tpma.priorities), tpma.cofinancing.max_eu_share
    ('tpma', [10.0, 10.0], ['mobility', 'remittances', 'return'], 0.8)
    """

    id: str
    name: str
    envelope: np.ndarray
    usable: np.ndarray
    regions: frozenset[str]
    priorities: frozenset[str]
    cofinancing: CofinancingRule = field(default_factory=CofinancingRule)
    payment_profile: tuple[float, ...] = (1.0,)
    decommitment_window: int = 2
    budget: Budget = field(default_factory=Budget)

    def __post_init__(self) -> None:
        """Keep the two spellings of the deadline in step: a budget that states its deadline sets the window; a
        window changed alone (the budget's deadline the default) sets the budget's payment deadline."""
        deadline = self.budget.deadline
        if deadline.window == self.decommitment_window:
            return
        if deadline == Deadline():
            object.__setattr__(self, "budget", replace(self.budget, deadline=Deadline("payment",
                                                                                        self.decommitment_window)))
        else:
            object.__setattr__(self, "decommitment_window", deadline.window)
