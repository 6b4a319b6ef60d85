"""Figures that label themselves from the data's attrs (``long_name`` and ``units``)."""

from fundsim.plots.montecarlo import binding_bars, distribution, fan_chart, shadow_price_box

__all__ = ["binding_bars", "distribution", "fan_chart", "shadow_price_box"]
