"""The ``fundsim`` command.

Exit codes: 0 success; 2 bad input (a malformed scenario, a missing file, a wrong option);
3 infeasible scenario (the rules cannot all hold); 4 the solver failed for another reason.
"""

from fundsim.cli import core, sensitivity, workbook  # noqa: F401  (each module adds its commands to the app)
from fundsim.cli.common import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_OK, EXIT_SOLVER, app

__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "EXIT_OK", "EXIT_SOLVER", "app"]
