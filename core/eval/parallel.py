"""Running independent tasks on spawned worker processes (training jobs, rendering chunks).

``imap_processes(fn, items, workers)`` yields ``fn(item)`` as tasks finish. Workers are spawned (never forked: the
parent may hold an offscreen GL context and torch thread pools) and ignore Ctrl-C; when the consumer stops, a task
fails or the run is interrupted, the workers are terminated at once and the exception propagates. When the workers
cannot even start (e.g. the main program is read from stdin, which spawn cannot re-import), PoolStartError is
raised before any result, so callers can fall back to running in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any


class PoolStartError(RuntimeError):
    """The worker processes died before finishing any task."""


def _init(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process stops the workers
    if initializer is not None:
        initializer(*initargs)


def _terminate(pool: Any) -> None:
    """Kill the pool's processes now (ProcessPoolExecutor has no public way before Python 3.14)."""
    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            process.terminate()
        except (OSError, ValueError, AttributeError):
            pass


def imap_processes(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Any]:
    """Yield fn(item) for every item, in completion order, computed on ``workers`` spawned processes."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    items = list(items)
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(items) or 1)),
                               mp_context=multiprocessing.get_context("spawn"), initializer=_init,
                               initargs=(initializer, initargs))
    finished = 0
    try:
        pending = {pool.submit(fn, item) for item in items}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    if finished == 0:
                        raise PoolStartError(f"worker processes could not start or died at once ({exc})") from None
                    raise RuntimeError(f"a worker process died unexpectedly (out of memory?): {exc}") from None
                finished += 1
                yield result
    except BaseException:
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
