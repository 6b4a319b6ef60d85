"""Write a :class:`~fundsim.rules.program.LinearProgram` as an MPS or LP file, with readable names.

Every column and row is named after its block and labels, e.g. ``eu[tpma,return,north_africa,2010]``
or ``absorption[north_africa,2009]``, so the file can be read, diffed and given to any solver. The
names follow each format's rules as HiGHS reads them back (checked by ``tests/test_lp_export.py``):

* MPS (free format): any character but white space, which becomes ``_``;
* LP (CPLEX format): letters, digits and ``_ ( ) , . { } #``; brackets become parentheses,
  ``eu(tpma,return,north_africa,2010)``, every other character ``_`` (``-`` would read as a minus);
  at most 255 characters, and a name never starts with a digit or a period.

Names made equal by these rules get ``#2``, ``#3``, … appended. Columns or rows outside every block
(none in an assembled scenario) are called ``c{j}`` and ``r{i}``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fundsim.errors import ArgumentError, SolverError
from fundsim.outputs import atomic_file, check_output
from fundsim.rules.program import Block, LinearProgram
from fundsim.solvers.highs import HighsSolver

__all__ = ["FORMATS", "names", "write_program"]

FORMATS = ("mps", "lp")
LP_NAME_LENGTH = 255
_LP_UNSAFE = re.compile(r"[^A-Za-z0-9_(),.{}#]")
_WHITE = re.compile(r"\s")


def _labels(block: Block) -> list[str]:
    """``name[label,…]`` for each element of ``block``, in its column (or row) order."""
    if not block.dims:
        return [block.name] if block.size == 1 else [f"{block.name}[{k}]" for k in range(block.size)]
    positions = block.positions if block.positions is not None else np.unravel_index(np.arange(block.size),
                                                                                     block.shape)
    columns = [np.asarray([str(c) for c in coords], dtype=object)[pos]
               for coords, pos in zip(block.coords, positions, strict=True)]
    return [f"{block.name}[{','.join(parts)}]" for parts in zip(*columns, strict=True)]


def _raw_names(blocks: dict[str, Block], count: int, prefix: str) -> list[str]:
    out = [f"{prefix}{k}" for k in range(count)]
    for block in blocks.values():
        out[block.start:block.stop] = _labels(block)
    return out


def _sanitise(name: str, fmt: str) -> str:
    """``name`` made legal in format ``fmt``."""
    if fmt == "mps":
        return _WHITE.sub("_", name)
    name = _LP_UNSAFE.sub("_", name.replace("[", "(").replace("]", ")"))
    if name[:1].isdigit() or name[:1] == ".":
        name = "_" + name
    return name[:LP_NAME_LENGTH]


def _unique(names: list[str], fmt: str) -> list[str]:
    """``names`` with ``#2``, ``#3``, … appended to repeats (within the format's length limit)."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, k = name, 1
        while candidate in seen:
            k += 1
            suffix = f"#{k}"
            candidate = (name[:LP_NAME_LENGTH - len(suffix)] if fmt == "lp" else name) + suffix
        seen.add(candidate)
        out.append(candidate)
    return out


def _format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ArgumentError(f"cannot write {str(path)!r}: the file name must end in .mps or .lp "
                         f"(got {('.' + suffix) if suffix else 'no suffix'!r})")
    return suffix


def names(lp: LinearProgram, format: str = "mps") -> tuple[list[str], list[str]]:
    """Column and row names of ``lp`` from its block registry, legal and unique in ``format``.

    Parameters
    ----------
    lp : the program (its ``variables`` and ``constraints`` blocks give the names)
    format : ``"mps"`` (brackets kept) or ``"lp"`` (brackets as parentheses)

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import names
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> cols, rows = names(lp)
    >>> cols[0], rows[0]
    ('eu[tpma,mobility,north_africa,2009]', 'envelope[tpma,2009]')
    >>> names(lp, "lp")[1][-1]
    'pillar_max_share(development)'
    """
    if format not in FORMATS:
        raise ArgumentError(f"unknown format {format!r}; the formats are: {', '.join(FORMATS)}")
    cols = [_sanitise(n, format) for n in _raw_names(lp.variables, lp.num_col, "c")]
    rows = [_sanitise(n, format) for n in _raw_names(lp.constraints, lp.num_row, "r")]
    return _unique(cols, format), _unique(rows, format)


def write_program(lp: LinearProgram, path: str | Path) -> Path:
    """Write ``lp`` to ``path`` as free MPS (``.mps``) or CPLEX LP (``.lp``), named by :func:`names`.

    The file holds the sense, the objective with its offset, bounds, ranged rows and integer columns;
    HiGHS, CBC, GLPK and the commercial solvers read both formats. The file is written atomically (to a
    temporary name beside ``path``, renamed into place when complete).

    Raises
    ------
    ValueError
        when the suffix is neither ``.mps`` nor ``.lp``; an :class:`~fundsim.outputs.OutputError` when
        ``path`` is a folder, lies under a file or in a folder that cannot be written (missing folders
        are made).
    SolverError
        when HiGHS cannot write the file (or would have to rename its columns or rows).

    Examples
    --------
    >>> import tempfile, fundsim as fs
    >>> from fundsim.solvers import write_program
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> path = write_program(lp, tempfile.mkdtemp() + "/tutorial.lp")
    >>> "absorption(north_africa,2009):" in path.read_text()
    True
    """
    fmt = _format(path)
    path = check_output(path, kinds=(".mps", ".lp"), option="write_program")
    solver = HighsSolver()
    solver.load(lp)
    h = solver.highs
    cols, rows = names(lp, fmt)
    for j, name in enumerate(cols):
        h.passColName(j, name)
    for i, name in enumerate(rows):
        h.passRowName(i, name)
    import highspy  # imported by load() already, with its banner muted

    with atomic_file(path) as tmp:
        status = h.writeModel(str(tmp))
        if status != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS could not write {str(path)!r} (status {status})", "error")
    return path
