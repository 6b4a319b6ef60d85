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
