"""fundsim: plan public funding with linear programming.

Model financial instruments with their envelopes, eligibility and co-financing rules; solve how to
allocate them across thematic priorities, regions and years; explain the result with shadow prices.

>>> import fundsim as fs
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> alloc = fs.solve(sc)
>>> alloc.objective
130.0
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fundsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from fundsim.errors import FundsimError, FundsimWarning, InfeasibleError, Problem, ScenarioError, SolverError
from fundsim.lp import LinearProgram, assemble
from fundsim.model import Scenario
from fundsim.results import Allocation, open_allocation
from fundsim.scenario import load_scenario, scenario_from_dict
from fundsim.solve import solve

__all__ = [
    "Allocation",
    "FundsimError",
    "FundsimWarning",
    "InfeasibleError",
    "LinearProgram",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "__version__",
    "assemble",
    "load_scenario",
    "open_allocation",
    "scenario_from_dict",
    "solve",
]
