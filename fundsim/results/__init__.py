"""Labelled results: the Allocation, its shadow prices, summaries and export."""

from fundsim.results.allocation import Allocation, allocation_dataset, open_allocation
from fundsim.results.label import block_array, relaxation_duals, shadow_prices

__all__ = ["Allocation", "allocation_dataset", "block_array", "open_allocation", "relaxation_duals",
           "shadow_prices"]
