"""Making a scan ready to explain in stages, so an app can keep VTK on its GUI thread and the rest in workers.

:func:`core.explain.saliency.prepare` runs these stages in a row; an app runs them apart:

1. :func:`frame_input` (no VTK; a worker): the first frame framed exactly as the renderer frames it (the canonical
   face search, a few tenths of a second, unless the face is already known), its geometry, where its vertices land
   in the renderer's normalised frame and which ones are drawn, and the cameras;
2. VTK, on the thread that owns the offscreen renderer (:func:`core.render.thread_renderer`): the views the model
   sees, :func:`render_views` for a 3D scan (the Analyzer's dynamic images for a sequence, which an app has already
   rendered to analyse it), and the depth images of the visibility test, :func:`depth_images`; both take one view at
   a time when asked (``view=i``), so an app can draw them in short event-loop steps;
3. :func:`finish` (no VTK; a worker): the visibility test, giving the :class:`ExplainInput` that
   :func:`core.explain.saliency.saliency` explains for any class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.explain.settings import ExplainSettings
from core.explain.vertex_map import normalised_points, visibility
from core.render.camera import ViewCamera, render_depth, splat_depth, view_cameras
from core.render.config import RenderConfig
from core.render.framing import frame_scan, frame_with_face
from core.render.views import SurfaceGeometry, render_geometry
from core.scans.canonical import CanonicalFace, FaceFlag
from core.scans.types import Scan


@dataclass(frozen=True, eq=False)
class ExplainInput:
    """One scan or sequence made ready to explain (any class, any number of times).

    source: the path or the scan's source. scan: the scan as stored (a sequence's first frame): the mesh the values
    refer to. n_frames: frames the sequence had (1 for a scan). views: (N, S, S, 3) uint8, what the model sees
    (dynamic images for a sequence). face: the framing's face flag. cameras: the N views' cameras at S px.
    points: (V, 3) the scan's vertices in the renderer's normalised frame. seen: (N, V) bool, vertex v seen by view i.
    display: (N, R, R, 3) uint8 the scan (first frame) rendered at the depth images' size R (for pictures).
    """

    source: str
    scan: Scan
    n_frames: int
    views: np.ndarray
    face: FaceFlag | None
    cameras: tuple[ViewCamera, ...]
    points: np.ndarray
    seen: np.ndarray
    display: np.ndarray

    @property
    def is_sequence(self) -> bool:
        return self.n_frames > 1


@dataclass(frozen=True, eq=False)
class FramedInput:
    """Stage 1's answer: the scan to explain (a sequence's first frame, as stored) framed for the renderer.

    source, scan, n_frames: as :class:`ExplainInput`'s. render: the render settings it was framed for. flag: the face
    search's flag (None with orientation "none"). geometry: the framed first frame, ready to draw. points (V, 3) /
    drawn (V,): the scan's vertices in the renderer's normalised frame and whether a drawn triangle uses them
    (:func:`core.explain.vertex_map.normalised_points`). cameras: the model's views at the render size;
    depth_cameras: the same views at the depth images' size (the larger of the visibility size and the render size).
    """

    source: str
    scan: Scan
    n_frames: int
    render: RenderConfig
    flag: FaceFlag | None
    geometry: SurfaceGeometry
    points: np.ndarray
    drawn: np.ndarray
    cameras: tuple[ViewCamera, ...]
    depth_cameras: tuple[ViewCamera, ...]

    @property
    def n_views(self) -> int:
        return len(self.cameras)


def frame_input(frames: Sequence[Scan], source: str, render: RenderConfig, settings: ExplainSettings | None = None,
                face: CanonicalFace | None = None) -> FramedInput:
    """Stage 1 (no VTK): frame the first of ``frames`` (one scan, or a sequence's frames: they all share the first
    one's framing) as ``render`` frames it. face: the first frame's canonical face when already found with
    ``render.canonical`` (skips the search; ValueError when it was found with other settings)."""
    settings = settings or ExplainSettings.default()
    frames = list(frames)
    if not frames or not all(isinstance(f, Scan) for f in frames):
        raise ValueError("a scan or sequence to explain must be a non-empty list of Scans")
    first = frames[0]
    if face is not None:
        if face.settings != render.canonical:
            raise ValueError(f"{source}: the canonical face given was found with other settings than the render's")
        framed = frame_with_face([first], face)
    else:
        framed = frame_scan(first, render.canonical)  # a sequence's frames all share its first frame's framing
    points, drawn = normalised_points(first, framed, render.canonical)
    return FramedInput(
        source=source, scan=first, n_frames=len(frames), render=render, flag=framed.flag,
        geometry=SurfaceGeometry.from_scan(framed.frames[0]), points=points, drawn=drawn,
        cameras=view_cameras(render.yaws, render.size, render.pitch),
        depth_cameras=view_cameras(render.yaws, max(settings.visibility_size, render.size), render.pitch),
    )


def render_views(framed: FramedInput, view: int | None = None) -> np.ndarray:
    """Stage 2, VTK: the model's views of a 3D scan, (N, S, S, 3) uint8 exactly as the Analyzer renders them
    (:func:`core.render.render_scan`); ``view=i``: view i alone, (1, S, S, 3)."""
    r = framed.render
    yaws = r.yaws if view is None else (r.yaws[int(view)],)
    return render_geometry(framed.geometry, yaws, r.size, r.pitch)


def depth_images(framed: FramedInput, view: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stage 2, VTK: (images (N, R, R, 3) uint8, nearness (N, R, R) float32) of the first frame through the depth
    cameras (:func:`core.render.camera.render_depth`); ``view=i``: view i alone (leading dimension 1)."""
    cameras = framed.depth_cameras if view is None else (framed.depth_cameras[int(view)],)
    return render_depth(framed.geometry, cameras)


def finish(framed: FramedInput, views: np.ndarray, display: np.ndarray, nearness: np.ndarray,
           settings: ExplainSettings | None = None, face: FaceFlag | None = None) -> ExplainInput:
    """Stage 3 (no VTK): the visibility test of each vertex against the depth images (``display`` and ``nearness``
    of all the views, as :func:`depth_images` gives them) -> the :class:`ExplainInput` of ``views`` (what the model
    sees: :func:`render_views` of a 3D scan, the dynamic images of a sequence). face: the flag to carry (default:
    the framing's)."""
    settings = settings or ExplainSettings.default()
    n = framed.n_views
    views = np.asarray(views)
    if views.dtype != np.uint8 or views.shape[:1] != (n,) or views.shape[1:] != (framed.render.size,
                                                                                  framed.render.size, 3):
        raise ValueError(f"{framed.source}: expected {n} views of {framed.render.size} px, got {views.dtype} "
                         f"{views.shape}")
    if len(display) != n or len(nearness) != n:
        raise ValueError(f"{framed.source}: expected {n} depth images, got {len(nearness)}")
    tolerance = [settings.depth_tolerance_px * c.pixel_size + splat_depth(framed.geometry, c)
                 for c in framed.depth_cameras]
    seen = visibility(framed.points, framed.drawn, framed.depth_cameras, nearness, tolerance)
    return ExplainInput(source=framed.source, scan=framed.scan, n_frames=framed.n_frames, views=views,
                        face=framed.flag if face is None else face, cameras=framed.cameras, points=framed.points,
                        seen=seen, display=np.asarray(display))


__all__ = ["ExplainInput", "FramedInput", "depth_images", "finish", "frame_input", "render_views"]
