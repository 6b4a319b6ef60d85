"""Figures of one allocation: its largest shadow prices. Each returns its matplotlib Axes."""

from __future__ import annotations

from typing import Any

from fundsim.results import Allocation

__all__ = ["shadow_price_bars"]


def shadow_price_bars(alloc: Allocation, top: int = 15, ax: Any = None) -> Any:
    """The ``top`` largest shadow prices (by size) as horizontal bars, labelled by rule and place.

    Prices per EUR m and per percentage point are shown on one axis; the label says which.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> ax = shadow_price_bars(fs.solve("scenarios/tutorial.yaml"), top=3)
    >>> ax.get_title(loc="left"), [t.get_text() for t in ax.get_yticklabels()]
    ('tutorial: largest shadow prices', ['envelope: enpi, 2009', 'envelope: tpma, 2010', 'envelope: tpma, 2009'])
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(10, 0.35 * top + 1.2))[1]
    table = alloc.binding_rules().head(top).iloc[::-1]
    labels = [f"{r.rule}: {r.where}" + (" (per pp)" if "percentage" in r.units else "")
              for r in table.itertuples()]
    ax.barh(labels, table["shadow_price"], color=["tab:green" if v >= 0 else "tab:red" for v in table["shadow_price"]])
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_xlabel("shadow price [objective per EUR m, or per pp, of relaxation]")
    ax.set_title(f"{alloc.data.attrs.get('scenario', '')}: largest shadow prices", loc="left")
    return ax
