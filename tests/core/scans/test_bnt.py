"""Bosphorus .bnt: the reader checked against files built byte by byte here, the writer, malformed files."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from core.scans import ScanError, load, save_bnt

ZMIN = -1000000000.0


def bnt_bytes(xyz: np.ndarray, nrows: int, ncols: int, zmin=ZMIN, name=b"bs000_N_N_0.png", count=None) -> bytes:
    """The .bnt layout written field by field; u, v are filled in from the grid position."""
    k = np.arange(nrows * ncols)
    u, v = (k % ncols) / max(ncols - 1, 1), (k // ncols) / max(nrows - 1, 1)
    table = np.column_stack([xyz, u, v])
    n = table.size if count is None else count
    out = struct.pack("<H", nrows) + struct.pack("<H", ncols) + struct.pack("<d", zmin)
    out += struct.pack("<H", len(name)) + name + struct.pack("<I", n)
    for column in range(5):
        for value in table[:, column]:
            out += struct.pack("<d", value)
    return out


def grid_xyz(nrows: int, ncols: int, background=()) -> np.ndarray:
    """x = column, y = -row (range-image layout), z varies; cells listed in ``background`` are x=y=z=ZMIN."""
    k = np.arange(nrows * ncols)
    xyz = np.column_stack([k % ncols, -(k // ncols), 50.0 + 0.1 * k]).astype(np.float64)
    xyz[list(background)] = ZMIN
    return xyz


def facing(scan) -> np.ndarray:
    p = scan.vertices[scan.faces].astype(np.float64)
    return np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])[:, 2]


def test_reader_parses_a_hand_built_file(tmp_path):
    xyz = grid_xyz(3, 3, background=[8])  # bottom-right cell missing
    path = tmp_path / "bs000_N_N_0.bnt"
    path.write_bytes(bnt_bytes(xyz, 3, 3))
    scan = load(path)
    assert scan.source == str(path)
    np.testing.assert_array_equal(scan.vertices, xyz[:8].astype(np.float32))  # valid cells, file order
    # Quads in row-major order: 2 triangles per full quad, 1 for the quad with 3 valid corners.
    np.testing.assert_array_equal(
        scan.faces, [[0, 3, 1], [1, 3, 4], [1, 4, 2], [2, 4, 5], [3, 6, 4], [4, 6, 7], [4, 7, 5]]
    )
    assert np.all(facing(scan) > 0)  # counter-clockwise seen from +z


@pytest.mark.parametrize("missing", [0, 1, 2, 3], ids=["top-left", "top-right", "bottom-left", "bottom-right"])
def test_quad_with_three_valid_corners_gives_one_triangle_facing_the_scanner(tmp_path, missing):
    path = tmp_path / "q.bnt"
    path.write_bytes(bnt_bytes(grid_xyz(2, 2, background=[missing]), 2, 2))
    scan = load(path)
    assert scan.n_vertices == 3 and scan.faces.shape == (1, 3)
    assert sorted(scan.faces[0]) == [0, 1, 2]
    assert facing(scan)[0] > 0


def test_grid_stored_upside_down_still_faces_plus_z(tmp_path):
    xyz = grid_xyz(3, 4)
    xyz[:, 1] *= -1  # y grows with the row
    path = tmp_path / "flipped.bnt"
    path.write_bytes(bnt_bytes(xyz, 3, 4))
    scan = load(path)
    assert len(scan.faces) == 2 * 2 * 3
    assert np.all(facing(scan) > 0)


def test_depth_discontinuities_are_not_bridged(tmp_path):
    xyz = grid_xyz(4, 6)
    xyz[np.arange(24) % 6 >= 3, 2] += 100.0  # the right half is 100 mm behind: a cliff between columns 2 and 3
    path = tmp_path / "cliff.bnt"
    path.write_bytes(bnt_bytes(xyz, 4, 6))
    scan = load(path)
    # 5 quads per row; the 3 rows x 1 quad across the cliff are dropped.
    assert len(scan.faces) == 2 * (5 - 1) * 3
    z = scan.vertices[scan.faces][:, :, 2]
    assert not ((z > 100).any(axis=1) & (z < 100).any(axis=1)).any()


def test_save_bnt_writes_the_same_bytes_and_reads_back(tmp_path):
    xyz = grid_xyz(4, 5, background=[0, 7, 19])
    k = np.arange(20)
    data = np.column_stack([xyz, (k % 5) / 4, (k // 5) / 3])
    path = tmp_path / "saved.bnt"
    save_bnt(path, data, 4, 5, ZMIN, texture_name="bs000_N_N_0.png")
    assert path.read_bytes() == bnt_bytes(xyz, 4, 5)
    scan = load(path)
    valid = xyz[:, 2] != ZMIN
    np.testing.assert_array_equal(scan.vertices, xyz[valid].astype(np.float32))
    assert np.all(facing(scan) > 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(nrows=0, ncols=5),
        dict(nrows=4, ncols=6),
        dict(nrows=70000, ncols=1),
        dict(zmin=np.nan),
        dict(texture_name="x" * 70000),
    ],
    ids=["zero-rows", "wrong-shape", "rows-over-uint16", "nan-zmin", "long-name"],
)
def test_save_bnt_refuses_bad_arguments(tmp_path, kwargs):
    args = dict(data=np.zeros((20, 5)), nrows=4, ncols=5, zmin=ZMIN) | kwargs
    with pytest.raises(ValueError):
        save_bnt(tmp_path / "x.bnt", **args)


GOOD = bnt_bytes(grid_xyz(3, 3), 3, 3)
NAN_CELL = grid_xyz(3, 3)
NAN_CELL[4, 0] = np.nan
MALFORMED = {
    "empty": b"",
    "short-header": GOOD[:10],
    "name-runs-past-end": struct.pack("<HHdH", 3, 3, ZMIN, 500) + b"abc",
    "no-count": GOOD[: 14 + len(b"bs000_N_N_0.png") + 2],
    "count-mismatch": bnt_bytes(grid_xyz(3, 3), 3, 3, count=40),
    "truncated-data": GOOD[:-8],
    "huge-grid-announced": struct.pack("<HHdHI", 20000, 20000, ZMIN, 0, 20000 * 20000 * 5) + b"\0" * 64,
    "zero-rows": struct.pack("<HHdH", 0, 3, ZMIN, 0) + struct.pack("<I", 0),
    "all-background": bnt_bytes(grid_xyz(3, 3, background=range(9)), 3, 3),
    "nan-coordinate": bnt_bytes(NAN_CELL, 3, 3),
    "nan-zmin": bnt_bytes(grid_xyz(3, 3), 3, 3, zmin=np.nan),
    "png-renamed": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "text-renamed": b"this is not a range scan\n" * 10,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_bnt_raises_scanerror_naming_the_file(tmp_path, name):
    path = tmp_path / f"bad-{name}.bnt"
    path.write_bytes(MALFORMED[name])
    with pytest.raises(ScanError) as err:
        load(path)
    assert path.name in str(err.value)
