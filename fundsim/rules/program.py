"""The :class:`LinearProgram` and its registry of labelled variable and constraint blocks.

A block is a contiguous range of columns (or rows) with a name, dims and coords. Sparse blocks (only
eligible cells get a variable) record for each element its position on every dim, so one labelling
step can turn a flat vector back into a labelled array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["Block", "Entries", "Header", "LinearProgram", "ProgramBuilder", "ShareRows", "share_base"]


@dataclass(frozen=True, eq=False)
class Block:
    """A named range ``[start, stop)`` of columns or rows.

    Attributes
    ----------
    dims, coords : the labels of the block's elements (coords in dim order)
    positions : per dim, the index of each element on that dim; ``None`` for a dense block in C order
    kind : for rows, ``"le"``, ``"ge"``, ``"eq"`` or ``"range"`` (which side is a rule's relaxation)
    share : for share rules ``Σ members - β·B ⋚ 0``, the share ``β`` of each row (``None`` for money rules)
    base : for share rules, the base ``B`` of each row as triplets ``(row in the block, column, coefficient)``:
        ``B`` is the money the share is taken of (all EU money, a region's EU money …); see :func:`share_base`

    Examples
    --------
    >>> import numpy as np
    >>> block = Block("eu", ("cell",), (("a", "b", "c"),), 0, 2, positions=(np.array([0, 2]),))
    >>> block.size, block.shape, block.dense(np.array([1.5, 2.5]), fill=0.0).tolist()
    (2, (3,), [1.5, 0.0, 2.5])
    """

    name: str
    dims: tuple[str, ...]
    coords: tuple[tuple, ...]
    start: int
    stop: int
    positions: tuple[np.ndarray, ...] | None = None
    kind: str = ""
    units: str = ""
    long_name: str = ""
    share: np.ndarray | None = None
    base: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def per_point(self) -> bool:
        """Whether this is a share rule: its dual and ranging are reported per percentage point of the share."""
        return self.share is not None

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.coords)

    def dense(self, flat: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """This block's part of ``flat`` laid out on its full grid (``fill`` where no element)."""
        part = np.asarray(flat)[self.start : self.stop]
        if self.positions is None:
            return part.reshape(self.shape)
        out = np.full(self.shape, fill, dtype=float)  # an integer fill must not make the values integers
        out[self.positions] = part
        return out


@dataclass(eq=False)
class LinearProgram:
    """``sense`` c·x + offset subject to row_lower ≤ A x ≤ row_upper and col_lower ≤ x ≤ col_upper.

    Solvers see only this object. ``integrality`` is ``None`` for a pure LP.

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> lp.sense, lp.num_col, lp.integrality is None  # 20 eligible cells, 4 unused appropriations and E, all EU money
    ('max', 25, True)
    """

    sense: str
    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    variables: dict[str, Block]
    constraints: dict[str, Block]
    offset: float = 0.0
    integrality: np.ndarray | None = None

    @property
    def num_col(self) -> int:
        return len(self.c)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)

    def same_matrix(self, other: LinearProgram) -> bool:
        """Whether ``other`` has this LP's constraint matrix, entry for entry (its other numbers may differ)."""
        a, b = self.A, other.A
        return a is b or (a.shape == b.shape and a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr)
                          and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))

    def __repr__(self) -> str:
        return (
            f"<LinearProgram {self.sense} {self.num_col} columns, {self.num_row} rows, {self.A.nnz} nonzeros; "
            f"variables {list(self.variables)}; rules {list(self.constraints)}>"
        )


@dataclass(frozen=True, eq=False)
class Header:
    """What a block of columns or rows is: its name, its labels and the attrs of its labelled values.

    Attributes
    ----------
    name : the block's name: a variable (``eu``, ``total_eu`` …) or a rule's row block (``envelope`` …)
    dims, coords : the labels of the block's elements (coords in dim order)
    positions : per dim, the index of each element on that dim; ``None`` for a dense block in C order
    units, long_name : the attrs its labelled values get; ``units=None`` stands for ``"EUR m"`` (columns) or
        ``"objective per EUR m"`` (rows: a shadow price)

    Examples
    --------
    >>> Header("envelope", ("instrument", "year"), (("enpi",), (2009, 2010)), long_name="EU envelope").dims
    ('instrument', 'year')
    """

    name: str
    dims: tuple[str, ...] = ()
    coords: tuple[tuple, ...] = ()
    positions: tuple[np.ndarray, ...] | None = None
    units: str | None = None
    long_name: str = ""


@dataclass(frozen=True, eq=False)
class Entries:
    """A block's nonzero coefficients as COO triplets: ``vals[k]`` at (``rows[k]``, ``cols[k]``), ``rows``
    counting the block's own rows from 0 and ``cols`` the program's columns; duplicates are summed.

    Examples
    --------
    >>> Entries(np.zeros(2, int), np.array([0, 1]), np.ones(2)).vals.tolist()
    [1.0, 1.0]
    """

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


@dataclass(frozen=True, eq=False)
class ShareRows:
    """What a share rule ``Σ members - β·B ⋚ 0`` records besides its rows: each row's share ``β`` and its base
    ``B`` as triplets ``(row in the block, column, coefficient)`` (see :class:`Block` and :func:`share_base`).

    Examples
    --------
    >>> ShareRows(np.array([0.5]), (np.zeros(2), np.arange(2), np.ones(2))).share.tolist()
    [0.5]
    """

    share: np.ndarray
    base: tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class ProgramBuilder:
    """Collects blocks of columns and rows (as COO triplets) and builds the CSR matrix once.

    Examples
    --------
    >>> import numpy as np
    >>> b = ProgramBuilder()
    >>> x = b.add_variables(Header("x", ("cell",), (("a", "b"),)), 2, cost=np.array([1.0, 2.0]))
    >>> _ = b.add_constraints(Header("cap"), Entries(np.zeros(2), np.arange(2), np.ones(2)), np.full(1, -np.inf),
    ...                       np.array([5.0]))
    >>> lp = b.build()
    >>> lp.A.toarray().tolist(), lp.row_upper.tolist(), list(lp.constraints)
    ([[1.0, 1.0]], [5.0], ['cap'])
    """

    sense: str = "max"
    variables: dict[str, Block] = field(default_factory=dict)
    constraints: dict[str, Block] = field(default_factory=dict)
    _cols: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _rows: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _coo: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    ncol: int = 0
    nrow: int = 0
    binaries: list[Block] = field(default_factory=list)
    labels: dict[str, tuple] = field(default_factory=dict)

    def _canonical(self, h: Header) -> Header:
        """The header with each dim of :attr:`labels` on those labels (positions mapped onto them), so that every
        row block of a dim shares one coordinate: a region's rows and a country's rows stand on one region axis
        (columns keep their own: the allocation's cube is over the planning units).

        Examples
        --------
        >>> b = ProgramBuilder(labels={"region": ("a", "b", "ab")})
        >>> h = b._canonical(Header("x", ("region",), (("ab",),)))
        >>> h.coords, h.positions[0].tolist()
        ((('a', 'b', 'ab'),), [2])
        """
        moved = [k for k, d in enumerate(h.dims) if d in self.labels and tuple(h.coords[k]) != self.labels[d]]
        if not moved:
            return h
        shape = tuple(len(c) for c in h.coords)
        positions = list(h.positions) if h.positions is not None else [
            a.ravel() for a in np.indices(shape, dtype=np.int64)]
        coords = list(h.coords)
        for k in moved:
            canonical = self.labels[h.dims[k]]
            where = {label: n for n, label in enumerate(canonical)}
            onto = np.array([where[label] for label in h.coords[k]], dtype=np.int64)
            positions[k] = onto[np.asarray(positions[k], np.int64)]
            coords[k] = canonical
        return Header(h.name, h.dims, tuple(coords), tuple(positions), h.units, h.long_name)

    def add_variables(self, header: Header, size: int, *, lower: float | np.ndarray = 0.0,
                      upper: float | np.ndarray = np.inf, cost: float | np.ndarray = 0.0,
                      binary: bool = False) -> Block:
        """Register ``size`` columns.

        Parameters
        ----------
        header : the block's name, labels (``positions`` for a sparse block) and attrs (units ``EUR m`` by
            default)
        size : the number of columns
        lower, upper, cost : each column's bounds and objective coefficient (a number for all, or one each)
        binary : integer columns (0/1 with their bounds): the programme is then mixed-integer

        Returns
        -------
        Block
            The block; its ``start`` offsets the column indices.

        Examples
        --------
        >>> b = ProgramBuilder()
        >>> x = b.add_variables(Header("x", ("cell",), (("a", "b"),)), 2, upper=5.0, cost=np.array([1.0, 2.0]))
        >>> (x.start, x.stop, x.units), b.build().col_upper.tolist()
        ((0, 2, 'EUR m'), [5.0, 5.0])
        """
        h = header
        block = Block(h.name, h.dims, h.coords, self.ncol, self.ncol + size, h.positions, "",
                      "EUR m" if h.units is None else h.units, h.long_name)
        self.variables[h.name] = block
        if binary:
            self.binaries.append(block)
        lo, up, co = (np.broadcast_to(np.asarray(v, float), (size,)) for v in (lower, upper, cost))
        self._cols.append((lo, up, co))
        self.ncol += size
        return block

    def add_constraints(self, header: Header, entries: Entries, lower: np.ndarray, upper: np.ndarray, *,
                        kind: str = "le", share: ShareRows | None = None) -> Block | None:
        """Register rows ``lower ≤ Σ vals[cols] ≤ upper``, one per element of ``lower``.

        Parameters
        ----------
        header : the block's name, labels (``positions`` for a sparse block) and attrs (units ``objective
            per EUR m`` by default: the unit of its shadow price)
        entries : the rows' coefficients; ``entries.rows`` index the block's own rows
        lower, upper : each row's bounds (``-inf``/``inf`` for a side without one)
        kind : ``"le"``, ``"ge"``, ``"eq"`` or ``"range"``: which side is the rule's relaxation
        share : a share rule's shares ``β`` and base ``B`` (see :class:`Block`)

        Returns
        -------
        Block or None
            The block; ``None`` for an empty one (a rule about nothing adds no row).

        Examples
        --------
        >>> b = ProgramBuilder()
        >>> _ = b.add_variables(Header("x", ("cell",), (("a", "b"),)), 2)
        >>> cap = b.add_constraints(Header("cap"), Entries(np.zeros(2), np.arange(2), np.ones(2)),
        ...                         np.full(1, -np.inf), np.full(1, 10.0))
        >>> (cap.start, cap.stop, cap.kind), b.build().A.toarray().tolist()
        ((0, 1, 'le'), [[1.0, 1.0]])
        """
        size = len(lower)
        if size == 0:
            return None
        h, beta, base = self._canonical(header), None, None
        if share is not None:
            beta = np.asarray(share.share, float)
            rows, cols, vals = share.base
            base = (np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(vals, float))
        local = np.asarray(entries.rows, np.int64)
        if local.size and (local.min() < 0 or local.max() >= size):
            wrong = int(local.min() if local.min() < 0 else local.max())
            raise ValueError(f"the rows {h.name!r}: an entry names row {wrong} of a block of {size} rows")
        block = Block(h.name, h.dims, h.coords, self.nrow, self.nrow + size, h.positions, kind,
                      "objective per EUR m" if h.units is None else h.units, h.long_name, beta, base)
        self.constraints[h.name] = block
        self._rows.append((np.asarray(lower, float), np.asarray(upper, float)))
        self._coo.append((np.asarray(entries.rows, np.int64) + self.nrow, np.asarray(entries.cols, np.int64),
                          np.asarray(entries.vals, float)))
        self.nrow += size
        return block

    def build(self) -> LinearProgram:
        """Assemble the CSR matrix (duplicate entries are summed) and the bound vectors."""
        lower, upper, cost = (np.concatenate([c[k] for c in self._cols]) for k in range(3))
        if self._coo:
            r, c, v = (np.concatenate([t[k] for t in self._coo]) for k in range(3))
            rl, ru = (np.concatenate([t[k] for t in self._rows]) for k in range(2))
        else:
            r = c = np.zeros(0, np.int64)
            v = rl = ru = np.zeros(0)
        A = sp.csr_matrix((v, (r, c)), shape=(self.nrow, self.ncol))
        A.sum_duplicates()
        integrality = None
        if self.binaries:
            integrality = np.zeros(self.ncol, dtype=np.int8)
            for block in self.binaries:
                integrality[block.start : block.stop] = 1
        return LinearProgram(self.sense, cost.copy(), A, rl, ru, lower.copy(), upper.copy(),
                             dict(self.variables), dict(self.constraints), integrality=integrality)


def share_base(block: Block, num_col: int) -> sp.csr_matrix:
    """The base ``B`` of each row of a share rule, as a sparse ``(rows of the block) × columns`` matrix.

    ``share_base(block, lp.num_col) @ x`` is the money each row's share is taken of in the plan ``x``.

    Examples
    --------
    >>> b = ProgramBuilder()
    >>> _ = b.add_variables(Header("x", ("cell",), (("a", "b"),)), 2)
    >>> _ = b.add_constraints(Header("half"), Entries(np.zeros(2), np.arange(2), np.array([0.5, -0.5])),
    ...                       np.zeros(1), np.full(1, np.inf), kind="ge",
    ...                       share=ShareRows(np.array([0.5]), (np.zeros(2), np.arange(2), np.ones(2))))
    >>> (share_base(b.constraints["half"], 2) @ np.array([3.0, 1.0])).tolist()
    [4.0]
    """
    if block.base is None:
        raise ValueError(f"{block.name!r} is not a share rule: it has no base")
    rows, cols, vals = block.base
    return sp.csr_matrix((vals, (rows, cols)), shape=(block.size, num_col))
