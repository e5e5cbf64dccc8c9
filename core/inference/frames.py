"""Per-frame analysis of a 4D sequence: for each frame t, the class probabilities of the dynamic image of a window of
frames ending at t.

Windows (:class:`FrameWindow`, a setting): ``cumulative`` (frames 0..t) or ``last K`` (frames max(0, t-K+1)..t,
K >= 2). From each window the same number of frames is sampled as the one-shot sequence analysis samples from the
whole sequence (``n_frames`` of the render settings: :func:`core.dynamic.sample_indices` over the window, first and
last frame included, all of them when the window is shorter) and rank-pooled per view with
:func:`core.dynamic.rank_pool_weights`, min-max rescaled to uint8 like :func:`core.dynamic.dynamic_views`.
A window of one frame (frame 0) has no temporal order (its dynamic image would be blank): that frame's own views are
scored, as the Analyzer scores a one-frame sequence (as a 3D scan).

Cost: every frame is framed and rendered ONCE, all under frame 0's canonical face (or bounding box, orientation
"none"), as the one-shot analysis frames a sequence under its first frame's; each window's dynamic image is then a
sparse weighted sum of already-rendered frames (``scipy.sparse`` (windows x frames) @ (frames x pixels), per view),
and the windows are scored by the model in batches. The cumulative window of the last frame samples exactly the
frames the one-shot analysis samples, so its probabilities are the one-shot result (a pixel may differ by one grey
level where the float sum is rounded in another order). A last-K window is framed under frame 0, not under its own
first frame, so a curve never jumps because the framing moved.

Steps, for callers that must split them (the app renders on its GUI thread): :func:`prepare_frames` (load nothing,
frame every frame and compute its view-independent geometry: no VTK, thread-safe), :func:`render_prepared` (VTK: the
calling thread's renderer; :func:`render_frames` renders a range of frames into a :func:`render_buffer`, for a caller
that spreads the rendering over its event loop), :func:`frame_probabilities` (pooling and the model: no VTK). :func:`analyze_frames` does
all three. Progress goes to ``progress(stage, done, total)`` (stages "render", "score"); ``stop_event`` (anything
with ``is_set()``) is polled between frames and batches, and a set event raises :class:`AnalysisStopped`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.scans.canonical import FaceFlag
from core.scans.types import Scan

#: Windows scored by the model per batch (and between two looks at the stop event).
BATCH = 32
#: Windows pooled at once (bounds the float64 buffer to POOL_CHUNK x S x S x 3 values).
POOL_CHUNK = 64
CUMULATIVE = "cumulative"

Progress = Callable[[str, int, int], None]


class StopEvent(Protocol):
    def is_set(self) -> bool: ...


class AnalysisStopped(Exception):
    """The per-frame analysis was stopped through its stop event."""


@dataclass(frozen=True)
class FrameWindow:
    """Which frames end at frame t: ``last`` None: all frames 0..t (cumulative); ``last`` K >= 2: the last K frames
    (fewer at the start of the sequence). Text form (:meth:`parse`, ``str``): ``cumulative`` or ``last:K``
    (a bare ``K`` is read as ``last:K``)."""

    last: int | None = None

    def __post_init__(self) -> None:
        k = self.last
        if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2):
            raise ValueError(f"a window of the last K frames needs an integer K >= 2, got {k!r}")
        if k is not None:
            object.__setattr__(self, "last", int(k))

    @classmethod
    def parse(cls, value: str | int | FrameWindow | None) -> FrameWindow:
        """``cumulative`` (or None), ``last:K``, ``K`` or a FrameWindow -> FrameWindow; ValueError otherwise."""
        if value is None or isinstance(value, FrameWindow):
            return value or cls()
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return cls(int(value))
        text = str(value).strip().lower()
        if text == CUMULATIVE:
            return cls()
        number = text[5:] if text.startswith("last:") else text
        try:
            k = int(number)
        except ValueError:
            raise ValueError(f"window must be 'cumulative', 'last:K' or K (an integer >= 2), got {value!r}") from None
        return cls(k)

    def __str__(self) -> str:
        return CUMULATIVE if self.last is None else f"last:{self.last}"

    def starts(self, n_frames: int) -> np.ndarray:
        """(T,) int64: the first frame of the window ending at each frame."""
        t = np.arange(int(n_frames), dtype=np.int64)
        return np.zeros_like(t) if self.last is None else np.maximum(0, t - self.last + 1)


@dataclass(frozen=True, eq=False)
class FrameProbabilities:
    """The per-frame curves of one sequence.

    probabilities: (T, C) float64, row t the class probabilities of the window ending at frame t (rows sum to 1), in
    ``labels`` order. view_weights: (T, V) fusion weights. starts: (T,) first frame of each window (window t covers
    frames starts[t]..t); pooled: (T,) how many frames its dynamic image pooled (1: the frame's own views, scored as
    a scan). window: the setting; n_sampled: the most frames sampled per window (the render settings' n_frames).
    sequence: (C,) the probabilities of the whole sequence (the cumulative window of the last frame, what the
    one-shot analysis gives), sequence_view_weights: (V,) its fusion weights, sequence_top: its most probable class.
    face: the face flag of frame 0's framing (None when no face was looked for).
    """

    source: str
    labels: tuple[str, ...]
    probabilities: np.ndarray
    view_weights: np.ndarray
    starts: np.ndarray
    pooled: np.ndarray
    window: FrameWindow
    n_sampled: int
    sequence: np.ndarray
    sequence_view_weights: np.ndarray
    face: FaceFlag | None = None

    def __len__(self) -> int:
        return int(self.probabilities.shape[0])

    def curve(self, label: str) -> np.ndarray:
        """(T,) the probability of ``label`` at every frame."""
        if label not in self.labels:
            raise ValueError(f"{label!r} is not a class of this analysis ({', '.join(self.labels)})")
        return self.probabilities[:, self.labels.index(label)]

    @property
    def sequence_top(self) -> str:
        return self.labels[int(np.argmax(self.sequence))]

    @property
    def top(self) -> tuple[str, ...]:
        """The most probable class at every frame."""
        return tuple(self.labels[i] for i in np.argmax(self.probabilities, axis=1))

    def frame_dict(self, t: int, digits: int = 6) -> dict[str, Any]:
        """JSON-ready entry of frame t: frame, window [first, last], pooled, top, probabilities (rounded)."""
        p = self.probabilities[t]
        return {
            "frame": int(t),
            "window": [int(self.starts[t]), int(t)],
            "pooled": int(self.pooled[t]),
            "top": self.labels[int(np.argmax(p))],
            "probabilities": {label: round(float(v), digits) for label, v in zip(self.labels, p)},
        }

    def frames_list(self, digits: int = 6) -> list[dict[str, Any]]:
        return [self.frame_dict(t, digits) for t in range(len(self))]


@dataclass(frozen=True, eq=False)
class PreparedFrames:
    """Every frame of a sequence framed under frame 0's transform, with its view-independent geometry."""

    source: str
    geometries: tuple[Any, ...]  # core.render.SurfaceGeometry per frame
    face: FaceFlag | None


def _check_stop(stop_event: StopEvent | None) -> None:
    if stop_event is not None and stop_event.is_set():
        raise AnalysisStopped("per-frame analysis stopped")


def load_frames(x: str | os.PathLike[str] | Scan | Sequence[Scan]) -> tuple[list[Scan], str]:
    """(frames, source) of a sequence folder or .npz (core.scans.load_sequence), a scan file (one frame), a Scan or a
    list of Scans."""
    from core import scans

    if isinstance(x, Scan):
        return [x], x.source
    if isinstance(x, (list, tuple)):
        frames = list(x)
        bad = [i for i, f in enumerate(frames) if not isinstance(f, Scan)]
        if bad:
            raise ValueError(f"frame {bad[0]} of the sequence is a {type(frames[bad[0]]).__name__}, not a Scan")
        return frames, (frames[0].source if frames else "sequence")
    if isinstance(x, (str, os.PathLike)):
        path = Path(x)
        if path.is_dir() or path.suffix.lower() == ".npz":
            return list(scans.load_sequence(path)), str(path)
        return [scans.load(path)], str(path)
    raise ValueError(f"cannot analyse a {type(x).__name__}: expected a path, a Scan or a list of Scans")


def prepare_frames(frames: Sequence[Scan], render, source: str = "", stop_event: StopEvent | None = None
                   ) -> PreparedFrames:
    """Frame every frame under frame 0's canonical face (``render``: a RenderConfig) and compute its geometry."""
    from core.render import SurfaceGeometry
    from core.render.framing import frame_scans

    frames = list(frames)
    if not frames:
        raise ValueError(f"{source or 'the sequence'}: no frames to analyse")
    framed = frame_scans(frames, render.canonical)
    geometries = []
    for frame in framed.frames:
        _check_stop(stop_event)
        geometries.append(SurfaceGeometry.from_scan(frame))
    return PreparedFrames(source or frames[0].source, tuple(geometries), framed.flag)


def render_buffer(prepared: PreparedFrames, render) -> np.ndarray:
    """(T, V, S, S, 3) uint8 zeros: room for every prepared frame from every view of ``render``."""
    return np.zeros((len(prepared.geometries), render.n_views, render.size, render.size, 3), dtype=np.uint8)


def render_frames(prepared: PreparedFrames, render, out: np.ndarray, start: int, stop: int) -> None:
    """Render frames ``start``..``stop - 1`` of ``prepared`` into ``out[start:stop]`` (``out`` from
    :func:`render_buffer`; the calling thread's renderer). A caller that must not block its thread for long (the
    app's GUI thread) renders a few frames per call."""
    from core.render import render_geometry

    n = len(prepared.geometries)
    if not 0 <= start <= stop <= n:
        raise ValueError(f"frames {start}..{stop - 1} do not lie in a sequence of {n} frames")
    if out.shape != (n, render.n_views, render.size, render.size, 3) or out.dtype != np.uint8:
        raise ValueError(f"the render buffer must be uint8 {(n, render.n_views, render.size, render.size, 3)}, "
                         f"got {out.dtype} {out.shape}")
    for t in range(int(start), int(stop)):
        render_geometry(prepared.geometries[t], render.yaws, render.size, render.pitch, out=out[t])


def render_prepared(prepared: PreparedFrames, render, progress: Progress | None = None,
                    stop_event: StopEvent | None = None) -> np.ndarray:
    """(T, V, S, S, 3) uint8: every prepared frame from every view of ``render`` (the calling thread's renderer)."""
    n = len(prepared.geometries)
    out = render_buffer(prepared, render)
    for t in range(n):
        _check_stop(stop_event)
        render_frames(prepared, render, out, t, t + 1)
        if progress is not None:
            progress("render", t + 1, n)
    return out


def pooling_matrix(starts: np.ndarray, ends: np.ndarray, n_frames: int, n_sampled: int):
    """(A (W, T) sparse rank-pooling coefficients, pooled (W,)) of the windows starts[w]..ends[w] (inclusive) over a
    sequence of T = ``n_frames`` frames: row w holds alpha over the ``n_sampled`` frames sampled from its window
    (:func:`core.dynamic.sample_indices`; coefficient 1 on the frame itself for a one-frame window); pooled[w] counts
    them. (core.dynamic and scipy are imported here, not with the module: importing core.inference stays free of
    VTK.)"""
    from scipy import sparse

    from core.dynamic import rank_pool_weights, sample_indices

    rows, cols, vals = [], [], []
    pooled = np.empty(len(starts), dtype=np.int64)
    for w, (s, e) in enumerate(zip(starts, ends)):
        if not 0 <= s <= e < n_frames:
            raise ValueError(f"window {s}..{e} does not lie in a sequence of {n_frames} frames")
        idx = int(s) + sample_indices(int(e) - int(s) + 1, n_sampled)
        rows.append(np.full(len(idx), w))
        cols.append(idx)
        vals.append(rank_pool_weights(len(idx)) if len(idx) > 1 else np.ones(1))
        pooled[w] = len(idx)
    a = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(len(starts), n_frames))
    return a, pooled


def pool(images: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_sampled: int) -> tuple[np.ndarray, np.ndarray]:
    """(dynamic images (W, V, S, S, 3) uint8, pooled (W,)) of the windows starts[w]..ends[w] of rendered frames
    ``images`` (T, V, S, S, 3) uint8 (see :func:`pooling_matrix`); each (window, view) min-max rescaled as
    :func:`core.dynamic.dynamic_views` does (constant, within its tolerance, -> zeros); a one-frame window keeps the
    frame's own views."""
    from core.dynamic import CONSTANT_TOLERANCE

    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 5 or images.shape[-1] != 3 or min(images.shape[:2]) < 1:
        raise ValueError(f"rendered frames must be uint8 (T, V, S, S, 3), got {images.dtype} {images.shape}")
    n, views = images.shape[:2]
    a, pooled = pooling_matrix(np.asarray(starts), np.asarray(ends), n, n_sampled)
    out = np.empty((len(pooled),) + images.shape[1:], dtype=np.uint8)
    single = np.flatnonzero(pooled == 1)
    out[single] = images[np.asarray(ends)[single]]
    multi = np.flatnonzero(pooled > 1)
    if len(multi) == 0:
        return out, pooled
    a = a[multi]
    weight = np.asarray(abs(a).sum(axis=1)).ravel()  # sum |alpha| of each window
    present = a.copy()
    present.data[:] = 1.0
    for v in range(views):
        flat = images[:, v].reshape(n, -1)
        peak = flat.max(axis=1).astype(np.float64)  # the brightest value of each frame in this view
        window_peak = present.multiply(peak[None, :]).max(axis=1).toarray().ravel()
        values = flat.astype(np.float64)
        for lo in range(0, len(multi), POOL_CHUNK):
            rows = slice(lo, lo + POOL_CHUNK)
            d = np.asarray(a[rows] @ values)  # (W, P): sum_j alpha_j x_j
            low, spread = d.min(axis=1), np.ptp(d, axis=1)
            constant = ~(spread > CONSTANT_TOLERANCE * weight[rows] * window_peak[rows])
            scale = np.where(constant, 0.0, 255.0 / np.where(constant, 1.0, spread))
            scaled = np.rint((d - low[:, None]) * scale[:, None]).astype(np.uint8)
            out[multi[rows], v] = scaled.reshape((len(scaled),) + images.shape[2:])
    return out, pooled


def pool_windows(images: np.ndarray, window: FrameWindow | str | int | None, n_sampled: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(dynamic images (T, V, S, S, 3) uint8 of the window ending at each frame, pooled (T,)): :func:`pool` over
    ``window``'s windows."""
    n = int(np.shape(images)[0])
    return pool(images, FrameWindow.parse(window).starts(n), np.arange(n), n_sampled)


def frame_probabilities(analyzer, images: np.ndarray, window: FrameWindow | str | int | None = None,
                        source: str = "", face: FaceFlag | None = None, progress: Progress | None = None,
                        stop_event: StopEvent | None = None, batch: int = BATCH) -> FrameProbabilities:
    """Per-frame probabilities from rendered frames (T, V, S, S, 3) uint8 (no VTK: safe in a worker thread): pool
    the windows (:func:`pool`, ``analyzer.render_config.n_frames`` frames sampled per window) and score them with
    ``analyzer`` in batches. The whole sequence (the cumulative window of the last frame: the one-shot analysis) is
    scored too, as one more window when ``window`` is last-K."""
    window = FrameWindow.parse(window)
    n_sampled = analyzer.render_config.n_frames
    n = int(np.shape(images)[0])
    starts, ends = window.starts(n), np.arange(n)
    extra = window.last is not None and n > 1
    if extra:
        starts, ends = np.append(starts, 0), np.append(ends, n - 1)
    dynamic, pooled = pool(images, starts, ends, n_sampled)
    total = len(pooled)
    probs, weights, labels = [], [], ()
    for lo in range(0, total, max(1, int(batch))):
        _check_stop(stop_event)
        labels, p, w = analyzer.score_views(dynamic[lo:lo + batch])
        probs.append(p)
        weights.append(w)
        if progress is not None:
            progress("score", min(total, lo + batch), total)
    probs_all, weights_all = np.concatenate(probs), np.concatenate(weights)
    return FrameProbabilities(source=str(source), labels=tuple(labels), probabilities=probs_all[:n],
                              view_weights=weights_all[:n], starts=starts[:n], pooled=pooled[:n], window=window,
                              n_sampled=int(n_sampled), sequence=probs_all[-1],
                              sequence_view_weights=weights_all[-1], face=face)


def analyze_frames(analyzer, sequence: str | os.PathLike[str] | Scan | Sequence[Scan],
                   window: FrameWindow | str | int | None = None, progress: Progress | None = None,
                   stop_event: StopEvent | None = None) -> FrameProbabilities:
    """Per-frame class probabilities of a 4D sequence (a folder of frames, a .npz, a list of Scans; a scan file or a
    Scan is a one-frame sequence) with ``analyzer`` (a :class:`core.inference.Analyzer`): load, frame and render every
    frame once on the calling thread, then :func:`frame_probabilities`. ``window``: ``cumulative`` (default) or the
    last K frames (see :class:`FrameWindow`)."""
    window = FrameWindow.parse(window)
    frames, source = load_frames(sequence)
    render = analyzer.render_config
    prepared = prepare_frames(frames, render, source, stop_event)
    images = render_prepared(prepared, render, progress, stop_event)
    return frame_probabilities(analyzer, images, window, prepared.source, prepared.face, progress, stop_event)
