"""What the integer rules (readability and coherence, 16041/08 §8, §11, §26) share: binary columns linked to
the money by ``eu ≤ U·z``, where ``U[c]`` (:func:`cell_upper`) is the most the rules let one cell hold on its
own — the tightest big-M that is valid, never an arbitrary large constant — and the instrument lines
``z[i,p,r]`` that the rules on instruments per cell and minimum commitments both use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header, ProgramBuilder
from fundsim.rules.rows import MONEY, YES_NO, Cells, mask, payment_profiles, unique_rows

__all__ = ["Lines", "binaries", "cell_upper", "instrument_lines", "links", "upper_of"]

LINK = Rows("instrument_link", ("instrument", "priority", "region", "year"),
            "none reported: an integer rule's link (EU money only where the instrument is active)", role="link",
            long_name="EU money only where the instrument is active")


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


def upper_of(a: Assembly) -> np.ndarray:
    """:func:`cell_upper` of the assembly's cells, computed once."""
    upper: np.ndarray = a.once("cell_upper", lambda a: cell_upper(a.sc, a.cells))
    return upper


def binaries(b: ProgramBuilder, header: Header, *, upper: float | np.ndarray = 1.0, cost: float = 0.0) -> Block:
    """Register binary columns (0/1), one per element of the sparse block ``header`` (its ``positions``)."""
    if header.positions is None:
        raise ValueError(f"the binaries {header.name!r} need their positions")
    return b.add_variables(replace(header, units=YES_NO), len(header.positions[0]), upper=upper, cost=cost,
                           binary=True)


def links(a: Assembly, spec: Rows, use: np.ndarray, z_col: np.ndarray, side: str) -> None:
    """``eu[c] - U[c]·z ≤ 0`` (side ``le``) or ``≥ 0`` (``ge``) for the cells ``use``, one row each."""
    sc, cells = a.sc, a.cells
    coef = upper_of(a)
    n = int(use.sum())
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([cells.col[use], z_col])
    vals = np.concatenate([np.ones(n), -coef[use]])
    lower, upper = (np.zeros(n), np.full(n, np.inf)) if side == "ge" else (np.full(n, -np.inf), np.zeros(n))
    a.b.add_constraints(Header(spec.name, spec.dims, tuple(map(tuple, sc.coords().values())),
                               (cells.i[use], cells.p[use], cells.r[use], cells.y[use]), MONEY, spec.long_name),
                        Entries(rows, cols, vals), lower, upper, kind=side)


@dataclass(frozen=True, eq=False)
class Lines:
    """The binaries ``z[i,p,r]``, "instrument i funds priority p in region r" (block ``instrument_active``),
    and for each eligible cell the column of its line's binary (-1: the cell's line has none)."""

    block: Block
    col: np.ndarray


def least(sc: Scenario) -> np.ndarray:
    """Minimum commitment of each instrument over the period, EUR m (0: none)."""
    rule = sc.rules.min_commitment
    return np.zeros(len(sc.instruments)) if rule is None else rule.minimum(sc.instrument_ids)


def _define_lines(a: Assembly) -> Lines | None:
    """``eu[i,p,r,y] ≤ U[i,p,r,y]·z[i,p,r]``: money only on the lines where the instrument is active.

    Lines get a binary where a rule on instruments needs one: in a priority × region cell that more than
    k instruments may fund, or for an instrument with a minimum commitment. A line whose cells can hold
    less than that minimum in all (``Σ_y U``) cannot be opened (``z ≤ 0``).
    """
    sc, cells = a.sc, a.cells
    rule, smallest = sc.rules.max_instruments_per_cell, least(sc)
    shape = (len(sc.instruments), len(sc.priorities), len(sc.regions))
    (zi, zp, zr), line_of = unique_rows((cells.i, cells.p, cells.r), shape)
    need = smallest[zi] > 0
    if rule is not None:
        count = np.zeros(shape[1:], dtype=np.int64)
        np.add.at(count, (zp, zr), 1)
        need |= count[zp, zr] > rule.k
    if not need.any():
        return None
    room = np.zeros(len(zi))
    np.add.at(room, line_of, upper_of(a))
    block = binaries(a.b, Header("instrument_active", ("instrument", "priority", "region"),
                                 (sc.instrument_ids, sc.priority_ids, sc.region_ids), (zi[need], zp[need], zr[need]),
                                 long_name="instrument funds the priority in the region"),
                     upper=(room >= smallest[zi])[need].astype(float))
    col_of_line = np.full(len(zi), -1, dtype=np.int64)
    col_of_line[need] = block.start + np.arange(block.size)
    col = col_of_line[line_of]
    links(a, LINK, col >= 0, col[col >= 0], "le")
    return Lines(block, col)


def instrument_lines(a: Assembly) -> Lines | None:
    """The instrument lines of the assembly, made the first time a rule on instruments asks for them."""
    lines: Lines | None = a.once("instrument_lines", _define_lines)
    return lines


FAMILY = register(RuleFamily("instrument_lines", (LINK,), None, order=115))
