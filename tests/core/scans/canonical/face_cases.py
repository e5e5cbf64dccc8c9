"""Synthetic faces in random poses, units and states of repair, for the canonical-face tests and benchmark.

Each case is a scan with its truth: the rotation taking its frame to the canonical one, the nose tip in its own
coordinates and its units (scan units per millimetre). Sources: ICT heads with neck (random identity and
expression), ICT face crops, Surrey Face Model faces, Bosphorus-style range grids of ICT faces, and point clouds of
each; then a random rotation (uniform over SO(3)), scale 0.001-10 (log-uniform), translation, Gaussian noise,
holes (discs removed) and 10 % spurious points spread over the bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from core.scans.types import Scan

KINDS = ("ict_head", "ict_face", "sfm_face", "range_grid", "ict_head_cloud", "sfm_face_cloud")
#: ICT expression shapes drawn for the test faces.
EXPRESSIONS = ("jawOpen", "mouthSmile_L", "mouthSmile_R", "browDown_L", "browDown_R", "browInnerUp_L",
               "browInnerUp_R", "mouthFrown_L", "mouthFrown_R", "eyeBlink_L", "eyeBlink_R", "noseSneer_L",
               "noseSneer_R", "mouthPucker", "cheekSquint_L", "cheekSquint_R", "mouthStretch_L", "mouthStretch_R")


@dataclass(frozen=True, eq=False)
class FaceCase:
    kind: str
    scan: Scan
    rotation: np.ndarray  # canonical = rotation @ scan frame (direction vectors)
    nose_tip: np.ndarray  # the model's nose-tip vertex (ICT landmark 30; see sfm_frame), in the scan's coordinates
    units_per_mm: float


def procrustes_rotation(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The rotation R minimising sum |R (src_i - mean) - (dst_i - mean)|^2 (corresponding points)."""
    a = src - src.mean(axis=0)
    b = dst - dst.mean(axis=0)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def sfm_frame(sfm, register_mean) -> tuple[np.ndarray, int]:
    """How the Surrey model's frame relates to the template's: (R0, nose-tip vertex).

    The two models do not define "upright" alike (the SFM mean is pitched ~6 degrees from the ICT neutral) and
    their meshes do not correspond, so the SFM faces' canonical orientation is the template registration of the
    clean SFM mean (``register_mean``: mean (V, 3) -> CanonicalFace), and their nose tip the mean's vertex
    nearest to the nose tip found there: the same anatomical point for every SFM face."""
    face = register_mean(sfm.mean)
    r0 = face.transform[:3, :3] / face.mm_per_unit
    tip = int(np.argmin(np.linalg.norm(sfm.mean - face.nose_tip, axis=1)))
    return r0, tip


def _ict_face(ict, rng, expression_scale=1.0):
    base = ict.neutral.astype(np.float64)
    c = rng.normal(0.0, 1.0, 100) * 0.8
    v = base + np.tensordot(c.astype(np.float32), ict.identity_modes, axes=(0, 0)).astype(np.float64)
    # the identity's own pose relative to the template (identity modes carry up to ~3 degrees of head rotation)
    face = slice(0, ict.n_face)
    r_id = procrustes_rotation(v[face], base[face])
    names = list(ict.expression_names)
    for name in rng.choice(EXPRESSIONS, size=rng.integers(0, 4), replace=False):
        v += rng.uniform(0.3, 1.0) * expression_scale * ict.expression_modes[names.index(name)].astype(np.float64)
    return v, v[int(ict.landmarks68[30])].copy(), r_id


def _sfm_face(sfm, rng, frame):
    r0, tip = frame
    c = rng.normal(0.0, 1.0, sfm.basis.shape[1]) * 0.8
    v = sfm.mean + (sfm.basis @ c).reshape(-1, 3)
    r_id = r0 @ procrustes_rotation(v, sfm.mean)
    e = rng.integers(0, 6)
    v = v + rng.uniform(0.3, 1.0) * sfm.expressions[e]
    return v, v[tip].copy(), r_id


def _keep_faces(faces, mask):
    new = -np.ones(len(mask), dtype=np.int64)
    new[mask] = np.arange(int(mask.sum()))
    f = faces[np.all(mask[faces], axis=1)]
    return new[f]


def make_case(kind: str, rng: np.random.Generator, ict=None, sfm=None, sfm_frame=None, noise_mm=0.3, holes=3,
              spurious=0.10, scale=None, rotation=None) -> FaceCase:
    """One case; ``sfm_frame`` (from :func:`sfm_frame`) is needed for the SFM kinds."""
    if kind.startswith("ict") or kind == "range_grid":
        v, tip, r_id = _ict_face(ict, rng)
        faces = np.asarray(ict.faces, dtype=np.int64)
        if kind == "ict_face" or kind == "range_grid":
            mask = np.zeros(len(v), dtype=bool)
            mask[: ict.n_face] = True
            mask &= np.linalg.norm(v - tip, axis=1) < rng.uniform(85, 110)
        else:
            mask = np.ones(len(v), dtype=bool)
        faces = _keep_faces(faces, mask)
        v = v[mask]
    else:
        v, tip, r_id = _sfm_face(sfm, rng, sfm_frame)
        faces = np.asarray(sfm.faces, dtype=np.int64)
    if kind == "range_grid":
        from core.synth.rangegrid import range_grid

        grid = range_grid(v, faces, 0.6 + rng.uniform(0.0, 0.4))
        z = grid.depth.ravel()
        ok = np.isfinite(z)
        v, faces = grid.data[ok, :3], None
    if kind.endswith("cloud"):
        faces = None
    # holes: discs around random surface points
    for _ in range(holes):
        centre = v[rng.integers(len(v))]
        keep = np.linalg.norm(v - centre, axis=1) > rng.uniform(5, 15)
        if np.linalg.norm(centre - tip) < 20:  # keep the nose itself (a scan without a nose is a different test)
            continue
        if faces is not None:
            faces = _keep_faces(faces, keep)
        v = v[keep]
    v = v + rng.normal(0.0, noise_mm, v.shape)
    if spurious > 0:
        lo, hi = v.min(axis=0), v.max(axis=0)
        extra = rng.uniform(lo, hi, (int(spurious * len(v)), 3))
        v = np.concatenate([v, extra])
    rot = Rotation.random(random_state=int(rng.integers(1 << 31))).as_matrix() if rotation is None else rotation
    s = float(np.exp(rng.uniform(np.log(0.001), np.log(10.0)))) if scale is None else float(scale)
    t = rng.uniform(-1000, 1000, 3) * s
    # scan frame: x_scan = s * rot^T x_canonical + t  (so canonical = rot @ (x_scan - t) / s)
    vs = s * v @ rot + t
    tip_s = s * tip @ rot + t
    return FaceCase(kind, Scan(vs.astype(np.float32), faces, f"case:{kind}"), r_id @ rot, tip_s, s)


NON_FACES = ("sphere", "cube", "plane", "random_points", "hand", "cylinder")


def make_non_face(kind: str, rng: np.random.Generator) -> Scan:
    """A scan with no face in it, in a random pose and scale: a sphere, a cube, a plane, random points, a crude
    hand (a palm and five fingers, capsules on a box), a cylinder."""
    import trimesh

    if kind == "sphere":
        mesh = trimesh.creation.icosphere(subdivisions=4, radius=100.0)
    elif kind == "cube":
        mesh = trimesh.creation.box(extents=(180.0, 180.0, 180.0)).subdivide().subdivide().subdivide()
    elif kind == "plane":
        g = np.linspace(-100, 100, 60)
        xx, yy = np.meshgrid(g, g)
        pts = np.stack([xx.ravel(), yy.ravel(), np.zeros(xx.size)], axis=1)
        mesh = trimesh.Trimesh(pts, np.zeros((0, 3), dtype=np.int64), process=False)
    elif kind == "random_points":
        mesh = trimesh.Trimesh(rng.uniform(-100, 100, (5000, 3)), np.zeros((0, 3), dtype=np.int64), process=False)
    elif kind == "hand":
        parts = [trimesh.creation.box(extents=(85.0, 95.0, 30.0))]
        for i, (x, length) in enumerate(zip((-33.0, -11.0, 11.0, 33.0), (70.0, 80.0, 75.0, 60.0))):
            finger = trimesh.creation.capsule(height=length, radius=9.0, count=(16, 16))
            finger.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, (1, 0, 0)))
            finger.apply_translation((x, 47.5 + length / 2, 0.0))
            parts.append(finger)
        thumb = trimesh.creation.capsule(height=55.0, radius=11.0, count=(16, 16))
        thumb.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 3, (0, 0, 1)))
        thumb.apply_translation((-60.0, 0.0, 5.0))
        parts.append(thumb)
        mesh = trimesh.util.concatenate(parts)
    elif kind == "cylinder":
        mesh = trimesh.creation.cylinder(radius=80.0, height=220.0, sections=64).subdivide().subdivide()
    else:
        raise ValueError(kind)
    v = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64) if len(mesh.faces) else None
    rot = Rotation.random(random_state=int(rng.integers(1 << 31))).as_matrix()
    s = float(np.exp(rng.uniform(np.log(0.001), np.log(10.0))))
    v = s * (v + rng.normal(0.0, 0.3, v.shape)) @ rot + rng.uniform(-1000, 1000, 3) * s
    return Scan(v.astype(np.float32), faces, f"non-face:{kind}")
