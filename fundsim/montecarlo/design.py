"""Designs in the unit hypercube, the seed contract, and the mapping of uniforms to parameter values.

Seed contract: with the ``random`` design, draw k uses ``numpy.random.SeedSequence(seed, spawn_key=(k,))``
(equal to ``SeedSequence(seed).spawn(n)[k]``): its uniforms are the top 53 bits of the sequence's first
64-bit state words (:mod:`fundsim.montecarlo.seeds`, computed for a whole chunk at once), so a draw's
numbers depend only on (seed, k): not on the executor, the number of workers or the chunking.
Latin-hypercube and scrambled Sobol designs are made as a whole from ``SeedSequence(seed)`` for the
run's number of draws and sliced, which is just as independent of how the draws are then split.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats
from scipy.stats import qmc

from fundsim.errors import ArgumentError
from fundsim.model import Uncertainty
from fundsim.montecarlo.seeds import spawned_uniforms

__all__ = ["DESIGNS", "UNIFORMS", "parameter_values", "unit_design"]

DESIGNS = ("random", "lhs", "sobol")
UNIFORMS = "seedsequence-state-words"  # how the random design turns a draw's SeedSequence into uniforms
_EPS = 1e-12  # uniforms are kept inside (0, 1) so that every inverse CDF is finite


def unit_design(design: str, n_draws: int, dim: int, seed: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rows ``start:stop`` of a design of ``n_draws`` points in ``[0, 1)^dim``.

    Examples
    --------
    >>> u = unit_design("lhs", 4, 2, seed=1)
    >>> u.shape, sorted((u[:, 0] * 4).astype(int).tolist())  # one point in each quarter of every axis
    ((4, 2), [0, 1, 2, 3])
    >>> bool((unit_design("random", 10, 3, seed=1, start=4, stop=6) == unit_design("random", 10, 3, seed=1)[4:6]).all())
    True
    """
    stop = n_draws if stop is None else stop
    if design not in DESIGNS:
        raise ArgumentError(f"unknown design {design!r}; the designs are: {', '.join(DESIGNS)}")
    if not 0 <= start <= stop <= n_draws:
        raise ArgumentError(f"draws {start}:{stop} are outside 0:{n_draws}")
    if design == "random":
        u = spawned_uniforms(seed, start, stop, dim)
    else:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        if design == "lhs":
            u = qmc.LatinHypercube(d=dim, rng=rng).random(n_draws)[start:stop]
        else:
            with warnings.catch_warnings():  # scipy asks for a power of 2 to keep Sobol's balance properties
                warnings.simplefilter("ignore", UserWarning)
                u = qmc.Sobol(d=dim, scramble=True, rng=rng).random(n_draws)[start:stop]
    return np.clip(u, _EPS, 1 - _EPS)


def _copula(u: np.ndarray, spearman: np.ndarray) -> np.ndarray:
    """Impose Spearman rank correlation with a Gaussian copula (Pearson ρ = 2·sin(π·ρs/6)).

    A valid Spearman matrix can map to a Pearson matrix that is not positive semi-definite; its negative
    eigenvalues are then clipped and the diagonal restored to 1 (the nearest usable correlation).
    """
    pearson = 2 * np.sin(np.pi * spearman / 6)
    np.fill_diagonal(pearson, 1.0)
    values, vectors = np.linalg.eigh(pearson)
    if values.min() < 1e-10:
        fixed = (vectors * np.clip(values, 1e-10, None)) @ vectors.T
        scale = np.sqrt(np.diag(fixed))
        pearson = fixed / np.outer(scale, scale)
    lower = np.linalg.cholesky(pearson + 1e-12 * np.eye(len(pearson)))
    z = stats.norm.ppf(u)
    mixed = np.zeros_like(z)
    for j in range(z.shape[1]):  # z @ lower.T term by term: BLAS may round a one-row chunk differently
        mixed += z[:, j, None] * lower[:, j][None, :]
    return np.clip(stats.norm.cdf(mixed), _EPS, 1 - _EPS)


def parameter_values(unc: Uncertainty, u: np.ndarray) -> np.ndarray:
    """Values ``(draw, parameter)`` from design rows ``u`` ``(draw, source)``.

    Each parameter reads its factor's column (or its own), after the copula, through its inverse CDF.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> unc = fs.load_scenario("scenarios/tutorial-uncertain.yaml").uncertainty
    >>> u = np.full((1, len(unc.sources)), 0.5)  # the median of every source
    >>> parameter_values(unc, u).round(3).tolist()  # lognormal median 1, uniform 0.05–1, PERT(0.6, 1, 1.1), discrete
    [[1.0, 0.525, 0.962, 1.0]]
    """
    if unc.correlation is not None:
        u = _copula(u, np.asarray(unc.correlation))
    columns = [unc.column_of(p) for p in unc.parameters]
    return np.stack([p.distribution.ppf(u[:, c]) for p, c in zip(unc.parameters, columns, strict=True)], axis=1) \
        if unc.parameters else np.zeros((len(u), 0))
