"""SIGTERM/SIGINT during a pretraining run (core.train.pretraining).

While training, a signal is noted and the run stops after the step in progress with a checkpoint (the trainer's
loop polls the note); before training starts (rendering, setup) it stops the run at once by raising
:class:`Interrupted`, with nothing to checkpoint; a second SIGINT raises KeyboardInterrupt. Once the run is over,
:func:`signals_deferred` keeps a late signal from turning a finished run into a failed one. Handlers are only
installed on the main thread (Python's rule); elsewhere a run is stopped through its stop_event alone.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Protocol


class Interrupted(BaseException):
    """SIGTERM/SIGINT before the training loop (rendering, setup): the run stops without a checkpoint."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class SignalState(Protocol):
    """What the stop handler notes a signal on: ``signal_received`` (None until one arrives) and ``training``
    (False while rendering and setting up, when a signal stops the run right away)."""

    signal_received: int | None
    training: bool


def ignore_sigint(_worker_id: int) -> None:
    """DataLoader worker init: a terminal Ctrl-C reaches the workers too; only the main process handles it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def install_stop_handlers(state: SignalState) -> dict:
    """Install the run's SIGTERM/SIGINT handler noting signals on ``state``; returns the previous handlers (signal
    -> handler) for :func:`restore_signals`, empty off the main thread."""
    previous: dict = {}
    if threading.current_thread() is not threading.main_thread():
        return previous

    def handler(signum, frame):  # noqa: ARG001
        if state.signal_received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        state.signal_received = signum
        if not state.training:  # rendering / setting up: nothing to checkpoint, stop right away
            raise Interrupted(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            pass
    return previous


@contextlib.contextmanager
def signals_deferred():
    """SIGTERM and SIGINT are noted, not acted on, inside the block (main thread only); the caller finishes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[sig] = signal.signal(sig, lambda *_: None)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        restore_signals(previous)


def restore_signals(previous: dict) -> None:
    """Put back the handlers ``previous`` (signal -> handler) held before ours were installed."""
    for sig, old in previous.items():
        try:
            signal.signal(sig, old)
        except (ValueError, OSError):
            pass
