"""Monte Carlo: a scenario's plans under uncertainty (designs, seed contract, re-optimisation per draw)."""

from fundsim.montecarlo.design import DESIGNS, parameter_values, unit_design
from fundsim.montecarlo.numbers import DrawnNumbers, drawn_numbers, scenario_of_draw
from fundsim.montecarlo.options import MODES, Evaluation, Sampling, Storage
from fundsim.montecarlo.reoptimise import Reoptimiser
from fundsim.montecarlo.run import Interrupted, run_chunk, run_values, simulate
from fundsim.montecarlo.store import open_run
from fundsim.montecarlo.summaries import binding_frequency, chance, exceedance, expected, summary, target_probabilities

__all__ = [
    "DESIGNS", "MODES", "DrawnNumbers", "Evaluation", "Interrupted", "Reoptimiser", "Sampling", "Storage",
    "binding_frequency", "chance", "drawn_numbers", "exceedance", "expected", "open_run", "parameter_values",
    "run_chunk", "run_values", "scenario_of_draw", "simulate", "summary", "target_probabilities", "unit_design",
]
