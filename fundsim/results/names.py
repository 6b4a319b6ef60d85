"""One naming scheme for what fundsim stores about a rule (see docs/architecture.md, "Names").

A rule block is named once, by its family (``envelope``, ``pillar_min_share`` …). Where a container holds one
kind of thing, the rule's name is the key: ``Allocation.duals["envelope"]``, ``Allocation.ranging()["envelope"]``,
the ``rule`` column of ``binding_rules()`` and of ``binding_frequency()``. Where kinds mix (an allocation saved to
NetCDF, a Monte Carlo run in memory or in its .zarr/.nc store, a sweep's points), the kind is a prefix:
``shadow_price_<rule>`` and ``ranging_<rule>``. The rule's dims keep their names (``instrument``, ``year`` …),
except where the container already has that dim with other labels (the pillar balance names only some pillars):
then ``<dim>_rule``, and ``<rule>_<dim>`` if that too is taken.

Examples
--------
>>> shadow_price_name("envelope"), rule_of("shadow_price_envelope"), rule_of("objective")
('shadow_price_envelope', 'envelope', None)
>>> import xarray as xr
>>> ds = xr.Dataset(coords={"pillar": ["legal", "irregular"]})
>>> da = xr.DataArray([1.0], dims=["pillar"], coords={"pillar": ["legal"]})
>>> placed(ds, "pillar_min_share", da).dims
('pillar_rule',)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from fundsim.errors import ArgumentError

__all__ = ["RANGING", "SHADOW_PRICE", "is_old_name", "old_names", "placed", "ranging_name", "rule_of",
           "shadow_price_name", "shadow_prices_of", "unplaced"]

SHADOW_PRICE = "shadow_price_"
RANGING = "ranging_"
_OLD_SHADOW = "shadow_"  # Monte Carlo runs of fundsim 0.1.0 named a shadow price shadow_<rule>, dims <rule>_<dim>


def shadow_price_name(rule: str) -> str:
    """The name of a rule's shadow price where kinds mix: ``shadow_price_<rule>``.

    Examples
    --------
    >>> shadow_price_name("absorption")
    'shadow_price_absorption'
    """
    return f"{SHADOW_PRICE}{rule}"


def ranging_name(rule: str) -> str:
    """The name of a rule's ranging interval where kinds mix: ``ranging_<rule>``.

    Examples
    --------
    >>> ranging_name("absorption")
    'ranging_absorption'
    """
    return f"{RANGING}{rule}"


def rule_of(name: str) -> str | None:
    """The rule a stored shadow price is of (``None`` for any other variable).

    Examples
    --------
    >>> rule_of("shadow_price_absorption"), rule_of("ranging_absorption")
    ('absorption', None)
    """
    return name.removeprefix(SHADOW_PRICE) if name.startswith(SHADOW_PRICE) else None


def shadow_prices_of(data: xr.Dataset) -> dict[str, xr.DataArray]:
    """The shadow prices stored in ``data``, by rule.

    Examples
    --------
    >>> import xarray as xr
    >>> sorted(shadow_prices_of(xr.Dataset({"shadow_price_envelope": 1.75, "objective": 130.0})))
    ['envelope']
    """
    return {rule: data[name] for name in map(str, data.data_vars) if (rule := rule_of(name)) is not None}


def _same(a: Any, b: Any) -> bool:
    return len(a) == len(b) and bool(np.all(np.asarray(a, dtype=object) == np.asarray(b, dtype=object)))


def placed(container: xr.Dataset | Mapping[str, Any], rule: str, da: xr.DataArray) -> xr.DataArray:
    """``da`` (a rule's values on the rule's own dims) with each dim renamed where ``container`` already has it
    with other labels: ``<dim>_rule``, or ``<rule>_<dim>`` when that is taken too.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset(coords={"pillar": ["legal", "irregular", "development"]})
    >>> da = xr.DataArray([0.6], dims=["pillar"], coords={"pillar": ["development"]})
    >>> placed(ds, "pillar_max_share", da).dims  # the container's 'pillar' has other labels
    ('pillar_rule',)
    >>> placed(xr.Dataset(), "pillar_max_share", da).dims
    ('pillar',)
    """
    coords = container.coords if isinstance(container, xr.Dataset) else container
    renames = {}
    for dim in map(str, da.dims):
        for candidate in (dim, f"{dim}_rule", f"{rule}_{dim}"):
            if candidate not in coords or _same(coords[candidate].values if hasattr(coords[candidate], "values")
                                                else coords[candidate], da[dim].values):
                break
        renames[dim] = candidate
    return da.rename({d: n for d, n in renames.items() if d != n})


def unplaced(rule: str, da: xr.DataArray) -> xr.DataArray:
    """The inverse of :func:`placed`: the rule's values on its own dims again.

    Examples
    --------
    >>> import xarray as xr
    >>> da = xr.DataArray([0.6], dims=["pillar_rule"], coords={"pillar_rule": ["development"]})
    >>> unplaced("pillar_max_share", da).dims
    ('pillar',)
    """
    def own(dim: str) -> str:
        return dim.removesuffix("_rule") if dim.endswith("_rule") else dim.removeprefix(f"{rule}_")
    return da.rename({d: own(str(d)) for d in da.dims if own(str(d)) != d})


def is_old_name(name: str) -> bool:
    """Whether ``name`` is a shadow price as fundsim 0.1.0 stored it (``shadow_<rule>``).

    Examples
    --------
    >>> is_old_name("shadow_envelope"), is_old_name("shadow_price_envelope"), is_old_name("objective")
    (True, False, False)
    """
    return name.startswith(_OLD_SHADOW) and not name.startswith(SHADOW_PRICE)


def old_names(data: xr.Dataset, what: str) -> None:
    """Refuse, with a clear message, a run stored with the names of an older fundsim (``shadow_<rule>``).

    Examples
    --------
    >>> import xarray as xr
    >>> old_names(xr.Dataset({"shadow_price_envelope": 1.75}), "run.nc")  # today's names: nothing to say
    >>> try:
    ...     old_names(xr.Dataset({"shadow_envelope": 1.75}), "run.nc")
    ... except ValueError as err:
    ...     print(str(err)[:61])
    run.nc was written by an older fundsim: its shadow prices are
    """
    old = sorted(str(v) for v in data.data_vars if is_old_name(str(v)))
    if old:
        raise ArgumentError(f"{what} was written by an older fundsim: its shadow prices are named {old[0]!r}"
                            f"{' …' if len(old) > 1 else ''} where fundsim now writes "
                            f"{shadow_price_name(old[0].removeprefix(_OLD_SHADOW))!r}; run it again with this "
                            "version (the names are explained in docs/architecture.md, 'Names')")
