import numpy as np
import pytest

from core.scans.standin import stand_in_face


def naive(bump, n, radius):
    """The stand-in written out loop by loop."""
    verts, faces = [], []
    for th in np.linspace(0.0, np.pi / 2, n):
        for ph in np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False):
            r = radius * (1.0 + bump * np.cos(3 * ph) * np.sin(th))
            verts.append([r * np.sin(th) * np.cos(ph), r * np.sin(th) * np.sin(ph), r * np.cos(th)])
    for i in range(n - 1):
        for j in range(2 * n):
            a, b = i * 2 * n + j, i * 2 * n + (j + 1) % (2 * n)
            faces += [[a, a + 2 * n, b], [b, a + 2 * n, b + 2 * n]]
    return np.asarray(verts), np.asarray(faces)


@pytest.mark.parametrize("bump,n,radius", [(0.0, 2, 50.0), (0.1, 10, 50.0), (0.2, 42, 80.0)])
def test_matches_the_loop_version(bump, n, radius):
    scan = stand_in_face(bump, n, radius)
    v, f = naive(bump, n, radius)
    assert scan.vertices.dtype == np.float32 and scan.faces.dtype == np.int64
    assert scan.vertices.shape == (2 * n * n, 3) and scan.faces.shape == (2 * (n - 1) * 2 * n, 3)
    np.testing.assert_allclose(scan.vertices, v, atol=1e-4)
    np.testing.assert_array_equal(scan.faces, f)
    assert scan.vertices[:, 2].min() >= -1e-3  # faces +z
    assert stand_in_face(source="x").source == "x" and "bump 0.1" in stand_in_face(0.1).source


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="n >= 2"):
        stand_in_face(n=1)
    with pytest.raises(ValueError, match="radius_mm"):
        stand_in_face(radius_mm=0)
