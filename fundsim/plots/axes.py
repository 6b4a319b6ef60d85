"""What every figure shares: an Axes to draw on, and axis labels read from a variable's attrs."""

from __future__ import annotations

from typing import Any

import xarray as xr

__all__ = ["label", "label_of", "new_axes"]


def new_axes(ax: Any = None, size: tuple[float, float] = (7, 4)) -> Any:
    """``ax`` itself, or the Axes of a new figure of ``size`` inches.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = new_axes(size=(3, 2))
    >>> ax.figure.get_size_inches().tolist(), new_axes(ax) is ax
    ([3.0, 2.0], True)
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def label(name: str, units: str | None) -> str:
    """``"name [units]"``, or the name alone without units.

    Examples
    --------
    >>> label("objective", "EUR m"), label("draws", None)
    ('objective [EUR m]', 'draws')
    """
    return f"{name} [{units}]" if units else name


def label_of(da: xr.DataArray, suffix: str = "") -> str:
    """A variable's axis label from its ``long_name`` (else its name), ``suffix`` and ``units`` attrs.

    Examples
    --------
    >>> import xarray as xr
    >>> label_of(xr.DataArray([1.0], name="eu", attrs={"long_name": "EU commitment", "units": "EUR m"}), ", 2010")
    'EU commitment, 2010 [EUR m]'
    >>> label_of(xr.DataArray([1.0], name="share"))
    'share'
    """
    return label(da.attrs.get("long_name", str(da.name)) + suffix, da.attrs.get("units"))
