"""The uncertain numbers of a scenario, drawn: arrays with a leading ``draw`` dimension.

Parameters act in the order the scenario lists them: an ``absolute`` one sets the number, a
``multiplicative`` one multiplies what is there. An envelope scales the instrument's usable money
(keeping the usable share); a capacity or weight path with fewer labels covers every label below it, and one
naming a region planned in parts covers its units (a capacity: the region's own where it states one, else a
multiplier of each of its units' capacities).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from fundsim import model as m
from fundsim.errors import ArgumentError

__all__ = ["DrawnNumbers", "drawn_numbers", "scenario_of_draw"]


@dataclass(frozen=True, eq=False)
class DrawnNumbers:
    """Per draw: usable money ``(draw, instrument, year)``, each match source's capacity ``(draw, year)``
    or ``(draw, region, year)``, absorption capacity ``(draw, region, year)``, impact weights
    ``(draw, priority, region)`` (``None`` without an impact term). The ``region`` axis of a capacity holds
    the planning units and then the capacities stated for regions planned in parts
    (:meth:`fundsim.model.Scenario.capacity_labels`).

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> numbers = drawn_numbers(sc, np.ones((3, 4)))  # three draws at the plan's own numbers
    >>> numbers.n, numbers.usable.shape, numbers.absorption.shape
    (3, (3, 2, 2), (3, 2, 2))
    """

    usable: np.ndarray
    match: tuple[np.ndarray, ...]
    absorption: np.ndarray
    weights: np.ndarray | None
    delay: np.ndarray | None = None  # (draw, instrument): share of each year's payments slipping a year

    def profile(self, sc: m.Scenario, i: int) -> np.ndarray:
        """Instrument ``i``'s payment profile in each draw, ``(draw, lag)``: the scenario's profile with a
        ``delay`` share of every year's payment moved one year later."""
        base = np.asarray(sc.instruments[i].payment_profile, float)
        if self.delay is None:
            return np.repeat(base[None], self.n, axis=0)
        d = np.clip(self.delay[:, i], 0.0, 1.0)[:, None]
        return (1 - d) * np.append(base, 0.0)[None] + d * np.insert(base, 0, 0.0)[None]

    @property
    def n(self) -> int:
        return self.usable.shape[0]

    def nonnegative(self) -> DrawnNumbers:
        """These numbers with usable money, capacities and weights below zero read as zero, as
        :func:`scenario_of_draw` reads them (a study's given points may ask for less than nothing).

        Examples
        --------
        >>> import numpy as np
        >>> numbers = DrawnNumbers(np.array([[[-1.0, 2.0]]]), (), np.array([[[-5.0]]]), None)
        >>> numbers.nonnegative().usable.tolist(), numbers.nonnegative().absorption.tolist()
        ([[[0.0, 2.0]]], [[[0.0]]])
        """
        weights = None if self.weights is None else np.maximum(self.weights, 0.0)
        return DrawnNumbers(np.maximum(self.usable, 0.0), tuple(np.maximum(c, 0.0) for c in self.match),
                            np.maximum(self.absorption, 0.0), weights, self.delay)


def _apply(target: np.ndarray, value: np.ndarray, mode: str, where: tuple = ()) -> None:
    """Set or multiply ``target[:, *where]`` by the per-draw ``value`` (broadcast over the rest); a ``where`` may
    be a position or an array of positions."""
    index = (slice(None), *where)
    v = value.reshape((len(value),) + (1,) * (target[index].ndim - 1))
    if mode == "absolute":
        target[index] = v
    else:  # a multiplier leaves an unlimited capacity unlimited (inf × 0 would be NaN)
        moved = target[index].copy()
        np.multiply(moved, v, out=moved, where=np.isfinite(moved))
        target[index] = moved


def drawn_numbers(sc: m.Scenario, values: np.ndarray) -> DrawnNumbers:
    """The scenario's numbers under each draw of its uncertain parameters (``values``: draw × parameter).

    Raises
    ------
    ArgumentError
        for an absolute capacity of a region planned in parts that states none of its own (there is no one
        number to set)

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> values = np.array([[0.5, 1.0, 1.0, 1.0]])  # TPMA's envelope halved
    >>> drawn_numbers(sc, values).usable[0].tolist()  # (instrument, year): TPMA 10 → 5, ENPI 20
    [[5.0, 5.0], [20.0, 20.0]]
    """
    draws = len(values)
    usable = np.repeat(np.stack([ins.usable for ins in sc.instruments])[None], draws, axis=0)
    match = [np.repeat((m.stacked(s.capacity, s.shared) if s.per_region else s.capacity)[None], draws, axis=0)
             for s in sc.match_sources]
    absorption = np.repeat(m.stacked(sc.absorption.capacity, sc.absorption.shared)[None], draws, axis=0)
    impact = sc.objective.impact
    weights = None if impact is None else np.repeat(impact.weights[None], draws, axis=0)
    params = () if sc.uncertainty is None else sc.uncertainty.parameters
    delay = np.zeros((draws, len(sc.instruments))) if any(p.path.endswith(".payment_delay") for p in params) else None
    for col, p in enumerate(params):
        value, parts = values[:, col], p.path.split(".")
        if parts[0] == "instruments" and parts[2] == "payment_delay" and delay is not None:
            delay[:, sc.instrument_ids.index(parts[1])] = value
        elif parts[0] == "instruments":
            i = sc.instrument_ids.index(parts[1])
            ins = sc.instruments[i]
            if p.mode == "absolute":  # a drawn envelope per year, of which the usable share can be spent
                share = np.divide(ins.usable, ins.envelope, out=np.zeros_like(ins.usable), where=ins.envelope > 0)
                usable[:, i, :] = value[:, None] * share[None, :]
            else:
                usable[:, i, :] *= value[:, None]
        elif parts[0] == "match_sources":
            _apply(match[sc.source_ids.index(parts[1])], value, p.mode)
        elif parts[0] == "absorption":
            _apply(absorption, value, p.mode, _capacity_rows(sc, p) if len(parts) == 3 else ())
        elif weights is not None:
            _apply(weights, value, p.mode, _weight_cells(sc, parts[3:]))
    return DrawnNumbers(usable, tuple(match), absorption, weights, delay)


def _capacity_rows(sc: m.Scenario, p: m.UncertainParameter) -> tuple[int | np.ndarray, ...]:
    """The row of the stacked absorption capacities (:meth:`~fundsim.model.Scenario.capacity_labels`) that
    ``absorption.capacity.<label>`` moves: the label's own, or for a region planned in parts that states none,
    each of its units' (only a multiplier can move them all alike; an absolute value would set each unit to
    what the region was meant to hold together)."""
    label = p.path.split(".")[2]
    labels = sc.capacity_labels(sc.absorption.shared)
    if label in labels:
        return (labels.index(label),)
    units = sc.units_of(label)
    if p.mode == "absolute":
        paths = ", ".join(f"absorption.capacity.{sc.region_ids[u]}" for u in units)
        raise ArgumentError(f"cannot set {p.path!r} (mode absolute) in parameter {p.id!r}: {label!r} is planned in "
                            "parts and its absorption states no capacity for it as a whole; state one for the "
                            "region, draw a multiplier (mode multiplicative: each of its units' capacities "
                            f"moved), or name its units: {paths}")
    return (units,)


def _weight_cells(sc: m.Scenario, labels: list[str]) -> tuple[int | np.ndarray, ...]:
    """The impact weights ``objective.impact.weights.<priority>.<region or country>`` moves: the priority's row,
    and the columns of the planning units the region (a region planned in parts: each of its units) covers."""
    priority = (sc.priority_ids.index(labels[0]),) if labels else ()
    return priority + ((sc.units_of(labels[1]),) if len(labels) > 1 else ())


def _source_of_draw(source: m.MatchSource, capacity: np.ndarray) -> m.MatchSource:
    if not source.per_region:
        return dataclasses.replace(source, capacity=m.frozen_array(capacity))
    per_unit, shared = m.unstacked(capacity, source.shared)
    return dataclasses.replace(source, capacity=per_unit, shared=shared)


def scenario_of_draw(sc: m.Scenario, numbers: DrawnNumbers, d: int) -> m.Scenario:
    """The scenario with draw ``d``'s numbers (a copy; ``sc`` is unchanged).

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> numbers = drawn_numbers(sc, np.array([[1.0, 1.0, 0.6, 1.0]]))  # North Africa absorbs 60 %
    >>> scenario_of_draw(sc, numbers, 0).absorption.capacity[0].tolist(), sc.absorption.capacity[0].tolist()
    ([15.0, 15.0], [25.0, 25.0])
    """
    instruments = tuple(
        dataclasses.replace(i, usable=m.frozen_array(np.maximum(numbers.usable[d, n], 0.0)),
                            payment_profile=i.payment_profile if numbers.delay is None or numbers.delay[d, n] <= 0
                            else tuple(float(x) for x in numbers.profile(sc, n)[d]))
        for n, i in enumerate(sc.instruments))
    sources = tuple(_source_of_draw(s, np.maximum(numbers.match[n][d], 0.0)) for n, s in enumerate(sc.match_sources))
    per_unit, shared = m.unstacked(np.maximum(numbers.absorption[d], 0.0), sc.absorption.shared)
    absorption = dataclasses.replace(sc.absorption, capacity=per_unit, shared=shared)
    objective = sc.objective
    if objective.impact is not None and numbers.weights is not None:
        impact = dataclasses.replace(objective.impact, weights=m.frozen_array(np.maximum(numbers.weights[d], 0.0)))
        objective = dataclasses.replace(objective, impact=impact)
    return dataclasses.replace(sc, instruments=instruments, match_sources=sources, absorption=absorption,
                               objective=objective)
