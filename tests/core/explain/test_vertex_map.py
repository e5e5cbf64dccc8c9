"""Carrying image maps to vertices (core.explain.vertex_map): the stored scan's vertices reach the renderer's frame,
only vertices a view sees get its map, sampling is bilinear at the projected position, views combine by weight."""

from __future__ import annotations

import numpy as np
import pytest

from core import scans
from core.explain.vertex_map import combine, normalised_points, sample_maps, unit_scale, visibility
from core.render.camera import render_depth, view_cameras
from core.render.framing import frame_scan
from core.render.views import SurfaceGeometry
from core.scans.canonical import CanonicalSettings
from core.scans.types import Scan

from .conftest import face


def _grid(z: float, half: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.meshgrid(np.linspace(-half, half, n), np.linspace(-half, half, n), indexing="ij")
    v = np.stack([x, y, np.full_like(x, z)], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="ij")
    p = (i * n + j).ravel()
    return v, np.concatenate([np.stack([p, p + n, p + 1], 1), np.stack([p + 1, p + n, p + n + 1], 1)])


def _two_planes() -> tuple[Scan, int]:
    """A small plane 0.2 in front of a large one (normalised units); returns the scan and the back plane's size."""
    back_v, back_f = _grid(-0.1, 0.4, 21)
    front_v, front_f = _grid(0.1, 0.15, 9)
    v = np.concatenate([back_v, front_v]).astype(np.float32)
    return Scan(v, np.concatenate([back_f, front_f + len(back_v)]), "two planes"), len(back_v)


def test_a_plane_hidden_behind_another_is_not_seen_from_the_front():
    scan, n_back = _two_planes()
    cameras = view_cameras((0.0, 60.0), 128)
    _, nearness = render_depth(SurfaceGeometry.from_scan(scan), cameras)
    points = scan.vertices.astype(np.float64)
    seen = visibility(points, np.ones(len(points), bool), cameras, nearness, [2 * c.pixel_size for c in cameras])
    back = points[:n_back]
    behind = (np.abs(back[:, 0]) < 0.14) & (np.abs(back[:, 1]) < 0.14)  # under the front plane, margin inside
    clear = (np.abs(back[:, 0]) > 0.17) | (np.abs(back[:, 1]) > 0.17)
    assert seen[0, n_back:].all()  # the front plane
    assert not seen[0, :n_back][behind].any() and seen[0, :n_back][clear].all()
    # turned by 60 degrees, part of what the front plane hid comes out from behind it
    assert seen[1, :n_back][behind].any()


def test_undrawn_vertices_are_never_seen():
    scan, _ = _two_planes()
    cameras = view_cameras((0.0,), 64)
    _, nearness = render_depth(SurfaceGeometry.from_scan(scan), cameras)
    drawn = np.zeros(len(scan.vertices), bool)
    seen = visibility(scan.vertices.astype(np.float64), drawn, cameras, nearness, [1.0])
    assert not seen.any()


def test_maps_are_sampled_bilinearly_where_the_vertex_lands():
    cameras = view_cameras((-30.0, 20.0), 32)
    cols = np.tile(np.arange(32, dtype=np.float32), (32, 1))
    maps = np.stack([cols, cols.T])  # view 0: the column index, view 1: the row index
    points = np.random.default_rng(1).uniform(-0.3, 0.3, (200, 3))
    seen = np.ones((2, 200), bool)
    seen[1, :50] = False
    out = sample_maps(maps, points, cameras, seen)
    assert np.allclose(out[0], cameras[0].project(points)[:, 0], atol=1e-4)
    assert np.allclose(out[1, 50:], cameras[1].project(points[50:])[:, 1], atol=1e-4)
    assert np.all(out[1, :50] == 0)


def test_views_combine_as_the_weighted_mean_of_those_that_see_the_vertex():
    per_view = np.array([[1.0, 0.2, 0.0, 0.5], [0.0, 0.6, 0.0, 0.5], [0.4, 1.0, 0.0, 0.5]])
    seen = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [1, 1, 0, 1]], bool)
    w = np.array([0.5, 0.3, 0.2])
    out = combine(per_view, seen, w)
    assert out[0] == pytest.approx((0.5 * 1.0 + 0.2 * 0.4) / 0.7)
    assert out[1] == pytest.approx(0.5 * 0.2 + 0.3 * 0.6 + 0.2 * 1.0)
    assert out[2] == 0.0  # seen by none
    assert out[3] == pytest.approx(0.5)  # seen by one side view: its value, not diluted by the weight
    assert np.array_equal(unit_scale(np.array([0.0, 2.0, 1.0])), np.array([0.0, 1.0, 0.5], np.float32))
    assert not unit_scale(np.zeros(3)).any()


def test_bounding_box_framing_is_tracked_for_a_scan_in_any_units_and_place():
    scan = face(0.1)
    moved = Scan(scan.vertices * 0.001 + np.float32([3.0, -2.0, 7.0]), scan.faces, "metres, elsewhere")
    settings = CanonicalSettings.default().replace(orientation="none")
    for s in (scan, moved):
        framed = frame_scan(s, settings)
        points, drawn = normalised_points(s, framed, settings)
        assert drawn.all() and np.allclose(points, framed.frames[0].vertices, atol=1e-5)


def test_canonical_framing_is_tracked_back_to_the_scan_as_stored(au12_faces):
    """An ICT face stored in metres, z-up: its vertices reach exactly the renderer's crop of its canonical face, and
    the vertices the crop drops are never drawn."""
    scan = au12_faces[0].active
    rot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # y-up -> z-up
    stored = Scan((scan.vertices @ rot.T * 0.001).astype(np.float32), scan.faces, "metres, z-up")
    settings = CanonicalSettings.default()
    framed = frame_scan(stored, settings)
    points, drawn = normalised_points(stored, framed, settings)
    from core.scans.canonical.crop import crop_mask

    inside = crop_mask(framed.face.to_canonical(stored.vertices), settings)
    assert np.allclose(points[inside], framed.frames[0].vertices, atol=1e-5)
    assert not drawn[~inside].any() and 0.2 < drawn.mean() < 0.95
    # the same face stored in millimetres, y-up lands in the same place
    again, _ = normalised_points(scan, frame_scan(scan, settings), settings)
    gap = np.linalg.norm(again - points, axis=1)[drawn] * 2 * settings.radius_mm  # millimetres
    assert np.median(gap) < 1.0 and gap.max() < 4.0  # two registrations of one face, not a mapping error


def test_a_point_cloud_is_drawn_where_it_lies_in_the_crop():
    scan = face(0.1)
    cloud = Scan(scan.vertices, None, "cloud")
    settings = CanonicalSettings.default().replace(orientation="none")
    points, drawn = normalised_points(cloud, frame_scan(cloud, settings), settings)
    assert drawn.all() and np.allclose(points, scans.normalization(cloud).apply_points(cloud.vertices))
