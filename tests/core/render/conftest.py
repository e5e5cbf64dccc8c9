"""Synthetic face-like surfaces for the render tests: a mirrored height field (left-right symmetric,
triangulation included) with a nose bump and two eye dents."""

from __future__ import annotations

from pathlib import Path

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


def write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray | None) -> Path:
    """Write an OBJ (a point cloud when ``faces`` is None); its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
    if faces is not None:
        lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def symmetric_face() -> Scan:
    v, f = height_field()
    return Scan(v * 90.0, f, "symmetric height field")  # millimetre-like scale; rendering normalises


@pytest.fixture
def height_field_builder():
    return height_field


def load_ict_or_skip():
    """The ICT Face Model (../shared/ict, $SMILE_ICT_DIR or the user cache); the test is skipped when absent."""
    from core.synth.ict_model import find_and_load_ict

    try:
        return find_and_load_ict()
    except (ValueError, OSError) as exc:
        pytest.skip(f"ICT face model not available: {exc}")


@pytest.fixture(scope="session")
def ict_model():
    return load_ict_or_skip()


@pytest.fixture(scope="session")
def ict_face(ict_model) -> Scan:
    """The ICT neutral head (face, head and neck) in millimetres, facing +z, +y up: a real face for the
    canonical-face framing."""
    return Scan(np.asarray(ict_model.neutral, np.float32), np.asarray(ict_model.faces, np.int64), "ict neutral")


@pytest.fixture(scope="session")
def sphere() -> Scan:
    """A sphere of radius 80 mm: no face in it."""
    import trimesh

    mesh = trimesh.creation.icosphere(subdivisions=3, radius=80.0)
    return Scan(np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.int64), "sphere")
