"""The argument checks of the study functions (:func:`~fundsim.sensitivity.sweep`,
:func:`~fundsim.sensitivity.tornado`, :func:`~fundsim.sensitivity.budget_frontier`,
:func:`~fundsim.sensitivity.pareto_front`): an argument of the wrong kind is a ``TypeError`` naming the
parameter, what it got and what it accepts, raised before any solve. The scenario may be a path
(:func:`fundsim.solving.as_scenario`). Values of the right kind but out of range are each function's own
``ValueError``.

Examples
--------
>>> check_number("low", "5%")
Traceback (most recent call last):
...
TypeError: low: got the str '5%'; give a number
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from fundsim.model import Scenario
from fundsim.results import Allocation
from fundsim.results.inputs import wrong_type
from fundsim.solving import as_scenario

__all__ = ["check_flag", "check_number", "check_outputs", "check_plan", "pareto_arguments", "study_arguments"]


def check_number(parameter: str, value: Any, *, optional: bool = False) -> None:
    """A real number (not a bool), or ``None`` when ``optional``.

    Examples
    --------
    >>> check_number("low", 0.05), check_number("high", None, optional=True)
    (None, None)
    >>> check_number("low", True)
    Traceback (most recent call last):
    ...
    TypeError: low: got the bool True; give a number
    """
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise wrong_type(parameter, value, "a number" + (" or None" if optional else ""))


def check_flag(parameter: str, value: Any) -> None:
    """``True`` or ``False``.

    Examples
    --------
    >>> check_flag("relative", True)
    >>> check_flag("relative", 1)
    Traceback (most recent call last):
    ...
    TypeError: relative: got the int 1; give True or False
    """
    if not isinstance(value, bool | np.bool_):
        raise wrong_type(parameter, value, "True or False")


def check_outputs(parameter: str, value: Any, *, optional: bool = True) -> None:
    """An output name or a list of them (``None`` when ``optional``).

    Examples
    --------
    >>> check_outputs("outputs", ["objective", "pillar:legal"])
    >>> try:
    ...     check_outputs("outputs", 3)
    ... except TypeError as err:
    ...     print(str(err).split(";")[0])
    outputs: got the int 3
    """
    if optional and value is None:
        return
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise wrong_type(parameter, value, "an output name such as 'objective' or 'pillar:<id>', or a list of "
                         "them (fundsim.sensitivity.valid_outputs(scenario) lists them)")


def check_plan(plan: Any) -> None:
    """A plan for stress mode: ``None``, an Allocation, its Dataset or the path of a NetCDF file.

    Examples
    --------
    >>> import fundsim as fs
    >>> check_plan(fs.solve("scenarios/tutorial.yaml"))
    >>> try:
    ...     check_plan(3)
    ... except TypeError as err:
    ...     print(str(err).split(";")[0])
    plan: got the int 3
    """
    if plan is not None and not isinstance(plan, Allocation | xr.Dataset | str | os.PathLike):
        raise wrong_type("plan", plan, "None, a fundsim.Allocation, its Dataset, or the path of a .nc file written "
                         "by 'fundsim solve --out'")


def study_arguments(scenario: Any, outputs: Any, plan: Any, **numbers_: Any) -> Scenario:
    """The scenario of a sweep or tornado study, once its outputs, plan and numbers are of the right kind.

    Examples
    --------
    >>> study_arguments("scenarios/tutorial.yaml", "objective", None, low=0.05, high=0.95).name
    'tutorial'
    >>> study_arguments("scenarios/tutorial.yaml", "objective", None, low="5%")
    Traceback (most recent call last):
    ...
    TypeError: low: got the str '5%'; give a number
    """
    scenario = as_scenario(scenario)
    check_outputs("outputs", outputs)
    check_plan(plan)
    for name, value in numbers_.items():
        check_number(name, value)
    return scenario


def pareto_arguments(scenario: Any, objectives: Any, pillar_targets: Any, tol: Any) -> tuple[Scenario, tuple[str, ...]]:
    """The scenario and objectives of a Pareto front, once its arguments are of the right kind.

    Examples
    --------
    >>> scenario, objectives = pareto_arguments("scenarios/tutorial.yaml", ["impact", "leverage"], None, 1e-6)
    >>> scenario.name, objectives
    ('tutorial', ('impact', 'leverage'))
    >>> try:
    ...     pareto_arguments("scenarios/tutorial.yaml", "impact", None, 1e-6)
    ... except TypeError as err:
    ...     print(str(err).split(";")[0])
    objectives: got the str 'impact'
    """
    scenario = as_scenario(scenario)
    if isinstance(objectives, str) or not isinstance(objectives, list | tuple) \
            or not all(isinstance(o, str) for o in objectives):
        raise wrong_type("objectives", objectives, "a tuple of two or three objective names such as "
                         "('impact', 'leverage')")
    if pillar_targets is not None and not isinstance(pillar_targets, Mapping):
        raise wrong_type("pillar_targets", pillar_targets, "a dict of target shares by pillar id, or None")
    check_number("tol", tol)
    return scenario, tuple(objectives)
