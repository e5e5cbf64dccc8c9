"""The benchmark report's figures, drawn with matplotlib's Agg canvas directly (no pyplot, no global backend change):
loss-ablation bars grouped by setting (the paper's Fig. 2), the pairwise accuracy-gain heatmaps, one per setting (Fig. 3;
G[i, j] = zero-shot accuracy of configuration i minus that of j, in points, (k, k)), confusion matrices pooled over
folds and training curves. A setting is an ablation experiment of the preset or its cross-data-set test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from core.eval.report_common import (
    AblationSetting,
    ReportInputs,
    ablation_methods,
    ablation_settings,
    headline_mode,
    mode_title,
    setting_accuracy,
)


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


#: The one evaluation mode the gain heatmap compares configurations by (the paper's Fig. 3 is zero-shot).
GAIN_MODE = "zero_shot"


def figure_ablation(path: Path, inputs: ReportInputs, aggs: dict) -> Path | None:
    """Bars grouped by setting (each ablation experiment, and its cross-data-set test), one bar per configuration
    that differs from the full method only in the loss weights (full, w/o red-min, w/o vl-align, w/o mv-BT): accuracy
    mean ± std over folds, one panel per evaluation mode (zero-shot, linear probe); the paper's Fig. 2."""
    settings = ablation_settings(inputs)
    names = list(dict.fromkeys(m for st in settings for m in ablation_methods(inputs.preset, st.experiment)
                               if m in aggs.get(st.experiment, {})))
    modes = [mode for mode in ("zero_shot", "linear_probe")
             if any(setting_accuracy(aggs.get(st.experiment, {}).get(m), mode, st) for st in settings for m in names)]
    if not names or not modes:
        return None
    fig = _figure(max(6.0, 0.5 * len(names) * len(settings) + 3), 3.6 * len(modes) + 0.6)
    width = 0.8 / len(names)
    x = np.arange(len(settings))
    for row, mode in enumerate(modes):
        ax = fig.add_subplot(len(modes), 1, row + 1)
        for j, m in enumerate(names):
            found = [setting_accuracy(aggs.get(st.experiment, {}).get(m), mode, st) for st in settings]
            means = [100 * s.mean if s else np.nan for s in found]
            stds = [100 * (s.std or 0.0) if s else 0.0 for s in found]
            ax.bar(x + (j - (len(names) - 1) / 2) * width, means, width, yerr=stds, capsize=2,
                   label=inputs.preset.methods[m].title)
        for i, st in enumerate(settings):
            ax.hlines(100.0 / max(1, st.n_classes), i - 0.45, i + 0.45, colors="grey", linestyles="--", linewidth=1,
                      label="chance" if i == 0 else None)
        ax.set_xticks(x)
        ax.set_xticklabels([st.title for st in settings], fontsize=8)
        ax.set_ylabel(f"{mode_title(mode)} accuracy (%)", fontsize=8)
        ax.set_ylim(0, 122)  # room for the legend above the bars
        ax.set_yticks(range(0, 101, 20))
        ax.set_title(f"Loss ablations per setting: {mode_title(mode)} accuracy (mean ± std over folds)", fontsize=9)
        ax.legend(fontsize=7, ncol=min(5, len(names) + 1), loc="upper center")
    return _save(fig, path)


def gain_matrix(inputs: ReportInputs, aggs: dict, setting: AblationSetting) -> tuple[list[str], np.ndarray]:
    """Configurations of the setting's experiment that have a zero-shot evaluation, and G[i, j] = zero-shot accuracy
    of i minus that of j in the setting (points)."""
    names, values = [], []
    for m in inputs.preset.experiment(setting.experiment).methods:
        found = setting_accuracy(aggs.get(setting.experiment, {}).get(m), GAIN_MODE, setting)
        if found is not None:
            names.append(m)
            values.append(100.0 * found.mean)
    v = np.asarray(values, dtype=np.float64)
    return names, v[:, None] - v[None, :]


def gain_matrices(inputs: ReportInputs, aggs: dict) -> list[tuple[AblationSetting, list[str], np.ndarray]]:
    """(setting, configurations, gains) of every ablation setting (see gain_matrix)."""
    return [(st, *gain_matrix(inputs, aggs, st)) for st in ablation_settings(inputs)]


def figure_gains(path: Path, inputs: ReportInputs, aggs: dict) -> Path | None:
    """Heatmaps of pairwise zero-shot accuracy gains between configurations, one per setting (the paper's Fig. 3)."""
    panels = [(st, names, gains) for st, names, gains in gain_matrices(inputs, aggs) if len(names) >= 2]
    if not panels:
        return None
    size = 1.0 + 0.9 * max(len(names) for _, names, _ in panels)
    fig = _figure((size + 2.5) * len(panels), size + 2.0)
    for k, (st, names, gains) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        labels = [inputs.preset.methods[m].title for m in names]
        bound = max(1.0, float(np.abs(gains).max()))
        im = ax.imshow(gains, cmap="RdBu", vmin=-bound, vmax=bound)
        ax.set_xticks(range(len(names)))
        ax.set_yticks(range(len(names)))
        ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
        ax.set_yticklabels(labels, fontsize=7)
        for i in range(len(names)):
            for j in range(len(names)):
                ax.text(j, i, f"{gains[i, j]:+.1f}", ha="center", va="center", fontsize=7)
        fig.colorbar(im, ax=ax, label="row minus column (points)", fraction=0.046)
        ax.set_title(st.title, fontsize=9)
    fig.suptitle(f"Pairwise {mode_title(GAIN_MODE)} accuracy gains between configurations, per setting "
                 f"({mode_title(GAIN_MODE)} evaluation only; configurations without one are left out)", fontsize=9)
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
    """Training loss per epoch (mean over the folds) of every trained configuration of each ablation experiment."""
    items = [(exp, m, aggs[exp][m]["history"]) for exp in inputs.preset.ablation if exp in inputs.infos
             for m in inputs.preset.experiment(exp).methods if m in aggs.get(exp, {}) and aggs[exp][m]["history"]]
    if not items:
        return None
    cols = min(4, len(items))
    rows = math.ceil(len(items) / cols)
    fig = _figure(3.2 * cols, 2.6 * rows)
    for k, (exp, m, history) in enumerate(items):
        ax = fig.add_subplot(rows, cols, k + 1)
        epochs = np.arange(1, len(history) + 1)
        for key in history[0]:
            ax.plot(epochs, [h[key] for h in history], marker="o", markersize=3, label=key,
                    linewidth=2 if key == "loss" else 1)
        ax.set_title(f"{inputs.infos[exp].title}: {inputs.preset.methods[m].title}", fontsize=7)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.suptitle("Training curves of the ablation experiments (mean over folds)", fontsize=9)
    return _save(fig, path)
