"""The block reader of big text meshes gives exactly the arrays of the trimesh path (forced on small files)."""

from __future__ import annotations

import numpy as np
import pytest

from core.scans import ScanError, ScanLimits, load, text_mesh
from core.scans.meshes import read_trimesh

QUADS_OFF = "OFF\n# a comment\n5 3 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n0.5 0.5 1\n4 0 1 2 3\n3 0 1 4\n4 1 2 3 4\n"
COFF = "COFF\n4 2 0\n0 0 0 255 0 0 255\n1 0 0 0 255 0 255\n1 1 0 0 0 255 255\n0 1 0 9 9 9 255\n" \
       "3 0 1 2 0.5 0.5 0.5\n3 0 2 3 0.5 0.5 0.5\n"
PLY_HEADER = "ply\nformat ascii 1.0\ncomment made here\nelement vertex {v}\nproperty float x\nproperty float y\n" \
             "property float z\nproperty uchar red\n{faces}end_header\n"
PLY_FACES = "element face {f}\nproperty list uchar int vertex_indices\n"


def _ply(vertices: str, faces: str | None) -> str:
    nv = len(vertices.strip().splitlines())
    face_header = "" if faces is None else PLY_FACES.format(f=len(faces.strip().splitlines()))
    return PLY_HEADER.format(v=nv, faces=face_header) + vertices + (faces or "")


PLY_V = "0.1 0 0 1\n1.3 0 0 2\n1 1.7 0 3\n0 1 0.3333333333333 4\n"
CASES = {
    "tri.obj": "# made here\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0.25\n\nf 1 2 3\nf 1 3 4\n",
    "quads.obj": "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 1 0\nf 1 2 3 4\nf 2 5 6 3\n",
    "refs.obj": "v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 1 1 0 0 0 1\nv 0 1 0 1 1 1\nvt 0 0\nvt 1 0\nvt 1 1\nvn 0 0 1\n"
                "f 1/1/1 2/2/1 3/3/1\nf 1/3/1 3/2/1 4/1/1\n",
    "slashes.obj": "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvn 0 0 1\nvt 0 0\nf 1//1 2//1 3//1\nf 1/1 3/1 4/1\n",
    "cloud.obj": "v 0 0 0\nv 1 0 0\nv 1 1 0\n",
    "crlf.obj": "v 0 0 0\r\nv 1 0 0\r\nv 1 1 0\r\nf 1 2 3\r\n",
    "quads.off": QUADS_OFF,
    "next_line_counts.off": "OFF\n\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n",
    "colours.off": COFF,
    "cloud.off": "OFF\n3 0 0\n0 0 0\n1 0 0\n1 1 0\n",
    "tri.ply": _ply(PLY_V, "3 0 1 2\n3 0 2 3\n"),
    "mixed.ply": _ply(PLY_V + "2 2 2 5\n", "4 0 1 2 3\n3 0 1 4\n4 1 2 3 4\n"),
    "cloud.ply": _ply(PLY_V, None),
}


@pytest.fixture
def stream_all(monkeypatch):
    monkeypatch.setattr(text_mesh, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(text_mesh, "BLOCK_BYTES", 16)  # many blocks even for these small files


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_arrays_as_trimesh(tmp_path, monkeypatch, name):
    path = tmp_path / name
    path.write_bytes(CASES[name].encode())
    expected = read_trimesh(path)
    streamed = text_mesh.read_text_mesh(path, path.suffix[1:])
    assert streamed is None  # small: trimesh's
    monkeypatch.setattr(text_mesh, "STREAM_ABOVE_BYTES", 0)
    for block in (16, 1 << 20):
        monkeypatch.setattr(text_mesh, "BLOCK_BYTES", block)
        streamed = text_mesh.read_text_mesh(path, path.suffix[1:])
        assert streamed is not None, "left to trimesh"
        got = read_trimesh(path)
        np.testing.assert_array_equal(got.vertices, expected.vertices)
        assert got.vertices.dtype == np.float32
        if expected.faces is None:
            assert got.faces is None
        else:
            np.testing.assert_array_equal(got.faces, expected.faces)


LEFT_TO_TRIMESH = {
    "tail_comment.obj": "v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 3 # trimesh refuses this\n",
    "groups.obj": "o a\nv 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 3\n",
    "negative.obj": "v 0 0 0\nv 1 0 0\nv 1 1 0\nf -3 -2 -1\n",
    "mixed.obj": "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nf 1 2 3 4\nf 2 5 3\n",
    "pentagon.off": "OFF\n5 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n0 2 0\n5 0 1 2 3 4\n",
    "noff.off": "NOFF\n3 1 0\n0 0 0 0 0 1\n1 0 0 0 0 1\n1 1 0 0 0 1\n3 0 1 2\n",
    "comment.ply": _ply(PLY_V, "3 0 1 2\n3 0 2 3\n").replace("3 0 2 3", "3 0 2 3 # x"),
}


@pytest.mark.parametrize("name", sorted(LEFT_TO_TRIMESH))
def test_features_left_to_trimesh(tmp_path, stream_all, name):
    path = tmp_path / name
    path.write_bytes(LEFT_TO_TRIMESH[name].encode())
    assert text_mesh.read_text_mesh(path, path.suffix[1:]) is None
    try:
        read_trimesh(path)  # read by trimesh as before
    except ScanError as exc:  # or refused as before, naming the file
        assert str(path) in str(exc)


MALFORMED = {
    "zero.obj": ("v 0 0 0\nv 1 0 0\nv 1 1 0\nf 0 1 2\n", "vertex reference 0"),
    "beyond.obj": ("v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 4\n", "vertex reference 4"),
    "truncated.off": ("OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n", "truncated"),
    "index.off": ("OFF\n3 1 0\n0 0 0\n1 0 0\n1 1 0\n3 0 1 3\n", "outside [0, 3)"),
    "truncated.ply": (_ply(PLY_V, "3 0 1 2\n3 0 2 3\n").rsplit("3 0 2 3", 1)[0], "truncated"),
    "index.ply": (_ply(PLY_V, "3 0 1 2\n3 0 2 7\n"), "outside [0, 4)"),
    "huge.ply": (_ply(PLY_V.replace("1.3", "1e39"), "3 0 1 2\n"), "NaN or inf"),
    "huge.off": ("OFF\n3 1 0\n0 0 0\n1e39 0 0\n1 1 0\n3 0 1 2\n", "outside the float32 range"),
    "text.off": ("OFF\n3 1 0\n0 0 0\nx 0 0\n1 1 0\n3 0 1 2\n", "not a readable OFF"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_still_named(tmp_path, stream_all, name):
    text, reason = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(text.encode())
    with pytest.raises(ScanError) as info:
        load(path, ScanLimits.unlimited())
    assert str(path) in str(info.value) and reason in str(info.value)
