"""Background work for the GUI: one function that runs a callable in a superqt worker thread, keeps the worker alive
while it runs, and lets it go on the GUI thread once it is done.

Why the release needs care: a superqt worker is a QRunnable whose Python object owns a QObject (its signals) living in
the GUI thread. If the last reference to the worker were dropped in the pool thread (the end of ``run``, or Qt
deleting the auto-delete runnable there), that QObject would be destroyed from the wrong thread while the GUI thread
may still be delivering its queued signals. Holding the worker from a closure connected to its own signal avoids that
but leaks every worker with its arguments (the scans it loaded). So a finished worker is parked in a list owned by the
GUI thread and dropped there once no other thread holds it any more (checked with its reference count, under the
GIL).
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from superqt.utils import create_worker

#: Finished workers waiting until the pool thread has let go of them (GUI thread only).
_retired: list = []
#: The release timer's first and longest interval (ms): it backs off while a finished worker is still held elsewhere
#: and stops when none waits.
RETRY_MS = (20, 1000)
_timer_state = {"armed": False, "interval": RETRY_MS[0]}


def start_worker(workers: set, func: Callable, *args: Any, returned: Callable | None = None,
                 errored: Callable | None = None):
    """Run ``func(*args)`` in a worker thread; ``returned(value)`` / ``errored(exception)`` are called back on the
    GUI thread. The worker stays in ``workers`` while it runs. Returns the worker."""
    release_finished()
    worker = create_worker(func, *args, _start_thread=False, _ignore_errors=True)
    if returned is not None:
        worker.returned.connect(returned)
    if errored is not None:
        worker.errored.connect(errored)
    workers.add(worker)
    ref = weakref.ref(worker)
    worker.finished.connect(lambda: _retire(workers, ref))  # a weak reference: the connection must not keep it
    worker.start()
    return worker


def _retire(workers: set, ref: weakref.ref) -> None:
    worker = ref()
    if worker is None:
        return
    workers.discard(worker)
    _retired.append(worker)
    del worker
    _timer_state["interval"] = RETRY_MS[0]
    release_finished()
    _arm()


def _arm() -> None:
    if _retired and not _timer_state["armed"]:
        _timer_state["armed"] = True
        QTimer.singleShot(_timer_state["interval"], _on_timer)


def _on_timer() -> None:
    _timer_state["armed"] = False
    _timer_state["interval"] = min(2 * _timer_state["interval"], RETRY_MS[1])
    release_finished()
    _arm()


def release_finished() -> None:
    """Drop (on this, the GUI thread) the finished workers that no other thread still holds."""
    waiting = []
    while _retired:
        worker = _retired.pop()
        # references: `worker` here and getrefcount's argument; any more is the pool thread (or an owner) still
        # holding it, and the worker waits for the next round
        if sys.getrefcount(worker) > 2:
            waiting.append(worker)
        del worker
    _retired.extend(waiting)

