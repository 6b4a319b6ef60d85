"""Read an actual or proposed allocation from a CSV or Excel file, checked against a scenario's labels.

Three layouts are understood; the first row of a table (or sheet) names its columns.

**Long** (CSV or Excel): one row per commitment::

    instrument,priority,region,year,amount,cofinancing,source
    tpma,return,north_africa,2009,10,2.5,call 2009 lot 1
    enpi,mobility,eastern_partnership,2010,20,,

``amount`` is EU money in EUR million (also read as ``eu``, ``eu_amount``, ``eu_commitment``,
``commitment``); ``cofinancing`` (also ``cofin``, ``co-financing``, ``match``) is optional, and where it is
left blank the cell's co-financing follows the scenario's rule (``eu·(1 − s)/s``). Column names are
case-insensitive and may carry a unit in brackets (``Amount (EUR m)``). Other columns (``source``,
``notes``, the ``total`` and ``payments`` that :meth:`Allocation.to_csv <fundsim.Allocation.to_csv>` writes)
are ignored, so a file written by fundsim reads back.

**Wide by year** (CSV or Excel): one row per instrument × priority × region, one column per year::

    instrument,priority,region,2009,2010
    tpma,return,north_africa,10,12.5

**Grid** (Excel only): one sheet per instrument and year, named ``"<instrument> <year>"`` (e.g.
``tpma 2009``), with regions down the first column and priorities across the first row — the table a
desk officer keeps. A row or column headed ``total`` is ignored. Blank cells in the wide layouts are 0.

Labels are matched to the scenario's ids ignoring case. Every problem of a file — unknown labels (with the
closest valid ones), years outside the horizon, missing, non-numeric or negative amounts, duplicate
cells, missing columns — is collected and raised at once as :class:`AllocationFileError`. Money above a
usable envelope or in a cell the scenario makes ineligible is *not* a file error: an actual programme may
break the scenario's rules, and :func:`fundsim.comparison.compare` scores that as compliance. It is kept,
noted in ``data.attrs["envelope_check"]`` and announced by a :class:`~fundsim.FundsimWarning`.

**What is refused before any layout is read** (docs/allocation-files.md has the table): a path that is not
a regular file (a folder, or a named pipe, which would make the reader wait forever), checked with
``os.stat`` before opening; a file above ``file_bytes``; a workbook whose zip members unpack to more than
``xlsx_uncompressed_bytes`` (measured with :mod:`zipfile` before openpyxl opens it); a CSV file holding a NUL
byte or bytes that are neither UTF-8 nor Windows-1252; a cell above ``cell_chars`` characters or holding a
NUL character; an integer of more than ``integer_digits`` digits; more than ``labels`` rows; a worksheet of
more than ``sheet_cells`` cells (rows counted to their last filled cell) or with rows beyond Excel's last.
Each limit is in :mod:`fundsim.limits`, and the message says how to raise it
(``FUNDSIM_LIMIT_<NAME>=…`` or ``with fundsim.limits.raised(<name>=…)``).

**Formulas**: a workbook's cells are read as the values Excel or LibreOffice cached when saving the file. A
formula cell *without* a cached value — what a script writing formulas with openpyxl leaves — is refused,
naming the sheet and the cells, instead of being read as empty (0): open the file in Excel or LibreOffice and
save it, or write numbers.

**Kinds of file**: a ``.nc`` file is opened with :func:`fundsim.open_allocation`, which says what a file is
when it is not an allocation (a Monte Carlo run written by ``fundsim simulate``, a sensitivity study, a
NetCDF file without ``eu``).
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from fundsim._version import __version__
from fundsim.comparison.files import AllocationFileError, Entry, Reader, check_path, duplicates, parse, read_tables
from fundsim.comparison.metrics import objective_value
from fundsim.errors import FundsimWarning, Problem
from fundsim.model import Scenario
from fundsim.results import Allocation, allocation_dataset, open_allocation
from fundsim.results.inputs import as_path, wrong_type
from fundsim.rules.envelope import available_of
from fundsim.rules.fields import suggest
from fundsim.solving import as_scenario

__all__ = ["AllocationFileError", "read_allocation"]


# ---- the allocation -----------------------------------------------------------------------------------
def _rule_notes(sc: Scenario, eu: np.ndarray) -> list[str]:
    """Money above a usable envelope or outside eligibility, in words (compliance, not file errors)."""
    notes = []
    committed = eu.sum(axis=(1, 2))
    available = available_of(sc, eu)
    for n, ins in enumerate(sc.instruments):
        for y, year in enumerate(sc.years):
            if committed[n, y] > available[n, y] + 1e-6:
                more = available[n, y] - ins.usable[y]
                notes.append(f"{ins.id} commits {committed[n, y]:.3f} in {year}, above its usable envelope of "
                             f"{ins.usable[y]:.3f}" + (f" and the {more:.3f} carried in" if more > 1e-9 else ""))
    outside = (eu > 0) & ~sc.eligible
    if outside.any():
        i, p, r, y = np.argwhere(outside)[0]
        n = int(outside.sum())
        notes.append(f"EU money in {n} cell{'s' if n != 1 else ''} the scenario makes ineligible (EUR "
                     f"{eu[outside].sum():.3f} m), e.g. {sc.instrument_ids[i]} for {sc.priority_ids[p]} in "
                     f"{sc.region_ids[r]} in {sc.years[y]}")
    return notes


def _allocation(sc: Scenario, entries: list[Entry], path: Path, name: str) -> Allocation:
    shape = (len(sc.instruments), len(sc.priorities), len(sc.regions), len(sc.years))
    eu, given = np.zeros(shape), np.full(shape, np.nan)
    for e in entries:
        eu[e.cell], given[e.cell] = e.eu, e.cofin
    data = allocation_dataset(sc, eu)
    if np.isfinite(given).any():
        cofin = np.where(np.isnan(given), data["cofin"].values, given)
        data["cofin"] = data["cofin"].copy(data=cofin)
        data["total"] = data["total"].copy(data=eu + cofin)
    notes = _rule_notes(sc, eu)
    data.attrs.update(_metadata(sc, eu, path, name, notes))
    _warn(path, notes)
    return Allocation(data, xr.Dataset(attrs=dict(data.attrs)), scenario=sc)


def _metadata(sc: Scenario, eu: np.ndarray, path: Path, name: str, notes: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "scenario": sc.name,
        "scenario_hash": sc.digest,
        "scenario_file": sc.source_file or "",
        "source_file": str(path),
        "solver": "none (read from a file)",
        "solver_version": "",
        "status": "external",
        "objective": objective_value(sc, eu),
        "sense": "maximise" if sc.objective.sense == "max" else "minimise",
        "envelope_check": "; ".join(notes) if notes else "within every usable envelope and eligible cell",
        "fundsim_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def _label_problems(path: Path, data: xr.Dataset, sc: Scenario) -> list[Problem]:
    """Labels of a stored allocation that are not the scenario's, and scenario labels it lacks."""
    found = []
    for dim, labels in sc.coords().items():
        if dim not in data.coords:
            found.append(Problem(str(path), None, f"coordinate {dim!r}", f"the file has no {dim} coordinate: it "
                                 "is not an allocation written by fundsim"))
            continue
        have, valid = {str(v) for v in data[dim].values}, [str(v) for v in labels]
        found += [Problem(str(path), None, f"coordinate {dim!r}", suggest(x, valid, dim))
                  for x in sorted(have - set(valid))]
        lacking = [x for x in valid if x not in have]
        if lacking:
            found.append(Problem(str(path), None, f"coordinate {dim!r}", f"the file lacks the scenario's {dim} "
                                 f"labels {', '.join(lacking)}: it was written for another scenario"))
    return found


def _read_netcdf(path: Path, sc: Scenario, name: str) -> Allocation:
    """An allocation saved to NetCDF by fundsim, checked against the scenario's labels and put in its order.

    Its shadow prices are kept; ``objective`` is re-evaluated under ``sc`` (the stored value is kept as
    ``objective_as_stored``).
    """
    stored = open_allocation(path)  # says what the file is when it is not an allocation
    problems = _label_problems(path, stored.data, sc)
    if problems:
        raise AllocationFileError(problems)
    data = stored.data.sel({d: list(c) for d, c in sc.coords().items()})
    eu = np.asarray(data["eu"].transpose("instrument", "priority", "region", "year").values, dtype=float)
    notes = _rule_notes(sc, eu)
    data.attrs.update(name=name, source_file=str(path), objective_as_stored=data.attrs.get("objective", np.nan),
                      objective=objective_value(sc, eu),
                      envelope_check="; ".join(notes) if notes else "within every usable envelope and eligible cell")
    _warn(path, notes)
    return Allocation(data, stored.duals, scenario=sc)


def _warn(path: Path, notes: list[str]) -> None:
    if notes:
        warnings.warn(f"{path}: the allocation breaks the scenario's envelopes or eligibility (kept as read; "
                      f"fs.compare scores compliance): " + "; ".join(notes), FundsimWarning, stacklevel=4)


def read_allocation(path: str | os.PathLike[str], scenario: Scenario | str | os.PathLike[str], *,
                    sheet: str | None = None, name: str | None = None) -> Allocation:
    """Read an allocation from a CSV or Excel file (long, wide-by-year or grid layout; see the module), or
    one fundsim saved to NetCDF (``.nc``: its labels are checked, its shadow prices kept).

    A workbook's cells are read as the values cached when it was saved; a formula cell without one is
    refused (naming sheet and cell), never read as 0. Files that are not regular files, and files or cells
    over the limits of :mod:`fundsim.limits` (``file_bytes``, ``xlsx_uncompressed_bytes``, ``cell_chars``,
    ``integer_digits``, ``labels``, ``sheet_cells``), are refused before they are parsed; see the module and
    docs/allocation-files.md.

    Parameters
    ----------
    path : a ``.csv``, ``.xlsx``, ``.xlsm`` or ``.nc`` file (a ``str`` or ``os.PathLike``)
    scenario : the scenario whose labels (instruments, priorities, regions, years) the file uses, or the
        path of its file
    sheet : the sheet to read from a workbook (default: ``allocation``, else every ``"<instrument> <year>"``
        grid sheet, else the first sheet)
    name : what to call the allocation in comparisons (default: the file name without its suffix)

    Returns
    -------
    Allocation
        status ``"external"``, ``objective`` evaluated by :func:`~fundsim.comparison.metrics.objective_value`,
        no shadow prices; ``data.attrs`` carries ``name`` and ``source_file``.

    Raises
    ------
    TypeError
        when ``path``, ``scenario``, ``sheet`` or ``name`` is of the wrong kind (the message names it)
    AllocationFileError
        listing every problem of the file at once, each with file, line or Sheet!cell and what is valid;
        for a file over a limit, what the limit is and how to raise it; for a ``.nc`` file that is not an
        allocation, what it is instead.

    Warns
    -----
    FundsimWarning
        when money lies above a usable envelope or in an ineligible cell (kept: it is a compliance matter).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.comparison import read_allocation
    >>> sc = fs.load_scenario("scenarios/gam-2008.yaml")
    >>> alloc = read_allocation("scenarios/gam-2008-as-programmed.csv", sc)
    >>> alloc.status, alloc.data.attrs["name"]
    ('external', 'gam-2008-as-programmed')
    """
    path, scenario = as_path(path), as_scenario(scenario)
    for parameter, value in (("sheet", sheet), ("name", name)):
        if value is not None and not isinstance(value, str):
            raise wrong_type(parameter, value, "a string or None")
    suffix = check_path(path, sheet)
    if suffix == ".nc":
        return _read_netcdf(path, scenario, name or path.stem)
    reader = Reader(scenario)
    entries = [e for table in read_tables(path, suffix, sheet) for e in parse(table, reader)]
    reader.report_unknown()
    problems = reader.problems + duplicates(entries)
    if problems:
        raise AllocationFileError(problems)
    return _allocation(scenario, entries, path, name or path.stem)
