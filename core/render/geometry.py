"""Per-vertex geometry for the renderer: unit normals and signed mean curvature, for meshes and point clouds.

Conventions (shared with :mod:`core.render.views`):

* Inputs are normalised scans (bbox-centred, largest extent 1, face looking along +z, +y up), so
  curvature is in units of 1 / (largest extent of the scan).
* Normals are unit length and point outward: for meshes the triangle winding decides, and the whole
  field is flipped when it points mostly inward (an open face surface then faces +z, the frontal
  camera); for point clouds each normal is flipped individually so that ``n_z >= 0``.
* Mean curvature ``H`` is signed: positive where the surface bulges toward its normal (the nose tip),
  negative in concave places (the eye sockets), 0 on a plane. A sphere of radius R gives ``H = 1/R``.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

#: Neighbours (the point itself included) used for point-cloud normals and curvature.
POINT_CLOUD_NEIGHBOURS = 12
#: Percentile of the nearest-neighbour distances reported as a point cloud's spacing: high enough that
#: splats close the gaps of unevenly sampled clouds, equal to the median on an even grid.
SPACING_PERCENTILE = 90.0

_EPS = 1e-12
# Cotangents are clamped to this magnitude so near-degenerate triangles cannot blow up the Laplacian.
_COT_LIMIT = 1e3


def _normalise_rows(vectors: np.ndarray, fallback=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Rows scaled to unit length; zero rows become ``fallback``."""
    norms = np.linalg.norm(vectors, axis=1)
    out = np.empty_like(vectors)
    ok = norms > _EPS
    out[ok] = vectors[ok] / norms[ok, None]
    out[~ok] = fallback
    return out


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross products of (3, N) column vectors -> (3, N)."""
    return np.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products of (3, N) column vectors -> (N,)."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit_columns(vectors: np.ndarray) -> np.ndarray:
    """(3, N) vectors -> (N, 3) unit rows; zero vectors become (0, 0, 1)."""
    norms = np.sqrt(_dot(vectors, vectors))
    ok = norms > _EPS
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=ok)
    out = (vectors * inv).T.copy()
    out[~ok] = (0.0, 0.0, 1.0)
    return out


class MeshTopology:
    """Connectivity-only operators of a triangle mesh, built once and reused by every frame (or call)
    that has the same triangles.

    faces (F, 3) int64 over ``n_vertices`` vertices. Holds sparse operators: ``incidence`` (V, F) sums
    per-face values into their three corners; ``edge_op`` (V, 3F) sums per-half-edge vectors ``d`` as
    ``+d`` into the edge's first vertex and ``-d`` into its second; ``adjacency`` (V, V) binary 1-ring with
    self loops; ``corners`` the three (F,) corner index arrays. ``boundary`` (V,) bool: vertices on an edge used by exactly one triangle. ``drawn`` (V,)
    bool: vertices used by some triangle.
    """

    def __init__(self, faces: np.ndarray, n_vertices: int):
        f = np.ascontiguousarray(faces, dtype=np.int64)
        n, nf = int(n_vertices), len(f)
        self.faces = f
        self.n_vertices = n
        self.corners = tuple(np.ascontiguousarray(f[:, c]) for c in range(3))
        self.incidence = sparse.csr_matrix(
            (np.ones(3 * nf), (f.ravel(), np.repeat(np.arange(nf), 3))), shape=(n, nf)
        )
        # half-edge opposite corner c of each face: (f[c+1], f[c+2]), stacked corner by corner
        a = np.concatenate([f[:, 1], f[:, 2], f[:, 0]])
        b = np.concatenate([f[:, 2], f[:, 0], f[:, 1]])
        cols = np.arange(3 * nf)
        self.edge_op = sparse.csr_matrix(
            (np.concatenate([np.ones(3 * nf), -np.ones(3 * nf)]), (np.concatenate([a, b]), np.concatenate([cols, cols]))),
            shape=(n, 3 * nf),
        )
        adj = sparse.csr_matrix((np.ones(6 * nf), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n))
        adj.sum_duplicates()
        adj.data[:] = 1.0  # an interior edge is listed by both its triangles; count it once
        self.adjacency = (adj + sparse.identity(n, format="csr")).tocsr()
        keys = np.minimum(a, b) * np.int64(n) + np.maximum(a, b)
        uniq, counts = np.unique(keys, return_counts=True)
        single = uniq[counts == 1]
        self.boundary = np.zeros(n, dtype=bool)
        self.boundary[single // n] = True
        self.boundary[single % n] = True
        self.drawn = np.bincount(f.ravel(), minlength=n) > 0

    def matches(self, faces: np.ndarray, n_vertices: int) -> bool:
        """Whether these are the same triangles over the same number of vertices."""
        return (
            n_vertices == self.n_vertices
            and faces.shape == self.faces.shape
            and np.array_equal(faces, self.faces)
        )


_topology_cache = threading.local()


def mesh_topology(faces: np.ndarray, n_vertices: int) -> MeshTopology:
    """The :class:`MeshTopology` of ``faces``; the last one built in this thread is reused when the
    triangles are the same (frames of a sequence with fixed connectivity, repeated renders of a scan)."""
    f = np.asarray(faces, dtype=np.int64)
    last = getattr(_topology_cache, "last", None)
    if last is not None and last.matches(f, n_vertices):
        return last
    topo = MeshTopology(f, n_vertices)
    _topology_cache.last = topo
    return topo


def _face_frame(vertices: np.ndarray, topo: MeshTopology):
    """Corner positions and face normals in (3, F) column form, plus the outward sign (+1 or -1).

    Outward: the flux of the face normals away from a point ``p`` one scan extent behind the bbox centre
    (``sum_f n_f . (c_f - p)``, c_f the face centroids) is positive. For an open face surface it is
    dominated by the projected area toward +z, for a closed surface it is 3x the enclosed volume, so both
    come out facing the camera / outward.
    """
    vt = np.ascontiguousarray(np.asarray(vertices, dtype=np.float64).T)  # (3, V)
    p0, p1, p2 = (np.take(vt, corner, axis=1) for corner in topo.corners)
    face_n = _cross(p1 - p0, p2 - p0)  # (3, F), length = 2 * area
    lo = np.array([vt[k].min() for k in range(3)])
    hi = np.array([vt[k].max() for k in range(3)])
    behind = 0.5 * (lo + hi) - np.array([0.0, 0.0, float(np.max(hi - lo))])
    # plain numpy reductions: BLAS dot products of this size can stall on thread start-up under load
    flux = float((face_n * (p0 + p1 + p2)).sum()) / 3.0 - sum(float(face_n[k].sum()) * behind[k] for k in range(3))
    return (p0, p1, p2), face_n, (1.0 if flux >= 0 else -1.0)


def _vertex_normals(topo: MeshTopology, face_n: np.ndarray, sign: float) -> np.ndarray:
    acc = (topo.incidence @ face_n.T).T  # (3, V)
    return _unit_columns(-acc if sign < 0 else acc)


def mesh_vertex_normals(vertices: np.ndarray, faces: np.ndarray, topology: MeshTopology | None = None) -> np.ndarray:
    """Area-weighted vertex normals of a triangle mesh.

    vertices (V, 3) float, faces (F, 3) int -> (V, 3) float64 unit normals, oriented by the triangle
    winding and flipped as a whole so that they point outward (toward +z for an open face surface, away
    from the inside for a closed one). Vertices used by no triangle get (0, 0, 1).
    """
    topo = topology if topology is not None else mesh_topology(faces, len(vertices))
    _, face_n, sign = _face_frame(vertices, topo)
    return _vertex_normals(topo, face_n, sign)


def mesh_geometry(vertices: np.ndarray, faces: np.ndarray,
                  topology: MeshTopology | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unit vertex normals (V, 3) and signed mean curvature (V,) of a triangle mesh, both float64.

    Normals as :func:`mesh_vertex_normals`. Curvature from the cotangent Laplacian:
    ``K_i = 1/(2 A_i) * sum_j (cot a_ij + cot b_ij) (x_i - x_j)`` is the mean-curvature normal (A_i: one
    third of the incident triangle areas) and ``H_i = K_i . n_i / 2``. Boundary vertices, where the
    estimate is meaningless, take the mean of their interior neighbours, and the field is then averaged
    once over each vertex's 1-ring (itself included) to tame scanner noise. H is in 1/length units of
    ``vertices``. Computed in column form ((3, N) arrays), which numpy handles much faster than (N, 3).
    """
    n = len(vertices)
    topo = topology if topology is not None else mesh_topology(faces, n)
    (p0, p1, p2), face_n, sign = _face_frame(vertices, topo)
    double_area = np.sqrt(_dot(face_n, face_n))
    # one sparse product sums the face normals and a third of the face areas into the vertices
    summed = topo.incidence @ np.column_stack([face_n.T, double_area / 6.0])  # (V, 4)
    normals = _unit_columns((summed[:, :3] * sign).T)
    area = summed[:, 3]
    e0, e1, e2 = p2 - p1, p0 - p2, p1 - p0  # edge opposite corner 0, 1, 2
    inv = 1.0 / np.maximum(double_area, _EPS)
    cot0 = np.clip(-_dot(e2, e1) * inv, -_COT_LIMIT, _COT_LIMIT)  # angle at corner 0
    cot1 = np.clip(-_dot(e0, e2) * inv, -_COT_LIMIT, _COT_LIMIT)
    cot2 = np.clip(-_dot(e1, e0) * inv, -_COT_LIMIT, _COT_LIMIT)
    # half-edge (a, b) opposite corner c carries cot_c * (x_a - x_b), and x_a - x_b = -e_c
    d = -np.concatenate([e0 * cot0, e1 * cot1, e2 * cot2], axis=1)  # (3, 3F)
    lap = topo.edge_op @ np.ascontiguousarray(d.T)  # (V, 3)
    ok = area > _EPS
    h = np.zeros(n)
    k_dot_n = lap[:, 0] * normals[:, 0] + lap[:, 1] * normals[:, 1] + lap[:, 2] * normals[:, 2]
    np.divide(0.25 * k_dot_n, area, out=h, where=ok)  # H = (lap / 2A) . n / 2
    valid = ok & ~topo.boundary
    sums = topo.adjacency @ np.column_stack([np.where(valid, h, 0.0), valid.astype(np.float64)])  # (V, 2)
    smooth = np.zeros(n)
    np.divide(sums[:, 0], sums[:, 1], out=smooth, where=sums[:, 1] > 0)
    return normals, smooth


def mesh_mean_curvature(vertices: np.ndarray, faces: np.ndarray, topology: MeshTopology | None = None) -> np.ndarray:
    """Signed mean curvature (V,) float64 of a triangle mesh; see :func:`mesh_geometry`."""
    return mesh_geometry(vertices, faces, topology)[1]


def point_cloud_geometry(points: np.ndarray, k: int = POINT_CLOUD_NEIGHBOURS) -> tuple[np.ndarray, np.ndarray, float]:
    """Normals, signed mean-curvature estimate and typical spacing of a point cloud.

    Normals: PCA of the ``k`` nearest neighbours (the smallest-variance direction), each flipped toward +z.
    Curvature: for a surface ``z = -(k1 x^2 + k2 y^2)/2`` sampled evenly around a point ``p``, the
    neighbours' centroid ``c`` lies ``H * mean(r^2) / 2`` below ``p`` along the normal, so
    ``H = 2 (p - c) . n / mean(r^2)`` (r: tangential distances), the same signed quantity as
    :func:`mesh_mean_curvature`. Spacing: the ``SPACING_PERCENTILE`` (90th) percentile of the
    nearest-neighbour distances.

    points (N, 3) -> (normals (N, 3) float64, H (N,) float64, spacing float). Fewer than 3 points give
    normals (0, 0, 1), zero curvature and spacing 0 (or the single distance).
    """
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    if n < 3:
        spacing = float(np.linalg.norm(p[1] - p[0])) if n == 2 else 0.0
        return np.tile([0.0, 0.0, 1.0], (n, 1)), np.zeros(n), spacing
    k = int(min(max(k, 3), n))
    tree = cKDTree(p)
    dist, idx = tree.query(p, k=k)
    spacing = float(np.percentile(dist[:, 1], SPACING_PERCENTILE))
    nbrs = p[idx[:, 1:]]  # (N, k-1, 3), self excluded
    centroid = nbrs.mean(axis=1)
    centred = nbrs - centroid[:, None, :]
    cov = np.einsum("nki,nkj->nij", centred, centred)
    _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues
    normals = vecs[:, :, 0]
    normals = np.where(normals[:, 2:3] < 0, -normals, normals)
    normals = _normalise_rows(normals)
    rel = nbrs - p[:, None, :]
    along = np.einsum("nki,ni->nk", rel, normals)
    r2 = np.maximum(np.einsum("nki,nki->nk", rel, rel) - along**2, 0.0).mean(axis=1)
    h = np.zeros(n)
    offset = np.einsum("ni,ni->n", p - centroid, normals)
    np.divide(2.0 * offset, r2, out=h, where=r2 > _EPS)
    return normals, h, spacing
