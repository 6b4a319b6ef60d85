"""The public API is small and listed explicitly."""

from __future__ import annotations

import fundsim as fs

EXPECTED = {
    "Allocation", "ArgumentError", "CapabilityError", "FundsimError", "FundsimWarning", "InfeasibleError",
    "LinearProgram",
    "OutputError", "Problem", "Scenario", "ScenarioError", "SolverError", "__version__", "assemble", "compare",
    "load_scenario", "open_allocation", "plots", "read_allocation", "replan", "report", "scenario_from_dict",
    "sensitivity", "simulate", "solve",
}


def test_all_is_explicit_and_complete() -> None:
    assert set(fs.__all__) == EXPECTED
    for name in fs.__all__:
        assert hasattr(fs, name), name


def test_public_names_have_docstrings() -> None:
    for name in fs.__all__:
        if name != "__version__":
            assert getattr(fs, name).__doc__, f"{name} has no docstring"


def test_exceptions_form_one_tree() -> None:
    assert issubclass(fs.ScenarioError, fs.FundsimError)
    assert issubclass(fs.ScenarioError, ValueError)
    assert issubclass(fs.InfeasibleError, fs.FundsimError)
    assert issubclass(fs.SolverError, fs.FundsimError)
    assert not issubclass(fs.FundsimError, BaseException) or issubclass(fs.FundsimError, Exception)
