"""Orthographic range grids (Bosphorus .bnt style) from triangle meshes.

The mesh is projected along z onto a regular x-y grid; each cell keeps the front-most (largest z) surface
point at its centre, found by rasterising every triangle with barycentric interpolation (a z-buffer in
numpy). Cells no triangle covers are background.

Grid convention: row 0 is the top (largest y), column 0 the left (smallest x); cell k <-> row k // ncols,
column k % ncols. Data columns x, y, z (mm) and u, v (the cell's normalised column / row in [0, 1]);
background cells have x = y = z = zmin, with zmin at least 1 mm behind the rearmost surface point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Triangles whose bounding box covers more cells than this are rasterised one by one.
_BIG_TRIANGLE_CELLS = 256


@dataclass(frozen=True, eq=False)
class RangeGrid:
    """data: (nrows * ncols, 5) float64 x, y, z, u, v; zmin: the background value."""

    data: np.ndarray
    nrows: int
    ncols: int
    zmin: float

    @property
    def depth(self) -> np.ndarray:
        """(nrows, ncols) z with NaN for background."""
        z = self.data[:, 2].reshape(self.nrows, self.ncols).copy()
        z[z == self.zmin] = np.nan
        return z


def _rasterise(p: np.ndarray, z: np.ndarray, tris: np.ndarray, nrows: int, ncols: int) -> np.ndarray:
    """(nrows * ncols,) front-most z per cell (-inf where uncovered).

    p: (V, 2) vertex positions in cell units (column, row); z: (V,); tris: (F, 3).
    """
    a, b, c = p[tris[:, 0]], p[tris[:, 1]], p[tris[:, 2]]
    za, zb, zc = z[tris[:, 0]], z[tris[:, 1]], z[tris[:, 2]]
    denom = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    lo = np.ceil(np.minimum(np.minimum(a, b), c) - 1e-9).astype(np.int64)
    hi = np.floor(np.maximum(np.maximum(a, b), c) + 1e-9).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi[:, 0] = np.minimum(hi[:, 0], ncols - 1)
    hi[:, 1] = np.minimum(hi[:, 1], nrows - 1)
    w = hi[:, 0] - lo[:, 0] + 1
    h = hi[:, 1] - lo[:, 1] + 1
    ok = (np.abs(denom) > 1e-12) & (w > 0) & (h > 0)
    zbuf = np.full(nrows * ncols, -np.inf)

    def emit(sel: np.ndarray, px: np.ndarray, py: np.ndarray) -> None:
        # barycentric coordinates of the sample points (px, py) in triangles sel
        d = denom[sel]
        l0 = ((b[sel, 0] - px) * (c[sel, 1] - py) - (b[sel, 1] - py) * (c[sel, 0] - px)) / d
        l1 = ((c[sel, 0] - px) * (a[sel, 1] - py) - (c[sel, 1] - py) * (a[sel, 0] - px)) / d
        l2 = 1.0 - l0 - l1
        inside = (l0 >= -1e-9) & (l1 >= -1e-9) & (l2 >= -1e-9)
        if inside.any():
            zz = l0 * za[sel] + l1 * zb[sel] + l2 * zc[sel]
            cells = py[inside].astype(np.int64) * ncols + px[inside].astype(np.int64)
            np.maximum.at(zbuf, cells, zz[inside])

    small = ok & (w * h <= _BIG_TRIANGLE_CELLS)
    idx = np.flatnonzero(small)
    if idx.size:
        for dy in range(int(h[idx].max())):
            for dx in range(int(w[idx].max())):
                sel = idx[(w[idx] > dx) & (h[idx] > dy)]
                if sel.size:
                    emit(sel, (lo[sel, 0] + dx).astype(np.float64), (lo[sel, 1] + dy).astype(np.float64))
    for t in np.flatnonzero(ok & ~small):
        gx, gy = np.meshgrid(np.arange(lo[t, 0], hi[t, 0] + 1), np.arange(lo[t, 1], hi[t, 1] + 1))
        sel = np.full(gx.size, t)
        emit(sel, gx.ravel().astype(np.float64), gy.ravel().astype(np.float64))
    return zbuf


def depth_on_grid(vertices: np.ndarray, faces: np.ndarray, x0: float, ytop: float, spacing: float, nrows: int,
                  ncols: int) -> np.ndarray:
    """(nrows, ncols) front-most z of a (V, 3) mesh on a fixed grid (NaN where no triangle covers a cell).

    Cell (r, c) is centred at x = x0 + c * spacing, y = ytop - r * spacing.
    """
    v = np.asarray(vertices, dtype=np.float64)
    p = np.column_stack([(v[:, 0] - x0) / spacing, (ytop - v[:, 1]) / spacing])
    zbuf = _rasterise(p, v[:, 2], np.asarray(faces, dtype=np.int64), nrows, ncols)
    zbuf[~np.isfinite(zbuf)] = np.nan
    return zbuf.reshape(nrows, ncols)


def range_grid(vertices: np.ndarray, faces: np.ndarray, spacing: float = 1.0, margin: float = 2.0) -> RangeGrid:
    """Project a (V, 3) mesh with (F, 3) faces along z onto a grid of ``spacing`` mm cells.

    The grid covers the mesh's x-y extent plus ``margin`` mm on every side. Vertex positions are rounded
    to 1e-6 mm first so the result does not depend on floating-point noise in the last bits.
    """
    v = np.round(np.asarray(vertices, dtype=np.float64), 6)
    f = np.asarray(faces, dtype=np.int64)
    if v.ndim != 2 or v.shape[1] != 3 or v.shape[0] < 3 or f.ndim != 2 or f.shape[1] != 3 or len(f) == 0:
        raise ValueError("range_grid needs a mesh with at least one triangle")
    if spacing <= 0:
        raise ValueError(f"grid spacing must be > 0, got {spacing}")
    used = v[np.unique(f)]
    x0 = np.floor((used[:, 0].min() - margin) / spacing) * spacing
    ytop = np.ceil((used[:, 1].max() + margin) / spacing) * spacing
    ncols = int(np.ceil((used[:, 0].max() + margin - x0) / spacing)) + 1
    nrows = int(np.ceil((ytop - (used[:, 1].min() - margin)) / spacing)) + 1
    p = np.column_stack([(v[:, 0] - x0) / spacing, (ytop - v[:, 1]) / spacing])
    zbuf = _rasterise(p, v[:, 2], f, nrows, ncols)
    covered = np.isfinite(zbuf)
    if not covered.any():
        raise ValueError("range_grid: no triangle covers a grid cell (mesh smaller than one cell?)")
    zmin = float(np.floor(zbuf[covered].min()) - 1.0)
    rows, cols = np.divmod(np.arange(nrows * ncols), ncols)
    data = np.empty((nrows * ncols, 5))
    data[:, 0] = x0 + cols * spacing
    data[:, 1] = ytop - rows * spacing
    data[:, 2] = zbuf
    data[:, 3] = cols / max(ncols - 1, 1)
    data[:, 4] = rows / max(nrows - 1, 1)
    data[~covered, :3] = zmin
    return RangeGrid(data=data, nrows=nrows, ncols=ncols, zmin=zmin)
