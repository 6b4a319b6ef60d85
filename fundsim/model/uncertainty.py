"""Uncertainty on a scenario's numbers: distributions, common factors and rank correlation.

Draws live in the unit hypercube (one column per independent source of randomness: each factor and
each parameter that has no factor); a Gaussian copula imposes the rank correlations; each parameter's
distribution is then applied by its inverse CDF. Random, Latin-hypercube and Sobol designs all share
this one path (fundsim.montecarlo.design).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "MAX_SEED", "Distribution", "Factor", "UncertainParameter", "Uncertainty", "check_seed"]

KINDS = ("normal", "lognormal", "uniform", "triangular", "pert", "discrete")
MAX_SEED = 2**63  # seeds go up to 2**63 - 1, which every output format (NetCDF attributes included) stores as a number


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as the whole number a run uses and records, or ValueError naming ``name``: a seed of 1.5 would
    run as 1 and be recorded as 1.5, so no float, text or boolean is taken.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(1.5)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a whole number from 0 to 2**63 - 1; got 1.5 (a float): write 1 or 2
    """
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool | np.bool_) and 0 <= int(seed) < MAX_SEED:
        return int(seed)
    hint = ""
    if isinstance(seed, float) and np.isfinite(seed) and 0 <= seed < MAX_SEED:
        near = dict.fromkeys((int(np.floor(seed)), int(np.ceil(seed))))
        hint = ": write " + " or ".join(map(str, near))
    what = "boolean" if isinstance(seed, bool | np.bool_) else type(seed).__name__
    kind = f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
    raise ValueError(f"{name} must be a whole number from 0 to 2**63 - 1; got {seed!r} ({kind}){hint}")


@dataclass(frozen=True)
class Distribution:
    """A univariate distribution, applied to uniforms by its inverse CDF.

    Parameters by kind: ``normal`` (mean, sd, optional low/high: truncated); ``lognormal`` (median,
    sigma of the log); ``uniform`` (low, high); ``triangular`` and ``pert`` (low, mode, high);
    ``discrete`` (values, probabilities).

    Examples
    --------
    >>> Distribution("uniform", low=0.5, high=1.5).ppf([0.25, 0.5]).tolist()
    [0.75, 1.0]
    >>> Distribution("discrete", values=(0.8, 1.0, 1.2), probabilities=(0.25, 0.5, 0.25)).mean_value()
    1.0
    """

    kind: str
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sigma: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    values: tuple[float, ...] = ()
    probabilities: tuple[float, ...] = ()

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF, vectorised over ``u`` in (0, 1)."""
        from scipy import stats  # on first draw: ``import fundsim`` does not load scipy.stats

        u = np.asarray(u, dtype=float)
        if self.kind == "normal":
            lo = -np.inf if self.low is None else (self.low - self.mean) / self.sd  # type: ignore[operator]
            hi = np.inf if self.high is None else (self.high - self.mean) / self.sd  # type: ignore[operator]
            return stats.truncnorm.ppf(u, lo, hi, loc=self.mean, scale=self.sd)
        if self.kind == "lognormal":
            return self.median * np.exp(self.sigma * stats.norm.ppf(u))
        if self.kind == "uniform":
            return self.low + u * (self.high - self.low)  # type: ignore[operator]
        if self.kind == "triangular":
            width = self.high - self.low  # type: ignore[operator]
            c = (self.mode - self.low) / width if width > 0 else 0.5  # type: ignore[operator]
            return stats.triang.ppf(u, c, loc=self.low, scale=width)
        if self.kind == "pert":
            a, m, b = self.low, self.mode, self.high
            width = b - a  # type: ignore[operator]
            alpha = 1 + 4 * (m - a) / width  # type: ignore[operator]
            beta = 1 + 4 * (b - m) / width  # type: ignore[operator]
            return a + width * stats.beta.ppf(u, alpha, beta)
        if self.kind == "discrete":
            edges = np.cumsum(self.probabilities)
            index = np.minimum(np.searchsorted(edges / edges[-1], u, side="right"), len(self.values) - 1)
            return np.asarray(self.values, float)[index]
        raise ValueError(f"unknown distribution {self.kind!r}; known: {', '.join(KINDS)}")

    def mean_value(self) -> float:
        """The distribution's mean (for summaries and closed-form tests)."""
        if self.kind == "lognormal":
            return float(self.median * np.exp(self.sigma**2 / 2))  # type: ignore[operator]
        if self.kind == "discrete":
            p = np.asarray(self.probabilities, float)
            return float(np.dot(self.values, p / p.sum()))
        u = (np.arange(20000) + 0.5) / 20000
        return float(self.ppf(u).mean())


@dataclass(frozen=True)
class Factor:
    """A common shock (e.g. ``financial_crisis``): every parameter naming it moves with the same uniform.

    Examples
    --------
    >>> Factor("financial_crisis", "budgets and co-financing fall together").id
    'financial_crisis'
    """

    id: str
    description: str = ""


@dataclass(frozen=True)
class UncertainParameter:
    """One uncertain number of the scenario, addressed by ``path``.

    Paths: ``instruments.<id>.envelope`` (scales or sets the usable money of every year),
    ``instruments.<id>.payment_delay`` (the share, 0 to 1, of each year's payments that slips a year),
    ``match_sources.<id>.capacity``, ``absorption.capacity`` or ``absorption.capacity.<region>``,
    ``objective.impact.weights``, ``objective.impact.weights.<priority>`` or
    ``objective.impact.weights.<priority>.<region>``.
    ``mode`` ``"multiplicative"`` multiplies the scenario's value by the draw; ``"absolute"`` replaces
    it. A parameter with a ``factor`` takes that factor's uniform instead of its own.

    Examples
    --------
    >>> lognormal = Distribution("lognormal", median=1, sigma=0.15)
    >>> p = UncertainParameter("tpma_envelope", "instruments.tpma.envelope", lognormal)
    >>> p.mode, p.factor
    ('multiplicative', None)
    """

    id: str
    path: str
    distribution: Distribution
    mode: str = "multiplicative"
    factor: str | None = None


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """All uncertain parameters of a scenario, their factors and the rank correlation between sources.

    ``sources`` are the independent columns of the unit hypercube: factors first, then parameters
    without a factor. ``correlation`` (a Spearman rank-correlation matrix over ``sources``, or ``None``)
    is imposed by a Gaussian copula.

    Examples
    --------
    >>> import fundsim as fs
    >>> unc = fs.load_scenario("scenarios/tutorial-uncertain.yaml").uncertainty
    >>> unc.sources
    ('financial_crisis', 'north_africa_absorption', 'remittance_value')
    >>> [unc.column_of(p) for p in unc.parameters]
    [0, 0, 1, 2]
    """

    parameters: tuple[UncertainParameter, ...] = ()
    factors: tuple[Factor, ...] = ()
    correlation: np.ndarray | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.factors) + tuple(p.id for p in self.parameters if p.factor is None)

    def column_of(self, parameter: UncertainParameter) -> int:
        """The hypercube column a parameter reads."""
        return self.sources.index(parameter.factor if parameter.factor is not None else parameter.id)
