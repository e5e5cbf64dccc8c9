"""Multi-start robust similarity ICP of the template face onto a scan.

Finds ``p = s * R @ q + t`` taking template points q (canonical mm) onto the scan's surface. Only the loop is
written here; nearest neighbours come from scipy's cKDTree and each step's similarity is the closed-form weighted
Procrustes solution (Umeyama 1991, through numpy's batched SVD), for every start at once.

1. The scan is thinned on a voxel grid (:data:`RegistrationSettings.scan_points`), isolated points (spurious
   returns) dropped, and its coordinates normalised by a robust centre and spread (medians), so the file's units
   (metres, millimetres, none) and position play no part in the search.
2. Starts: the 24 axis-aligned rotations of the scan's own axes and the 24 of its principal axes (or the one
   preset rotation), each with the template's nose tip put at the scan's front-most point as that rotation sees
   it (over all the scan, then over its upper half: a face crop, a head, head and shoulders), at each size of
   ``starts_scale``.
3. Stages of trimmed ICP: every start with its scale fixed and a few template points; the best ones refined with a
   free scale, more points and the reverse direction too (scan points near the face pull the template out to
   them, so it cannot shrink into a patch); the last stage on the full-resolution scan around the face.
   Each direction keeps the ``keep`` fraction of closest pairs per iteration (hair, neck, shoulders, holes,
   spurious points and an open mouth fall in the rest).
4. The lowest trimmed mean distance (millimetres of the template) wins.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from core.scans.canonical.settings import RegistrationSettings
from core.scans.canonical.template import TemplateFace, voxel_keys, voxel_thin

#: Scan points (template frame) within this radius of the nose tip pull the template in the reverse direction.
REVERSE_RADIUS_MM = 70.0
#: Radius (template mm) around the estimated nose tip of the full-resolution scan used by the last stage.
LOCAL_RADIUS_MM = 110.0
#: Spacing (mm) the full-resolution scan around the face is thinned to for the last stage.
LOCAL_SPACING_MM = 1.2
#: Rotation starts closer than this (degrees) to an earlier one are dropped.
DISTINCT_DEG = 20.0
#: Over-relaxation of the scale steps (see fit_similarity).
SCALE_GAIN = 3.0
#: Points per voxel on the surface when looking for isolated points (see surface_points).
VOXEL_OCCUPANCY = 6.0
#: Largest change of the scale in one step (a factor).
MAX_SCALE_STEP = 1.25
#: Threads of the nearest-neighbour queries (-1: every core).
WORKERS = -1
#: Scan points used for the reverse direction per start.
REVERSE_POINTS = 300


def cube_rotations() -> np.ndarray:
    """(24, 3, 3) the proper rotations among signed permutation matrices."""
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            m[np.arange(3), perm] = signs
            if np.linalg.det(m) > 0:
                out.append(m)
    return np.array(out)


_CUBE = cube_rotations()
#: The 60 rotations of the icosahedral group (no rotation is farther than ~38 degrees from one of them).
_ICOSAHEDRAL = Rotation.create_group("I").as_matrix()


@dataclass(frozen=True, eq=False)
class Registration:
    """The template -> scan similarity ``p = scale * rotation @ q + translation`` (scan units) and its quality.

    cost_mm: the trimmed mean distance the search minimised (mm). n_points: scan points registered against.
    """

    rotation: np.ndarray
    scale: float
    translation: np.ndarray
    cost_mm: float
    n_points: int

    def to_scan(self, q: np.ndarray) -> np.ndarray:
        return self.scale * (np.asarray(q, dtype=np.float64) @ self.rotation.T) + self.translation

    def to_template(self, p: np.ndarray) -> np.ndarray:
        return ((np.asarray(p, dtype=np.float64) - self.translation) @ self.rotation) / self.scale


class RegistrationError(ValueError):
    """The scan cannot be registered at all (too few distinct points); the message says why."""


# ------------------------------------------------------------------------------------------------ scan points
def thin_scan(points: np.ndarray, target: int) -> np.ndarray:
    """About ``target`` points of ``points`` evenly spread (voxel grid whose size adapts to the surface)."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) <= target:
        return p
    lo, hi = np.percentile(p, [2, 98], axis=0)
    extent = float(np.max(hi - lo))
    if extent <= 0:
        return p[:target]
    size = extent / np.sqrt(target)
    idx = np.arange(len(p))
    for _ in range(4):
        idx = voxel_thin(p, size)
        ratio = len(idx) / target
        if 0.7 <= ratio <= 1.3:
            break
        size *= np.sqrt(ratio)
    if len(idx) > 1.3 * target:
        idx = np.sort(np.random.default_rng(0).choice(idx, target, replace=False))
    return p[idx]


def _voxel_counts(points: np.ndarray, size: float) -> np.ndarray:
    """(V,) how many of ``points`` share each point's voxel of side ``size``."""
    _, inverse, counts = np.unique(voxel_keys(points, size), return_inverse=True, return_counts=True)
    return counts[inverse]


def surface_points(points: np.ndarray, target: int, min_neighbours: float) -> np.ndarray:
    """About ``target`` points evenly spread over the scan's surface, without isolated points.

    The full-resolution points are binned on a voxel grid sized so a voxel on the surface holds about
    VOXEL_OCCUPANCY points; points in voxels holding fewer than ``min_neighbours`` times the median occupancy
    (and fewer than 2) float in space (spurious returns, dust) and are dropped; the rest is thinned to ``target``.
    Done before thinning, so heavy thinning cannot make spurious points look like surface."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) >= 8 * VOXEL_OCCUPANCY:
        lo, hi = np.percentile(p, [2, 98], axis=0)
        extent = float(np.max(hi - lo))
        if extent > 0:
            size = extent * np.sqrt(VOXEL_OCCUPANCY / len(p))
            for _ in range(4):
                counts = _voxel_counts(p, size)
                med = float(np.median(counts))
                if 0.6 * VOXEL_OCCUPANCY <= med <= 1.6 * VOXEL_OCCUPANCY:
                    break
                size *= np.sqrt(VOXEL_OCCUPANCY / max(med, 1.0))
            keep = counts >= max(2.0, min_neighbours * med)
            if keep.sum() >= 50:
                p = p[keep]
    return thin_scan(p, target)


def _drop_lonely(x: np.ndarray, tree: cKDTree) -> tuple[np.ndarray, cKDTree]:
    """The thinned cloud without points that have fewer than 4 others within 2.5 point spacings (spurious points
    the voxel filter let through; one of them in front of the face would be taken for the nose tip)."""
    d, _ = tree.query(x, k=2)
    spacing = float(np.median(d[:, 1]))
    if spacing <= 0:
        return x, tree
    counts = tree.query_ball_point(x, 2.5 * spacing, return_length=True)
    keep = counts >= 5
    if keep.sum() < 50 or keep.all():
        return x, tree
    return x[keep], cKDTree(x[keep])


def _proper(m: np.ndarray) -> np.ndarray:
    if np.linalg.det(m) < 0:
        m = m.copy()
        m[:, 2] *= -1
    return m


def _principal_axes(x: np.ndarray) -> np.ndarray:
    """(3, 3) right-handed principal axes (columns, by decreasing variance)."""
    c = x - x.mean(axis=0)
    _, vecs = np.linalg.eigh(c.T @ c)
    return _proper(vecs[:, ::-1])


# ------------------------------------------------------------------------------------------------ the ICP
def fit_similarity(src: np.ndarray, dst: np.ndarray, w: np.ndarray, scale: np.ndarray, free: bool, gain: float = 1.0):
    """Weighted similarity per start: src, dst (K, n, 3), w (K, n) -> R (K, 3, 3), s (K,), t (K, 3).
    free False: ``scale`` kept (a rigid fit). free True: the least-squares scale, its change from ``scale``
    raised to ``gain`` (over-relaxation: a nearest-point ICP moves its scale only a fraction of the way per
    step)."""
    wsum = np.maximum(w.sum(axis=1), 1e-12)
    mu_s = np.einsum("kn,kni->ki", w, src) / wsum[:, None]
    mu_d = np.einsum("kn,kni->ki", w, dst) / wsum[:, None]
    a = src - mu_s[:, None]
    b = dst - mu_d[:, None]
    h = np.einsum("kn,kni,knj->kij", w, a, b)
    u, sv, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("kij,kjl->kil", u, vt)))
    d[d == 0] = 1.0
    corr = np.ones((len(d), 3))
    corr[:, 2] = d
    rot = np.einsum("kji,kj,klj->kil", vt, corr, u)  # V diag U^T
    if free:
        var = np.maximum(np.einsum("kn,kni,kni->k", w, a, a), 1e-18)
        fitted = np.maximum((sv * corr).sum(axis=1) / var, 1e-9)
        step = np.nan_to_num((fitted / scale) ** gain, nan=1.0, posinf=1.0, neginf=1.0)
        scale = scale * np.clip(step, 1.0 / MAX_SCALE_STEP, MAX_SCALE_STEP)
    t = mu_d - scale[:, None] * np.einsum("kij,kj->ki", rot, mu_s)
    return rot, scale, t


def _trim(d: np.ndarray, keep: float, valid: np.ndarray | None = None) -> np.ndarray:
    """(K, n) weights: 1 for the ``keep`` fraction of smallest distances per row (among ``valid``)."""
    if valid is None:
        thr = np.quantile(d, keep, axis=1)
        return (d <= thr[:, None]).astype(np.float64)
    masked = np.where(valid, d, np.nan)
    thr = np.full(len(d), np.nan)
    rows = valid.any(axis=1)
    if rows.any():
        thr[rows] = np.nanquantile(masked[rows], keep, axis=1)
    thr = np.nan_to_num(thr, nan=-1.0)
    return (valid & (d <= thr[:, None])).astype(np.float64)


def _icp(template: TemplateFace, q: np.ndarray, x: np.ndarray, tree: cKDTree, rot: np.ndarray, scale: np.ndarray,
         t: np.ndarray, iterations: int, keep: float, free: bool, reverse: np.ndarray | None,
         keep_reverse: float = 0.95):
    """Run trimmed ICP from every start; returns (rot, scale, t, cost_mm (K,))."""
    k = len(rot)
    cost = np.full(k, np.inf)
    broken = np.zeros(k, dtype=bool)
    for it in range(iterations + 1):
        # a start whose fit degenerated (a scan with nothing face-like can drive the scale to 0 or infinity) is
        # parked at a harmless pose and ranked last
        broken |= ~(np.isfinite(scale) & (scale > 0) & np.isfinite(t).all(axis=1) & np.isfinite(rot).all(axis=(1, 2)))
        if broken.any():
            rot, scale, t = rot.copy(), scale.copy(), t.copy()
            rot[broken], scale[broken], t[broken] = np.eye(3), 1.0, 0.0
        y = scale[:, None, None] * np.einsum("kij,nj->kni", rot, q) + t[:, None, :]
        d, idx = tree.query(y.reshape(-1, 3), workers=WORKERS)
        idx = np.minimum(idx, len(x) - 1)  # cKDTree answers n for a point it cannot place
        d = d.reshape(k, -1)
        dst = x[idx].reshape(k, -1, 3)
        w = _trim(d, keep)
        src = np.broadcast_to(q, dst.shape)
        cost = (w * d).sum(axis=1) / np.maximum(w.sum(axis=1), 1) / scale
        cost = np.where(np.isfinite(cost), cost, np.inf)
        if reverse is not None:
            z = np.einsum("kji,knj->kni", rot, reverse[None] - t[:, None, :]) / scale[:, None, None]
            near = np.linalg.norm(z, axis=2) <= REVERSE_RADIUS_MM
            dz, iz = template.tree.query(np.nan_to_num(z.reshape(-1, 3), nan=1e9, posinf=1e9, neginf=-1e9),
                                         workers=WORKERS)
            iz = np.minimum(iz, len(template.points) - 1)
            dz = dz.reshape(k, -1)
            wz = _trim(dz, keep_reverse, near)
            n_near = np.maximum(wz.sum(axis=1), 1)
            cost = 0.5 * cost + 0.5 * (wz * dz).sum(axis=1) / n_near
            cost = np.where(near.sum(axis=1) < 0.1 * len(q), np.inf, cost)
            src = np.concatenate([src, template.points[iz].reshape(k, -1, 3)], axis=1)
            dst = np.concatenate([dst, np.broadcast_to(reverse, (k, *reverse.shape))], axis=1)
            # the reverse pairs weigh as much in total as the forward ones
            w = np.concatenate([w, wz * (w.sum(axis=1) / n_near)[:, None]], axis=1)
        cost = np.where(broken, np.inf, cost)
        if it == iterations:
            break
        rot, scale, t = fit_similarity(src, dst, w, scale, free, SCALE_GAIN)
    return rot, scale, t, cost


def _distinct(rotations: np.ndarray, degrees: float) -> np.ndarray:
    """The rotations without those within ``degrees`` of an earlier one."""
    limit = 1.0 + 2.0 * np.cos(np.radians(degrees))  # trace(A^T B) above this: closer than ``degrees``
    kept: list[np.ndarray] = []
    for r in rotations:
        if all(np.trace(k.T @ r) < limit for k in kept):
            kept.append(r)
    return np.array(kept)


def _starts(x: np.ndarray, template: TemplateFace, settings: RegistrationSettings,
            preset: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rot (K, 3, 3), scale (K,), t (K, 3)) of every start, in normalised scan coordinates."""
    if preset is not None:
        rotations = np.asarray(preset, dtype=np.float64).T[None]  # the preset maps scan -> canonical
    else:
        pca = _principal_axes(x) @ _CUBE @ _principal_axes(template.points).T
        rotations = _distinct(np.concatenate([_CUBE, pca, _ICOSAHEDRAL]), DISTINCT_DEG)
    rots, scales, ts = [], [], []
    spread = float(np.median(np.linalg.norm(x - np.median(x, axis=0), axis=1)))
    for r in rotations:
        forward, up = x @ r[:, 2], x @ r[:, 1]
        anchors = {int(np.argmax(forward))}
        upper = up >= np.median(up)
        if upper.any():
            anchors.add(int(np.flatnonzero(upper)[np.argmax(forward[upper])]))
        for a in sorted(anchors):
            for ratio in settings.starts_scale:
                s = spread / (ratio * template.spread)
                rots.append(r)
                scales.append(s)
                ts.append(x[a])  # the template's nose tip (its origin) on the anchor
    return np.array(rots), np.array(scales), np.array(ts)


def _expand(step: float, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each start three times, its scale times (1 - step, 1, 1 + step) (step 0: unchanged)."""
    if step <= 0:
        return arrays
    rot, scale, t = (np.repeat(a, 3, axis=0) for a in arrays)
    return rot, scale * np.tile([1.0 - step, 1.0, 1.0 + step], len(arrays[0])), t


def register(points: np.ndarray, template: TemplateFace, settings: RegistrationSettings | None = None,
             preset: np.ndarray | None = None) -> Registration:
    """Register ``template`` onto the scan ``points`` (V, 3) in any units and pose.

    preset: a rotation (3, 3) taking the scan's frame to the canonical one (from core.scans.ORIENTATIONS): the
    rotation search is skipped (the fit still refines it). RegistrationError when the scan has too few distinct
    points to register.
    """
    settings = settings or RegistrationSettings()
    full = np.asarray(points, dtype=np.float64)
    pts = surface_points(full, settings.scan_points, settings.min_neighbours)
    if len(pts) < 50:
        raise RegistrationError(f"too few points to find a face ({len(full)} points, {len(pts)} after thinning)")
    centre = np.median(pts, axis=0)
    spread = float(np.median(np.linalg.norm(pts - centre, axis=1)))
    if not spread > 1e-12 * max(1.0, float(np.abs(centre).max())):
        raise RegistrationError("the points have no extent (all at one place)")
    x = (pts - centre) / spread
    tree = cKDTree(x)
    x, tree = _drop_lonely(x, tree)
    rot, scale, t = _starts(x, template, settings, preset)
    rng = np.random.default_rng(1)
    reverse = x[np.sort(rng.choice(len(x), min(REVERSE_POINTS, len(x)), replace=False))]
    keep = settings.keep
    stages = settings.stages
    global_stages = stages[:-1] if len(stages) > 1 else stages
    for i, (n_points, iterations, kept, step) in enumerate(global_stages):
        q = template.subsample(n_points)
        rot, scale, t = _expand(step, rot, scale, t)
        if i == 0 and len(rot) > settings.prescreen:
            # score the starting poses as they are; only the most promising are iterated
            *_, cost = _icp(template, q, x, tree, rot, scale, t, 0, keep, False, None)
            best = np.argsort(cost, kind="stable")[: settings.prescreen]
            rot, scale, t = rot[best], scale[best], t[best]
        free = i > 0
        rot, scale, t, cost = _icp(template, q, x, tree, rot, scale, t, iterations, keep, free,
                                   reverse if free else None)
        best = np.argsort(cost, kind="stable")[:kept]
        rot, scale, t, cost = rot[best], scale[best], t[best], cost[best]
    # back to the scan's units
    scale = scale * spread
    t = centre + spread * t
    n_used = len(pts)
    if len(stages) > 1:
        n_points, iterations, kept, step = stages[-1]
        local, rev = _local_points(full, rot[0], scale[0], t[0])
        if len(local) >= 50:
            # normalise the local cloud again (about template millimetres) so the numbers stay well scaled
            c2 = local.mean(axis=0)
            s2 = float(scale[0])
            rot, sc, tl = _expand(step, rot, scale / s2, (t - c2) / s2)
            xl = (local - c2) / s2
            rot, sc, tl, cost = _icp(template, template.subsample(n_points), xl, cKDTree(xl), rot, sc, tl,
                                     iterations, keep, True, (rev - c2) / s2)
            best = np.argsort(cost, kind="stable")[:kept]
            rot, scale, t, cost = rot[best], sc[best] * s2, c2 + s2 * tl[best], cost[best]
            n_used = len(local)
    return Registration(rot[0], float(scale[0]), t[0], float(cost[0]), n_used)


def _local_points(full: np.ndarray, rot: np.ndarray, scale: float, t: np.ndarray):
    """The full-resolution scan around the estimated face, thinned to LOCAL_SPACING_MM; (points, reverse subset).
    Spurious points left here fall in the trimmed fraction."""
    z = ((full - t) @ rot) / scale
    near = full[np.einsum("ij,ij->i", z, z) <= LOCAL_RADIUS_MM**2]
    if len(near) == 0:
        return near, near
    near = near[voxel_thin(near, LOCAL_SPACING_MM * scale)]
    rng = np.random.default_rng(2)
    rev = near[np.sort(rng.choice(len(near), min(REVERSE_POINTS, len(near)), replace=False))]
    return near, rev
