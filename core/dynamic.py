"""Dynamic images: approximate rank pooling of a frame sequence into one image.

Approximate rank pooling (Bilen et al., "Dynamic Image Networks for Action Recognition", CVPR 2016):
for frames ``x_1 .. x_T`` the dynamic image is ``d = sum_t alpha_t x_t`` with

    alpha_t = 2 (T - t + 1) - (T + 1) (H_T - H_{t-1}),   H_t = sum_{i <= t} 1/i,  H_0 = 0,  t = 1..T.

The coefficients sum to 0, so a static sequence gives d = 0 (up to floating-point rounding); the first
frames weigh negatively, the last ones positively (not monotonically: for T = 5 they are
-3.7, 0.3, 1.3, 1.3, 0.8). For T = 1 the only coefficient is
``2 - 2 * H_1 = 0``: a single frame carries no temporal order and its dynamic image is all zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.render.framing import frame_scans
from core.render.views import SurfaceGeometry, check_views, render_geometry
from core.scans.types import Scan

if TYPE_CHECKING:
    from core.scans.canonical import CanonicalSettings, FaceFlag

#: Spread (relative to sum_t |alpha_t| * max |x|) below which a dynamic image counts as constant.
CONSTANT_TOLERANCE = 1e-9


def rank_pool_weights(n_frames: int) -> np.ndarray:
    """The coefficients alpha_1..alpha_T of approximate rank pooling, (T,) float64. T must be >= 1."""
    t_count = int(n_frames)
    if t_count < 1:
        raise ValueError(f"rank pooling needs at least one frame, got {n_frames}")
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, t_count + 1))])  # H_0 .. H_T
    t = np.arange(1, t_count + 1)
    return 2.0 * (t_count - t + 1) - (t_count + 1) * (harmonic[t_count] - harmonic[t - 1])


def _to_uint8(d: np.ndarray, scale: float) -> np.ndarray:
    """Min-max map of one image to [0, 255] uint8; constant (spread <= CONSTANT_TOLERANCE * scale) -> 0."""
    lo, hi = float(d.min()), float(d.max())
    if not hi - lo > CONSTANT_TOLERANCE * scale:
        return np.zeros(d.shape, dtype=np.uint8)
    return np.rint((d - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def rank_pool(frames, rescale: bool = True) -> np.ndarray:
    """Dynamic image of a sequence by approximate rank pooling.

    frames: (T, ...) array (T >= 1 frames of any equal shape, e.g. (T, H, W, 3)), real numbers, finite.
    Returns an array of shape ``frames.shape[1:]``:

    * ``rescale=False``: exactly ``sum_t alpha_t * frames[t]`` as float64.
    * ``rescale=True``: that sum min-max scaled over the whole image (all channels together, keeping their
      relative contrast) to uint8 [0, 255], rounded. A constant result (spread within floating-point
      rounding: ``CONSTANT_TOLERANCE * sum|alpha_t| * max|x|``), such as the zero image of a static
      sequence or of a single frame, becomes all zeros.

    Raises ValueError for fewer than 2 dimensions, no frames, non-numeric or non-finite values.
    """
    try:
        x = np.asarray(frames)
    except ValueError as exc:  # ragged input
        raise ValueError(f"frames must be a (T, ...) array of equally shaped frames: {exc}") from exc
    if x.ndim < 2:
        raise ValueError(f"frames must be a (T, ...) array with at least 2 dimensions, got shape {x.shape}")
    if x.shape[0] < 1:
        raise ValueError("frames is empty: rank pooling needs at least one frame")
    if x.dtype == bool or not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise ValueError(f"frames must hold real numbers, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise ValueError("frames contain NaN or inf")
    alpha = rank_pool_weights(x.shape[0])
    d = np.tensordot(alpha, x.astype(np.float64, copy=False), axes=(0, 0))
    if not rescale:
        return d
    scale = float(np.abs(alpha).sum()) * float(np.abs(x).max(initial=0.0))
    return _to_uint8(d, scale)


def sample_indices(n_available: int, n_frames: int) -> np.ndarray:
    """Indices of ``n_frames`` frames spread uniformly over ``n_available`` (all when fewer), ascending,
    first and last included: ``round(linspace(0, n_available - 1, n_frames))``."""
    if n_available < 1:
        raise ValueError("the sequence has no frames")
    if isinstance(n_frames, bool) or int(n_frames) != n_frames or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {n_frames!r}")
    if n_frames >= n_available:
        return np.arange(n_available)
    return np.rint(np.linspace(0, n_available - 1, int(n_frames))).astype(np.int64)


def dynamic_views(frames: Sequence[Scan], n_frames: int = 16, yaws: Sequence[float] = (-30, 0, 30),
                  size: int = 112, pitch: float = 0.0, canonical: CanonicalSettings | None = None) -> np.ndarray:
    """Multi-view dynamic images of a 4D sequence -> (V, size, size, 3) uint8.

    ``n_frames`` frames are sampled uniformly (:func:`sample_indices`), each is rendered from every yaw
    with :func:`core.render.render_views` settings, all under the first sampled frame's framing
    (:func:`core.render.framing.frame_scans` with ``canonical``, None: resources/canonical.json's: its canonical
    face's transform and crop, or its bounding box with orientation "none"; so motion between frames is kept,
    not normalised away), and each view's frames are rank-pooled into one image,
    rescaled per view as in :func:`rank_pool` (``rescale=True``). The weighted sum is accumulated while
    rendering, so memory stays at one float64 (V, size, size, 3) buffer whatever the sequence length.
    """
    return dynamic_views_with_face(frames, n_frames, yaws, size, pitch, canonical)[0]


def dynamic_views_with_face(frames: Sequence[Scan], n_frames: int = 16, yaws: Sequence[float] = (-30, 0, 30),
                            size: int = 112, pitch: float = 0.0, canonical: CanonicalSettings | None = None
                            ) -> tuple[np.ndarray, FaceFlag | None]:
    """:func:`dynamic_views` and the face flag of the first sampled frame (None with orientation "none")."""
    yaw_list, size, pitch = check_views(yaws, size, pitch)
    frames = list(frames)
    if not frames:
        raise ValueError("dynamic_views needs at least one frame")
    for i, f in enumerate(frames):
        if not isinstance(f, Scan):
            raise ValueError(f"frame {i} is not a Scan but {type(f).__name__}")
    chosen = sample_indices(len(frames), n_frames)
    alpha = rank_pool_weights(len(chosen))
    framed = frame_scans([frames[i] for i in chosen], canonical)
    views = len(yaw_list)
    acc = np.zeros((views, size, size, 3), dtype=np.float64)
    image = np.empty((views, size, size, 3), dtype=np.uint8)
    peak = np.zeros(views)
    for a, frame in zip(alpha, framed.frames):
        geometry = SurfaceGeometry.from_scan(frame)
        render_geometry(geometry, yaw_list, size, pitch, out=image)
        acc += a * image
        np.maximum(peak, image.reshape(views, -1).max(axis=1), out=peak)
    weight = float(np.abs(alpha).sum())
    return np.stack([_to_uint8(acc[v], weight * peak[v]) for v in range(views)]), framed.flag
