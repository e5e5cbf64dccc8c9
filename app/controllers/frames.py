"""Per-frame curves of the open 4D sequence (core.inference.frames), computed without blocking the window.

Three stages for one request (:meth:`FramesController.compute`):

1. worker: :func:`core.inference.frames.prepare_frames` (every frame framed under frame 0's canonical face, its
   geometry computed: no VTK);
2. GUI thread (VTK renders only on the thread that owns its context): :func:`core.inference.frames.render_frames`, a
   few frames per event-loop turn (at most RENDER_BUDGET_S of rendering per turn, one frame at least), as
   app.controllers.analysis.RenderJob renders the one-shot views;
3. worker: :func:`core.inference.frames.frame_probabilities` (every window pooled and scored) and the top class's
   onset / apex / offset (core.inference.frame_events).

Signals: ``progress(done, total, text)`` ("rendering 40/100 frames"; at most every PROGRESS_INTERVAL_S), ``ready(FrameCurves)``, ``failed(str)`` (the
message names the file). A new request, :meth:`cancel` or :meth:`clear` stops the running one: its stop event is set
(the core polls it between frames and batches) and a generation counter drops any late answer. The rendered frames
are kept for the last input and render settings, so a new prompt set, model with the same render settings or window
setting (:meth:`set_window`) only re-runs stage 3. A result whose analyzer changed its prompt set while it was being
scored is dropped (the window asks again once the re-scored result arrives).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.controllers.analysis import error_text
from app.controllers.workers import start_worker
from core.inference.frame_events import FrameEvents, class_events
from core.inference.frames import (
    AnalysisStopped,
    FrameProbabilities,
    FrameWindow,
    PreparedFrames,
    frame_probabilities,
    prepare_frames,
    render_buffer,
    render_frames,
)
from core.scans import Scan

#: Longest stretch of rendering per event-loop turn (seconds): a step stops before a frame that would overrun it by
#: the time the last one took (one frame is always rendered).
RENDER_BUDGET_S = 0.02
#: Progress is reported at most this often (seconds), and at each stage's start and end: each report repaints the
#: panel and the status bar, which costs the window 10-20 ms on a software OpenGL (the 3D view is composed with them).
PROGRESS_INTERVAL_S = 0.1
#: The window setting the app starts with: see app.widgets.frame_curves.WINDOW_TIP for why.
DEFAULT_WINDOW = FrameWindow(8)


@dataclass(frozen=True, eq=False)
class FrameCurves:
    """The per-frame curves of one input: the probabilities (T, C), the onset / apex / offset of the sequence's top
    class (None: fewer than two pooled windows), and what produced them (checkpoint path, prompt set name)."""

    frames: FrameProbabilities
    events: FrameEvents | None
    source: str
    checkpoint: str = ""
    prompt_set: str = ""

    @property
    def window(self) -> FrameWindow:
        return self.frames.window


@dataclass(frozen=True, eq=False)
class _Request:
    frames: tuple[Scan, ...]
    source: str
    analyzer: object
    checkpoint: str
    prompt_set: str


def stage_text(stage: str, done: int, total: int) -> str:
    """What a stage's progress reads as in the window."""
    if stage == "prepare":
        return f"per-frame curves: preparing {total} frames"
    if stage == "render":
        return f"per-frame curves: rendering {done}/{total} frames"
    return f"per-frame curves: scoring {done}/{total} windows"


class FramesController(QObject):
    """See the module docstring."""

    progress = Signal(int, int, str)
    ready = Signal(object)
    failed = Signal(str)
    _workerProgress = Signal(int, str, int, int)  # (generation, stage, done, total), emitted in a worker thread

    def __init__(self, window: FrameWindow | str | int | None = None, parent=None):
        super().__init__(parent)
        self._window = DEFAULT_WINDOW if window is None else FrameWindow.parse(window)
        self._gen = 0
        self._stop = threading.Event()
        self._request: _Request | None = None
        self._stage = ""  # "", prepare, render, score, done
        self._images: np.ndarray | None = None
        self._images_key: tuple | None = None
        self._prepared: PreparedFrames | None = None
        self._next = 0
        self._face = None
        self.current: FrameCurves | None = None
        self.max_step_s = 0.0  # the longest render step of the last computation (seconds)
        self.timings: dict[str, float] = {}
        self._t0 = 0.0
        self._last_progress = 0.0
        self._workers: set = set()
        self._workerProgress.connect(self._on_worker_progress)
        # The render steps: a zero-interval timer, not QTimer.singleShot(0, ...): a single shot of 0 ms is a posted
        # event, and Qt delivers posted events (a step posting the next) before timers, so two or three steps ran
        # back to back between two ticks of a 10 ms timer; a zero timer takes its turn among the timers.
        self._step_timer = QTimer(self)
        self._step_timer.setSingleShot(True)
        self._step_timer.setInterval(0)
        self._step_timer.timeout.connect(self._render_step)
        self._render_gen = -1

    # ------------------------------------------------------------------------------------------------ state
    @property
    def window(self) -> FrameWindow:
        return self._window

    @property
    def running(self) -> bool:
        return self._stage in ("prepare", "render", "score")

    @property
    def stage(self) -> str:
        return self._stage

    # ------------------------------------------------------------------------------------------------ requests
    def compute(self, frames: Sequence[Scan], source: str, analyzer, checkpoint: str = "", prompt_set: str = ""
                ) -> None:
        """Compute the curves of ``frames`` (the open sequence, ``source`` its path) with ``analyzer`` (a
        core.inference.Analyzer); stops any earlier request. The frames rendered for the same frames and render
        settings are reused."""
        frames = tuple(frames)
        if len(frames) < 2:
            raise ValueError(f"{source}: per-frame curves need a sequence of at least 2 frames, got {len(frames)}")
        self._cancel_running()
        self.current = None
        self._request = _Request(frames, str(source), analyzer, str(checkpoint), str(prompt_set))
        self._t0 = time.perf_counter()
        self.timings = {}
        if self._images is not None and self._rendered_for(self._request):
            self._score(self._gen)
        else:
            self._images = self._images_key = None
            self._prepare(self._gen)

    def set_window(self, window: FrameWindow | str | int | None) -> bool:
        """Use ``window`` from now on; re-scores the curves of the current request (reusing its rendered frames).
        Returns whether the setting changed."""
        window = FrameWindow.parse(window)
        if window == self._window:
            return False
        self._window = window
        if self._request is not None and self._stage in ("score", "done"):
            self._cancel_running()
            self.current = None
            self._t0 = time.perf_counter()
            self._score(self._gen)
        return True

    def cancel(self) -> None:
        """Stop the running computation (its answer is dropped) and drop the curves (they are stale: the model or its
        prompts changed); the rendered frames and the request are kept for the next :meth:`compute`."""
        if self.running:
            self._cancel_running()
        self._stage = ""
        self.current = None

    def clear(self) -> None:
        """Stop, and forget the request, its rendered frames and its curves (another input was opened)."""
        self._cancel_running()
        self._stage = ""
        self._request = None
        self.current = None
        self._images = self._images_key = None

    def _cancel_running(self) -> None:
        self._gen += 1
        self._stop.set()
        self._stop = threading.Event()
        self._prepared = None
        self._step_timer.stop()

    def _rendered_for(self, request: _Request) -> bool:
        """Whether the kept rendered frames are those of ``request``'s frames and render settings."""
        if self._images_key is None:
            return False
        frames, render = self._images_key
        return (render == request.analyzer.render_config and len(frames) == len(request.frames)
                and all(a is b for a, b in zip(frames, request.frames)))

    # ------------------------------------------------------------------------------------------------ stages
    def _prepare(self, gen: int) -> None:
        request, stop = self._request, self._stop
        render = request.analyzer.render_config
        self._stage = "prepare"
        self._report("prepare", 0, len(request.frames), force=True)
        start_worker(self._workers, prepare_frames, request.frames, render, request.source, stop,
                     returned=lambda prepared: self._on_prepared(gen, prepared),
                     errored=lambda exc: self._on_error(gen, exc))

    def _on_prepared(self, gen: int, prepared: PreparedFrames) -> None:
        if gen != self._gen:
            return
        self.timings["prepare_s"] = time.perf_counter() - self._t0
        self._prepared = prepared
        self._face = prepared.face
        self._images = render_buffer(prepared, self._request.analyzer.render_config)
        self._next = 0
        self.max_step_s = 0.0
        self._stage = "render"
        self._render_gen = gen
        self._step_timer.start()

    def _render_step(self) -> None:
        gen = self._render_gen
        if gen != self._gen or self._prepared is None:
            return
        prepared, render = self._prepared, self._request.analyzer.render_config
        n = len(prepared.geometries)
        start = last = time.perf_counter()
        try:
            while self._next < n:
                render_frames(prepared, render, self._images, self._next, self._next + 1)
                self._next += 1
                now = time.perf_counter()
                if now - start + (now - last) > RENDER_BUDGET_S:  # the next frame would likely overrun
                    break
                last = now
        except Exception as exc:  # a render failure is this input's failure, never the window's
            self.max_step_s = max(self.max_step_s, time.perf_counter() - start)
            self._on_error(gen, exc, "rendering")
            return
        self.max_step_s = max(self.max_step_s, time.perf_counter() - start)
        self._report("render", self._next, n)
        if self._next < n:
            self._step_timer.start()
            return
        self.timings["render_s"] = time.perf_counter() - self._t0 - self.timings.get("prepare_s", 0.0)
        self._prepared = None
        self._images_key = (self._request.frames, render)
        self._score(gen)

    def _score(self, gen: int) -> None:
        request, stop, window, images, face = self._request, self._stop, self._window, self._images, self._face
        analyzer = request.analyzer
        prompts = analyzer.prompt_set
        self._stage = "score"
        t_score = time.perf_counter()

        def report(stage: str, done: int, total: int) -> None:  # in the worker thread: queued to the GUI thread
            self._workerProgress.emit(gen, stage, done, total)

        def job() -> FrameCurves:
            frames = frame_probabilities(analyzer, images, window, request.source, face, report, stop)
            return FrameCurves(frames, class_events(frames), request.source, request.checkpoint, request.prompt_set)

        def done(curves: FrameCurves) -> None:
            if gen != self._gen:
                return
            if analyzer.prompt_set != prompts:  # the prompts changed under it: some windows were scored with each
                self._stage = ""
                return
            self.timings["score_s"] = time.perf_counter() - t_score
            self.timings["total_s"] = time.perf_counter() - self._t0
            self._stage = "done"
            self.current = curves
            self.ready.emit(curves)

        start_worker(self._workers, job, returned=done, errored=lambda exc: self._on_error(gen, exc))

    def _on_worker_progress(self, gen: int, stage: str, done: int, total: int) -> None:
        if gen == self._gen:
            self._report(stage, done, total)

    def _report(self, stage: str, done: int, total: int, force: bool = False) -> None:
        """Emit progress: at a stage's start (force) and end, otherwise at most every PROGRESS_INTERVAL_S."""
        now = time.perf_counter()
        if force or done >= total or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.progress.emit(done, total, stage_text(stage, done, total))

    def _on_error(self, gen: int, exc: BaseException, what: str = "") -> None:
        if gen != self._gen:
            return
        self._stage = ""
        if isinstance(exc, AnalysisStopped):  # stopped on purpose: nothing to say
            return
        source = self._request.source if self._request is not None else ""
        text = error_text(exc)
        if source and source not in text and Path(source).name not in text:
            text = f"{source}: {text}"
        self.failed.emit(f"Per-frame curves failed{f' ({what})' if what else ''}: {text}")
