"""The fixed PCA + logistic-regression baseline as a benchmark method (method kind "pca_lr").

It is the synthetic sets' difficulty-calibration baseline (core.synth.baseline, benchmarks/synth_baseline.py) run on
the benchmark's own subject-independent folds:

1. Template: the mean face of the face model the synthetic set was made with (the preset's synth.face_model; ICT:
   cut to the set's field of view, core.synth.face_models.baseline_template). A user's data set (--data) has no
   face model of its own: it gets the ICT mean face cut to the field of view of the synthetic set of the same name,
   and the report says so beside its figures.
2. Features, once per data set: each scan similarity-ICP-aligned to the template and resampled onto its vertices;
   a 4D sequence gives its largest displacement from the first frame. Cached under FEATURES/<data set>-<template
   key>-<rows fingerprint>.npy (core.eval.data.rows_fingerprint of the rows whose features it holds; the template
   key covers the template's vertices and the baseline's settings). A cross-data-set test's rows are registered to
   the source experiment's template, so the source's classifier can read them.
3. Per fold: PCA (100 components at most) fitted on the fold's training rows only, one global scale, multinomial
   logistic regression; its predictions are scored like the ce classifier's (evaluation mode "classifier") and
   stored as RUNS/<experiment>/pca_lr/fold_NN.json under a key of everything that defines them, so a later run
   reuses them.

When the face model's files are missing (or a scan cannot be registered) the method is not run on that experiment
and the report's notes say why; the rest of the benchmark goes on.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.eval.config import MethodSpec, Preset, SynthSettings
from core.eval.folds import FoldPlan
from core.synth.baseline import BaselineConfig

KIND = "pca_lr"
#: The baseline's settings: those of the difficulty calibration (every frame of a sequence is registered).
SETTINGS = BaselineConfig()
#: Below this many scans to register, features are computed in this process (starting processes costs seconds).
PARALLEL_MIN_ROWS = 64
#: What the report says beside figures of a user's data set.
USER_TEMPLATE_NOTE = "template: the ICT mean face"


@dataclass(frozen=True)
class Template:
    """The registration template: (V, 3) points, a key (its vertices and the baseline settings), what it is."""

    points: np.ndarray = field(repr=False)
    key: str
    description: str


def _template_key(points: np.ndarray, cfg: BaselineConfig) -> str:
    h = hashlib.sha256(np.ascontiguousarray(points, dtype=np.float64).tobytes())
    h.update(repr(sorted(asdict(cfg).items())).encode("utf-8"))
    return h.hexdigest()[:12]


def load_template(dataset: str, synth: SynthSettings | None, models: dict | None = None) -> Template:
    """The template for ``dataset``'s scans: the mean face of ``synth.face_model`` cut to the synthetic set's field
    of view, or for a user's data set (``synth`` None) the ICT mean face cut to the synthetic ``dataset``'s field of
    view. ``models``: face models already loaded (name -> model), filled in. ModelFileError (a ValueError naming the
    file) when the face model's files are missing or corrupt."""
    from core.eval.data import synth_config
    from core.synth.face_models import baseline_template, load_face_model

    name = synth.face_model if synth is not None else "ict"
    models = {} if models is None else models
    if name not in models:
        models[name] = load_face_model(name)
    config = synth_config(dataset, synth.settings if synth is not None else {}, name)
    points = np.asarray(baseline_template(models[name], dataset, config), dtype=np.float64)
    what = "SFM mean face" if name == "sfm" else f"ICT mean face cut to the synthetic {dataset} field of view"
    if synth is None:
        what = f"{USER_TEMPLATE_NOTE} (cut to the synthetic {dataset} field of view; the data are the user's)"
    else:
        what = f"template: the {what} (the face model the synthetic set was made with)"
    return Template(points, _template_key(points, SETTINGS), what)


# ------------------------------------------------------------------------------------------------ features
def _chunk_features(task: tuple[np.ndarray, BaselineConfig, list]) -> np.ndarray:
    from core.synth.baseline import extract_features

    template, cfg, rows = task
    return extract_features(rows, template, cfg)


def _extract(rows: Sequence, template: Template, workers: int, progress: bool, label: str) -> np.ndarray:
    """(n, V * 3) features of ``rows``, on ``workers`` spawned processes when there are enough rows."""
    from tqdm import tqdm

    from core.eval.parallel import PoolStartError, imap_processes
    from core.synth.baseline import extract_features

    rows = list(rows)
    bar = tqdm(total=len(rows), unit="scan", desc=f"pca_lr features {label}", disable=not progress,
               dynamic_ncols=True)
    try:
        if workers > 1 and len(rows) >= PARALLEL_MIN_ROWS:
            size = max(4, min(32, len(rows) // (workers * 4) or 1))
            starts = list(range(0, len(rows), size))
            tasks = [(i, (template.points, SETTINGS, rows[i : i + size])) for i in starts]
            parts: dict[int, np.ndarray] = {}
            try:
                for i, feats in imap_processes(_indexed_chunk, tasks, workers):
                    parts[i] = feats
                    bar.update(len(feats))
                return np.concatenate([parts[i] for i in starts])
            except PoolStartError as exc:
                print(f"warning: {exc}; registering the scans in this process instead", file=sys.stderr)
                bar.reset()
        return extract_features(rows, template.points, SETTINGS, on_progress=bar.update)
    finally:
        bar.close()


def _indexed_chunk(item: tuple[int, tuple]) -> tuple[int, np.ndarray]:
    return item[0], _chunk_features(item[1])


def cached_features(rows: Sequence, dataset: str, template: Template, folder: Path, workers: int = 1,
                    progress: bool = False) -> np.ndarray:
    """Features of ``rows`` (see the module docstring), read from ``folder`` when computed before."""
    from core.eval.data import rows_fingerprint

    folder = Path(folder)
    path = folder / f"{dataset}-{template.key}-{rows_fingerprint(rows)}.npy"
    if path.is_file():
        try:
            feats = np.load(path, allow_pickle=False)
            if feats.ndim == 2 and feats.shape[0] == len(rows):
                return feats
        except (OSError, ValueError):
            pass
    feats = _extract(rows, template, workers, progress, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.stem}.{os.getpid()}.tmp.npy"
    np.save(tmp, feats, allow_pickle=False)
    os.replace(tmp, path)
    return feats


# ------------------------------------------------------------------------------------------------ folds
@dataclass(frozen=True)
class BaselineRun:
    """One experiment's pca_lr method: its rows (as kept for the other methods; fold indices refer to them), classes,
    fold plan, and the cross-data-set test (title, data set, rows, codes reported) or None."""

    experiment: str
    title: str
    spec: dict
    dataset: str
    rows: list
    class_names: tuple[str, ...]
    plan: FoldPlan
    method: MethodSpec
    synth: SynthSettings | None
    cross: tuple[str, str, list, tuple[str, ...]] | None = None


@dataclass
class BaselineOutcome:
    """What run_baselines did: experiment -> method -> fold results, notes for the report, experiment -> method ->
    a note shown beside that method's figures."""

    results: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    method_notes: dict[str, dict[str, str]] = field(default_factory=dict)
    trained: int = 0
    reused: int = 0


def _fold_result(run: BaselineRun, fold: int, key: str, x: np.ndarray, xc: np.ndarray | None,
                 template: Template, preset: str) -> dict:
    from core.eval.metrics import classification_metrics
    from core.synth.baseline import make_classifier

    t0 = time.perf_counter()
    train = run.plan.train_indices(fold)
    test = run.plan.test_indices(fold)
    y = np.asarray([r.label for r in run.rows], dtype=object)
    model = make_classifier(SETTINGS, len(train), x.shape[1])
    model.fit(x[train], y[train].astype(str))
    seconds_train = time.perf_counter() - t0
    pred = [str(p) for p in model.predict(x[test])]
    y_test = [str(v) for v in y[test]]
    metrics = {"classifier": classification_metrics(y_test, pred, run.class_names).to_dict()}
    cross = None
    if run.cross is not None and xc is not None:
        title, dataset, rows, _ = run.cross
        cross = {"title": title, "dataset": dataset, "labels": [r.label for r in rows],
                 "codes": [r.code for r in rows], "predictions": {"classifier": [str(p) for p in model.predict(xc)]}}
    subjects = [r.subject for r in run.rows]
    return {
        "key": key,
        "preset": preset,
        "experiment": run.experiment,
        "method": run.method.name,
        "fold": fold,
        "seed": SETTINGS.seed,
        "views": [],
        "template": template.description,
        "pca_components": int(model.steps[0][1].n_components_),
        "train_subjects": sorted({subjects[i] for i in train}),
        "test_subjects": sorted({subjects[i] for i in test}),
        "test_index": [int(i) for i in test],
        "y_true": y_test,
        "predictions": {"classifier": pred},
        "metrics": metrics,
        "cross": cross,
        "view_weights": [],
        "history": [],
        "train_seconds": seconds_train,
        "samples_per_s": len(train) / seconds_train if seconds_train > 0 else 0.0,
        "seconds": time.perf_counter() - t0,
    }


def run_baselines(preset_name: str, runs: Sequence[BaselineRun], features_dir: Path, runs_dir: Path,
                  workers: int = 1, progress: bool = False) -> BaselineOutcome:
    """Every fold of every pca_lr method of ``runs`` (see the module docstring): fold results reused from
    ``runs_dir`` when their key matches; features computed once per data set and template (the union of the rows
    the experiments need), cached in ``features_dir``; an experiment whose template or features cannot be had gets
    a note instead of results."""
    import json

    from core.config_io import write_json_atomic
    from core.eval.data import rows_fingerprint
    from core.eval.runner import job_key, read_result

    out = BaselineOutcome()
    models: dict[str, Any] = {}
    templates: dict[str, Template] = {}
    todo: list[tuple[BaselineRun, Template, list[str], dict[int, dict]]] = []
    for run in runs:  # templates and stored folds
        name = run.method.name
        out.results.setdefault(run.experiment, {})[name] = []
        try:
            ident = json.dumps([run.dataset, None if run.synth is None else [run.synth.face_model,
                                                                            run.synth.settings]], sort_keys=True)
            if ident not in templates:
                templates[ident] = load_template(run.dataset, run.synth, models)
            template = templates[ident]
        except (ValueError, OSError) as exc:
            out.notes.append(f"{run.method.title} was not run on {run.title}: no registration template ({exc})")
            continue
        if run.synth is None:
            out.method_notes.setdefault(run.experiment, {})[name] = USER_TEMPLATE_NOTE
            out.notes.append(f"{run.method.title} on {run.title}: the {template.description}.")
        cross_fp = rows_fingerprint(run.cross[2]) if run.cross is not None else None
        keys, stored = [], {}
        for fold in range(run.plan.k):
            payload = {"preset": preset_name, "experiment": run.spec, "method": [run.method.name, run.method.kind],
                       "baseline": asdict(SETTINGS), "template": template.key, "data": rows_fingerprint(run.rows),
                       "cross": cross_fp, "classes": list(run.class_names), "folds": run.plan.to_dict(), "fold": fold}
            keys.append(job_key(payload))
            done = read_result(runs_dir / run.experiment / name / f"fold_{fold:02d}.json", keys[-1])
            if done is not None:
                stored[fold] = done
        todo.append((run, template, keys, stored))

    # the rows whose features are needed, per (data set, template): each scan is registered once
    needed: dict[tuple[str, str], dict[str, Any]] = {}
    for run, template, _, stored in todo:
        if len(stored) < run.plan.k:
            parts = [(run.dataset, run.rows)] + ([(run.cross[1], run.cross[2])] if run.cross is not None else [])
            for dataset, rows in parts:
                group = needed.setdefault((dataset, template.key), {})
                for r in rows:
                    group.setdefault(str(r.path), r)
    features: dict[tuple[str, str], tuple[dict[str, int], np.ndarray] | Exception] = {}
    by_key = {t.key: t for t in templates.values()}
    for (dataset, tkey), group in needed.items():
        rows = sorted(group.values(), key=lambda r: str(r.path))
        try:
            x = cached_features(rows, dataset, by_key[tkey], features_dir, workers, progress)
            features[(dataset, tkey)] = ({str(r.path): i for i, r in enumerate(rows)}, x)
        except (ValueError, OSError) as exc:
            features[(dataset, tkey)] = exc

    def select(dataset: str, tkey: str, rows: Sequence) -> np.ndarray:
        got = features[(dataset, tkey)]
        if isinstance(got, Exception):
            raise got
        index, x = got
        return x[[index[str(r.path)] for r in rows]]

    for run, template, keys, stored in todo:
        name = run.method.name
        x = xc = None
        if len(stored) < run.plan.k:
            try:
                x = select(run.dataset, template.key, run.rows)
                xc = select(run.cross[1], template.key, run.cross[2]) if run.cross is not None else None
            except (ValueError, OSError) as exc:
                out.notes.append(f"{run.method.title} was not run on {run.title}: a scan could not be registered "
                                 f"to the template ({exc})")
                continue
        for fold in range(run.plan.k):
            if fold in stored:
                result = stored[fold]
                out.reused += 1
            else:
                result = _fold_result(run, fold, keys[fold], x, xc, template, preset_name)
                write_json_atomic(runs_dir / run.experiment / name / f"fold_{fold:02d}.json", result, indent=1)
                out.trained += 1
            out.results[run.experiment][name].append(result)
    return out


def baseline_runs(preset: Preset, rows: Mapping[str, tuple[list, list | None]], classes: Mapping[str, tuple],
                  plans: Mapping[str, FoldPlan], sources: Mapping[str, Any]) -> list[BaselineRun]:
    """The pca_lr methods of ``preset``'s experiments: ``rows`` maps an experiment to its kept rows and its kept
    cross-data-set rows (None without a cross test); ``sources`` its data sets' DataSource (kind "user" or
    "synthetic")."""
    out = []
    for run in preset.experiments:
        spec = run.spec
        for m in run.methods:
            method = preset.methods[m]
            if method.kind != KIND:
                continue
            kept, target = rows[spec.name]
            cross = None
            if spec.cross is not None and target is not None:
                cross = (spec.cross.title, spec.cross.dataset, list(target), spec.cross.codes)
            synth = None if sources[spec.dataset].kind == "user" else preset.synth[spec.dataset]
            out.append(BaselineRun(spec.name, spec.title, spec.to_dict(), spec.dataset, list(kept),
                                   tuple(classes[spec.name]), plans[spec.name], method, synth, cross))
    return out
