"""Capture artefacts: holes (drawn, cut, and persistent over a 4D sequence) and the rest of capture()."""

from __future__ import annotations

import numpy as np
import pytest

from core.scans import load_sequence
from core.synth import artefacts
from core.synth.config import ArtefactConfig, load_config
from core.synth.model import N_VERTICES
from core.synth.runner import RunConfig, generate


def _grid(n: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """A flat n x n vertex grid (1 mm spacing) and its triangles."""
    yy, xx = np.meshgrid(np.arange(n, dtype=np.float64), np.arange(n, dtype=np.float64), indexing="ij")
    v = np.column_stack([xx.ravel(), yy.ravel(), np.zeros(n * n)])
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    return v, np.vstack([np.column_stack([a, b, c]), np.column_stack([b, d, c])]).astype(np.int64)


def test_sample_holes_counts_and_radii():
    cfg = ArtefactConfig(hole_radius_mm=(3.0, 5.0))
    rng = np.random.default_rng(0)
    draws = [artefacts.sample_holes(rng, cfg, 100, 2.0) for _ in range(400)]
    assert np.mean([len(h) for h in draws]) == pytest.approx(2.0, abs=0.25)  # Poisson(2)
    flat = [hole for h in draws for hole in h]
    assert all(0 <= i < 100 and 3.0 <= r <= 5.0 for i, r in flat)
    assert artefacts.sample_holes(rng, cfg, 100, 0.0) == []


def test_cut_holes_removes_the_ball_and_keeps_the_rest_indexed():
    v, f = _grid()
    centre = 10 * 21 + 10
    out_v, out_f, kept = artefacts.cut_holes(v, f, [(centre, 3.0)], ArtefactConfig())
    gone = np.setdiff1d(np.arange(len(v)), kept)
    assert np.all(np.linalg.norm(v[gone] - v[centre], axis=1) < 3.0 + 1.5)  # the ball (plus orphaned rim vertices)
    assert np.all(np.linalg.norm(v[v[:, 0] == 0] - v[centre], axis=1) > 3.0)  # far vertices stay
    assert centre in gone and np.array_equal(out_v, v[kept])
    assert out_f.max() < len(out_v) and len(out_f) < len(f)
    # a patch that would remove more than max_removed_fraction is skipped
    _, _, kept_all = artefacts.cut_holes(v, f, [(centre, 50.0)], ArtefactConfig(max_removed_fraction=0.25))
    assert len(kept_all) == len(v)
    # measured on a reference shape: the same vertices go however the face moved
    moved = v + np.column_stack([np.zeros(len(v)), np.zeros(len(v)), 0.5 * v[:, 0]])
    _, _, kept_ref = artefacts.cut_holes(moved, f, [(centre, 3.0)], ArtefactConfig(), reference=v)
    assert np.array_equal(kept_ref, kept)
    with pytest.raises(ValueError, match="reference"):
        artefacts.cut_holes(v, f, [(centre, 3.0)], ArtefactConfig(), reference=v[:10])


def test_capture_draws_holes_only_when_none_are_given():
    v, f = _grid()
    cfg = ArtefactConfig(rotation_deg=0.0, translation_mm=0.0, noise_mm=0.0, holes_mean=5.0, spurious_mean=0.0,
                         occlusion_probability=0.0)
    from core.synth.face import face_regions

    regions = face_regions(v)
    drawn, _ = artefacts.capture(v, f, np.random.default_rng(1), cfg, regions)
    assert len(drawn) < len(v)
    given, _ = artefacts.capture(v, f, np.random.default_rng(1), cfg, regions, holes=[])
    assert len(given) == len(v)


def _vertex_counts(folder) -> list[int]:
    return [frame.n_vertices for frame in load_sequence(folder)]


@pytest.mark.parametrize("frame_holes, persistent", [(0.0, True), (3.0, False)])
def test_sequence_holes_persist_and_frame_holes_do_not(sfm_model, tmp_path, frame_holes, persistent):
    clean = {"rotation_deg": 0.0, "translation_mm": 0.0, "noise_mm": 0.0, "occlusion_probability": 0.0,
             "spurious_mean": 0.0, "holes_mean": 3.0, "frame_holes_mean": frame_holes}
    out = tmp_path / "bu4dfe"
    result = generate(RunConfig("bu4dfe", 1, out, seed=4),
                      load_config("bu4dfe", None, {"artefacts": clean, "frames": 5,
                                                   "expressions": ["happiness", "surprise", "anger"]}), sfm_model)
    counts = [_vertex_counts(out / item.path) for item in result.items]
    assert any(c[0] < N_VERTICES for c in counts)  # some sequence has holes
    if persistent:  # the same vertices are missing in every frame
        assert all(len(set(c)) == 1 for c in counts)
    else:
        assert any(len(set(c)) > 1 for c in counts)
