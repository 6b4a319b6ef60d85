"""Streaming a run into a Zarr store, chunk by chunk, so that a run stopped at any point resumes.

The store is laid out for all draws when the first chunk arrives (lazily: nothing of draw size is made in
memory); each finished chunk is written into its own region of the ``draw`` dimension, then marked done
in ``chunk_done``. Restarted with the same arguments, a run skips the chunks marked done; a chunk that was
being written when the run died is simply computed again. Zarr format 2 keeps fixed-width text stable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

__all__ = ["RUN_KEYS", "ZarrStore", "open_run"]

# a store belongs to one run: these must match for a restart to resume it
RUN_KEYS = ("scenario_hash", "mode", "design", "uniforms", "seed", "draws", "chunk_size", "keep_allocations",
            "plan_hash")


TEXT_WIDTH = {"status": 16, "diagnosis": 600}


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


class ZarrStore:
    """One run's results on disk."""

    def __init__(self, path: str | Path, provenance: dict[str, Any], n_chunks: int) -> None:
        self.path = Path(path)
        self.provenance = provenance
        self.n_chunks = n_chunks
        self.created = (self.path / ".zattrs").exists() or (self.path / "zarr.json").exists()
        if self.created:
            self._remove_partial_writes()
            attrs = xr.open_zarr(self.path, consolidated=False).attrs
            differ = [k for k in RUN_KEYS if str(attrs.get(k)) != str(provenance.get(k))]
            if differ:
                shown = ", ".join(f"{k}: store {attrs.get(k)!r}, asked {provenance.get(k)!r}" for k in differ)
                raise ValueError(f"{self.path} holds another run ({shown}); use another --out or delete it")

    def _remove_partial_writes(self) -> None:
        """Delete what a killed writer left half-written: Zarr writes each file as ``<name>.<id>.partial``
        and renames it when complete, so such a file is never part of the store (and Zarr warns about it)."""
        for leftover in self.path.rglob("*.partial"):
            leftover.unlink(missing_ok=True)

    def finished(self) -> set[int]:
        """Chunks already written."""
        if not self.created:
            return set()
        done = xr.open_zarr(self.path, consolidated=False)["chunk_done"].values
        return {int(i) for i in np.flatnonzero(done)}

    def _create(self, first: xr.Dataset, n_draws: int) -> None:
        """Lay the store out for every draw, from the shape of one chunk's results."""
        coords = {k: v for k, v in first.coords.items() if "draw" not in v.dims}
        data = {}
        for name, var in first.data_vars.items():
            if "draw" not in var.dims:
                continue
            shape = tuple(n_draws if d == "draw" else first.sizes[d] for d in var.dims)
            chunks = tuple(min(len(first["draw"]), n_draws) if d == "draw" else first.sizes[d] for d in var.dims)
            fill = "" if var.dtype.kind == "U" else (False if var.dtype == bool else np.nan)
            dtype = var.dtype if var.dtype.kind in "Ub" else (np.float64 if var.dtype.kind == "f" else var.dtype)
            if var.dtype.kind in "iu":
                fill = -1
            data[name] = (var.dims, da.full(shape, fill, dtype=dtype, chunks=chunks), var.attrs)
        data["chunk_done"] = (("chunk",), da.zeros(self.n_chunks, dtype=bool, chunks=self.n_chunks),
                              {"long_name": "chunk of draws written"})
        layout = xr.Dataset(data, coords={**coords, "draw": np.arange(n_draws)})
        layout.attrs.update({k: (str(v) if isinstance(v, bool) or v is None else v)
                             for k, v in self.provenance.items()})
        layout.to_zarr(self.path, mode="w", compute=False, zarr_format=2, consolidated=False)
        xr.Dataset({"draw": ("draw", np.arange(n_draws))}).to_zarr(self.path, mode="r+", zarr_format=2,
                                                                   consolidated=False)
        self.created = True

    def write(self, chunk: int, part: xr.Dataset, start: int, stop: int, n_draws: int) -> None:
        """Write one chunk's results into its region, then mark it done."""
        part = _fixed_text(part.copy())
        if not self.created:
            self._create(part, n_draws)
        per_draw = part.drop_vars([v for v in part.variables if "draw" not in part[v].dims or v == "draw"])
        per_draw.to_zarr(self.path, region={"draw": slice(start, stop)}, zarr_format=2, consolidated=False)
        flag = xr.Dataset({"chunk_done": (("chunk",), np.array([True]))})
        flag.to_zarr(self.path, region={"chunk": slice(chunk, chunk + 1)}, zarr_format=2, consolidated=False)

    def update_attrs(self, extra: dict[str, Any]) -> None:
        import zarr

        group = zarr.open_group(str(self.path), mode="r+", zarr_format=2)
        group.attrs.update({k: (str(v) if isinstance(v, bool) or v is None else v) for k, v in extra.items()})

    def open(self) -> xr.Dataset:
        return xr.open_zarr(self.path, consolidated=False)


def open_run(path: str | Path) -> xr.Dataset:
    """A Monte Carlo run written by :func:`fundsim.simulate` (or ``fundsim simulate --out``): its Zarr store
    or NetCDF file, loaded into memory."""
    path = Path(path)
    if path.suffix == ".zarr":
        return xr.open_zarr(path, consolidated=False).load()
    if path.suffix == ".nc":
        return xr.load_dataset(path)
    raise ValueError(f"{path}: a Monte Carlo run is a .zarr store or a .nc file written by 'fundsim simulate'")
