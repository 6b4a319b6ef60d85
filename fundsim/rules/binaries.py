"""What the integer rules (readability and coherence, 16041/08 §8, §11, §26) share: binary columns linked to
the money by ``eu ≤ U·z``, where ``U[c]`` (:func:`cell_upper`) is the most the rules let one cell hold on its
own — the tightest big-M that is valid, never an arbitrary large constant — and the instrument lines
``z[i,p,r]`` that the rules on instruments per cell and minimum commitments both use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from fundsim.model import Scenario
from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.program import Block, Entries, Header, ProgramBuilder
from fundsim.rules.rows import MONEY, NONE, YES_NO, Cells, mask, payment_profiles, unique_rows

__all__ = [
    "ACTIVE",
    "FAMILY",
    "LINK",
    "Lines",
    "active",
    "binaries",
    "cell_upper",
    "instrument_lines",
    "least",
    "links",
    "upper_of",
]

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
    for lim in sc.rules.region_limits:  # a region planned in parts: each of its units
        if lim.max is not None:
            hit = sc.membership[sc.area_ids.index(lim.label), cells.r]
            out[hit] = np.minimum(out[hit], lim.max)
    most = np.full(len(sc.priorities), np.inf)
    for lim in sc.rules.priority_limits:
        most[sc.priority_ids.index(lim.label)] = np.inf if lim.max is None else lim.max
    out = np.minimum(out, most[cells.p])
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

    Examples
    --------
    Every cell is bounded by its instrument's usable envelope (TPMA 10, ENPI 20 a year; North Africa's 25 binds
    neither alone); a cap of 4 on ENPI in the East bounds those cells by 4:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> sorted(set(cell_upper(sc, define_eu(b, sc)).tolist()))
    [10.0, 20.0]
    >>> raw["rules"]["caps"] = [{"id": "enpi_east", "instruments": ["enpi"], "regions": ["eastern_partnership"],
    ...                          "max": 4}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> b = ProgramBuilder()
    >>> sorted(set(cell_upper(sc, define_eu(b, sc)).tolist()))
    [4.0, 10.0, 20.0]
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
    """:func:`cell_upper` of the assembly's cells, computed once.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))  # the tutorial's 20 eligible cells
    >>> upper_of(a) is upper_of(a), upper_of(a)[a.cells.i == 0].max().item()  # computed once; TPMA: 10
    (True, 10.0)
    """
    upper: np.ndarray = a.once("cell_upper", lambda a: cell_upper(a.sc, a.cells))
    return upper


def binaries(b: ProgramBuilder, header: Header, *, upper: float | np.ndarray = 1.0, cost: float = 0.0) -> Block:
    """Register binary columns (0/1), one per element of the sparse block ``header`` (its ``positions``).

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules.program import Header, ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> cells = define_eu(b, sc)  # the tutorial's 20 eligible cells come first
    >>> block = binaries(b, Header("region_open", ("region",), (sc.region_ids,), positions=(np.arange(2),),
    ...                            long_name="region gets money"))
    >>> lp = b.build()
    >>> block.start, lp.integrality[block.start:block.stop].tolist(), lp.col_upper[block.start:block.stop]
    (20, [1, 1], array([1., 1.]))
    """
    if header.positions is None:
        raise ValueError(f"the binaries {header.name!r} need their positions")
    return b.add_variables(replace(header, units=YES_NO), len(header.positions[0]), upper=upper, cost=cost,
                           binary=True)


def links(a: Assembly, spec: Rows, use: np.ndarray, z_col: np.ndarray, side: str) -> None:
    """``eu[c] - U[c]·z ≤ 0`` (side ``le``) or ``≥ 0`` (``ge``) for the cells ``use``, one row each.

    Examples
    --------
    Money in North Africa only when its binary is 1: ``eu[c] - U[c]·z ≤ 0`` for its ten cells (U = 10 for TPMA):

    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import Header, ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))  # the tutorial's 20 eligible cells
    >>> z = binaries(b, Header("region_open", ("region",), (sc.region_ids,), positions=(np.arange(2),)))
    >>> from fundsim.rules import Rows
    >>> north = a.cells.r == 0
    >>> spec = Rows("open_link", ("instrument", "priority", "region", "year"), "none", role="link")
    >>> links(a, spec, north, np.full(10, z.start), "le")
    >>> lp = b.build()
    >>> row = lp.constraints["open_link"].start
    >>> lp.constraints["open_link"].size, lp.A[row].toarray()[0, [a.cells.col[north][0], z.start]]
    (10, array([  1., -10.]))
    """
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
    and for each eligible cell the column of its line's binary (-1: the cell's line has none).

    Examples
    --------
    With at most one instrument per priority × region cell, the four cells both instruments may fund (mobility and
    return, in each region) get a binary per instrument; remittances, TPMA's alone, get none:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import ProgramBuilder
    >>> raw["rules"]["max_instruments_per_cell"] = 1
    >>> sc = fs.scenario_from_dict(raw)
    >>> b = ProgramBuilder()
    >>> lines = instrument_lines(Assembly(b, sc, define_eu(b, sc), np.zeros(20)))
    >>> lines.block.size, int((lines.col < 0).sum())  # 8 lines; the 4 remittances cells have none
    (8, 4)
    """

    block: Block
    col: np.ndarray


def least(sc: Scenario) -> np.ndarray:
    """Minimum commitment of each instrument over the period, EUR m (0: none).

    Examples
    --------
    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_commitment"] = {"amount": 5, "by_instrument": {"enpi": 8}}
    >>> least(fs.scenario_from_dict(raw))  # tpma, enpi
    array([5., 8.])
    """
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
    """The instrument lines of the assembly, made the first time a rule on instruments asks for them.

    Examples
    --------
    The tutorial has no rule on instruments, so no lines; with a minimum commitment every one of the 10 lines
    (instrument × priority × region) gets one, each linking its two years of money:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules import Assembly
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> instrument_lines(Assembly(b, sc, define_eu(b, sc), np.zeros(20))) is None
    True
    >>> raw["rules"]["min_commitment"] = 5
    >>> sc = fs.scenario_from_dict(raw)
    >>> b = ProgramBuilder()
    >>> a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))
    >>> lines = instrument_lines(a)
    >>> lines is instrument_lines(a), lines.block.size, b.constraints["instrument_link"].size
    (True, 10, 20)
    """
    lines: Lines | None = a.once("instrument_lines", _define_lines)
    return lines


def active(axes: tuple[int, ...]) -> Callable[[Scenario, np.ndarray, Block, np.ndarray], np.ndarray]:
    """The values of binaries that say "money here": 1 where the EU cube summed over ``axes`` holds more than
    nothing, at the block's positions.

    Examples
    --------
    The administrative cost's binaries ``z[p,r]`` (block ``cell_active``) are 1 where any instrument in any year
    puts money in the priority × region cell:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["admin_cost"] = 2
    >>> sc = fs.scenario_from_dict(raw)
    >>> block = fs.assemble(sc).variables["cell_active"]
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 0, 1, 1] = 3.0  # enpi, mobility, eastern_partnership, 2010
    >>> values = active((0, 3))(sc, eu, block, np.ones(block.size))
    >>> values.reshape(3, 2)  # priority × region
    array([[0., 1.],
           [0., 0.],
           [0., 0.]])
    """
    def point(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
        money = eu.sum(axis=axes) if axes else eu
        pos = block.positions if block.positions is not None else np.unravel_index(np.arange(block.size),
                                                                                    block.shape)
        return (money[pos] > NONE).astype(float)
    return point


ACTIVE = Columns("instrument_active", "reduced cost of an instrument funding a priority × region cell", active((3,)))
FAMILY = register(RuleFamily("instrument_lines", (LINK,), None, order=115, columns=(ACTIVE,)))
