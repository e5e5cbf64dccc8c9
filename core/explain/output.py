"""Saving an evidence map: the scan as a PLY with a per-vertex ``saliency`` property, or a PNG of the views with the
map over them.

PLY (trimesh's writer, binary little-endian): the vertices and triangles of the scan as the program read it (file
coordinates and vertex order; a sequence's first frame; a scan larger than resources/scans.json allows is read
decimated, and the PLY then holds the decimated mesh) with ``property float saliency`` in [0, 1] (0 where no view
sees the vertex). A point cloud is written with ``element face 0``.

PNG (matplotlib's Agg canvas, no pyplot): one panel per view, the scan's shading (a sequence's first frame) in grey
with the view's map over the face in colour; the panels are titled with the view's yaw and fusion weight, the figure
with the class, its score and probability, and what was explained.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core.config_io import write_bytes_atomic
from core.explain.saliency import VertexSaliency

OUTPUT_SUFFIXES = (".ply", ".png")
#: Opacity of the map over the shading.
OVERLAY_ALPHA = 0.55
#: Colour map of the overlay (matplotlib's name).
COLOUR_MAP = "inferno"


def write_ply(result: VertexSaliency, path: str | os.PathLike[str]) -> Path:
    """The scan as read with a per-vertex float property ``saliency`` (see the module docstring)."""
    import trimesh

    scan = result.scan
    faces = np.zeros((0, 3), dtype=np.int64) if scan.faces is None else np.asarray(scan.faces, dtype=np.int64)
    mesh = trimesh.Trimesh(np.asarray(scan.vertices, dtype=np.float32), faces, process=False, validate=False)
    mesh.vertex_attributes["saliency"] = np.asarray(result.values, dtype=np.float32)
    return write_bytes_atomic(path, mesh.export(file_type="ply", encoding="binary"))


def _upsample(maps: np.ndarray, size: int) -> np.ndarray:
    t = torch.as_tensor(np.asarray(maps, dtype=np.float32))[:, None]
    return F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)[:, 0].numpy()


def _side(yaw: float) -> str:
    return "frontal" if abs(yaw) < 1e-6 else ("left" if yaw < 0 else "right")


def write_png(result: VertexSaliency, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """The views with the map over them (see the module docstring)."""
    from io import BytesIO

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    inp = result.input
    display = inp.display
    size = display.shape[1]
    maps = _upsample(result.image_maps, size)
    n = len(display)
    fig = Figure(figsize=(3.2 * n, 3.9), dpi=dpi)
    FigureCanvasAgg(fig)
    for i in range(n):
        ax = fig.add_subplot(1, n, i + 1)
        ax.imshow(display[i, :, :, 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        overlay = np.ma.masked_where(display[i, :, :, 1] == 0, maps[i])
        image = ax.imshow(overlay, cmap=COLOUR_MAP, vmin=0.0, vmax=1.0, alpha=OVERLAY_ALPHA, interpolation="nearest")
        yaw = inp.cameras[i].yaw
        ax.set_title(f"{_side(yaw)} {yaw:+.0f}°, w = {result.view_weights[i]:.2f}", fontsize=10)
        ax.set_axis_off()
    fig.colorbar(image, ax=fig.axes, fraction=0.02, pad=0.01, label="evidence")
    what = "dynamic images, shown on the first frame" if inp.is_sequence else "views"
    fig.suptitle(f"{Path(inp.source).name or inp.source}: {result.class_name} (cos {result.score:.3f}, "
                 f"P {result.probability:.2f})\n{result.method} on {result.layer} ({result.grid[0]}×{result.grid[1]} "
                 f"cells), {what}", fontsize=10)
    buffer = BytesIO()
    fig.savefig(buffer, format="png")
    return write_bytes_atomic(path, buffer.getvalue())


def write_result(result: VertexSaliency, path: str | os.PathLike[str]) -> Path:
    """:func:`write_ply` or :func:`write_png` by the suffix of ``path``; ValueError for another suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".ply":
        return write_ply(result, path)
    if suffix == ".png":
        return write_png(result, path)
    raise ValueError(f"{path}: the output must be a .ply or a .png file, not {suffix or 'a file without a suffix'}")


__all__ = ["OUTPUT_SUFFIXES", "write_ply", "write_png", "write_result"]
