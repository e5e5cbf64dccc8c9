from __future__ import annotations

import numpy as np
import pytest
import trimesh

from core.render.geometry import (
    MeshTopology,
    mesh_geometry,
    mesh_mean_curvature,
    mesh_topology,
    mesh_vertex_normals,
    point_cloud_geometry,
)


def _sphere(radius=0.5):
    m = trimesh.creation.icosphere(subdivisions=3, radius=radius)
    return np.asarray(m.vertices), np.asarray(m.faces)


def _cap(upper=True, radius=0.5):
    v, f = _sphere(radius)
    centre_z = v[f].mean(axis=1)[:, 2]
    keep = f[centre_z > 0] if upper else f[centre_z < 0]
    used = np.unique(keep)
    remap = np.full(len(v), -1)
    remap[used] = np.arange(len(used))
    return v[used], remap[keep]


@pytest.mark.parametrize("flip", [False, True])
def test_closed_sphere_normals_point_outward_and_curvature_is_one_over_radius(flip):
    v, f = _sphere(0.5)
    if flip:
        f = f[:, ::-1]
    normals, h = mesh_geometry(v + [0.0, 0.0, 3.0], f)
    assert np.einsum("ij,ij->i", normals, v / 0.5).min() > 0.99
    assert h.mean() == pytest.approx(2.0, rel=0.01)
    assert h.std() < 0.05


@pytest.mark.parametrize("flip", [False, True])
def test_open_surfaces_face_the_camera_and_carry_the_curvature_sign(flip):
    dome_v, dome_f = _cap(upper=True)
    bowl_v, bowl_f = _cap(upper=False)
    if flip:
        dome_f, bowl_f = dome_f[:, ::-1], bowl_f[:, ::-1]
    dome_n, dome_h = mesh_geometry(dome_v, dome_f)
    bowl_n, bowl_h = mesh_geometry(bowl_v, bowl_f)
    assert np.median(dome_n[:, 2]) > 0.4 and np.median(bowl_n[:, 2]) > 0.4
    # boundary vertices take their neighbours' value, so the whole field stays at +-1/R
    assert np.allclose(dome_h, 2.0, atol=0.1)
    assert np.allclose(bowl_h, -2.0, atol=0.1)
    assert np.allclose(mesh_vertex_normals(dome_v, dome_f), dome_n)
    assert np.allclose(mesh_mean_curvature(bowl_v, bowl_f), bowl_h)


def test_plane_has_zero_curvature():
    x, y = np.meshgrid(np.linspace(-1, 1, 9), np.linspace(-1, 1, 9))
    v = np.stack([x.ravel(), y.ravel(), 0.3 * x.ravel()], axis=1)
    tri = []
    for j in range(8):
        for i in range(8):
            a = j * 9 + i
            tri += [[a, a + 1, a + 10], [a, a + 10, a + 9]]
    normals, h = mesh_geometry(v, np.array(tri))
    assert np.abs(h).max() < 1e-9
    expected = np.array([-0.3, 0.0, 1.0]) / np.linalg.norm([-0.3, 0.0, 1.0])
    assert np.allclose(normals, expected)


def test_topology_boundary_and_reuse():
    v, f = _cap(upper=True)
    topo = MeshTopology(f, len(v))
    # the cap's rim: vertices with z close to 0 are on the boundary, the top is not
    assert topo.boundary[np.argmax(v[:, 2])] == np.False_
    assert topo.boundary.sum() > 10
    assert np.all(topo.drawn)
    assert mesh_topology(f, len(v)) is mesh_topology(f.copy(), len(v))  # same triangles: reused
    assert mesh_topology(f[:-1], len(v)) is not topo


def test_unused_vertices_are_not_drawn_and_get_a_default_normal():
    v, f = _cap(upper=True)
    v2 = np.vstack([v, [[5.0, 5.0, 5.0]]])
    topo = MeshTopology(f, len(v2))
    assert not topo.drawn[-1]
    normals, h = mesh_geometry(v2, f, topo)
    assert np.allclose(normals[-1], [0, 0, 1]) and h[-1] == 0.0


def test_point_cloud_normals_curvature_and_spacing():
    v, _ = _sphere(0.5)
    cap = v[v[:, 2] > 0.05]
    normals, h, spacing = point_cloud_geometry(cap)
    assert np.all(normals[:, 2] >= 0)
    assert np.einsum("ij,ij->i", normals, cap / 0.5)[cap[:, 2] > 0.25].min() > 0.95
    inner = cap[:, 2] > 0.3  # away from the rim, where neighbourhoods are one-sided
    assert np.median(h[inner]) == pytest.approx(2.0, rel=0.1)
    nn = np.linalg.norm(cap[:, None] - cap[None], axis=-1)
    np.fill_diagonal(nn, np.inf)
    assert spacing == pytest.approx(np.percentile(nn.min(axis=1), 90), rel=1e-6)


def test_tiny_point_clouds():
    normals, h, spacing = point_cloud_geometry(np.array([[0.0, 0.0, 0.0], [0.0, 0.3, 0.4]]))
    assert normals.shape == (2, 3) and np.all(h == 0) and spacing == pytest.approx(0.5)
    normals, h, spacing = point_cloud_geometry(np.zeros((1, 3)))
    assert normals.shape == (1, 3) and spacing == 0.0
