"""The solver backends by name (:data:`BACKENDS`), and the one way callers choose and build one.

Every entry point that solves takes ``solver=`` (a backend name, a backend class or instance, or a
:class:`SolverChoice`) and ``options=`` (the backend's options). It turns them into a :class:`SolverChoice`
with :func:`solver_choice`, naming the capabilities it needs; a backend that lacks one is refused with a
:class:`~fundsim.errors.CapabilityError` that names the backend, the capability and the backends that have
it. Backends are built only here (:meth:`SolverChoice.make`), never by the modules that use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import numpy as np

from fundsim.errors import ArgumentError, CapabilityError
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import Capability, InPlaceSolver, RangingSolver, Solver
from fundsim.solvers.highs import HighsSolver
from fundsim.solvers.pulp import PulpSolver

BACKENDS: dict[str, type[Solver]] = {"highs": HighsSolver, "pulp": PulpSolver}
DEFAULT = "highs"
ACCEPTS = "a backend name ('highs' or 'pulp'), a backend class or instance, or a fundsim.solvers.SolverChoice"

__all__ = ["ACCEPTS", "BACKENDS", "DEFAULT", "SolverChoice", "SolverLike", "display_name", "get_solver", "having",
           "program_kind", "solver_choice"]


def having(capability: Capability) -> tuple[str, ...]:
    """The names of the registered backends that declare ``capability``, sorted.

    Examples
    --------
    >>> from fundsim.solvers import Capability, having
    >>> having(Capability.RANGING), having(Capability.IN_PLACE)
    (('highs',), ('highs', 'pulp'))
    """
    return tuple(sorted(name for name, cls in BACKENDS.items() if capability in cls.capabilities))


def program_kind(lp: LinearProgram) -> Capability:
    """``MILP`` for a programme with integer columns, else ``LP``: what a backend needs to solve ``lp``.

    Examples
    --------
    >>> import fundsim as fs
    >>> program_kind(fs.assemble(fs.load_scenario("scenarios/tutorial.yaml")))
    <Capability.LP: 'LP'>
    """
    return Capability.MILP if lp.integrality is not None and np.any(lp.integrality) else Capability.LP


def display_name(name: str) -> str:
    """A backend's name as messages write it: ``"HiGHS"`` for ``"highs"``, any other as it is.

    Examples
    --------
    >>> display_name("highs"), display_name("pulp")
    ('HiGHS', 'pulp')
    """
    return "HiGHS" if name == "highs" else name


@dataclass(frozen=True)
class SolverChoice:
    """A backend class and the options to make it with: what an entry point passes down to where it solves.

    Plain data (it pickles, so Monte Carlo workers build their own backend from it). Make one with
    :func:`solver_choice`.

    Attributes
    ----------
    backend : the backend class (one of :data:`BACKENDS`, or any class that follows
        :class:`~fundsim.solvers.base.Solver`)
    options : the options, as sorted ``(key, value)`` pairs

    Examples
    --------
    >>> from fundsim.solvers import Capability, solver_choice
    >>> choice = solver_choice("pulp", {"time_limit": 60})
    >>> choice.name, choice.settings
    ('pulp', {'time_limit': 60})
    >>> choice.require(Capability.RANGING)
    Traceback (most recent call last):
    ...
    fundsim.errors.CapabilityError: the solver backend 'pulp' has no ranging; the backends with ranging are: \
highs (solve with solver='highs')
    """

    backend: type[Solver]
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.backend.capabilities

    @property
    def settings(self) -> dict[str, Any]:
        """The options as a dict."""
        return dict(self.options)

    def require(self, *needs: Capability, why: str = "") -> SolverChoice:
        """This choice, once its backend declares every capability in ``needs``; else a CapabilityError for
        the first one missing (``why``, e.g. ``" to range a solution"``, goes into the message)."""
        for need in needs:
            if need not in self.capabilities:
                raise CapabilityError(self.name, need.value, having(need), why)
        return self

    def make(self, tuning: Mapping[str, Mapping[str, Any]] | None = None) -> Solver:
        """A new backend instance. ``tuning`` maps backend names to options the caller prefers for that
        backend (e.g. ``{"highs": {"simplex_strategy": 4}}``); the chosen options win over them."""
        preferred = dict((tuning or {}).get(self.name, {}))
        return cast(Any, self.backend)({**preferred, **self.settings} or None)

    def make_in_place(self, tuning: Mapping[str, Mapping[str, Any]] | None = None) -> InPlaceSolver:
        """:meth:`make`, for a backend with :attr:`Capability.IN_PLACE` (else a CapabilityError)."""
        self.require(Capability.IN_PLACE)
        return cast(InPlaceSolver, self.make(tuning))

    def make_ranging(self, tuning: Mapping[str, Mapping[str, Any]] | None = None) -> RangingSolver:
        """:meth:`make`, for a backend with :attr:`Capability.RANGING` (else a CapabilityError)."""
        self.require(Capability.RANGING, Capability.IN_PLACE)
        return cast(RangingSolver, self.make(tuning))


#: what ``solver=`` takes everywhere: a name from :data:`BACKENDS`, a backend class or instance, a SolverChoice
SolverLike: TypeAlias = str | Solver | type[Solver] | SolverChoice


def _backend_class(solver: Any, parameter: str) -> type[Solver]:
    if isinstance(solver, str):
        try:
            return BACKENDS[solver]
        except KeyError:
            raise ArgumentError(f"unknown solver {solver!r}; available solvers are: "
                                f"{', '.join(sorted(BACKENDS))}") from None
    cls = solver if isinstance(solver, type) else type(solver)
    if not isinstance(getattr(cls, "capabilities", None), frozenset) or not isinstance(getattr(cls, "name", None),
                                                                                        str):
        what = "None" if solver is None else f"the {type(solver).__name__} {solver!r}"
        raise TypeError(f"{parameter}: got {what}; give {ACCEPTS}")
    return cast(type[Solver], cls)


def solver_choice(solver: SolverLike = DEFAULT,
                  options: Mapping[str, Any] | None = None, *, needs: Iterable[Capability] = (),
                  why: str = "", parameter: str = "solver") -> SolverChoice:
    """The backend ``solver`` stands for, with ``options``, once it declares the capabilities ``needs``.

    Parameters
    ----------
    solver : a name from :data:`BACKENDS`; a backend class; a backend instance (it stands for its class
        and its ``options``: each solve gets a new instance made like it); or a :class:`SolverChoice`
    options : the backend's options, over those of an instance or choice given as ``solver``. A
        ``time_limit`` asks for :attr:`Capability.TIME_LIMIT` as well.
    needs : the capabilities the caller needs; ``why`` is added to the error message
    parameter : the name of the caller's argument, for a ``TypeError``

    Raises
    ------
    CapabilityError
        naming the backend, the first capability it lacks, and the backends that have it.
    ArgumentError
        for an unknown backend name; ``TypeError`` for a ``solver`` of another kind.

    Examples
    --------
    >>> from fundsim.solvers import Capability, solver_choice
    >>> solver_choice().name
    'highs'
    >>> solver_choice("pulp", needs=[Capability.LP, Capability.IN_PLACE]).name
    'pulp'
    >>> solver_choice("pulp", needs=[Capability.WARM_START], why=" to sift draws")
    Traceback (most recent call last):
    ...
    fundsim.errors.CapabilityError: the solver backend 'pulp' has no warm re-solves to sift draws; the backends \
with warm re-solves are: highs (solve with solver='highs')
    """
    if isinstance(solver, SolverChoice):
        base, cls = solver.settings, solver.backend
    else:
        cls = _backend_class(solver, parameter)
        base = dict(getattr(solver, "options", None) or {}) if not isinstance(solver, str | type) else {}
    merged = {**base, **dict(options or {})}
    choice = SolverChoice(cls, tuple(sorted(merged.items())))
    wanted = [*needs, *([Capability.TIME_LIMIT] if "time_limit" in merged else [])]
    return choice.require(*wanted, why=why)


def get_solver(name: str = DEFAULT, **options: object) -> Solver:
    """A solver instance by name (``"highs"`` or ``"pulp"``), made with ``options``.

    Examples
    --------
    >>> from fundsim.solvers import get_solver
    >>> get_solver("pulp", solver="PULP_CBC_CMD").name
    'pulp'
    """
    return solver_choice(name, options).make()
