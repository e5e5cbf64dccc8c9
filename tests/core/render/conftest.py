"""Synthetic face-like surfaces for the render tests: a mirrored height field (left-right symmetric,
triangulation included) with a nose bump and two eye dents."""

from __future__ import annotations

import numpy as np
import pytest

from core.scans.types import Scan


def height_field(n: int = 41, smile: float = 0.0, nose_y: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V, 3) and faces (F, 3) of z = f(x, y) over x in [-1, 1], y in [-1.2, 1.2].

    With ``smile == 0`` the surface and its triangulation are exactly symmetric under x -> -x (cells left
    of x = 0 use one diagonal, their mirror cells the mirrored one). ``smile`` adds a bump at x = +0.5.
    Triangles are counter-clockwise seen from +z.
    """
    xs = np.linspace(-1.0, 1.0, n)
    ys = np.linspace(-1.2, 1.2, int(1.2 * n) | 1)
    x, y = np.meshgrid(xs, ys)
    z = (
        0.6 * np.exp(-(x**2) / 0.8 - y**2 / 1.5)
        + 0.35 * np.exp(-(x**2 + (y - nose_y) ** 2) / 0.02)
        - 0.12 * np.exp(-((x - 0.4) ** 2 + (y - 0.35) ** 2) / 0.02)
        - 0.12 * np.exp(-((x + 0.4) ** 2 + (y - 0.35) ** 2) / 0.02)
        + smile * np.exp(-((x - 0.5) ** 2 + (y + 0.5) ** 2) / 0.03)
    )
    vertices = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    ny, nx = x.shape
    j, i = np.meshgrid(np.arange(ny - 1), np.arange(nx - 1), indexing="ij")
    v00, v01 = j * nx + i, j * nx + i + 1
    v10, v11 = v00 + nx, v01 + nx
    left = (xs[:-1] + xs[1:])[i] < 0
    t1 = np.where(left[..., None], np.stack([v00, v01, v11], -1), np.stack([v00, v01, v10], -1))
    t2 = np.where(left[..., None], np.stack([v00, v11, v10], -1), np.stack([v01, v11, v10], -1))
    faces = np.concatenate([t1.reshape(-1, 3), t2.reshape(-1, 3)])
    return vertices, faces


@pytest.fixture
def symmetric_face() -> Scan:
    v, f = height_field()
    return Scan(v * 90.0, f, "symmetric height field")  # millimetre-like scale; rendering normalises


@pytest.fixture
def height_field_builder():
    return height_field
