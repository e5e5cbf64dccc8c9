"""Texture-free multi-view geometry images of a face scan.

Camera (see :func:`camera_rotation`): the scan is framed first (:mod:`core.render.framing`): by default it
becomes its canonical face (:func:`core.scans.canonical.canonicalize`: millimetres, the nose tip at the origin,
the face looking along +z toward the camera, +y up, cropped to a sphere of ``radius_mm`` around the nose tip),
scaled so the crop sphere's diameter is one normalised unit; with the canonical settings' orientation "none" it
is normalised by its bounding box instead (:func:`core.scans.normalization`: bbox-centred, largest extent 1).
Every view is an orthographic projection with a fixed scale: the image shows ``2 * HALF_HEIGHT`` = 1.1
normalised units top to bottom, the same way for every scan. ``yaw`` turns the camera about +y around the face:
yaw 0 looks at the face from +z; yaw > 0 moves the camera toward +x, yaw < 0 toward -x. With a right-handed
frame, the face looking along +z and +y up, +x is the subject's left, so yaw -30 (the "left" view, camera on the
viewer's left) shows more of the subject's right cheek and yaw +30 (the "right" view) more of the subject's left
cheek. ``pitch`` turns the camera about the x axis; pitch > 0 raises the camera so it looks down at the face.
The camera orientation is ``Ry(yaw) @ Rx(-pitch)``; the image's horizontal axis is the camera's right, row 0 is
the top.

Channels (uint8, background exactly 0 in all three, so a 3-channel backbone takes them unchanged):

* R, shading: ``255 * max(0, n . l)``, Lambertian with a directional light fixed in the camera frame,
  ``LIGHT_ELEVATION_DEG`` = 20 degrees above the viewing axis. Normals are flipped per view to face the
  camera (two-sided), so the winding of a scan's triangles does not matter.
* G, depth: nearness along the viewing direction, normalised per view over the scan's depth range in
  that view (all its drawn vertices): nearest = 255, farthest = ``DEPTH_FLOOR`` = 16, background 0. The
  foreground is therefore exactly the pixels with G > 0.
* B, mean curvature (view-independent): signed mean curvature ``H`` of the normalised surface
  (:mod:`core.render.geometry`; 1/length in normalised units (canonical faces: 1 = 2 * radius_mm; bounding-box
  framing: 1 = the scan's largest extent); a sphere filling the frame, radius 0.5, has H = 2), mapped linearly
  ``B = 127.5 * (1 + H / CURVATURE_RANGE)`` and clipped, with ``CURVATURE_RANGE`` = 20: flat = 128, convex (nose
  tip, H ~ 10 on the Surrey Face Model mean) brighter, concave (eye corners) darker.

None of the channels depends on the sign of x, so a left-right symmetric face renders to a symmetric
frontal image and the -yaw and +yaw views are mirror images of each other.

Colours are computed per vertex in numpy and drawn unlit, interpolated across triangles. Point clouds
(``faces`` None or empty) are drawn as round splats whose diameter is ``SPLAT_SCALE`` = 2 times the
point spacing (90th percentile of nearest-neighbour distances; at least 1 px, at most 16 px), with normals and curvature estimated from the k nearest
neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.render.backend import thread_renderer
from core.render.framing import frame_scan
from core.render.geometry import mesh_geometry, mesh_topology, point_cloud_geometry
from core.scans.types import Scan

if TYPE_CHECKING:
    from core.scans import Normalization
    from core.scans.canonical import CanonicalSettings

#: Elevation of the light above the viewing axis, degrees, in the camera frame.
LIGHT_ELEVATION_DEG = 20.0
#: |H| (1/normalised length) that maps to the ends of the B channel.
CURVATURE_RANGE = 20.0
#: G value of the farthest surface point (the nearest is 255, background 0).
DEPTH_FLOOR = 16
#: Half of the visible image height in normalised units (orthographic scale).
HALF_HEIGHT = 0.55
#: Camera distance from the origin; the normalised scan lies inside the unit cube around it.
CAMERA_DISTANCE = 3.0
#: Point-cloud splat diameter relative to the point spacing (see core.render.geometry).
SPLAT_SCALE = 2.0

MIN_SIZE, MAX_SIZE = 8, 2048


def camera_rotation(yaw: float, pitch: float = 0.0) -> np.ndarray:
    """Camera-to-world rotation (3, 3) for a view: ``Ry(yaw) @ Rx(-pitch)``, angles in degrees.

    Columns: the camera's right, up and backward (toward the camera) axes in world coordinates. yaw 0,
    pitch 0 is the identity: the camera on +z looking at the origin, +y up, +x to the image's right.
    """
    a, b = np.deg2rad(float(yaw)), np.deg2rad(float(pitch))
    ry = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), np.sin(b)], [0.0, -np.sin(b), np.cos(b)]])
    return ry @ rx


@dataclass(frozen=True, eq=False)
class SurfaceGeometry:
    """View-independent per-vertex data of one normalised scan, ready to render.

    vertices (V, 3) float32 normalised; faces (F, 3) int64 or None for a point cloud; normals (V, 3)
    float64 unit; curvature (V,) uint8 (the B channel); drawn (V,) bool, the vertices that appear in the
    image (those used by a triangle, or all points); spacing: point spacing (point clouds, else 0);
    n_drawn: count of drawn vertices (derived).
    """

    vertices: np.ndarray
    faces: np.ndarray | None
    normals: np.ndarray
    curvature: np.ndarray
    drawn: np.ndarray
    spacing: float
    n_drawn: int = field(init=False, default=-1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_drawn", int(np.count_nonzero(self.drawn)))
        # column copies (3, V): per-view dot products as plain element-wise numpy, no BLAS calls
        object.__setattr__(self, "_normals_t", np.ascontiguousarray(self.normals.T, dtype=np.float32))
        object.__setattr__(self, "_vertices_t", np.ascontiguousarray(self.vertices.T, dtype=np.float32))

    @classmethod
    def from_scan(cls, scan: Scan) -> SurfaceGeometry:
        """Geometry of an already normalised scan."""
        v = scan.vertices
        if scan.is_point_cloud:
            normals, h, spacing = point_cloud_geometry(v)
            faces, drawn = None, np.ones(len(v), dtype=bool)
        else:
            topology = mesh_topology(scan.faces, len(v))
            normals, h = mesh_geometry(v, scan.faces, topology)
            faces, drawn, spacing = topology.faces, topology.drawn, 0.0
        b = np.clip(np.rint(127.5 * (1.0 + h / CURVATURE_RANGE)), 0, 255).astype(np.uint8)
        return cls(v, faces, normals, b, drawn, spacing)

    def colours(self, rotation: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Per-vertex (V, 3) uint8 channels (shade, depth, curvature) for the view ``rotation``
        (see :func:`camera_rotation`); written into ``out`` when given."""
        elev = np.deg2rad(LIGHT_ELEVATION_DEG)
        light = rotation @ np.array([0.0, np.sin(elev), np.cos(elev)])
        back = rotation[:, 2]
        n, p = self._normals_t, self._vertices_t
        facing = n[0] * back[0] + n[1] * back[1] + n[2] * back[2]
        shade = n[0] * light[0] + n[1] * light[1] + n[2] * light[2]
        np.negative(shade, out=shade, where=facing < 0)  # two-sided: normals face the camera
        depth = p[0] * back[0] + p[1] * back[1] + p[2] * back[2]
        d = depth[self.drawn] if self._partly_drawn else depth
        lo, hi = float(d.min()), float(d.max())
        if out is None:
            out = np.empty((len(depth), 3), dtype=np.uint8)
        np.clip(shade, 0.0, 1.0, out=shade)
        out[:, 0] = shade * 255.0 + 0.5
        if hi - lo > 1e-6:
            g = (depth - lo) * ((255.0 - DEPTH_FLOOR) / (hi - lo)) + (DEPTH_FLOOR + 0.5)
            out[:, 1] = np.clip(g, DEPTH_FLOOR, 255.0, out=g)  # undrawn vertices may lie outside
        else:
            out[:, 1] = 255
        out[:, 2] = self.curvature
        return out

    @property
    def _partly_drawn(self) -> bool:
        return self.n_drawn != len(self.drawn)


def check_views(yaws, size, pitch) -> tuple[tuple[float, ...], int, float]:
    """Validated view settings: (yaws as floats in degrees, size in pixels, pitch in degrees).

    ValueError for an empty or non-numeric yaw list, non-finite angles, a size outside
    [MIN_SIZE, MAX_SIZE] or not an integer, a pitch outside [-90, 90].
    """
    try:
        yaw_list = tuple(float(y) for y in np.atleast_1d(np.asarray(yaws, dtype=np.float64)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"yaws must be a sequence of angles in degrees, got {yaws!r}") from exc
    if not yaw_list or not all(np.isfinite(yaw_list)):
        raise ValueError(f"yaws must be a non-empty sequence of finite angles, got {yaws!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be an integer in [{MIN_SIZE}, {MAX_SIZE}] pixels, got {size!r}")
    try:
        pitch = float(pitch)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"pitch must be an angle in degrees, got {pitch!r}") from exc
    if not np.isfinite(pitch) or abs(pitch) > 90.0:
        raise ValueError(f"pitch must be a finite angle in [-90, 90] degrees, got {pitch!r}")
    return yaw_list, int(size), pitch


def render_geometry(geometry: SurfaceGeometry, yaws: Sequence[float] = (-30, 0, 30), size: int = 112,
                    pitch: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
    """Render prepared geometry from each yaw -> (V, size, size, 3) uint8 (``out`` filled when given)."""
    yaw_list, size, pitch = check_views(yaws, size, pitch)
    if out is None:
        out = np.empty((len(yaw_list), size, size, 3), dtype=np.uint8)
    renderer = thread_renderer()
    point_size = SPLAT_SCALE * geometry.spacing * size / (2.0 * HALF_HEIGHT)
    renderer.set_geometry(geometry.vertices, geometry.faces, point_size=max(point_size, 1.0))
    for i, yaw in enumerate(yaw_list):
        rot = camera_rotation(yaw, pitch)
        geometry.colours(rot, out=renderer.set_colours())
        renderer.render(rot, size, HALF_HEIGHT, CAMERA_DISTANCE, out=out[i])
    return out


def render_views(scan: Scan, yaws: Sequence[float] = (-30, 0, 30), size: int = 112, pitch: float = 0.0,
                 normalization: Normalization | None = None, canonical: CanonicalSettings | None = None) -> np.ndarray:
    """Render a scan from several yaws -> (V, size, size, 3) uint8 geometry images (see module docstring).

    scan: mesh or point cloud in any units. yaws, pitch: degrees. size: image side in pixels.
    normalization: a precomputed :class:`core.scans.Normalization` to apply as it is, bypassing the framing
    (e.g. a 4D sequence's first frame's, so all frames share one frame of reference).
    canonical: the framing's :class:`core.scans.canonical.CanonicalSettings` when no ``normalization`` is given
    (None: resources/canonical.json's; orientation "none": bounding-box framing). The face flag of the framing is
    dropped here; :func:`core.render.scan_views.render_scan` returns it.
    Rendering uses the calling thread's reused offscreen window. Raises ValueError for bad settings.
    """
    yaw_list, size, pitch = check_views(yaws, size, pitch)
    if not isinstance(scan, Scan):
        raise ValueError(f"expected a Scan, got {type(scan).__name__}")
    if normalization is not None:
        normalised = normalization.apply(scan)
    else:
        normalised = frame_scan(scan, canonical).frames[0]
    return render_geometry(SurfaceGeometry.from_scan(normalised), yaw_list, size, pitch)
