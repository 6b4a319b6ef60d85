"""fundsim: plan public funding with linear programming.

Model financial instruments with their envelopes, eligibility and co-financing rules; solve how to
allocate them across thematic priorities, regions and years; explain the result with shadow prices.

>>> import fundsim as fs
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> alloc = fs.solve(sc)
>>> alloc.objective
130.0
"""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim import plots, sensitivity
    from fundsim._version import __version__
    from fundsim.comparison import compare, read_allocation
    from fundsim.errors import (
        ArgumentError,
        CapabilityError,
        FundsimError,
        FundsimWarning,
        InfeasibleError,
        Problem,
        ScenarioError,
        SolverError,
    )
    from fundsim.lp import LinearProgram, assemble
    from fundsim.model import Scenario
    from fundsim.montecarlo import simulate
    from fundsim.outputs import OutputError
    from fundsim.reporting import report
    from fundsim.results import Allocation, open_allocation
    from fundsim.review import replan
    from fundsim.scenario import load_scenario, scenario_from_dict
    from fundsim.solving import solve

__all__ = [
    "Allocation",
    "ArgumentError",
    "CapabilityError",
    "FundsimError",
    "FundsimWarning",
    "InfeasibleError",
    "LinearProgram",
    "OutputError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "__version__",
    "assemble",
    "compare",
    "load_scenario",
    "open_allocation",
    "plots",
    "read_allocation",
    "replan",
    "report",
    "scenario_from_dict",
    "sensitivity",
    "simulate",
    "solve",
]

__getattr__, __dir__ = attach(__name__, __file__)
