"""Policy rules stated in domain words (16041/08 §4, §8, §11, §21) and the objective.

A :class:`Selector` names a slice of the allocation cube ``(instrument, priority, region, year)``;
pillars and region groups are resolved into priorities and regions when the scenario is made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Cap",
    "GeographicFocus",
    "GoalTerm",
    "ImpactTerm",
    "LeverageTerm",
    "Limit",
    "MinPackage",
    "Objective",
    "PillarBalance",
    "Rules",
    "Selector",
    "Target",
]


_PLURAL = {"instrument": "instruments", "priority": "priorities", "region": "regions", "year": "years"}


@dataclass(frozen=True)
class Selector:
    """A slice of the allocation: ``None`` on a dimension means every label on it."""

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
    """Share of all EU commitments going to one pillar stays within [min_share, max_share] (§4)."""

    pillar: str
    min_share: float | None = None
    max_share: float | None = None


@dataclass(frozen=True)
class GeographicFocus:
    """At least ``min_share`` (at most ``max_share``) of EU commitments go to ``regions`` (§21)."""

    id: str
    regions: frozenset[str]
    min_share: float | None = None
    max_share: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Limit:
    """EU commitments over the period to one region or one priority stay within [min, max] EUR m."""

    label: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class MinPackage:
    """A mobility-partnership region receives at least ``amount`` EUR m over the period (§11).

    ``priorities`` restricts what counts towards the package (``None``: every priority).
    """

    region: str
    amount: float
    priorities: frozenset[str] | None = None


@dataclass(frozen=True)
class Cap:
    """EU commitments in a slice stay within [min, max] EUR m, over the period or in each year."""

    id: str
    selector: Selector
    min: float | None = None
    max: float | None = None
    per_year: bool = False


@dataclass(frozen=True)
class Rules:
    """All policy rules of a scenario, one tuple per rule family."""

    pillar_balance: tuple[PillarBalance, ...] = ()
    geographic_focus: tuple[GeographicFocus, ...] = ()
    region_limits: tuple[Limit, ...] = ()
    priority_limits: tuple[Limit, ...] = ()
    min_packages: tuple[MinPackage, ...] = ()
    caps: tuple[Cap, ...] = ()


@dataclass(frozen=True, eq=False)
class ImpactTerm:
    """Weighted impact with diminishing returns.

    The money reaching a ``(priority, region)`` cell over the period (EU or total cost, by ``basis``)
    earns ``weights[p, r] * slopes[k]`` per EUR m on segment k; segment k runs from
    ``breakpoints[k-1]`` to ``breakpoints[k]`` (0 and infinity at the ends). Slopes never rise, so
    the impact curve is concave and a maximising LP fills the segments in order.
    """

    weights: np.ndarray
    breakpoints: tuple[float, ...] = ()
    slopes: tuple[float, ...] = (1.0,)
    basis: str = "total"
    weight: float = 1.0


@dataclass(frozen=True)
class LeverageTerm:
    """Rewards co-financing mobilised: ``weight`` objective units per EUR m of match."""

    weight: float = 1.0


@dataclass(frozen=True)
class Target:
    """A goal: at least ``amount`` EUR m of EU commitments in a slice; each EUR m short costs ``weight``."""

    id: str
    selector: Selector
    amount: float
    weight: float = 1.0


@dataclass(frozen=True)
class GoalTerm:
    """Goal programming: weighted shortfall against targets, subtracted from the objective."""

    targets: tuple[Target, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Objective:
    """What "best" means. With only goals, the LP minimises the weighted shortfall; otherwise it
    maximises ``impact + leverage - goals``."""

    impact: ImpactTerm | None = None
    leverage: LeverageTerm | None = None
    goals: GoalTerm | None = None

    @property
    def sense(self) -> str:
        """``"max"`` or ``"min"`` (goal programming alone minimises the shortfall)."""
        return "min" if self.impact is None and self.leverage is None else "max"
