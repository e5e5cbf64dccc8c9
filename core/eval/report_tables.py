"""The benchmark report's tables (markdown) and CSV files: Table II/III-like recognition, Table IV-like cross-data-set,
Table V-like micro-expressions per view, the loss ablations and the plain findings (per ablation setting: each ablation
experiment and its cross-data-set test), and the supervision legend.

Every cell of ours is mean ± std over the subject-independent folds, in %; every row states its supervision (the
string MethodSpec.supervision / eval_supervision gives; one this module does not know is shown as it is). Beside
ours, the paper's figures from resources/paper_results.json (real data; not comparable one to one).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from core.config_io import write_text_atomic
from core.eval.config import CLASSIFIER_KINDS
from core.eval.metrics import Summary
from core.eval.report_common import (
    AblationSetting,
    ReportInputs,
    ablation_methods,
    ablation_settings,
    cell,
    cross_accuracy,
    md_table,
    mode_title,
    row_label,
    setting_accuracy,
)
from core.eval.report_paper import (
    CROSS_COLUMN,
    paper_cell,
    paper_full_table,
    paper_micro_table,
    paper_table,
    recognition_cell,
)

#: What each training-supervision string means, in the report's words. Strings not listed here are shown as given.
SUPERVISION_MEANINGS = {
    "none": "no labels and no language (the multi-view Barlow Twins term alone)",
    "category prompts": "each step's prompt is drawn from the sample's expression category, so the category labels "
                        "reach training through the language (label-derived language); a zero-shot row of such a "
                        "model is not label-free",
    "shuffled prompts (no category information)": "language drawn from a shuffled class (a control): prompts without "
                                                  "category information",
    "labels": "the class labels directly (cross-entropy)",
}
#: Which rows of the paper's file stand for ours, per table id of our report.
PAPER_TABLES = {"II": ("II",), "III": ("III", "IV_a")}


def supervision_legend(strings: Iterable[str]) -> list[str]:
    """One markdown bullet per distinct training-supervision string, known ones explained, unknown ones flagged."""
    lines = []
    for s in dict.fromkeys(strings):
        meaning = SUPERVISION_MEANINGS.get(s, "as the method's configuration states it (no further description here)")
        lines.append(f"- **{s}**: {meaning}.")
    lines.append("- **… + labels (linear probe / kNN)**: the probe's class labels on top of the frozen embeddings.")
    return lines


def _methods_in(inputs: ReportInputs) -> list[str]:
    return list(dict.fromkeys(m for info in inputs.infos.values() for m in info.methods))


def report_supervisions(inputs: ReportInputs) -> list[str]:
    """The training-supervision strings of every method in the report, in order of first appearance."""
    return list(dict.fromkeys(inputs.preset.methods[m].supervision for m in _methods_in(inputs)))


def _noted(text: str, inputs: ReportInputs, exp: str, method: str) -> str:
    """A cell of ours with the method's note for that experiment (ExperimentInfo.method_notes), if any."""
    note = inputs.infos[exp].method_notes.get(method) if exp in inputs.infos else None
    return f"{text} ({note})" if note else text


def recognition_table(inputs: ReportInputs, aggs: dict, table: str) -> str | None:
    exps = [run.spec.name for run in inputs.preset.experiments if run.spec.table == table]
    if not exps:
        return None
    methods = list(dict.fromkeys(m for e in exps for m in inputs.infos[e].methods))
    header = ["Method — evaluation", "Supervision"]
    for e in exps:
        kind = "synthetic" if inputs.infos[e].source.startswith("synthetic") else "user data"
        header += [f"{inputs.infos[e].title} (ours, {kind})", f"{inputs.infos[e].title} (paper, real data)"]
    rows = []
    for m in methods:
        spec = inputs.preset.methods[m]
        for mode in spec.evals:
            row = [row_label(spec, mode), spec.eval_supervision(mode)]
            for e in exps:
                ran = m in inputs.infos[e].methods
                row += [_noted(cell(aggs.get(e, {}).get(m), mode), inputs, e, m) if ran else "—",
                        recognition_cell(inputs.paper, PAPER_TABLES.get(table, (table,)), f"{m}/{mode}", e)]
            rows.append(row)
    parts = [md_table(header, rows)]
    shown = {t for e in exps for t in PAPER_TABLES.get(table, (table,))
             if e in (paper_table(inputs.paper, t).get("columns") or ())}
    parts += [t for t in (paper_full_table(inputs.paper, t) for t in PAPER_TABLES.get(table, (table,)) if t in shown)
              if t]
    return "\n\n".join(parts)


def cross_table(inputs: ReportInputs, aggs: dict) -> str | None:
    exps = [run.spec.name for run in inputs.preset.experiments if run.spec.cross is not None]
    if not exps:
        return None
    parts = []
    for e in exps:
        info = inputs.infos[e]
        header = ["Method — evaluation", "Supervision"]
        for code in info.cross_codes:
            lab = info.cross_code_labels.get(code, "")
            header.append(f"{code} ({lab}) ours" if lab else f"{code} ours")
        together = " + ".join(info.cross_codes)
        header += [f"{together} together, ours", f"{together} together, paper (real data)"]
        rows = []
        for m in info.methods:
            spec = inputs.preset.methods[m]
            agg = aggs.get(e, {}).get(m)
            for mode in spec.evals:
                row = [row_label(spec, mode), spec.eval_supervision(mode)]
                ran = bool(agg and mode in agg["modes"])
                row += [_noted(agg["modes"][mode]["cross"][code].format(), inputs, e, m) if ran else "not run"
                        for code in info.cross_codes]
                row += [_noted(agg["modes"][mode]["cross_all"].format(), inputs, e, m) if ran else "not run",
                        paper_cell(inputs.paper, "IV_b", f"{m}/{mode}", CROSS_COLUMN)]
                rows.append(row)
        parts.append(f"**{info.cross_title}** (trained on {info.title}: {info.source}; tested on {info.cross_source}; "
                     f"classes: {', '.join(info.class_names)})\n\n" + md_table(header, rows))
    paper = paper_full_table(inputs.paper, "IV_b")
    return "\n\n".join(parts + ([paper] if paper else []))


def _view_order(views: list[str]) -> list[str]:
    order = {"left": 0, "right": 1, "front": 2}
    return sorted(views, key=lambda v: (order.get(v, 3), views.index(v)))


def micro_tables(inputs: ReportInputs, aggs: dict) -> str | None:
    """Ours per view (rows: metric x view, columns: classes and the mean), then the paper's Table V."""
    exps = [run.spec.name for run in inputs.preset.experiments if run.spec.table == "V"]
    if not exps:
        return None
    parts = []
    for e in exps:
        info = inputs.infos[e]
        shown = [m for m in info.methods if inputs.preset.methods[m].views == "all" and aggs.get(e, {}).get(m)
                 and any("@" in k for k in aggs[e][m]["modes"])][:1]
        for m in shown:
            spec = inputs.preset.methods[m]
            agg = aggs[e][m]
            for mode in spec.evals:
                if not any(k.startswith(f"{mode}@") for k in agg["modes"]):
                    continue
                views = _view_order([k.split("@", 1)[1] for k in agg["modes"] if k.startswith(f"{mode}@")])
                keys = [(f"{mode}@{v}", v) for v in views] + [(mode, "multi-view")]
                header = ["Metric", "View"] + list(info.class_names) + ["mean"]
                rows = []
                for metric, per_class, mean, title in (
                        ("f1", "per_class_f1", "macro_f1", "F1 (%)"),
                        ("ovr", "per_class_ovr_accuracy", "accuracy", "Accuracy, one-vs-rest (%)"),
                        ("acc", "per_class_accuracy", "accuracy", "Recall (%)")):
                    for key, name in keys:
                        entry = agg["modes"][key]
                        rows.append([title, name] + [entry[per_class][c].format() for c in info.class_names]
                                    + [entry[mean].format()])
                parts.append(f"**{info.title}: {spec.title} — {mode_title(mode)}** (supervision: "
                             f"{spec.eval_supervision(mode)}; {info.source}; per class: F1, one-vs-rest accuracy "
                             "((TP + TN) / n, how we read the paper's per-class 'accuracy') and recall (the share of "
                             "the class's samples recognised); mean = macro F1 / top-1 accuracy)\n\n"
                             + md_table(header, rows))
    paper = paper_micro_table(inputs.paper)
    return "\n\n".join(parts + ([paper] if paper else []))


def ablation_table(inputs: ReportInputs, aggs: dict) -> str | None:
    """One table per ablation setting (experiment, or its cross-data-set test): the configurations that differ from
    the full method only in the loss weights, with their weights, supervision, accuracy and the paper's figure."""
    parts = []
    for st in ablation_settings(inputs):
        names = ablation_methods(inputs.preset, st.experiment)
        if len(names) < 2:
            continue
        header = ["Configuration", "alpha (mv-BT)", "beta (vl-align)", "gamma (red-min)", "Supervision",
                  "zero-shot acc", "linear probe acc"] + ([] if st.cross else ["zero-shot macro F1"])
        header.append("paper (real data)")
        rows = []
        for m in names:
            spec = inputs.preset.methods[m]
            agg = aggs.get(st.experiment, {}).get(m)
            accs = [setting_accuracy(agg, mode, st) for mode in ("zero_shot", "linear_probe")]
            row = [spec.title, f"{spec.loss.alpha:g}", f"{spec.loss.beta:g}", f"{spec.loss.gamma:g}", spec.supervision]
            row += [a.format() if a is not None else "not run" for a in accs]
            if not st.cross:
                row.append(cell(agg, "zero_shot", "macro_f1"))
            row.append(paper_cell(inputs.paper, "ablation", m, st.paper_column))
            rows.append(row)
        parts.append(f"**{st.title}**\n\n" + md_table(header, rows))
    return "\n\n".join(parts) if parts else None


def _diff(a: Summary, b: Summary) -> float | None:
    if a.mean is None or b.mean is None:
        return None
    return 100.0 * (a.mean - b.mean)


def _reading(a_sup: str, b_sup: str) -> str:
    """What a comparison between two trainings' supervision measures, when it is one of the telling pairs."""
    pair = {a_sup, b_sup}
    if pair == {"category prompts", "none"}:
        return " Label-derived language vs none: the category labels reach the prompted model through its prompts."
    if pair == {"category prompts", "shuffled prompts (no category information)"}:
        return " Category information in the language vs the same language without it."
    if pair == {"shuffled prompts (no category information)", "none"}:
        return " Language without category information vs none."
    if pair == {"category prompts", "labels"}:
        return " Label-derived language vs the labels themselves."
    return ""


def findings(inputs: ReportInputs, aggs: dict) -> list[str]:
    """Plain statements comparing configurations in every ablation setting (experiment, or its cross-data-set test),
    whichever way they come out, each side with its training supervision; each statement starts with its setting."""
    lines: list[str] = []
    for st in ablation_settings(inputs):
        lines += [f"**{st.title}**: {line}" for line in _setting_findings(inputs, aggs, st)]
    return lines


def _setting_findings(inputs: ReportInputs, aggs: dict, st: AblationSetting) -> list[str]:
    agg = aggs.get(st.experiment, {})
    methods = inputs.preset.methods
    lines: list[str] = []

    def acc(m: str, mode: str) -> Summary | None:
        return setting_accuracy(agg.get(m), mode, st)

    def compare(a: str, a_mode: str, b: str, b_mode: str) -> str:
        sa, sb = acc(a, a_mode), acc(b, b_mode)
        d = _diff(sa, sb)
        spread = 100.0 * max(sa.std or 0.0, sb.std or 0.0)
        verdict = "a tie: within one fold std" if abs(d) <= spread else ("higher" if d > 0 else "lower")
        sup_a, sup_b = methods[a].supervision, methods[b].supervision
        return (f"{methods[a].title} ({mode_title(a_mode)}; {sup_a}) {sa.format()} vs {methods[b].title} "
                f"({mode_title(b_mode)}; {sup_b}) {sb.format()}: {d:+.1f} points ({verdict})." + _reading(sup_a, sup_b))

    runs = inputs.preset.experiment(st.experiment).methods
    smile = next((m for m in runs if methods[m].kind == "smile" and methods[m].prompts == "metadata"
                  and methods[m].loss.alpha and methods[m].loss.beta and methods[m].loss.gamma
                  and methods[m].views == "all" and methods[m].fusion == "attention"), None)
    if smile is None:
        return lines
    # the classifiers trained on the labels: the ce model, the fixed PCA + LR baseline
    classifiers = [m for m in runs if methods[m].kind in CLASSIFIER_KINDS and acc(m, "classifier") is not None]
    for b in classifiers:
        for mode in ("zero_shot", "linear_probe"):
            if acc(smile, mode) is not None:
                lines.append(compare(smile, mode, b, "classifier"))
    for m in runs:
        if m == smile or methods[m].kind in CLASSIFIER_KINDS:
            continue
        for mode in ("zero_shot", "linear_probe"):
            if acc(smile, mode) is not None and acc(m, mode) is not None:
                lines.append(compare(smile, mode, m, mode))
    return lines


def write_csvs(out: Path, inputs: ReportInputs, aggs: dict) -> tuple[Path, Path]:
    """results.csv (one row per experiment, method, mode, fold and metric) and summary.csv (mean, std, folds)."""
    fold_rows = [["experiment", "method", "mode", "supervision", "fold", "metric", "value"]]
    summary_rows = [["experiment", "method", "mode", "supervision", "metric", "mean", "std", "n_folds"]]
    for exp, by_method in inputs.results.items():
        codes = inputs.infos[exp].cross_codes
        for m, results in by_method.items():
            spec = inputs.preset.methods[m]
            for r in sorted(results, key=lambda r: r["fold"]):
                for mode, metrics in r["metrics"].items():
                    sup = spec.eval_supervision(mode.split("@")[0])
                    items = [("accuracy", metrics["accuracy"]), ("macro_f1", metrics["macro_f1"])]
                    items += [(f"f1:{c}", v) for c, v in metrics["per_class_f1"].items()]
                    items += [(f"accuracy:{c}", v) for c, v in metrics["per_class_accuracy"].items()]
                    items += [(f"cross_accuracy:{code}", cross_accuracy(r, mode, code)) for code in codes]
                    if codes:
                        items.append(("cross_accuracy:all", cross_accuracy(r, mode, codes)))
                    for name, value in items:
                        fold_rows.append([exp, m, mode, sup, r["fold"], name, "" if value is None else f"{value:.6f}"])
            for mode, entry in aggs.get(exp, {}).get(m, {}).get("modes", {}).items():
                sup = spec.eval_supervision(mode.split("@")[0])
                items = [("accuracy", entry["accuracy"]), ("macro_f1", entry["macro_f1"])]
                items += [(f"f1:{c}", s) for c, s in entry["per_class_f1"].items()]
                items += [(f"accuracy:{c}", s) for c, s in entry["per_class_accuracy"].items()]
                items += [(f"cross_accuracy:{c}", s) for c, s in entry.get("cross", {}).items()]
                if "cross_all" in entry:
                    items.append(("cross_accuracy:all", entry["cross_all"]))
                for name, s in items:
                    summary_rows.append([exp, m, mode, sup, name, "" if s.mean is None else f"{s.mean:.6f}",
                                         "" if s.std is None else f"{s.std:.6f}", s.n])
    paths = []
    for name, rows in (("results.csv", fold_rows), ("summary.csv", summary_rows)):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        paths.append(write_text_atomic(out / name, buf.getvalue()))
    return paths[0], paths[1]
