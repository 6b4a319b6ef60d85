"""One self-contained HTML report of a scenario: its allocation, binding rules and shadow prices, a
comparison with other allocations and Monte Carlo summaries, figures embedded.

>>> import fundsim as fs
>>> sc = fs.load_scenario("scenarios/tutorial.yaml")
>>> text = fs.report(sc)
>>> all(f'id="{s}"' in text for s in ("scenario", "allocation", "binding-rules"))
True
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from fundsim._version import __version__
from fundsim.model import Scenario
from fundsim.outputs import atomic_file
from fundsim.reporting.pages import Section, page
from fundsim.reporting.sections import (
    allocation_section,
    comparison_of,
    comparison_section,
    ledger_section,
    overview_section,
    rules_section,
    simulation_section,
)
from fundsim.results import Allocation

__all__ = ["report"]


def report(scenario: Scenario, allocation: Allocation | None = None, *, compare: Sequence[Allocation] = (),
           simulation: xr.Dataset | None = None, out: str | Path | None = None, title: str | None = None) -> str:
    """The HTML report of ``scenario`` (its optimum is solved unless ``allocation`` is given).

    Parameters
    ----------
    scenario : a :class:`~fundsim.Scenario` or the path of a scenario file
    compare : other allocations of the scenario (e.g. read with :func:`fundsim.read_allocation`), compared
        with the optimum: metrics, rule violations, attribution of the gap, figures
    simulation : a Monte Carlo run (:func:`fundsim.simulate`, or opened from its Zarr store)
    out : also write the page there (UTF-8), atomically: an interrupted write leaves the old file or none

    Returns
    -------
    The page's HTML text: one file with every figure embedded as PNG.
    """
    from fundsim.solving import as_scenario, solve

    scenario = as_scenario(scenario)
    if allocation is None:
        allocation = solve(scenario)
    sections: list[Section] = [overview_section(scenario), allocation_section(allocation), ledger_section(allocation),
                               rules_section(allocation)]
    if compare:
        sections.append(comparison_section(comparison_of(allocation, compare, scenario)))
    if simulation is not None:
        sections.append(simulation_section(simulation, scenario))
    meta = {"scenario": scenario.name, "file": scenario.source_file or "", "scenario hash": scenario.digest,
            "fundsim": __version__, "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    text = page(title or f"fundsim report: {scenario.name}", meta, sections)
    if out is not None:
        with atomic_file(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return text
