"""What fundsim checks about the things a user hands it: arguments of the public functions, files to read and
what kind of file a stored result is.

Every refusal names the parameter or the file, what it got and what would be valid:

- :func:`wrong_type` builds the ``TypeError`` a public function raises for an argument of the wrong kind;
  :func:`as_path` accepts ``str`` and ``os.PathLike``;
- :func:`check_file` refuses, *before opening*, a path that is missing, a folder, not a regular file (a
  named pipe would make the reader wait forever) or larger than the limit ``file_bytes``
  (:mod:`fundsim.limits`);
- :func:`open_stored` opens a NetCDF file fundsim wrote and :func:`recognise` says what it is when it is not
  an allocation (a Monte Carlo run, a sensitivity study, another program's file).

Problems are raised as :class:`AllocationFileError` (a ``ValueError``; the CLI exits 2).

Examples
--------
>>> as_path(None, "plan")
Traceback (most recent call last):
...
TypeError: plan: got None; give a path (a str or pathlib.Path)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import xarray as xr

from fundsim import limits
from fundsim.errors import FundsimError, Problem
from fundsim.outputs import is_fundsim_store

__all__ = ["AllocationFileError", "as_path", "check_file", "open_stored", "recognise", "wrong_type"]

MAX_SHOWN = 40
CUBE = ("instrument", "priority", "region", "year")
STORED = ("eu", "cofin", "total", "payments", "eligible")
WRITE_ONE = "write one with 'fundsim solve SCENARIO --out plan.nc' or Allocation.save('plan.nc')"
STUDIES = {"sweep": "sensitivity sweep", "tornado": "sensitivity tornado", "sobol": "sensitivity sobol",
           "morris": "sensitivity morris", "frontier": "sensitivity frontier", "pareto": "sensitivity pareto"}


class AllocationFileError(FundsimError, ValueError):
    """An allocation file cannot be read; ``problems`` lists every problem found (file, row or cell, what
    is wrong and what would be valid).

    Examples
    --------
    >>> from fundsim.errors import Problem
    >>> err = AllocationFileError([Problem("plan.csv", 3, "eu", "must be a number, got 'ten'")])
    >>> print(err)
    1 problem in the allocation file plan.csv:
      - plan.csv:3: eu: must be a number, got 'ten'
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        files = sorted({p.file or "<allocation>" for p in self.problems})
        head = f"{n} problem{'s' if n != 1 else ''} in the allocation file {', '.join(files)}:"
        shown = [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        more = [f"  … and {n - MAX_SHOWN} more"] if n > MAX_SHOWN else []
        return "\n".join([head, *shown, *more])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


def refuse(path: Path | str, message: str, where: str = "") -> AllocationFileError:
    """The error for one problem of a whole file (or of ``where`` in it)."""
    return AllocationFileError([Problem(str(path), None, where, message)])


# ---- arguments ----------------------------------------------------------------------------------------
def _got(value: Any) -> str:
    if value is None:
        return "None"
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "…"
    return f"the {type(value).__name__} {text}"


def wrong_type(parameter: str, value: Any, accepts: str) -> TypeError:
    """``TypeError("<parameter>: got <what>; give <accepts>")`` for a public function to raise.

    Examples
    --------
    >>> print(wrong_type("draws", "ten", "a whole number"))
    draws: got the str 'ten'; give a whole number
    """
    return TypeError(f"{parameter}: got {_got(value)}; give {accepts}")


def as_path(value: Any, parameter: str = "path") -> Path:
    """``value`` as a :class:`~pathlib.Path` when it is a ``str`` or ``os.PathLike``, else a ``TypeError``.

    Examples
    --------
    >>> as_path("out/plan.nc").name
    'plan.nc'
    """
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise wrong_type(parameter, value, "a path (a str or pathlib.Path)")


# ---- files --------------------------------------------------------------------------------------------
def check_file(path: Path, valid: str) -> int:
    """The size of ``path`` in bytes, once it is an existing regular file within ``file_bytes``.

    Checked with ``os.stat`` before anything opens the file: opening a named pipe waits for a writer.
    ``valid`` says what would be valid (e.g. "a .csv, .xlsx, .xlsm or .nc allocation file").

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "plan.csv").write_text("instrument,eu")
    13
    >>> check_file(folder / "plan.csv", "a .csv allocation file")
    13
    >>> try:
    ...     check_file(folder, "a .csv allocation file")
    ... except AllocationFileError as err:
    ...     print(err.problems[0].message)
    this is a folder, not a file: give the path of a .csv allocation file
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise refuse(path, f"no such file (give the path of {valid})") from None
    except OSError as err:
        raise refuse(path, f"cannot read it ({err.strerror or err}): give the path of {valid}") from None
    mode, size = info.st_mode, info.st_size
    if stat.S_ISDIR(mode):
        raise refuse(path, f"this is a folder, not a file: give the path of {valid}")
    if not stat.S_ISREG(mode):
        raise refuse(path, f"this is {limits.file_kind(mode)}, not a regular file: fundsim reads only regular files "
                     f"(reading a pipe or device could wait forever); save the data to {valid} first")
    try:
        limits.check("file_bytes", size, f"the file's size ({size:,} bytes)")
    except limits.LimitError as err:
        raise refuse(path, str(err)) from None
    return size


# ---- stored results -----------------------------------------------------------------------------------
def _dims(ds: xr.Dataset) -> str:
    return ", ".join(f"{d} ({n:,})" for d, n in ds.sizes.items()) or "none"


def _what_it_is(ds: xr.Dataset) -> str | None:
    """What a stored dataset is when it is not an allocation, in words; ``None`` when it may be one."""
    study = str(ds.attrs.get("study", ""))
    if study in STUDIES:
        return f"this is a {study} study written by 'fundsim {STUDIES[study]}' (or fs.sensitivity), not an allocation"
    if "draw" in ds.dims:
        mode = f" in {ds.attrs['mode']} mode" if "mode" in ds.attrs else ""
        return (f"this is a Monte Carlo run{mode} written by 'fundsim simulate' (it has a draw dimension of "
                f"{ds.sizes['draw']:,} draws), not an allocation")
    if "eu" not in ds.data_vars:
        names = ", ".join(map(str, list(ds.data_vars)[:8])) or "no variables"
        return (f"this is not an allocation written by fundsim: it has no 'eu' variable (EU commitments by "
                f"{', '.join(CUBE)}); it holds {names}")
    return None


def recognise(ds: xr.Dataset, path: Path | str) -> None:
    """Raise :class:`AllocationFileError` saying what ``ds`` is unless it is an allocation fundsim wrote:
    the variables ``eu``, ``cofin``, ``total``, ``payments``, ``eligible`` over labelled
    ``instrument × priority × region × year``, each dimension within the limit ``labels``.

    Examples
    --------
    >>> import xarray as xr
    >>> try:
    ...     recognise(xr.Dataset({"objective": ("draw", [1.0, 2.0])}), "run.nc")
    ... except AllocationFileError as err:
    ...     print(err.problems[0].message.split(", not")[0])
    this is a Monte Carlo run written by 'fundsim simulate' (it has a draw dimension of 2 draws)
    """
    other = _what_it_is(ds)
    if other is not None:
        raise refuse(path, f"{other}; {WRITE_ONE}")
    wrong = [f"its 'eu' is over ({', '.join(map(str, ds['eu'].dims))}), not ({', '.join(CUBE)})"] \
        if set(ds["eu"].dims) != set(CUBE) else []
    lacking = [v for v in STORED if v not in ds.data_vars]
    if lacking:
        wrong.append(f"it lacks {', '.join(lacking)} (fundsim writes {', '.join(STORED[:-1])} and {STORED[-1]})")
    if wrong:
        raise refuse(path, f"this is not an allocation written by fundsim: {'; '.join(wrong)}; {WRITE_ONE}")
    unlabelled = [d for d in CUBE if d not in ds.coords]
    if unlabelled:
        raise refuse(path, f"its dimensions {', '.join(unlabelled)} have no labels (ids): {WRITE_ONE}")
    try:
        for dim in CUBE:
            limits.check("labels", ds.sizes[dim], f"the file's {ds.sizes[dim]:,} {dim} labels")
    except limits.LimitError as err:
        raise refuse(path, str(err)) from None


def open_stored(path: Path) -> xr.Dataset:
    """The dataset of an allocation fundsim saved to NetCDF, loaded into memory once :func:`check_file` and
    :func:`recognise` accept it.

    Examples
    --------
    >>> import pathlib, tempfile, fundsim as fs
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.nc"
    >>> _ = fs.solve("scenarios/tutorial.yaml").save(path)
    >>> float(open_stored(path)["eu"].sum())
    60.0
    """
    if path.suffix.casefold() in (".csv", ".xlsx", ".xlsm"):
        raise refuse(path, "this opens the NetCDF (.nc) files fundsim writes; read a CSV or Excel allocation "
                     "with fs.read_allocation(path, scenario)")
    if path.suffix.casefold() in (".yaml", ".yml", ".toml"):
        raise refuse(path, "this is a scenario file, not an allocation: fs.solve(path) gives its optimum, and "
                     "'fundsim solve SCENARIO --out plan.nc' writes it")
    if path.is_dir() and (path.suffix.casefold() == ".zarr" or is_fundsim_store(path)):
        raise refuse(path, f"this is a Monte Carlo run store written by 'fundsim simulate --out …zarr', not an "
                     f"allocation; {WRITE_ONE}")
    check_file(path, "a .nc allocation file written by fundsim")
    try:
        ds = xr.open_dataset(path)
    except Exception as err:  # netCDF4, h5netcdf, scipy and xarray raise OSError, ValueError or KeyError
        raise refuse(path, f"cannot open it as an allocation (not NetCDF: {str(err)[:160]}): {WRITE_ONE}") from None
    with ds:
        recognise(ds, path)
        return ds.load()
