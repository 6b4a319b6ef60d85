"""Exceptions and warnings raised by fundsim.

Every exception derives from :class:`FundsimError`, carries its data as attributes and survives
pickling (Monte Carlo workers send them across processes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ArgumentError", "CapabilityError", "FundsimError", "FundsimWarning", "InfeasibleError", "Problem",
           "ScenarioError", "SolverError"]


class FundsimWarning(UserWarning):
    """A warning about a scenario or a result that is legal but probably not what was meant.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("the envelope of 'tpma' is never used", FundsimWarning)
    >>> caught[0].category.__name__, str(caught[0].message)
    ('FundsimWarning', "the envelope of 'tpma' is never used")
    """


class FundsimError(Exception):
    """Root of every fundsim exception.

    Examples
    --------
    >>> import fundsim as fs
    >>> issubclass(fs.ScenarioError, FundsimError), issubclass(fs.InfeasibleError, FundsimError)
    (True, True)
    """


class ArgumentError(FundsimError, ValueError):
    """An argument of a public function has a value it does not take (an unknown mode, a count below 1, a
    scenario without the section a run needs …); the message names the argument and what would be valid.

    A ``ValueError``, so ``except ValueError`` still catches it.

    Examples
    --------
    >>> raise ArgumentError("draws must be at least 1, got 0")
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: draws must be at least 1, got 0
    """


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario file.

    Attributes
    ----------
    file : path of the file the offending value came from (``None`` for in-memory data)
    line : 1-based line number where known
    path : field path such as ``instruments[2].cofinancing.max_eu_share``
    message : what is wrong and what would be valid

    Examples
    --------
    >>> print(Problem("tutorial.yaml", 33, "instruments[0].cofinancing.max_eu_share", "must be in (0, 1], got 1.2"))
    tutorial.yaml:33: instruments[0].cofinancing.max_eu_share: must be in (0, 1], got 1.2
    """

    file: str | None
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.path or '(top level)'}: {self.message}"


class ScenarioError(FundsimError, ValueError):
    """A scenario file (or dict) is malformed; ``problems`` lists every problem found.

    Examples
    --------
    >>> err = ScenarioError([Problem(None, None, "years", "must not be empty")])
    >>> print(err)
    1 problem in the scenario:
      - <scenario>: years: must not be empty
    >>> isinstance(err, ValueError), err.problems[0].path
    (True, 'years')
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the scenario:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


class InfeasibleError(FundsimError):
    """The scenario's rules cannot all hold at once.

    ``diagnosis`` says why, in the rules' own words: a sequence of sentences, usually a
    :class:`fundsim.diagnose.Diagnosis`, which also holds the cheap checks' findings (``checks``) and the
    alternative repairs as data (``repairs``: each a tuple of ``Repair`` with the rule, its labels, the bound
    before and after). Any sequence of strings is accepted.

    Examples
    --------
    >>> err = InfeasibleError("scenario 'x' has no allocation", ("the region 'r' needs at least EUR 9.0 m",))
    >>> print(err)
    scenario 'x' has no allocation
      - the region 'r' needs at least EUR 9.0 m
    >>> err.repairs
    ()
    """

    def __init__(self, message: str, diagnosis: Sequence[str] = (), status: str = "infeasible") -> None:
        self.message = message
        self.diagnosis: Sequence[str] = tuple(diagnosis) if isinstance(diagnosis, list | Iterator) else diagnosis
        self.status = status
        super().__init__(self._text())

    @property
    def repairs(self) -> tuple[Any, ...]:
        """The diagnosis's alternative repairs (``()`` when it holds sentences only)."""
        return tuple(getattr(self.diagnosis, "repairs", ()))

    def _text(self) -> str:
        return "\n".join([self.message, *(f"  - {d}" for d in self.diagnosis)])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.diagnosis, self.status))


class SolverError(FundsimError):
    """The solver failed for a reason other than infeasibility (limits, numerical trouble); ``status`` says
    how it stopped (``"limit"``, ``"unbounded"``, ``"error"``).

    Examples
    --------
    >>> err = SolverError("HiGHS stopped at its time limit", status="limit")
    >>> err.status, str(err)
    ('limit', 'HiGHS stopped at its time limit')
    """

    def __init__(self, message: str, status: str = "error") -> None:
        self.message = message
        self.status = status
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.status))


class CapabilityError(SolverError):
    """The chosen solver backend lacks a capability the call needs (ranging, in-place updates, a MILP …).

    ``backend`` names the backend, ``capability`` the missing capability and ``having`` the backends that
    have it. A :class:`SolverError` with ``status`` ``"unavailable"``, so code that catches solver errors
    (an allocation saved without its ranging) still catches it.

    Examples
    --------
    >>> raise CapabilityError("pulp", "ranging", ("highs",))
    Traceback (most recent call last):
    ...
    fundsim.errors.CapabilityError: the solver backend 'pulp' has no ranging; the backends with ranging are: highs \
(solve with solver='highs')
    """

    def __init__(self, backend: str, capability: str, having: Sequence[str] = (), why: str = "") -> None:
        self.backend = backend
        self.capability = capability
        self.having = tuple(having)
        self.why = why
        others = (f"the backends with {capability} are: {', '.join(self.having)} (solve with solver="
                  f"{self.having[0]!r})") if self.having else f"no backend has {capability}"
        super().__init__(f"the solver backend {backend!r} has no {capability}{why}; {others}", "unavailable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.backend, self.capability, self.having, self.why))
