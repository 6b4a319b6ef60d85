"""Stopping HiGHS cleanly on Ctrl-C or SIGTERM, so that an interrupted MILP keeps its best plan.

While :func:`stop_on_signal` is active, SIGINT and SIGTERM do not raise at once: they ask HiGHS to stop
at its next interrupt check (its MIP, simplex and interior-point interrupt callbacks), and HiGHS returns
with the model status ``kInterrupt`` and, for a MILP, its incumbent and proved gap. The caller decides
what to keep; :class:`~fundsim.solvers.highs.HighsSolver` raises :class:`KeyboardInterrupt` unless asked
to keep an interrupted MILP's incumbent.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["stop_on_signal"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_on_signal(h: Any) -> Iterator[Callable[[], bool]]:
    """For the block, turn SIGINT and SIGTERM into a request that the ``highspy.Highs`` object ``h`` stop;
    yield a function that tells whether a signal came. Outside the main thread (where Python cannot set
    signal handlers) the block runs unchanged.

    Examples
    --------
    >>> import highspy
    >>> h = highspy.Highs()
    >>> with stop_on_signal(h) as stopped:
    ...     stopped()  # no Ctrl-C came during the block
    False
    """
    came: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def on_signal(signum: int, frame: Any) -> None:
        came.append(signum)

    def check(event: Any) -> None:
        if came:
            event.interrupt()

    callbacks = (h.cbMipInterrupt, h.cbSimplexInterrupt, h.cbIpmInterrupt)
    previous = {s: signal.signal(s, on_signal) for s in SIGNALS}
    for callback in callbacks:
        callback.subscribe(check)
    try:
        yield lambda: bool(came)
    finally:
        for callback in callbacks:
            callback.unsubscribe(check)
        for s, handler in previous.items():
            signal.signal(s, handler)
