"""Shared fixtures: paths to the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def tutorial_path() -> Path:
    return SCENARIOS / "tutorial.yaml"


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Docstring examples and tests use paths relative to the project root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(autouse=True)
def _every_solve_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every allocation any test produces (fs.solve, the CLI, examples) is re-checked against every rule
    of its scenario by the solver-independent checker before the test sees it."""
    from fundsim.results.allocation import Allocation
    from fundsim.testing import assert_allocation_feasible

    label = Allocation.from_solution.__func__  # type: ignore[attr-defined]

    def checked(cls: type[Allocation], sc, lp, result):  # type: ignore[no-untyped-def]
        alloc = label(cls, sc, lp, result)
        assert_allocation_feasible(sc, alloc, exact_cofinancing=True)
        return alloc

    monkeypatch.setattr(Allocation, "from_solution", classmethod(checked))
