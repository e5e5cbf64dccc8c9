"""Aggregation of fold results and the benchmark report: report.md, results.json, results.csv, summary.csv and PNG
figures (ablation bars, pairwise gain heatmap, confusion matrices, training curves).

Tables (shaped like the paper's Tables II-V; every cell is mean ± std over the subject-independent folds, in %):
    Table II   3D static recognition accuracy (BU-3DFE Subset I and II, Bosphorus)
    Table III  4D recognition accuracy (BU-4DFE, BP4D)
    Table IV   cross-data-set accuracy (train BU-4DFE, test BP4D tasks T1 and T8); each fold model of the source
               experiment is tested on the whole target set, so the spread is over the source folds
    Table V    micro-expressions (4DME): per-class F1 and accuracy of the left, right, front and fused views
plus the ablation table, every row stating its supervision. The paper's own figures (real data sets; not
comparable one to one) come from resources/paper_results.json and appear beside ours; a value not transcribed
there shows as "n/a (not transcribed)".
Figures are drawn with matplotlib's Agg canvas directly (no pyplot, no global backend change).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.config_io import write_text_atomic
from core.eval.config import EVAL_TITLES, MethodSpec, Preset
from core.eval.metrics import Summary, pooled_confusion, summarize

NOT_TRANSCRIBED = "n/a (not transcribed)"
NO_COUNTERPART = "—"
PAPER_FILE = "paper_results.json"
TABLE_TITLES = {
    "II": "Table II-like: 3D static facial expression recognition",
    "III": "Table III-like: 4D (dynamic) facial expression recognition",
    "IV": "Table IV-like: cross-data-set recognition",
    "V": "Table V-like: micro-expressions, per-class F1 and accuracy per view",
}


@dataclass
class ExperimentInfo:
    """What the report says about an experiment's data: source, sizes, classes, views, folds, dropped rows."""

    name: str
    title: str
    table: str
    source: str
    n_samples: int
    n_subjects: int
    class_names: tuple[str, ...]
    view_names: tuple[str, ...]
    folds: dict
    methods: tuple[str, ...]
    dropped: int = 0
    cross_title: str = ""
    cross_codes: tuple[str, ...] = ()
    cross_source: str = ""
    cross_code_labels: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ aggregation
def mode_title(mode: str) -> str:
    base, _, view = mode.partition("@")
    title = EVAL_TITLES.get(base, base)
    return f"{title} ({view} view)" if view else title


def _cross_accuracy(result: dict, mode: str, code: str) -> float | None:
    cross = result.get("cross") or {}
    preds = (cross.get("predictions") or {}).get(mode)
    if not preds:
        return None
    hits = [p == y for p, y, c in zip(preds, cross["labels"], cross["codes"]) if c == code]
    return float(np.mean(hits)) if hits else None


def aggregate(results: Sequence[dict], codes: Sequence[str] = ()) -> dict[str, Any]:
    """Mean ± std over the folds of one (experiment, method): per mode accuracy, macro F1, per-class F1 and
    accuracy, pooled confusion, per-fold values; cross-data-set accuracy per code; mean training history."""
    results = sorted(results, key=lambda r: r["fold"])
    modes: dict[str, Any] = {}
    names = list(dict.fromkeys(m for r in results for m in r["metrics"]))
    for mode in names:
        per = [r["metrics"][mode] for r in results if mode in r["metrics"]]
        labels = per[0]["labels"]
        entry = {
            "accuracy": summarize(m["accuracy"] for m in per),
            "macro_f1": summarize(m["macro_f1"] for m in per),
            "per_class_f1": {c: summarize(m["per_class_f1"].get(c) for m in per) for c in labels},
            "per_class_accuracy": {c: summarize(m["per_class_accuracy"].get(c) for m in per) for c in labels},
            "confusion": pooled_confusion(m["confusion"] for m in per).tolist(),
            "labels": labels,
            "fold_accuracy": [m["accuracy"] for m in per],
            "fold_macro_f1": [m["macro_f1"] for m in per],
        }
        if codes:
            entry["cross"] = {c: summarize(_cross_accuracy(r, mode, c) for r in results) for c in codes}
            entry["cross_folds"] = {c: [_cross_accuracy(r, mode, c) for r in results] for c in codes}
        modes[mode] = entry
    history: list[dict[str, float]] = []
    lengths = [len(r.get("history") or []) for r in results]
    if results and min(lengths) > 0:
        for epoch in range(min(lengths)):
            keys = results[0]["history"][epoch].keys()
            history.append({k: float(np.mean([r["history"][epoch][k] for r in results])) for k in keys})
    return {
        "modes": modes,
        "history": history,
        "n_folds": len(results),
        "train_seconds": float(sum(r.get("train_seconds", 0.0) for r in results)),
        "samples_per_s": float(np.mean([r.get("samples_per_s", 0.0) for r in results])) if results else 0.0,
        "view_weights": np.mean([r["view_weights"] for r in results], axis=0).tolist() if results else [],
    }


def _summary_json(value: Any) -> Any:
    if isinstance(value, Summary):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _summary_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_summary_json(v) for v in value]
    return value


# ------------------------------------------------------------------------------------------------ paper figures
def load_paper_results(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """resources/paper_results.json (or ``path``); {} with a note when it is missing or unreadable."""
    if path is None:
        from core.resources import resources_dir

        try:
            path = resources_dir() / PAPER_FILE
        except FileNotFoundError:
            return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def paper_cell(paper: Mapping[str, Any], table: str, row: str, column: str) -> str:
    """The paper's value for (table, row, column) formatted, NOT_TRANSCRIBED when null, NO_COUNTERPART when the
    paper has no such row."""
    rows = ((paper.get("tables") or {}).get(table) or {}).get("rows") or {}
    if row not in rows:
        return NO_COUNTERPART
    value = (rows[row] or {}).get(column) if isinstance(rows[row], dict) else None
    if value is None:
        return NOT_TRANSCRIBED
    if isinstance(value, (int, float)):
        return f"{float(value):.1f}"
    return str(value)


# ------------------------------------------------------------------------------------------------ markdown helpers
def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def clean(cell: Any) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _row_label(method: MethodSpec, mode: str) -> str:
    return f"{method.title} — {mode_title(mode)}"


def _fused_modes(method: MethodSpec) -> list[str]:
    return list(method.evals)


def headline_mode(method: MethodSpec) -> str:
    """The mode a configuration is compared by (heatmap, findings): its first evaluation."""
    return method.evals[0]


# ------------------------------------------------------------------------------------------------ report writer
@dataclass
class ReportInputs:
    """Everything the report needs."""

    preset: Preset
    infos: dict[str, ExperimentInfo]
    results: dict[str, dict[str, list[dict]]]  # experiment -> method -> fold results
    settings: dict[str, Any]
    timings: dict[str, float]
    paper: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def build_aggregates(inputs: ReportInputs) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for exp, by_method in inputs.results.items():
        info = inputs.infos[exp]
        out[exp] = {m: aggregate(rs, info.cross_codes) for m, rs in by_method.items() if rs}
    return out


def _cell(agg: dict | None, mode: str, metric: str = "accuracy") -> str:
    if not agg or mode not in agg["modes"]:
        return "not run"
    return agg["modes"][mode][metric].format()


def _recognition_table(inputs: ReportInputs, aggs: dict, table: str) -> str | None:
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
        for mode in _fused_modes(spec):
            row = [_row_label(spec, mode), spec.eval_supervision(mode)]
            for e in exps:
                agg = aggs.get(e, {}).get(m) if m in inputs.infos[e].methods else None
                row += [_cell(agg, mode) if m in inputs.infos[e].methods else "—",
                        paper_cell(inputs.paper, table, f"{m}/{mode}", e)]
            rows.append(row)
    return md_table(header, rows)


def _cross_table(inputs: ReportInputs, aggs: dict) -> str | None:
    exps = [run.spec.name for run in inputs.preset.experiments if run.spec.cross is not None]
    if not exps:
        return None
    parts = []
    for e in exps:
        info = inputs.infos[e]
        header = ["Method — evaluation", "Supervision"]
        for code in info.cross_codes:
            lab = info.cross_code_labels.get(code, "")
            header += [f"{code} ({lab}) ours" if lab else f"{code} ours", f"{code} paper (real data)"]
        rows = []
        for m in info.methods:
            spec = inputs.preset.methods[m]
            agg = aggs.get(e, {}).get(m)
            for mode in _fused_modes(spec):
                row = [_row_label(spec, mode), spec.eval_supervision(mode)]
                for code in info.cross_codes:
                    cell = agg["modes"][mode]["cross"][code].format() if agg and mode in agg["modes"] else "not run"
                    row += [cell, paper_cell(inputs.paper, "IV", f"{m}/{mode}", code)]
                rows.append(row)
        parts.append(f"**{info.cross_title}** (trained on {info.title}: {info.source}; tested on {info.cross_source}; "
                     f"classes: {', '.join(info.class_names)})\n\n" + md_table(header, rows))
    return "\n\n".join(parts)


def _view_order(views: Sequence[str]) -> list[str]:
    order = {"left": 0, "right": 1, "front": 2}
    return sorted(views, key=lambda v: (order.get(v, 3), list(views).index(v)))


def _micro_tables(inputs: ReportInputs, aggs: dict) -> str | None:
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
                columns = [(f"{mode}@{v}", v) for v in views] + [(mode, "multi-view")]
                header = ["Class"]
                for _, name in columns:
                    header += [f"{name} F1", f"{name} Acc"]
                rows = []
                for c in info.class_names:
                    row = [c]
                    for key, _ in columns:
                        entry = agg["modes"][key]
                        row += [entry["per_class_f1"][c].format(), entry["per_class_accuracy"][c].format()]
                    rows.append(row)
                avg = ["mean (macro F1 / accuracy)"]
                for key, _ in columns:
                    avg += [agg["modes"][key]["macro_f1"].format(), agg["modes"][key]["accuracy"].format()]
                rows.append(avg)
                parts.append(f"**{info.title}: {spec.title} — {mode_title(mode)}** (supervision: "
                             f"{spec.eval_supervision(mode)}; {info.source})\n\n" + md_table(header, rows))
        paper_v = ((inputs.paper.get("tables") or {}).get("V") or {})
        classes = paper_v.get("classes") or list(info.class_names)
        views = paper_v.get("views") or ["left", "right", "front", "multi-view"]
        header = ["Class"] + [f"{v} {k}" for v in views for k in ("F1", "Acc")]
        rows = []
        for c in classes:
            row = [c]
            for v in views:
                for metric in ("f1", "accuracy"):
                    value = ((paper_v.get(metric) or {}).get(c) or {}).get(v)
                    row.append(NOT_TRANSCRIBED if value is None else f"{float(value):.1f}")
            rows.append(row)
        parts.append("**The paper's Table V (real 4DME data; not comparable one to one):**\n\n"
                     + md_table(header, rows))
    return "\n\n".join(parts)


def ablation_methods(preset: Preset, experiment: str) -> list[str]:
    """Methods of ``experiment`` that differ from its first SMILE-VLM method only in the loss weights."""
    names = preset.experiment(experiment).methods
    base = [m for m in names if preset.methods[m].kind == "smile" and preset.methods[m].prompts == "metadata"
            and preset.methods[m].views == "all" and preset.methods[m].fusion == "attention"]
    return base


def _ablation_table(inputs: ReportInputs, aggs: dict) -> str | None:
    exp = inputs.preset.ablation
    if exp not in inputs.infos:
        return None
    names = ablation_methods(inputs.preset, exp)
    if len(names) < 2:
        return None
    header = ["Configuration", "alpha (mv-BT)", "beta (vl-align)", "gamma (red-min)", "Supervision",
              "zero-shot acc", "linear probe acc", "zero-shot macro F1", "paper (real data)"]
    rows = []
    for m in names:
        spec = inputs.preset.methods[m]
        agg = aggs.get(exp, {}).get(m)
        rows.append([spec.title, f"{spec.loss.alpha:g}", f"{spec.loss.beta:g}", f"{spec.loss.gamma:g}",
                     spec.supervision, _cell(agg, "zero_shot"), _cell(agg, "linear_probe"),
                     _cell(agg, "zero_shot", "macro_f1"), paper_cell(inputs.paper, "ablation", m, exp)])
    return md_table(header, rows)


def _diff(a: Summary, b: Summary) -> float | None:
    if a.mean is None or b.mean is None:
        return None
    return 100.0 * (a.mean - b.mean)


def _findings(inputs: ReportInputs, aggs: dict) -> list[str]:
    """Plain statements comparing configurations on the ablation experiment, whichever way they come out."""
    exp = inputs.preset.ablation
    if exp not in inputs.infos:
        return []
    agg = aggs.get(exp, {})
    methods = inputs.preset.methods
    lines: list[str] = []

    def acc(m: str, mode: str) -> Summary | None:
        return agg[m]["modes"][mode]["accuracy"] if m in agg and mode in agg[m]["modes"] else None

    def compare(a_name: str, a: Summary, b_name: str, b: Summary) -> str:
        d = _diff(a, b)
        spread = 100.0 * max(a.std or 0.0, b.std or 0.0)
        verdict = "a tie: within one fold std" if abs(d) <= spread else ("higher" if d > 0 else "lower")
        return f"{a_name} {a.format()} vs {b_name} {b.format()}: {d:+.1f} points ({verdict})."

    runs = inputs.preset.experiment(exp).methods
    smile = next((m for m in runs if methods[m].kind == "smile" and methods[m].prompts == "metadata"
                  and methods[m].loss.alpha and methods[m].loss.beta and methods[m].loss.gamma
                  and methods[m].views == "all" and methods[m].fusion == "attention"), None)
    ce = next((m for m in runs if methods[m].kind == "ce"), None)
    if smile and ce and acc(ce, "classifier") is not None:
        for mode in ("zero_shot", "linear_probe"):
            s = acc(smile, mode)
            if s is not None:
                lines.append(compare(f"{methods[smile].title} ({mode_title(mode)})", s,
                                     f"{methods[ce].title} (classifier)", acc(ce, "classifier")))
    if smile:
        for m in runs:
            if m in (smile, ce):
                continue
            for mode in ("zero_shot", "linear_probe"):
                full, other = acc(smile, mode), acc(m, mode)
                if full is not None and other is not None:
                    lines.append(compare(f"{methods[smile].title} ({mode_title(mode)})", full,
                                         f"{methods[m].title}", other))
    return lines


def write_csvs(out: Path, inputs: ReportInputs, aggs: dict) -> tuple[Path, Path]:
    """results.csv (one row per experiment, method, mode, fold and metric) and summary.csv (mean, std, folds)."""
    fold_rows = [["experiment", "method", "mode", "supervision", "fold", "metric", "value"]]
    summary_rows = [["experiment", "method", "mode", "supervision", "metric", "mean", "std", "n_folds"]]
    for exp, by_method in inputs.results.items():
        for m, results in by_method.items():
            spec = inputs.preset.methods[m]
            for r in sorted(results, key=lambda r: r["fold"]):
                for mode, metrics in r["metrics"].items():
                    sup = spec.eval_supervision(mode.split("@")[0])
                    items = [("accuracy", metrics["accuracy"]), ("macro_f1", metrics["macro_f1"])]
                    items += [(f"f1:{c}", v) for c, v in metrics["per_class_f1"].items()]
                    items += [(f"accuracy:{c}", v) for c, v in metrics["per_class_accuracy"].items()]
                    for code in inputs.infos[exp].cross_codes:
                        items.append((f"cross_accuracy:{code}", _cross_accuracy(r, mode, code)))
                    for name, value in items:
                        fold_rows.append([exp, m, mode, sup, r["fold"], name, "" if value is None else f"{value:.6f}"])
            for mode, entry in aggs.get(exp, {}).get(m, {}).get("modes", {}).items():
                sup = spec.eval_supervision(mode.split("@")[0])
                items = [("accuracy", entry["accuracy"]), ("macro_f1", entry["macro_f1"])]
                items += [(f"f1:{c}", s) for c, s in entry["per_class_f1"].items()]
                items += [(f"accuracy:{c}", s) for c, s in entry["per_class_accuracy"].items()]
                items += [(f"cross_accuracy:{c}", s) for c, s in entry.get("cross", {}).items()]
                for name, s in items:
                    summary_rows.append([exp, m, mode, sup, name, "" if s.mean is None else f"{s.mean:.6f}",
                                         "" if s.std is None else f"{s.std:.6f}", s.n])
    paths = []
    for name, rows in (("results.csv", fold_rows), ("summary.csv", summary_rows)):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        paths.append(write_text_atomic(out / name, buf.getvalue()))
    return paths[0], paths[1]


# ------------------------------------------------------------------------------------------------ figures
def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def figure_ablation(path: Path, inputs: ReportInputs, aggs: dict) -> Path | None:
    """Grouped bars (zero-shot and linear-probe accuracy, mean ± std) of the loss ablations (the paper's Fig. 2)."""
    exp = inputs.preset.ablation
    if exp not in inputs.infos:
        return None
    names = [m for m in ablation_methods(inputs.preset, exp) if m in aggs.get(exp, {})]
    if not names:
        return None
    modes = [m for m in ("zero_shot", "linear_probe") if any(m in aggs[exp][n]["modes"] for n in names)]
    fig = _figure(max(5.0, 1.6 * len(names) + 2), 4.0)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(modes))
    x = np.arange(len(names))
    for j, mode in enumerate(modes):
        means = [100 * (aggs[exp][n]["modes"].get(mode, {}).get("accuracy", Summary(None, None, 0)).mean or 0.0)
                 for n in names]
        stds = [100 * (aggs[exp][n]["modes"].get(mode, {}).get("accuracy", Summary(None, None, 0)).std or 0.0)
                for n in names]
        ax.bar(x + (j - (len(modes) - 1) / 2) * width, means, width, yerr=stds, capsize=3, label=mode_title(mode))
    ax.set_xticks(x)
    ax.set_xticklabels([inputs.preset.methods[n].title for n in names], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    chance = 100.0 / max(1, len(inputs.infos[exp].class_names))
    ax.axhline(chance, color="grey", linestyle="--", linewidth=1, label="chance")
    k = inputs.infos[exp].folds.get("k")
    ax.set_title(f"Loss ablations on {inputs.infos[exp].title} (mean ± std over {k} folds)", fontsize=9)
    ax.legend(fontsize=8)
    return _save(fig, path)


def gain_matrix(inputs: ReportInputs, aggs: dict) -> tuple[list[str], np.ndarray]:
    """Configurations of the ablation experiment and G[i, j] = headline accuracy of i minus that of j (points)."""
    exp = inputs.preset.ablation
    if exp not in inputs.infos:
        return [], np.zeros((0, 0))
    names, values = [], []
    for m in inputs.preset.experiment(exp).methods:
        agg = aggs.get(exp, {}).get(m)
        mode = headline_mode(inputs.preset.methods[m])
        if agg and mode in agg["modes"] and agg["modes"][mode]["accuracy"].mean is not None:
            names.append(m)
            values.append(100.0 * agg["modes"][mode]["accuracy"].mean)
    v = np.asarray(values, dtype=np.float64)
    return names, v[:, None] - v[None, :]


def figure_gains(path: Path, inputs: ReportInputs, aggs: dict) -> Path | None:
    """Heatmap of pairwise accuracy gains between configurations (the paper's Fig. 3)."""
    names, gains = gain_matrix(inputs, aggs)
    if len(names) < 2:
        return None
    labels = [f"{inputs.preset.methods[m].title}\n({mode_title(headline_mode(inputs.preset.methods[m]))})"
              for m in names]
    size = 1.0 + 0.9 * len(names)
    fig = _figure(size + 2.5, size + 1.5)
    ax = fig.add_subplot(1, 1, 1)
    bound = max(1.0, float(np.abs(gains).max()))
    im = ax.imshow(gains, cmap="RdBu", vmin=-bound, vmax=bound)
    ax.set_xticks(range(len(names)))
    ax.set_yticks(range(len(names)))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    ax.set_yticklabels(labels, fontsize=7)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{gains[i, j]:+.1f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, label="row minus column (accuracy points)")
    ax.set_title(f"Pairwise accuracy gains on {inputs.infos[inputs.preset.ablation].title}", fontsize=9)
    return _save(fig, path)


def figure_confusions(folder: Path, inputs: ReportInputs, aggs: dict) -> list[Path]:
    """One PNG per experiment: row-normalised confusion matrices pooled over folds, for the first mode of each of
    (at most) its first two methods with distinct kinds (SMILE-VLM zero-shot, supervised classifier)."""
    paths = []
    for exp, by_method in aggs.items():
        info = inputs.infos[exp]
        panels = []
        seen_kinds = set()
        for m in info.methods:
            spec = inputs.preset.methods[m]
            if m in by_method and spec.kind not in seen_kinds:
                mode = headline_mode(spec)
                if mode in by_method[m]["modes"]:
                    panels.append((spec, mode, by_method[m]["modes"][mode]))
                    seen_kinds.add(spec.kind)
        if not panels:
            continue
        n = len(info.class_names)
        fig = _figure(4.2 * len(panels), 3.8 + 0.05 * n)
        for k, (spec, mode, entry) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), k + 1)
            cm = np.asarray(entry["confusion"], dtype=np.float64)
            rows = cm.sum(axis=1, keepdims=True)
            norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
            ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
            labels = entry["labels"]
            ax.set_xticks(range(len(labels)))
            ax.set_yticks(range(len(labels)))
            ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
            ax.set_yticklabels(labels, fontsize=7)
            for i in range(len(labels)):
                for j in range(len(labels)):
                    if cm[i, j]:
                        ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=6,
                                color="white" if norm[i, j] > 0.5 else "black")
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(f"{spec.title} ({mode_title(mode)})", fontsize=8)
        fig.suptitle(f"{info.title}: confusion pooled over {info.folds.get('k')} folds", fontsize=9)
        paths.append(_save(fig, folder / f"confusion_{exp}.png"))
    return paths


def figure_curves(path: Path, inputs: ReportInputs, aggs: dict) -> Path | None:
    """Training loss per epoch (mean over the folds) of every configuration of the ablation experiment."""
    exp = inputs.preset.ablation
    if exp not in inputs.infos:
        return None
    items = [(m, aggs[exp][m]["history"]) for m in inputs.preset.experiment(exp).methods
             if m in aggs.get(exp, {}) and aggs[exp][m]["history"]]
    if not items:
        return None
    cols = min(4, len(items))
    rows = math.ceil(len(items) / cols)
    fig = _figure(3.2 * cols, 2.6 * rows)
    for k, (m, history) in enumerate(items):
        ax = fig.add_subplot(rows, cols, k + 1)
        epochs = np.arange(1, len(history) + 1)
        for key in history[0]:
            ax.plot(epochs, [h[key] for h in history], marker="o", markersize=3, label=key,
                    linewidth=2 if key == "loss" else 1)
        ax.set_title(inputs.preset.methods[m].title, fontsize=8)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.suptitle(f"Training curves on {inputs.infos[exp].title} (mean over folds)", fontsize=9)
    return _save(fig, path)


# ------------------------------------------------------------------------------------------------ report
def write_report(out: Path, inputs: ReportInputs) -> dict[str, Path]:
    """Write report.md, results.json, results.csv, summary.csv and figures/*.png under ``out``; returns the paths."""
    out = Path(out)
    aggs = build_aggregates(inputs)
    figures = out / "figures"
    paths: dict[str, Path] = {}
    fig_paths = {
        "ablation": figure_ablation(figures / "ablation.png", inputs, aggs),
        "gain_heatmap": figure_gains(figures / "gain_heatmap.png", inputs, aggs),
        "training_curves": figure_curves(figures / "training_curves.png", inputs, aggs),
    }
    confusions = figure_confusions(figures, inputs, aggs)
    paths.update({k: v for k, v in fig_paths.items() if v is not None})
    for p in confusions:
        paths[p.stem] = p
    paths["results_csv"], paths["summary_csv"] = write_csvs(out, inputs, aggs)

    names, gains = gain_matrix(inputs, aggs)
    doc = {
        "preset": inputs.preset.name,
        "description": inputs.preset.description,
        "settings": inputs.settings,
        "timings_s": inputs.timings,
        "notes": inputs.notes,
        "experiments": {
            exp: {
                "title": info.title,
                "table": info.table,
                "source": info.source,
                "n_samples": info.n_samples,
                "n_subjects": info.n_subjects,
                "classes": list(info.class_names),
                "views": list(info.view_names),
                "folds": info.folds,
                "dropped_rows": info.dropped,
                "cross": {"title": info.cross_title, "codes": list(info.cross_codes), "source": info.cross_source}
                if info.cross_codes else None,
                "methods": {
                    m: {
                        "spec": inputs.preset.methods[m].to_dict(),
                        "supervision": inputs.preset.methods[m].supervision,
                        **_summary_json(aggs.get(exp, {}).get(m, {})),
                        "folds": [
                            {k: r[k] for k in ("fold", "key", "test_subjects", "metrics", "history", "train_seconds",
                                               "samples_per_s", "view_weights")}
                            for r in sorted(inputs.results.get(exp, {}).get(m, []), key=lambda r: r["fold"])
                        ],
                    }
                    for m in info.methods
                },
            }
            for exp, info in inputs.infos.items()
        },
        "gain_heatmap": {"configurations": names, "gains_points": gains.tolist()},
        "paper": inputs.paper,
    }
    paths["results_json"] = write_text_atomic(out / "results.json", json.dumps(doc, indent=1, default=str) + "\n")
    paths["report"] = write_text_atomic(out / "report.md", _markdown(inputs, aggs, paths, out))
    return paths


def _markdown(inputs: ReportInputs, aggs: dict, paths: dict[str, Path], out: Path) -> str:
    p = inputs.preset
    lines = [f"# SMILE-VLM benchmark report — preset `{p.name}`", ""]
    if p.description:
        lines += [p.description, ""]
    lines += [
        "Every cell is the mean ± standard deviation (population, ddof = 0) over subject-independent folds, in % "
        "(no subject is in both the training and the test part of a fold). *Supervision* says what each row's "
        "training saw: **none** (no labels, no language), **category prompts** (one prompt of the sample's "
        "category per step — this uses the category labels through language), **labels** (class labels; for a "
        "probe row, the probe's labels on top of the frozen embeddings).",
        "",
        "**The paper's figures are results on the real data sets** (BU-3DFE, Bosphorus, BU-4DFE, BP4D, 4DME) and are "
        "**not comparable one to one** with ours, which come from the synthetic sets unless a column says *user "
        f"data*. Values not transcribed into resources/{PAPER_FILE} show as “{NOT_TRANSCRIBED}”; "
        f"“{NO_COUNTERPART}” means the paper has no such row.",
        "",
    ]
    if inputs.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in inputs.notes] + [""]
    lines += ["## Data", ""]
    data_rows = []
    for exp, info in inputs.infos.items():
        data_rows.append([info.title, info.source, str(info.n_samples), str(info.n_subjects), str(info.folds.get("k")),
                          ", ".join(info.class_names), ", ".join(info.view_names), str(info.dropped)])
    lines += [md_table(["Experiment", "Data", "Samples", "Subjects", "Folds", "Classes", "Views",
                        "Rows dropped (not rendered)"], data_rows), ""]
    for table in ("II", "III"):
        t = _recognition_table(inputs, aggs, table)
        if t:
            lines += [f"## {TABLE_TITLES[table]}", "", "Top-1 accuracy (%).", "", t, ""]
    t = _cross_table(inputs, aggs)
    if t:
        lines += [f"## {TABLE_TITLES['IV']}", "",
                  "Accuracy (%) on each target task: the share of its sequences predicted as the task's emotion among "
                  "the source classes. Spread over the source experiment's fold models.", "", t, ""]
    t = _micro_tables(inputs, aggs)
    if t:
        lines += [f"## {TABLE_TITLES['V']}", "",
                  "Per-class F1 and accuracy (the class's recall) in %, per single view (z'_i) and fused (z^mv), "
                  "for the experiment's first multi-view method; the other methods' per-view numbers are in "
                  "results.csv.", "",
                  t, ""]
    t = _ablation_table(inputs, aggs)
    if t:
        lines += [f"## Loss ablations ({inputs.infos[p.ablation].title}; the paper's Fig. 2)", "", t, ""]
    findings = _findings(inputs, aggs)
    if findings:
        lines += ["## What the numbers say", "",
                  f"Computed on {inputs.infos[p.ablation].title}; a difference within one fold standard deviation is "
                  "called a tie.", ""] + [f"- {f}" for f in findings] + [""]
    lines += ["## Figures", ""]
    captions = {
        "ablation": "Loss ablations (the paper's Fig. 2)",
        "gain_heatmap": "Pairwise accuracy gains between configurations (the paper's Fig. 3); each configuration by "
                        "its headline evaluation (its first)",
        "training_curves": "Training curves",
    }
    for key, caption in captions.items():
        if key in paths:
            lines += [f"![{caption}]({paths[key].relative_to(out).as_posix()})", "", f"*{caption}.*", ""]
    for key, path in paths.items():
        if key.startswith("confusion_"):
            lines += [f"![{key}]({path.relative_to(out).as_posix()})", ""]
    lines += ["## Files", "",
              "- `results.json`: every aggregate and every fold's metrics; `results.csv`: one row per fold and metric; "
              "`summary.csv`: mean, std and folds per metric.",
              "- `folds/<experiment>.json`: the fold assignment (fold -> test subjects); `runs/<experiment>/<method>/"
              "fold_NN.json`: each fold's predictions, metrics and training history.", ""]
    lines += ["## Settings and timings", ""]
    st = inputs.settings
    lines += [f"- device {st.get('device')}, {st.get('workers')} training process(es) x {st.get('threads_per_worker')} "
              f"torch thread(s); render {json.dumps(st.get('render'))}; synthetic seed {st.get('synth_seed')}"]
    for ds, desc in (st.get("data") or {}).items():
        subjects = ((st.get("synth") or {}).get(ds) or {}).get("subjects")
        count = f", {subjects} subjects" if subjects and desc.startswith("synthetic") else ""
        lines.append(f"- {ds}: {desc}{count}")
    exp_rows = []
    for name, e in (st.get("experiments") or {}).items():
        t = e.get("train", {})
        m = t.get("model", {})
        exp_rows.append([name, str(e.get("folds")), ", ".join(e.get("methods", [])), str(t.get("epochs")),
                         str(t.get("batch_size")), f"{t.get('lr', 0):g}",
                         f"{m.get('backbone')} D={m.get('embed_dim')} {m.get('image_size')} px"])
    lines += ["", md_table(["Experiment", "Folds", "Methods", "Epochs", "Batch", "lr", "Model"], exp_rows), "",
              "Full settings (augmentations, loss weights, probe) are in results.json.", ""]
    timing_rows = [[k, f"{v:.1f}"] for k, v in inputs.timings.items()]
    job_seconds = sum(r.get("seconds", 0.0) for by_method in inputs.results.values() for rs in by_method.values()
                      for r in rs)
    timing_rows.append(["fold jobs, summed over processes and every invocation", f"{job_seconds:.1f}"])
    lines += ["Wall-clock seconds of this invocation (folds reused from an earlier one cost nothing here):", "",
              md_table(["Phase", "Seconds"], timing_rows), ""]
    return "\n".join(lines)
