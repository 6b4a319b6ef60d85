"""Limits on what fundsim reads, so that no input ends in a hang, a crash deep in a library or a machine out
of memory.

Each limit has a documented default, can be raised for one process with an environment variable
``FUNDSIM_LIMIT_<NAME>`` (e.g. ``FUNDSIM_LIMIT_FILE_BYTES=200000000``) and, in Python, for a block of code
with :func:`raised`. A breach raises :class:`LimitError` naming the limit, its value and how to raise it;
readers wrap it into a located :class:`~fundsim.errors.ScenarioError` (file, field path, line).

This module imports nothing of fundsim but :mod:`fundsim.errors`.

Examples
--------
>>> current().extends_chain
32
>>> with raised(extends_chain=64):
...     current().extends_chain
64
>>> check("nesting_depth", 10)
>>> check("nesting_depth", 10_000)
Traceback (most recent call last):
...
fundsim.limits.LimitError: 10000 is above the limit nesting_depth = 200 (how deeply mappings and lists may nest); \
raise it with FUNDSIM_LIMIT_NESTING_DEPTH or fundsim.limits.raised(nesting_depth=...)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
from collections.abc import Iterator
from typing import Any

from fundsim.errors import FundsimError

__all__ = ["DEFAULTS", "LimitError", "Limits", "check", "current", "file_kind", "raised"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits in force. Every field is an upper bound; see the module docstring for how to raise one.

    Examples
    --------
    >>> Limits().nesting_depth, Limits(nesting_depth=50).nesting_depth
    (200, 50)
    """

    file_bytes: int = 25_000_000
    """size of one allocation file read (bytes)"""
    scenario_bytes: int = 2_000_000
    """size of one scenario file read (bytes): 50 times the reference scenario; YAML parsing is pure Python (it
    keeps line numbers for messages) at about 0.1 MB/s, so a larger file would read for minutes"""
    nesting_depth: int = 200
    """how deeply mappings and lists may nest"""
    extends_chain: int = 32
    """how many files an ``extends:`` chain may hold"""
    labels: int = 100_000
    """how many ids one list (years, regions, priorities, instruments …) or one allocation file may hold"""
    integer_digits: int = 18
    """how many digits an integer in a scenario or allocation may have"""
    cell_chars: int = 10_000
    """characters in one CSV or XLSX cell"""
    xlsx_uncompressed_bytes: int = 200_000_000
    """uncompressed size of an XLSX workbook (bytes), against zip bombs"""
    sheet_cells: int = 20_000_000
    """cells in one worksheet read (a row counts up to its last filled cell), against sheets whose few cells
    lie far apart"""
    draws: int = 100_000_000
    """draws in one Monte Carlo run (memory is estimated against what is available, too)"""
    memory_share: float = 0.8
    """share of the available memory a run may plan to use"""


DEFAULTS = Limits()
_HELP = {
    "file_bytes": "size of one allocation file read, in bytes",
    "scenario_bytes": "size of one scenario file read, in bytes",
    "nesting_depth": "how deeply mappings and lists may nest",
    "extends_chain": "how many files an 'extends:' chain may hold",
    "labels": "how many ids one list or one allocation file may hold",
    "integer_digits": "how many digits an integer may have",
    "cell_chars": "characters in one CSV or XLSX cell",
    "xlsx_uncompressed_bytes": "uncompressed size of an XLSX workbook, in bytes",
    "sheet_cells": "cells in one worksheet, each row up to its last filled cell",
    "draws": "draws in one Monte Carlo run",
    "memory_share": "share of the available memory a run may plan to use",
}

_override: list[dict[str, Any]] = []


class LimitError(FundsimError, ValueError):
    """An input is over one of fundsim's limits; ``name``, ``value`` and ``limit`` say which and by how much.

    Examples
    --------
    >>> err = LimitError("extends_chain", 40, 32, "an extends: chain of 40 files")
    >>> err.name, err.limit, isinstance(err, ValueError)
    ('extends_chain', 32, True)
    """

    def __init__(self, name: str, value: Any, limit: Any, what: str = "") -> None:
        self.name, self.value, self.limit, self.what = name, value, limit, what
        subject = what or f"{value}"
        super().__init__(f"{subject} is above the limit {name} = {limit} ({_HELP.get(name, name)}); raise it with "
                         f"FUNDSIM_LIMIT_{name.upper()} or fundsim.limits.raised({name}=...)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.value, self.limit, self.what))


def _from_env(name: str, default: Any) -> Any:
    text = os.environ.get(f"FUNDSIM_LIMIT_{name.upper()}")
    if text is None:
        return default
    try:
        value = type(default)(text.replace("_", ""))
    except ValueError:
        raise FundsimError(f"FUNDSIM_LIMIT_{name.upper()}={text!r}: write a number, e.g. {default}") from None
    if value <= 0:
        raise FundsimError(f"FUNDSIM_LIMIT_{name.upper()}={text!r}: a limit must be above 0")
    return value


def current() -> Limits:
    """The limits in force: the defaults, then the environment, then :func:`raised` blocks, innermost last.

    Examples
    --------
    >>> current().labels
    100000
    """
    values = {f.name: _from_env(f.name, f.default) for f in dataclasses.fields(Limits)}
    for layer in _override:
        values.update(layer)
    return Limits(**values)


@contextlib.contextmanager
def raised(**limits: Any) -> Iterator[Limits]:
    """Change limits for the duration of a ``with`` block (for this process).

    Examples
    --------
    >>> with raised(labels=10) as limits:
    ...     limits.labels, current().labels
    (10, 10)
    >>> current().labels
    100000
    """
    unknown = set(limits) - {f.name for f in dataclasses.fields(Limits)}
    if unknown:
        raise TypeError(f"unknown limit {sorted(unknown)[0]!r}; the limits are "
                        f"{', '.join(f.name for f in dataclasses.fields(Limits))}")
    _override.append(limits)
    try:
        yield current()
    finally:
        _override.remove(limits)


def check(name: str, value: Any, what: str = "") -> None:
    """Raise :class:`LimitError` when ``value`` is above the limit ``name``.

    Examples
    --------
    >>> check("labels", 10)
    >>> with raised(labels=5):
    ...     check("labels", 10, "a list of 10 regions")
    Traceback (most recent call last):
    ...
    fundsim.limits.LimitError: a list of 10 regions is above the limit labels = 5 \
(how many ids one list or one allocation file may hold); raise it with FUNDSIM_LIMIT_LABELS \
or fundsim.limits.raised(labels=...)
    """
    limit = getattr(current(), name)
    if value > limit:
        raise LimitError(name, value, limit, what)


_SPECIAL = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
            (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str | None:
    """What a file of ``st_mode`` ``mode`` is when it is not a regular file ("a named pipe", "a device" …), else
    ``None``. fundsim reads regular files only: opening a named pipe waits for a writer, a device may never end.

    Examples
    --------
    >>> import os
    >>> file_kind(os.stat(".").st_mode)
    'a directory'
    """
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _SPECIAL if test(mode)), "not a regular file")
