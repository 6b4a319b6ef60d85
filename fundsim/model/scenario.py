"""The :class:`Scenario`: everything a planning problem holds, as immutable domain objects."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from fundsim.model.entities import Area, Instrument, MatchSource, Pillar, Priority, Region, SharedCapacity
from fundsim.model.rules import Objective, Rules
from fundsim.model.uncertainty import Uncertainty

__all__ = ["Absorption", "Scenario"]


@dataclass(frozen=True, eq=False)
class Absorption:
    """Absorption capacity per region and year (16041/08 §8): payments may not exceed it.

    ``capacity`` has shape ``(region, year)`` (per planning unit), EUR m, ``inf`` where unlimited; ``shared``
    holds the capacities stated for regions planned in parts (:class:`~fundsim.model.Area`), each for the
    payments to all of the region's units together. ``basis`` says whether
    payments are counted as EU money only (``"eu"``) or as total cost with co-financing (``"total"``).
    ``after_horizon`` says how payments falling due after the last scenario year are treated:
    ``"last_year"`` caps each later year at the last year's capacity (so late commitments do not escape
    the rule), ``"unlimited"`` leaves them uncapped.

    Examples
    --------
    >>> import numpy as np
    >>> absorption = Absorption(np.array([[25.0, 20.0]]), basis="eu")
    >>> absorption.extended(2).tolist()
    [[25.0, 20.0, 20.0, 20.0]]
    """

    capacity: np.ndarray
    basis: str = "total"
    after_horizon: str = "last_year"
    shared: tuple[SharedCapacity, ...] = ()

    def extended(self, extra_years: int, capacity: np.ndarray | None = None) -> np.ndarray:
        """Capacity over the scenario years and ``extra_years`` after them, ``(region, year)`` (or of another
        ``capacity`` array laid out the same way, e.g. the shared capacities stacked).

        Examples
        --------
        >>> import numpy as np
        >>> from fundsim.model import SharedCapacity, frozen_array
        >>> absorption = Absorption(np.array([[5.0, 5.0]]), shared=(SharedCapacity("west_africa",
        ...                                                                        frozen_array([8.0, 9.0])),))
        >>> absorption.extended(1).tolist(), absorption.extended(1, absorption.shared_capacity).tolist()
        ([[5.0, 5.0, 5.0]], [[8.0, 9.0, 9.0]])
        >>> Absorption(np.array([[5.0, 5.0]]), after_horizon="unlimited").extended(1).tolist()
        [[5.0, 5.0, inf]]
        """
        cap = self.capacity if capacity is None else capacity
        tail_value = cap[:, -1:] if self.after_horizon == "last_year" else np.full((cap.shape[0], 1), np.inf)
        return np.concatenate([cap, np.repeat(tail_value, extra_years, axis=1)], axis=1)

    @property
    def shared_capacity(self) -> np.ndarray:
        """The shared capacities stacked, ``(shared, year)`` (no rows when there are none).

        Examples
        --------
        >>> import numpy as np
        >>> from fundsim.model import SharedCapacity, frozen_array
        >>> west = SharedCapacity("west_africa", frozen_array([8.0, 9.0]))
        >>> Absorption(np.array([[5.0, 5.0]]), shared=(west,)).shared_capacity.tolist()
        [[8.0, 9.0]]
        >>> Absorption(np.array([[5.0, 5.0]])).shared_capacity.shape
        (0, 2)
        """
        if not self.shared:
            return np.zeros((0, self.capacity.shape[1]))
        return np.stack([s.capacity for s in self.shared])


@dataclass(frozen=True, eq=False)
class Scenario:
    """A planning problem. Labels are kept in file order; arrays follow that order.

    Build one with :func:`fundsim.load_scenario` (files) or :func:`fundsim.scenario_from_dict`.
    ``spec`` is the validated, merged specification it came from, and ``digest`` a hash of it.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> sc.name, sc.years, sc.instrument_ids, sc.region_groups
    ('tutorial', (2009, 2010), ('tpma', 'enpi'), ('south', 'east'))
    >>> sc.eligible.shape, int(sc.eligible.sum())
    ((2, 3, 2, 2), 20)
    >>> sc.match_ratio[0, 0].round(6).tolist()  # TPMA pays 80 %: 0.25 of match per EUR m
    [0.25, 0.25]
    >>> sc.evolve(name="variant").name, sc.name
    ('variant', 'tutorial')
    """

    name: str
    years: tuple[int, ...]
    pillars: tuple[Pillar, ...]
    regions: tuple[Region, ...]
    priorities: tuple[Priority, ...]
    match_sources: tuple[MatchSource, ...]
    instruments: tuple[Instrument, ...]
    absorption: Absorption
    rules: Rules
    objective: Objective
    description: str = ""
    areas: tuple[Area, ...] = ()
    uncertainty: Uncertainty | None = None
    provenance: tuple[tuple[str, str, str], ...] = ()
    source_file: str | None = None
    digest: str = ""
    spec: dict[str, Any] = field(default_factory=dict, repr=False)

    # labels ---------------------------------------------------------------------------------------
    @cached_property
    def instrument_ids(self) -> tuple[str, ...]:
        return tuple(x.id for x in self.instruments)

    @cached_property
    def priority_ids(self) -> tuple[str, ...]:
        return tuple(x.id for x in self.priorities)

    @cached_property
    def region_ids(self) -> tuple[str, ...]:
        return tuple(x.id for x in self.regions)

    @cached_property
    def area_ids(self) -> tuple[str, ...]:
        """Every geographic label a rule may name: the planning units, then the regions planned in parts.

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> sc = fs.scenario_from_dict(raw)
        >>> sc.area_ids
        ('morocco', 'north_africa_rest', 'eastern_partnership', 'north_africa')
        """
        return self.region_ids + tuple(a.id for a in self.areas)

    @cached_property
    def membership(self) -> np.ndarray:
        """Boolean ``(area, region)``: which planning units each label of :attr:`area_ids` covers (a unit covers
        itself; a region planned in parts covers its countries and its rest).

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> sc = fs.scenario_from_dict(raw)
        >>> sc.membership.astype(int).tolist()  # rows: morocco, north_africa_rest, eastern_partnership, north_africa
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]
        """
        out = np.zeros((len(self.area_ids), len(self.regions)), dtype=bool)
        out[np.arange(len(self.regions)), np.arange(len(self.regions))] = True
        position = {r: n for n, r in enumerate(self.region_ids)}
        for n, area in enumerate(self.areas, start=len(self.regions)):
            out[n, [position[u] for u in area.units]] = True
        out.flags.writeable = False
        return out

    def capacity_labels(self, shared: tuple[SharedCapacity, ...]) -> tuple[str, ...]:
        """The region labels of per-unit capacities stacked with shared ones (:func:`fundsim.model.stacked`).

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> sc = fs.scenario_from_dict(raw)
        >>> sc.capacity_labels(sc.absorption.shared)  # North Africa's 25 a year is shared by its units
        ('morocco', 'north_africa_rest', 'eastern_partnership', 'north_africa')
        >>> sc.capacity_labels(())
        ('morocco', 'north_africa_rest', 'eastern_partnership')
        """
        return self.region_ids + tuple(s.area for s in shared)

    def capacity_cover(self, shared: tuple[SharedCapacity, ...]) -> np.ndarray:
        """Boolean ``(capacity, region)``: the planning units each stacked capacity holds for.

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> sc = fs.scenario_from_dict(raw)
        >>> sc.capacity_cover(sc.absorption.shared).astype(int).tolist()
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]
        >>> sc.capacity_cover(()).shape
        (3, 3)
        """
        areas = [self.area_ids.index(s.area) for s in shared]
        return np.vstack([np.eye(len(self.regions), dtype=bool), self.membership[areas]])

    def units_of(self, label: str) -> np.ndarray:
        """Positions of the planning units a geographic label covers (a unit: itself; a region planned in parts:
        its units).

        Raises
        ------
        ValueError
            for a label that is neither a planning unit nor a region planned in parts, naming the valid ones

        Examples
        --------
        >>> import fundsim as fs
        >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
        >>> sc.units_of("eastern_partnership").tolist()
        [1]
        >>> sc.units_of("east")
        Traceback (most recent call last):
        ...
        ValueError: unknown region or country 'east'; valid ones are: north_africa, eastern_partnership
        """
        if label not in self.area_ids:
            close = difflib.get_close_matches(label, self.area_ids, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown region or country {label!r}{hint}; valid ones are: {', '.join(self.area_ids)}")
        return np.flatnonzero(self.membership[self.area_ids.index(label)])

    @cached_property
    def region_of(self) -> tuple[str, ...]:
        """The region each planning unit belongs to (a whole region: itself), in unit order.

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> sc = fs.scenario_from_dict(raw)
        >>> sc.region_ids
        ('morocco', 'north_africa_rest', 'eastern_partnership')
        >>> sc.region_of
        ('north_africa', 'north_africa', 'eastern_partnership')
        """
        return tuple(r.within or r.id for r in self.regions)

    @cached_property
    def pillar_ids(self) -> tuple[str, ...]:
        return tuple(x.id for x in self.pillars)

    @cached_property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(x.id for x in self.match_sources)

    @cached_property
    def region_groups(self) -> tuple[str, ...]:
        """Group of each region, in region order."""
        return tuple(r.group for r in self.regions)

    @cached_property
    def priority_pillars(self) -> tuple[str, ...]:
        """Pillar of each priority, in priority order."""
        return tuple(p.pillar for p in self.priorities)

    def coords(self) -> dict[str, list]:
        """Coordinates of the allocation cube, for xarray."""
        return {
            "instrument": list(self.instrument_ids),
            "priority": list(self.priority_ids),
            "region": list(self.region_ids),
            "year": list(self.years),
        }

    def cube_coords(self) -> dict[str, Any]:
        """:meth:`coords` and the labels on them: each priority's ``pillar``, each unit's ``group`` and
        ``in_region`` (the region a country or a rest belongs to; a whole region: itself).

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> sc = fs.scenario_from_dict(raw)
        >>> coords = sc.cube_coords()
        >>> coords["region"]
        ['morocco', 'north_africa_rest', 'eastern_partnership']
        >>> coords["in_region"]
        ('region', ['north_africa', 'north_africa', 'eastern_partnership'])
        >>> coords["group"], coords["pillar"]
        (('region', ['south', 'south', 'east']), ('priority', ['legal', 'irregular', 'development']))
        """
        return {**self.coords(), "pillar": ("priority", list(self.priority_pillars)),
                "group": ("region", list(self.region_groups)), "in_region": ("region", list(self.region_of))}

    # derived domain facts -------------------------------------------------------------------------
    @cached_property
    def eligible(self) -> np.ndarray:
        """Boolean cube ``(instrument, priority, region, year)``: where EU money may go.

        A cell is eligible when the instrument may fund the priority and the region and has usable
        money that year.
        """
        ins_p = np.array([[p in ins.priorities for p in self.priority_ids] for ins in self.instruments])
        ins_r = np.array([[r in ins.regions for r in self.region_ids] for ins in self.instruments])
        ins_y = np.array([ins.usable > 0 for ins in self.instruments])
        cube = ins_p[:, :, None, None] & ins_r[:, None, :, None] & ins_y[:, None, None, :]
        cube = cube.reshape(len(self.instruments), len(self.priorities), len(self.regions), len(self.years))
        cube.flags.writeable = False
        return cube

    @cached_property
    def max_eu_share(self) -> np.ndarray:
        """Maximum EU share of eligible cost per ``(instrument, priority, region)``."""
        return np.stack([i.cofinancing.resolve(self.priority_ids, self.region_ids)[0] for i in self.instruments])

    @cached_property
    def match_source_of(self) -> np.ndarray:
        """Match source id (object array, ``None`` = no match) per ``(instrument, priority, region)``."""
        return np.stack([i.cofinancing.resolve(self.priority_ids, self.region_ids)[1] for i in self.instruments])

    @cached_property
    def match_source_index(self) -> np.ndarray:
        """Position in ``match_sources`` of each cell's match source (-1: none), ``(instrument, priority, region)``."""
        source_of = self.match_source_of
        index = np.full(source_of.shape, -1, dtype=np.int64)
        for n, sid in enumerate(self.source_ids):
            index[source_of == sid] = n
        return index

    @cached_property
    def match_ratio(self) -> np.ndarray:
        """Co-financing mobilised per EUR m of EU money, ``(1 - s) / s``, per ``(instrument, priority, region)``."""
        share = self.max_eu_share
        return (1.0 - share) / share

    def __post_init__(self) -> None:
        """Check that every array has the shape of the scenario's labels (objects built by hand included)."""
        ny, nr, npr = len(self.years), len(self.regions), len(self.priorities)
        wrong = [f"instrument {i.id!r}: {name} has shape {arr.shape}, expected ({ny},) (one value per year)"
                 for i in self.instruments for name, arr in (("envelope", i.envelope), ("usable", i.usable))
                 if arr.shape != (ny,)]
        wrong += [f"match source {m.id!r}: capacity has shape {m.capacity.shape}, expected "
                  f"{(nr, ny) if m.per_region else (ny,)}" for m in self.match_sources
                  if m.capacity.shape != ((nr, ny) if m.per_region else (ny,))]
        if self.absorption.capacity.shape != (nr, ny):
            wrong.append(f"absorption capacity has shape {self.absorption.capacity.shape}, expected ({nr}, {ny})")
        units = set(self.region_ids)
        wrong += [f"area {a.id!r} names unknown planning units {sorted(set(a.units) - units)}" for a in self.areas
                  if set(a.units) - units]
        areas = {a.id for a in self.areas}
        wrong += [f"{what} names the unknown area {s.area!r}" for what, shared in
                  [("absorption", self.absorption.shared)] + [(f"match source {m.id!r}", m.shared)
                                                              for m in self.match_sources]
                  for s in shared if s.area not in areas]
        wrong += [f"{what}: shared capacity of {s.area!r} has shape {s.capacity.shape}, expected ({ny},)"
                  for what, shared in [("absorption", self.absorption.shared)]
                  + [(f"match source {m.id!r}", m.shared) for m in self.match_sources]
                  for s in shared if s.capacity.shape != (ny,)]
        impact = self.objective.impact
        if impact is not None and impact.weights.shape != (npr, nr):
            wrong.append(f"impact weights have shape {impact.weights.shape}, expected ({npr}, {nr})")
        wrong += self._unknown_labels()
        if wrong:
            raise ValueError("inconsistent scenario: " + "; ".join(wrong))

    def _unknown_labels(self) -> list[str]:
        """Labels named by the integer rules that the scenario does not have (objects built by hand)."""
        r, wrong = self.rules, []
        if r.min_commitment is not None:
            wrong += [f"min_commitment names the unknown instrument {i!r}" for i, _ in r.min_commitment.by_instrument
                      if i not in self.instrument_ids]
        if r.mobility_partnerships is not None:
            mp = r.mobility_partnerships
            wrong += [f"mobility_partnerships names the unknown region {x!r}" for x in mp.candidates
                      if x not in self.region_ids]
            wrong += [f"mobility_partnerships names the unknown priority {x!r}" for x in sorted(mp.priorities or ())
                      if x not in self.priority_ids]
        return wrong

    def evolve(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced (the scenario itself never changes).

        The copy gets its own ``digest`` (derived from this one's and the changes) and no ``spec``: it is no
        longer described by the file it came from.
        """
        text = self.digest + repr(sorted((k, _fingerprint(v)) for k, v in changes.items()))
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return dataclasses.replace(self, **{"digest": digest, "spec": {}, **changes})


def _fingerprint(value: Any) -> str:
    """A stable text for a changed value (arrays by their bytes, domain objects by their fields)."""
    return hashlib.sha256(pickle.dumps(value)).hexdigest()
