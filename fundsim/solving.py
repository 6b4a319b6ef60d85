"""``fs.solve``: scenario → LP → backend → labelled Allocation; ``fs.replan``: the mid-term review, the years
already committed held at the actuals and the later ones solved again."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fundsim.errors import ArgumentError, InfeasibleError, SolverError
from fundsim.lp import assemble
from fundsim.model import Lock, Scenario, Selector
from fundsim.results import Allocation, open_allocation
from fundsim.results.inputs import wrong_type
from fundsim.scenario import load_scenario
from fundsim.solvers import Capability, Status
from fundsim.solvers.backends import SolverLike, program_kind, solver_choice
from fundsim.solvers.mip import solve_mip

__all__ = ["as_scenario", "check_options", "replan", "solve"]

ACTUALS = ("an Allocation (fs.solve(...), or fs.read_allocation(path, scenario) for a .csv or .xlsx file) or the "
           "path of a .nc file fundsim wrote")
NONE = 1e-6  # EUR m: less money in a cell counts as none (as the rule families count it)
SCENARIO = "a fundsim.Scenario (fs.load_scenario(path)) or the path of a scenario file (.yaml, .yml or .toml)"


def as_scenario(value: Scenario | str | os.PathLike[str], parameter: str = "scenario") -> Scenario:
    """``value`` when it is a :class:`~fundsim.model.Scenario`, the scenario loaded from it when it is a path
    (as :func:`fundsim.load_scenario` does), else a ``TypeError`` naming ``parameter``.

    Examples
    --------
    >>> as_scenario("scenarios/tutorial.yaml").name
    'tutorial'
    >>> as_scenario(None)
    Traceback (most recent call last):
    ...
    TypeError: scenario: got None; give a fundsim.Scenario (fs.load_scenario(path)) or the path of a scenario \
file (.yaml, .yml or .toml)
    """
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | os.PathLike):
        return load_scenario(Path(value))
    hint = " (for a dict, fs.scenario_from_dict(d))" if isinstance(value, Mapping) else ""
    raise wrong_type(parameter, value, SCENARIO + hint)


def check_options(options: Any, parameter: str = "options") -> dict[str, Any]:
    """Solver options as a dict (``None``: none), else a ``TypeError`` naming ``parameter``.

    Examples
    --------
    >>> check_options(None), check_options({"time_limit": 60})
    ({}, {'time_limit': 60})
    >>> check_options([1])
    Traceback (most recent call last):
    ...
    TypeError: options: got the list [1]; give a dict of solver options such as {'time_limit': 60}, or None
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        raise wrong_type(parameter, options, "a dict of solver options such as {'time_limit': 60}, or None")
    return dict(options)


def solve(scenario: Scenario | str | os.PathLike[str], solver: SolverLike = "highs",
          options: dict[str, Any] | None = None, *, keep_interrupted: bool = False) -> Allocation:
    """Find the best allocation of a scenario.

    Parameters
    ----------
    scenario : a :class:`~fundsim.model.Scenario` (see :func:`fundsim.load_scenario`), or the path of a
        scenario file, which is loaded
    solver : the backend: a name (``"highs"``, the default, or ``"pulp"``), a backend class or instance, or a
        :class:`~fundsim.solvers.SolverChoice`; it needs duals, and integer columns for a scenario with
        integer rules
    options : passed to the backend; for HiGHS any HiGHS option, e.g. ``{"solver": "simplex"}``,
        ``{"time_limit": 60}`` or, for scenarios with integer rules, ``{"mip_rel_gap": 1e-3}``; for PuLP
        ``{"solver": "HiGHS"}``, ``{"time_limit": 60}`` … (see :class:`~fundsim.solvers.PulpSolver`)

    A scenario with integer rules (``max_instruments_per_cell``, ``min_commitment``, ``admin_cost``,
    ``mobility_partnerships``) is a mixed-integer programme: its shadow prices are conditional on the
    integer decisions (:func:`fundsim.solvers.mip.solve_mip`), as ``alloc.data.attrs["shadow_prices"]`` says.

    keep_interrupted : Ctrl-C (or SIGTERM) stops HiGHS cleanly at its next check and raises
        :class:`KeyboardInterrupt`; with ``keep_interrupted=True``, a scenario with integer rules stopped so
        returns instead the best allocation found so far, with ``status`` ``"interrupted"`` and its proved
        relative gap to the optimum in ``alloc.data.attrs["mip_gap"]`` (an LP, or a MILP without a plan
        yet, still raises). It needs a backend with a clean interrupt (HiGHS).

    Raises
    ------
    TypeError
        when ``scenario``, ``solver`` or ``options`` is of the wrong kind (the message names it)
    CapabilityError
        when the backend lacks what the call needs (integer columns, a clean interrupt); the message names
        the backend, the capability and the backends that have it
    ScenarioError
        when ``scenario`` is a path to a file that does not load
    InfeasibleError
        when the rules cannot all hold; its ``diagnosis`` says which rules are in conflict.
    SolverError
        when the solver stops for another reason (limits, numerical trouble, unbounded).

    Examples
    --------
    >>> import fundsim as fs
    >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> alloc.objective
    130.0
    >>> fs.solve("scenarios/tutorial.yaml").objective  # a path is loaded first
    130.0
    >>> round(fs.solve("scenarios/tutorial.yaml", solver="pulp").objective, 6)  # CBC through PuLP
    130.0
    """
    scenario = as_scenario(scenario)
    needs = [Capability.DUALS, *([Capability.INTERRUPT] if keep_interrupted else [])]
    choice = solver_choice(solver, check_options(options), needs=needs)
    lp = assemble(scenario)
    kind = program_kind(lp)
    choice.require(kind, why=" for integer rules" if kind is Capability.MILP else "")
    backend = choice.make()
    if Capability.INTERRUPT in choice.capabilities:  # the backend stops cleanly on Ctrl-C
        backend.interrupt = "keep" if keep_interrupted else "raise"  # type: ignore[attr-defined]
    result = solve_mip(backend, lp)  # a pure LP: one solve
    if result.status is Status.INFEASIBLE:
        from fundsim.diagnose import diagnose

        raise InfeasibleError(f"scenario {scenario.name!r} has no allocation that satisfies all its rules",
                              diagnose(scenario, lp, solver=choice))
    if result.status not in (Status.OPTIMAL, Status.INTERRUPTED):
        raise SolverError(f"{result.solver} stopped with status {result.status.value} on {scenario.name!r}",
                          result.status.value)
    return Allocation.from_solution(scenario, lp, result)


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
        read with ``fs.read_allocation(path, scenario)``: .csv, .xlsx) or the path of a ``.nc`` file fundsim
        wrote; it must carry the scenario's instruments, priorities and regions and the years before
        ``from_year`` (later years of the actuals are not read)
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
        when ``actuals`` is a path that is not an allocation fundsim wrote (a .csv or .xlsx file: read it with
        ``fs.read_allocation(path, scenario)``)
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
    given, origin = _actuals(actuals)
    money = _held_money(given, scenario, held)
    locks = scenario.rules.locks + _held_locks(scenario, money, held, origin)
    locked = scenario.evolve(rules=dataclasses.replace(scenario.rules, locks=locks))
    try:
        plan = solve(locked, solver, options)
    except InfeasibleError as exc:
        raise InfeasibleError(f"the actuals of {_span(held)} ({origin}) cannot be held under the rules of the "
                              f"scenario {scenario.name!r}", _past_fixed_diagnosis(locked, money, solver, options),
                              exc.status) from None
    for attrs in (plan.data.attrs, plan.duals.attrs):
        attrs.update(replanned_from=int(from_year), actuals=origin)
    return plan


def _span(years: tuple[int, ...]) -> str:
    """``2009`` or ``2009–2010``."""
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


def _actuals(actuals: Any) -> tuple[Allocation, str]:
    """The actuals as an Allocation, and where they came from in words."""
    if isinstance(actuals, Allocation):
        return actuals, _origin(actuals)
    if isinstance(actuals, str | os.PathLike):
        return open_allocation(Path(actuals)), str(Path(actuals))
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
        raise ArgumentError(f"actuals: {int(bad.sum())} cells of {_span(held)} hold no amount of money (negative, "
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
        raise InfeasibleError(f"the actuals of {_span(held)} ({origin}) cannot be held under the rules of the "
                              f"scenario {sc.name!r}: they commit money in {n} the scenario makes ineligible",
                              cells[:10] + more)
    locks = []
    for i, p, r, y in np.argwhere(eligible):
        labels = (sc.instrument_ids[i], sc.priority_ids[p], sc.region_ids[r], held[y])
        name = "actual:" + ":".join(map(str, labels))
        ins, pri, reg, year = (frozenset({x}) for x in labels)
        cell = Selector(instruments=ins, priorities=pri, regions=reg, years=year, label=name)
        locks.append(Lock(name, cell, float(money[i, p, r, y]), float(money[i, p, r, y])))
    return tuple(locks)


def _past_fixed_diagnosis(locked: Scenario, money: np.ndarray, solver: SolverLike, options: Any) -> Any:
    """The diagnosis of a re-plan that cannot hold the actuals, the held cells' money fixed by their column
    bounds: what was committed cannot be undone, so the repairs name the scenario's rules the actuals break
    (an envelope cut below what was committed), not the locks that hold them."""
    from fundsim.diagnose import diagnose

    lp = assemble(locked)
    eu = lp.variables["eu"]
    i, p, r, y = eu.positions if eu.positions is not None else np.nonzero(locked.eligible)
    past = y < money.shape[3]
    cols = np.arange(eu.start, eu.stop)[past]
    lp.col_lower[cols] = lp.col_upper[cols] = money[i[past], p[past], r[past], y[past]]
    return diagnose(locked, lp, solver=solver, options=check_options(options))
