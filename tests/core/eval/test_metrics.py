import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from core.eval.metrics import ClassificationMetrics, classification_metrics, pooled_confusion, summarize

LABELS = ("a", "b", "c")
Y_TRUE = ["a", "a", "a", "b", "b", "c", "c", "c"]
Y_PRED = ["a", "b", "a", "b", "c", "c", "c", "a"]


def test_metrics_match_sklearn_on_fixed_predictions():
    m = classification_metrics(Y_TRUE, Y_PRED, LABELS)
    assert m.n == 8
    assert m.accuracy == pytest.approx(accuracy_score(Y_TRUE, Y_PRED)) == pytest.approx(5 / 8)
    assert m.macro_f1 == pytest.approx(f1_score(Y_TRUE, Y_PRED, average="macro"))
    per = f1_score(Y_TRUE, Y_PRED, labels=list(LABELS), average=None)
    assert [m.per_class_f1[c] for c in LABELS] == pytest.approx(per.tolist())
    assert np.array_equal(np.asarray(m.confusion), confusion_matrix(Y_TRUE, Y_PRED, labels=list(LABELS)))
    # per-class accuracy = recall: a 2/3, b 1/2, c 2/3
    assert m.per_class_accuracy == pytest.approx({"a": 2 / 3, "b": 1 / 2, "c": 2 / 3})
    # hand-computed F1 of class a: precision 2/3, recall 2/3
    assert m.per_class_f1["a"] == pytest.approx(2 / 3)


def test_absent_class_is_undefined_not_zero():
    m = classification_metrics(["a", "a", "b"], ["a", "a", "b"], LABELS)
    assert m.accuracy == 1.0
    assert m.macro_f1 == 1.0  # c is absent from truth and predictions: left out of the macro mean
    assert m.per_class_f1["c"] is None
    assert m.per_class_accuracy["c"] is None
    assert m.confusion[2] == (0, 0, 0)


def test_predicted_but_absent_class_counts_in_macro_f1():
    m = classification_metrics(["a", "a"], ["a", "c"], LABELS)
    assert m.per_class_f1["c"] == 0.0
    assert m.per_class_accuracy["c"] is None
    assert m.macro_f1 == pytest.approx(f1_score(["a", "a"], ["a", "c"], average="macro", zero_division=0))


def test_metrics_round_trip_and_bad_input():
    m = classification_metrics(Y_TRUE, Y_PRED, LABELS)
    assert ClassificationMetrics.from_dict(m.to_dict()) == m
    with pytest.raises(ValueError, match="predictions"):
        classification_metrics(["a"], ["a", "b"], LABELS)
    with pytest.raises(ValueError, match="no samples"):
        classification_metrics([], [], LABELS)
    with pytest.raises(ValueError, match="not among the classes"):
        classification_metrics(["a"], ["z"], LABELS)


def test_summarize_mean_and_population_std():
    s = summarize([0.5, 0.7, None, float("nan"), 0.9])
    assert s.n == 3
    assert s.mean == pytest.approx(0.7)
    assert s.std == pytest.approx(np.std([0.5, 0.7, 0.9]))
    assert s.format() == f"70.0 ± {100 * np.std([0.5, 0.7, 0.9]):.1f}"
    assert summarize([None]).format() == "n/a"
    assert summarize([0.25]).format() == "25.0"
    assert math.isclose(summarize([0.25]).std, 0.0)


def test_pooled_confusion_sums_and_checks_shapes():
    total = pooled_confusion([[[1, 0], [0, 1]], [[2, 1], [0, 0]]])
    assert total.tolist() == [[3, 1], [0, 1]]
    with pytest.raises(ValueError, match="cannot be pooled"):
        pooled_confusion([[[1]], [[1, 0], [0, 1]]])


def test_one_vs_rest_accuracy_against_hand_counts():
    from core.eval.metrics import per_class_ovr_accuracy

    labels = ["a", "b", "c"]
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    m = classification_metrics(y_true, y_pred, labels)
    ovr = per_class_ovr_accuracy(m.confusion, labels)
    # a: TP 2, FN 1, FP 0 -> 5/6; b: TP 1, FN 1, FP 1 -> 4/6; c: TP 1, FN 0, FP 1 -> 5/6
    assert ovr == pytest.approx({"a": 5 / 6, "b": 4 / 6, "c": 5 / 6})
    assert m.per_class_accuracy["a"] == pytest.approx(2 / 3)  # recall, beside it
    assert per_class_ovr_accuracy([[0, 0], [0, 0]], ["x", "y"]) == {"x": None, "y": None}
    with pytest.raises(ValueError):
        per_class_ovr_accuracy([[1, 0]], labels)
