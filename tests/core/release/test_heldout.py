import numpy as np
import pytest

from core.release.heldout import ScoredSet, calibration_mask, evaluate, set_figures


def test_calibration_split_alternates_sorted_subjects():
    subjects = ["S3", "S1", "S2", "S1", "S4", "S3"]
    mask = calibration_mask(subjects)
    assert mask.tolist() == [True, True, False, True, False, True]  # S1, S3 calibrate; S2, S4 evaluate
    assert set(np.array(subjects)[mask]).isdisjoint(set(np.array(subjects)[~mask]))


def test_figures_against_hand_counts():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [0.5, 0.1]])
    labels = np.array([0, 1, 1, 1])
    f = set_figures(logits, labels, ["a", "b"])
    assert f["accuracy"] == 50.0
    # class a: tp 1, fp 2 -> P 1/3, R 1 -> F1 0.5; class b: tp 1, fn 2 -> P 1, R 1/3 -> F1 0.5
    assert f["macro_f1"] == 50.0 and f["n_samples"] == 4


def _overconfident_set(name, rng, n_subjects=10, per_subject=20, scale=4.0):
    labels = rng.integers(0, 3, size=n_subjects * per_subject)
    true = rng.normal(size=(labels.size, 3))
    true[np.arange(labels.size), labels] += 1.0
    subjects = tuple(f"S{i:02d}" for i in range(n_subjects) for _ in range(per_subject))
    return ScoredSet(name, true * scale, labels, subjects)


def test_temperature_is_fitted_on_calibration_subjects_and_lowers_the_error():
    rng = np.random.default_rng(0)
    scored = [_overconfident_set("a", rng), _overconfident_set("b", rng)]
    evaluation, calibration = evaluate(scored, ["x", "y", "z"])
    assert set(evaluation) == {"a", "b", "all held-out sets"}
    assert evaluation["a"]["n_subjects"] == 5 and evaluation["a"]["n_samples"] == 100
    assert calibration["temperature"] == pytest.approx(4.0, rel=0.35)
    assert calibration["ece_after"] < calibration["ece_before"]
    assert calibration["n_samples"] == 200 and calibration["n_evaluated"] == 200


def test_a_set_with_one_subject_is_refused():
    scored = ScoredSet("one", np.zeros((3, 2)), np.array([0, 1, 0]), ("S1", "S1", "S1"))
    with pytest.raises(ValueError, match="at least 2 subjects"):
        evaluate([scored], ["a", "b"])


def test_inconsistent_shapes_are_refused():
    with pytest.raises(ValueError):
        ScoredSet("bad", np.zeros((3, 2)), np.array([0, 1]), ("S1", "S2", "S3"))
