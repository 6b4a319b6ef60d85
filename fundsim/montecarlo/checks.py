"""Checks a Monte Carlo run makes before any work: its seed, its plan file, its store path and its memory.

Everything here runs before the first draw, so that a run that cannot finish, or could only finish by
writing over something of the user's, is refused at once (a :class:`ValueError`, exit 2 in the CLI) and
not after hours of work.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from math import prod
from pathlib import Path

from fundsim.limits import LimitError, check, current
from fundsim.model import Scenario
from fundsim.montecarlo.options import Evaluation
from fundsim.outputs import check_output
from fundsim.results.inputs import open_stored

__all__ = ["available_memory", "check_memory", "check_plan_file", "check_store",
           "per_draw_bytes"]


def check_plan_file(path: str | Path) -> Path:
    """Refuse, before any draw, a ``plan`` path that is not an allocation fundsim wrote to NetCDF: a missing
    file, a folder or a store, a pipe or a device, another kind of file, a Monte Carlo run (the
    :class:`~fundsim.results.inputs.AllocationFileError` of :func:`~fundsim.results.inputs.open_stored` says
    which).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fundsim as fs
    >>> folder = Path(tempfile.mkdtemp())
    >>> fs.solve(fs.load_scenario("scenarios/tutorial.yaml")).save(folder / "plan.nc").name
    'plan.nc'
    >>> check_plan_file(folder / "plan.nc").name
    'plan.nc'
    >>> try:
    ...     check_plan_file(folder / "missing.nc")
    ... except ValueError as err:
    ...     print("refused")
    refused
    """
    p = Path(path)
    open_stored(p).close()
    return p


def check_store(store: str | Path, inputs: Iterable[str | Path | None]) -> Path:
    """The store path, refused (:class:`~fundsim.outputs.OutputError`) if it is not a ``.zarr`` path fundsim may
    write: a folder that is not a fundsim store, one of the run's ``inputs``, an unwritable parent.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_store(folder / "run.zarr", ["scenarios/tutorial-uncertain.yaml"]).name
    'run.zarr'
    >>> (folder / "mine").mkdir()
    >>> try:  # a folder fundsim did not make is never written into
    ...     check_store(folder / "mine", [])
    ... except ValueError as err:
    ...     print("refused")
    refused
    """
    return check_output(store, kinds=(".zarr",), inputs=[p for p in inputs if p], option="store (--out)")


def per_draw_bytes(sc: Scenario, mode: str, keep_allocations: bool) -> int:
    """Bytes one draw's results take in memory (an estimate from the scenario's sizes, on the high side).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> per_draw_bytes(sc, "stress", False)  # 8 bytes × (8 + 2·2 regions + (7 + 2 years)·2 instruments + 3 pillars
    ...                                      #              + 4 parameters)
    296
    >>> per_draw_bytes(sc, "reoptimise", True) > per_draw_bytes(sc, "reoptimise", False)
    True
    """
    n_par = len(sc.uncertainty.parameters) if sc.uncertainty is not None else 0
    n_i, n_p, n_r, n_y, n_q = (len(sc.instrument_ids), len(sc.priority_ids), len(sc.region_ids), len(sc.years),
                               len(sc.pillar_ids))
    if mode == "stress":
        return 8 * (8 + 2 * n_r + (7 + n_y) * n_i + n_q + n_par)  # lost, spent and the ledger by instrument
    from fundsim.lp import assemble
    from fundsim.rules import reported

    blocks = assemble(sc).constraints
    shadows = sum(prod(b.shape) for name, b in blocks.items() if reported(name))
    cube = n_i * n_p * n_r * n_y if keep_allocations else 0
    text = 2 * 120  # status and diagnosis: a pointer and a short string each
    ledger = 3 * n_i + 1  # what is left unused, by budget nature and instrument, and what lapses
    return 8 * (8 + n_q + n_r + n_r + n_i + n_y + n_par + shadows + cube + ledger) + text


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``, else ``os.sysconf`` free pages), or ``None``.

    Examples
    --------
    >>> free = available_memory()
    >>> free is None or free > 0
    True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} PB"


def check_memory(sc: Scenario, draws: int, evaluation: Evaluation, *, design: str = "random", in_memory: bool,
                 workers: int) -> None:
    """Refuse, before any draw, a run whose results would not fit in the memory available.

    The estimate is :func:`per_draw_bytes` × the draws held at once: every draw, twice (the chunks and their
    concatenation) when the run is kept in memory; the chunks in flight with a store. A Latin-hypercube or
    Sobol design is made whole for every chunk (draws × sources numbers). The budget is the available memory
    × the limit ``memory_share``; the number of draws is bounded by the limit ``draws`` first.

    Parameters
    ----------
    sc : the scenario
    draws : the run's number of draws (or given points)
    evaluation : its mode, ``keep_allocations`` and chunk size (``None``: 100)
    design : the design of the draws (``"random"`` for given points)
    in_memory : the run is held in memory (no store)
    workers : how many chunks run at once

    Raises
    ------
    fundsim.limits.LimitError
        More draws than the limit ``draws``, or more memory than the limit ``memory_share`` of what is free.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.montecarlo.options import Evaluation
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> check_memory(sc, 1_000, Evaluation(chunk_size=100), in_memory=True, workers=1)  # fits: nothing raised
    >>> check_memory(sc, 10**12, Evaluation(), in_memory=True, workers=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fundsim.limits.LimitError: ...
    """
    chunk_size = 100 if evaluation.chunk_size is None else evaluation.chunk_size
    mode, keep_allocations = evaluation.mode, evaluation.keep_allocations
    check("draws", draws, f"{draws:,} draws")
    available = available_memory()
    if available is None:
        return
    held = 2 * draws if in_memory else min(draws, chunk_size * (2 * workers + 1))
    n_sources = len(sc.uncertainty.sources) if sc.uncertainty is not None else 0
    design_bytes = 0 if design == "random" else 16 * draws * n_sources * min(workers, -(-draws // chunk_size))
    per_draw = per_draw_bytes(sc, mode, keep_allocations)
    need = held * per_draw + design_bytes
    share = current().memory_share
    if need > share * available:
        where = "held in memory until the end" if in_memory else "in flight"
        raise LimitError("memory_share", round(need / available, 3), share,
                         f"a run of {draws:,} draws needing about {_size(need)} ({_size(per_draw)} a draw, "
                         f"{held:,} draws {where}; {_size(available)} of memory available; a .zarr store "
                         "(--out run.zarr, store=) holds only the chunks in flight; or run fewer draws)")


def workers_of(executor: object) -> int:
    """How many chunks an executor runs at once (one per core for a pool made by default)."""
    if executor == "sequential":
        return 1
    return int(getattr(executor, "workers", 0) or os.cpu_count() or 1)
