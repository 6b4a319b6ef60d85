"""The registry of benchmark cases: the shipped scenarios and synthetic ones swept over size."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fundsim as fs
from fundsim.examples import synthetic_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# (regions, instruments, priorities, years)
SYNTHETIC: dict[str, tuple[int, int, int, int]] = {
    "small": (20, 6, 8, 5),
    "medium": (60, 10, 12, 7),
    "large": (150, 12, 15, 7),
}


@dataclass(frozen=True)
class Case:
    """A named scenario to time; ``make`` builds it (not timed)."""

    name: str
    make: Callable[[], fs.Scenario]
    description: str


def synthetic_case(size: str, seed: int = 0) -> fs.Scenario:
    """The synthetic scenario registered under ``size`` (small, medium, large)."""
    return synthetic_scenario(*SYNTHETIC[size], seed=seed)


def registry() -> dict[str, Case]:
    """Every case this checkout can run, smallest first (the reference only when its file exists)."""
    cases = {"tutorial": Case("tutorial", lambda: fs.load_scenario(SCENARIOS / "tutorial.yaml"),
                              "scenarios/tutorial.yaml, worked by hand")}
    reference = SCENARIOS / "gam-2008.yaml"
    if reference.exists():
        cases["reference"] = Case("reference", lambda: fs.load_scenario(reference), "scenarios/gam-2008.yaml")
    for name, size in SYNTHETIC.items():
        cases[name] = Case(name, lambda name=name: synthetic_case(name),
                           "synthetic {}×{}×{}×{} (regions×instruments×priorities×years)".format(*size))
    return cases


RESULTS = Path(__file__).resolve().parent / "results"


def write_rows(name: str, rows: list[dict[str, Any]], env: dict[str, str]) -> Path:
    """Write benchmark rows (each with the run's environment appended) to ``results/<name>.csv``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.csv"
    keys = list(dict.fromkeys(k for row in rows for k in row)) + list(env)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **env})
    return path
