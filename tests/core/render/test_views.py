from __future__ import annotations

import numpy as np
import pytest

from core.render import render_views
from core.render.views import CURVATURE_RANGE, DEPTH_FLOOR, camera_rotation
from core.scans import normalization
from core.scans.canonical import CanonicalSettings
from core.scans.types import Scan

#: These tests check the camera, channels and bounding-box framing on synthetic non-face surfaces (height fields,
#: planes), so they render with orientation "none" (bounding-box framing, no face search); the canonical-face
#: framing is tested in test_framing.py.
BBOX = CanonicalSettings.default().replace(orientation="none")


def _mismatch(a: np.ndarray, b: np.ndarray, tol: int = 2) -> float:
    """Fraction of pixels where any channel differs by more than ``tol`` levels."""
    return float((np.abs(a.astype(int) - b.astype(int)) > tol).any(axis=-1).mean())


def test_shape_dtype_and_zero_background(symmetric_face):
    img = render_views(symmetric_face, yaws=(-30, 0, 30), size=48, canonical=BBOX)
    assert img.shape == (3, 48, 48, 3) and img.dtype == np.uint8
    fg = img[..., 1] > 0  # depth channel: the foreground is exactly G > 0
    assert np.all(img[~fg] == 0)
    assert np.all(img[fg][:, 1] >= DEPTH_FLOOR)
    for v in range(3):
        assert 0.3 < fg[v].mean() < 0.95  # the face fills the frame but leaves a background margin
        assert np.all(img[v, 0, 0] == 0) and np.all(img[v, -1, -1] == 0)


def test_frontal_render_of_a_symmetric_face_is_symmetric(symmetric_face):
    img = render_views(symmetric_face, yaws=(0,), size=64, canonical=BBOX)[0]
    assert _mismatch(img, img[:, ::-1]) < 0.005
    assert np.abs(img.astype(int) - img[:, ::-1]).mean() < 0.1


def test_left_and_right_views_mirror_each_other(symmetric_face):
    left, right = render_views(symmetric_face, yaws=(-30, 30), size=64, canonical=BBOX)
    assert _mismatch(left, right[:, ::-1]) < 0.005
    assert _mismatch(left, right) > 0.05  # and they are not simply the same image


def test_point_cloud_renders_as_splats_and_keeps_the_symmetry(height_field_builder):
    v, _ = height_field_builder()
    cloud = Scan(v * 90.0, None, "cloud")
    img = render_views(cloud, yaws=(-30, 0, 30), size=48, canonical=BBOX)
    fg = img[..., 1] > 0
    assert fg.mean(axis=(1, 2)).min() > 0.3
    assert np.all(img[~fg] == 0)
    assert _mismatch(img[1], img[1][:, ::-1]) < 0.01
    assert _mismatch(img[0], img[2][:, ::-1], tol=8) < 0.01
    empty_faces = Scan(v * 90.0, np.zeros((0, 3), dtype=np.int64), "cloud")
    assert np.array_equal(render_views(empty_faces, yaws=(0,), size=48, canonical=BBOX)[0], img[1])


def test_channels_depth_and_curvature(symmetric_face):
    img = render_views(symmetric_face, yaws=(0,), size=64, canonical=BBOX)[0]
    fg = img[..., 1] > 0
    # the nose tip (nearest, most convex point) is the brightest depth and curvature near the centre
    r, c = np.unravel_index(np.argmax(img[..., 1]), img.shape[:2])
    assert img[r, c, 1] >= 240
    assert abs(c - 31.5) <= 1.5
    assert img[r, c, 2] > 128 + 20
    # flat-ish cheeks sit near the curvature midpoint; eye dents are concave (darker than 128)
    assert 100 < np.median(img[fg][:, 2]) < 160
    assert img[..., 2][fg].min() < 128
    assert CURVATURE_RANGE > 0


def _tilted_plane(normal) -> Scan:
    """A 1x1 square facing ``normal``, triangulated; centred on the origin."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    a = np.cross(n, [0.0, 1.0, 0.0]) if abs(n[1]) < 0.9 else np.cross(n, [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(n, a)
    g = np.linspace(-0.5, 0.5, 9)
    u, w = np.meshgrid(g, g)
    v = u.reshape(-1, 1) * a + w.reshape(-1, 1) * b
    tri = []
    for j in range(8):
        for i in range(8):
            k = j * 9 + i
            tri += [[k, k + 1, k + 10], [k, k + 10, k + 9]]
    return Scan(v, np.array(tri), "plane")


def test_yaw_and_pitch_conventions():
    # a plane facing +x-ish is lit head-on by the +30 yaw camera, obliquely by the -30 one
    yaw_plane = _tilted_plane([np.sin(np.deg2rad(30)), 0.0, np.cos(np.deg2rad(30))])
    minus, plus = render_views(yaw_plane, yaws=(-30, 30), size=32, canonical=BBOX)
    shade = lambda im: np.median(im[..., 0][im[..., 1] > 0])  # noqa: E731
    assert shade(plus) > shade(minus) + 40
    # a plane tilted toward -y faces a camera lowered by a negative pitch (the light sits 20 degrees
    # above the camera, so a camera raised by +25 lights it at 70 degrees)
    pitch_plane = _tilted_plane([0.0, -np.sin(np.deg2rad(25)), np.cos(np.deg2rad(25))])
    up = render_views(pitch_plane, yaws=(0,), size=32, pitch=25, canonical=BBOX)[0]
    down = render_views(pitch_plane, yaws=(0,), size=32, pitch=-25, canonical=BBOX)[0]
    assert shade(down) > shade(up) + 100
    # rotation matrix: yaw +90 puts the camera on +x; pitch +90 puts it on +y
    assert np.allclose(camera_rotation(90)[:, 2], [1, 0, 0], atol=1e-12)
    assert np.allclose(camera_rotation(0, 90)[:, 2], [0, 1, 0], atol=1e-12)


def test_features_on_plus_x_appear_on_the_image_right(height_field_builder):
    v, f = height_field_builder(smile=0.3)  # a bump at x = +0.5
    sym_v, _ = height_field_builder()
    img = render_views(Scan(v, f, "smile"), yaws=(0,), size=64, canonical=BBOX)[0].astype(int)
    ref = render_views(Scan(sym_v, f, "sym"), yaws=(0,), size=64, canonical=BBOX)[0].astype(int)
    diff = np.abs(img - ref).sum(axis=-1)
    cols = np.nonzero(diff > 30)[1]
    assert cols.size and cols.mean() > 32


def test_shared_normalization_keeps_motion(symmetric_face):
    moved = Scan(symmetric_face.vertices + np.array([20.0, 0.0, 0.0], np.float32), symmetric_face.faces, "moved")
    own = render_views(moved, yaws=(0,), size=48, canonical=BBOX)
    same = render_views(symmetric_face, yaws=(0,), size=48, canonical=BBOX)
    assert np.array_equal(own, same)  # self-normalised: same image
    shared = render_views(moved, yaws=(0,), size=48, normalization=normalization(symmetric_face))
    fg_cols = np.nonzero((shared[0, ..., 1] > 0).any(axis=0))[0]
    ref_cols = np.nonzero((own[0, ..., 1] > 0).any(axis=0))[0]
    assert fg_cols.mean() > ref_cols.mean() + 3  # shifted toward +x = image right


@pytest.mark.parametrize(
    "kwargs",
    [{"size": 4}, {"size": 64.5}, {"size": True}, {"yaws": ()}, {"yaws": (0, float("nan"))}, {"yaws": "left"},
     {"pitch": 120}, {"pitch": "up"}],
)
def test_bad_settings_raise_value_error(symmetric_face, kwargs):
    with pytest.raises(ValueError):
        render_views(symmetric_face, **kwargs)


def test_not_a_scan_raises_value_error():
    with pytest.raises(ValueError, match="Scan"):
        render_views(np.zeros((10, 3)))
