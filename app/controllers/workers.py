"""Background work for the GUI: one function that runs a callable in a superqt worker thread and keeps the worker
alive until it has finished (Qt would otherwise lose a worker whose Python object is garbage-collected)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from superqt.utils import create_worker


def start_worker(workers: set, func: Callable, *args: Any, returned: Callable | None = None,
                 errored: Callable | None = None):
    """Run ``func(*args)`` in a worker thread; ``returned(value)`` / ``errored(exception)`` are called back on the
    GUI thread. The worker stays in ``workers`` while it runs. Returns the worker."""
    worker = create_worker(func, *args, _start_thread=False, _ignore_errors=True)
    if returned is not None:
        worker.returned.connect(returned)
    if errored is not None:
        worker.errored.connect(errored)
    workers.add(worker)
    worker.finished.connect(lambda: workers.discard(worker))
    worker.start()
    return worker
