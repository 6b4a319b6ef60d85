"""Monte Carlo: a scenario's plans under uncertainty (designs, seed contract, re-optimisation per draw)."""

from fundsim.montecarlo.design import DESIGNS, parameter_values, unit_design
from fundsim.montecarlo.numbers import DrawnNumbers, drawn_numbers, scenario_of_draw
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.montecarlo.run import MODES, Interrupted, run_chunk, simulate
from fundsim.montecarlo.store import open_run
from fundsim.montecarlo.summaries import binding_frequency, exceedance, summary, target_probabilities

__all__ = [
    "DESIGNS", "MODES", "DrawnNumbers", "Interrupted", "Reoptimiser", "binding_frequency", "drawn_numbers",
    "exceedance", "open_run", "parameter_values", "run_chunk", "scenario_of_draw", "simulate", "summary",
    "target_probabilities", "unit_design",
]
