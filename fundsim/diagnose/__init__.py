"""Why a scenario is infeasible, in the rules' own words, and the least change that makes it feasible.

Two parts: cheap checks on the scenario alone (:mod:`fundsim.diagnose.checklist`), and the elastic relaxation
of its linear programme (:mod:`fundsim.diagnose.elastic`), whose slacks are translated back into the user's
numbers (:mod:`fundsim.diagnose.repairs`): "lower the minimum share of the pillar 'legal' from 90 % to
83.3 %", "raise the usable envelope of 'enpi' in 2010 from EUR 20.0 m by EUR 5.0 m to EUR 25.0 m".
:func:`diagnose` gives both as a :class:`Diagnosis`; :func:`repair` applies one of its alternatives.
"""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.diagnose.checklist import checks, quick_checks
    from fundsim.diagnose.diagnosis import diagnose, repair
    from fundsim.diagnose.repairs import Diagnosis, Repair

__all__ = ["Diagnosis", "Repair", "checks", "diagnose", "quick_checks", "repair"]

__getattr__, __dir__ = attach(__name__, __file__)
