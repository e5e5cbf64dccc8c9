"""VRML reading (parsed by hand: stored indexing kept, malformed input refused, no file can crash the process) and
writing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from core.scans import ScanError, load, save_wrl
from core.scans.wrl import read_wrl

HEAD = "#VRML V2.0 utf8\n"


def ifs(points: str, index: str, extra: str = "") -> str:
    body = f"{extra} coord Coordinate {{ point [ {points} ] }} coordIndex [ {index} ]"
    return f"Shape {{ geometry IndexedFaceSet {{ {body} }} }}\n"


def test_bu3dfe_style_file_keeps_stored_points_and_polygons(bu_wrl):
    path, points, triangles = bu_wrl
    scan = load(path)
    assert scan.source == str(path)
    assert scan.vertices.dtype == np.float32 and scan.faces.dtype == np.int64
    # All 6 stored points (the last one unused by any polygon), in file order, exactly as written.
    np.testing.assert_array_equal(scan.vertices, points)
    # coordIndex order kept; the quad 2 4 3 1 is split into the fan (2 4 3) (2 3 1).
    np.testing.assert_array_equal(scan.faces, triangles)


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_windows_and_old_mac_line_ends(bu_wrl, newline):
    path, points, triangles = bu_wrl
    path.write_bytes(path.read_bytes().replace(b"\n", newline.encode()))
    scan = load(path)
    np.testing.assert_array_equal(scan.vertices, points)
    np.testing.assert_array_equal(scan.faces, triangles)


def test_several_shapes_share_a_coordinate_through_use(tmp_path):
    path = tmp_path / "two.wrl"
    path.write_text(
        HEAD
        + "Transform { children [\n"
        + "Shape { geometry IndexedFaceSet { coord DEF pts Coordinate { point [ 0 0 0, 1 0 0, 1 1 0, 0 1 0 ] }"
        + " coordIndex [ 0 1 2 -1 ] } }\n"
        + "Shape { geometry IndexedFaceSet { coord USE pts coordIndex [ 0, 2, 3, -1 ] } }\n"
        + ifs("5 5 5, 6 5 5, 6 6 5", "0 1 2")
        + "] }\n"
    )
    scan = load(path)
    assert scan.n_vertices == 7  # the shared list once, then the third shape's points
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(scan.vertices[4], [5, 5, 5])


def test_comments_strings_normals_and_colors_do_not_disturb_the_geometry(tmp_path):
    path = tmp_path / "decorated.vrml"
    path.write_text(
        HEAD
        + '# a comment with "quotes" and brackets ] }\n'
        + 'WorldInfo { title "scan [1] {raw}" info [ "a # not a comment", "b" ] }\n'
        + ifs(
            "0 0 0, 1 0 0, 1 1 0, 0 1 0  # trailing comment ]\n",
            "0 1 2 3 -1",
            extra="normal Normal { vector [ 0 0 1, 0 0 1, 0 0 1, 0 0 1 ] } normalIndex [ 0 1 2 3 -1 ] "
            "color DEF c Color { color [ 1 0 0, 0 1 0 ] } colorIndex [ 0 1 0 1 -1 ] normalPerVertex TRUE",
        )
    )
    scan = load(path)
    np.testing.assert_array_equal(scan.vertices, [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2], [0, 2, 3]])


def test_save_wrl_round_trips_exactly(tmp_path, grid_mesh):
    vertices, faces = grid_mesh(7, 9)
    vertices[3] = [-0.0, 1e-7, 123456.789]  # signed zero, tiny and large values
    path = tmp_path / "out.wrl"
    save_wrl(path, vertices, faces)
    scan = load(path)
    np.testing.assert_array_equal(scan.vertices, vertices)
    np.testing.assert_array_equal(scan.faces, faces)


def test_save_wrl_writes_the_bu3dfe_layout_deterministically(tmp_path, mesh):
    vertices, faces = mesh
    a, b = tmp_path / "a.wrl", tmp_path / "b.wrl"
    save_wrl(a, vertices, faces)
    save_wrl(b, vertices.astype(np.float64), faces.astype(np.int32))
    data = a.read_bytes()
    assert data == b.read_bytes()
    text = data.decode("utf-8")
    assert text.startswith("#VRML V2.0 utf8\n")
    assert "\r" not in text
    assert "geometry IndexedFaceSet {" in text and "coord Coordinate {" in text
    assert f"            {vertices[0, 0]:.9g} {vertices[0, 1]:.9g} {vertices[0, 2]:.9g},\n" in text
    assert f"            {faces[0, 0]}, {faces[0, 1]}, {faces[0, 2]}, -1,\n" in text


@pytest.mark.parametrize(
    "vertices, faces",
    [
        (np.zeros((0, 3)), np.zeros((0, 3), int)),
        (np.full((3, 3), np.nan), [[0, 1, 2]]),
        (np.zeros((3, 3)), [[0, 1, 3]]),
        (np.zeros((3, 3)), [[0.0, 1.0, 2.0]]),
        (np.zeros((3, 2)), [[0, 1, 2]]),
    ],
    ids=["empty", "nan", "index-out-of-range", "float-faces", "2d-points"],
)
def test_save_wrl_refuses_bad_arrays(tmp_path, vertices, faces):
    with pytest.raises(ValueError):
        save_wrl(tmp_path / "x.wrl", vertices, faces)
    assert not (tmp_path / "x.wrl").exists()


GOOD = ifs("0 0 0, 1 0 0, 1 1 0, 0 1 0", "0 1 2 -1 0 2 3 -1")
MALFORMED = {
    "empty": "",
    "whitespace": "  \n\n",
    "vrml1-header": "#VRML V1.0 ascii\n" + GOOD,
    "no-header": GOOD,
    "header-only": HEAD,
    "truncated-points": (HEAD + GOOD)[: (HEAD + GOOD).index("1 1 0")],
    "truncated-index": (HEAD + GOOD)[: (HEAD + GOOD).index("0 2 3")],
    "garbage-number": HEAD + ifs("0 0 0, 1 abc 0, 1 1 0", "0 1 2"),
    "nan": HEAD + ifs("0 0 0, nan 0 0, 1 1 0", "0 1 2"),
    "inf": HEAD + ifs("0 0 0, inf 0 0, 1 1 0", "0 1 2"),
    "float32-overflow": HEAD + ifs("0 0 0, 1e40 0 0, 1 1 0", "0 1 2"),
    "two-values": HEAD + ifs("0 0 0, 1 0, 1 1 0", "0 1 2"),
    "index-out-of-range": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1 3"),
    "negative-index": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 -2 1"),
    "float-index": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1.5 2"),
    "huge-index": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1 99999999999999999999999"),
    "int64-overflow-index": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1 -9223372036854775809"),
    "bare-sign-index": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1 2 -"),
    "sign-apart-from-index": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1 2 - 1"),
    "sign-apart-from-coordinate": HEAD + ifs("0 0 0, 1 0 - 0, 1 1 0", "0 1 2"),
    "two-numbers-run-together": HEAD + ifs("0 0 0, 1 0-1 0, 1 1 0", "0 1 2"),
    "empty-point-list": HEAD + ifs("", "0 1 2"),
    "no-polygons": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", ""),
    "only-degenerate-polygons": HEAD + ifs("0 0 0, 1 0 0, 1 1 0", "0 1 -1 2 -1"),
    "missing-coord": HEAD + "Shape { geometry IndexedFaceSet { coordIndex [ 0 1 2 ] } }",
    "use-undefined": HEAD + "Shape { geometry IndexedFaceSet { coord USE nowhere coordIndex [ 0 1 2 ] } }",
    "unbalanced": HEAD + GOOD + "}",
    "mismatched": HEAD + GOOD.replace("] }", "} ]", 1),
    "unterminated-string": HEAD + 'WorldInfo { title "abc }\n' + GOOD,
    "binary-after-header": HEAD + "".join(chr(i) for i in range(1, 256)) * 4,
    "sphere": HEAD + "Shape { geometry Sphere { radius 2 } }",
    "proto": HEAD + "PROTO Face [ ] { Group { } }\n" + GOOD,
    "unknown-field": HEAD + GOOD.replace("IndexedFaceSet {", "IndexedFaceSet { bogus 12"),
    "unknown-node": HEAD + "Foo { }\n" + GOOD,
    "odd-texcoordindex": HEAD + GOOD.replace("coordIndex [", "texCoordIndex USE x coordIndex ["),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_vrml_raises_scanerror_naming_the_file(tmp_path, capfd, name):
    path = tmp_path / f"bad-{name}.wrl"
    path.write_bytes(MALFORMED[name].encode("latin-1"))
    with pytest.raises(ScanError) as err:
        load(path)
    assert path.name in str(err.value)
    out, errs = capfd.readouterr()
    assert out == "" and errs == ""  # nothing printed


def test_a_parse_error_does_not_disturb_the_next_file(tmp_path, bu_wrl):
    bad = tmp_path / "bad.wrl"
    bad.write_text(MALFORMED["unknown-field"])
    with pytest.raises(ScanError, match="unknown field 'bogus'"):
        read_wrl(bad)
    path, points, triangles = bu_wrl
    np.testing.assert_array_equal(read_wrl(path).faces, triangles)


def test_concurrent_loads_from_threads(tmp_path, grid_mesh):
    meshes = [grid_mesh(3 + i, 4 + i) for i in range(4)]
    paths = []
    for i, (v, f) in enumerate(meshes):
        paths.append(tmp_path / f"{i}.wrl")
        save_wrl(paths[-1], v, f)
    results: dict[int, object] = {}

    def work(i):
        results[i] = [load(paths[i]) for _ in range(5)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (v, f) in enumerate(meshes):
        for scan in results[i]:
            np.testing.assert_array_equal(scan.vertices, v)
            np.testing.assert_array_equal(scan.faces, f)


# Separators VRML allows between any two tokens: whitespace, commas (whitespace in VRML) and comments.
SEPARATORS = ["\n", "\t", " ,", "\r\n", " # comment ] } [ {\n", "\n\n\t ", ",\n"]

VARIANTS_SCRIPT = textwrap.dedent("""
    import json, random, re, sys
    from core.scans.wrl import read_wrl
    text, out, n = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3])
    separators = json.loads(sys.argv[4])
    results = []
    for k in range(n):
        rng = random.Random(k)
        # every separator between two tokens becomes a random mix (the header line stays as it is)
        head, body = text.split("\\n", 1)
        pieces = re.split(r"[ ]+", body)
        joined = pieces[0]
        for piece in pieces[1:]:
            joined += "".join(rng.choice(separators) for _ in range(rng.randint(1, 2))) + piece
        path = f"{out}/v{k}.wrl"
        with open(path, "w", newline="") as fh:
            fh.write(head + "\\n" + joined)
        scan = read_wrl(path)
        results.append([scan.vertices.tolist(), scan.faces.tolist()])
    print(json.dumps(results))
""")


def test_line_breaks_tabs_commas_and_comments_anywhere_vrml_allows_them(tmp_path):
    """Issue 14: VTK's VRML parser segfaulted on valid files with a line break inside a coordinate triple
    (35 of 45 such variants). 60 seeded variants of one file, every separator replaced by a random mix of line
    breaks, tabs, commas and comments, all read in a child process (a crash fails this test, not the run) and all
    give the same mesh."""
    source = tmp_path / "base.wrl"
    source.write_text(
        HEAD
        + "Transform { translation 0 0 0 children [ Shape { appearance Appearance { material Material "
        + "{ diffuseColor 0.8 0.8 0.8 } } geometry IndexedFaceSet { solid FALSE creaseAngle 0.5 "
        + "coord Coordinate { point [ 0 0 0 , 1 0 0 , 1 1 0 , 0 1 0 , 0.5 0.5 1 ] } "
        + "texCoord TextureCoordinate { point [ 0 0 , 1 0 , 1 1 ] } "
        + "coordIndex [ 0 1 2 -1 0 2 3 -1 0 1 4 3 -1 ] texCoordIndex [ 0 1 2 -1 0 1 2 -1 0 1 2 0 -1 ] } } ] }\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", VARIANTS_SCRIPT, str(source), str(tmp_path), "60", json.dumps(SEPARATORS)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stderr[-2000:]}"
    results = json.loads(out.stdout)
    assert len(results) == 60
    expected = read_wrl(source)
    for vertices, faces in results:
        np.testing.assert_array_equal(np.asarray(vertices, dtype=np.float32), expected.vertices)
        np.testing.assert_array_equal(faces, expected.faces)
    np.testing.assert_array_equal(expected.faces, [[0, 1, 2], [0, 2, 3], [0, 1, 4], [0, 4, 3]])


def test_the_issue_s_example_reads(tmp_path):
    path = tmp_path / "split-triple.wrl"
    path.write_text(HEAD + ifs("0\n0 0, 1 0 0, 0 1 0", "0 1 2 -1"))
    scan = read_wrl(path)
    np.testing.assert_array_equal(scan.vertices, [[0, 0, 0], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(scan.faces, [[0, 1, 2]])


def test_polygon_lists_follow_vrml(tmp_path):
    """-1 ends a polygon, the last one needs none, empty and 2-corner polygons are dropped, quads become fans."""
    path = tmp_path / "polys.wrl"
    path.write_text(HEAD + ifs("0 0 0, 1 0 0, 1 1 0, 0 1 0", "-1 -1 0 1 -1 0 1 2 3 -1 3 2 1"))
    np.testing.assert_array_equal(read_wrl(path).faces, [[0, 1, 2], [0, 2, 3], [3, 2, 1]])


def test_a_large_file_is_parsed_without_a_string_per_number(tmp_path):
    """200,000 points and 400,000 triangles: the lists are parsed by numpy from the text (the tokens as Python strings
    took ~50 bytes each, 1 GB for a 2.6-million-vertex scan); the Python allocations stay near the file's size."""
    import tracemalloc

    rng = np.random.default_rng(0)
    vertices = rng.uniform(-90, 90, size=(200_000, 3)).astype(np.float32)
    faces = rng.integers(0, 200_000, size=(400_000, 3))
    path = tmp_path / "large.wrl"
    save_wrl(path, vertices, faces)
    tracemalloc.start()
    try:
        scan = read_wrl(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(scan.vertices, vertices)
    np.testing.assert_array_equal(scan.faces, faces)
    assert peak < 6 * path.stat().st_size, f"{peak / 1e6:.0f} MB for a {path.stat().st_size / 1e6:.0f} MB file"
