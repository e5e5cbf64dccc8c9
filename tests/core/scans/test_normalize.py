"""Normalisation: bounding box centred in [-0.5, 0.5] with largest extent 1, orientation presets, 4D reference."""

from __future__ import annotations

import numpy as np
import pytest

from core.scans import ORIENTATIONS, Normalization, Scan, normalization, normalize


def box(scan: Scan) -> tuple[np.ndarray, np.ndarray]:
    return scan.vertices.min(axis=0), scan.vertices.max(axis=0)


def test_bounding_box_is_centred_with_largest_extent_one(mesh):
    vertices, faces = mesh
    scan = Scan(vertices * 37.0 + [100.0, -20.0, 600.0], faces, "face.wrl")
    out = normalize(scan)
    lo, hi = box(out)
    np.testing.assert_allclose(lo + hi, 0.0, atol=1e-6)
    assert np.max(hi - lo) == pytest.approx(1.0, abs=1e-6)
    assert lo.min() >= -0.5 - 1e-6 and hi.max() <= 0.5 + 1e-6
    assert out.faces is scan.faces or np.array_equal(out.faces, scan.faces)
    assert out.source == "face.wrl"
    # Shape is kept: only a uniform scale and a shift.
    n = normalization(scan)
    np.testing.assert_allclose(out.vertices, (scan.vertices - n.centre) * n.scale, atol=1e-6)


def test_reference_normalization_keeps_the_motion_of_a_sequence(mesh):
    vertices, faces = mesh
    frames = [Scan(vertices + [0.0, 0.0, 2.0 * t], faces, f"seq.npz[{t}]") for t in range(4)]
    ref = normalization(frames[0])
    out = [normalize(f, reference=ref) for f in frames]
    extent = np.max(vertices.max(axis=0) - vertices.min(axis=0))
    for t in range(1, 4):
        shift = [[0, 0, 2.0 * t / extent]] * len(vertices)
        np.testing.assert_allclose(out[t].vertices - out[0].vertices, shift, atol=1e-5)
    # A reference given as the first frame itself measures the same normalisation.
    np.testing.assert_array_equal(normalize(frames[3], reference=frames[0]).vertices, out[3].vertices)
    # Normalising each frame on its own would have removed the motion.
    np.testing.assert_allclose(normalize(frames[3]).vertices, out[0].vertices, atol=1e-6)


def test_z_up_preset_turns_the_face_to_look_along_plus_z():
    # A "face" stored z-up, looking along -y: nose tip at -y, top of the head at +z, subject's left at +x.
    nose, top, left, back = [0.0, -10.0, 0.0], [0.0, 0.0, 12.0], [8.0, 0.0, 0.0], [0.0, 6.0, -12.0]
    scan = Scan(np.array([nose, top, left, back]), None, "zup.xyz")
    out = normalize(scan, orientation="z-up").vertices
    assert np.argmax(out[:, 2]) == 0  # nose furthest along +z
    assert np.argmax(out[:, 1]) == 1  # top of the head up (+y)
    assert np.argmax(out[:, 0]) == 2  # subject's left at +x
    lo, hi = out.min(axis=0), out.max(axis=0)
    np.testing.assert_allclose(lo + hi, 0.0, atol=1e-6)
    assert np.max(hi - lo) == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(ORIENTATIONS))
def test_every_preset_is_a_proper_rotation_and_fits_the_unit_box(mesh, name):
    rotation = ORIENTATIONS[name]
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    out = normalize(Scan(mesh[0] * 3.0 + 7.0, mesh[1]), orientation=name)
    lo, hi = box(out)
    np.testing.assert_allclose(lo + hi, 0.0, atol=1e-6)
    assert np.max(hi - lo) == pytest.approx(1.0, abs=1e-6)


def test_normalization_object(mesh):
    scan = Scan(mesh[0], mesh[1])
    n = normalization(scan, orientation="y-down")
    assert isinstance(n, Normalization)
    assert n.centre.shape == (3,) and n.rotation.shape == (3, 3) and isinstance(n.scale, float)
    np.testing.assert_allclose(n.apply(scan).vertices, n.apply_points(scan.vertices), atol=1e-6)
    batch = np.stack([scan.vertices, scan.vertices + 1.0])  # (..., 3) batches work too
    assert n.apply_points(batch).shape == batch.shape
    with pytest.raises(ValueError):
        n.centre[0] = 1.0  # read-only: a Normalization is a value


def test_single_point_keeps_scale_one():
    n = normalization(Scan(np.array([[3.0, 4.0, 5.0]]), None))
    assert n.scale == 1.0
    np.testing.assert_array_equal(n.apply_points([[3.0, 4.0, 5.0]]), [[0.0, 0.0, 0.0]])


def test_unknown_orientation_is_refused(mesh):
    with pytest.raises(ValueError, match="orientation"):
        normalization(Scan(*mesh), orientation="upside-down")
