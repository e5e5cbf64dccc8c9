import pytest

from core.eval.metrics import classification_metrics
from core.eval.report import NO_COUNTERPART, NOT_TRANSCRIBED, aggregate, load_paper_results, md_table, paper_cell

LABELS = ("a", "b")


def _result(fold, y_true, y_pred, cross_pred=None, history=None):
    return {
        "fold": fold,
        "metrics": {"zero_shot": classification_metrics(y_true, y_pred, LABELS).to_dict()},
        "cross": None if cross_pred is None else {"labels": ["a", "a", "b"], "codes": ["T1", "T1", "T8"],
                                                  "predictions": {"zero_shot": cross_pred}},
        "history": history or [{"loss": 2.0}, {"loss": 1.0}],
        "view_weights": [0.5, 0.5],
        "train_seconds": 1.0,
        "samples_per_s": 10.0,
    }


def test_aggregate_over_folds():
    results = [
        _result(1, ["a", "b", "b", "a"], ["a", "b", "a", "a"], ["a", "b", "b"], [{"loss": 3.0}, {"loss": 1.0}]),
        _result(0, ["a", "b"], ["a", "b"], ["a", "a", "a"]),
    ]
    agg = aggregate(results, codes=("T1", "T8"))
    entry = agg["modes"]["zero_shot"]
    assert entry["fold_accuracy"] == [1.0, 0.75]  # sorted by fold
    assert entry["accuracy"].mean == pytest.approx(0.875) and entry["accuracy"].std == pytest.approx(0.125)
    assert entry["confusion"] == [[3, 0], [1, 2]]
    assert entry["per_class_accuracy"]["b"].mean == pytest.approx(0.75)
    # cross: T1 rows are both "a": fold 1 predicts a, b -> 0.5; fold 0 a, a -> 1.0. T8 ("b"): fold 1 b, fold 0 a
    assert entry["cross"]["T1"].mean == pytest.approx(0.75)
    assert entry["cross"]["T8"].mean == pytest.approx(0.5)
    assert agg["history"] == [{"loss": 2.5}, {"loss": 1.0}]
    assert agg["n_folds"] == 2 and agg["view_weights"] == [0.5, 0.5]


def test_paper_cells():
    paper = {"tables": {"II": {"rows": {"smile_vlm/zero_shot": {"bu3dfe_subset1": 81.25, "bosphorus": None}}}}}
    assert paper_cell(paper, "II", "smile_vlm/zero_shot", "bu3dfe_subset1") == "81.2"
    assert paper_cell(paper, "II", "smile_vlm/zero_shot", "bosphorus") == NOT_TRANSCRIBED
    assert paper_cell(paper, "II", "ce/classifier", "bosphorus") == NO_COUNTERPART
    shipped = load_paper_results()
    assert "NOT TRANSCRIBED" in shipped["_note"] and "not comparable one to one" in shipped["_note"]
    for table in ("II", "III", "IV"):
        for row in shipped["tables"][table]["rows"].values():
            assert all(v is None for k, v in row.items() if k != "paper_label")  # nothing invented
    assert load_paper_results("/no/such/file.json") == {}


def test_md_table_escapes_pipes():
    text = md_table(["a", "b"], [["x|y", "z"]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | z |"]
