"""Where chunks of draws run: sequentially, on a local process pool, or on a Dask cluster.

Executors are context managers with one method, ``run(fn, tasks)``, which yields ``(index, result)``
as chunks finish (in any order). Workers receive data (the scenario and the chunk's bounds), never solver
objects; each worker process assembles the LP once and keeps it for the chunks it is given. A pool is
shut down, and its processes stopped, when a chunk fails or the run is interrupted (Ctrl-C).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from fundsim.errors import ArgumentError

__all__ = ["DaskExecutor", "ProcessExecutor", "SequentialExecutor", "executor_for"]


class SequentialExecutor:
    """The reference: chunks one after the other, in this process.

    Examples
    --------
    >>> with SequentialExecutor() as ex:
    ...     ex.name, ex.workers
    ('sequential', 1)
    """

    name = "sequential"
    workers = 1

    def __enter__(self) -> SequentialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        for index, task in enumerate(tasks):
            yield index, fn(task)


def _leave_interrupts_to_the_parent() -> None:
    """A pool worker ignores Ctrl-C: the parent alone decides, keeps what is written and stops the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor:
    """A local process pool (``spawn`` start method: safe in notebooks and with threaded libraries).

    At most ``2 × workers`` chunks are in flight, so memory stays bounded however many draws a run has.
    Workers ignore Ctrl-C (the terminal sends it to every process of the group); the parent stops them.

    Examples
    --------
    >>> ProcessExecutor(workers=2).workers
    2
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_leave_interrupts_to_the_parent)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self._pool is None:
            return
        if exc_type is not None:  # a failed chunk or Ctrl-C: stop now, do not wait for the queue
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
        else:
            self._pool.shutdown(wait=True)
        self._pool = None

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        if self._pool is None:
            raise RuntimeError("use the executor in a 'with' block")
        pending: dict[Future, int] = {}
        queue = iter(enumerate(tasks))
        for index, task in queue:
            pending[self._pool.submit(fn, task)] = index
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                yield index, future.result()
                for next_index, task in queue:
                    pending[self._pool.submit(fn, task)] = next_index
                    break


class DaskExecutor:
    """Chunks on a Dask distributed cluster (``dask.distributed.Client``): the same numbers as locally.

    Examples
    --------
    >>> class Client:  # what DaskExecutor reads of a dask.distributed.Client
    ...     def scheduler_info(self):
    ...         return {"workers": {"a": {}, "b": {}}}
    >>> DaskExecutor(Client()).workers
    2
    """

    name = "dask"

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = len(client.scheduler_info().get("workers", {})) or 1

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        from dask.distributed import as_completed

        futures = [self.client.submit(fn, task, pure=False) for task in tasks]
        index = {f.key: n for n, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield index[future.key], future.result()
        except BaseException:
            self.client.cancel(futures)
            raise


def executor_for(executor: Any) -> Any:
    """``None``/"processes" → a process pool; "sequential"; a ``dask.distributed.Client``; or an
    ``"tcp://…"`` scheduler address (a client is made for it); executor objects pass through.

    Examples
    --------
    >>> executor_for("sequential").name, executor_for(None).name
    ('sequential', 'processes')
    """
    if executor is None or executor == "processes":
        return ProcessExecutor()
    if executor == "sequential":
        return SequentialExecutor()
    if isinstance(executor, str) and "://" in executor:
        from dask.distributed import Client

        return DaskExecutor(Client(executor))
    if hasattr(executor, "submit") and hasattr(executor, "scheduler_info"):
        return DaskExecutor(executor)
    if hasattr(executor, "run") and hasattr(executor, "__enter__"):
        return executor
    raise ArgumentError(f"unknown executor {executor!r}: use 'sequential', 'processes', a dask.distributed.Client "
                     "or a scheduler address tcp://host:port")
