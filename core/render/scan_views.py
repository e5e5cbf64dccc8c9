"""Rendering with a RenderConfig, reporting the face flag: what callers that must tell the user "no face found" use.

``render_scan(scan, config)`` and ``render_sequence(frames, config)`` render like :func:`core.render.render_views`
and :func:`core.dynamic.dynamic_views` with the config's views and canonical settings, and also return the
:class:`core.scans.canonical.FaceFlag` of the framing (ok, residual_mm, reason; None when the config's
canonical orientation is "none", where no face is looked for). A sequence of a single frame is rendered as a scan
(its dynamic image would be blank).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.render.config import RenderConfig
from core.render.framing import frame_scan
from core.render.views import SurfaceGeometry, render_geometry
from core.scans.canonical import FaceFlag
from core.scans.types import Scan


def render_scan(scan: Scan, config: RenderConfig) -> tuple[np.ndarray, FaceFlag | None]:
    """(views (V, S, S, 3) uint8, face flag) of one scan rendered with ``config``."""
    if not isinstance(scan, Scan):
        raise ValueError(f"expected a Scan, got {type(scan).__name__}")
    framed = frame_scan(scan, config.canonical)
    views = render_geometry(SurfaceGeometry.from_scan(framed.frames[0]), config.yaws, config.size, config.pitch)
    return views, framed.flag


def render_sequence(frames: Sequence[Scan], config: RenderConfig) -> tuple[np.ndarray, FaceFlag | None]:
    """(dynamic images (V, S, S, 3) uint8, face flag of the first sampled frame) of a 4D sequence rendered with
    ``config`` (``config.n_frames`` frames sampled); a single frame is rendered as a scan."""
    from core.dynamic import dynamic_views_with_face  # core.dynamic imports core.render

    frames = list(frames)
    if not frames:
        raise ValueError("a 4D sequence needs at least one frame")
    bad = [i for i, f in enumerate(frames) if not isinstance(f, Scan)]
    if bad:
        raise ValueError(f"frame {bad[0]} of the sequence is a {type(frames[bad[0]]).__name__}, not a Scan")
    if len(frames) == 1:
        return render_scan(frames[0], config)
    return dynamic_views_with_face(frames, config.n_frames, config.yaws, config.size, config.pitch,
                                   config.canonical)


__all__ = ["render_scan", "render_sequence"]
