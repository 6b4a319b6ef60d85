"""Domain objects of fundsim. This package imports nothing else of fundsim."""

from fundsim.model.entities import (
    CofinancingException,
    CofinancingRule,
    Instrument,
    MatchSource,
    Pillar,
    Priority,
    Region,
    frozen_array,
)
from fundsim.model.rules import (
    Cap,
    GeographicFocus,
    GoalTerm,
    ImpactTerm,
    LeverageTerm,
    Limit,
    MinPackage,
    Objective,
    PillarBalance,
    Rules,
    Selector,
    Target,
)
from fundsim.model.scenario import Absorption, Scenario
from fundsim.model.uncertainty import Distribution, Factor, UncertainParameter, Uncertainty

__all__ = [
    "Absorption",
    "Cap",
    "CofinancingException",
    "CofinancingRule",
    "Distribution",
    "Factor",
    "GeographicFocus",
    "GoalTerm",
    "ImpactTerm",
    "Instrument",
    "LeverageTerm",
    "Limit",
    "MatchSource",
    "MinPackage",
    "Objective",
    "Pillar",
    "PillarBalance",
    "Priority",
    "Region",
    "Rules",
    "Scenario",
    "Selector",
    "Target",
    "UncertainParameter",
    "Uncertainty",
    "frozen_array",
]
