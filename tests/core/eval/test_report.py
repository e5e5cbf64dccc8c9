import json

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


# ------------------------------------------------------------------------------------------------ ablation settings
Y = ["a", "b", "a", "b"]
PRED = {1.0: ["a", "b", "a", "b"], 0.75: ["a", "b", "a", "a"], 0.5: ["a", "a", "a", "a"]}
CROSS = {"labels": ["a", "a", "b"], "codes": ["T1", "T1", "T8"]}
CROSS_PRED = {2 / 3: ["a", "b", "b"], 1 / 3: ["b", "a", "a"]}


def _fold_result(fold, accuracies, cross=None):
    """A stored fold result with the given accuracy per mode (and the cross-data-set accuracy per mode)."""
    return {
        "fold": fold, "key": f"k{fold}", "test_subjects": [f"S{fold}"],
        "metrics": {mode: classification_metrics(Y, PRED[a], LABELS).to_dict() for mode, a in accuracies.items()},
        "cross": None if cross is None else {**CROSS, "predictions": {m: CROSS_PRED[a] for m, a in cross.items()}},
        "history": [{"loss": 1.0}], "view_weights": [1.0], "train_seconds": 1.0, "samples_per_s": 1.0,
        "seconds": 1.0,
    }


def _ablation_inputs():
    from dataclasses import replace

    from core.eval.config import load_preset
    from core.eval.report import ExperimentInfo, ReportInputs

    preset = load_preset("smoke").only(["bu3dfe_subset1", "bu4dfe"])
    ablations = ("smile_vlm", "no_redmin", "no_vlalign", "no_mvbt")
    runs = (replace(preset.experiments[0], methods=ablations + ("ce", "pca_lr", "mvbt_only")),
            replace(preset.experiments[1], methods=ablations[:2]))
    preset = replace(preset, experiments=runs, ablation=("bu3dfe_subset1", "bu4dfe"))
    accs = {
        "bu3dfe_subset1": {"smile_vlm": {"zero_shot": 1.0, "linear_probe": 0.75},
                           "no_redmin": {"zero_shot": 0.75, "linear_probe": 0.5},
                           "no_vlalign": {"zero_shot": 0.5, "linear_probe": 0.5},
                           "no_mvbt": {"zero_shot": 0.5, "linear_probe": 1.0},
                           "ce": {"classifier": 0.75}, "pca_lr": {"classifier": 0.5},
                           "mvbt_only": {"linear_probe": 0.75}},
        "bu4dfe": {"smile_vlm": {"zero_shot": 0.75, "linear_probe": 0.75},
                   "no_redmin": {"zero_shot": 1.0, "linear_probe": 0.5}},
    }
    cross = {"smile_vlm": {"zero_shot": 2 / 3, "linear_probe": 1 / 3},
             "no_redmin": {"zero_shot": 1 / 3, "linear_probe": 1 / 3}}
    results = {exp: {m: [_fold_result(f, a, cross.get(m) if exp == "bu4dfe" else None) for f in (0, 1)]
                     for m, a in by_method.items()} for exp, by_method in accs.items()}
    infos = {}
    for run in runs:
        spec = run.spec
        infos[spec.name] = ExperimentInfo(
            spec.name, spec.title, spec.table, "user data: /x", 8, 2, LABELS, ("front",), {"k": 2}, run.methods,
            cross_title=spec.cross.title if spec.cross else "", cross_codes=spec.cross.codes if spec.cross else (),
            cross_source="user data: /y" if spec.cross else "",
            method_notes={"pca_lr": "template: the ICT mean face"} if spec.name == "bu3dfe_subset1" else {})
    return ReportInputs(preset, infos, results, {}, {}, load_paper_results(), [])


def test_ablation_settings_and_zero_shot_gains():
    from core.eval.report import ablation_settings, build_aggregates, gain_matrices

    inputs = _ablation_inputs()
    aggs = build_aggregates(inputs)
    settings = ablation_settings(inputs)
    assert [(s.experiment, s.title, s.cross, s.paper_column) for s in settings] == [
        ("bu3dfe_subset1", "BU-3DFE Subset I", False, "bu3dfe_subset1"),
        ("bu4dfe", "BU-4DFE", False, "bu4dfe"),
        ("bu4dfe", "BU-4DFE -> BP4D (tasks T1, T8)", True, "bu4dfe_to_bp4d"),
    ]
    (s1, names1, g1), (s2, names2, g2), (s3, names3, g3) = gain_matrices(inputs, aggs)
    # zero-shot only: ce, pca_lr (classifier) and mv-BT only (linear probe) have no zero-shot accuracy
    assert names1 == ["smile_vlm", "no_redmin", "no_vlalign", "no_mvbt"]
    assert g1[0].tolist() == pytest.approx([0.0, 25.0, 50.0, 50.0])  # not no_mvbt's linear probe (100 %)
    assert names2 == names3 == ["smile_vlm", "no_redmin"]
    assert g2[0, 1] == pytest.approx(-25.0) and g3[0, 1] == pytest.approx(100 / 3)  # the cross setting: T1 + T8


def test_report_has_ablations_per_setting(tmp_path):
    from core.eval.report import write_report

    paths = write_report(tmp_path, _ablation_inputs())
    text = paths["report"].read_text()
    assert "## Loss ablations (BU-3DFE Subset I, BU-4DFE, BU-4DFE -> BP4D (tasks T1, T8); the paper's Fig. 2)" in text
    for title in ("**BU-3DFE Subset I**", "**BU-4DFE**", "**BU-4DFE -> BP4D (tasks T1, T8)**"):
        assert f"{title}\n\n| Configuration |" in text
    # the cross setting: accuracy over both target tasks, no macro F1 column
    assert "| SMILE-VLM | 1 | 1 | 1 | category prompts | 66.7 ± 0.0 | 33.3 ± 0.0 | figure only, not transcribed |" \
        in text
    assert "| SMILE-VLM w/o red-min (gamma = 0) | 1 | 1 | 0 | category prompts | 75.0 ± 0.0 | 50.0 ± 0.0 | " \
           "73.3 ± 0.0 | figure only, not transcribed |" in text
    # findings per setting, the fixed baseline among the label-trained classifiers
    assert ("- **BU-3DFE Subset I**: SMILE-VLM (zero-shot; category prompts) 100.0 ± 0.0 vs PCA + logistic "
            "regression on registered vertices (fixed baseline) (classifier; labels) 50.0 ± 0.0: +50.0 points "
            "(higher).") in text
    assert ("- **BU-4DFE -> BP4D (tasks T1, T8)**: SMILE-VLM (zero-shot; category prompts) 66.7 ± 0.0 vs SMILE-VLM "
            "w/o red-min (gamma = 0) (zero-shot; category prompts) 33.3 ± 0.0: +33.3 points (higher).") in text
    assert "- **BU-4DFE**: SMILE-VLM (zero-shot; category prompts) 75.0 ± 0.0 vs SMILE-VLM w/o red-min" in text
    # the baseline's row in Table II says which template it registered to
    assert "| PCA + logistic regression on registered vertices (fixed baseline) — classifier | labels | 50.0 ± 0.0 " \
           "(template: the ICT mean face) |" in text
    assert "zero-shot accuracy only" in text
    doc = json.loads(paths["results_json"].read_text())
    heat = doc["gain_heatmap"]
    assert heat["mode"] == "zero_shot"
    assert [(s["setting"], s["cross"], len(s["configurations"])) for s in heat["settings"]] == [
        ("BU-3DFE Subset I", False, 4), ("BU-4DFE", False, 2), ("BU-4DFE -> BP4D (tasks T1, T8)", True, 2)]
    for name in ("ablation", "gain_heatmap", "training_curves"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_ablation_gives_no_ablation_parts(tmp_path):
    from dataclasses import replace

    from core.eval.report import write_report

    inputs = _ablation_inputs()
    inputs.preset = replace(inputs.preset, ablation=())
    paths = write_report(tmp_path, inputs)
    assert not {"ablation", "gain_heatmap", "training_curves"} & set(paths)
    text = paths["report"].read_text()
    assert "## Loss ablations" not in text and "## What the numbers say" not in text
    assert json.loads(paths["results_json"].read_text())["gain_heatmap"]["settings"] == []
