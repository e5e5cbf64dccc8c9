"""The benchmark report: report.md, results.json, results.csv, summary.csv and PNG figures under the output folder.

Tables (shaped like the paper's Tables II-V; every cell is mean ± std over the subject-independent folds, in %):
    Table II   3D static recognition accuracy (BU-3DFE Subset I and II, Bosphorus)
    Table III  4D recognition accuracy (BU-4DFE, BP4D; the paper's BP4D figures are its Table IV (a))
    Table IV   cross-data-set accuracy (train BU-4DFE, test BP4D tasks T1 and T8, per task and both together; the
               paper gives one figure for both together, its Table IV (b)); each fold model of the source experiment
               is tested on the whole target set, so the spread is over the source folds
    Table V    micro-expressions (4DME): per-class F1 and accuracy of the left, right, front and fused views
plus the ablation table, every row stating its supervision. The paper's own figures (real data sets; not comparable
one to one) come from resources/paper_results.json and appear beside ours, with every compared method of the
paper's tables below each of ours.

The parts live in sibling modules (report_common: inputs, aggregation, markdown helpers; report_paper: the paper's
figures; report_tables: tables, findings, CSV; report_figures: PNG figures); this module writes the files and
re-exports their public names, so ``from core.eval.report import ...`` keeps working.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.config_io import write_text_atomic
from core.eval.report_common import (
    ExperimentInfo,
    AblationSetting,
    ReportInputs,
    ablation_methods,
    ablation_settings,
    aggregate,
    build_aggregates,
    headline_mode,
    md_table,
    mode_title,
    summary_json,
)
from core.eval.report_figures import (
    GAIN_MODE,
    figure_ablation,
    figure_confusions,
    figure_curves,
    figure_gains,
    gain_matrices,
    gain_matrix,
)
from core.eval.report_paper import (
    NO_COUNTERPART,
    NOT_REPORTED,
    NOT_TRANSCRIBED,
    PAPER_FILE,
    load_paper_results,
    paper_cell,
)
from core.eval.report_tables import (
    ablation_table,
    cross_table,
    findings,
    micro_tables,
    recognition_table,
    report_supervisions,
    supervision_legend,
    write_csvs,
)

TABLE_TITLES = {
    "II": "Table II-like: 3D static facial expression recognition",
    "III": "Table III-like: 4D (dynamic) facial expression recognition",
    "IV": "Table IV-like: cross-data-set recognition",
    "V": "Table V-like: micro-expressions, per-class F1 and accuracy per view",
}

__all__ = [
    "GAIN_MODE",
    "NOT_REPORTED",
    "NOT_TRANSCRIBED",
    "NO_COUNTERPART",
    "PAPER_FILE",
    "TABLE_TITLES",
    "AblationSetting",
    "ExperimentInfo",
    "ReportInputs",
    "ablation_methods",
    "ablation_settings",
    "aggregate",
    "build_aggregates",
    "figure_ablation",
    "figure_confusions",
    "figure_curves",
    "figure_gains",
    "gain_matrices",
    "gain_matrix",
    "headline_mode",
    "load_paper_results",
    "md_table",
    "mode_title",
    "paper_cell",
    "write_csvs",
    "write_report",
]


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
                        **summary_json(aggs.get(exp, {}).get(m, {})),
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
        "gain_heatmap": {
            "mode": GAIN_MODE,
            "settings": [{"setting": st.title, "experiment": st.experiment, "cross": st.cross,
                          "configurations": names, "gains_points": gains.tolist()}
                         for st, names, gains in gain_matrices(inputs, aggs)],
        },
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
        "training saw:",
        "",
        *supervision_legend(report_supervisions(inputs)),
        "",
        "**The paper's figures are results on the real data sets** (BU-3DFE, Bosphorus, BU-4DFE, BP4D-Spontaneous, "
        "4DME) and are **not comparable one to one** with ours, which come from the synthetic sets unless a column "
        f"says *user data*. They are transcribed in resources/{PAPER_FILE}: beside each of our tables the paper's row "
        "for the same method (SMILE-VLM; MiFaR for mv-BT only; the best supervised method it reports for "
        "cross-entropy), below it every method the paper compares. "
        f"“{NO_COUNTERPART}” means the paper has no such row, “{NOT_REPORTED}” that it gives no figure there, and "
        f"“{NOT_TRANSCRIBED}” or “figure only” that the figure exists only as a plot (Fig. 2).",
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
        t = recognition_table(inputs, aggs, table)
        if t:
            lines += [f"## {TABLE_TITLES[table]}", "", "Top-1 accuracy (%).", "", t, ""]
    t = cross_table(inputs, aggs)
    if t:
        lines += [f"## {TABLE_TITLES['IV']}", "",
                  "Accuracy (%) on each target task: the share of its sequences predicted as the task's emotion among "
                  "the source classes, and over the tasks together (the paper's Table IV (b) is one figure for the "
                  "tasks together). Spread over the source experiment's fold models.", "", t, ""]
    t = micro_tables(inputs, aggs)
    if t:
        lines += [f"## {TABLE_TITLES['V']}", "",
                  "Per-class F1 and accuracy (the class's recall) in %, one row per single view (z'_i) and the fused "
                  "one (z^mv), for the experiment's first multi-view method; the other methods' per-view numbers are "
                  "in results.csv.", "",
                  t, ""]
    settings = ", ".join(st.title for st in ablation_settings(inputs))
    t = ablation_table(inputs, aggs)
    if t:
        lines += [f"## Loss ablations ({settings}; the paper's Fig. 2)", "",
                  "One table per setting; a cross-data-set setting scores the source experiment's fold models on the "
                  "whole target set.", "", t, ""]
    found = findings(inputs, aggs)
    if found:
        lines += ["## What the numbers say", "",
                  f"Per setting ({settings}); a difference within one fold standard deviation is "
                  "called a tie. Each side names its training supervision: a comparison of *category prompts* with "
                  "*none* measures what label-derived language adds, not language alone.", ""]
        lines += [f"- {f}" for f in found] + [""]
    lines += ["## Figures", ""]
    captions = {
        "ablation": "Loss ablations per setting (the paper's Fig. 2)",
        "gain_heatmap": f"Pairwise {mode_title(GAIN_MODE)} accuracy gains between configurations, one heatmap per "
                        f"setting (the paper's Fig. 3); {mode_title(GAIN_MODE)} accuracy only, configurations without "
                        "that evaluation are left out",
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
