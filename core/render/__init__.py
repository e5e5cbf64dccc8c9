"""Multi-view rendering of face scans into texture-free geometry images, and the render cache.

``render_views(scan, yaws, size, pitch)`` -> (V, size, size, 3) uint8; the camera, yaw convention and
channel design (R shading, G depth, B mean curvature) are documented in :mod:`core.render.views`, the framing
(canonical faces by default, bounding boxes with orientation "none") in :mod:`core.render.framing`.
``RenderConfig`` holds the view and canonical-face settings (defaults in resources/render.json and
resources/canonical.json); ``render_scan`` / ``render_sequence`` render with one and also return the face flag
(:mod:`core.render.scan_views`); ``RenderCache`` stores rendered manifests on disk keyed by content and settings
(:mod:`core.render.cache`).
"""

from core.render.backend import OffscreenRenderer, thread_renderer
from core.render.cache import RenderCache, RenderSummary
from core.render.config import RENDERER_VERSION, RenderConfig
from core.render.framing import Framed, canonical_framing, frame_scan, frame_scans
from core.render.scan_views import render_scan, render_sequence
from core.render.views import SurfaceGeometry, camera_rotation, render_geometry, render_views

__all__ = [
    "Framed",
    "OffscreenRenderer",
    "RENDERER_VERSION",
    "RenderCache",
    "RenderConfig",
    "RenderSummary",
    "SurfaceGeometry",
    "camera_rotation",
    "canonical_framing",
    "frame_scan",
    "frame_scans",
    "render_geometry",
    "render_scan",
    "render_sequence",
    "render_views",
    "thread_renderer",
]
