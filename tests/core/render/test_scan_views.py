"""render_scan / render_sequence and render_views' default framing: canonical faces, the face flag, and the
bounding-box framing of orientation "none"."""

from __future__ import annotations

import numpy as np
import pytest

from core.render import RenderConfig, render_scan, render_sequence, render_views
from core.scans import normalization
from core.scans.canonical import CanonicalSettings
from core.scans.types import Scan

CONFIG = RenderConfig(yaws=(-30, 0, 30), size=64)
BBOX = CanonicalSettings.default().replace(orientation="none")

#: z-up: +y of the face turned onto +z (a scanner whose vertical axis is z)
Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    fa, fb = a[..., 1] > 0, b[..., 1] > 0
    return float((fa & fb).sum() / (fa | fb).sum())


def test_a_face_is_found_and_framed_alike_in_any_pose_and_unit(ict_face):
    views, flag = render_scan(ict_face, CONFIG)
    assert views.shape == (3, 64, 64, 3) and views.dtype == np.uint8
    assert flag is not None and flag.ok and flag.reason == "" and flag.residual_mm < 3.0
    # the nose tip is the canonical origin: the nearest point of the frontal view, at the image centre
    r, c = np.unravel_index(np.argmax(views[1, ..., 1]), views.shape[1:3])
    assert abs(c - 31.5) <= 2 and abs(r - 31.5) <= 3
    # the same head in centimetres, lying along z and shifted renders (nearly) the same images
    moved = Scan((ict_face.vertices @ Z_UP.T / 10.0 + np.array([3.0, -20.0, 7.0])).astype(np.float32),
                 ict_face.faces, "moved")
    again, flag2 = render_scan(moved, CONFIG)
    assert flag2.ok
    for v in range(3):
        assert _iou(views[v], again[v]) > 0.9
        assert np.abs(views[v].astype(int) - again[v].astype(int)).mean() < 10
    # which bounding-box framing does not do (the whole head, lying down)
    boxed = render_views(moved, CONFIG.yaws, CONFIG.size, canonical=BBOX)
    assert min(_iou(views[v], boxed[v]) for v in range(3)) < 0.8


def test_no_face_in_a_sphere_is_flagged_and_still_rendered(sphere):
    views, flag = render_scan(sphere, CONFIG)
    assert not flag.ok and flag.reason.startswith("no face found")
    assert flag.to_dict()["ok"] is False and flag.reason in flag.warning()
    assert (views[..., 1] > 0).any()


def test_orientation_none_is_the_bounding_box_framing(ict_face):
    config = CONFIG.replace(canonical={"orientation": "none"})
    views, flag = render_scan(ict_face, config)
    assert flag is None
    expected = render_views(ict_face, CONFIG.yaws, CONFIG.size, normalization=normalization(ict_face))
    assert np.array_equal(views, expected)
    assert np.array_equal(render_views(ict_face, CONFIG.yaws, CONFIG.size, canonical=BBOX), expected)


def test_render_views_defaults_to_canonical_faces(ict_face):
    views, _ = render_scan(ict_face, CONFIG)
    assert np.array_equal(render_views(ict_face, CONFIG.yaws, CONFIG.size), views)
    assert np.array_equal(render_views(ict_face, CONFIG.yaws, CONFIG.size, canonical=CanonicalSettings.default()),
                          views)
    whole = CanonicalSettings.default().replace(crop=False)
    no_crop = render_views(ict_face, CONFIG.yaws, CONFIG.size, canonical=whole)
    assert (no_crop[..., 1] > 0).sum() > (views[..., 1] > 0).sum()  # the whole head, not the face sphere


def test_render_sequence_keeps_the_first_frame_framing(ict_model, ict_face):
    jaw = ict_model.expression("jawOpen").astype(np.float32)
    frames = [Scan(ict_face.vertices + w * jaw, ict_face.faces, f"jaw {w}") for w in (0.0, 0.3, 0.6, 0.9)]
    config = CONFIG.replace(n_frames=3)
    views, flag = render_sequence(frames, config)
    assert flag is not None and flag.ok
    assert views.shape == (3, 64, 64, 3) and views.max() == 255
    single, single_flag = render_sequence(frames[:1], config)
    assert single_flag == render_scan(frames[0], config)[1]
    assert np.array_equal(single, render_scan(frames[0], config)[0])
    none_views, none_flag = render_sequence(frames, config.replace(canonical={"orientation": "none"}))
    assert none_flag is None and not np.array_equal(none_views, views)
    with pytest.raises(ValueError, match="not a Scan"):
        render_sequence([frames[0], "x"], config)
    with pytest.raises(ValueError, match="at least one frame"):
        render_sequence([], config)
    with pytest.raises(ValueError, match="Scan"):
        render_scan(np.zeros((4, 3)), config)
