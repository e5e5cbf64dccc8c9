"""VTK work on the GUI thread without freezing it: a list of steps run a few per event-loop turn.

VTK may only draw on the GUI thread, and a 4D sequence's frames or an explanation's views take longer together
than one turn of the event loop may (the window's stall budget is 100 ms). :class:`VtkSteps` runs the steps on a
zero-interval single-shot timer, so other timers (playback, repaints) get their turns in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal


class VtkSteps(QObject):
    """Runs ``steps`` (callables drawing with VTK) on the GUI thread, a few per event-loop turn (one at least, more
    while the turn has taken at most ``budget_s`` seconds).

    finished(list): their return values in order; failed(object exception). cancel() stops it. max_step_s: the
    longest turn it took.
    """

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, steps: list[Callable[[], object]], budget_s: float, parent=None):
        super().__init__(parent)
        if budget_s <= 0:
            raise ValueError(f"budget_s must be > 0, got {budget_s}")
        self._steps = list(steps)
        self.budget_s = budget_s
        self._out: list = []
        self._cancelled = False
        self.max_step_s = 0.0
        # a zero-interval timer, not QTimer.singleShot(0, ...): a 0 ms single shot is a posted event, which Qt
        # delivers before timers, so several steps would run back to back between two ticks of the window's timers
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._cancelled = True
        self._timer.stop()

    def _step(self) -> None:
        if self._cancelled:
            return
        start = time.perf_counter()
        try:
            while len(self._out) < len(self._steps):
                self._out.append(self._steps[len(self._out)]())
                if time.perf_counter() - start > self.budget_s:
                    break
        except Exception as exc:  # a drawing failure is this input's failure, never the window's
            self.max_step_s = max(self.max_step_s, time.perf_counter() - start)
            self.failed.emit(exc)
            return
        self.max_step_s = max(self.max_step_s, time.perf_counter() - start)
        if len(self._out) < len(self._steps):
            self._timer.start()
        else:
            self.finished.emit(self._out)


__all__ = ["VtkSteps"]
