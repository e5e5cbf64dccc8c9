"""core.scans.mesh_checks through core.scans.load: OFF, ASCII PLY and OBJ files that disagree with their own
declarations are refused with the file and line named (issue 14, item 2); well-formed variants still load."""

from __future__ import annotations

import numpy as np
import pytest

from core.scans import ScanError, load

OFF = "OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n"
PLY_HEAD = (
    "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
    "element face 2\nproperty list uchar int vertex_indices\nend_header\n"
)
PLY = PLY_HEAD + "0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n"
OBJ = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3/1/1\nf -4 -2 -1\n"
FACES = [[0, 1, 2], [0, 2, 3]]


def _load(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path, load(path)


@pytest.mark.parametrize(
    "name, text",
    [
        ("plain.off", OFF),
        ("same-line-counts.off", OFF.replace("OFF\n4 2 0", "OFF 4 2 0")),
        ("comments.off", "# made by hand\n" + OFF.replace("1 0 0\n", "1 0 0 # a comment\n\n")),
        ("quad.off", "OFF\n4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n"),
        ("plain.ply", PLY),
        ("plain.obj", OBJ),
    ],
)
def test_well_formed_files_still_load(tmp_path, name, text):
    _, scan = _load(tmp_path, name, text)
    np.testing.assert_array_equal(scan.vertices, [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    assert sorted(map(sorted, scan.faces.tolist())) == sorted(map(sorted, FACES))


BAD = {
    # OFF: a face line would be read as a vertex; a negative corner count turned the mesh into a point cloud
    "off-missing-vertex.off": ("OFF\n5 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n", "truncated"),
    "off-missing-face.off": (OFF.rsplit("3 0 2 3\n", 1)[0], "truncated"),
    "off-negative-corners.off": (OFF.replace("3 0 1 2", "-3 0 1 2"), "corner count -3"),
    "off-index-range.off": (OFF.replace("3 0 2 3", "3 0 2 4"), "index 4"),
    "off-short-face.off": (OFF.replace("3 0 2 3", "3 0 2"), "declares 3 corners"),
    "off-two-values.off": (OFF.replace("1 1 0\n", "1 1\n"), "has 2 values"),
    "off-no-counts.off": ("OFF\n", "no vertex and face counts"),
    "off-float-count.off": (OFF.replace("4 2 0", "4.5 2 0"), "not an integer"),
    "off-overflow.off": (OFF.replace("1 1 0\n", "1e39 1 0\n"), "float32"),
    # ASCII PLY: truncated anywhere, wrong value counts, indices out of range
    "ply-truncated-vertices.ply": (PLY_HEAD + "0 0 0\n1 0 0\n", "declares 4 vertex elements"),
    "ply-truncated-faces.ply": (PLY_HEAD + "0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n", "declares 2 face elements"),
    "ply-vertex-values.ply": (PLY.replace("1 0 0\n", "1 0 0 7\n", 1), "4 values for 3 properties"),
    "ply-index-range.ply": (PLY.replace("3 0 2 3", "3 0 2 9"), "index 9"),
    "ply-short-face.ply": (PLY.replace("3 0 2 3", "3 0 2"), "declares 3 corners"),
    # OBJ: 0 is no vertex (1-based), references past the end or before the first vertex
    "obj-zero.obj": (OBJ.replace("f 1/1/1", "f 0/1/1"), "vertex reference 0"),
    "obj-past-end.obj": (OBJ.replace("f 1/1/1 2/1/1 3/1/1", "f 1 2 5"), "vertex reference 5"),
    "obj-negative.obj": (OBJ.replace("f -4 -2 -1", "f -5 -2 -1"), "vertex reference -5"),
    "obj-word.obj": (OBJ.replace("f -4 -2 -1", "f a b c"), "not an integer"),
    "obj-overflow.obj": (OBJ.replace("v 1 1 0", "v 1e39 1 0"), "float32"),
    "obj-overflow-f64.obj": (OBJ.replace("v 1 1 0", "v 1e300 1 0"), "float32"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_files_that_disagree_with_themselves_are_refused(tmp_path, name):
    text, reason = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScanError) as err:
        load(path)
    assert name in str(err.value) and reason in str(err.value), str(err.value)


@pytest.mark.parametrize("name, text", [("t.off", OFF), ("t.ply", PLY), ("t.obj", OBJ)])
def test_every_truncation_is_refused_or_reads_the_whole_mesh(tmp_path, name, text):
    """Cut the file after every byte: for OFF and PLY each prefix either fails with a ScanError naming the file or
    (when only trailing characters that carry nothing were cut) gives the complete mesh -- never a partial mesh or a
    point cloud; OBJ, which declares no counts, gives a smaller mesh or a ScanError."""
    path = tmp_path / name
    complete = load_text(path, text)
    for cut in range(len(text)):
        path.write_text(text[:cut])
        try:
            scan = load(path)
        except ScanError as err:
            assert str(path) in str(err)
            continue
        if name.endswith(".obj"):  # OBJ declares no counts: a prefix is a valid, smaller file (or refused)
            assert scan.n_vertices <= complete.n_vertices
            continue
        np.testing.assert_array_equal(scan.vertices, complete.vertices)
        np.testing.assert_array_equal(scan.faces, complete.faces)


def load_text(path, text):
    path.write_text(text)
    return load(path)
