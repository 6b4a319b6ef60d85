"""``fs.replan``: the mid-term review — re-plan the later years of a (revised) scenario with the earlier years held
at what was committed.

It sits above :mod:`fundsim.comparison`, whose reader turns an allocation file (.nc, .csv, .xlsx) into an
Allocation of the scenario, and below the CLI.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from fundsim.comparison import read_allocation
from fundsim.diagnose import diagnose
from fundsim.errors import ArgumentError, FundsimWarning, InfeasibleError
from fundsim.lp import assemble
from fundsim.model import Lock, Scenario, Selector
from fundsim.results import Allocation
from fundsim.results.inputs import wrong_type
from fundsim.solvers.backends import SolverLike
from fundsim.solving import as_scenario, check_options, solve

__all__ = ["HELD", "replan", "span"]

HELD = "actual:"
"""The prefix of the ids of the locks that hold a re-plan's earlier years at the actuals, cell by cell."""

ACTUALS = ("an Allocation (fs.solve(...) or fs.read_allocation(path, scenario)) or the path of an allocation file "
           "(.nc, .csv or .xlsx)")
NONE = 1e-6  # EUR m: less money in a cell counts as none (as the rule families count it)

def replan(scenario: Scenario | str | os.PathLike[str], actuals: Allocation | str | os.PathLike[str],
           from_year: int, *, solver: SolverLike = "highs", options: dict[str, Any] | None = None) -> Allocation:
    """Re-plan the years from ``from_year`` on, every cell of the earlier years held at the actuals: the mid-term
    review.

    Each eligible cell (instrument, priority, region, year) of a year before ``from_year`` gets a fixed lock
    (:class:`~fundsim.model.Lock`, ``rules.locks``) at the actuals' EU commitment, with the id
    ``actual:<instrument>:<priority>:<region>:<year>``; the scenario's own rules and locks stay as they are, and
    the scenario so locked is solved with :func:`solve`. Its shadow prices include each held cell's lock (what
    moving the past by one EUR m would have been worth).

    Parameters
    ----------
    scenario : the (possibly revised) scenario: new envelopes, capacities, rules; or the path of its file
    actuals : what was committed: an :class:`~fundsim.results.Allocation` (a plan of ``fs.solve``, or a file
        read with ``fs.read_allocation``) or the path of an allocation file (.nc, .csv or .xlsx, read against
        the scenario by :func:`fundsim.read_allocation`); it must carry the scenario's instruments, priorities
        and regions and the years before ``from_year`` (later years of the actuals are not read)
    from_year : the first year re-planned, a year of the scenario after its first
    solver, options : as for :func:`solve`

    Returns
    -------
    Allocation
        the plan of every year; ``data.attrs["replanned_from"]`` is ``from_year`` and ``data.attrs["actuals"]``
        says where the actuals came from (their file, or the allocation they are).

    Raises
    ------
    TypeError
        when an argument is of the wrong kind (the message names it)
    ArgumentError
        when ``from_year`` is not a year of the scenario or is its first year (nothing to hold), or when the
        actuals are not an allocation of the scenario (labels missing or other instruments, priorities,
        regions), or hold negative or non-finite money in the years held
    AllocationFileError
        when ``actuals`` is a path whose file is not an allocation of the scenario (its problems located)
    InfeasibleError
        when the actuals cannot be held under the scenario's rules (money in a cell the scenario makes
        ineligible, or rules of the held years that the actuals break); its ``diagnosis`` names the rules
    SolverError, CapabilityError
        as for :func:`solve`

    Examples
    --------
    The tutorial planned in 2009; for 2010 ENPI's envelope is cut from 20 to 16 (each of the 4 EUR m would have
    gone to mobility in the Eastern Partnership, at 1.5, and bought a quarter EUR m of remittances more, at 3 - 2):

    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.model import frozen_array
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> plan = fs.solve(sc)
    >>> enpi = dataclasses.replace(sc.instruments[1], usable=frozen_array(np.array([20.0, 16.0])))
    >>> revised = sc.evolve(instruments=(sc.instruments[0], enpi))
    >>> review = fs.replan(revised, plan, 2010)
    >>> round(review.objective, 6), review.data.attrs["replanned_from"]  # 130 - 4 · 1.75
    (123.0, 2010)
    >>> bool((review.data["eu"].sel(year=2009) == plan.data["eu"].sel(year=2009)).all())
    True
    """
    scenario = as_scenario(scenario)
    held = _held_years(scenario, from_year)
    given, origin = _actuals(actuals, scenario)
    money = _held_money(given, scenario, held)
    locks = scenario.rules.locks + _held_locks(scenario, money, held, origin)
    locked = scenario.evolve(rules=dataclasses.replace(scenario.rules, locks=locks))
    try:
        plan = solve(locked, solver, options)
    except InfeasibleError as exc:
        raise InfeasibleError(f"the actuals of {span(held)} ({origin}) cannot be held under the rules of the "
                              f"scenario {scenario.name!r}", _past_fixed_diagnosis(locked, money, solver, options),
                              exc.status) from None
    for attrs in (plan.data.attrs, plan.duals.attrs):
        attrs.update(replanned_from=int(from_year), actuals=origin)
    return plan


def span(years: tuple[int, ...] | list[int]) -> str:
    """A run of years in words.

    Examples
    --------
    >>> span((2009,)), span([2009, 2010, 2011])
    ('2009', '2009–2011')
    """
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _held_years(sc: Scenario, from_year: Any) -> tuple[int, ...]:
    """The scenario's years before ``from_year``, once ``from_year`` is a year after its first."""
    if isinstance(from_year, bool) or not isinstance(from_year, int | np.integer):
        raise wrong_type("from_year", from_year, f"a year of the scenario, one of {', '.join(map(str, sc.years))}")
    later = ", ".join(map(str, sc.years[1:])) or "(none: the scenario has one year)"
    if from_year not in sc.years:
        raise ArgumentError(f"from_year {from_year} is not a year of the scenario {sc.name!r}; its years are "
                            f"{', '.join(map(str, sc.years))}, and the years after the first may be re-planned: "
                            f"{later}")
    if from_year == sc.years[0]:
        raise ArgumentError(f"from_year {from_year} is the first year of the scenario {sc.name!r}: no year before "
                            f"it is held at the actuals, so there is nothing to re-plan from; give a later year "
                            f"({later}), or plan every year with fs.solve")
    return tuple(y for y in sc.years if y < from_year)


def _actuals(actuals: Any, scenario: Scenario) -> tuple[Allocation, str]:
    """The actuals as an Allocation, and where they came from in words."""
    if isinstance(actuals, Allocation):
        return actuals, _origin(actuals)
    if isinstance(actuals, str | os.PathLike):
        with warnings.catch_warnings():  # money above a revised envelope in a year re-planned is no problem here
            warnings.simplefilter("ignore", FundsimWarning)
            return read_allocation(Path(actuals), scenario), str(Path(actuals))
    raise wrong_type("actuals", actuals, ACTUALS)


def _origin(actuals: Allocation) -> str:
    """Where an Allocation came from: its file, else the scenario (and status) it is an allocation of."""
    a, sc = actuals.data.attrs, actuals.scenario
    if a.get("source_file"):
        return str(a["source_file"])
    name = a.get("scenario") or (sc.name if sc is not None else None)
    digest = a.get("scenario_hash") or (sc.digest if sc is not None else None)
    if name is None:
        return "an allocation given in Python"
    status = f"{a['status']} " if a.get("status") else ""
    return f"the {status}allocation of the scenario {name!r}" + (f", hash {digest}" if digest else "")


def _labels(values: Any) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in np.asarray(values).tolist()]


def _held_money(actuals: Allocation, sc: Scenario, held: tuple[int, ...]) -> np.ndarray:
    """The actuals' EU money in the held years, ``[instrument, priority, region, held year]`` in the scenario's
    label order; an ArgumentError unless they carry the scenario's labels and plain amounts."""
    eu = actuals.data.get("eu")
    if eu is None:
        raise ArgumentError(f"actuals: they hold no 'eu' variable (EU commitments): {ACTUALS} is needed")
    coords = {**sc.coords(), "year": list(held)}
    problems = []
    for dim, labels in coords.items():
        if dim not in eu.dims:
            problems.append(f"they have no {dim} dimension")
            continue
        have = _labels(eu[dim].values)
        lacking = [str(x) for x in labels if x not in have]
        extra = [str(x) for x in have if x not in labels] if dim != "year" else []
        if lacking:
            problems.append(f"they lack the {dim} labels {', '.join(lacking)}")
        if extra:
            problems.append(f"they have {dim} labels the scenario does not have: {', '.join(extra)}")
    if problems:
        raise ArgumentError(f"actuals: they are not an allocation of the scenario {sc.name!r}: {'; '.join(problems)}")
    money = np.asarray(eu.sel(coords).transpose("instrument", "priority", "region", "year").values, dtype=float)
    bad = ~np.isfinite(money) | (money < -NONE)
    if bad.any():
        i, p, r, y = np.argwhere(bad)[0]
        raise ArgumentError(f"actuals: {int(bad.sum())} cells of {span(held)} hold no amount of money (negative, "
                            f"NaN or infinite), e.g. {money[i, p, r, y]} for {sc.instrument_ids[i]} for "
                            f"{sc.priority_ids[p]} in {sc.region_ids[r]} in {held[y]}")
    return np.maximum(money, 0.0)


def _held_locks(sc: Scenario, money: np.ndarray, held: tuple[int, ...], origin: str) -> tuple[Lock, ...]:
    """A fixed lock per eligible cell of the held years at the actuals' amount; an InfeasibleError for money in
    a cell the scenario makes ineligible."""
    eligible = sc.eligible[..., : len(held)]  # the held years are the first (a scenario's years increase)
    outside = (money > NONE) & ~eligible
    if outside.any():
        cells = [f"EUR {money[i, p, r, y]:.3f} m for {sc.instrument_ids[i]} for {sc.priority_ids[p]} in "
                 f"{sc.region_ids[r]} in {held[y]}" for i, p, r, y in np.argwhere(outside)]
        more = [f"… and {len(cells) - 10} cells more"] if len(cells) > 10 else []
        n = f"{len(cells)} cell{'s' if len(cells) != 1 else ''}"
        raise InfeasibleError(f"the actuals of {span(held)} ({origin}) cannot be held under the rules of the "
                              f"scenario {sc.name!r}: they commit money in {n} the scenario makes ineligible",
                              cells[:10] + more)
    locks = []
    for i, p, r, y in np.argwhere(eligible):
        labels = (sc.instrument_ids[i], sc.priority_ids[p], sc.region_ids[r], held[y])
        name = HELD + ":".join(map(str, labels))
        ins, pri, reg, year = (frozenset({x}) for x in labels)
        cell = Selector(instruments=ins, priorities=pri, regions=reg, years=year, label=name)
        locks.append(Lock(name, cell, float(money[i, p, r, y]), float(money[i, p, r, y])))
    return tuple(locks)


def _past_fixed_diagnosis(locked: Scenario, money: np.ndarray, solver: SolverLike, options: Any) -> Any:
    """The diagnosis of a re-plan that cannot hold the actuals, the held cells' money fixed by their column
    bounds: what was committed cannot be undone, so the repairs name the scenario's rules the actuals break
    (an envelope cut below what was committed), not the locks that hold them."""
    lp = assemble(locked)
    eu = lp.variables["eu"]
    i, p, r, y = eu.positions if eu.positions is not None else np.nonzero(locked.eligible)
    past = y < money.shape[3]
    cols = np.arange(eu.start, eu.stop)[past]
    lp.col_lower[cols] = lp.col_upper[cols] = money[i[past], p[past], r[past], y[past]]
    return diagnose(locked, lp, solver=solver, options=check_options(options))
