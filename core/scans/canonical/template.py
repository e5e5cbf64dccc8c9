"""The template face scans are registered to: the ICT Face Model's neutral face, in canonical millimetres.

Built from :func:`core.synth.ict_model.find_and_load_ict` (``$SMILE_ICT_DIR``, ``../shared/ict``, the user cache):
the face area within ``TEMPLATE_RADIUS_MM`` of the nose tip (forehead, eyes, cheeks, nose, mouth, chin;
no ears, neck or scalp, which scans keep or lose at will), thinned on a voxel grid to an even density, and its
68 landmarks. The ICT face already follows the canonical convention (+z forward, +y up, +x the subject's left);
the template is shifted so its nose tip (landmark 30) is the origin.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

#: Template surface kept around the nose tip, millimetres.
TEMPLATE_RADIUS_MM = 85.0
#: Spacing of the template's dense point set, millimetres.
TEMPLATE_SPACING_MM = 2.0
#: Landmark indices (Multi-PIE 68) of the nose: bridge 27-30 (30 = tip), nostrils 31-35.
NOSE_LANDMARKS = tuple(range(27, 36))
NOSE_TIP_LANDMARK = 30


@dataclass(frozen=True, eq=False)
class TemplateFace:
    """points (M, 3) float64: the template surface, evenly spaced, canonical mm (nose tip at the origin).
    landmarks (68, 3) float64 in the same frame. name: the face model ("ict"). checksum: its file's sha256.
    tree: cKDTree of ``points``. order: a permutation of the points such that every prefix is spread over the
    whole face (:func:`spread_order`), so ``points[order[:n]]`` is a good n-point subsample.
    spread: median distance of the points to their centroid (mm). centroid: (3,)."""

    points: np.ndarray
    landmarks: np.ndarray
    name: str
    checksum: str
    tree: cKDTree
    order: np.ndarray
    spread: float
    centroid: np.ndarray

    @property
    def nose(self) -> np.ndarray:
        """(9, 3) the nose landmarks (bridge, tip, nostrils)."""
        return self.landmarks[list(NOSE_LANDMARKS)]

    def subsample(self, n: int) -> np.ndarray:
        """(min(n, M), 3) points spread over the whole template."""
        return self.points[self.order[: max(1, min(int(n), len(self.order)))]]


def voxel_keys(points: np.ndarray, spacing: float) -> np.ndarray:
    """(V,) int64 id of each point's voxel of side ``spacing`` (equal ids: same voxel)."""
    cells = np.floor((points - points.min(axis=0)) / spacing).astype(np.int64)
    dims = cells.max(axis=0) + 1
    return (cells[:, 0] * dims[1] + cells[:, 1]) * dims[2] + cells[:, 2]


def voxel_thin(points: np.ndarray, spacing: float) -> np.ndarray:
    """Indices of one point per occupied voxel of side ``spacing`` (the first in input order), sorted."""
    _, first = np.unique(voxel_keys(points, spacing), return_index=True)
    return np.sort(first)


def spread_order(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """A permutation of the points whose every prefix is spread evenly over the surface: one random point per
    voxel of a coarse grid first, then of finer and finer grids (a random order would leave gaps and clumps in
    a short prefix; a farthest-point order would start with the rim)."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(points))
    extent = float(np.max(points.max(axis=0) - points.min(axis=0)))
    order: list[np.ndarray] = []
    taken = np.zeros(len(points), dtype=bool)
    size = extent / 4.0
    while size > TEMPLATE_SPACING_MM / 2 and not taken.all():
        picked = shuffled[voxel_thin(points[shuffled], size)]
        new = picked[~taken[picked]]
        order.append(rng.permutation(new))
        taken[new] = True
        size /= 1.5
    order.append(shuffled[~taken[shuffled]])
    return np.concatenate(order).astype(np.int64)


def template_from_mesh(vertices: np.ndarray, landmarks: np.ndarray, name: str, checksum: str,
                       keep: np.ndarray | None = None) -> TemplateFace:
    """A template from a canonical face mesh (mm): ``vertices`` (V, 3), ``landmarks`` (68,) vertex indices,
    ``keep`` (V,) bool the face area to use (all when None)."""
    v = np.asarray(vertices, dtype=np.float64)
    tip = v[int(landmarks[NOSE_TIP_LANDMARK])]
    v = v - tip
    mask = np.linalg.norm(v, axis=1) <= TEMPLATE_RADIUS_MM
    if keep is not None:
        mask &= keep
    pts = v[mask]
    pts = pts[voxel_thin(pts, TEMPLATE_SPACING_MM)]
    order = spread_order(pts)
    centroid = pts.mean(axis=0)
    spread = float(np.median(np.linalg.norm(pts - centroid, axis=1)))
    for arr in (pts, order, centroid):
        arr.setflags(write=False)
    lms = v[np.asarray(landmarks, dtype=np.int64)]
    lms.setflags(write=False)
    return TemplateFace(pts, lms, name, checksum, cKDTree(pts), order, spread, centroid)


_CACHE: dict[str, TemplateFace] = {}
_LOCK = threading.Lock()


def load_template(name: str = "ict", face_model_dir: str | None = None) -> TemplateFace:
    """The template face ``name`` (cached per process). ModelFileError (a ValueError naming the file and where to
    put it) when the face model's files cannot be found."""
    if name != "ict":
        raise ValueError(f"unknown template face {name!r} (known: ict)")
    key = f"{name}:{face_model_dir or ''}"
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    from core.synth.ict_model import find_and_load_ict

    model = find_and_load_ict(face_model_dir)
    keep = np.zeros(len(model.neutral), dtype=bool)
    keep[: model.n_face] = True
    checksum = next(iter(model.checksums.values()), "") if getattr(model, "checksums", None) else ""
    template = template_from_mesh(model.neutral, model.landmarks68, name, checksum, keep)
    with _LOCK:
        _CACHE[key] = template
    return template
