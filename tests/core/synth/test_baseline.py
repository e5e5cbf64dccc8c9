"""The calibration baseline: alignment, resampling, cross-validation, and (slow) the difficulty band."""

from __future__ import annotations

import numpy as np
import pytest

from core.synth.baseline import BaselineConfig, TemplateResampler, cross_validate, evaluate_rows, similarity
from core.synth.artefacts import rotation_matrix


def test_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    src = rng.normal(size=(200, 3)) * 40.0
    r = rotation_matrix(np.array([10.0, -20.0, 5.0]))
    dst = 1.07 * src @ r.T + np.array([3.0, -2.0, 8.0])
    s, rot, t = similarity(src, dst)
    assert s == pytest.approx(1.07, rel=1e-9)
    assert np.allclose(rot, r, atol=1e-9) and np.allclose(t, [3.0, -2.0, 8.0], atol=1e-6)


def test_resampler_undoes_pose_and_scale_of_a_face(sfm_model):
    template = sfm_model.mean
    resampler = TemplateResampler(template)
    rigid = template @ rotation_matrix(np.array([4.0, 6.0, -3.0])).T + np.array([5.0, -4.0, 10.0])
    assert np.abs(resampler.align(rigid) - template).max() < 1e-6
    scaled = 0.95 * template + np.array([5.0, -4.0, 10.0])
    assert np.abs(resampler.align(scaled) - template).max() < 1e-6
    both = 0.95 * rigid
    rms = lambda a: float(np.sqrt(((a - template) ** 2).sum(axis=1).mean()))  # noqa: E731
    assert rms(resampler.align(both)) < 1.5  # 12 trimmed ICP iterations: close, not exact (mm)
    back = resampler.resample(rigid)
    assert back.shape == template.shape and rms(back) < 0.6  # the Gaussian resampling smooths a little


def test_cross_validation_is_subject_independent():
    rng = np.random.default_rng(1)
    subjects = np.repeat([f"S{i}" for i in range(8)], 6)
    labels = np.tile(list("abc"), 16)
    centres = {"a": 0.0, "b": 3.0, "c": 6.0}
    x = np.array([[centres[l]] * 4 for l in labels]) + 0.3 * rng.normal(size=(48, 4))
    res = cross_validate(x, labels, subjects, BaselineConfig(n_components=2, folds=4))
    assert res.accuracy == 1.0 and len(res.fold_accuracies) == 4
    assert res.n_subjects == 8 and res.chance == pytest.approx(1 / 3) and res.confusion.sum() == 48
    noise = rng.normal(size=(48, 4))
    assert cross_validate(noise, labels, subjects, BaselineConfig(n_components=2, folds=4)).accuracy < 0.7
    with pytest.raises(ValueError, match="at least 2 subjects"):
        cross_validate(x[:6], labels[:6], subjects[:6])


def test_bu4dfe_difficulty_is_in_the_target_band(sfm_model, tmp_path):
    """Calibration check (about 1-3 minutes on 2 cores, run in CI): the baseline on a small BU-4DFE-like set,
    subject-independent CV, lands in the 60-95 % band."""
    from core.datasets import index_dataset
    from core.synth.config import load_config
    from core.synth.runner import RunConfig, generate

    out = tmp_path / "bu4dfe"
    generate(RunConfig("bu4dfe", 10, out, seed=1, workers=2), load_config("bu4dfe", None, {"frames": 12}), sfm_model)
    rows = index_dataset(out, "bu4dfe").rows
    res = evaluate_rows(rows, sfm_model.mean, BaselineConfig(frame_stride=2, folds=5), workers=2)
    assert 0.60 <= res.accuracy <= 0.95, res


def test_4dme_difficulty_is_in_the_target_band(sfm_model, tmp_path):
    """Calibration check (about a minute on 2 cores, run in CI): the baseline on a small 4DME-like set (every frame
    resampled: the micro-expressions last 3-8 frames), subject-independent CV, lands in the 60-95 % band."""
    from core.datasets import index_dataset
    from core.synth.config import load_config
    from core.synth.runner import RunConfig, generate

    out = tmp_path / "4dme"
    generate(RunConfig("4dme", 14, out, seed=1, workers=2), load_config("4dme", None, {"frames": 20}), sfm_model)
    rows = index_dataset(out / "4dme.csv", "csv").rows
    res = evaluate_rows(rows, sfm_model.mean, BaselineConfig(frame_stride=1, folds=5), workers=2)
    assert 0.60 <= res.accuracy <= 0.95, res


def test_resampling_at_part_of_the_template():
    """Whole heads are aligned to the whole template and resampled on a part of it (its face)."""
    rng = np.random.default_rng(3)
    template = rng.normal(size=(300, 3)) * [40.0, 50.0, 30.0]
    points = template @ rotation_matrix(np.array([2.0, -3.0, 1.0])).T * 1.1 + [5.0, -2.0, 1.0]
    full = TemplateResampler(template).resample(points)
    part = TemplateResampler(template, sample_points=template[:40]).resample(points)
    assert part.shape == (40, 3)
    np.testing.assert_allclose(part, full[:40])


def test_ict_bu4dfe_difficulty_is_in_the_target_band(ict_face, tmp_path):
    """Calibration check of the ICT sets (about a minute on 2 cores, run in CI): the baseline on a small
    BU-4DFE-like ICT set, template = the ICT mean face cut to the set's field of view, lands in the band."""
    from core.datasets import index_dataset
    from core.synth.config import load_config
    from core.synth.face_models import baseline_template
    from core.synth.runner import RunConfig, generate

    out = tmp_path / "bu4dfe"
    config = load_config("bu4dfe", None, {"frames": 12}, face_model="ict")
    generate(RunConfig("bu4dfe", 10, out, seed=1, workers=2), config, ict_face)
    rows = index_dataset(out, "bu4dfe").rows
    template = baseline_template(ict_face, "bu4dfe", config)
    res = evaluate_rows(rows, template, BaselineConfig(frame_stride=2, folds=5), workers=2)
    assert 0.60 <= res.accuracy <= 0.95, res
