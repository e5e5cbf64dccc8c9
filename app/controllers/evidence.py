"""The evidence for a class on the open scan (core.explain), computed without ever blocking the window.

:class:`EvidenceController` follows an :class:`~app.controllers.analysis.AnalysisController` (its Analyzer, the input
it opened, the canonical face it found and the views it analysed) and, on :meth:`EvidenceController.request`, makes
the input ready to explain once (the stages of :mod:`core.explain.staged`), then the map of each class asked for:

1. worker: ``frame_input`` (the first frame framed as the renderer frames it; the canonical face the analysis found
   is reused, so the face search is not run twice);
2. GUI thread, VTK, one view per event-loop step (:class:`app.controllers.vtk_steps.VtkSteps`, at most STEP_BUDGET_S of drawing per turn
   beyond the first step): the depth images of the visibility test, and the model's views of a 3D scan unless the
   analysis already has them (it has them once its result is shown; they are the same bytes). A 4D sequence's
   dynamic images are never re-rendered here: the analysis's are used, waited for when they are not there yet (until
   the analysis fails, which the window shows);
3. worker: the visibility test (``finish``) -> the :class:`~core.explain.ExplainInput`, kept for this input;
4. worker, one class at a time (the newest request replacing one still waiting): ``saliency`` for the class.

Maps already computed for this input and prompt set come back at once. Opening another input or another model drops
everything (a generation counter, as the analysis's: late answers are ignored); a prompt-set change drops the maps
and the class waiting, but keeps the prepared input (the views do not depend on the prompts).

Signals: started(str class, '' for the predicted class), ready(object VertexSaliency), failed(str, naming the file),
activity(str: what runs now, '' when idle).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.controllers.analysis import AnalysisController, LoadedInput, ScoredResult, error_text
from app.controllers.vtk_steps import VtkSteps
from app.controllers.workers import start_worker
from core.explain import ExplainSettings, VertexSaliency, saliency
from core.explain.staged import ExplainInput, FramedInput, depth_images, finish, frame_input, render_views
from core.scans.canonical import CanonicalFace

#: Longest stretch of VTK drawing per event-loop turn (seconds); one step always runs.
STEP_BUDGET_S = 0.015


class EvidenceController(QObject):
    """See the module docstring. ``settings``: None for resources/explain.json."""

    started = Signal(str)
    ready = Signal(object)
    failed = Signal(str)
    activity = Signal(str)

    def __init__(self, analysis: AnalysisController, settings: ExplainSettings | None = None, parent=None):
        super().__init__(parent)
        self.analysis = analysis
        self.settings = settings or ExplainSettings.default()
        self.loaded: LoadedInput | None = None
        self.input: ExplainInput | None = None
        self.results: dict[str, VertexSaliency] = {}
        self._input_gen = 0  # the input and model: bumps drop the preparation
        self._gen = 0  # ... and the prompt set: bumps drop the maps
        self._face: CanonicalFace | None = None
        self._views: np.ndarray | None = None
        self._wanted: tuple[str | None] | None = None
        self._preparing = False
        self._waiting: tuple[FramedInput, np.ndarray, np.ndarray] | None = None  # drawn, waiting for the views
        self._steps: VtkSteps | None = None
        self._lane_busy = False
        self._computing: str | None = None  # the class the lane computes ('' for the predicted one)
        self._lane_gen = 0
        self._workers: set = set()
        self.timings: dict[str, float] = {}
        self._t_prepare = self._t_explain = 0.0
        self._activity = ""
        analysis.inputLoaded.connect(self._on_input)
        analysis.analyzerReady.connect(self._on_model)
        analysis.faceFound.connect(self._on_face)
        analysis.resultReady.connect(self._on_result)
        analysis.promptsApplied.connect(self._on_prompts)
        analysis.failed.connect(self._on_analysis_failed)
        if analysis.loaded is not None:  # following an analysis already under way
            self._on_input(analysis.loaded)
            self._face = analysis.face
            if analysis.current is not None:
                self._on_result(analysis.current)

    # ------------------------------------------------------------------------------------------------ requests
    def request(self, class_name: str | None = None) -> None:
        """Compute (or recall) the evidence for ``class_name`` (None: the class the model predicts) on the open
        input; ready / failed answer, unless another input, model or prompt set comes first."""
        if self.analysis.analyzer is None or self.loaded is None:
            self.failed.emit("No evidence to show: " + ("open a scan first." if self.loaded is None
                                                        else "no model is loaded yet."))
            return
        self._wanted = (class_name,)
        self.started.emit(class_name or "")
        self._pump()

    def cached(self, class_name: str) -> VertexSaliency | None:
        """The map of ``class_name`` already computed for this input and prompt set, else None."""
        return self.results.get(class_name)

    def busy(self) -> bool:
        """A class waits or is being computed for the current input and prompt set."""
        return self._wanted is not None or (self._lane_busy and self._lane_gen == self._gen)

    def cancel(self) -> None:
        """Drop the class waiting (the running computation's answer is ignored); the prepared input is kept."""
        self._wanted = None
        self._gen += 1
        self._update_activity()

    # ------------------------------------------------------------------------------------------------ analysis events
    def _on_input(self, loaded: LoadedInput) -> None:
        self._reset_input()
        self._face = None
        self.loaded = loaded

    def _on_model(self, _analyzer) -> None:
        """Another model (other render settings, maybe): nothing prepared holds, the views come again with its
        result; the canonical face is kept (frame_input checks it was found with the new model's settings)."""
        loaded, face = self.loaded, self._face
        self._reset_input()
        self.loaded, self._face = loaded, face

    def _on_face(self, face: CanonicalFace | None) -> None:
        self._face = face

    def _on_result(self, scored: ScoredResult) -> None:
        """The analysis's views (the dynamic images of a sequence); a result of a model replaced meanwhile is not
        used."""
        if scored.checkpoint != self.analysis.checkpoint or self.loaded is None:
            return
        self._views = scored.result.views
        if self._waiting is not None:
            framed, display, nearness = self._waiting
            self._waiting = None
            self._finish(framed, self._views, display, nearness, self._input_gen)

    def _on_analysis_failed(self, _message: str) -> None:
        """The analysis failed (the window shows why): a sequence waiting for its dynamic images stops waiting."""
        if self._waiting is not None:
            self._waiting = self._wanted = None
            self._preparing = False
            self._update_activity()

    def _on_prompts(self, _prompt_set) -> None:
        self._gen += 1
        self.results = {}
        self._wanted = None
        self._update_activity()

    def _reset_input(self) -> None:
        self._input_gen += 1
        self._gen += 1
        if self._steps is not None:
            self._steps.cancel()
            self._steps.deleteLater()
            self._steps = None
        self.loaded = self.input = None
        self.results = {}
        self._views = self._waiting = self._wanted = None
        self._preparing = False  # a computation still running finishes unheard (its generation is gone)
        self._update_activity()

    # ------------------------------------------------------------------------------------------------ preparation
    def _pump(self) -> None:
        if self._wanted is None or self.analysis.analyzer is None or self.loaded is None:
            self._update_activity()
            return
        (class_name,) = self._wanted
        if class_name is not None and class_name in self.results:
            self._wanted = None
            self._update_activity()
            self.ready.emit(self.results[class_name])
            return
        if self.input is None:
            self._prepare()
        elif not self._lane_busy:
            self._explain(class_name)
        self._update_activity()

    def _prepare(self) -> None:
        if self._preparing:
            return
        self._preparing = True
        self._t_prepare = time.perf_counter()
        gen, loaded = self._input_gen, self.loaded
        render = self.analysis.analyzer.render_config
        face = self._face if self._face is not None and self._face.settings == render.canonical else None
        self._start(frame_input, loaded.frames, loaded.path, render, self.settings, face,
                    returned=lambda framed: self._on_framed(gen, framed), errored=lambda e: self._on_error(gen, e))

    def _on_framed(self, gen: int, framed: FramedInput) -> None:
        if gen != self._input_gen:
            return
        self.timings["frame_s"] = time.perf_counter() - self._t_prepare
        n = framed.n_views
        draw_views = self._views is None and not self.loaded.is_sequence
        steps = [lambda i=i: depth_images(framed, i) for i in range(n)]
        if draw_views:
            steps += [lambda i=i: render_views(framed, i) for i in range(n)]
        job = VtkSteps(steps, STEP_BUDGET_S, self)
        self._steps = job
        job.finished.connect(lambda out: self._on_drawn(job, gen, framed, out, draw_views))
        job.failed.connect(lambda exc: self._on_steps_failed(job, gen, exc))
        job.start()

    def _on_drawn(self, job: VtkSteps, gen: int, framed: FramedInput, out: list, drew_views: bool) -> None:
        self._drop_steps(job)
        if gen != self._input_gen:
            return
        self.timings["draw_step_max_s"] = job.max_step_s
        n = framed.n_views
        display = np.concatenate([d[0] for d in out[:n]])
        nearness = np.concatenate([d[1] for d in out[:n]])
        views = np.concatenate(out[n:]) if drew_views else self._views
        if views is None:  # a sequence whose dynamic images are still on their way: _on_result goes on
            self._waiting = (framed, display, nearness)
            self._update_activity()
            return
        self._finish(framed, views, display, nearness, gen)

    def _finish(self, framed: FramedInput, views: np.ndarray, display: np.ndarray, nearness: np.ndarray,
                gen: int) -> None:
        self._start(finish, framed, views, display, nearness, self.settings,
                    returned=lambda inp: self._on_prepared(gen, inp), errored=lambda e: self._on_error(gen, e))

    def _on_prepared(self, gen: int, inp: ExplainInput) -> None:
        if gen != self._input_gen:
            return
        self.timings["prepare_s"] = time.perf_counter() - self._t_prepare
        self._preparing = False
        self.input = inp
        self._pump()

    def _on_steps_failed(self, job: VtkSteps, gen: int, exc: BaseException) -> None:
        self._drop_steps(job)
        self._on_error(gen, exc)

    def _drop_steps(self, job: VtkSteps) -> None:
        if job is self._steps:
            self._steps = None
        job.deleteLater()

    # ------------------------------------------------------------------------------------------------ the class lane
    def _explain(self, class_name: str | None) -> None:
        self._wanted = None
        self._lane_busy = True
        self._computing = class_name or ""
        gen, analyzer, inp = self._gen, self.analysis.analyzer, self.input
        self._lane_gen = gen
        self._t_explain = time.perf_counter()
        self._start(saliency, analyzer, inp, class_name, self.settings,
                    returned=lambda r: self._on_explained(gen, r), errored=lambda e: self._on_explain_error(gen, e))

    def _on_explained(self, gen: int, result: VertexSaliency) -> None:
        self._lane_busy, self._computing = False, None
        if gen == self._gen and result.input is self.input:
            self.timings["explain_s"] = time.perf_counter() - self._t_explain
            self.results[result.class_name] = result
            self._update_activity()
            self.ready.emit(result)
        self._pump()

    def _on_explain_error(self, gen: int, exc: BaseException) -> None:
        self._lane_busy, self._computing = False, None
        if gen == self._gen:
            self._emit_failure(exc)
        self._pump()

    def _on_error(self, gen: int, exc: BaseException) -> None:
        if gen != self._input_gen:
            return
        self._preparing = False
        self._wanted = None
        self._emit_failure(exc)

    def _emit_failure(self, exc: BaseException) -> None:
        text = error_text(exc)
        path = self.loaded.path if self.loaded is not None else ""
        if path and path not in text:
            text = f"{path}: {text}"
        self._update_activity()
        self.failed.emit(f"Cannot show the evidence: {text}")

    # ------------------------------------------------------------------------------------------------ plumbing
    def _update_activity(self) -> None:
        """activity(text) when what runs changed (each status-line change repaints the window: ~25 ms in software
        OpenGL)."""
        text = self.activity_text()
        if text != self._activity:
            self._activity = text
            self.activity.emit(text)

    def activity_text(self) -> str:
        """What runs now, for the status line ('' when idle)."""
        current = self._lane_busy and self._lane_gen == self._gen
        if self.loaded is None or not (self._wanted is not None or current):
            return ""
        name = Path(self.loaded.path).name
        if self._waiting is not None:
            return f"evidence: waiting for the model's views of {name}"
        if self.input is None:
            return f"evidence: preparing {name}"
        shown = self._wanted[0] if self._wanted is not None else self._computing
        return f"evidence for {shown} on {name}" if shown else f"evidence on {name}"

    def _start(self, func, *args, returned=None, errored=None):
        return start_worker(self._workers, func, *args, returned=returned, errored=errored)

    def shutdown(self) -> None:
        """Stop drawing and ignore what is still running (for closing the window)."""
        self._reset_input()
