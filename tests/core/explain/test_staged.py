"""core.explain.staged: the stages of prepare() run apart (one view at a time, the face given) give prepare()'s
ExplainInput; bad arguments are ValueErrors."""

from __future__ import annotations

import numpy as np
import pytest

from core.explain import prepare, saliency
from core.explain.staged import depth_images, finish, frame_input, render_views
from core.render.framing import frame_scan
from core.scans.types import Scan

from .conftest import face


def _staged(analyzer, scan: Scan, **kwargs):
    framed = frame_input([scan], scan.source, analyzer.render_config, **kwargs)
    views = np.concatenate([render_views(framed, i) for i in range(framed.n_views)])
    depth = [depth_images(framed, i) for i in range(framed.n_views)]
    display = np.concatenate([d[0] for d in depth])
    nearness = np.concatenate([d[1] for d in depth])
    return finish(framed, views, display, nearness)


@pytest.mark.parametrize("cloud", [False, True])
def test_the_stages_one_view_at_a_time_give_prepares_input(tiny_analyzer, cloud):
    scan = face(0.1)
    if cloud:
        scan = Scan(scan.vertices, None, "cloud")
    whole = prepare(tiny_analyzer, scan)
    staged = _staged(tiny_analyzer, scan)
    for name in ("views", "points", "seen", "display"):
        assert np.array_equal(getattr(staged, name), getattr(whole, name)), name
    assert staged.scan is scan and staged.n_frames == 1 and staged.face == whole.face
    label = tiny_analyzer.labels[1]
    assert np.array_equal(saliency(tiny_analyzer, staged, label).values, saliency(tiny_analyzer, whole, label).values)


def test_a_known_face_skips_the_search_and_frames_alike(default_analyzer, au12_faces):
    f = au12_faces[0].active
    scan = Scan(f.vertices.astype(np.float32), f.faces, "ict")
    canonical = default_analyzer.render_config.canonical
    known = frame_scan(scan, canonical).face
    searched = frame_input([scan], "ict", default_analyzer.render_config)
    given = frame_input([scan], "ict", default_analyzer.render_config, face=known)
    assert given.flag == searched.flag
    for name in ("points", "drawn"):
        assert np.array_equal(getattr(given, name), getattr(searched, name)), name
    assert np.array_equal(given.geometry.vertices, searched.geometry.vertices)
    other = default_analyzer.render_config.replace(canonical=canonical.replace(radius_mm=70.0))
    with pytest.raises(ValueError, match="other settings"):
        frame_input([scan], "ict", other, face=known)


def test_bad_arguments_are_value_errors(tiny_analyzer):
    with pytest.raises(ValueError, match="non-empty"):
        frame_input([], "nothing", tiny_analyzer.render_config)
    framed = frame_input([face(0.1)], "face", tiny_analyzer.render_config)
    display, nearness = depth_images(framed)
    with pytest.raises(ValueError, match="views of 32 px"):
        finish(framed, np.zeros((3, 16, 16, 3), np.uint8), display, nearness)
    with pytest.raises(ValueError, match="depth images"):
        finish(framed, render_views(framed), display[:1], nearness[:1])
