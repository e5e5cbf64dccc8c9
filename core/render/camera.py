"""The renderer's camera as numbers: where each point lands in a view's pixels, and the depth the view drew there.

:func:`core.render.render_geometry` draws each view with an orthographic VTK camera
(:meth:`core.render.backend.OffscreenRenderer.render`): camera-to-world rotation ``R`` =
:func:`core.render.camera_rotation` (yaw, pitch) (columns: the camera's right, up and backward axes), the camera at
``CAMERA_DISTANCE * R[:, 2]`` looking at the origin, ``2 * HALF_HEIGHT`` normalised units from the image's top to
its bottom edge, square images of ``size`` pixels, row 0 at the top. A normalised point ``p`` (the framed scan's
coordinates, :mod:`core.render.framing`) therefore lands at

    col  = (p . R[:, 0] + h) / (2h) * size - 1/2         h = HALF_HEIGHT
    row  = (h - p . R[:, 1]) / (2h) * size - 1/2
    near = p . R[:, 2]                                    nearness: larger is nearer the camera

in continuous pixel coordinates whose integers are pixel centres (pixel (0, 0) is the top-left one, its centre at
(0, 0), its edges at -1/2 and +1/2). :meth:`ViewCamera.matrix` is that affine map as a (4, 4) matrix.

:func:`render_depth` draws the same geometry as :func:`core.render.render_geometry` (same colours, same camera, at
any size) and also reads back the OpenGL depth buffer, turned into the nearness of the surface seen in each pixel
(``-inf`` on the background): the depth the visibility test of :mod:`core.explain` compares each vertex against.
For the orthographic camera the depth buffer is linear between the clipping planes (VTK sets them at
``distance -+ 2``): ``z = (distance - near - d_near) / (d_far - d_near)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkFloatArray

from core.render.backend import MAX_POINT_SIZE, thread_renderer
from core.render.views import (CAMERA_DISTANCE, HALF_HEIGHT, SPLAT_SCALE, SurfaceGeometry, camera_rotation,
                               check_views)


@dataclass(frozen=True, eq=False)
class ViewCamera:
    """One view's orthographic camera: rotation (3, 3) camera-to-world (see :func:`core.render.camera_rotation`),
    size (pixels, square), half_height and distance (normalised units); yaw and pitch (degrees) as asked."""

    rotation: np.ndarray
    size: int
    yaw: float = 0.0
    pitch: float = 0.0
    half_height: float = HALF_HEIGHT
    distance: float = CAMERA_DISTANCE

    @classmethod
    def for_view(cls, yaw: float, size: int, pitch: float = 0.0) -> ViewCamera:
        """The camera :func:`core.render.render_geometry` uses for the view ``yaw``/``pitch`` at ``size`` px."""
        (yaw,), size, pitch = check_views([yaw], size, pitch)
        return cls(camera_rotation(yaw, pitch), size, yaw, pitch)

    @property
    def pixel_size(self) -> float:
        """Side of one pixel in normalised units."""
        return 2.0 * self.half_height / self.size

    @property
    def matrix(self) -> np.ndarray:
        """(4, 4) float64: homogeneous normalised point -> (col, row, near, 1) (see the module docstring)."""
        r = np.asarray(self.rotation, dtype=np.float64)
        k = self.size / (2.0 * self.half_height)
        m = np.zeros((4, 4))
        m[0, :3], m[0, 3] = k * r[:, 0], k * self.half_height - 0.5
        m[1, :3], m[1, 3] = -k * r[:, 1], k * self.half_height - 0.5
        m[2, :3] = r[:, 2]
        m[3, 3] = 1.0
        return m

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) normalised points -> (N, 3) float64 columns (col, row, near)."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        m = self.matrix
        return p @ m[:3, :3].T + m[:3, 3]

    def nearness_from_depth_buffer(self, z: np.ndarray, clipping: tuple[float, float]) -> np.ndarray:
        """OpenGL depth-buffer values z in [0, 1] (orthographic: linear between the clipping distances
        ``clipping`` = (d_near, d_far)) -> nearness p . R[:, 2]; z >= 1 (nothing drawn) -> -inf."""
        d_near, d_far = clipping
        z = np.asarray(z, dtype=np.float64)
        near = self.distance - (d_near + z * (d_far - d_near))
        return np.where(z < 1.0, near, -np.inf)


def view_cameras(yaws: Sequence[float], size: int, pitch: float = 0.0) -> tuple[ViewCamera, ...]:
    """One :class:`ViewCamera` per yaw, as :func:`core.render.render_geometry` draws them."""
    yaw_list, size, pitch = check_views(yaws, size, pitch)
    return tuple(ViewCamera.for_view(y, size, pitch) for y in yaw_list)


def splat_depth(geometry: SurfaceGeometry, camera: ViewCamera) -> float:
    """How far (normalised units) the depth buffer of a point cloud's splats may stand before their points through
    ``camera`` (0 for a mesh): one drawn splat diameter. VTK draws each point as a sphere impostor whose front lies
    about one *diameter* (not one radius) before the point (measured: 1.4, 3.7, 7.9 and 15.9 px for 2, 4, 8 and
    16 px splats)."""
    if geometry.faces is not None:
        return 0.0
    return float(np.clip(_point_size(geometry, camera), 1.0, MAX_POINT_SIZE)) * camera.pixel_size


def _point_size(geometry: SurfaceGeometry, camera: ViewCamera) -> float:
    """The splat diameter in pixels :func:`core.render.render_geometry` asks for at the camera's size."""
    return max(SPLAT_SCALE * geometry.spacing * camera.size / (2.0 * camera.half_height), 1.0)


def render_depth(geometry: SurfaceGeometry, cameras: Sequence[ViewCamera]) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``geometry`` (normalised, :class:`core.render.SurfaceGeometry`) through each camera, as
    :func:`core.render.render_geometry` does, and read back the depth buffer too.

    Returns (images (N, S, S, 3) uint8, the views' channels; nearness (N, S, S) float32, the nearness
    p . R[:, 2] of the surface each pixel shows, -inf where nothing is drawn). All cameras must share one size.
    Uses the calling thread's offscreen renderer (:func:`core.render.thread_renderer`).
    """
    cameras = list(cameras)
    if not cameras:
        raise ValueError("render_depth needs at least one camera")
    size = cameras[0].size
    if any(c.size != size for c in cameras):
        raise ValueError(f"render_depth: every camera must have one size, got {sorted({c.size for c in cameras})}")
    images = np.empty((len(cameras), size, size, 3), dtype=np.uint8)
    nearness = np.empty((len(cameras), size, size), dtype=np.float32)
    renderer = thread_renderer()
    renderer.set_geometry(geometry.vertices, geometry.faces, point_size=_point_size(geometry, cameras[0]))
    buffer = vtkFloatArray()
    for i, cam in enumerate(cameras):
        geometry.colours(cam.rotation, out=renderer.set_colours())
        renderer.render(cam.rotation, size, cam.half_height, cam.distance, out=images[i])
        renderer.window.GetZbufferData(0, 0, size - 1, size - 1, buffer)
        z = vtk_to_numpy(buffer).reshape(size, size)[::-1]
        clipping = renderer.renderer.GetActiveCamera().GetClippingRange()
        nearness[i] = cam.nearness_from_depth_buffer(z, clipping)
    return images, nearness


__all__ = ["ViewCamera", "render_depth", "splat_depth", "view_cameras"]
