"""Labelled results: the Allocation, its shadow prices and their ranging, summaries, export, explanation
(:meth:`Allocation.explain`, in :mod:`fundsim.results.explain`)."""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.results.allocation import Allocation, allocation_dataset, open_allocation
    from fundsim.results.concentration import Concentration, cell_concentration
    from fundsim.results.label import block_array, ranging_dataset, relaxation_duals, shadow_prices

__all__ = ["Allocation", "Concentration", "allocation_dataset", "block_array", "cell_concentration",
           "open_allocation", "ranging_dataset", "relaxation_duals", "shadow_prices"]

__getattr__, __dir__ = attach(__name__, __file__)
