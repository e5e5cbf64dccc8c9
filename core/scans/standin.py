"""A stand-in face without the Surrey Face Model: a triangulated hemisphere with a smile-like bump.

Used where a face-like mesh is needed and the SFM may be absent: tests, benchmark fall-backs. Convention as every
scan: millimetres, facing +z, +y up. ``n`` rings of ``2n`` vertices (``2n**2`` vertices, ``2(n-1)2n`` triangles);
the radius is modulated by ``1 + bump * cos(3 phi) * sin(theta)``, so ``bump`` = 0 is a plain hemisphere.
"""

from __future__ import annotations

import numpy as np

from core.scans.types import Scan


def stand_in_face(bump: float = 0.0, n: int = 12, radius_mm: float = 50.0, source: str = "") -> Scan:
    """(2n^2, 3) float32 vertices and (2(n-1)2n, 3) int64 triangles; ``source`` defaults to a description."""
    if n < 2 or radius_mm <= 0:
        raise ValueError(f"a stand-in face needs n >= 2 and radius_mm > 0, got n={n}, radius_mm={radius_mm}")
    th = np.linspace(0.0, np.pi / 2, n)
    ph = np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False)
    t, p = np.meshgrid(th, ph, indexing="ij")
    r = radius_mm * (1.0 + bump * np.cos(3 * p) * np.sin(t))
    v = np.stack([r * np.sin(t) * np.cos(p), r * np.sin(t) * np.sin(p), r * np.cos(t)], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(n - 1), np.arange(2 * n), indexing="ij")
    a, b = (i * 2 * n + j).ravel(), (i * 2 * n + (j + 1) % (2 * n)).ravel()
    faces = np.stack([np.stack([a, a + 2 * n, b], 1), np.stack([b, a + 2 * n, b + 2 * n], 1)], 1).reshape(-1, 3)
    return Scan(v.astype(np.float32), faces.astype(np.int64), source or f"stand-in face (bump {bump:g}, n {n})")
