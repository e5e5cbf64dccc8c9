"""Capture artefacts: rigid head pose, scanner noise, occluders, holes and spurious specks.

Vertices are (V, 3) float64 millimetres, faces (F, 3) int64. Functions that remove or add geometry
return new (vertices, faces) arrays; nothing is modified in place.
"""

from __future__ import annotations

import numpy as np

from core.synth.config import ArtefactConfig
from core.synth.face import FaceRegions


def rotation_matrix(angles_deg: np.ndarray) -> np.ndarray:
    """(3, 3) rotation from angles (3,) in degrees about x (pitch), y (yaw), z (roll), applied x then y then z."""
    ax, ay, az = np.radians(np.asarray(angles_deg, dtype=np.float64))
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def rigid(vertices: np.ndarray, angles_deg: np.ndarray, translation: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Rotate ``vertices`` about ``centre`` by ``angles_deg`` then translate by ``translation`` (mm)."""
    r = rotation_matrix(angles_deg)
    return (vertices - centre) @ r.T + centre + np.asarray(translation, dtype=np.float64)


def sample_pose(rng: np.random.Generator, cfg: ArtefactConfig) -> tuple[np.ndarray, np.ndarray]:
    """(angles_deg (3,), translation_mm (3,)) of a random head-pose jitter (yaw twice the pitch/roll s.d.)."""
    angles = cfg.rotation_deg * rng.standard_normal(3) * np.array([1.0, 2.0, 1.0]) / np.sqrt(2.0)
    translation = cfg.translation_mm * rng.standard_normal(3)
    return angles, translation


def add_noise(vertices: np.ndarray, rng: np.random.Generator, sigma_mm: float) -> np.ndarray:
    """Isotropic Gaussian scanner noise of s.d. ``sigma_mm``."""
    if sigma_mm <= 0:
        return vertices.copy()
    return vertices + sigma_mm * rng.standard_normal(vertices.shape)


def sample_occluder(rng: np.random.Generator, cfg: ArtefactConfig, regions: FaceRegions) -> tuple | None:
    """An occluder (kind, centre vertex, radius mm, offset mm, bump seed) or None (probability p).

    kind "hand" covers part of the lower face (mouth, cheek, chin), "hair" part of the forehead.
    """
    if rng.random() >= cfg.occlusion_probability:
        return None
    kind = "hand" if rng.random() < 0.6 else "hair"
    pool = regions.lower if kind == "hand" else regions.upper
    if len(pool) == 0:
        pool = regions.frontal
    centre = int(pool[rng.integers(len(pool))])
    radius = float(rng.uniform(*cfg.occlusion_radius_mm))
    offset = float(rng.uniform(*cfg.occlusion_offset_mm))
    if kind == "hair":
        offset = min(offset, 3.0 + 0.25 * offset)
    return kind, centre, radius, offset, int(rng.integers(2**31))


def apply_occluder(vertices: np.ndarray, occluder: tuple | None) -> np.ndarray:
    """Push the vertices within the occluder's radius forward (+z) onto a smooth surface in front of the face.

    The weight is 1 inside 60 % of the radius and falls to 0 at the radius (raised cosine); the occluding
    surface is a shallow dome ``offset`` mm in front of the most forward covered point, with small bumps
    (finger ridges for a hand, strands for hair).
    """
    if occluder is None:
        return vertices.copy()
    kind, centre, radius, offset, bump_seed = occluder
    c = vertices[centre]
    d = np.linalg.norm(vertices[:, :2] - c[:2], axis=1)
    inside = d < radius
    out = vertices.copy()
    if not inside.any():
        return out
    t = np.clip((d[inside] - 0.6 * radius) / (0.4 * radius), 0.0, 1.0)
    w = 0.5 * (1.0 + np.cos(np.pi * t))
    rng = np.random.default_rng(bump_seed)
    top = vertices[inside, 2].max()
    dome = top + offset - 0.15 * offset * (d[inside] / radius) ** 2
    if kind == "hand":
        angle = rng.uniform(0, np.pi)
        u = (vertices[inside, 0] - c[0]) * np.cos(angle) + (vertices[inside, 1] - c[1]) * np.sin(angle)
        dome = dome + 1.5 * np.abs(np.sin(u / 6.0))
    else:
        dome = dome + 0.8 * rng.standard_normal(int(inside.sum()))
    z = vertices[inside, 2]
    out[inside, 2] = z + w * np.maximum(dome - z, 0.0)
    return out


def sample_holes(rng: np.random.Generator, cfg: ArtefactConfig, n_vertices: int, mean: float) -> list[tuple[int, float]]:
    """Poisson(``mean``) missing patches as (centre vertex index, radius mm), radius in hole_radius_mm."""
    n_holes = int(rng.poisson(mean))
    holes = []
    for _ in range(n_holes):
        centre = int(rng.integers(n_vertices))
        holes.append((centre, float(rng.uniform(*cfg.hole_radius_mm))))
    return holes


def cut_holes(vertices: np.ndarray, faces: np.ndarray, holes: list[tuple[int, float]], cfg: ArtefactConfig,
              reference: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remove ball-shaped patches ``holes`` (centre vertex index, radius mm; see :func:`sample_holes`).

    The balls are measured on ``reference`` (V, 3) (default: ``vertices``), e.g. the neutral face, so that
    the same holes remove the same vertices in every frame of a sequence however the face moves.

    Faces touching a removed vertex go, then vertices no face uses. At most max_removed_fraction of the
    vertices are removed (patches that would exceed it are skipped). Returns (vertices, faces, kept) where
    kept (V',) are the original indices of the remaining vertices, in order.
    """
    n = vertices.shape[0]
    ref = vertices if reference is None else reference
    if ref.shape != vertices.shape:
        raise ValueError(f"hole reference shape {ref.shape} differs from the vertices' {vertices.shape}")
    removed = np.zeros(n, dtype=bool)
    for index, radius in holes:
        ball = ((ref - ref[index]) ** 2).sum(1) < radius * radius
        if (removed | ball).sum() <= cfg.max_removed_fraction * n:
            removed |= ball
    if not removed.any():
        return vertices, faces, np.arange(n)
    keep_faces = faces[~removed[faces].any(axis=1)]
    used = np.zeros(n, dtype=bool)
    used[keep_faces.ravel()] = True
    remap = np.cumsum(used) - 1
    return vertices[used], remap[keep_faces], np.flatnonzero(used)


def add_spurious(vertices: np.ndarray, faces: np.ndarray, rng: np.random.Generator, cfg: ArtefactConfig,
                 frontal: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Append Poisson(spurious_mean) specks: tiny triangles (about 2 mm) floating spurious_distance_mm in
    front of random surface points (``frontal`` vertex indices, default all)."""
    k = int(rng.poisson(cfg.spurious_mean))
    if k == 0:
        return vertices, faces
    pool = np.arange(vertices.shape[0]) if frontal is None or len(frontal) == 0 else frontal
    pool = pool[pool < vertices.shape[0]]
    base = vertices[pool[rng.integers(len(pool), size=k)]]
    lift = rng.uniform(*cfg.spurious_distance_mm, size=k)
    centres = base + np.column_stack([3.0 * rng.standard_normal(k), 3.0 * rng.standard_normal(k), lift])
    corners = centres[:, None, :] + rng.uniform(-1.2, 1.2, size=(k, 3, 3))
    n0 = vertices.shape[0]
    new_faces = n0 + np.arange(3 * k).reshape(k, 3)
    return np.vstack([vertices, corners.reshape(-1, 3)]), np.vstack([faces, new_faces])


def capture(shape: np.ndarray, faces: np.ndarray, rng: np.random.Generator, cfg: ArtefactConfig,
            regions: FaceRegions, *, pose: tuple[np.ndarray, np.ndarray] | None = None,
            occluder: tuple | None | bool = True, holes: list[tuple[int, float]] | None = None,
            hole_reference: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Turn a clean (V, 3) face into a "scanned" mesh: occluder, pose, noise, holes, specks.

    pose: (angles_deg, translation) to use instead of a fresh random one (4D sequences pass a smooth
    per-frame pose). occluder: True draws one with the configured probability, None/False means none,
    a tuple (from sample_occluder) is used as given. holes: the missing patches (from sample_holes) to cut
    instead of Poisson(holes_mean) fresh ones (4D sequences pass their persistent ones plus this frame's
    transient ones, measured on ``hole_reference``, their neutral face). Returns (vertices (V', 3), faces (F', 3)).
    """
    if occluder is True:
        occluder = sample_occluder(rng, cfg, regions)
    elif occluder is False:
        occluder = None
    v = apply_occluder(shape, occluder)
    angles, translation = sample_pose(rng, cfg) if pose is None else pose
    v = rigid(v, angles, translation, shape.mean(axis=0))
    v = add_noise(v, rng, cfg.noise_mm)
    if holes is None:
        holes = sample_holes(rng, cfg, v.shape[0], cfg.holes_mean)
    v, f, kept = cut_holes(v, faces, holes, cfg, hole_reference)
    frontal_mask = np.zeros(shape.shape[0], dtype=bool)
    frontal_mask[regions.frontal] = True
    return add_spurious(v, f, rng, cfg, np.flatnonzero(frontal_mask[kept]))
