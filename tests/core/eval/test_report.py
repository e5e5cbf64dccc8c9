import numpy as np
import pytest

from core.eval.metrics import classification_metrics
from core.eval.report import (
    NO_COUNTERPART,
    NOT_REPORTED,
    NOT_TRANSCRIBED,
    aggregate,
    load_paper_results,
    md_table,
    paper_cell,
)
from core.eval.report_common import cross_accuracy
from core.eval.report_paper import paper_full_table, paper_micro_table, recognition_cell
from core.eval.report_tables import SUPERVISION_MEANINGS, supervision_legend

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
    # both tasks together: fold 1 gets 2 of 3 right (a, b, b vs a, a, b), fold 0 2 of 3 (a, a, a)
    assert entry["cross_all"].mean == pytest.approx(2 / 3) and entry["cross_all"].n == 2
    assert agg["history"] == [{"loss": 2.5}, {"loss": 1.0}]
    assert agg["n_folds"] == 2 and agg["view_weights"] == [0.5, 0.5]


def test_paper_cells():
    paper = {"tables": {"II": {"rows": {"smile_vlm/zero_shot": {"bu3dfe_subset1": 81.25, "bosphorus": None}}},
                        "F": {"figure_only": "figure only", "rows": {"x": {"a": None}}}}}
    assert paper_cell(paper, "II", "smile_vlm/zero_shot", "bu3dfe_subset1") == "81.25"
    assert paper_cell(paper, "II", "smile_vlm/zero_shot", "bosphorus") == NOT_TRANSCRIBED
    assert paper_cell(paper, "II", "smile_vlm/zero_shot", "bu4dfe") == NOT_REPORTED
    assert paper_cell(paper, "II", "ce/classifier", "bosphorus") == NO_COUNTERPART
    assert paper_cell(paper, "F", "x", "a") == "figure only"
    assert paper_cell({}, "II", "x", "a") == NO_COUNTERPART
    assert load_paper_results("/no/such/file.json") == {}


def _rows(paper, table):
    return paper["tables"][table]["rows"]


def test_shipped_paper_results_are_the_papers_tables():
    paper = load_paper_results()
    assert "REAL data" in paper["_note"] and "NOT comparable one to one" in paper["_note"]
    # a few figures as printed in the paper
    assert {c: _rows(paper, "II")["smile_vlm/zero_shot"][c] for c in ("bu3dfe_subset1", "bu3dfe_subset2",
                                                                      "bosphorus")} == {
        "bu3dfe_subset1": 89.51, "bu3dfe_subset2": 84.01, "bosphorus": 79.97}
    assert _rows(paper, "II")["mvbt_only/linear_probe"]["paper_label"] == "MiFaR [48]"
    assert _rows(paper, "II")["Oyedotun et al. [19]"]["bu3dfe_subset1"] == 89.31
    assert "bu3dfe_subset2" not in _rows(paper, "II")["Zhen et al. [37]"]  # Subset I only in the paper
    assert _rows(paper, "III")["smile_vlm/zero_shot"]["bu4dfe"] == 96.57
    assert _rows(paper, "III")["Sandbach et al. [22]"]["settings"] == "6-CV, Sliding window"
    assert len(_rows(paper, "III")) == 13 + 3  # 13 compared methods, MiFaR, SMILE-VLM, best supervised
    assert _rows(paper, "IV_a")["smile_vlm/zero_shot"]["bp4d"] == 88.45
    assert paper["tables"]["IV_b"]["columns"] == ["bu4dfe_to_bp4d"]  # one figure for T1 and T8 together
    assert paper["tables"]["IV_b"]["tasks"] == ["T1", "T8"]
    assert _rows(paper, "IV_b")["smile_vlm/zero_shot"]["bu4dfe_to_bp4d"] == 80.66
    v = _rows(paper, "V")
    assert [r["view"] for r in v.values()] == ["left", "right", "front", "multi-view", "multi-view"]
    assert v["smile_vlm/zero_shot"]["f1"]["average"] == 0.8023 and v["[56] front"]["accuracy"]["repression"] == 82.63


def test_shipped_paper_results_are_self_consistent():
    """The transcription against the paper's own arithmetic: its printed gaps, its averages, its best rows."""
    paper = load_paper_results()
    for table in ("II", "III", "IV_a", "IV_b"):
        t = paper["tables"][table]
        rows = t["rows"]
        smile = rows["smile_vlm/zero_shot"]
        for key, row in rows.items():
            for column in t["columns"]:
                assert column not in row or isinstance(row[column], float), (table, key, column)
            for column, gap in (row.get("gap") or {}).items():
                assert smile[column] - row[column] == pytest.approx(gap, abs=0.006), (table, key, column)
        for column in t["columns"]:
            supervised = {k: r[column] for k, r in rows.items()
                          if r["supervision"] == "supervised" and column in r and k != "ce/classifier"}
            best = max(supervised, key=supervised.get)
            assert rows["ce/classifier"][column] == supervised[best], (table, column)
            assert rows["ce/classifier"]["derived_from"][column] == rows[best]["paper_label"]
    v = paper["tables"]["V"]
    for key, row in v["rows"].items():
        for metric, tol in (("f1", 1e-4), ("accuracy", 0.011)):
            mean = np.mean([row[metric][c] for c in v["classes"]])
            assert row[metric]["average"] == pytest.approx(mean, abs=tol), (key, metric)
    ablation = paper["tables"]["ablation"]
    assert ablation["figure_only"] == "figure only, not transcribed"
    for row in ablation["rows"].values():
        assert all(v is None for k, v in row.items() if k != "paper_label")  # a figure: nothing invented
    assert paper_cell(paper, "ablation", "no_redmin", "bu3dfe_subset1") == "figure only, not transcribed"
    assert paper_cell(paper, "II", "Zhen et al. [37]", "bosphorus") == NOT_REPORTED


def test_paper_tables_render_every_row_as_real_data():
    paper = load_paper_results()
    assert recognition_cell(paper, ("III", "IV_a"), "smile_vlm/zero_shot", "bp4d") == "88.45"  # BP4D: Table IV (a)
    assert recognition_cell(paper, ("III", "IV_a"), "ce/classifier", "bu4dfe") == "96.50"
    assert recognition_cell(paper, ("II",), "smile_vlm/zero_shot", "bu4dfe") == NO_COUNTERPART
    text = paper_full_table(paper, "III")
    assert "real data; not comparable one to one" in text
    assert "| Zhen et al. [43] | supervised | 10-CV, Key-frame | 95.13 (Δ +1.44) |" in text
    assert "| Sun et al. [21] | supervised | 10-CV, - | 83.70 (Δ +12.87) |" in text
    assert text.count("\n| ") == 1 + 16  # header and every row
    two = paper_full_table(paper, "II")
    assert "| Zhen et al. [37] | supervised | 84.50 (Δ +5.01) | not reported | not reported |" in two
    assert "| Li et al. [18] | supervised | 86.86 (Δ +2.65) | 81.33 (Δ +2.68) | 80.00 (Δ -0.03) |" in two
    assert "T1 and T8 together" in paper_full_table(paper, "IV_b")
    micro = paper_micro_table(paper)
    assert "| F1 (0–1) | SMILE-VLM (multi-views) | category prompts (the paper calls it self-supervised) | 0.7612 | " \
           "0.8458 | 0.8126 | 0.8093 | 0.7824 | 0.8023 |" in micro
    assert "| Accuracy (%) | Right [56] | supervised | 61.02 | 66.10 | 64.83 | 66.53 | 68.22 | 65.34 |" in micro
    assert paper_full_table({}, "II") is None and paper_micro_table({}) is None


def test_supervision_legend_explains_known_strings_and_shows_unknown_ones():
    lines = supervision_legend(["category prompts", "none", "category prompts", "a new kind of supervision"])
    assert len(lines) == 4  # distinct strings, plus the probe line
    assert lines[0].startswith("- **category prompts**:") and "label-derived language" in lines[0]
    assert "not label-free" in lines[0]
    assert lines[2].startswith("- **a new kind of supervision**: as the method's configuration states it")
    assert "shuffled" in SUPERVISION_MEANINGS["shuffled prompts (no category information)"]
    for text in lines:
        assert "never saw" not in text and "only place" not in text


def test_cross_accuracy_over_several_codes():
    r = {"cross": {"labels": ["a", "a", "b", "b"], "codes": ["T1", "T1", "T8", "T3"],
                   "predictions": {"zero_shot": ["a", "b", "b", "a"]}}}
    assert cross_accuracy(r, "zero_shot", "T1") == 0.5
    assert cross_accuracy(r, "zero_shot", ("T1", "T8")) == pytest.approx(2 / 3)
    assert cross_accuracy(r, "zero_shot", ("T9",)) is None and cross_accuracy(r, "knn", "T1") is None


def test_md_table_escapes_pipes():
    text = md_table(["a", "b"], [["x|y", "z"]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | z |"]
