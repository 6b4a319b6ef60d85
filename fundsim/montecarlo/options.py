"""The typed options of a Monte Carlo run, and of the sensitivity studies that share its driver.

A choice among names is a :data:`~typing.Literal` checked when it is made: a wrong name is a
:class:`~fundsim.errors.ArgumentError` that lists the valid ones. Options that go together are small frozen
dataclasses, checked when they are made, so that a bad option is refused before any work:

- :class:`Sampling`: the points of a run (how many draws, the seed, the design); they fix its numbers.
- :class:`Evaluation`: what is done at each point (re-optimise, or stress-test a plan), by which solver,
  on which executor and in what chunks. The executor and the chunks never change the numbers.
- :class:`Storage`: the ``.zarr`` store a run is written to, chunk by chunk, and resumed from.

Examples
--------
>>> Evaluation(mode="optimise")
Traceback (most recent call last):
...
fundsim.errors.ArgumentError: unknown mode 'optimise'; the modes are: reoptimise, stress
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.model import Uncertainty
from fundsim.model.uncertainty import check_seed
from fundsim.montecarlo.design import DESIGNS, parameter_values, unit_design
from fundsim.results import Allocation
from fundsim.results.inputs import wrong_type
from fundsim.solvers.backends import SolverLike

__all__ = ["EXECUTORS", "MODES", "DesignName", "Evaluation", "ExecutorName", "Mode", "PlanLike", "Sampling",
           "Storage", "as_evaluation", "check_choice", "check_executor"]

Mode = Literal["reoptimise", "stress"]
MODES: tuple[Mode, ...] = get_args(Mode)
DesignName = Literal["random", "lhs", "sobol"]
ExecutorName = Literal["sequential", "processes"]
EXECUTORS: tuple[ExecutorName, ...] = get_args(ExecutorName)
PlanLike: TypeAlias = Allocation | xr.Dataset | str | os.PathLike[str] | np.ndarray | None
"""A plan to stress-test: an Allocation, its Dataset, a NetCDF file it was saved to, or a dense
``(instrument, priority, region, year)`` array of EU commitments."""

if get_args(DesignName) != DESIGNS:  # pragma: no cover (a design registered in design.py is named here too)
    raise ImportError(f"DesignName {get_args(DesignName)} and design.DESIGNS {DESIGNS} differ")


def check_choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    """Refuse a ``value`` that is not one of ``choices``, listing them.

    Examples
    --------
    >>> check_choice("design", "latin", DESIGNS)
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: unknown design 'latin'; the designs are: random, lhs, sobol
    """
    if not (isinstance(value, str) and value in choices):
        raise ArgumentError(f"unknown {what} {value!r}; the {what}s are: {', '.join(choices)}")


def check_executor(executor: object) -> None:
    """Refuse, when it is made, an executor that names nothing: a string other than ``"sequential"``,
    ``"processes"`` or a scheduler address ``"tcp://…"`` (an executor object is checked when it is used).

    Examples
    --------
    >>> check_executor("gpu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: unknown executor 'gpu': use 'sequential', 'processes', a dask.distributed.Client...
    """
    if isinstance(executor, str) and executor not in EXECUTORS and "://" not in executor:
        raise ArgumentError(f"unknown executor {executor!r}: use {', '.join(map(repr, EXECUTORS))}, a "
                            "dask.distributed.Client or a scheduler address tcp://host:port")


def _check_count(what: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ArgumentError(f"{what} must be a whole number of at least 1, got {value!r}")


@dataclass(frozen=True)
class Sampling:
    """The points of a Monte Carlo run: ``draws`` draws of the ``design`` from ``seed``.

    Draw k's numbers depend only on (seed, k) in the random design, on (seed, draws) in the others, never
    on how the draws are split into chunks or where they run.

    Attributes
    ----------
    draws : the number of draws (at least 1)
    seed : a whole number from 0 to 2**63 - 1
    design : ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"`` (scrambled)

    Examples
    --------
    >>> import fundsim as fs
    >>> unc = fs.load_scenario("scenarios/tutorial-uncertain.yaml").uncertainty
    >>> Sampling(4, seed=1, design="lhs").values(unc, 0, 4).shape  # (draw, uncertain parameter)
    (4, 4)
    >>> Sampling(4, design="latin")
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: unknown design 'latin'; the designs are: random, lhs, sobol
    """

    draws: int
    seed: int = 0
    design: DesignName = "random"

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "seed", check_seed(self.seed))  # 1.5 would run as 1 and be recorded as 1.5
        except ValueError as exc:
            raise ArgumentError(str(exc)) from None
        check_choice("design", self.design, DESIGNS)
        _check_count("draws", self.draws)
        object.__setattr__(self, "draws", int(self.draws))

    def values(self, unc: Uncertainty, start: int, stop: int) -> np.ndarray:
        """Draws ``start:stop`` as values of the uncertain parameters, ``(draw, parameter)``."""
        return parameter_values(unc, unit_design(self.design, self.draws, len(unc.sources), self.seed, start, stop))


@dataclass(frozen=True, eq=False)  # a plan holds arrays: an evaluation is itself, not equal to another
class Evaluation:
    """What is done at each draw or point, by which solver, where and in what chunks.

    Attributes
    ----------
    mode : ``"reoptimise"``: the best allocation is found again at every point (sifted from the scenario's
        optimum, :class:`~fundsim.solvers.sifting.Sifting`); ``"stress"``: the fixed ``plan`` is evaluated
        under every point's numbers, vectorised
    plan : the plan stress mode evaluates (:data:`PlanLike`). :func:`fundsim.simulate` needs one; a
        sensitivity study stress-tests the scenario's own optimal plan without one
    keep_allocations : also keep every point's full ``eu`` cube (re-optimise mode; memory grows with the
        points: give a :class:`Storage`)
    solver, options : the backend that re-optimises the points and its options, as the entry point was given
        them (``solver=`` and ``options=`` of :func:`fundsim.simulate` and every study; see :meth:`using`)
    executor : ``"sequential"``, ``"processes"`` (a local pool), an executor of
        :mod:`fundsim.montecarlo.executors` (``ProcessExecutor(workers)``), a ``dask.distributed.Client``
        or a scheduler address ``"tcp://…"``. ``None``: :func:`fundsim.simulate` takes a pool for large
        runs (1,000 draws and more in reoptimise mode) and runs smaller ones in order; the sensitivity
        studies run in order. The numbers are the same on every executor
    chunk_size : points per chunk (does not change the numbers); ``None``: 100 (reoptimise), 10,000
        (stress) in :func:`fundsim.simulate`, 100 for given points

    Examples
    --------
    >>> Evaluation("stress", plan="plan.nc").mode
    'stress'
    >>> Evaluation(executor="gpu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: unknown executor 'gpu': use 'sequential', 'processes', a dask.distributed.Client...
    """

    mode: Mode = "reoptimise"
    plan: PlanLike = None
    keep_allocations: bool = False
    executor: Any = None
    chunk_size: int | None = None
    _solver: SolverLike = field(default="highs", repr=False)  # set by the entry point: see using()
    _options: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def solver(self) -> SolverLike:
        """The backend the entry point was given (``solver=``)."""
        return self._solver

    @property
    def options(self) -> Mapping[str, Any] | None:
        """The backend's options the entry point was given (``options=``)."""
        return self._options

    def using(self, solver: SolverLike, options: Mapping[str, Any] | None) -> Evaluation:
        """This evaluation with the backend an entry point was given (every entry point takes ``solver=`` and
        ``options=`` itself, by the project's contract, so an Evaluation is not where they are given).

        Examples
        --------
        >>> Evaluation("reoptimise").using("pulp", None).solver
        'pulp'
        """
        return replace(self, _solver=solver, _options=options)

    def __post_init__(self) -> None:
        check_choice("mode", self.mode, MODES)
        if self.plan is not None and not isinstance(self.plan, Allocation | xr.Dataset | str | os.PathLike
                                                    | np.ndarray):
            raise wrong_type("plan", self.plan, "None, a fundsim.Allocation, its Dataset, or the path of a .nc "
                             "file written by 'fundsim solve --out'")
        if not isinstance(self.keep_allocations, bool | np.bool_):
            raise wrong_type("keep_allocations", self.keep_allocations, "True or False")
        check_executor(self.executor)
        if self.chunk_size is not None:
            _check_count("chunk_size", self.chunk_size)


@dataclass(frozen=True)
class Storage:
    """A ``.zarr`` folder a run is written to chunk by chunk; the same run started again resumes from it.

    Attributes
    ----------
    path : the store (a ``.zarr`` folder fundsim made, or a new one), kept as a :class:`~pathlib.Path`
    force : replace a store that holds another run (by default such a store is refused)

    Examples
    --------
    >>> Storage("run.zarr").path
    PosixPath('run.zarr')
    """

    path: str | os.PathLike[str]
    force: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.path, str | os.PathLike):
            raise wrong_type("storage path", self.path, "the path of a .zarr folder (a str or pathlib.Path)")
        object.__setattr__(self, "path", Path(self.path))
        if not isinstance(self.force, bool | np.bool_):
            raise wrong_type("force", self.force, "True or False")


def as_evaluation(evaluation: object) -> Evaluation:
    """``evaluation`` itself, or the default :class:`Evaluation` for ``None``; anything else is a ``TypeError``.

    Examples
    --------
    >>> as_evaluation(None).mode
    'reoptimise'
    >>> as_evaluation("stress")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: evaluation: got the str 'stress'; give a fundsim.montecarlo.Evaluation (mode, plan, solver, ...
    """
    if evaluation is None:
        return Evaluation()
    if not isinstance(evaluation, Evaluation):
        raise wrong_type("evaluation", evaluation, "a fundsim.montecarlo.Evaluation (mode, plan, solver, executor "
                         "…) or None")
    return evaluation
