"""What every rule family's rows are built from: the eligible cells as index arrays, and helpers to turn
keys into unique rows and selectors into cell masks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundsim.model import Scenario, Selector

__all__ = ["MONEY", "NONE", "YES_NO", "Cells", "mask", "payment_profiles", "unique_rows"]

MONEY = "objective per EUR m"
NONE = 1e-6  # EUR m: less money in a cell counts as none (an instrument funding it, a cell opened)
YES_NO = "1 = yes, 0 = no"


@dataclass(frozen=True, eq=False)
class Cells:
    """The eligible cells, as index arrays into (instrument, priority, region, year), and their columns.

    Examples
    --------
    >>> import numpy as np
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules.program import ProgramBuilder
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cells = define_eu(ProgramBuilder(), sc)
    >>> cells.n, np.unique(cells.k)  # 20 eligible cells; TPMA's mobilise 0.25 per EUR m (at most 80 % EU)
    (20, array([0.  , 0.25]))
    """

    i: np.ndarray
    p: np.ndarray
    r: np.ndarray
    y: np.ndarray
    col: np.ndarray  # column of eu for each cell
    k: np.ndarray  # co-financing per EUR m of EU money

    @property
    def n(self) -> int:
        return len(self.i)


def unique_rows(keys: tuple[np.ndarray, ...], shape: tuple[int, ...]) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct key tuples (in C order of ``shape``) and, per element, the row of its tuple.

    Keys index small label dims, so a dense table of ``prod(shape)`` flags does it in linear time.

    Examples
    --------
    >>> import numpy as np
    >>> (a, b), row = unique_rows((np.array([1, 0, 1]), np.array([0, 1, 0])), (2, 2))
    >>> a, b, row  # two distinct keys, (0, 1) and (1, 0); the first and last element share a row
    (array([0, 1]), array([1, 0]), array([1, 0, 1]))
    """
    flat = np.ravel_multi_index(keys, shape)
    present = np.zeros(int(np.prod(shape)), dtype=bool)
    present[flat] = True
    row_of = np.cumsum(present) - 1
    return np.unravel_index(np.flatnonzero(present), shape), row_of[flat]


def mask(sel: Selector, sc: Scenario, cells: Cells) -> np.ndarray:
    """Which eligible cells a selector covers.

    Examples
    --------
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.model import Selector
    >>> from fundsim.rules.program import ProgramBuilder
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cells = define_eu(ProgramBuilder(), sc)
    >>> int(mask(Selector(regions=frozenset({"eastern_partnership"})), sc, cells).sum())  # TPMA 3 + ENPI 2, 2 years
    10
    """
    return (
        sel.vector("instrument", sc.instrument_ids)[cells.i]
        & sel.vector("priority", sc.priority_ids)[cells.p]
        & sel.vector("region", sc.region_ids)[cells.r]
        & sel.vector("year", sc.years)[cells.y]
    )


def payment_profiles(sc: Scenario) -> np.ndarray:
    """``profile[i, l]``: share of instrument i's commitments falling due l years later (zero-padded).

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["instruments"][0]["payment_profile"] = [0.5, 0.3, 0.2]
    >>> payment_profiles(fs.scenario_from_dict(raw))  # tpma, then enpi (all paid in the first year)
    array([[0.5, 0.3, 0.2],
           [1. , 0. , 0. ]])
    """
    longest = max(len(ins.payment_profile) for ins in sc.instruments)
    profile = np.zeros((len(sc.instruments), longest))
    for n, ins in enumerate(sc.instruments):
        profile[n, : len(ins.payment_profile)] = ins.payment_profile
    return profile
