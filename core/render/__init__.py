"""Multi-view rendering of face scans into texture-free geometry images, and the render cache.

``render_views(scan, yaws, size, pitch)`` -> (V, size, size, 3) uint8; the camera, yaw convention and
channel design (R shading, G depth, B mean curvature) are documented in :mod:`core.render.views`.
``RenderConfig`` holds the view settings (defaults in resources/render.json); ``RenderCache`` stores
rendered manifests on disk keyed by content and settings (:mod:`core.render.cache`).
"""

from core.render.backend import OffscreenRenderer, thread_renderer
from core.render.cache import RenderCache, RenderSummary
from core.render.config import RENDERER_VERSION, RenderConfig
from core.render.views import SurfaceGeometry, camera_rotation, render_geometry, render_views

__all__ = [
    "OffscreenRenderer",
    "RENDERER_VERSION",
    "RenderCache",
    "RenderConfig",
    "RenderSummary",
    "SurfaceGeometry",
    "camera_rotation",
    "render_geometry",
    "render_views",
    "thread_renderer",
]
