"""Progress of long work wherever it runs: a live bar on a terminal or in a notebook, plain lines in a pipe or a
log (anything that can take more than a few seconds shows progress, and an interrupt keeps what was done).

It imports nothing of fundsim, so any layer may show progress.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(description: str, total: int, console: Console | None = None, *,
                 interval: float = 5.0) -> Iterator[Callable[[int], None]]:
    """Show the progress of ``total`` steps of work; yields ``advance(n)``, to call when ``n`` more are done.

    On a terminal, and in a notebook with ipywidgets, rich's live bar (description, bar, done/total, time left),
    erased when the work ends. Anywhere else (a pipe, a file, a CI log, a notebook without ipywidgets) plain
    lines on ``console``'s file: one at the start, at most one every ``interval`` seconds while the work runs
    (the count done, its share, the time elapsed and an estimate of the time left), and one at the end with the
    count done and the time taken, or, if the work raised, where it stopped. The description is shown verbatim,
    never read as rich markup. An exception (a ``KeyboardInterrupt`` too) closes the display and propagates.

    Parameters
    ----------
    description : what the work is, e.g. ``"moving 243 assumptions of gam-2008"``
    total : how many steps the work has
    console : where to show it; default: a rich console on stderr
    interval : the least number of seconds between two plain lines (``0``: one line per ``advance``)

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> log = io.StringIO()
    >>> with progress_bar("solving [/x]", 4, Console(file=log), interval=0) as advance:
    ...     advance(1)
    ...     advance(3)
    >>> print(log.getvalue(), end="")  # doctest: +ELLIPSIS
    solving [/x]: 4 to do
    solving [/x]: 1/4 (25 %), ... elapsed, about ... left
    solving [/x]: 4/4 done in ...
    """
    console = console if console is not None else Console(stderr=True)
    if _live(console):
        with _bar(description, total, console) as advance:
            yield advance
    else:
        with _lines(description, total, console, interval) as advance:
            yield advance


def _live(console: Console) -> bool:
    """Whether ``console`` can redraw a live display: a terminal that moves its cursor, or a notebook that has
    the ipywidgets rich draws its live display in (without them rich only warns)."""
    if console.is_jupyter:
        return importlib.util.find_spec("ipywidgets") is not None
    return console.is_terminal and not console.is_dumb_terminal


@contextmanager
def _bar(description: str, total: int, console: Console) -> Iterator[Callable[[int], None]]:
    """rich's transient live bar."""
    with Progress(TextColumn("{task.description}", style="progress.description", markup=False), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def _lines(description: str, total: int, console: Console, interval: float) -> Iterator[Callable[[int], None]]:
    """The plain lines of :func:`progress_bar`."""
    log = _Log(description, total, console, interval)
    log.write(f"{total:,} to do")
    try:
        yield log.advance
    except BaseException:
        log.write(f"stopped at {log.done:,}/{total:,} after {_duration(monotonic() - log.start)}")
        raise
    log.write(f"{log.done:,}/{total:,} done in {_duration(monotonic() - log.start)}")


class _Log:
    """The count done so far and when the last line was written."""

    def __init__(self, description: str, total: int, console: Console, interval: float) -> None:
        self.description, self.total, self.console, self.interval = description, total, console, interval
        self.done = 0
        self.start = self.last = monotonic()

    def write(self, status: str) -> None:
        """One line, written to the console's file itself so that nothing in it is read as markup or wrapped."""
        file = self.console.file
        file.write(f"{self.description}: {status}\n")
        file.flush()

    def advance(self, n: int) -> None:
        self.done += n
        now = monotonic()
        if self.done < self.total and now - self.last >= self.interval:
            self.last = now
            self.write(self._status(now - self.start))

    def _status(self, elapsed: float) -> str:
        share = 100 * self.done // self.total  # rounded down: 100 % only once all is done
        left = f", about {_duration(elapsed * (self.total - self.done) / self.done)} left" if self.done > 0 else ""
        return f"{self.done:,}/{self.total:,} ({share} %), {_duration(elapsed)} elapsed{left}"


def _duration(seconds: float) -> str:
    """``42 s``, ``2 min 05 s`` or ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
