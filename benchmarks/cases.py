"""The registry of benchmark cases: the shipped scenarios and synthetic ones swept over size."""

from __future__ import annotations

import csv
import math
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


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)


def print_table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]], title: str, *,
                left: tuple[str, ...] = ("case",), width: int = 200) -> None:
    """Print the columns ``(key, heading, format)`` that some row has, with rich (plain text without it)."""
    columns = [c for c in columns if any(c[0] in row for row in rows)]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text when rich is missing
        print(title)
        print(" | ".join(h for _, h, _ in columns))
        for row in rows:
            print(" | ".join(_cell(row, k, f) for k, _, f in columns))
        return
    table = Table(title=title)
    for key, heading, _ in columns:
        table.add_column(heading, justify="left" if key in left else "right")
    for row in rows:
        table.add_row(*(_cell(row, k, f) for k, _, f in columns))
    Console(width=width).print(table)
