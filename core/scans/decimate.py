"""Capping a scan's size (:class:`core.scans.limits.ScanLimits`): dense meshes decimated, dense point clouds thinned.

Meshes: vertex clustering in numpy (linear in the size, memory a few arrays of the mesh's length; quadric edge
collapse took 70-100 s and up to 4 GB on 2.6 million vertices, and VTK's ``vtkBinnedDecimation`` allocates its
whole 3D grid of bins: 2.2 GB for a 264,000-vertex face). The vertices are binned on a regular grid of cubes, each occupied cube becomes one vertex at the average of its points, and a
triangle is kept when its corners fall in three different cubes. The cube side is the smallest found whose grid
has at most the allowed number of occupied cubes. Clustering leaves a few duplicate triangles and slivers (a
triangle whose corners lie nearly on a line), which would make the curvature channel speckled; both are dropped
(their area is nil, so nothing visible goes). Point clouds: one point per occupied cube (the first in file order).

A 4D sequence whose frames share one triangle list (a ``.npz`` (T, V, 3)) is decimated once, on its first frame's
positions: every frame gets the same triangles, each cube's vertex being the average of the same points in that
frame so the correspondence between frames stays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.scans.limits import ScanLimits
from core.scans.types import Scan

#: A triangle with |cross product| / (longest edge)^2 at or below this is a sliver (equilateral: 0.866).
SLIVER_RATIO = 0.05
#: Spacing refinements tried when looking for the cube side.
SPACING_TRIES = 8
#: The cube side is accepted once its grid holds at least this fraction of the allowed count.
FILL = 0.9


def cap_scan(scan: Scan, limits: ScanLimits) -> Scan:
    """``scan`` itself when it is within ``limits``, else its decimated (mesh) or thinned (point cloud) copy."""
    return cap_frames([scan], limits)[0]


def cap_frames(frames: Sequence[Scan], limits: ScanLimits) -> list[Scan]:
    """Frames with one topology (same vertex count and triangles: a .npz sequence) capped alike, on the first
    frame's positions; frames within ``limits`` come back as they are."""
    frames = list(frames)
    first = frames[0]
    n = first.n_vertices
    if any(f.n_vertices != n for f in frames):
        raise ValueError("frames capped together must have the same number of vertices")
    if first.is_point_cloud:
        if limits.max_points is None or n <= limits.max_points:
            return frames
        keep = thin_points(first.vertices, limits.max_points)
        return [Scan(f.vertices[keep], None, f.source, decimated_from=(n, 0)) for f in frames]
    n_faces = len(first.faces)
    max_v = limits.max_vertices if limits.max_vertices is not None else math.inf
    max_f = limits.max_faces if limits.max_faces is not None else math.inf
    if n <= max_v and n_faces <= max_f:
        return frames
    positions, faces = decimate_mesh([f.vertices for f in frames], first.faces, max_v, max_f)
    if len(faces) == 0:  # only degenerate triangles: what is left of the surface is its points
        keep = thin_points(first.vertices, int(min(max_v, n)))
        return [Scan(f.vertices[keep], None, f.source, decimated_from=(n, n_faces)) for f in frames]
    return [Scan(v, faces, f.source, decimated_from=(n, n_faces)) for v, f in zip(positions, frames)]


def thin_points(points: np.ndarray, max_points: int) -> np.ndarray:
    """Sorted indices of at most ``max_points`` points: one per occupied cube of the grid found by
    :func:`grid_spacing` (the first point of each cube in input order)."""
    lo = points.min(axis=0)
    h = grid_spacing(points, max_points)
    _, first = np.unique(_cube_keys(points, lo, h), return_index=True)
    return np.sort(first)


def grid_spacing(points: np.ndarray, target: int) -> float:
    """A cube side whose grid (from the points' lower corner) has at most ``target`` occupied cubes, near the
    smallest such side (at least FILL * target cubes when the search finds it in SPACING_TRIES steps)."""
    lo = points.min(axis=0)
    extent = float(np.max(points.max(axis=0) - lo))
    if extent <= 0.0:
        return 1.0  # every point in one cube
    h = extent / math.sqrt(target)  # a flat square patch of side `extent` would fill `target` cubes
    best = math.inf
    for _ in range(SPACING_TRIES):
        n = _occupied(points, lo, h)
        if n <= target:
            best = min(best, h)
            if n >= FILL * target:
                break
        h *= math.sqrt(n / (0.97 * target))  # a surface's occupied cubes scale with 1 / h^2
    while best == math.inf:  # the search ended above the target: coarsen until it fits
        h *= 1.5
        if _occupied(points, lo, h) <= target:
            best = h
    return best


def decimate_mesh(frames: Sequence[np.ndarray], faces: np.ndarray, max_vertices: float,
                  max_faces: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Vertex clustering of a triangle mesh to at most ``max_vertices`` vertices and ``max_faces`` triangles.

    frames: the (V, 3) positions of each frame (the first one is binned); faces (F, 3). Returns each frame's new
    (V', 3) float32 positions and the shared (F', 3) int64 triangles (duplicates and slivers dropped, every
    vertex used)."""
    first = np.asarray(frames[0])
    target = int(min(max_vertices, max_faces // 2, len(first)))
    h = grid_spacing(first, max(target, 1))
    lo = first.min(axis=0).astype(np.float64)
    for _ in range(SPACING_TRIES):
        positions, out_faces = _binned(frames, faces, lo, h)
        out_faces = _clean(positions[0], out_faces)
        positions, out_faces = _compact(positions, out_faces)
        over = max(len(positions[0]) / max_vertices, len(out_faces) / max_faces)
        if over <= 1.0:
            return positions, out_faces
        h *= math.sqrt(over) * 1.02
    raise ValueError(f"the mesh could not be decimated below {max_vertices} vertices and {max_faces} triangles")


def _cube_keys(points: np.ndarray, lo: np.ndarray, h: float) -> np.ndarray:
    """(V,) int64 id of each point's cube (equal ids: same cube); one axis at a time, so the temporaries are
    (V,) arrays, not (V, 3) ones."""
    keys = np.zeros(len(points), dtype=np.int64)
    for k in range(3):
        cell = np.floor((points[:, k] - lo[k]) / h).astype(np.int64)
        keys *= int(cell.max()) + 1
        keys += cell
    return keys


def _occupied(points: np.ndarray, lo: np.ndarray, h: float) -> int:
    return int(len(np.unique(_cube_keys(points, lo, h))))


def _binned(frames: Sequence[np.ndarray], faces: np.ndarray, lo: np.ndarray,
            h: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Vertex clustering on the grid of cubes of side ``h`` from ``lo`` (the first frame's positions binned): each
    occupied cube one vertex at the average of its points, in every frame alike; a triangle kept, corners in their
    order, when they fall in three different cubes. Memory linear in the mesh: VTK's vtkBinnedDecimation, used before,
    allocates its whole 3D grid of bins (2.2 GB and 5.6 s for a 264,000-vertex face capped to 200,000 vertices)."""
    _, inverse = np.unique(_cube_keys(np.asarray(frames[0]), lo, h), return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse).astype(np.float64)
    positions = []
    for frame in frames:
        frame = np.asarray(frame)
        out = np.empty((len(counts), 3), dtype=np.float32)
        for k in range(3):  # one axis at a time: (V,) temporaries
            out[:, k] = np.bincount(inverse, weights=frame[:, k].astype(np.float64), minlength=len(counts)) / counts
        positions.append(out)
    tri = inverse[np.asarray(faces, dtype=np.int64)]
    keep = (tri[:, 0] != tri[:, 1]) & (tri[:, 1] != tri[:, 2]) & (tri[:, 0] != tri[:, 2])
    return positions, tri[keep]


def _clean(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """``faces`` without repeats (the same three vertices in any order; the first kept) and slivers."""
    if len(faces) == 0:
        return faces
    _, first = np.unique(np.sort(faces, axis=1), axis=0, return_index=True)
    faces = faces[np.sort(first)]
    p = vertices.astype(np.float64)
    a, b, c = p[faces[:, 0]], p[faces[:, 1]], p[faces[:, 2]]
    cross = np.linalg.norm(np.cross(b - a, c - a), axis=1)
    longest = np.maximum(np.maximum(((b - a) ** 2).sum(1), ((c - b) ** 2).sum(1)), ((a - c) ** 2).sum(1))
    return faces[cross > SLIVER_RATIO * longest]


def _compact(positions: list[np.ndarray], faces: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Drop the vertices no triangle uses; faces re-indexed."""
    used = np.unique(faces)
    if len(used) == len(positions[0]):
        return positions, faces
    index = np.full(len(positions[0]), -1, dtype=np.int64)
    index[used] = np.arange(len(used))
    return [p[used] for p in positions], index[faces]


__all__ = ["SLIVER_RATIO", "cap_frames", "cap_scan", "decimate_mesh", "grid_spacing", "thin_points"]
