"""``fs.solve``: scenario → LP → backend → labelled Allocation; ``fs.replan``: the mid-term review, the years
already committed held at the actuals and the later ones solved again."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fundsim.errors import InfeasibleError, SolverError
from fundsim.lp import assemble
from fundsim.model import Scenario
from fundsim.results import Allocation
from fundsim.results.inputs import wrong_type
from fundsim.scenario import load_scenario
from fundsim.solvers import Capability, Status
from fundsim.solvers.backends import SolverChoice, SolverLike, program_kind, solver_choice
from fundsim.solvers.base import MipProgress, Solver
from fundsim.solvers.mip import solve_mip

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["MIP_DEFAULTS", "as_scenario", "check_options", "mip_choice", "mip_display", "solve", "stopping_rule"]

#: what a scenario with integer rules is solved to unless its options say otherwise: a proved relative gap of
#: 0.1 % (HiGHS's own default is 0.01 %) or 300 seconds, whichever comes first
MIP_DEFAULTS: dict[str, float] = {"mip_rel_gap": 1e-3, "time_limit": 300.0}

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


def mip_choice(choice: SolverChoice) -> SolverChoice:
    """``choice`` with :data:`MIP_DEFAULTS` for each option it does not set (the time limit only for a backend
    that has one): the options a scenario with integer rules is solved with.

    Examples
    --------
    >>> mip_choice(solver_choice("highs")).settings
    {'mip_rel_gap': 0.001, 'time_limit': 300.0}
    >>> mip_choice(solver_choice("pulp", {"time_limit": 60})).settings
    {'mip_rel_gap': 0.001, 'time_limit': 60}
    """
    given = choice.settings
    defaults = {key: value for key, value in MIP_DEFAULTS.items() if key not in given
                and (key != "time_limit" or Capability.TIME_LIMIT in choice.capabilities)}
    return solver_choice(choice, defaults)


def stopping_rule(settings: Mapping[str, Any]) -> str:
    """In words, when a solve of a mixed-integer programme with the options ``settings`` stops.

    Examples
    --------
    >>> stopping_rule({"mip_rel_gap": 0.001, "time_limit": 300.0})
    'a proved gap of 0.10 % or 300 s'
    >>> stopping_rule({"mip_rel_gap": 0, "time_limit": float("inf")}), stopping_rule({})
    ('a proved gap of 0.00 %', "the solver's own gap")
    """
    gap, limit = settings.get("mip_rel_gap"), settings.get("time_limit")
    words = ["the solver's own gap" if gap is None else
             f"a proved gap of {100 * gap:.2f} %" if _is_number(gap) else f"a proved gap of {gap}"]
    if limit is not None and not (_is_number(limit) and np.isinf(limit)):
        words.append(f"{limit:,.0f} s" if _is_number(limit) else f"{limit} s")
    return " or ".join(words)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@contextmanager
def mip_display(name: str, settings: Mapping[str, Any],
                console: Console | None = None) -> Iterator[Callable[[MipProgress], None]]:
    """Show the solve of the mixed-integer programme ``name``: a line saying when it stops (:func:`stopping_rule`
    of ``settings``), then its incumbent, bound and gap and the time elapsed as
    :func:`fundsim.progress.status_display` shows a status (live on a terminal or in a notebook, a line every 5 s
    elsewhere). Yields the function to give the backend as its ``progress``.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> log = io.StringIO()
    >>> with mip_display("tutorial", {"mip_rel_gap": 0.001}, Console(file=log)) as report:
    ...     report(MipProgress(125.0, 130.0, 0.04, 1.2))
    >>> print(log.getvalue(), end="")  # doctest: +ELLIPSIS
    solving tutorial to a proved gap of 0.10 %
    tutorial: incumbent 125.0 · bound 130.0 · gap 4.00 % · ... s
    """
    from rich.console import Console
    from rich.text import Text

    from fundsim.progress import status_display

    console = console if console is not None else Console(stderr=True)
    console.print(Text(f"solving {name} to {stopping_rule(settings)}"), soft_wrap=True)
    with status_display(name, console) as show:
        yield lambda snapshot: show(snapshot.describe())


@contextmanager
def _reporting(backend: Solver, progress: bool | Callable[[MipProgress], None], name: str,
               settings: Mapping[str, Any]) -> Iterator[None]:
    """For the block, ``backend`` reports its progress to ``progress``, or to :func:`mip_display` if it is
    ``True``."""
    if progress is True:
        with mip_display(name, settings) as report:
            backend.progress = report  # type: ignore[attr-defined]
            yield
    else:
        if callable(progress):
            backend.progress = progress  # type: ignore[attr-defined]
        yield


def solve(scenario: Scenario | str | os.PathLike[str], solver: SolverLike = "highs",
          options: dict[str, Any] | None = None, *, keep_interrupted: bool = False,
          progress: bool | Callable[[MipProgress], None] = False) -> Allocation:
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

    keep_interrupted : Ctrl-C (or SIGTERM) stops HiGHS cleanly at its next check and raises
        :class:`KeyboardInterrupt`; with ``keep_interrupted=True``, a scenario with integer rules stopped so
        returns instead the best allocation found so far, with ``status`` ``"interrupted"`` and its proved
        relative gap to the optimum in ``alloc.data.attrs["mip_gap"]`` (an LP, or a MILP without a plan
        yet, still raises). It needs a backend with a clean interrupt (HiGHS).
    progress : for a scenario with integer rules, ``True`` shows the search on stderr as it goes (the
        incumbent, the bound, the gap and the seconds: live on a terminal or in a notebook, a line every 5 s
        elsewhere, see :func:`mip_display`); a function is called with a
        :class:`~fundsim.solvers.base.MipProgress` instead, often (keep it cheap) and once at the end. An LP
        reports nothing. Only HiGHS reports progress: another backend is refused (``CapabilityError``).

    A scenario with integer rules (``max_instruments_per_cell``, ``min_commitment``, ``admin_cost``,
    ``mobility_partnerships``) is a mixed-integer programme: its shadow prices are conditional on the
    integer decisions (:func:`fundsim.solvers.mip.solve_mip`), as ``alloc.data.attrs["shadow_prices"]`` says.
    It is solved to a proved relative gap of 0.1 % or for 300 s, whichever comes first (:data:`MIP_DEFAULTS`;
    ``options`` ``mip_rel_gap`` and ``time_limit`` change either, e.g. ``{"mip_rel_gap": 0.01}`` or
    ``{"time_limit": float("inf")}``). A solve stopped at the time limit with a plan returns it, with ``status``
    ``"limit"``; without one it raises ``SolverError``. The attrs ``mip_rel_gap`` and ``time_limit`` keep what
    the solve was asked for, ``mip_gap`` the relative gap it proved and ``mip_bound`` the bound on the optimum.

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
    >>> import dataclasses
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> one = sc.evolve(rules=dataclasses.replace(sc.rules, max_instruments_per_cell=fs.model.MaxInstrumentsPerCell(1)))
    >>> seen = []
    >>> alloc = fs.solve(one, progress=seen.append)
    >>> round(seen[-1].incumbent, 6), alloc.objective, alloc.data.attrs["mip_rel_gap"]  # the last report, the plan
    (127.5, 127.5, 0.001)
    """
    scenario = as_scenario(scenario)
    if not isinstance(progress, bool) and not callable(progress):
        raise wrong_type("progress", progress, "True or False, or a function of a fundsim.solvers.base.MipProgress")
    needs = [Capability.DUALS, *([Capability.INTERRUPT] if keep_interrupted else []),
             *([Capability.PROGRESS] if progress is not False else [])]
    choice = solver_choice(solver, check_options(options), needs=needs)
    lp = assemble(scenario)
    kind = program_kind(lp)
    choice.require(kind, why=" for integer rules" if kind is Capability.MILP else "")
    if kind is Capability.MILP:
        choice = mip_choice(choice)
    backend = choice.make()
    if Capability.INTERRUPT in choice.capabilities:  # the backend stops cleanly on Ctrl-C
        backend.interrupt = "keep" if keep_interrupted else "raise"  # type: ignore[attr-defined]
    with _reporting(backend, progress if kind is Capability.MILP else False, scenario.name, choice.settings):
        result = solve_mip(backend, lp)  # a pure LP: one solve
    if result.status is Status.INFEASIBLE:
        from fundsim.diagnose import diagnose

        raise InfeasibleError(f"scenario {scenario.name!r} has no allocation that satisfies all its rules",
                              diagnose(scenario, lp, solver=choice))
    mip = kind is Capability.MILP
    kept = mip and result.status in (Status.INTERRUPTED, Status.LIMIT) and bool(np.isfinite(result.x).all())
    if result.status is not Status.OPTIMAL and not kept:
        raise _stopped(result.solver, result.status, scenario.name, choice.settings if mip else {})
    if mip:
        asked = {key: choice.settings[key] for key in MIP_DEFAULTS if key in choice.settings}
        result = dataclasses.replace(result, info={**result.info, **asked})
    return Allocation.from_solution(scenario, lp, result)


def _stopped(solver: str, status: Status, name: str, settings: Mapping[str, Any]) -> SolverError:
    """The error of a solve that stopped without a plan; for a MILP at its time limit, how to give it longer."""
    message = f"{solver} stopped with status {status.value} on {name!r}"
    if status is Status.LIMIT and "time_limit" in settings:
        message += (f" before it found a plan that keeps every rule (its time limit: {settings['time_limit']} s); "
                    "allow more time with the option time_limit (--option time_limit=S)")
    return SolverError(message, status.value)
