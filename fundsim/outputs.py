"""Writing outputs safely: nothing a user has is lost, and no text fundsim writes can execute.

Every file fundsim writes goes through :func:`atomic_file`: it is written to a temporary name beside the
target and renamed into place only when complete, so an interrupted write leaves the old file or nothing.
:func:`check_output` runs *before* any computation and refuses (with :class:`OutputError`, exit 2 in the
CLI) to write over one of the command's own inputs, into a parent that is not a writable folder, over a
folder that is not a fundsim store, or over a file of another kind than the one asked for. Text cells
written to CSV or XLSX are passed through :func:`neutralise` (OWASP CSV-injection practice): a cell that a
spreadsheet would read as a formula is prefixed with an apostrophe.

This module sits at the bottom of the house: it imports nothing of fundsim but :mod:`fundsim.errors`.

Examples
--------
>>> neutralise("=1+2")
"'=1+2"
>>> neutralise("north_africa")
'north_africa'
>>> neutralise(-1.5)
-1.5
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fundsim.errors import FundsimError

__all__ = [
    "STORE_MARKER",
    "OutputError",
    "atomic_file",
    "check_output",
    "is_fundsim_store",
    "mark_store",
    "neutral_frame",
    "neutralise",
    "write_csv",
    "write_excel",
]

#: the file that marks a folder as a fundsim result store; a folder without it is never emptied
STORE_MARKER = ".fundsim-store"

# characters Excel does not allow in a sheet name, and its length limit
_SHEET_UNSAFE = str.maketrans({c: "_" for c in "[]:*?/\\"})
_SHEET_CHARS = 31

# a text cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class OutputError(FundsimError, ValueError):
    """An output path fundsim refuses to write to; ``path`` is the path, ``reason`` what is wrong and what
    would be valid.

    Examples
    --------
    >>> err = OutputError("out/plan.txt", "--out takes a path ending in .nc, .csv")
    >>> print(err)
    out/plan.txt: --out takes a path ending in .nc, .csv
    >>> err.path, isinstance(err, ValueError)
    ('out/plan.txt', True)
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: a text that would be read as a formula gets a leading
    apostrophe; numbers and every other text are returned as they are.

    A negative number written as a number stays a number; only *text* that starts with ``=``, ``+``,
    ``-``, ``@``, a tab or a line break is changed.

    Examples
    --------
    >>> neutralise("@SUM(A1)"), neutralise("-1"), neutralise(-1.0)
    ("'@SUM(A1)", "'-1", -1.0)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutral_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells, column names and index labels are neutralised.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"rule": ["=cmd()", "envelope"], "eur_m": [1.0, -2.0]})
    >>> neutral_frame(frame)["rule"].tolist(), neutral_frame(frame)["eur_m"].tolist()
    (["'=cmd()", 'envelope'], [1.0, -2.0])
    """
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise)
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index: Any) -> Any:
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_neutral_index(level) for level in index.levels])
    if index.dtype == object or isinstance(index.dtype, pd.StringDtype):
        return index.map(neutralise)
    return index


def is_fundsim_store(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder that fundsim made as a result store (it carries :data:`STORE_MARKER`).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> is_fundsim_store(folder)
    False
    >>> mark_store(folder)
    >>> is_fundsim_store(folder)
    True
    """
    p = Path(path)
    return p.is_dir() and (p / STORE_MARKER).is_file()


def mark_store(path: str | os.PathLike[str], text: str = "") -> None:
    """Mark the folder ``path`` as a fundsim store (written atomically).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> mark_store(folder, "a Monte Carlo run\\n")
    >>> (folder / STORE_MARKER).read_text(), is_fundsim_store(folder)
    ('a Monte Carlo run\\n', True)
    """
    with atomic_file(Path(path) / STORE_MARKER) as tmp:
        tmp.write_text(text or "a result store written by fundsim; fundsim may replace or resume it\n",
                       encoding="utf-8")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _inside(child: Path, folder: Path) -> bool:
    try:
        child.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def check_output(
    path: str | os.PathLike[str],
    *,
    kinds: Iterable[str],
    inputs: Iterable[str | os.PathLike[str]] = (),
    option: str = "--out",
) -> Path:
    """Check, before any work, that fundsim may write ``path``; return it as a :class:`~pathlib.Path`.

    Refused, with an :class:`OutputError` that says why and what would be valid:

    - a suffix not in ``kinds`` (e.g. ``(".nc", ".csv")``);
    - a path that is one of ``inputs`` (the command's own input files), or a store folder holding one;
    - a parent that exists but is not a folder, or a folder fundsim cannot write to;
    - an existing folder at a file path, or an existing non-folder at a store (``.zarr``) path;
    - an existing folder that is not a fundsim store (it lacks :data:`STORE_MARKER`): it is never emptied;
    - something that is not a regular file (a pipe, a device) at the path.

    An existing regular file of the kind asked for may be replaced (as every command-line tool does), and
    a fundsim store may be resumed or replaced: that decision belongs to the store.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output(folder / "plan.csv", kinds=(".nc", ".csv")).name
    'plan.csv'
    >>> try:
    ...     check_output(folder / "plan.txt", kinds=(".nc", ".csv"))
    ... except OutputError as err:
    ...     print(err.reason)
    --out takes a path ending in .nc, .csv; this one ends in '.txt'
    """
    target = Path(path)
    kinds = tuple(kinds)
    shown = ", ".join(kinds)
    if target.suffix.lower() not in kinds:
        raise OutputError(target, f"{option} takes a path ending in {shown}; "
                                  f"this one ends in {target.suffix or '(nothing)'!r}")
    for given in inputs:
        src = Path(given)
        if _same_file(target, src) or (target.exists() and target.is_dir() and _inside(src, target)):
            raise OutputError(target, f"{option} names one of this command's own inputs ({src}); fundsim never "
                                      "writes over its inputs — choose another output path")
    is_store = target.suffix.lower() == ".zarr"
    if target.exists() or target.is_symlink():
        mode = target.lstat().st_mode if target.is_symlink() and not target.exists() else target.stat().st_mode
        if is_store:
            if not stat.S_ISDIR(mode):
                raise OutputError(target, "a store is a folder, and a file of that name exists; fundsim does not "
                                          "replace it — choose another path or move the file")
            if any(target.iterdir()) and not is_fundsim_store(target):
                raise OutputError(target, f"the folder exists and is not a fundsim store (it has no {STORE_MARKER} "
                                          "marker); fundsim never empties a folder it did not make — choose a new "
                                          "path or an empty folder")
        elif stat.S_ISDIR(mode):
            raise OutputError(target, f"a folder of that name exists; {option} takes a file path ({shown})")
        elif not stat.S_ISREG(mode):
            raise OutputError(target, "this is not a regular file (a pipe, a socket or a device); fundsim writes "
                                      "regular files only")
    parent = target.parent if str(target.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OutputError(target, f"{probe} is a file, not a folder, so nothing can be written inside it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(target, f"the folder {probe} is not writable")
    return target


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an exception, rename it to
    ``path`` (atomically, replacing an existing file); on an exception or an interrupt, remove it, so that
    ``path`` keeps its old content or stays absent.

    Creates missing parent folders. The temporary name starts with ``.`` and ends in ``.partial`` and the
    target's suffix, so writers that choose a format by suffix (pandas, xarray, openpyxl) still do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_file(folder / "plan.csv") as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n")
    >>> (folder / "plan.csv").read_text()
    'a,b\\n1,2\\n'
    >>> sorted(p.name for p in folder.iterdir())
    ['plan.csv']
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".partial{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if tmp.exists():  # a writer may replace the temporary file; give it the mode a new file would get
            tmp.chmod(_mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """The permission bits of the file replaced at ``target``, or those a new file gets under the umask
    (``mkstemp`` makes its file readable by its owner only)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_csv(frame: Any, path: str | os.PathLike[str], *, index: bool = True) -> Path:
    """Write the DataFrame ``frame`` to the CSV file ``path``: atomically, its text cells neutralised.

    Examples
    --------
    >>> import pandas as pd, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rules.csv"
    >>> write_csv(pd.DataFrame({"rule": ["=1+2"]}), path, index=False).name
    'rules.csv'
    >>> path.read_text().splitlines()
    ['rule', "'=1+2"]
    """
    with atomic_file(path) as tmp:
        neutral_frame(frame).to_csv(tmp, index=index)
    return Path(path)


def write_excel(path: str | os.PathLike[str], sheets: Iterable[tuple[str, Any, bool]]) -> Path:
    """Write an Excel workbook of ``(sheet name, DataFrame, write the index?)`` sheets to ``path``: atomically,
    text cells neutralised, sheet names made legal (no ``[]:*?/\\``, at most 31 characters).

    Examples
    --------
    >>> import pandas as pd, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.xlsx"
    >>> _ = write_excel(path, [("eu/total", pd.DataFrame({"eur_m": [1.0]}), False)])
    >>> pd.ExcelFile(path).sheet_names  # '/' is not allowed in a sheet name
    ['eu_total']
    """
    import pandas as pd

    with atomic_file(path) as tmp:
        xl = pd.ExcelWriter(tmp, engine="openpyxl")
        try:
            for name, frame, index in sheets:
                title = str(name).translate(_SHEET_UNSAFE)[:_SHEET_CHARS].strip("'") or "sheet"
                neutral_frame(frame).to_excel(xl, sheet_name=title, index=index)
        except BaseException:
            with contextlib.suppress(Exception):  # closing a half-made workbook may fail; the first error counts
                xl.close()
            raise
        xl.close()
    return Path(path)
