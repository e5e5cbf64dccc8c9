"""What every part of the benchmark report shares: the inputs (ReportInputs, ExperimentInfo), the aggregation of fold
results (mean ± std over the subject-independent folds) and the markdown helpers.

aggregate(results, codes) -> {"modes": {mode: {...}}, "history", "n_folds", ...}: per evaluation mode the accuracy,
macro F1, per-class F1 and accuracy as Summary (mean, population std, n folds), the pooled confusion (C, C), the
per-fold values, and for a cross-data-set experiment the accuracy per target code and over all codes together.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.eval.config import EVAL_TITLES, MethodSpec, Preset
from core.eval.metrics import Summary, per_class_ovr_accuracy, pooled_confusion, summarize


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
    #: method -> a short note shown beside its figures (e.g. pca_lr on user data: which template it registered to)
    method_notes: dict = field(default_factory=dict)


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


# ------------------------------------------------------------------------------------------------ aggregation
def mode_title(mode: str) -> str:
    base, _, view = mode.partition("@")
    title = EVAL_TITLES.get(base, base)
    return f"{title} ({view} view)" if view else title


def cross_accuracy(result: dict, mode: str, codes: str | Collection[str]) -> float | None:
    """Share of the target rows with a code in ``codes`` (one code or several) predicted as their label."""
    wanted = {codes} if isinstance(codes, str) else set(codes)
    cross = result.get("cross") or {}
    preds = (cross.get("predictions") or {}).get(mode)
    if not preds:
        return None
    hits = [p == y for p, y, c in zip(preds, cross["labels"], cross["codes"]) if c in wanted]
    return float(np.mean(hits)) if hits else None


def aggregate(results: Sequence[dict], codes: Sequence[str] = ()) -> dict[str, Any]:
    """Mean ± std over the folds of one (experiment, method): per mode accuracy, macro F1, per-class F1 and
    accuracy, pooled confusion, per-fold values; cross-data-set accuracy per code and over all ``codes`` together
    ("cross_all"); mean training history."""
    results = sorted(results, key=lambda r: r["fold"])
    modes: dict[str, Any] = {}
    names = list(dict.fromkeys(m for r in results for m in r["metrics"]))
    for mode in names:
        per = [r["metrics"][mode] for r in results if mode in r["metrics"]]
        labels = per[0]["labels"]
        ovr = [per_class_ovr_accuracy(m["confusion"], m["labels"]) for m in per]
        entry = {
            "accuracy": summarize(m["accuracy"] for m in per),
            "macro_f1": summarize(m["macro_f1"] for m in per),
            "per_class_f1": {c: summarize(m["per_class_f1"].get(c) for m in per) for c in labels},
            "per_class_accuracy": {c: summarize(m["per_class_accuracy"].get(c) for m in per) for c in labels},
            "per_class_ovr_accuracy": {c: summarize(o[c] for o in ovr) for c in labels},
            "confusion": pooled_confusion(m["confusion"] for m in per).tolist(),
            "labels": labels,
            "fold_accuracy": [m["accuracy"] for m in per],
            "fold_macro_f1": [m["macro_f1"] for m in per],
        }
        if codes:
            entry["cross"] = {c: summarize(cross_accuracy(r, mode, c) for r in results) for c in codes}
            entry["cross_folds"] = {c: [cross_accuracy(r, mode, c) for r in results] for c in codes}
            entry["cross_all"] = summarize(cross_accuracy(r, mode, codes) for r in results)
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


def summary_json(value: Any) -> Any:
    """``value`` with every Summary replaced by its dict (for results.json)."""
    if isinstance(value, Summary):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: summary_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [summary_json(v) for v in value]
    return value


def build_aggregates(inputs: ReportInputs) -> dict[str, dict[str, dict]]:
    """experiment -> method -> aggregate(...) of its fold results."""
    out: dict[str, dict[str, dict]] = {}
    for exp, by_method in inputs.results.items():
        info = inputs.infos[exp]
        out[exp] = {m: aggregate(rs, info.cross_codes) for m, rs in by_method.items() if rs}
    return out


# ------------------------------------------------------------------------------------------------ helpers
def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def clean(cell: Any) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def row_label(method: MethodSpec, mode: str) -> str:
    return f"{method.title} — {mode_title(mode)}"


def headline_mode(method: MethodSpec) -> str:
    """The mode a configuration is compared by (heatmap, findings): its first evaluation."""
    return method.evals[0]


def cell(agg: dict | None, mode: str, metric: str = "accuracy") -> str:
    """'mean ± std' (%) of ``metric`` for ``mode``, or 'not run'."""
    if not agg or mode not in agg["modes"]:
        return "not run"
    return agg["modes"][mode][metric].format()


@dataclass(frozen=True)
class AblationSetting:
    """One setting of the ablation figure, gain heatmap and findings: an ablation experiment (``cross`` False, its
    fold test parts) or its cross-data-set test (``cross`` True, all target codes together); ``paper_column``: the
    column of the paper's ablation figure (resources/paper_results.json) it stands for."""

    experiment: str
    title: str
    cross: bool
    paper_column: str
    n_classes: int


def ablation_settings(inputs: ReportInputs) -> list[AblationSetting]:
    """The preset's ablation experiments that were run, each followed by its cross-data-set test when it has one."""
    out = []
    for exp in inputs.preset.ablation:
        info = inputs.infos.get(exp)
        if info is None:
            continue
        n = len(info.class_names)
        out.append(AblationSetting(exp, info.title, False, exp, n))
        cross = inputs.preset.experiment(exp).spec.cross
        if cross is not None and info.cross_codes:
            out.append(AblationSetting(exp, info.cross_title or cross.title, True, f"{exp}_to_{cross.dataset}", n))
    return out


def setting_accuracy(agg: dict | None, mode: str, setting: AblationSetting) -> Summary | None:
    """Accuracy (Summary over folds) of ``mode`` in ``setting`` (for a cross setting: over all target codes); None
    when not run."""
    if not agg or mode not in agg["modes"]:
        return None
    entry = agg["modes"][mode]
    found = entry.get("cross_all") if setting.cross else entry["accuracy"]
    return found if found is not None and found.mean is not None else None


def ablation_methods(preset: Preset, experiment: str) -> list[str]:
    """Methods of ``experiment`` that differ from its first SMILE-VLM method only in the loss weights."""
    names = preset.experiment(experiment).methods
    return [m for m in names if preset.methods[m].kind == "smile" and preset.methods[m].prompts == "metadata"
            and preset.methods[m].views == "all" and preset.methods[m].fusion == "attention"]
