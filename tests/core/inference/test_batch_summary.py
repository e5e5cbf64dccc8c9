import numpy as np
import pytest

from core.datasets import ManifestRow
from core.inference import AnalysisResult
from core.inference.batch_summary import summarize
from core.inference.predict import PredictionRecord

LABELS = ("happiness", "sadness", "surprise")


def record(path, top, p=0.6):
    probs = {label: (p if label == top else (1 - p) / 2) for label in LABELS}
    return PredictionRecord(path, result=AnalysisResult(path, probs, top, [1 / 3] * 3,
                                                        np.zeros((3, 4, 4, 3), np.uint8), np.zeros(4, np.float32)))


def row(path, label, subject="F001"):
    return ManifestRow(path, subject, label, None, "4d", 10, "bu4dfe", label)


def test_accuracy_against_manifest_labels_with_failures_and_outside_labels():
    records = [record("/d/F001/Happy", "happiness", 0.9), record("/d/F001/Sad", "happiness"),
               record("/d/F002/Surprise", "surprise", 0.7), record("/d/F002/Sad", "sadness"),
               PredictionRecord("/d/F003/Happy", error="/d/F003/Happy: truncated frame"),
               record("/d/F003/Neutral", "sadness"), record("/d/extra.obj", "surprise")]
    truth = {r.path: row(r.path, label, r.path.split("/")[2]) for r, label in zip(
        records[:6], ("happiness", "sadness", "surprise", "sadness", "happiness", "neutral"))}
    table = summarize(records, truth, LABELS)
    assert [r.name for r in table.rows] == ["Happy", "Sad", "Surprise", "Sad", "Happy", "Neutral", "extra.obj"]
    assert [r.correct for r in table.rows] == [True, False, True, True, None, None, None]
    assert [r.truth for r in table.rows] == ["happiness", "sadness", "surprise", "sadness", "happiness", "neutral",
                                             None]
    first = table.rows[0]
    assert (first.subject, first.predicted, first.confidence) == ("F001", "happiness", pytest.approx(0.9))
    assert table.rows[4].error.endswith("truncated frame") and table.rows[4].predicted is None
    assert (table.n_failed, table.n_labelled, table.n_scored, table.n_correct) == (1, 5, 4, 3)
    assert table.outside == (("neutral", 1),)
    assert table.accuracy == pytest.approx(0.75)
    assert table.balanced_accuracy == pytest.approx((1 + 0.5 + 1) / 3)  # per-class recall: happy 1, sad 1/2, surp 1
    line = table.line()
    assert line.startswith("Accuracy 75.0 % (3 of 4 labelled input(s) right; balanced 83.3 %), 1 failed")
    assert "neutral (1)" in line and "\n" not in line


def test_no_labels_no_accuracy():
    table = summarize([record("/a.obj", "sadness"), record("/b.obj", "happiness")])
    assert table.accuracy is None and table.n_labelled == 0
    assert table.line() == "2 input(s); no accuracy: no input has a manifest label."
    only_outside = summarize([record("/a.obj", "sadness")], {"/a.obj": row("/a.obj", "neutral")}, LABELS)
    assert "no manifest label is a class of the prompt set" in only_outside.line()
    assert summarize([], {}, LABELS).rows == ()


def test_labels_compare_without_case_and_classes_default_to_the_records():
    table = summarize([record("/a.obj", "happiness")], {"/a.obj": row("/a.obj", " Happiness")})
    assert table.accuracy == 1.0 and table.rows[0].correct
