"""Bosphorus ``.bnt`` range scans: reading (with grid triangulation) and writing.

Layout, all little-endian::

    uint16  nrows
    uint16  ncols
    float64 zmin                      background marker: cells whose z equals zmin hold no measurement
    uint16  n
    n bytes texture file name
    uint32  count                     = nrows * ncols * 5
    count   float64                   an (N, 5) matrix, N = nrows * ncols, stored column by column:
                                      all x, then all y, z, u, v (u, v: image coordinates in [0, 1])

Grid convention: row ``k`` of the (N, 5) matrix is the cell ``(row = k // ncols, col = k % ncols)``
(row-major). Background cells have x = y = z = zmin.

Reading validates the header against the file size before anything is allocated (count must equal
nrows * ncols * 5 and the file must hold at least the announced bytes; bytes after them are ignored),
drops background cells (z == zmin), keeps the valid cells in file order as vertices, and triangulates the
range grid: a grid quad with 4 valid corners gives 2 triangles, one with exactly 3 valid corners gives 1.
Triangles are wound counter-clockwise as seen from +z (the scanner): the quad split above gives that when
x grows with the column and y shrinks with the row (the usual range-image layout), and the winding of all
triangles is reversed when their normals sum to -z (a grid stored the other way up). A triangle with an
edge longer than ``MAX_EDGE_FACTOR`` times the median grid spacing is dropped, so depth discontinuities
(nose against cheek, hair against background) are not bridged.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from core.config_io import write_bytes_atomic
from core.scans.types import Scan, ScanError

#: A triangle with an edge longer than this many median grid spacings is dropped (depth discontinuity).
MAX_EDGE_FACTOR = 4.0

_HEAD = struct.Struct("<HHdH")  # nrows, ncols, zmin, length of the texture name
_COUNT = struct.Struct("<I")


def read_bnt(path: str | Path) -> Scan:
    """Read a Bosphorus .bnt file: valid cells as vertices (V, 3), grid triangles (F, 3)."""
    path = Path(path)
    with path.open("rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        head = f.read(_HEAD.size)
        if len(head) < _HEAD.size:
            raise ScanError(path, f"truncated header ({size} bytes, a .bnt header needs at least {_HEAD.size + 4})")
        nrows, ncols, zmin, name_length = _HEAD.unpack(head)
        data_start = _HEAD.size + name_length + _COUNT.size
        if size < data_start:
            raise ScanError(path, f"truncated header: the texture name of {name_length} bytes runs past the end")
        f.seek(_HEAD.size + name_length)
        (count,) = _COUNT.unpack(f.read(_COUNT.size))
        if nrows == 0 or ncols == 0:
            raise ScanError(path, f"empty range grid ({nrows} x {ncols})")
        if count != nrows * ncols * 5:
            expected = nrows * ncols * 5
            raise ScanError(path, f"the header announces {count} values for a {nrows} x {ncols} grid, not {expected}")
        if size - data_start < count * 8:
            held = size - data_start
            raise ScanError(path, f"truncated: the header announces {count * 8} bytes of data, the file holds {held}")
        if not np.isfinite(zmin):
            raise ScanError(path, f"the background marker zmin is {zmin}")
        values = np.fromfile(f, dtype="<f8", count=count)
    if len(values) != count:
        raise ScanError(path, "truncated data")
    table = values.reshape(5, nrows * ncols)  # column by column: x, y, z, u, v
    return _grid_scan(table[:3].T, nrows, ncols, zmin, path)


def _grid_scan(xyz: np.ndarray, nrows: int, ncols: int, zmin: float, path: Path) -> Scan:
    valid = xyz[:, 2] != zmin
    if not valid.any():
        raise ScanError(path, "every cell is background (z == zmin): no vertex")
    with np.errstate(over="ignore"):
        vertices = xyz[valid].astype(np.float32)  # the Scan's type; also makes the triangulation cheaper
    if not np.all(np.isfinite(vertices)):
        raise ScanError(path, "vertex coordinates contain NaN or inf (or exceed the float32 range)")
    faces = grid_triangles(valid.reshape(nrows, ncols), vertices)
    return Scan(vertices, faces, str(path))


def grid_triangles(valid: np.ndarray, vertices: np.ndarray, max_edge_factor: float = MAX_EDGE_FACTOR) -> np.ndarray:
    """Triangulate a range grid.

    valid: (R, C) bool, which cells hold a vertex; vertices: (valid.sum(), 3), the valid cells in row-major
    order. Returns (F, 3) int64 indices into ``vertices``, quads in row-major order (see the module
    docstring for the winding and the long-edge rule).
    """
    rows, cols = valid.shape
    if rows < 2 or cols < 2:
        return np.empty((0, 3), dtype=np.int64)
    index = np.full(valid.shape, -1, dtype=np.int64)
    index[valid] = np.arange(int(valid.sum()))
    corners = [index[:-1, :-1].ravel(), index[:-1, 1:].ravel(), index[1:, :-1].ravel(), index[1:, 1:].ravel()]
    n_valid = sum((k >= 0).astype(np.int8) for k in corners)
    quads = np.flatnonzero(n_valid >= 3)
    a, b, c, d = (k[quads] for k in corners)  # top-left, top-right, bottom-left, bottom-right
    # First triangle of a quad: (a, c, b), or the 3 corners present, in the same turning sense.
    first = np.stack([a, c, b], axis=1)
    for missing, replacement in ((a < 0, (b, c, d)), (b < 0, (a, c, d)), (c < 0, (a, d, b))):
        first[missing] = np.stack([r[missing] for r in replacement], axis=1)
    both = np.stack([first, np.stack([b, c, d], axis=1)], axis=1)  # (Q, 2, 3)
    faces = both[np.stack([np.ones(len(quads), bool), n_valid[quads] == 4], axis=1)]
    p0, p1, p2 = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    if len(faces) and max_edge_factor > 0:
        spacing = np.concatenate(
            [_edge_lengths(vertices, index[:, :-1], index[:, 1:]), _edge_lengths(vertices, index[:-1, :], index[1:, :])]
        )
        limit = max_edge_factor * float(np.median(spacing)) if spacing.size else 0.0
        if limit > 0:
            longest = np.maximum(np.maximum(_squared(p1 - p0), _squared(p2 - p1)), _squared(p0 - p2))
            short = longest <= limit * limit
            faces, p0, p1, p2 = faces[short], p0[short], p1[short], p2[short]
    if len(faces) and np.cross(p1 - p0, p2 - p0)[:, 2].sum() < 0:
        faces = faces[:, [0, 2, 1]]  # the grid runs the other way (y growing with the row): face +z
    return np.ascontiguousarray(faces, dtype=np.int64)


def _squared(v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", v, v)


def _edge_lengths(vertices: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    both = (i >= 0) & (j >= 0)
    return np.sqrt(_squared(vertices[i[both]] - vertices[j[both]]))


def save_bnt(path: str | Path, data: np.ndarray, nrows: int, ncols: int, zmin: float, texture_name: str = "") -> None:
    """Write a Bosphorus .bnt file (layout in the module docstring).

    data: (nrows * ncols, 5) columns x, y, z, u, v, row ``k`` being grid cell (k // ncols, k % ncols);
    background cells hold x = y = z = zmin. texture_name: the texture image's file name (ASCII/UTF-8).
    """
    table = np.asarray(data, dtype=np.float64)
    if not (0 < nrows <= 0xFFFF and 0 < ncols <= 0xFFFF):
        raise ValueError(f"nrows and ncols must be in 1..65535, got {nrows} x {ncols}")
    if table.shape != (nrows * ncols, 5):
        raise ValueError(f"data must have shape ({nrows * ncols}, 5) for a {nrows} x {ncols} grid, got {table.shape}")
    if not np.isfinite(zmin):
        raise ValueError(f"zmin must be finite, got {zmin}")
    name = texture_name.encode("utf-8")
    if len(name) > 0xFFFF:
        raise ValueError("texture_name is longer than 65535 bytes")
    count = table.size
    if count > 0xFFFFFFFF:
        raise ValueError(f"{count} values do not fit the uint32 count of a .bnt file")
    write_bytes_atomic(path, b"".join([_HEAD.pack(nrows, ncols, float(zmin), len(name)), name, _COUNT.pack(count),
                                       np.ascontiguousarray(table.T, dtype="<f8").tobytes()]))
