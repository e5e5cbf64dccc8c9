"""The benchmark report's figures, drawn with matplotlib's Agg canvas directly (no pyplot, no global backend change):
loss-ablation bars (the paper's Fig. 2), the pairwise accuracy-gain heatmap (Fig. 3; G[i, j] = headline accuracy of
configuration i minus that of j, in points, (k, k)), confusion matrices pooled over folds and training curves.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from core.eval.metrics import Summary
from core.eval.report_common import ReportInputs, ablation_methods, headline_mode, mode_title


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
