"""The ``uncertainty:`` section of a scenario file (the file edge of fundsim.model.uncertainty).

```yaml
uncertainty:
  factors:
    - {id: financial_crisis, description: "16041/08 §23: the crisis hits co-financing and budgets"}
  parameters:
    - id: ms_match
      path: match_sources.member_states.capacity
      distribution: {kind: lognormal, median: 1.0, sigma: 0.15}
      factor: financial_crisis
    - id: na_absorption
      path: absorption.capacity.north_africa
      distribution: {kind: pert, low: 0.6, mode: 1.0, high: 1.1}
  correlation:                       # Spearman rank correlation between factors and free parameters
    between: [financial_crisis, na_absorption]
    matrix: [[1, 0.4], [0.4, 1]]
```
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from fundsim.rules.entries import Noted
from fundsim.rules.fields import Id, Located, Num, show, suggest

__all__ = ["UncertaintySpec", "check_path", "outside_range", "support"]

Finite = Num


class DistributionSpec(Noted):
    kind: Literal["normal", "lognormal", "uniform", "triangular", "pert", "discrete"]
    mean: Finite | None = None
    sd: Annotated[Num, Field(gt=0)] | None = None
    median: Annotated[Num, Field(gt=0)] | None = None
    sigma: Annotated[Num, Field(gt=0)] | None = None
    low: Finite | None = None
    mode: Finite | None = None
    high: Finite | None = None
    values: list[Finite] | None = None
    probabilities: list[Annotated[Num, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _parameters(self) -> DistributionSpec:
        need = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma"), "uniform": ("low", "high"),
                "triangular": ("low", "mode", "high"), "pert": ("low", "mode", "high"),
                "discrete": ("values", "probabilities")}[self.kind]
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(need)}; missing: {', '.join(missing)}")
        given = {n for n in type(self).model_fields if n not in ("kind", "source", "assumption", "note")
                 and getattr(self, n) is not None}
        extra = given - set(need) - ({"low", "high"} if self.kind == "normal" else set())
        if extra:
            raise ValueError(f"a {self.kind} distribution takes {', '.join(need)}"
                             f"{' (and low/high to truncate)' if self.kind == 'normal' else ''}; "
                             f"not {', '.join(sorted(extra))}")
        if self.kind in ("uniform", "triangular", "pert", "normal") and self.low is not None and self.high is not None:
            if self.low >= self.high:
                raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
            if self.mode is not None and not self.low <= self.mode <= self.high:
                raise ValueError(f"mode ({self.mode:g}) must lie between low ({self.low:g}) and high ({self.high:g})")
        if self.kind == "discrete":
            values, probs = self.values or [], self.probabilities or []
            if len(values) != len(probs) or not values:
                raise ValueError(f"give one probability per value: {len(values)} values, {len(probs)} probabilities")
            if abs(sum(probs) - 1) > 1e-6:
                raise ValueError(f"the probabilities must sum to 1, they sum to {sum(probs):g}")
        return self


def check_path(path: str, context: dict[str, Any]) -> str:
    """Check an uncertain parameter's path against the scenario's ids; return it or raise ValueError.

    Examples
    --------
    >>> check_path("instruments.tpma.envelope", {"instrument": {"tpma", "enpi"}})
    'instruments.tpma.envelope'
    >>> try:
    ...     check_path("instruments.tmpa.envelope", {"instrument": {"tpma", "enpi"}})
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    in path 'instruments.tmpa.envelope': unknown instrument 'tmpa' (did you mean 'tpma'?)
    """
    parts = path.split(".")
    forms = ("instruments.<id>.envelope, instruments.<id>.payment_delay, match_sources.<id>.capacity, "
             "absorption.capacity[.<region or country>], "
             "objective.impact.weights[.<priority>[.<region or country>]]")

    def known(kind: str, value: str, what: str) -> None:
        ids = context.get(kind)
        if ids is not None and value not in ids:
            raise ValueError(f"in path {path!r}: " + suggest(value, ids, what))

    if len(parts) == 3 and parts[0] == "instruments" and parts[2] in ("envelope", "payment_delay"):
        known("instrument", parts[1], "instrument")
    elif len(parts) == 3 and parts[0] == "match_sources" and parts[2] == "capacity":
        known("source", parts[1], "match source")
    elif parts[:2] == ["absorption", "capacity"] and len(parts) <= 3:
        if len(parts) == 3:
            known("region", parts[2], "region")
    elif parts[:3] == ["objective", "impact", "weights"] and len(parts) <= 5:
        if len(parts) >= 4:
            known("priority", parts[3], "priority")
        if len(parts) == 5:
            known("region", parts[4], "region")
    else:
        raise ValueError(f"cannot put uncertainty on {path!r}; the paths are: {forms}")
    return path


class ParameterSpec(Noted):
    id: Id
    path: str
    distribution: DistributionSpec
    mode: Literal["multiplicative", "absolute"] = "multiplicative"
    factor: Id | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str, info: ValidationInfo) -> str:
        return check_path(value, info.context or {})

    @model_validator(mode="after")
    def _draws_in_range(self) -> ParameterSpec:
        """A payment delay is drawn as a share; every other number (or multiplier) may not be negative. A
        distribution that could draw outside is refused: nothing is clipped without a word."""
        delay = self.path.endswith(".payment_delay")
        if delay and self.mode != "absolute":
            raise Located([(("mode",), "a payment delay is the share of each year's payments that slips by a "
                                       "year, drawn as it is: write mode: absolute")])
        message = outside_range(self.distribution, self.path, self.mode, 1.0 if delay else math.inf)
        if message:
            raise Located([(("distribution",), message)])
        return self


def support(d: DistributionSpec) -> tuple[float, float]:
    """The least and the most a distribution can draw (infinite where unbounded).

    Examples
    --------
    >>> from fundsim.scenario.uncertainty_schema import DistributionSpec
    >>> uniform = DistributionSpec(kind="uniform", low=0.5, high=1.0)
    >>> support(uniform), support(DistributionSpec(kind="lognormal", median=1, sigma=0.1))
    ((0.5, 1.0), (0.0, inf))
    """
    if d.kind == "discrete":
        return min(d.values or [0.0]), max(d.values or [0.0])
    if d.kind == "lognormal":
        return 0.0, math.inf
    low = -math.inf if d.low is None else d.low
    return low, math.inf if d.high is None else d.high


def outside_range(d: DistributionSpec, path: str, mode: str, high: float) -> str:
    """Why draws of ``d`` could leave [0, high], what the parameter at ``path`` may hold ("" if they cannot).

    Examples
    --------
    >>> import math
    >>> from fundsim.scenario.uncertainty_schema import DistributionSpec
    >>> uniform = DistributionSpec(kind="uniform", low=0.5, high=1.0)
    >>> outside_range(uniform, "absorption.capacity", "multiplicative", math.inf)
    ''
    >>> normal = DistributionSpec(kind="normal", mean=1.0, sd=0.2)
    >>> outside_range(normal, "absorption.capacity", "multiplicative", math.inf).split(", but")[0]
    'the normal distribution on absorption.capacity can draw from -inf to inf'
    """
    lo, hi = support(d)
    if lo >= 0 and hi <= high:
        return ""
    what = ("a payment delay, a share of each year's payments," if high < math.inf else
            f"{'a multiplier of ' if mode == 'multiplicative' else ''}{_NAMES[path.split('.')[0]]}")
    valid = "lie within [0, 1]" if high < math.inf else "be 0 or more"
    bounded = ("a uniform, triangular or pert distribution with low ≥ 0 and high ≤ 1, a normal with low ≥ 0 and "
               "high ≤ 1 (truncated), or discrete values within [0, 1]" if high < math.inf else
               "a lognormal, a uniform, triangular or pert distribution with low ≥ 0, a normal with low ≥ 0 "
               "(truncated), or discrete values ≥ 0")
    return (f"the {d.kind} distribution on {path} can draw from {show(lo)} to {show(hi)}, but {what} must "
            f"{valid}; use {bounded}")


_NAMES = {"instruments": "an envelope", "match_sources": "a match capacity", "absorption": "an absorption capacity",
          "objective": "an impact weight"}


class FactorSpec(Noted):
    id: Id
    description: str = ""


class CorrelationSpec(Noted):
    between: list[Id]
    matrix: list[list[Num]]

    @model_validator(mode="after")
    def _matrix(self) -> CorrelationSpec:
        n = len(self.between)
        m = np.asarray(self.matrix, dtype=float)
        if m.shape != (n, n):
            raise ValueError(f"the matrix must be {n}×{n} (one row and column per entry of 'between'), "
                             f"got {m.shape[0]}×{m.shape[1] if m.ndim == 2 else '?'}")
        if not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1) or np.abs(m).max() > 1:
            raise ValueError("the matrix must be symmetric, with ones on the diagonal and entries in [-1, 1]")
        if np.linalg.eigvalsh(m).min() < -1e-9:
            raise ValueError("the matrix is not a valid correlation matrix (not positive semi-definite)")
        return self


class UncertaintySpec(Noted):
    """The ``uncertainty:`` section of a scenario file: factors, uncertain parameters and their correlation.

    Examples
    --------
    >>> uniform = {"kind": "uniform", "low": 0.6, "high": 1}
    >>> spec = UncertaintySpec.model_validate({"parameters": [
    ...     {"id": "absorption", "path": "absorption.capacity", "distribution": uniform}]})
    >>> spec.parameters[0].mode, spec.parameters[0].distribution.kind
    ('multiplicative', 'uniform')
    """

    factors: list[FactorSpec] = Field(default_factory=list)
    parameters: Annotated[list[ParameterSpec], Field(min_length=1)]
    correlation: CorrelationSpec | None = None

    @model_validator(mode="after")
    def _references(self) -> UncertaintySpec:
        """Repeated ids, unknown factors and correlation sources, each reported at its own entry."""
        found: list[tuple[tuple[Any, ...], str]] = []
        for section, ids in (("factors", [f.id for f in self.factors]),
                             ("parameters", [p.id for p in self.parameters])):
            first: dict[str, int] = {}
            for n, entry_id in enumerate(ids):
                if entry_id in first:
                    found.append(((section, n, "id"), f"the id {entry_id!r} is given twice (first at "
                                  f"{section}[{first[entry_id]}]); give each its own id"))
                first.setdefault(entry_id, n)
        factor_ids = [f.id for f in self.factors]
        known_factors = set(factor_ids)
        for n, p in enumerate(self.parameters):
            if p.factor is not None and p.factor not in known_factors:
                found.append((("parameters", n, "factor"), suggest(p.factor, factor_ids, "factor")))
        if self.correlation is not None:
            sources = factor_ids + [p.id for p in self.parameters if p.factor is None]
            known, seen = set(sources), set()
            for n, x in enumerate(self.correlation.between):
                if x not in known:
                    found.append((("correlation", "between", n), suggest(x, sources, "independent source")
                                  + " (the factors and the parameters without a factor)"))
                elif x in seen:
                    found.append((("correlation", "between", n), f"{x!r} is named twice; name each source once"))
                seen.add(x)
        if found:
            raise Located(found)
        return self
