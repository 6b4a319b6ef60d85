"""The money ledger of an allocation: where every euro of commitment appropriations went, and what became of
every commitment.

Two accounts, each term its own labelled quantity:

* **commitment appropriations**, per instrument and year: ``available`` (usable for this policy + carried in)
  ``= committed + carried_out + lapsed + not_used + lost_at_cutoff``. A budget instrument's unused money
  *lapses* at year end; where only part of an envelope is usable for this policy, what the plan leaves of
  that part is *not used* for this policy (it returns to the instrument's other objectives); a fund carries
  its money over until its cut-off, where what is left is *lost*; a fund's ``carried_out`` in the last year is
  what is still available after it.
* **commitments**, per instrument and commitment year (``cohort``; the years before the first are the opening
  position): ``cohort_committed = cohort_paid_before + Σ_year cohort_paid + cohort_decommitted +
  cohort_outstanding`` (what is unpaid at the end of the last year: the RAL at the horizon).

and per instrument and year the payments against the payment appropriations: ``payments_made`` (when due, or
later where payment appropriations are short, as early as they allow), ``payments_due`` (of the plan's
commitments and of the opening RAL) and ``payment_appropriations`` (``inf``: not limited).

``carried_out`` and the unused terms are the LP's own columns for a solved plan (:mod:`fundsim.rules.envelope`);
the payment terms follow each instrument's profiles, cohort by cohort: paid when due or, where payment
appropriations are short, as early as they allow, earliest deadline first
(:func:`fundsim.rules.payment_appropriations.schedule`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from fundsim.model import Scenario, opening_due
from fundsim.rules.checking import paid
from fundsim.rules.envelope import appropriations, carried_of, unused_of
from fundsim.rules.payment_appropriations import cohorts, limits, schedule

__all__ = ["APPROPRIATION_TERMS", "LEDGER_VARIABLES", "UNUSED_TERMS", "ledger_dataset", "split_unused",
           "unused_money"]

APPROPRIATION_TERMS = ("committed", "carried_out", "lapsed", "not_used", "lost_at_cutoff")
"""The terms ``available`` splits into, in the order the ledger lists them."""

_LONG = {
    "available": "commitment appropriations available (usable for this policy + carried in)",
    "carried_in": "commitment appropriations carried in from the year before",
    "committed": "EU commitments",
    "carried_out": "commitment appropriations carried over into the next year (a fund: still available)",
    "lapsed": "commitment appropriations lapsed at year end",
    "not_used": "usable money not used for this policy (returns to the instrument's other objectives)",
    "lost_at_cutoff": "money left at the fund's commitment cut-off, lost",
    "cohort_committed": "commitments of the year (before the first year: the opening position)",
    "cohort_paid_before": "paid before the first year",
    "cohort_paid": "paid in the year",
    "cohort_decommitted": "decommitted: not paid or contracted by the deadline",
    "cohort_outstanding": "outstanding at the end of the last year (RAL)",
    "payments_due": "EU payments falling due along the profiles (the plan's commitments and the opening RAL)",
    "payments_made": "EU payments made: when due, or later where payment appropriations are short",
    "payment_appropriations": "payment appropriations (inf: not limited)",
}
LEDGER_VARIABLES = tuple(_LONG)
"""The ledger's variables in an allocation's ``data``."""
UNUSED_TERMS = ("lapsed", "not_used", "lost_at_cutoff")
"""What unused commitment appropriations become, by the instrument's budget nature (:func:`split_unused`)."""


def ledger_dataset(sc: Scenario, eu: np.ndarray, carried: np.ndarray | None = None,
                   unused: np.ndarray | None = None) -> xr.Dataset:
    """The ledger of the EU cube ``eu`` (instrument × priority × region × year): ``carried`` and ``unused``
    ``(instrument, year)`` are a solved plan's columns; without them (a plan read from a file) they take their best
    values given the money (carry over what later years commit, leave the rest unused).

    Examples
    --------
    The tutorial's optimum commits all 60 of its appropriations; nothing lapses:

    >>> import fundsim as fs
    >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> ledger = alloc.ledger()
    >>> float(ledger["available"].sum()), float(ledger["committed"].sum()), float(ledger["lapsed"].sum())
    (60.0, 60.0, 0.0)
    >>> float(ledger["cohort_paid"].sum())  # paid in full in the year committed
    60.0
    """
    got = appropriations(sc)
    committed = eu.sum(axis=(1, 2))
    ni, ny = committed.shape
    if carried is None or unused is None:
        full = _Full(ni, ny)
        carried = carried_of(sc, eu, full, full.upper) if carried is None else carried  # type: ignore[arg-type]
        unused = unused_of(sc, eu, full, full.upper) if unused is None else unused  # type: ignore[arg-type]
        carried, unused = np.reshape(carried, (ni, ny)), np.reshape(unused, (ni, ny))
    carried_in = np.concatenate([got["carried_in0"][:, None], carried[:, :-1]], axis=1)
    coords: dict[str, Any] = {"instrument": list(sc.instrument_ids), "year": list(sc.years),
                              "cohort": list(cohorts(sc))}
    iy = ("instrument", "year")
    data: dict[str, Any] = {
        "available": (iy, got["usable"] + carried_in),
        "carried_in": (iy, carried_in),
        "committed": (iy, committed),
        "carried_out": (iy, np.asarray(carried, float)),
        **{term: (iy, part) for term, part in split_unused(sc, unused).items()},
    }
    account = schedule(sc, committed)
    for name, values in account.items():
        data[name] = (("instrument", "cohort", "year") if values.ndim == 3 else ("instrument", "cohort"), values)
    opening = np.stack([opening_due(i.payment_profile, i.budget.opening, sc.years)[0] for i in sc.instruments])
    data["payments_due"] = (iy, paid(sc, eu).sum(axis=(1, 2)) + opening)
    data["payments_made"] = (iy, account["cohort_paid"].sum(axis=1))
    data["payment_appropriations"] = (iy, limits(sc))
    ds = xr.Dataset({k: (dims, np.where(np.abs(v) < 1e-9, 0.0, v), {"units": "EUR m", "long_name": _LONG[k]})
                     for k, (dims, v) in data.items()}, coords=coords)
    ds["payments_due"].attrs["opening_ral_due"] = float(opening.sum())
    return ds


def split_unused(sc: Scenario, unused: np.ndarray) -> dict[str, np.ndarray]:
    """Unused commitment appropriations ``(…, instrument, year)`` split by each instrument's budget nature:
    ``lapsed`` (a budget instrument whose whole usable money is for this policy), ``not_used`` (only part of the
    envelope is usable for this policy: the rest returns to the instrument's other objectives) and
    ``lost_at_cutoff`` (a fund's own money left at its cut-off). Leading dimensions (draws) are kept.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> enpi = dataclasses.replace(sc.instruments[1], budget=fs.model.Budget(unused="returns"))
    >>> parts = split_unused(sc.evolve(instruments=(sc.instruments[0], enpi)), np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> parts["lapsed"].tolist(), parts["not_used"].tolist(), parts["lost_at_cutoff"].tolist()
    ([[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]])
    """
    unused = np.asarray(unused, dtype=float)
    lapses = np.array([i.budget.lapses for i in sc.instruments])[:, None]
    returns = np.array([i.budget.unused == "returns" for i in sc.instruments])[:, None]
    lost = ~lapses & ~returns  # a fund's own money left at its cut-off
    return {term: np.where(kind, unused, 0.0) for term, kind in zip(UNUSED_TERMS, (lapses, returns, lost),
                                                                     strict=True)}


class _Full:
    """A dense (instrument, year) stand-in for a column block, for the point functions."""

    def __init__(self, ni: int, ny: int) -> None:
        self.positions = tuple(np.indices((ni, ny)).reshape(2, -1))
        self.upper = np.full(ni * ny, np.inf)


def unused_money(ledger: xr.Dataset) -> xr.Dataset:
    """Per instrument, over the period: what lapsed, was not used for this policy, was lost at the cut-off, and
    (a fund) is still available after the last year.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/gam-2008.yaml")
    >>> table = unused_money(fs.solve(sc).ledger())
    >>> list(table.data_vars)
    ['lapsed', 'not_used', 'lost_at_cutoff', 'still_available']
    """
    return xr.Dataset({
        "lapsed": ledger["lapsed"].sum("year"),
        "not_used": ledger["not_used"].sum("year"),
        "lost_at_cutoff": ledger["lost_at_cutoff"].sum("year"),
        "still_available": ledger["carried_out"].isel(year=-1, drop=True),
    })
