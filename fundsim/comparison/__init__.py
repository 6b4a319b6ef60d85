"""Compare allocations: read actual or proposed ones from files, measure them, set them beside the optimum and
explain the gap by the rules that bind.

>>> import fundsim as fs
>>> from fundsim.comparison import compare
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> compare(fs.solve(sc)).metrics.loc["pillar share: development", "optimum"]
np.float64(25.0)
"""

from fundsim.comparison import metrics
from fundsim.comparison.attribution import Attribution, attribute, lp_point
from fundsim.comparison.comparison import Comparison, ComparisonError, compare
from fundsim.comparison.metrics import objective_value
from fundsim.comparison.read import AllocationFileError, read_allocation

__all__ = [
    "AllocationFileError",
    "Attribution",
    "Comparison",
    "ComparisonError",
    "attribute",
    "compare",
    "lp_point",
    "metrics",
    "objective_value",
    "read_allocation",
]
