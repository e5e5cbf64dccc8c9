"""trimesh formats (OBJ/PLY/STL/OFF), .xyz and .npy point clouds, and their malformed variants."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import trimesh

from core.scans import ScanError, load


@pytest.mark.parametrize("ext", [".obj", ".ply", ".off"])
def test_indexed_formats_keep_vertex_order_and_faces(tmp_path, mesh, ext):
    vertices, faces = mesh
    path = tmp_path / f"face{ext}"
    trimesh.Trimesh(vertices, faces, process=False).export(path)
    scan = load(path)
    assert scan.source == str(path)
    np.testing.assert_allclose(scan.vertices, vertices, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(scan.faces, faces)


def test_stl_triangle_soup_is_merged_back_to_an_indexed_mesh(tmp_path, mesh):
    vertices, faces = mesh
    path = tmp_path / "face.stl"
    trimesh.Trimesh(vertices, faces, process=False).export(path)
    scan = load(path)
    assert scan.n_vertices == len(vertices) and len(scan.faces) == len(faces)
    np.testing.assert_array_equal(scan.vertices[scan.faces], vertices[faces])  # same triangles, same corners
    first_use = list(dict.fromkeys(faces.ravel().tolist()))  # vertices in order of first use in the soup
    np.testing.assert_array_equal(scan.vertices, vertices[first_use])


def test_ascii_stl_written_by_hand(tmp_path):
    path = tmp_path / "tri.STL"
    path.write_text(
        "solid t\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n"
        "  endloop\n endfacet\n facet normal 0 0 1\n  outer loop\n   vertex 1 0 0\n   vertex 1 1 0\n"
        "   vertex 0 1 0\n  endloop\n endfacet\nendsolid t\n"
    )
    scan = load(path)
    np.testing.assert_array_equal(scan.vertices, [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [1, 3, 2]])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # trimesh's texture code, about the missing material
def test_obj_quads_are_triangulated_and_texture_indices_split_nothing(tmp_path):
    path = tmp_path / "quad.obj"
    path.write_text(
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvt 0.5 0.5\nf 1/5 2/2 3/3 4/4\n"
    )
    scan = load(path)
    np.testing.assert_array_equal(scan.vertices, [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    assert scan.faces.shape == (2, 3) and set(scan.faces.ravel()) == {0, 1, 2, 3}


def test_ply_without_faces_is_a_point_cloud(tmp_path):
    points = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    path = tmp_path / "cloud.ply"
    trimesh.PointCloud(points).export(path)
    scan = load(path)
    assert scan.faces is None and scan.is_point_cloud
    np.testing.assert_array_equal(scan.vertices, points)


def test_xyz_text_cloud(tmp_path):
    path = tmp_path / "cloud.xyz"
    path.write_text("# x y z r g b\n1 2 3 255 0 0\n\n4.5\t5.5\t6.5\n-7,8e1,9 extra words\n")
    scan = load(path)
    assert scan.faces is None
    np.testing.assert_array_equal(scan.vertices, [[1, 2, 3], [4.5, 5.5, 6.5], [-7, 80, 9]])


def test_npy_cloud(tmp_path):
    points = np.arange(30, dtype=np.float64).reshape(10, 3)
    path = tmp_path / "cloud.npy"
    np.save(path, points)
    scan = load(path)
    assert scan.faces is None
    np.testing.assert_array_equal(scan.vertices, points)


def test_fortran_ordered_npy(tmp_path):
    points = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(4, 3))
    np.save(tmp_path / "f.npy", points)
    np.testing.assert_array_equal(load(tmp_path / "f.npy").vertices, points)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
TEXT = b"Dear reader,\nthis is a letter, not a mesh.\n"


def _binary_ply_announcing(n: int) -> bytes:
    header = (
        f"ply\nformat binary_little_endian 1.0\nelement vertex {n}\n"
        "property float x\nproperty float y\nproperty float z\nend_header\n"
    )
    return header.encode() + struct.pack("<9f", *range(9))


def _binary_stl_announcing(n: int) -> bytes:
    facet = struct.pack("<12fH", *([0.0] * 3 + list(range(9))), 0)
    return b"\0" * 80 + struct.pack("<I", n) + facet


def _npy_with_header(shape, descr="<f8", payload=b"\0" * 48) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


MALFORMED = {
    "empty.obj": b"",
    "empty.ply": b"",
    "empty.stl": b"",
    "empty.off": b"",
    "png.obj": PNG,
    "png.ply": PNG,
    "png.stl": PNG,
    "png.off": PNG,
    "text.obj": TEXT,
    "text.ply": TEXT,
    "text.stl": TEXT,
    "text.off": TEXT,
    "nan.obj": b"v 0 0 0\nv nan 1 0\nv 0 1 0\nf 1 2 3\n",
    "inf.off": b"OFF\n3 1 0\n0 0 0\ninf 1 0\n0 1 0\n3 0 1 2\n",
    "face-out-of-range.obj": b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n",
    "face-out-of-range.off": b"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n",
    "truncated.off": b"OFF\n4 2 0\n0 0 0\n1 0 0\n",
    "ply-announces-more.ply": _binary_ply_announcing(10**9),
    "stl-announces-more.stl": _binary_stl_announcing(10**8),
    "empty.xyz": b"",
    "two-columns.xyz": b"1 2\n3 4\n",
    "garbage.xyz": b"1 2 3\nx y z\n",
    "nan.xyz": b"1 2 3\nnan 0 0\n",
    "png.xyz": PNG,
    "comments-only.xyz": b"# nothing here\n",
    "empty.npy": b"",
    "png.npy": PNG,
    "wrong-shape.npy": _npy_with_header((4, 4), payload=b"\0" * 128),
    "announces-more.npy": _npy_with_header((10**9, 3)),
    "object-dtype.npy": _npy_with_header((2, 3), descr="|O"),
    "string-dtype.npy": _npy_with_header((2, 3), descr="<U4", payload=b"\0" * 96),
    "nan.npy": _npy_with_header((2, 3), payload=struct.pack("<6d", 0, 0, 0, np.nan, 0, 0)),
    "truncated.npy": _npy_with_header((2, 3), payload=b"\0" * 40),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_mesh_or_cloud_raises_scanerror_naming_the_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    with pytest.raises(ScanError) as err:
        load(path)
    assert path.name in str(err.value)


@pytest.mark.parametrize("ext", [".ply", ".stl"])
def test_nothing_of_trimesh_outlives_the_read(tmp_path, mesh, ext, monkeypatch):
    """trimesh's meshes hold reference cycles; what they hold (float64 vertices, the file's raw data) is freed when
    the read of a big mesh returns, not whenever the cyclic collector next runs (150 MB of a 2.6-million-vertex PLY).
    The test mesh stands for a big one (threshold 0)."""
    import gc

    from trimesh.caching import TrackedArray

    import core.scans.meshes as meshes

    monkeypatch.setattr(meshes, "COLLECT_ABOVE_VERTICES", 0)
    path = tmp_path / f"face{ext}"
    trimesh.Trimesh(*mesh, process=False).export(path)
    gc.collect()  # the mesh written just now
    gc.disable()
    try:
        scan = load(path)
        alive = [o for o in gc.get_objects() if isinstance(o, (trimesh.Trimesh, TrackedArray))]
    finally:
        gc.enable()
    assert scan.n_vertices > 0 and alive == []


def test_an_ordinary_scan_is_read_without_a_full_collection(tmp_path, mesh, monkeypatch):
    """A full gc.collect costs ~0.3 s with torch loaded (a 30-frame sequence took 12 s instead of 1.6 s to load):
    only reads above COLLECT_ABOVE_VERTICES pay it."""
    import gc

    import core.scans.meshes as meshes

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or 0)
    path = tmp_path / "face.ply"
    trimesh.Trimesh(*mesh, process=False).export(path)
    assert len(mesh[0]) < meshes.COLLECT_ABOVE_VERTICES
    load(path)
    assert calls == []
    monkeypatch.setattr(meshes, "COLLECT_ABOVE_VERTICES", 0)
    load(path)
    assert len(calls) == 1
