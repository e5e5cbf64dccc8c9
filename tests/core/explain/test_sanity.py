"""Sanity checks of the evidence maps (Adebayo et al. 2018; core.explain.sanity): the measures themselves, and the
default model on synthetic ICT faces with one action unit (benchmarks/bench_explain.py reports them over more AUs
and subjects)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.explain.sanity import (AuFace, check_faces, class_for_au, moving_region, randomised_model, rank_correlation,
                                 region_ratio)
from core.synth.action_units import load_table

from .conftest import TINY


def test_region_ratio_is_one_at_chance_and_one_over_chance_when_every_top_vertex_is_inside():
    values = np.arange(100, dtype=float)
    region = np.zeros(100, bool)
    region[90:] = True  # the top 10 % exactly
    seen = np.ones(100, bool)
    assert region_ratio(values, region, seen) == pytest.approx((10.0, 0.1))
    region[:] = False
    region[::10] = True  # spread evenly: the top 10 % holds one of them
    assert region_ratio(values, region, seen)[0] == pytest.approx(1.0)
    seen[50:] = False  # only the seen vertices count: top 10 % of 50 = 5 vertices, 45..49
    assert region_ratio(values, region, seen) == pytest.approx((0.0, 0.1))
    with pytest.raises(ValueError, match="region"):
        region_ratio(values, np.zeros(100, bool), np.ones(100, bool))


def test_rank_correlation_over_the_seen_vertices():
    a = np.arange(20, dtype=float)
    seen = np.ones(20, bool)
    assert rank_correlation(a, a ** 2, seen) == pytest.approx(1.0)
    assert rank_correlation(a, -a, seen) == pytest.approx(-1.0)
    assert np.isnan(rank_correlation(a, np.zeros(20), seen))


def test_moving_region_is_relative_to_the_largest_displacement_seen():
    from core.scans.types import Scan

    scan = Scan(np.zeros((5, 3), np.float32), None, "x")
    face = AuFace("AU26", "S1", scan, scan, np.array([40.0, 20.0, 8.0, 4.0, 1.0]))
    assert moving_region(face, np.ones(5, bool)).tolist() == [True, True, False, False, False]
    assert moving_region(face, np.array([False, False, True, True, True])).tolist() == [True, True, True, True, False]
    with pytest.raises(ValueError, match="moves no vertex"):
        moving_region(face, np.zeros(5, bool))


def test_each_au_is_explained_with_the_class_that_needs_it_most():
    table = load_table()
    assert [class_for_au(table, au) for au in ("AU12", "AU26", "AU9", "AU15", "AU4")] == [
        "happiness", "surprise", "disgust", "sadness", "anger"]
    with pytest.raises(ValueError, match="AU45"):
        class_for_au(table, "AU45")


def test_randomising_replaces_the_visual_tower_and_keeps_the_text_projection():
    from core.model import SmileVLM

    torch.manual_seed(0)
    model = SmileVLM(TINY, 384).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rand = randomised_model(model, seed=3)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # the original is untouched
    state = rand.state_dict()
    for name in ("backbone.features.0.weight", "projector.net.0.weight", "fusion.score.0.weight"):
        assert not torch.equal(state[name], before[name])
    assert torch.equal(state["text_proj.weight"], before["text_proj.weight"])
    assert not rand.training
    again = randomised_model(model, seed=3).state_dict()
    assert all(torch.equal(again[k], v) for k, v in state.items())


def test_the_default_model_points_at_the_lip_corners_of_a_smile_and_not_when_randomised(default_analyzer,
                                                                                          au12_faces):
    """AU12 (lip corner puller) alone, explaining 'happiness': the top 10 % of the map lies in the moving region
    ~2.2x as often as chance (chance 0.34-0.38, so ~80 % of the top vertices); the randomised model's map is another
    map (rank correlation below 0.5) that misses the region."""
    checks = check_faces(default_analyzer, au12_faces, randomised_model(default_analyzer.model, seed=0))
    for c in checks:
        assert c.class_name == "happiness" and c.probability > 0.5
        assert c.ratio > 1.8, c
        assert c.random_ratio < c.ratio and c.rho < 0.5, c
