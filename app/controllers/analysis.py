"""Analysing the open scan: load in a worker, render the model's views on the GUI thread, score in a worker.

Pipeline for one input (a scan file, a 4D sequence folder or .npz):

1. worker: ``core.scans.load`` / ``load_sequence`` (:func:`load_input`), then the view-independent geometry of what
   will be rendered (:func:`prepare_input`: the scan's canonical face, ``core.render.framing.frame_scans`` under the
   render config's canonical settings, with its normals and curvature; for a sequence, the ``n_frames`` frames
   core.dynamic samples, all under the first one's transform). The canonical face (its nose tip in the input's
   coordinates, crop sphere, face flag) comes with it: the viewer overlays it on the scan as stored, and the result
   carries its flag (ok / residual / reason: "no face found" is shown, never a silent confident answer);
2. GUI thread (VTK): :class:`RenderJob` renders those frames with ``core.render.render_geometry``, a few at a time
   from the event loop (never more than RENDER_BUDGET_S per event-loop turn), so a 4D sequence never freezes the
   window;
3. worker: :func:`compose_views` (the frame itself, or per view the rank-pooled dynamic image of the frames, as
   ``core.dynamic.dynamic_views``) and ``Analyzer.analyze_views``.

Steps 1 and 3 are exactly what ``Analyzer.render`` does in one go (the views are the same bytes for a 3D scan; a
dynamic image may differ by one grey level where the float sum is rounded in another order).

Scoring runs on one lane: one job at a time, the newest request replacing an older one still waiting. A prompt edit
(:meth:`AnalysisController.set_prompts`) encodes only the new prompts and re-scores the CURRENT views (no reload, no
re-render). Every open bumps a generation counter; late answers for an input no longer open are dropped.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from superqt.utils import WorkerBase

from app.controllers.vtk_steps import VtkSteps
from app.controllers.workers import start_worker
from core.dynamic import rank_pool, sample_indices
from core.inference import AnalysisResult, Analyzer
from core.inference.uncertainty import Uncertainty, uncertainty
from core.prompts import PromptSet
from core.render import RenderConfig, SurfaceGeometry, render_geometry
from core.render.framing import frame_scans
from core.scans import Scan, load, load_sequence, normalization
from core.scans.canonical import CanonicalFace, FaceFlag

#: Longest stretch of rendering per event-loop turn (seconds); one frame is always rendered.
RENDER_BUDGET_S = 0.015


# ------------------------------------------------------------------------------------------------ pure steps
@dataclass(frozen=True, eq=False)
class LoadedInput:
    """A loaded input: its path and frames (one for a 3D scan). is_sequence: a 4D sequence of >= 2 frames."""

    path: str
    frames: tuple[Scan, ...]

    @property
    def is_sequence(self) -> bool:
        return len(self.frames) > 1

    @property
    def scan(self) -> Scan:
        return self.frames[0]


@dataclass(frozen=True, eq=False)
class PreparedInput:
    """What to render: one geometry per frame to draw (1 for a scan), each from every yaw of ``render``; face: the
    canonical face of the (first rendered) frame, None when the render config looks for none (orientation "none")."""

    loaded: LoadedInput
    geometries: tuple[SurfaceGeometry, ...]
    render: RenderConfig
    face: CanonicalFace | None = None

    @property
    def flag(self) -> FaceFlag | None:
        """ok / residual_mm / reason of the face search (None when no face was looked for)."""
        return None if self.face is None else self.face.flag

    @property
    def dynamic(self) -> bool:
        """A sequence: its views are dynamic images of the rendered frames."""
        return self.loaded.is_sequence


def is_sequence_path(path: str | os.PathLike[str]) -> bool:
    """A folder (of frames) or a .npz is read as a sequence (a .npz of one scan then gives one frame)."""
    p = Path(path)
    return p.is_dir() or p.suffix.lower() == ".npz"


def load_input(path: str | os.PathLike[str]) -> LoadedInput:
    """Read a scan file or a 4D sequence; ScanError (a ValueError naming the file) when it cannot be."""
    path = Path(path)
    frames = load_sequence(path) if is_sequence_path(path) else [load(path)]
    return LoadedInput(str(path), tuple(frames))


def prepare_input(loaded: LoadedInput, render: RenderConfig) -> PreparedInput:
    """The geometry of the frames to render, as core.render.render_views / core.dynamic.dynamic_views build it: the
    scan (or the ``n_frames`` sampled frames of a sequence) framed by :func:`core.render.framing.frame_scans` (the
    first frame's canonical face and its transform for every frame), and that canonical face. Slow (the face search
    takes a few tenths of a second): run it in a worker."""
    frames = loaded.frames
    if loaded.is_sequence:
        frames = tuple(frames[int(i)] for i in sample_indices(len(frames), render.n_frames))
    framed = frame_scans(frames, render.canonical)
    geometries = tuple(SurfaceGeometry.from_scan(f) for f in framed.frames)
    return PreparedInput(loaded, geometries, render, framed.face)


def compose_views(frame_images: np.ndarray, dynamic: bool) -> np.ndarray:
    """(T, V, S, S, 3) uint8 rendered frames -> the model's (V, S, S, 3) views: the scan's frame (dynamic False), or
    per view the dynamic image of the T frames (core.dynamic.rank_pool, rescaled to uint8, as dynamic_views)."""
    if not dynamic:
        return np.ascontiguousarray(frame_images[0])
    return np.stack([rank_pool(frame_images[:, v]) for v in range(frame_images.shape[1])])


def device_description(device: Any = None) -> str:
    """The CUDA GPU's name, or "CPU"."""
    import torch

    if device is not None and getattr(device, "type", str(device)) == "cpu":
        return "CPU"
    if torch.cuda.is_available():
        index = getattr(device, "index", None) or 0
        return f"GPU: {torch.cuda.get_device_name(index)}"
    return "CPU"


def error_text(exc: BaseException) -> str:
    """A message for the window: ValueErrors (bad scans, checkpoints, settings) already name the file and reason."""
    if isinstance(exc, (ValueError, FileNotFoundError, PermissionError)):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------------------------ GUI-thread render
class RenderJob(QObject):
    """Renders a PreparedInput on the GUI thread, a few frames per event-loop turn (:class:`VtkSteps`, at most
    RENDER_BUDGET_S of rendering per turn beyond the first frame).

    finished(object): the (T, V, S, S, 3) uint8 frame images; failed(str): the reason. cancel() stops it.
    """

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, prepared: PreparedInput, parent=None):
        super().__init__(parent)
        self.prepared = prepared
        r = prepared.render
        images = np.zeros((len(prepared.geometries), r.n_views, r.size, r.size, 3), dtype=np.uint8)
        steps = [partial(render_geometry, g, r.yaws, r.size, r.pitch, out=images[i])
                 for i, g in enumerate(prepared.geometries)]
        self._steps = VtkSteps(steps, RENDER_BUDGET_S, self)
        self._steps.finished.connect(lambda _: self.finished.emit(images))
        self._steps.failed.connect(lambda exc: self.failed.emit(
            f"{prepared.loaded.path}: rendering failed ({error_text(exc)})"))

    @property
    def max_step_s(self) -> float:
        """The longest event-loop turn the rendering took (seconds)."""
        return self._steps.max_step_s

    def start(self) -> None:
        self._steps.start()

    def cancel(self) -> None:
        self._steps.cancel()


def warm_up_renderer() -> None:
    """Create the GUI thread's offscreen render window now (the first render pays ~0.1-0.2 s for it)."""
    tri = Scan(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32), np.array([[0, 1, 2]]), "warm-up")
    render_geometry(SurfaceGeometry.from_scan(normalization(tri).apply(tri)), (0.0,), 16, 0.0)


# ------------------------------------------------------------------------------------------------ controller
@dataclass(frozen=True)
class ScoredResult:
    """A result with its uncertainty, the checkpoint and the prompt set it was scored with, and the face flag of its
    input (ok / residual_mm / reason; None when no face was looked for)."""

    result: AnalysisResult
    uncertainty: Uncertainty
    checkpoint: str
    prompt_set: str
    dynamic: bool
    face: FaceFlag | None = None


class AnalysisController(QObject):
    """Owns the Analyzer and the open input; see the module docstring for the pipeline.

    Signals: analyzerLoading(str checkpoint), analyzerReady(object Analyzer), analyzerFailed(str),
    inputLoaded(object LoadedInput), faceFound(object CanonicalFace or None: the open input's canonical face, once
    the worker prepared it; None when the render config looks for no face), viewsRendered(object views),
    resultReady(object ScoredResult), failed(str message), activity(str: what runs now, '' when idle).
    """

    analyzerLoading = Signal(str)
    analyzerReady = Signal(object)
    analyzerFailed = Signal(str)
    inputLoaded = Signal(object)
    faceFound = Signal(object)
    viewsRendered = Signal(object)
    resultReady = Signal(object)
    promptsApplied = Signal(object)  # the PromptSet the analyzer scores with from now on
    failed = Signal(str)
    activity = Signal(str)

    def __init__(self, device: str | None = None, parent=None):
        super().__init__(parent)
        self.device = device or None
        self.analyzer: Analyzer | None = None
        self.checkpoint = ""
        self.loaded: LoadedInput | None = None
        self.face: CanonicalFace | None = None
        self.views: np.ndarray | None = None
        self.current: ScoredResult | None = None
        self._gen = 0
        self._loading_analyzer = False
        self._pending_checkpoint: tuple[str, Any] | None = None
        self._user_prompts: PromptSet | None = None
        self._render_job: RenderJob | None = None
        self._lane_busy = False
        self._pending_prompts: PromptSet | None = None
        self._pending_views: tuple[np.ndarray, str, int, bool, bool, FaceFlag | None] | None = None
        self._t_prompt: float | None = None
        self._tasks: dict[str, str] = {}
        self._workers: set = set()
        self.timings: dict[str, float] = {}
        self._t_open = 0.0

    # ------------------------------------------------------------------------------------------------ model
    def load_checkpoint(self, checkpoint: str | os.PathLike[str], prompts: PromptSet | str | None = None) -> None:
        """Load a checkpoint in a worker. The prompt set: ``prompts``, else the one the user edited, else the
        checkpoint's. On failure the previous model stays in use."""
        path = os.fspath(checkpoint)
        if self._loading_analyzer:
            self._pending_checkpoint = (path, prompts)
            return
        self._loading_analyzer = True
        self._set_task("model", f"loading model {Path(path).name}")
        self.analyzerLoading.emit(path)
        chosen = prompts if prompts is not None else self._user_prompts
        self._start(Analyzer, path, chosen, self.device,
                    returned=lambda a: self._on_analyzer(path, a), errored=lambda e: self._on_analyzer_error(path, e))

    def _on_analyzer(self, path: str, analyzer: Analyzer) -> None:
        self._loading_analyzer = False
        self._set_task("model", "")
        old_render = self.analyzer.render_config if self.analyzer is not None else None
        self.analyzer = analyzer
        self.checkpoint = path
        self.analyzerReady.emit(analyzer)
        if self._next_checkpoint():
            return
        if self.loaded is not None and (self.views is None or old_render != analyzer.render_config):
            self._prepare(self.loaded, self._gen)
        elif self.views is not None:
            self._request_score(self.views, self.loaded.path if self.loaded else "", self._gen,
                                self.current.dynamic if self.current else False,
                                face=self.current.face if self.current else None)

    def _on_analyzer_error(self, path: str, exc: BaseException) -> None:
        self._loading_analyzer = False
        self._set_task("model", "")
        keep = f"; still using {Path(self.checkpoint).name}" if self.analyzer is not None else ""
        self.analyzerFailed.emit(f"Cannot use checkpoint {path}: {error_text(exc)}{keep}")
        self._next_checkpoint()

    def _next_checkpoint(self) -> bool:
        if self._pending_checkpoint is None:
            return False
        path, prompts = self._pending_checkpoint
        self._pending_checkpoint = None
        self.load_checkpoint(path, prompts)
        return True

    @property
    def prompts_edited(self) -> bool:
        """True once the user's prompt set (set_prompts) replaced the checkpoint's."""
        return self._user_prompts is not None

    @property
    def prompt_set(self) -> PromptSet | None:
        return self.analyzer.prompt_set if self.analyzer is not None else None

    def set_prompts(self, prompt_set: PromptSet) -> None:
        """Use ``prompt_set`` from now on; re-score the current views with it (encoding only new prompts)."""
        if not isinstance(prompt_set, PromptSet):
            raise TypeError(f"expected a PromptSet, got {type(prompt_set).__name__}")
        self._user_prompts = prompt_set
        if self.analyzer is None:
            return
        self._pending_prompts = prompt_set
        self._t_prompt = time.perf_counter()
        self._pump_lane()

    # ------------------------------------------------------------------------------------------------ input
    def open(self, path: str | os.PathLike[str]) -> None:
        """Load and analyse a scan file, a sequence folder or a .npz."""
        self._gen += 1
        gen = self._gen
        self._t_open = time.perf_counter()
        if self._render_job is not None:
            self._render_job.cancel()
            self._render_job = None
        self._set_task("render", "")
        self._pending_views = None
        path = os.fspath(path)
        self._set_task("load", f"loading {Path(path).name}")
        render = self.analyzer.render_config if self.analyzer is not None else None

        def job() -> tuple[LoadedInput, PreparedInput | None]:
            loaded = load_input(path)
            return loaded, (prepare_input(loaded, render) if render is not None else None)

        self._start(job, returned=lambda out: self._on_loaded(gen, render, *out),
                    errored=lambda e: self._on_failed(gen, "load", e))

    def _on_loaded(self, gen: int, render: RenderConfig | None, loaded: LoadedInput,
                   prepared: PreparedInput | None) -> None:
        if gen != self._gen:
            return
        self._set_task("load", "")
        self.timings["load_s"] = time.perf_counter() - self._t_open
        self.loaded = loaded
        self.face = None
        self.views = None
        self.current = None
        self.inputLoaded.emit(loaded)
        if self.analyzer is None:
            self._set_task("render", "waiting for the model")
            return
        if prepared is None or render != self.analyzer.render_config:
            self._prepare(loaded, gen)
        else:
            self._render(prepared, gen)

    def _prepare(self, loaded: LoadedInput, gen: int) -> None:
        render = self.analyzer.render_config
        self._set_task("render", f"preparing {Path(loaded.path).name}")
        self._start(prepare_input, loaded, render, returned=lambda p: self._render(p, gen),
                    errored=lambda e: self._on_failed(gen, "render", e))

    def _render(self, prepared: PreparedInput, gen: int) -> None:
        if gen != self._gen:
            return
        if self.analyzer is None or prepared.render != self.analyzer.render_config:
            self._prepare(prepared.loaded, gen)
            return
        self.face = prepared.face
        self.faceFound.emit(prepared.face)
        n = len(prepared.geometries)
        self._set_task("render", f"rendering {n} frame(s) of {Path(prepared.loaded.path).name}")
        job = RenderJob(prepared, self)
        self._render_job = job
        job.finished.connect(lambda images: self._on_rendered(job, gen, prepared, images))
        job.failed.connect(lambda message: self._on_render_failed(job, gen, message))
        job.start()

    def _on_rendered(self, job: RenderJob, gen: int, prepared: PreparedInput, images: np.ndarray) -> None:
        if job is self._render_job:
            self._render_job = None
        job.deleteLater()
        if gen != self._gen:
            return
        self._set_task("render", "")
        self.timings["render_step_max_s"] = job.max_step_s
        self._request_score(images, prepared.loaded.path, gen, prepared.dynamic, frames=True, face=prepared.flag)

    def _on_render_failed(self, job: RenderJob, gen: int, message: str) -> None:
        if job is self._render_job:
            self._render_job = None
        job.deleteLater()
        if gen == self._gen:
            self._set_task("render", "")
            self.failed.emit(message)

    # ------------------------------------------------------------------------------------------------ scoring lane
    def _request_score(self, images: np.ndarray, source: str, gen: int, dynamic: bool, frames: bool = False,
                       face: FaceFlag | None = None) -> None:
        """Queue views (frames=False: (V, S, S, 3)) or rendered frames (frames=True: (T, V, S, S, 3)); face: the
        input's face flag, carried to the result."""
        self._pending_views = (images, source, gen, dynamic, frames, face)
        self._pump_lane()

    def _pump_lane(self) -> None:
        if self._lane_busy or self.analyzer is None:
            return
        prompts, self._pending_prompts = self._pending_prompts, None
        pending, self._pending_views = self._pending_views, None
        if pending is None and prompts is not None and self.views is not None and self.loaded is not None:
            dynamic = self.current.dynamic if self.current is not None else False
            face = self.current.face if self.current is not None else None
            pending = (self.views, self.loaded.path, self._gen, dynamic, False, face)
        if prompts is None and pending is None:
            return
        analyzer = self.analyzer
        checkpoint = self.checkpoint
        self._lane_busy = True
        self._set_task("score", "updating prompts" if pending is None else "analysing")

        def job():
            applied = None
            if prompts is not None:
                analyzer.set_prompts(prompts)
                applied = analyzer.prompt_set
            if pending is None:
                return applied, None
            images, source, gen, dynamic, frames, face = pending
            views = compose_views(images, dynamic) if frames else images
            result = analyzer.analyze_views(views, source=source, face=face)
            scored = ScoredResult(result, uncertainty(result.probabilities), checkpoint,
                                  analyzer.prompt_set.name, dynamic, face)
            return applied, (gen, scored)

        self._start(job, returned=self._on_scored, errored=self._on_score_error)

    def _on_scored(self, out) -> None:
        self._lane_busy = False
        self._set_task("score", "")
        applied, out = out
        if applied is not None:
            self.promptsApplied.emit(applied)
        if out is not None:
            gen, scored = out
            if gen == self._gen:
                self.views = scored.result.views
                self.current = scored
                now = time.perf_counter()
                self.timings["open_to_result_s"] = now - self._t_open
                if getattr(self, "_t_prompt", None) is not None:
                    self.timings["prompt_to_result_s"] = now - self._t_prompt
                    self._t_prompt = None
                self.viewsRendered.emit(scored.result.views)
                self.resultReady.emit(scored)
        self._pump_lane()

    def _on_score_error(self, exc: BaseException) -> None:
        self._lane_busy = False
        self._set_task("score", "")
        self.failed.emit(f"Analysis failed: {error_text(exc)}")
        self._pump_lane()

    # ------------------------------------------------------------------------------------------------ plumbing
    def _on_failed(self, gen: int, task: str, exc: BaseException) -> None:
        if gen == self._gen:  # a newer input's step may be running under the same task name
            self._set_task(task, "")
            self.failed.emit(error_text(exc))

    def _set_task(self, key: str, text: str) -> None:
        if text:
            self._tasks[key] = text
        else:
            self._tasks.pop(key, None)
        self.activity.emit(" \u00b7 ".join(self._tasks.values()))

    def busy(self) -> bool:
        return bool(self._tasks) or self._lane_busy or self._loading_analyzer or self._render_job is not None

    def _start(self, func, *args, returned=None, errored=None):
        return start_worker(self._workers, func, *args, returned=returned, errored=errored)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop rendering and wait for running workers (for closing the window)."""
        if self._render_job is not None:
            self._render_job.cancel()
            self._render_job = None
        try:
            WorkerBase.await_workers(timeout_ms)
        except RuntimeError:  # a worker still busy (e.g. a long checkpoint load): leave it to finish on its own
            pass
