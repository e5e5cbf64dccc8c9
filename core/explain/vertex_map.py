"""Carrying image maps back to the vertices of the scan as stored.

1. The scan's vertices, in the file's coordinates, go through the transform the renderer's framing applied
   (:func:`normalised_points`): for a canonical face ``canonical_framing(face.to_canonical(v))`` (the registration's
   similarity, then the fixed framing of canonical faces); with orientation "none" the bounding-box normalisation of
   the first frame. Vertices the framing cropped away (outside the sphere around the nose tip) and vertices no
   drawn triangle uses are never drawn (``drawn`` False).
2. Each view's camera (:class:`core.render.camera.ViewCamera`) projects them to pixels; a vertex is seen by the view
   when it is drawn, lands inside the image and lies at most ``tolerance`` behind the surface the view's depth image
   shows at its pixel (:func:`visibility`; the depth images come from :func:`core.render.camera.render_depth`).
3. Each view's map is sampled bilinearly at the vertices it sees (:func:`sample_maps`), and the views are combined
   with the fusion weights (:func:`combine`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import map_coordinates

from core import scans as _scans
from core.render.camera import ViewCamera
from core.render.framing import Framed, canonical_framing
from core.scans.canonical import CanonicalSettings
from core.scans.canonical.crop import crop_mask
from core.scans.types import Scan


def normalised_points(scan: Scan, framed: Framed, settings: CanonicalSettings) -> tuple[np.ndarray, np.ndarray]:
    """(points (V, 3) float64 in the renderer's normalised frame, drawn (V,) bool) for the vertices of ``scan`` as
    stored, framed by ``framed`` (:func:`core.render.framing.frame_scans` of ``scan`` or of a sequence whose first
    frame it is, with ``settings``)."""
    v = np.asarray(scan.vertices, dtype=np.float64)
    face = framed.face
    if face is None:
        points = _scans.normalization(scan).apply_points(v)
        inside = np.ones(len(v), dtype=bool)
    else:
        canonical = face.to_canonical(v)
        points = canonical_framing(settings).apply_points(canonical)
        inside = crop_mask(canonical, settings) if settings.crop else np.ones(len(v), dtype=bool)
        if inside.sum() < 3:  # core.scans.canonical.crop.crop_scan keeps such a scan whole
            inside[:] = True
    if scan.faces is None or len(scan.faces) == 0:
        return points, inside
    f = np.asarray(scan.faces, dtype=np.int64)
    kept = f[inside[f].all(axis=1)]
    drawn = np.zeros(len(v), dtype=bool)
    drawn[kept.ravel()] = True
    return points, drawn


def visibility(points: np.ndarray, drawn: np.ndarray, cameras: Sequence[ViewCamera], nearness: np.ndarray,
               tolerance: Sequence[float]) -> np.ndarray:
    """(N, V) bool: vertex v is seen by view i. points (V, 3) normalised; cameras: the N views at the depth
    images' size; nearness (N, R, R): the depth images (-inf on the background); tolerance (N,): normalised units a
    vertex may lie behind the drawn surface."""
    out = np.zeros((len(cameras), len(points)), dtype=bool)
    for i, cam in enumerate(cameras):
        p = cam.project(points)
        col, row = np.rint(p[:, 0]).astype(np.int64), np.rint(p[:, 1]).astype(np.int64)
        inside = drawn & (col >= 0) & (col < cam.size) & (row >= 0) & (row < cam.size)
        idx = np.flatnonzero(inside)
        surface = nearness[i][row[idx], col[idx]]
        out[i, idx] = np.isfinite(surface) & (p[idx, 2] >= surface - float(tolerance[i]))
    return out


def sample_maps(maps: np.ndarray, points: np.ndarray, cameras: Sequence[ViewCamera], seen: np.ndarray) -> np.ndarray:
    """(N, V) float32: each view's map (N, S, S) sampled bilinearly at the vertices it sees (0 elsewhere); cameras:
    the N views at the maps' size S."""
    out = np.zeros(seen.shape, dtype=np.float32)
    for i, cam in enumerate(cameras):
        idx = np.flatnonzero(seen[i])
        if idx.size:
            p = cam.project(points[idx])
            out[i, idx] = map_coordinates(maps[i], [p[:, 1], p[:, 0]], order=1, mode="nearest")
    return out


def combine(per_view: np.ndarray, seen: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(V,) float64: at each vertex the fusion-weighted mean of the maps of the views that see it,
    sum_i w_i m_i / sum_i w_i over those views (0 where no view sees it). A vertex seen by one side view alone keeps
    that view's value instead of being diluted by the views that cannot see it."""
    w = np.asarray(weights, dtype=np.float64)[:, None] * seen
    total = w.sum(axis=0)
    num = (w * per_view).sum(axis=0)
    return np.divide(num, total, out=np.zeros_like(num), where=total > 0)


def unit_scale(values: np.ndarray) -> np.ndarray:
    """``values / max(values)`` as float32 in [0, 1]; all zeros stay zeros."""
    peak = float(np.max(values, initial=0.0))
    return (values / peak if peak > 0 else np.zeros_like(values)).astype(np.float32)


__all__ = ["combine", "normalised_points", "sample_maps", "unit_scale", "visibility"]
