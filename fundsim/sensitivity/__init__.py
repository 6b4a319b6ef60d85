"""Sensitivity studies and trade-offs: sweeps, tornado, Sobol/Morris, budget frontier, Pareto front, and the
ranking of a scenario's assumptions.

>>> import fundsim as fs
>>> from fundsim import sensitivity
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> sensitivity.sweep(sc, "instruments.tpma.envelope", [0.5, 1.0], relative=True)["objective"].values.tolist()
[110.0, 130.0]
"""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.sensitivity.assumption_ranks import assumptions
    from fundsim.sensitivity.frontier import Frontier, budget_frontier, scaled_scenario
    from fundsim.sensitivity.gsa import morris, sobol
    from fundsim.sensitivity.outputs import parse_outputs, valid_outputs
    from fundsim.sensitivity.pareto import OBJECTIVES, ParetoFront, objective_values, pareto_front
    from fundsim.sensitivity.sweeps import resolve_path, sweep
    from fundsim.sensitivity.tornadoes import tornado, tornado_study

__all__ = ["OBJECTIVES", "Frontier", "ParetoFront", "assumptions", "budget_frontier", "morris", "objective_values",
           "pareto_front", "parse_outputs", "resolve_path", "scaled_scenario", "sobol", "sweep", "tornado",
           "tornado_study", "valid_outputs"]

__getattr__, __dir__ = attach(__name__, __file__)
