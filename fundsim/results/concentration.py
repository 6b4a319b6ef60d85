"""How much of a plan one amount decides: the most common total per funded priority × region cell.

A plan whose funded cells mostly hold the same amount is decided by whatever number produced that amount (an
impact curve's breakpoint, a target), not by the cells' differences. :func:`cell_concentration` counts it: total
money (EU + co-financing) per priority × region cell, summed over instruments and years, rounded to 0.01 EUR m; the
most common amount among the funded cells, how many cells hold it, and their share of the funded cells.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["Concentration", "cell_concentration"]

FUNDED = 1e-6  # EUR m: a cell with more total money than this is funded (as in fundsim.sensitivity.assumptions)
DECIMALS = 2  # amounts are compared rounded to 0.01 EUR m


@dataclass(frozen=True)
class Concentration:
    """The most common amount of the funded cells.

    ``amount``: the most common total (EUR m, rounded to 0.01; the smallest of equally common ones, NaN when no
    cell is funded); ``cells``: how many funded cells hold it; ``funded``: how many cells are funded; ``share``:
    ``cells / funded`` (0 when none is funded).

    Examples
    --------
    >>> Concentration(5.0, 3, 12, 0.25).share
    0.25
    """

    amount: float
    cells: int
    funded: int
    share: float


def _cell_totals(plan: Any) -> np.ndarray:
    """Total money per priority × region cell of an Allocation, a ``total`` DataArray or a cube of cell totals."""
    data = getattr(plan, "data", None)
    total = data["total"] if isinstance(data, xr.Dataset) else plan
    dims = getattr(total, "dims", None)
    if dims is not None:
        others = tuple(d for d in dims if d not in ("priority", "region"))
        return np.asarray(total.sum(others).values, dtype=float) if others else np.asarray(total.values, float)
    return np.asarray(total, dtype=float)


def cell_concentration(plan: Any) -> Concentration:
    """The most common total of the funded priority × region cells of ``plan``.

    Parameters
    ----------
    plan : an :class:`~fundsim.results.Allocation` (its ``total`` summed over instruments and years), a DataArray
        of total money with ``priority`` and ``region`` among its dims (the other dims are summed), or an array of
        cell totals (EUR m).

    Returns
    -------
    Concentration

    Examples
    --------
    Six cells, five funded; three of them hold 5.0 (5.004 rounds to 5.0):

    >>> cell_concentration([[5.0, 5.004, 0.0], [5.0, 2.5, 7.25]])
    Concentration(amount=5.0, cells=3, funded=5, share=0.6)
    """
    totals = _cell_totals(plan).ravel()
    funded = np.round(totals[totals > FUNDED], DECIMALS)
    if funded.size == 0:
        return Concentration(float("nan"), 0, 0, 0.0)
    counts = Counter(float(x) + 0.0 for x in funded)  # + 0.0 folds -0.0 into 0.0
    top = max(counts.values())
    amount = min(x for x, n in counts.items() if n == top)
    return Concentration(amount, top, int(funded.size), top / funded.size)
