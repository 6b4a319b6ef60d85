"""The integer rules (readability and coherence, 16041/08 §8, §11, §26): binary columns linked to the money
by ``eu ≤ U·z``, where ``U[c]`` (:func:`cell_upper`) is the most the rules let one cell hold on its own — the
tightest big-M that is valid, never an arbitrary large constant. One ``define_*`` function per rule, each
with its equation in the docstring; :func:`fundsim.lp.assembly.assemble` calls them when a scenario has
integer rules and marks their binaries in ``LinearProgram.integrality``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundsim.lp.program import Block, ProgramBuilder
from fundsim.lp.rows import MONEY, YES_NO, Cells, mask, payment_profiles, unique_rows
from fundsim.model import Scenario, Selector

__all__ = ["Lines", "cell_upper", "define_admin_cost", "define_instrument_lines", "define_max_instruments",
           "define_min_commitment", "define_partnerships"]


def _match_upper(sc: Scenario, cells: Cells) -> np.ndarray:
    """``capacity/k`` of each cell's match source in its (region-)year; ``inf`` where nothing is matched."""
    out = np.full(cells.n, np.inf)
    source = sc.match_source_index[cells.i, cells.p, cells.r]
    for n, m in enumerate(sc.match_sources):  # one pass per source, vectorised over cells
        hit = (source == n) & (cells.k > 0)
        cap = m.capacity[cells.r[hit], cells.y[hit]] if m.per_region else m.capacity[cells.y[hit]]
        out[hit] = cap / cells.k[hit]
    return out


def _rule_upper(sc: Scenario, cells: Cells) -> np.ndarray:
    """The smallest maximum of the region and priority limits and of the caps that count each cell."""
    out = np.full(cells.n, np.inf)
    for limits, labels, idx in ((sc.rules.region_limits, sc.region_ids, cells.r),
                                (sc.rules.priority_limits, sc.priority_ids, cells.p)):
        most = np.full(len(labels), np.inf)
        for lim in limits:
            most[labels.index(lim.label)] = np.inf if lim.max is None else lim.max
        out = np.minimum(out, most[idx])
    for cap in sc.rules.caps:
        if cap.max is not None:
            hit = mask(cap.selector, sc, cells)
            out[hit] = np.minimum(out[hit], cap.max)
    return out


def cell_upper(sc: Scenario, cells: Cells) -> np.ndarray:
    """``U[c]``, the most EU money one eligible cell can receive on its own, EUR m: the big-M of the links.

    ``U = min(usable[i,y], min_l cap[r,y+l]/(profile[i,l]·f), match[m,y]/k, max of each limit or cap on
    the cell)``: every other cell at zero, each rule that counts the cell with a positive coefficient
    bounds it. ``U`` is finite because the usable envelope is.
    """
    usable = np.stack([ins.usable for ins in sc.instruments])
    upper = np.minimum(usable[cells.i, cells.y], np.minimum(_match_upper(sc, cells), _rule_upper(sc, cells)))
    profile = payment_profiles(sc)
    cap = sc.absorption.extended(profile.shape[1] - 1)
    factor = 1.0 + cells.k if sc.absorption.basis == "total" else np.ones(cells.n)
    for lag in range(profile.shape[1]):  # a handful of lags, each vectorised over all cells
        coef = profile[cells.i, lag] * factor
        ok = coef > 0
        upper[ok] = np.minimum(upper[ok], cap[cells.r[ok], cells.y[ok] + lag] / coef[ok])
    return upper


def _binaries(b: ProgramBuilder, name: str, dims: tuple[str, ...], coords: tuple[tuple, ...],
              positions: tuple[np.ndarray, ...], long_name: str, *, upper: float | np.ndarray = 1.0,
              cost: float = 0.0) -> Block:
    """Register binary columns (0/1; their integrality is set by :func:`assemble`)."""
    return b.add_variables(name, dims, coords, len(positions[0]), positions=positions, upper=upper, cost=cost,
                           units=YES_NO, long_name=long_name)


def _links(b: ProgramBuilder, name: str, sc: Scenario, cells: Cells, use: np.ndarray, z_col: np.ndarray,
           coef: np.ndarray, side: str, long_name: str) -> None:
    """``eu[c] - coef[c]·z ≤ 0`` (side ``le``) or ``≥ 0`` (``ge``) for the cells ``use``, one row each."""
    n = int(use.sum())
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([cells.col[use], z_col])
    vals = np.concatenate([np.ones(n), -coef[use]])
    lower, upper = (np.zeros(n), np.full(n, np.inf)) if side == "ge" else (np.full(n, -np.inf), np.zeros(n))
    b.add_constraints(name, ("instrument", "priority", "region", "year"), tuple(map(tuple, sc.coords().values())),
                      rows, cols, vals, lower, upper, positions=(cells.i[use], cells.p[use], cells.r[use],
                                                                 cells.y[use]),
                      kind=side, units=MONEY, long_name=long_name)


@dataclass(frozen=True, eq=False)
class Lines:
    """The binaries ``z[i,p,r]``, "instrument i funds priority p in region r" (block ``instrument_active``),
    and for each eligible cell the column of its line's binary (-1: the cell's line has none)."""

    block: Block
    col: np.ndarray


def define_instrument_lines(b: ProgramBuilder, sc: Scenario, cells: Cells, upper: np.ndarray) -> Lines | None:
    """``eu[i,p,r,y] ≤ U[i,p,r,y]·z[i,p,r]``: money only on the lines where the instrument is active.

    Lines get a binary where a rule on instruments needs one: in a priority × region cell that more than
    k instruments may fund, or for an instrument with a minimum commitment. A line whose cells can hold
    less than that minimum in all (``Σ_y U``) cannot be opened (``z ≤ 0``).
    """
    rule, least = sc.rules.max_instruments_per_cell, _least(sc)
    shape = (len(sc.instruments), len(sc.priorities), len(sc.regions))
    (zi, zp, zr), line_of = unique_rows((cells.i, cells.p, cells.r), shape)
    need = least[zi] > 0
    if rule is not None:
        count = np.zeros(shape[1:], dtype=np.int64)
        np.add.at(count, (zp, zr), 1)
        need |= count[zp, zr] > rule.k
    if not need.any():
        return None
    room = np.zeros(len(zi))
    np.add.at(room, line_of, upper)
    block = _binaries(b, "instrument_active", ("instrument", "priority", "region"),
                      (sc.instrument_ids, sc.priority_ids, sc.region_ids), (zi[need], zp[need], zr[need]),
                      "instrument funds the priority in the region", upper=(room >= least[zi])[need].astype(float))
    col_of_line = np.full(len(zi), -1, dtype=np.int64)
    col_of_line[need] = block.start + np.arange(block.size)
    col = col_of_line[line_of]
    _links(b, "instrument_link", sc, cells, col >= 0, col[col >= 0], upper, "le",
           "EU money only where the instrument is active")
    return Lines(block, col)


def _least(sc: Scenario) -> np.ndarray:
    """Minimum commitment of each instrument over the period, EUR m (0: none)."""
    rule = sc.rules.min_commitment
    return np.zeros(len(sc.instruments)) if rule is None else rule.minimum(sc.instrument_ids)


def define_max_instruments(b: ProgramBuilder, sc: Scenario, lines: Lines | None) -> None:
    """``Σ_i z[i,p,r] ≤ k``: at most k instruments fund a priority in a region over the period (§26).

    Only priority × region cells that more than k instruments may fund get a row.
    """
    rule = sc.rules.max_instruments_per_cell
    if rule is None or lines is None:
        return
    _, zp, zr = (np.asarray(x) for x in lines.block.positions or ())
    count = np.zeros((len(sc.priorities), len(sc.regions)), dtype=np.int64)
    np.add.at(count, (zp, zr), 1)
    busy = count[zp, zr] > rule.k
    (cp, cr), row = unique_rows((zp[busy], zr[busy]), count.shape)
    b.add_constraints("max_instruments", ("priority", "region"), (sc.priority_ids, sc.region_ids), row,
                      lines.block.start + np.flatnonzero(busy), np.ones(len(row)), np.full(len(cp), -np.inf),
                      np.full(len(cp), float(rule.k)), positions=(cp, cr), kind="le",
                      units="objective per instrument", long_name="at most k instruments per priority and region")


def define_min_commitment(b: ProgramBuilder, sc: Scenario, cells: Cells, lines: Lines | None) -> None:
    """``Σ_y eu[i,p,r,y] ≥ m_i·z[i,p,r]``: an instrument funds a priority in a region with 0 or at least m_i.

    The minimum holds for the line's total over the period; how it is spread over the years is free.
    """
    least = _least(sc)
    if lines is None or not (least > 0).any():
        return
    zi, zp, zr = (np.asarray(x) for x in lines.block.positions or ())
    with_min = least[zi] > 0
    row_of = np.full(lines.block.size, -1, dtype=np.int64)
    row_of[with_min] = np.arange(with_min.sum())
    cell_row = np.where(lines.col >= 0, row_of[lines.col - lines.block.start], -1)
    use = cell_row >= 0
    n = int(with_min.sum())
    b.add_constraints("min_commitment", ("instrument", "priority", "region"),
                      (sc.instrument_ids, sc.priority_ids, sc.region_ids),
                      np.concatenate([cell_row[use], np.arange(n)]),
                      np.concatenate([cells.col[use], lines.block.start + np.flatnonzero(with_min)]),
                      np.concatenate([np.ones(use.sum()), -least[zi[with_min]]]), np.zeros(n), np.full(n, np.inf),
                      positions=(zi[with_min], zp[with_min], zr[with_min]), kind="ge", units=MONEY,
                      long_name="minimum commitment of an instrument to a priority in a region")


def define_admin_cost(b: ProgramBuilder, sc: Scenario, cells: Cells, upper: np.ndarray) -> Block | None:
    """``eu[i,p,r,y] ≤ U·z[p,r]``; the objective loses ``cost·Σ z[p,r]`` (gains it when minimising).

    ``z[p,r]`` (block ``cell_active``) says the priority × region cell receives EU money; each active cell
    costs ``cost`` objective units of administration.
    """
    rule = sc.rules.admin_cost
    if rule is None or rule.cost == 0:
        return None
    (cp, cr), z_of = unique_rows((cells.p, cells.r), (len(sc.priorities), len(sc.regions)))
    sign = -1.0 if sc.objective.sense == "max" else 1.0
    block = _binaries(b, "cell_active", ("priority", "region"), (sc.priority_ids, sc.region_ids), (cp, cr),
                      "priority × region cell receives EU money", cost=sign * rule.cost)
    _links(b, "admin_link", sc, cells, np.ones(cells.n, bool), block.start + z_of, upper, "le",
           "EU money only in active cells")
    return block


def define_partnerships(b: ProgramBuilder, sc: Scenario, cells: Cells, upper: np.ndarray) -> Block | None:
    """``min_new ≤ Σ_r u[r] ≤ max_new`` and ``Σ_{i, p in package, y} eu[i,p,r,y] ≥ package·u[r]`` (§11).

    ``u[r]`` (block ``partnership``) chooses candidate r for a new mobility partnership. With
    ``only_partners``, also ``eu[i,p,r,y] ≤ U·u[r]`` for the package priorities of each candidate.
    """
    mp = sc.rules.mobility_partnerships
    if mp is None:
        return None
    cand = np.array([sc.region_ids.index(x) for x in mp.candidates])
    block = _binaries(b, "partnership", ("region",), (sc.region_ids,), (cand,), "new mobility partnership chosen")
    u_col = block.start + np.arange(block.size)
    kind = "range" if mp.min_new > 0 else "le"
    b.add_constraints("partnership_count", ("partnerships",), (("new",),), np.zeros(block.size, np.int64), u_col,
                      np.ones(block.size),
                      np.array([float(mp.min_new) if mp.min_new else -np.inf]), np.array([float(mp.max_new)]),
                      kind=kind, units="objective per partnership", long_name="number of new mobility partnerships")
    slot = np.full(len(sc.regions), -1, dtype=np.int64)
    slot[cand] = np.arange(len(cand))
    hit = (slot[cells.r] >= 0) & Selector(priorities=mp.priorities).vector("priority", sc.priority_ids)[cells.p]
    rows = np.concatenate([slot[cells.r[hit]], np.arange(len(cand))])
    b.add_constraints("partnership_package", ("region",), (sc.region_ids,), rows,
                      np.concatenate([cells.col[hit], u_col]), np.append(np.ones(hit.sum()), -np.full(len(cand),
                                                                                                     mp.package)),
                      np.zeros(len(cand)), np.full(len(cand), np.inf), positions=(cand,), kind="ge", units=MONEY,
                      long_name="package of each new mobility partnership")
    if mp.only_partners:
        _links(b, "partnership_link", sc, cells, hit, u_col[slot[cells.r[hit]]], upper, "le",
               "package priorities funded in a candidate only through its partnership")
    return block
