"""Figures that label themselves from the data's attrs (``long_name`` and ``units``)."""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.plots.allocation import shadow_price_bars
    from fundsim.plots.compare import difference_heatmap, flow_chart, stacked_bars
    from fundsim.plots.frontier import frontier_chart, pareto_chart
    from fundsim.plots.montecarlo import binding_bars, distribution, fan_chart, shadow_price_box
    from fundsim.plots.sensitivity import morris_scatter, sobol_bars, sweep_plot, tornado_chart

__all__ = ["binding_bars", "difference_heatmap", "distribution", "fan_chart", "flow_chart", "frontier_chart",
           "morris_scatter", "pareto_chart", "shadow_price_bars", "shadow_price_box", "sobol_bars", "stacked_bars",
           "sweep_plot", "tornado_chart"]

__getattr__, __dir__ = attach(__name__, __file__)
