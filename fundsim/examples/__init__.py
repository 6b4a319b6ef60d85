"""Example scenarios: synthetic ones of any size (benchmarks, scale tests)."""

from fundsim.examples.synthetic import synthetic_scenario, synthetic_spec

__all__ = ["synthetic_scenario", "synthetic_spec"]
