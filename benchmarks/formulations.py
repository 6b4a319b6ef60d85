"""Why the large solve is slow: HiGHS options and reformulations of the same LP, measured side by side.

``python benchmarks/formulations.py --sizes medium --variants fundsim,aggregated --options dual,ipm``
solves each synthetic case under each variant of the LP with each HiGHS option set and prints time,
iterations and objective. Variants are transformations of fundsim's own LinearProgram made here (the
benchmark never edits ``fundsim.lp``), so that a proposed change can be measured before it is made:

``fundsim``      the LP as :func:`fundsim.assemble` builds it
``aggregated``   the same LP with one column ``m[p,r] = Σ_{i,y} eu[i,p,r,y]`` per (priority, region):
                 the definition of ``E`` and the share rows (pillar balance, focus) sum ``m`` instead
                 of every ``eu``, so no row holds more than one entry per (priority, region)
``dense``        the naive form: no ``E`` column, ``β·Σ eu`` written out in each share row
``tiebreak``     ``fundsim`` with each ``eu`` cost lowered by ``1e-4·year index`` (a time preference
                 that breaks the ties across years; the optimum moves by less than 1e-4 relative)
``jitter``       ``fundsim`` with a random ``1e-4·U(0,1)`` added to each ``eu`` cost: every tie broken
                 (a diagnostic of how much the ties cost, not a model)
``linear_impact`` the scenario without diminishing returns (a different model: no segment columns)
``hypograph``    diminishing returns written as ``h ≤ a_s + slope_s·M`` rows instead of segment columns
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import SYNTHETIC, synthetic_case

import fundsim as fs
from fundsim.lp import LinearProgram
from fundsim.solvers import HighsSolver

SHARE_BLOCKS = ("total_eu_definition", "pillar_min_share", "pillar_max_share", "focus_min_share", "focus_max_share")
OPTIONS: dict[str, dict[str, object]] = {
    "dual": {},  # HiGHS default: presolve, then dual simplex with its own choice of edge weights
    "dual_devex": {"simplex_dual_edge_weight_strategy": 1},
    "dual_dantzig": {"simplex_dual_edge_weight_strategy": 0},
    "dual_pami": {"simplex_strategy": 2, "parallel": "on"},
    "dual_sip": {"simplex_strategy": 3, "parallel": "on"},
    "primal": {"simplex_strategy": 4},
    "primal_devex": {"simplex_strategy": 4, "simplex_primal_edge_weight_strategy": 1},
    "nopresolve": {"presolve": "off"},
    "ipm": {"solver": "ipm"},
    "ipm_nocross": {"solver": "ipm", "run_crossover": "off"},
    "ipm_loose": {"solver": "ipm", "ipm_optimality_tolerance": 1e-6},
    "pdlp": {"solver": "pdlp"},
}


def _rows_of(lp: LinearProgram, names: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([np.arange(b.start, b.stop) for n, b in lp.constraints.items() if n in names]
                          or [np.zeros(0, np.int64)])


def _with(lp: LinearProgram, A: sp.spmatrix, c: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray,
          row_lower: np.ndarray, row_upper: np.ndarray) -> LinearProgram:
    return dataclasses.replace(lp, A=sp.csr_matrix(A), c=c, col_lower=col_lower, col_upper=col_upper,
                               row_lower=row_lower, row_upper=row_upper)


def aggregated(lp: LinearProgram) -> LinearProgram:
    """Share rows over aggregate columns ``m[p,r]`` (one more row and column per (priority, region))."""
    eu = lp.variables["eu"]
    shares = _rows_of(lp, SHARE_BLOCKS)
    if not len(shares):
        return lp
    n_r = len(eu.coords[2])
    key = eu.positions[1] * n_r + eu.positions[2]
    groups, which = np.unique(key, return_inverse=True)
    first = np.unique(which, return_index=True)[1]
    G = sp.csr_matrix((np.ones(eu.size), (np.arange(eu.size), which)), shape=(eu.size, len(groups)))
    A = lp.A.tocsc()
    part = A[shares][:, eu.start:eu.stop]
    on_groups = part[:, first]
    if abs(on_groups @ G.T - part).max() > 0:
        raise ValueError("share rows are not constant within a (priority, region) group")
    keep = np.setdiff1d(np.arange(lp.num_row), shares)
    A_share = sp.hstack([A[shares][:, : eu.start], sp.csr_matrix((len(shares), eu.size)),
                         A[shares][:, eu.stop:], on_groups])
    A_keep = sp.hstack([A[keep], sp.csr_matrix((len(keep), len(groups)))])
    eu_cols = sp.hstack([sp.csr_matrix((len(groups), eu.start)), -G.T,
                         sp.csr_matrix((len(groups), lp.num_col - eu.stop)), sp.identity(len(groups))])
    zeros = np.zeros(len(groups))
    return _with(lp, sp.vstack([A_keep, A_share, eu_cols]), np.append(lp.c, zeros),
                 np.append(lp.col_lower, zeros), np.append(lp.col_upper, np.full(len(groups), np.inf)),
                 np.concatenate([lp.row_lower[keep], lp.row_lower[shares], zeros]),
                 np.concatenate([lp.row_upper[keep], lp.row_upper[shares], zeros]))


def dense(lp: LinearProgram) -> LinearProgram:
    """Substitute ``E = Σ eu`` into the share rows and drop the ``E`` column and its definition."""
    if "total_eu" not in lp.variables:
        return lp
    e = lp.variables["total_eu"].start
    defining = lp.constraints["total_eu_definition"].start
    A = lp.A.tocsr().astype(float)
    coef_e = A[:, [e]].toarray().ravel()  # -β in the share rows
    eu = lp.variables["eu"]
    ones = np.zeros(lp.num_col)
    ones[eu.start:eu.stop] = 1.0
    A = A + sp.csr_matrix(coef_e[:, None] * ones[None, :] * (np.arange(lp.num_row) != defining)[:, None])
    keep_r = np.arange(lp.num_row) != defining
    keep_c = np.arange(lp.num_col) != e
    A = A[keep_r][:, keep_c]
    return _with(lp, A, lp.c[keep_c], lp.col_lower[keep_c], lp.col_upper[keep_c], lp.row_lower[keep_r],
                 lp.row_upper[keep_r])


def tiebreak(lp: LinearProgram, eps: float = 1e-4) -> LinearProgram:
    """Lower each ``eu`` cost by ``eps·year index`` (per EUR m): earlier commitments win ties."""
    eu = lp.variables["eu"]
    c = lp.c.copy()
    c[eu.start:eu.stop] -= eps * eu.positions[3]
    return dataclasses.replace(lp, c=c)


def hypograph(sc: fs.Scenario) -> LinearProgram:
    """Diminishing returns as a hypograph: ``h[p,r] ≤ a_s + slope_s·M[p,r]`` for each segment s, with
    ``M[p,r] ≤ Σ f·eu`` and ``w[p,r]·h`` in the objective — the same LP optimum as the segment columns."""
    lp = fs.assemble(sc)
    if "impact_segment" not in lp.variables:
        return lp
    term = sc.objective.impact
    seg, link = lp.variables["impact_segment"], lp.constraints["impact_link"]
    n_seg = len(term.slopes)
    n_pr = seg.size // n_seg
    cp, cr = seg.positions[0][::n_seg], seg.positions[1][::n_seg]
    slopes = np.array(term.slopes)
    edges = np.array([0.0, *term.breakpoints])
    values = np.concatenate([[0.0], np.cumsum(slopes[:-1] * np.diff(edges))])  # g at each segment start
    intercepts = values - slopes * edges
    w = (term.weight * term.weights)[cp, cr]
    keep = np.r_[0:seg.start, seg.stop:lp.num_col]
    A = lp.A.tocsc()[:, keep]
    n_row = lp.num_row
    # new columns: M (n_pr) then h (n_pr); M enters its link row with +1, the segments are gone
    m_cols = sp.csr_matrix((np.ones(n_pr), (link.start + np.arange(n_pr), np.arange(n_pr))), shape=(n_row, n_pr))
    A = sp.hstack([A, m_cols, sp.csr_matrix((n_row, n_pr))])
    base = len(keep)
    rows = np.repeat(np.arange(n_pr * n_seg), 2)
    cols = np.column_stack([base + np.repeat(np.arange(n_pr), n_seg), base + n_pr + np.repeat(np.arange(n_pr), n_seg)])
    vals = np.column_stack([-np.tile(slopes, n_pr), np.ones(n_pr * n_seg)])
    H = sp.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=(n_pr * n_seg, A.shape[1]))
    c = np.concatenate([lp.c[keep], np.zeros(n_pr), w])
    return _with(lp, sp.vstack([A, H]), c, np.concatenate([lp.col_lower[keep], np.zeros(2 * n_pr)]),
                 np.concatenate([lp.col_upper[keep], np.full(2 * n_pr, np.inf)]),
                 np.concatenate([lp.row_lower, np.full(n_pr * n_seg, -np.inf)]),
                 np.concatenate([lp.row_upper, np.tile(intercepts, n_pr)]))


def jitter(lp: LinearProgram, eps: float = 1e-4, seed: int = 0) -> LinearProgram:
    """Add ``eps·U(0, 1)`` per EUR m to each ``eu`` cost: every tie broken (a diagnostic, not a model)."""
    eu = lp.variables["eu"]
    c = lp.c.copy()
    c[eu.start:eu.stop] += eps * np.random.default_rng(seed).random(eu.size)
    return dataclasses.replace(lp, c=c)


def linear_impact(sc: fs.Scenario) -> LinearProgram:
    """The scenario without diminishing returns: impact straight into the ``eu`` costs, no segments."""
    impact = dataclasses.replace(sc.objective.impact, breakpoints=(), slopes=(1.0,))
    return fs.assemble(sc.evolve(objective=dataclasses.replace(sc.objective, impact=impact)))


VARIANTS: dict[str, Callable[[fs.Scenario], LinearProgram]] = {
    "fundsim": fs.assemble,
    "aggregated": lambda sc: aggregated(fs.assemble(sc)),
    "dense": lambda sc: dense(fs.assemble(sc)),
    "tiebreak": lambda sc: tiebreak(fs.assemble(sc)),
    "jitter": lambda sc: jitter(fs.assemble(sc)),
    "linear_impact": linear_impact,
    "hypograph": hypograph,
}


def run(sizes: list[str], variants: list[str], options: list[str], time_limit: float) -> None:
    print(f"{'case':<8} {'variant':<11} {'options':<12} {'cols':>7} {'rows':>6} {'nnz':>8} {'status':<8} "
          f"{'run s':>7} {'simplex it':>10} {'ipm it':>6} {'objective':>18}")
    for size in sizes:
        sc = synthetic_case(size)
        for v in variants:
            lp = VARIANTS[v](sc)
            for o in options:
                solver = HighsSolver({"time_limit": time_limit, **OPTIONS[o]})
                start = time.perf_counter()
                result = solver.solve(lp)
                wall = time.perf_counter() - start
                info = solver.highs.getInfo()
                print(f"{size:<8} {v:<11} {o:<12} {lp.num_col:>7} {lp.num_row:>6} {lp.A.nnz:>8} "
                      f"{result.status.value:<8} {wall:>7.2f} {info.simplex_iteration_count:>10} "
                      f"{info.ipm_iteration_count:>6} {result.objective:>18.10g}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="medium", help=f"comma-separated, of {', '.join(SYNTHETIC)}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"of {', '.join(VARIANTS)}")
    parser.add_argument("--options", default="dual,primal,ipm", help=f"of {', '.join(OPTIONS)}")
    parser.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args(argv)
    run(args.sizes.split(","), args.variants.split(","), args.options.split(","), args.time_limit)


if __name__ == "__main__":
    main()
