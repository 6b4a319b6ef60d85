"""Streaming a run into a Zarr store, chunk by chunk, so that a run stopped at any point resumes, and resumes
only what it can verify.

The store is a folder fundsim marks as its own (:data:`fundsim.outputs.STORE_MARKER`, written before
anything else); a folder without the marker is never written into, emptied or replaced. It is laid out for
all draws when the first chunk arrives (lazily: nothing of draw size is made in memory). Each finished chunk
is written into its own region of the ``draw`` dimension, read back, and its digest (BLAKE2b over the
chunk's stored per-draw arrays) recorded in ``chunk_digest`` (one Zarr file per chunk); then the chunk is
marked in ``chunk_done``.

A restarted run with the same arguments checks every chunk: a chunk counts as done only when it is marked
done *and* its stored arrays still have the recorded digest. A chunk whose data file was deleted, flipped or
cannot be read, or whose marks are missing, is computed again and counted in ``chunks_recomputed`` and
``draws_recomputed``. A store of another run is replaced only when asked (``force=True``, ``--force``).
Zarr format 2 keeps fixed-width text stable.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.outputs import STORE_MARKER, OutputError, is_fundsim_store, mark_store
from fundsim.results.names import is_old_name, old_names

__all__ = ["RUN_KEYS", "ZarrStore", "open_run"]

# a store belongs to one run: these must match for a restart to resume it
RUN_KEYS = ("scenario_hash", "mode", "design", "uniforms", "seed", "draws", "chunk_size", "keep_allocations",
            "plan_hash")

TEXT_WIDTH = {"status": 16, "diagnosis": 600}
DIGEST_WIDTH = 32  # hex characters of a 16-byte BLAKE2b digest
BOOKKEEPING = ("chunk_done", "chunk_digest")

# Zarr warns about every file in a group folder that is not part of the hierarchy; the marker is fundsim's
_MARKER_WARNING = f"Object at {re.escape(STORE_MARKER)} is not recognized"
warnings.filterwarnings("ignore", message=_MARKER_WARNING, category=UserWarning)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Zarr's warning about the marker silenced for a block, whatever filters the caller has set."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MARKER_WARNING, category=UserWarning)
        yield


def _fixed_text(ds: xr.Dataset) -> xr.Dataset:
    """Text variables as fixed-width unicode of a set width (longer texts are cut), which Zarr stores as
    it is and which every chunk shares."""
    for name in list(ds.data_vars):
        var = ds[name]
        if var.dtype == object or var.dtype.kind == "U":
            width = TEXT_WIDTH.get(str(name), 64)
            ds[name] = var.copy(data=np.array([str(x)[:width] for x in var.values.ravel()],
                                              dtype=f"<U{width}").reshape(var.shape))
    return ds


def _attrs_safe(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, bool) or v is None else v) for k, v in values.items()}


class ZarrStore:
    """One run's results on disk: laid out, written and verified chunk by chunk.

    Parameters
    ----------
    path : the ``.zarr`` folder (already checked with :func:`fundsim.outputs.check_output`)
    provenance : the run's attributes; :data:`RUN_KEYS` of them say which run a store holds
    bounds : ``(start, stop)`` of each chunk of draws
    force : replace a store that holds another run (or whose run cannot be read) instead of refusing

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fundsim as fs
    >>> from fundsim.montecarlo import Storage
    >>> store = Path(tempfile.mkdtemp()) / "run.zarr"
    >>> run = fs.simulate("scenarios/tutorial-uncertain.yaml", draws=4, seed=1, storage=Storage(store))
    >>> sorted(p.name for p in store.iterdir() if p.name.startswith(".fundsim"))  # fundsim's marker
    ['.fundsim-store']
    """

    def __init__(self, path: str | Path, provenance: dict[str, Any], bounds: Sequence[tuple[int, int]],
                 force: bool = False) -> None:
        self.path = Path(path)
        self.provenance = provenance
        self.bounds = list(bounds)
        self.n_chunks = len(self.bounds)
        self.created = False  # laid out for this run
        self.replace = is_fundsim_store(self.path)  # lay out anew (an older store of ours) on the first chunk
        self.recomputed: list[int] = []  # chunks marked done that failed their check
        self.written: set[int] = set()  # chunks written, read back and marked by this run
        self._arrays: list[tuple[str, Any, int]] = []  # the per-draw arrays, listed once the store is laid out
        if self.replace and self._has_group():
            self._adopt(force)

    def _has_group(self) -> bool:
        return (self.path / ".zgroup").exists() or (self.path / "zarr.json").exists()

    @_quiet()
    def _adopt(self, force: bool) -> None:
        """Resume a store of the same run; refuse (or, with ``force``, plan to replace) one of another run."""
        attrs = self._stored_attrs()
        if attrs is None:
            differ = "its attributes cannot be read, so which run it holds is unknown"
        else:
            shown = [f"{k}: store {attrs.get(k)!r}, asked {self.provenance.get(k)!r}" for k in RUN_KEYS
                     if str(attrs.get(k)) != str(self.provenance.get(k))]
            differ = f"holds another run ({', '.join(shown)})" if shown else ""
            old = [v for v in str(attrs.get("store_variables", "")).split(",") if is_old_name(v)]
            if old and not differ:
                differ = (f"was written by an older fundsim, which named shadow prices {old[0]!r} (now "
                          f"'shadow_price_…', see docs/architecture.md, 'Names'), so its draws cannot be resumed")
        if not differ:
            self._remove_partial_writes()
            self.created, self.replace = True, False
        elif not force:
            raise OutputError(self.path, f"the store {differ}; --force (force=True) replaces it, or choose "
                                         "another --out")

    def _stored_attrs(self) -> dict[str, Any] | None:
        import zarr

        try:
            return dict(zarr.open_group(str(self.path), mode="r", zarr_format=2).attrs)
        except Exception:  # any damage to the group's metadata means: unknown
            return None

    def _remove_partial_writes(self) -> None:
        """Delete what a killed writer left half-written: Zarr writes each file as ``<name>.<id>.partial``
        and renames it when complete, so such a file is never part of the store (and Zarr warns about it)."""
        for leftover in self.path.rglob("*.partial"):
            leftover.unlink(missing_ok=True)

    # ---- verifying ------------------------------------------------------------------------------------
    def _group(self) -> Any:
        import zarr

        return zarr.open_group(str(self.path), mode="r", zarr_format=2)

    def _draw_arrays(self, group: Any) -> list[tuple[str, Any, int]]:
        """``(name, array, draw axis)`` of every per-draw array of the store, by name."""
        found = []
        for name, array in sorted(group.arrays()):
            dims = list(array.attrs.get("_ARRAY_DIMENSIONS", []))
            if "draw" in dims and name != "draw":
                found.append((name, array, dims.index("draw")))
        return found

    def digest(self, start: int, stop: int, arrays: list[tuple[str, Any, int]] | None = None) -> str:
        """BLAKE2b of draws ``start:stop`` of every per-draw array as stored ('' if they cannot be read);
        ``arrays`` are the store's :meth:`_draw_arrays` (listed once per run by default)."""
        if arrays is None:
            self._arrays = self._arrays or self._draw_arrays(self._group())
            arrays = self._arrays
        h = hashlib.blake2b(digest_size=DIGEST_WIDTH // 2)
        try:
            for name, array, axis in arrays:
                where = tuple(slice(start, stop) if n == axis else slice(None) for n in range(array.ndim))
                values = np.ascontiguousarray(array[where])
                h.update(f"{name}|{values.dtype.str}|{values.shape}|".encode())
                h.update(values.tobytes())
        except Exception:  # a deleted, truncated or flipped chunk file: the chunk is damaged
            return ""
        return h.hexdigest()

    @_quiet()
    def finished(self) -> set[int]:
        """Chunks written and verified: marked done and still holding their recorded digest. A chunk that
        was marked but fails the check is listed in :attr:`recomputed` (it will be computed again)."""
        if not self.created:
            return set()
        try:
            group = self._group()
            layout = self._layout_intact(group)
        except Exception:  # the group cannot be opened: lay it out anew
            layout = False
        if not layout:
            self.created, self.replace = False, True
            self.recomputed = list(range(self.n_chunks))
            return set()
        flags, digests = self._bookkeeping(group)
        arrays = self._draw_arrays(group)
        done = {n for n, (a, b) in enumerate(self.bounds) if flags[n] and digests[n] and
                self.digest(a, b, arrays) == digests[n]}
        self.recomputed = [n for n in range(self.n_chunks) if n not in done and (flags[n] or digests[n])]
        return done

    def _layout_intact(self, group: Any) -> bool:
        """Whether every per-draw array the run laid out is still there."""
        laid_out = str(group.attrs.get("store_variables", "")).split(",")
        have = {name for name, _, _ in self._draw_arrays(group)}
        return bool(have) and set(laid_out) <= have

    def _bookkeeping(self, group: Any) -> tuple[np.ndarray, np.ndarray]:
        """``chunk_done`` and ``chunk_digest`` as stored; a missing or unreadable one is made anew, empty."""
        flags = self._read(group, "chunk_done", np.zeros(self.n_chunks, bool))
        digests = self._read(group, "chunk_digest", np.full(self.n_chunks, "", dtype=f"<U{DIGEST_WIDTH}"))
        return flags.astype(bool), digests

    def _read(self, group: Any, name: str, empty: np.ndarray) -> np.ndarray:
        try:
            values = np.asarray(group[name][:])
            if values.shape == empty.shape:
                return values
        except Exception:  # deleted or damaged: start it anew
            pass
        xr.Dataset({name: (("chunk",), empty)}).to_zarr(self.path, mode="a", zarr_format=2, consolidated=False)
        return empty

    @_quiet()
    def unmark_missing(self) -> int:
        """Unmark every chunk that holds a draw without a result (:func:`missing_mask`), so that the next run
        computes it again; return how many draws are missing."""
        lost = missing_mask(self.open())
        for n, (a, b) in enumerate(self.bounds):
            if lost[a:b].any():
                mark = xr.Dataset({"chunk_done": (("chunk",), np.array([False]))})
                mark.to_zarr(self.path, region={"chunk": slice(n, n + 1)}, zarr_format=2, consolidated=False)
        return int(lost.sum())

    # ---- writing --------------------------------------------------------------------------------------
    def _create(self, first: xr.Dataset, n_draws: int) -> None:
        """Lay the store out for every draw, from the shape of one chunk's results; mark it first."""
        if self.replace and is_fundsim_store(self.path):
            shutil.rmtree(self.path)
        self._arrays = []
        self.path.mkdir(parents=True, exist_ok=True)
        mark_store(self.path)
        data = {name: _full(var, first.sizes, n_draws, len(first["draw"]))
                for name, var in first.data_vars.items() if "draw" in var.dims}
        data["chunk_done"] = (("chunk",), da.zeros(self.n_chunks, dtype=bool, chunks=self.n_chunks),
                              {"long_name": "chunk of draws written and its digest recorded"})
        data["chunk_digest"] = (("chunk",), da.full(self.n_chunks, "", dtype=f"<U{DIGEST_WIDTH}", chunks=1),
                                {"long_name": "BLAKE2b digest of the chunk's stored per-draw arrays"})
        coords = {k: v for k, v in first.coords.items() if "draw" not in v.dims}
        layout = xr.Dataset(data, coords={**coords, "draw": np.arange(n_draws)})
        layout.attrs.update(_attrs_safe(self.provenance))
        layout.attrs["store_variables"] = ",".join(sorted(str(n) for n in data if n not in BOOKKEEPING))
        layout.to_zarr(self.path, mode="a", compute=False, zarr_format=2, consolidated=False)
        xr.Dataset({"draw": ("draw", np.arange(n_draws))}).to_zarr(self.path, mode="r+", zarr_format=2,
                                                                   consolidated=False)
        self.created, self.replace = True, False

    @_quiet()
    def write(self, chunk: int, part: xr.Dataset, start: int, stop: int, n_draws: int) -> None:
        """Write one chunk's results into its region, read them back, record their digest, mark it done."""
        part = _fixed_text(part.copy())
        if not self.created:
            self._create(part, n_draws)
        per_draw = part.drop_vars([v for v in part.variables if "draw" not in part[v].dims or v == "draw"])
        per_draw.to_zarr(self.path, region={"draw": slice(start, stop)}, zarr_format=2, consolidated=False)
        digest = self.digest(start, stop)
        if not digest:
            raise OutputError(self.path, f"draws {start}:{stop} cannot be read back after writing them; the disk "
                                         "may be full or failing")
        mark = xr.Dataset({"chunk_digest": (("chunk",), np.array([digest], dtype=f"<U{DIGEST_WIDTH}")),
                           "chunk_done": (("chunk",), np.array([True]))})
        mark.to_zarr(self.path, region={"chunk": slice(chunk, chunk + 1)}, zarr_format=2, consolidated=False)
        self.written.add(chunk)

    @_quiet()
    def update_attrs(self, extra: dict[str, Any]) -> None:
        import zarr

        group = zarr.open_group(str(self.path), mode="r+", zarr_format=2)
        group.attrs.update(_attrs_safe(extra))

    @_quiet()
    def open(self) -> xr.Dataset:
        return xr.open_zarr(self.path, consolidated=False)


def _full(var: xr.DataArray, sizes: Any, n_draws: int, chunk: int) -> tuple[Any, ...]:
    """A lazy array for all draws of ``var``, filled with its missing value, chunked as the run is."""
    shape = tuple(n_draws if d == "draw" else sizes[d] for d in var.dims)
    chunks = tuple(min(chunk, n_draws) if d == "draw" else sizes[d] for d in var.dims)
    fill: Any = "" if var.dtype.kind == "U" else (False if var.dtype == bool else np.nan)
    dtype = var.dtype if var.dtype.kind in "Ub" else (np.float64 if var.dtype.kind == "f" else var.dtype)
    if var.dtype.kind in "iu":
        fill = -1
    return var.dims, da.full(shape, fill, dtype=dtype, chunks=chunks), var.attrs


def missing_mask(run: xr.Dataset) -> np.ndarray:
    """Per draw of ``run``: whether it has no result (an empty status, an optimal status without an objective,
    or, in stress mode, no realised objective)."""
    if "status" in run:
        status = run["status"].values.astype(str)
        return (status == "") | ((status == "optimal") & np.isnan(run["objective"].values))
    if "realised_objective" in run:
        return np.isnan(run["realised_objective"].values)
    return np.zeros(run.sizes["draw"], bool)


def draw_counts(run: xr.Dataset) -> dict[str, int]:
    """``draws_failed`` (a solver stop: limit, error, unbounded) and ``draws_infeasible`` of a run."""
    if "status" not in run:
        return {"draws_failed": 0, "draws_infeasible": 0}
    status = run["status"].values.astype(str)
    infeasible = int((status == "infeasible").sum())
    return {"draws_failed": int((status != "optimal").sum()) - infeasible, "draws_infeasible": infeasible}


@_quiet()
def open_run(path: str | Path) -> xr.Dataset:
    """A Monte Carlo run written by :func:`fundsim.simulate` (or ``fundsim simulate --out``): its Zarr store
    or NetCDF file, loaded into memory.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fundsim as fs
    >>> from fundsim.montecarlo import Storage
    >>> store = Path(tempfile.mkdtemp()) / "run.zarr"
    >>> _ = fs.simulate("scenarios/tutorial-uncertain.yaml", draws=4, seed=1, storage=Storage(store))
    >>> run = open_run(store)
    >>> run.sizes["draw"], run.attrs["draws"]
    (4, 4)
    """
    path = Path(path)
    if path.suffix == ".zarr":
        run = xr.open_zarr(path, consolidated=False).load()
    elif path.suffix == ".nc":
        run = xr.load_dataset(path)
    else:
        raise ArgumentError(f"{path}: a Monte Carlo run is a .zarr store or a .nc file written by 'fundsim simulate'")
    old_names(run, str(path))
    return run
