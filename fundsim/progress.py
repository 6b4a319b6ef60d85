"""Progress of long work wherever it runs: a live bar on a terminal or in a notebook, plain lines in a pipe or a
log (anything that can take more than a few seconds shows progress, and an interrupt keeps what was done).
:func:`progress_bar` counts steps done; :func:`status_display` shows a status that is not a count (the incumbent,
bound and gap of a mixed-integer solve).

It imports nothing of fundsim, so any layer may show progress.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

__all__ = ["progress_bar", "status_display"]


@contextmanager
def progress_bar(description: str, total: int, console: Console | None = None, *,
                 interval: float = 5.0) -> Iterator[Callable[[int], None]]:
    """Show the progress of ``total`` steps of work; yields ``advance(n)``, to call when ``n`` more are done.

    On a terminal, and in a notebook with ipywidgets, rich's live bar (description, bar, done/total, time left),
    erased when the work ends. Anywhere else (a pipe, a file, a CI log, a notebook without ipywidgets) plain
    lines on ``console``'s file: one at the start, at most one every ``interval`` seconds while the work runs
    (the count done, its share, the time elapsed and an estimate of the time left), and one at the end with the
    count done and the time taken, or, if the work raised, where it stopped. Nothing on a quiet console
    (``console.quiet``: ``fundsim --quiet``). The description is shown verbatim, never read as rich markup. An
    exception (a ``KeyboardInterrupt`` too) closes the display and propagates.

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
    if console.quiet:
        yield _ignore
    elif _live(console):
        with _bar(description, total, console) as advance:
            yield advance
    else:
        with _lines(description, total, console, interval) as advance:
            yield advance


@contextmanager
def status_display(description: str, console: Console | None = None, *,
                   interval: float = 5.0) -> Iterator[Callable[[str], None]]:
    """Show the status of long work that is not a count, and the time it has taken; yields ``show(status)``, to
    call whenever the status changes.

    On a terminal, and in a notebook with ipywidgets, one live line (a spinner, the description, the latest status
    and the time elapsed, which goes on ticking between two ``show``), erased when the work ends. Anywhere else (a
    pipe, a file, a CI log, a notebook without ipywidgets) plain lines ``description: status · elapsed`` on
    ``console``'s file, none before the first ``show``: the first status at once, then one line every ``interval``
    seconds while the work runs (the latest status, whether or not it changed), and a last one at the end (or
    when the work raises) unless the line before showed the latest status. Nothing on a quiet console
    (``console.quiet``). Text is shown verbatim, never read as rich markup. An exception (a ``KeyboardInterrupt``
    too) closes the display and propagates.

    Parameters
    ----------
    description : what the work is, e.g. ``"gam-2008-coherent"``
    console : where to show it; default: a rich console on stderr
    interval : the seconds between two plain lines (at least 0.1)

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> log = io.StringIO()
    >>> with status_display("solving [/x]", Console(file=log), interval=3600) as show:
    ...     show("incumbent 125.0 · bound 130.0")
    ...     show("incumbent 127.5 · bound 128.8")
    ...     show("incumbent 127.5 · bound 127.5")
    >>> print(log.getvalue(), end="")  # doctest: +ELLIPSIS
    solving [/x]: incumbent 125.0 · bound 130.0 · ... s
    solving [/x]: incumbent 127.5 · bound 127.5 · ... s
    """
    console = console if console is not None else Console(stderr=True)
    if console.quiet:
        yield _ignore
    elif _live(console):
        with _spinner(description, console) as show:
            yield show
    else:
        with _status_lines(description, console, max(interval, 0.1)) as show:
            yield show


def _ignore(news: object) -> None:
    """What a quiet console's display does with an advance or a status."""


class _Elapsed:
    """The live line's text, drawn anew at each refresh so that the time elapsed goes on ticking."""

    def __init__(self, description: str) -> None:
        self.description, self.status, self.start = description, "", monotonic()

    def __rich__(self) -> Text:
        status = f"{self.status} · " if self.status else ""
        return Text(f"{self.description}: {status}{_duration(monotonic() - self.start)}")


@contextmanager
def _spinner(description: str, console: Console) -> Iterator[Callable[[str], None]]:
    """rich's transient status line: a spinner, the description, the latest status and the time elapsed."""
    line = _Elapsed(description)
    with console.status(line):
        yield lambda status: setattr(line, "status", status)


@contextmanager
def _status_lines(description: str, console: Console, interval: float) -> Iterator[Callable[[str], None]]:
    """The plain lines of :func:`status_display`, those between two ``show`` written by a thread of their own."""
    log = _StatusLog(description, console, interval)
    ticker = threading.Thread(target=log.tick_until_done, name="fundsim status lines", daemon=True)
    ticker.start()
    try:
        yield log.show
    finally:
        log.done.set()
        ticker.join()
        log.end()


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


class _StatusLog:
    """The latest status, whether a line showed it, and when the last line was written."""

    def __init__(self, description: str, console: Console, interval: float) -> None:
        self.description, self.console, self.interval = description, console, interval
        self.status: str | None = None
        self.shown = True
        self.start = self.last = monotonic()
        self.lock = threading.Lock()
        self.done = threading.Event()

    def _write(self, now: float) -> None:
        """One line, written to the console's file itself so that nothing in it is read as markup or wrapped."""
        self.console.file.write(f"{self.description}: {self.status} · {_duration(now - self.start)}\n")
        self.console.file.flush()
        self.last, self.shown = now, True

    def show(self, status: str) -> None:
        with self.lock:
            first = self.status is None
            self.status, self.shown = status, False
            now = monotonic()
            if first or now - self.last >= self.interval:
                self._write(now)

    def tick(self) -> None:
        """The latest status again, once ``interval`` seconds passed since the last line."""
        with self.lock:
            now = monotonic()
            if self.status is not None and now - self.last >= self.interval:
                self._write(now)

    def tick_until_done(self) -> None:
        while not self.done.wait(max(self.last + self.interval - monotonic(), 0.0)):
            self.tick()

    def end(self) -> None:
        with self.lock:
            if not self.shown:
                self._write(monotonic())


def _duration(seconds: float) -> str:
    """``42 s``, ``2 min 05 s`` or ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
