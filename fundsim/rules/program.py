"""The :class:`LinearProgram` and its registry of labelled variable and constraint blocks.

A block is a contiguous range of columns (or rows) with a name, dims and coords. Sparse blocks (only
eligible cells get a variable) record for each element its position on every dim, so one labelling
step can turn a flat vector back into a labelled array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["Block", "LinearProgram", "ProgramBuilder", "share_base"]


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


@dataclass
class ProgramBuilder:
    """Collects blocks of columns and rows (as COO triplets) and builds the CSR matrix once."""

    sense: str = "max"
    variables: dict[str, Block] = field(default_factory=dict)
    constraints: dict[str, Block] = field(default_factory=dict)
    _cols: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _rows: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _coo: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    ncol: int = 0
    nrow: int = 0
    binaries: list[Block] = field(default_factory=list)

    def add_variables(
        self,
        name: str,
        dims: tuple[str, ...],
        coords: tuple[tuple, ...],
        size: int,
        *,
        positions: tuple[np.ndarray, ...] | None = None,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        cost: float | np.ndarray = 0.0,
        units: str = "EUR m",
        long_name: str = "",
        binary: bool = False,
    ) -> Block:
        """Register ``size`` columns; returns the block (its ``start`` offsets column indices).

        ``binary`` columns are integer (0/1 with their bounds): the programme is then mixed-integer."""
        block = Block(name, dims, coords, self.ncol, self.ncol + size, positions, "", units, long_name)
        self.variables[name] = block
        if binary:
            self.binaries.append(block)
        lo, up, co = (np.broadcast_to(np.asarray(v, float), (size,)) for v in (lower, upper, cost))
        self._cols.append((lo, up, co))
        self.ncol += size
        return block

    def add_constraints(
        self,
        name: str,
        dims: tuple[str, ...],
        coords: tuple[tuple, ...],
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        *,
        positions: tuple[np.ndarray, ...] | None = None,
        kind: str = "le",
        units: str = "objective per EUR m",
        long_name: str = "",
        share: np.ndarray | None = None,
        base: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> Block | None:
        """Register rows ``lower ≤ Σ vals[cols] ≤ upper``; ``rows`` index the block's own rows.

        A share rule also gives each row's share ``β`` and its base ``B`` (see :class:`Block`). Empty blocks
        are skipped (a rule about nothing adds no row) and ``None`` is returned.
        """
        size = len(lower)
        if size == 0:
            return None
        if (share is None) != (base is None):
            raise ValueError(f"the share rule {name!r} needs both its shares and its base")
        if share is not None and base is not None:
            share = np.asarray(share, float)
            base = (np.asarray(base[0], np.int64), np.asarray(base[1], np.int64), np.asarray(base[2], float))
        block = Block(name, dims, coords, self.nrow, self.nrow + size, positions, kind, units, long_name, share,
                      base)
        self.constraints[name] = block
        self._rows.append((np.asarray(lower, float), np.asarray(upper, float)))
        self._coo.append((np.asarray(rows, np.int64) + self.nrow, np.asarray(cols, np.int64), np.asarray(vals, float)))
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
    >>> _ = b.add_variables("x", ("cell",), (("a", "b"),), 2)
    >>> _ = b.add_constraints("half", (), (), np.zeros(2), np.arange(2), np.array([0.5, -0.5]), np.zeros(1),
    ...                       np.full(1, np.inf), kind="ge", share=np.array([0.5]),
    ...                       base=(np.zeros(2), np.arange(2), np.ones(2)))
    >>> (share_base(b.constraints["half"], 2) @ np.array([3.0, 1.0])).tolist()
    [4.0]
    """
    if block.base is None:
        raise ValueError(f"{block.name!r} is not a share rule: it has no base")
    rows, cols, vals = block.base
    return sp.csr_matrix((vals, (rows, cols)), shape=(block.size, num_col))
