"""The one labelling step: flat primal and dual vectors → DataArrays with units and long names."""

from __future__ import annotations

import numpy as np
import xarray as xr

from fundsim.lp.program import Block, LinearProgram
from fundsim.solvers.base import SolveResult

__all__ = ["INTERNAL_ROWS", "block_array", "relaxation_duals", "shadow_prices"]

INTERNAL_ROWS = frozenset({"total_eu_definition"})  # definitions, not rules: no shadow price to report


def block_array(block: Block, flat: np.ndarray, *, fill: float = np.nan, units: str | None = None,
                long_name: str | None = None) -> xr.DataArray:
    """The part of ``flat`` that belongs to ``block``, as a labelled DataArray."""
    return xr.DataArray(
        block.dense(flat, fill),
        dims=block.dims,
        coords={d: list(c) for d, c in zip(block.dims, block.coords, strict=True)},
        name=block.name,
        attrs={"units": units if units is not None else block.units,
               "long_name": long_name if long_name is not None else block.long_name},
    )


def relaxation_duals(lp: LinearProgram, result: SolveResult) -> np.ndarray:
    """Per row: change of the objective per unit of *relaxation* of the row's binding side.

    Relaxing a ``≤`` row raises its upper bound; relaxing a ``≥`` row lowers its lower bound. A ranged
    row (``min ≤ … ≤ max``, also ``min == max``) is relaxed on the side that binds, the one whose
    relaxation improves the objective, so its price has the sign of improvement: ≥ 0 when maximising,
    ≤ 0 when minimising. Equality rows keep ∂objective/∂bound.
    """
    dual = np.asarray(result.row_dual, float)
    out = dual.copy()
    improving = 1.0 if lp.sense == "max" else -1.0
    for block in lp.constraints.values():
        s = slice(block.start, block.stop)
        if block.kind == "ge":
            out[s] = -dual[s]
        elif block.kind == "range":
            out[s] = improving * np.abs(dual[s])
    return out + 0.0  # turn -0.0 into 0.0


def shadow_prices(lp: LinearProgram, result: SolveResult, total_eu: float) -> xr.Dataset:
    """Each rule's shadow price, labelled by the rule's own dims, as one Dataset.

    Money rules are in objective units per EUR m of relaxation; share rules (pillar balance, focus) per
    percentage point of the share, ``0.01 · E`` EUR m at the optimum's total EU commitment ``E``.
    """
    relax = relaxation_duals(lp, result)
    data_vars, coords = {}, {}
    for name, block in lp.constraints.items():
        if name in INTERNAL_ROWS:
            continue
        values = relax * 0.01 * total_eu if block.per_point else relax
        units = "objective per percentage point" if block.per_point else block.units
        data_vars[name] = (block.dims, block.dense(values), {"units": units,
                                                             "long_name": f"shadow price: {block.long_name}"})
        coords.update({d: list(c) for d, c in zip(block.dims, block.coords, strict=True)})
    return xr.Dataset(data_vars, coords=coords)
