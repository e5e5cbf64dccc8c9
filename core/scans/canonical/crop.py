"""The crop of a canonical face: the sphere of ``radius_mm`` around the nose tip (the origin), optionally only the
front half, what a frontal camera sees (the nearest surface along +z in each 2 mm cell, and what lies within
FRONT_DEPTH_MM behind it)."""

from __future__ import annotations

import numpy as np

from core.scans.canonical.settings import CanonicalSettings
from core.scans.types import Scan

#: Cell size (mm) of the frontal visibility grid.
FRONT_CELL_MM = 2.0
#: Depth (mm) behind the nearest surface of a cell still counted as visible (noise, thin folds).
FRONT_DEPTH_MM = 6.0


def front_visible(points: np.ndarray) -> np.ndarray:
    """(V,) bool: the points a camera on +z far away sees (orthographic z-buffer on a FRONT_CELL_MM grid)."""
    cells = np.floor(points[:, :2] / FRONT_CELL_MM).astype(np.int64)
    cells -= cells.min(axis=0)
    keys = cells[:, 0] * (int(cells[:, 1].max()) + 1) + cells[:, 1]
    _, inverse = np.unique(keys, return_inverse=True)
    zmax = np.full(int(inverse.max()) + 1, -np.inf)
    np.maximum.at(zmax, inverse, points[:, 2])
    return points[:, 2] >= zmax[inverse] - FRONT_DEPTH_MM


def crop_mask(points: np.ndarray, settings: CanonicalSettings) -> np.ndarray:
    """(V,) bool: canonical points inside the crop."""
    mask = np.einsum("ij,ij->i", points, points) <= settings.radius_mm**2
    if settings.front_half and mask.any():
        inside = np.flatnonzero(mask)
        mask[inside] = front_visible(points[inside])
    return mask


def crop_scan(scan: Scan, settings: CanonicalSettings) -> Scan:
    """The canonical ``scan`` cut to the crop; faces kept where all three vertices are kept. When nothing lies in
    the crop, the scan is returned as it is (the caller's face flag says the fit failed)."""
    v = scan.vertices
    mask = crop_mask(v.astype(np.float64), settings)
    if mask.sum() < 3:
        return scan
    faces = None
    if scan.faces is not None:
        new = np.full(len(v), -1, dtype=np.int64)
        new[mask] = np.arange(int(mask.sum()))
        f = scan.faces[np.all(mask[scan.faces], axis=1)]
        faces = new[f]
    return Scan(v[mask], faces, scan.source)
