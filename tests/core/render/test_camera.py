"""The renderer's camera as numbers (core.render.camera): projection to pixels and the depth images, checked against
what VTK actually draws."""

from __future__ import annotations

import numpy as np
import pytest

from core.render.camera import ViewCamera, render_depth, splat_depth, view_cameras
from core.render.views import HALF_HEIGHT, SurfaceGeometry, render_geometry
from core.scans.types import Scan

PLANE = (0.3, -0.2, 0.1)  # z = a x + b y + c
XS, YS = (-0.3, 0.25), (-0.2, 0.35)


def _plane(n: int = 30, points: bool = False) -> SurfaceGeometry:
    a, b, c = PLANE
    x, y = np.meshgrid(np.linspace(*XS, n), np.linspace(*YS, n), indexing="ij")
    v = np.stack([x, y, a * x + b * y + c], -1).reshape(-1, 3).astype(np.float32)
    if points:
        return SurfaceGeometry.from_scan(Scan(v, None, "plane points"))
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="ij")
    p = (i * n + j).ravel()
    faces = np.concatenate([np.stack([p, p + n, p + 1], 1), np.stack([p + 1, p + n, p + n + 1], 1)])
    return SurfaceGeometry.from_scan(Scan(v, faces, "plane"))


@pytest.mark.parametrize("size", [32, 96])
def test_depth_images_hold_the_exact_nearness_of_the_surface_each_pixel_shows(size):
    a, b, c = PLANE
    normal = np.array([-a, -b, 1.0])
    cameras = view_cameras((-30, 0, 30), size, pitch=10)
    _, nearness = render_depth(_plane(), cameras)
    for cam, near in zip(cameras, nearness):
        rows, cols = np.nonzero(np.isfinite(near))
        assert len(rows) > 0.1 * size * size
        r = cam.rotation
        # the ray through each pixel centre: x_cam, y_cam from the pixel, along the view axis to the plane
        x_cam = (cols + 0.5) / size * 2 * HALF_HEIGHT - HALF_HEIGHT
        y_cam = HALF_HEIGHT - (rows + 0.5) / size * 2 * HALF_HEIGHT
        base = np.outer(x_cam, r[:, 0]) + np.outer(y_cam, r[:, 1])
        t = (c - base @ normal) / (r[:, 2] @ normal)
        assert np.abs(near[rows, cols] - t).max() < 1e-5
        assert np.all(np.isneginf(near[~np.isfinite(near)]))


@pytest.mark.parametrize("size", [32, 96])
def test_projected_corners_bound_the_drawn_pixels(size):
    """Pixel centres inside the projected plane are drawn, those outside are not: the drawn columns and rows run
    from the first integer at or after the projected minimum to the last at or before the maximum."""
    a, b, c = PLANE
    corners = np.array([[x, y, a * x + b * y + c] for x in XS for y in YS])
    cameras = view_cameras((-30, 0, 30), size, pitch=10)
    _, nearness = render_depth(_plane(), cameras)
    for cam, near in zip(cameras, nearness):
        rows, cols = np.nonzero(np.isfinite(near))
        p = cam.project(corners)
        assert abs(cols.min() - np.ceil(p[:, 0].min())) <= 1 and abs(cols.max() - np.floor(p[:, 0].max())) <= 1
        assert abs(rows.min() - np.ceil(p[:, 1].min())) <= 1 and abs(rows.max() - np.floor(p[:, 1].max())) <= 1


def test_depth_render_draws_the_same_images_as_the_views():
    geometry = _plane()
    for size in (32, 64):
        images, _ = render_depth(geometry, view_cameras((-30, 0, 30), size))
        assert np.array_equal(images, render_geometry(geometry, (-30, 0, 30), size))


def test_matrix_is_the_affine_map_of_project():
    cam = ViewCamera.for_view(25.0, 40, pitch=-5.0)
    pts = np.random.default_rng(0).uniform(-0.5, 0.5, (50, 3))
    homo = np.column_stack([pts, np.ones(len(pts))]) @ cam.matrix.T
    assert np.allclose(homo[:, :3], cam.project(pts)) and np.allclose(homo[:, 3], 1.0)
    assert cam.pixel_size == pytest.approx(2 * HALF_HEIGHT / 40)
    # the origin projects to the image centre, in the middle of pixels (S/2 - 1/2)
    assert np.allclose(cam.project(np.zeros((1, 3)))[0], [19.5, 19.5, 0.0])


def test_bad_view_settings_are_refused():
    with pytest.raises(ValueError, match="size"):
        ViewCamera.for_view(0.0, 4)
    with pytest.raises(ValueError, match="pitch"):
        view_cameras((0.0,), 32, pitch=120)
    with pytest.raises(ValueError, match="one size"):
        render_depth(_plane(), [ViewCamera.for_view(0, 32), ViewCamera.for_view(0, 64)])


def test_point_splats_stand_at_most_one_splat_diameter_before_their_points():
    geometry = _plane(points=True)
    for size in (32, 128):
        cameras = view_cameras((-30, 0, 30), size)
        _, nearness = render_depth(geometry, cameras)
        for cam, near in zip(cameras, nearness):
            p = cam.project(geometry.vertices)
            col, row = np.rint(p[:, 0]).astype(int), np.rint(p[:, 1]).astype(int)
            surface = near[row, col]
            drawn = np.isfinite(surface)
            assert drawn.mean() > 0.9
            ahead = surface[drawn] - p[drawn, 2]
            assert ahead.min() > -2 * cam.pixel_size  # never far behind its own point
            assert ahead.max() <= splat_depth(geometry, cam) + 2 * cam.pixel_size
    assert splat_depth(_plane(), cameras[0]) == 0.0
