"""``run_benchmark(BenchmarkConfig) -> BenchmarkSummary``: the whole evaluation protocol of one preset.

Phases (all under OUT):
  1. data       synthetic sets generated or reused under OUT/data (core.eval.data), or the user's (--data);
                manifest rows per experiment (protocols applied)
  2. checks     before anything is trained: enough subjects for the folds, every class in the prompt set, the
                cross-data-set classes among the source's, an --init checkpoint that fits the model
  3. render     missing views rendered into OUT/cache (core.render.RenderCache), then stacked per experiment into
                OUT/work/*.npy; folds drawn (OUT/folds/<experiment>.json)
  4. train      one job per (experiment, method, fold) (core.eval.runner), skipped when OUT/runs holds its result
  5. report     OUT/report.md, results.json, results.csv, summary.csv, figures/ (core.eval.report)

The run's settings, OUT sub-folders and worker/view decisions live in core.eval.benchmark_config (re-exported here),
the phase-2 checks in core.eval.benchmark_checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from core.config_io import write_json_atomic
from core.eval.benchmark_checks import PreparedExperiment, check_init, prepare_experiment
from core.eval.benchmark_config import (  # noqa: F401  (re-exported: imported from here by the CLI and tests)
    SUBDIRS,
    BenchmarkConfig,
    BenchmarkSummary,
    cpu_count,
    resolve_workers,
    view_names,
)
from core.eval.config import load_preset
from core.eval.leak import check_no_subject_leak
from core.eval.pretrained_init import source_state
from core.eval.data import (
    DataSource,
    load_views,
    render_rows,
    rows_fingerprint,
    synthetic_source,
    user_source,
)
from core.eval.folds import FoldPlan, subject_folds
from core.eval.runner import CrossData, ExperimentData, Job, job_key, read_result, run_jobs


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:16]


def _save_views(folder: Path, name: str, views: np.ndarray) -> Path:
    """Write the stacked views once (atomic), reuse when a file of that content key exists."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.npy"
    if path.is_file():
        try:
            old = np.load(path, mmap_mode="r", allow_pickle=False)
            if old.shape == views.shape and old.dtype == views.dtype:
                return path
        except (OSError, ValueError):
            pass
    tmp = folder / f".{name}.{os.getpid()}.tmp.npy"
    np.save(tmp, views, allow_pickle=False)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While running in the main thread, SIGTERM stops the benchmark like Ctrl-C (training processes terminated,
    finished folds kept)."""
    previous = None
    if threading.current_thread() is threading.main_thread():

        def handler(signum, frame):  # noqa: ARG001
            raise KeyboardInterrupt

        try:
            previous = signal.signal(signal.SIGTERM, handler)
        except (ValueError, OSError):
            previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_benchmark(config: BenchmarkConfig) -> BenchmarkSummary:
    """Run the preset's protocol into config.out (see the module docstring); resumable: finished folds are kept and
    reused, an interruption (Ctrl-C, SIGTERM) loses only the folds in progress."""
    with _sigterm_as_interrupt():
        return _run(config)


def _run(config: BenchmarkConfig) -> BenchmarkSummary:
    import importlib

    from tqdm import tqdm

    # torch._dynamo must be imported before any offscreen rendering in a process that trains afterwards
    # (see core.train.step.preload_torch_dynamo)
    importlib.import_module("torch._dynamo")

    from core.eval.report import ExperimentInfo, ReportInputs, load_paper_results, write_report
    from core.render import RenderCache, RenderConfig
    from core.train.distributed import resolve_device

    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    preset = load_preset(config.preset, config.presets_file)
    if config.only:
        preset = preset.only(list(config.only))
    device = resolve_device(config.device)
    workers, threads = resolve_workers(config.workers if config.workers is not None else preset.workers, device.type)
    threads = config.threads or threads
    out = config.out
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder; choose another --out")
    unknown = sorted(set(config.data) - set(preset.datasets()))
    notes: list[str] = []
    if unknown:
        notes.append(f"--data given for {', '.join(unknown)}, which no experiment of this preset uses")
    try:
        render_config = RenderConfig.default().replace(**preset.render)
        render_config = render_config.replace(
            canonical=render_config.canonical.replace(orientation=config.orientation, crop=config.crop))
    except ValueError as exc:
        raise ValueError(f"preset {preset.name!r}: bad render settings: {exc}") from None
    names, frontal = view_names(render_config.yaws)
    # the model sees the rendered views: n_views and image_size come from the render settings
    runs = []
    for run in preset.experiments:
        model = replace(run.train.model, n_views=render_config.n_views, image_size=render_config.size)
        runs.append(replace(run, train=replace(run.train, model=model)))
    preset = replace(preset, experiments=tuple(runs))

    # -------------------------------------------------------------- checks that need no data
    from core.text import build_text_encoder

    specs = sorted({run.train.model.text_encoder for run in preset.experiments})
    if len(specs) > 1:
        raise ValueError(f"preset {preset.name!r}: its experiments use different text encoders ({', '.join(specs)}); "
                         "use one")
    for ds in preset.datasets():
        if ds not in config.data and ds not in preset.synth:
            raise ValueError(f"preset {preset.name!r} has no synthetic settings for {ds}; give --data {ds}=PATH")
    sources: dict[str, DataSource] = {ds: user_source(ds, config.data[ds])
                                      for ds in preset.datasets() if ds in config.data}
    encoder = build_text_encoder(specs[0], device=device)
    text_dim = int(encoder.dim)
    init_state = None
    init_hash = None
    init_subjects = None
    if config.init is not None:
        for run in preset.experiments:
            init_state, init_subjects = check_init(config.init, run.train.model, text_dim)
        init_hash = _file_hash(config.init)

    # -------------------------------------------------------------- data and its checks (before any training)
    prepared: dict[str, PreparedExperiment] = {}
    for run in preset.experiments:  # the user's data first: its problems show before anything is generated
        needed = [run.spec.dataset] + ([run.spec.cross.dataset] if run.spec.cross else [])
        if all(ds in sources for ds in needed):
            prepared[run.spec.name] = prepare_experiment(preset, run, sources)
    t0 = time.perf_counter()
    for ds in preset.datasets():
        if ds not in sources:
            sources[ds] = synthetic_source(ds, preset.synth[ds], preset.synth_seed, out / SUBDIRS["data"],
                                           workers=workers, progress=config.progress)
    timings["data"] = time.perf_counter() - t0
    for run in preset.experiments:
        if run.spec.name not in prepared:
            prepared[run.spec.name] = prepare_experiment(preset, run, sources)
    rows_of = {name: p.rows for name, p in prepared.items()}
    classes_of = {name: p.classes for name, p in prepared.items()}
    prompts_of = {name: p.prompts for name, p in prepared.items()}
    cross_rows = {name: p.cross_rows for name, p in prepared.items() if p.cross_rows is not None}
    if config.init is not None:
        check_no_subject_leak(config.init, init_subjects,
                              [r for rows in list(rows_of.values()) + list(cross_rows.values()) for r in rows])
    all_prompts = sorted({p for d in prompts_of.values() for ps in d.values() for p in ps})
    features = encoder.encode(all_prompts) if all_prompts else None
    text_features = {t: features[i].clone() for i, t in enumerate(all_prompts)} if features is not None else {}

    # -------------------------------------------------------------- render
    t0 = time.perf_counter()
    cache = RenderCache(out / SUBDIRS["cache"], render_config)
    unique: dict[str, Any] = {}
    for rows in list(rows_of.values()) + list(cross_rows.values()):
        for r in rows:
            unique.setdefault(str(r.path), r)
    _, failed = render_rows(list(unique.values()), cache, workers=workers, progress=config.progress)
    if failed:
        notes.append(f"{len(failed)} row(s) could not be rendered and were left out, e.g. {failed[0][0]}: "
                     f"{failed[0][1]}")
    timings["render"] = time.perf_counter() - t0

    work = out / SUBDIRS["work"] / render_config.key()
    data_of: dict[str, ExperimentData] = {}
    kept_rows: dict[str, tuple[list, list | None]] = {}  # the rendered rows (and cross rows), for pca_lr
    plans: dict[str, FoldPlan] = {}
    infos: dict[str, ExperimentInfo] = {}
    for run in preset.experiments:
        spec = run.spec
        rows = rows_of[spec.name]
        views, kept, missing = load_views(rows, cache)
        rows = [rows[i] for i in kept]
        where = f"{spec.title} ({sources[spec.dataset].describe()})"
        if not rows:
            raise ValueError(f"{where}: no row could be rendered")
        fingerprint = rows_fingerprint(rows)
        plan = subject_folds([r.subject for r in rows], [r.label for r in rows], run.folds,
                             seed=run.train.seed, source=where)
        plans[spec.name] = plan
        write_json_atomic(out / SUBDIRS["folds"] / f"{spec.name}.json",
                          {**plan.to_dict(), "experiment": spec.name, "data_fingerprint": fingerprint})
        cross = None
        if spec.cross is not None:
            target = cross_rows[spec.name]
            cviews, ckept, _ = load_views(target, cache)
            target = [target[i] for i in ckept]
            if not target:
                raise ValueError(f"{spec.cross.title}: no target row could be rendered")
            cfp = rows_fingerprint(target)
            cross = CrossData(spec.cross.title, spec.cross.dataset,
                              _save_views(work, f"{spec.cross.dataset}-{cfp}", cviews),
                              tuple(r.label for r in target), tuple(r.code for r in target), spec.cross.codes, cfp)
        kept_rows[spec.name] = (rows, target if spec.cross is not None else None)
        data_of[spec.name] = ExperimentData(
            name=spec.name,
            views_path=_save_views(work, f"{spec.dataset}-{fingerprint}", views),
            labels=tuple(r.label for r in rows),
            subjects=tuple(r.subject for r in rows),
            class_names=classes_of[spec.name],
            prompts=prompts_of[spec.name],
            view_names=names,
            frontal=frontal,
            fingerprint=fingerprint,
            per_view=spec.per_view,
            cross=cross,
        )
        infos[spec.name] = ExperimentInfo(
            name=spec.name,
            title=spec.title,
            table=spec.table,
            source=sources[spec.dataset].describe(),
            n_samples=len(rows),
            n_subjects=len({r.subject for r in rows}),
            class_names=classes_of[spec.name],
            view_names=names,
            folds=plan.to_dict(),
            methods=run.methods,
            dropped=len(missing),
            cross_title=spec.cross.title if spec.cross else "",
            cross_codes=spec.cross.codes if spec.cross else (),
            cross_source=sources[spec.cross.dataset].describe() if spec.cross else "",
            cross_code_labels={r.code: r.label for r in cross_rows.get(spec.name, [])},
        )

    # -------------------------------------------------------------- jobs
    from core.train.rng import derive_seed

    jobs: list[Job] = []
    stored: dict[str, dict[str, list[dict]]] = {
        run.spec.name: {m: [] for m in run.methods} for run in preset.experiments
    }
    for run in preset.experiments:
        data = data_of[run.spec.name]
        plan = plans[run.spec.name]
        source = run.spec.init_from
        if source and source not in data_of:
            raise ValueError(f"experiment {run.spec.name} is fine-tuned from {source}: run them together "
                             f"(--only {run.spec.name},{source})")
        for m in run.methods:
            method = preset.methods[m]
            if method.kind == "pca_lr":  # no training job: core.eval.pca_lr, below
                continue
            n_views = 1 if method.views == "frontal" else len(names)
            model_config = replace(run.train.model, n_views=n_views)
            job_init, source_id = init_state, None
            if source and method.kind in ("smile", "ce"):
                source_run = preset.experiment(source)
                job_init, source_id = source_state(
                    method, data_of[source], source_run.train, model_config, work,
                    seed=derive_seed(source_run.train.seed, source, "source") % (2**31),
                    text_features=text_features, text_dim=text_dim, device=str(device))
            for fold in range(plan.k):
                payload = {
                    "preset": preset.name,
                    "experiment": run.spec.to_dict(),
                    "method": method.to_dict(),
                    "train": run.train.to_dict(),
                    "model": model_config.to_dict(),
                    "render": render_config.to_dict(),
                    "data": data.fingerprint,
                    "cross": data.cross.fingerprint if data.cross else None,
                    "classes": list(data.class_names),
                    "prompts": {c: list(p) for c, p in data.prompts.items()},
                    "folds": plan.to_dict(),
                    "fold": fold,
                    "init": init_hash,
                }
                if source_id is not None:  # (absent otherwise: stored results of other experiments stay valid)
                    payload["init_from"] = source_id
                key = job_key(payload)
                path = out / SUBDIRS["runs"] / run.spec.name / m / f"fold_{fold:02d}.json"
                done = read_result(path, key)
                if done is not None:
                    stored[run.spec.name][m].append(done)
                    continue
                jobs.append(Job(
                    key=key,
                    preset=preset.name,
                    method=method,
                    fold=fold,
                    train_index=tuple(int(i) for i in plan.train_indices(fold)),
                    test_index=tuple(int(i) for i in plan.test_indices(fold)),
                    data=data,
                    settings=run.train,
                    model_config=model_config,
                    seed=derive_seed(run.train.seed, run.spec.name, fold) % (2**31),
                    result_path=path,
                    text_features=text_features if method.prompts != "none" and method.kind == "smile" else {},
                    text_dim=text_dim,
                    device=str(device),
                    init_state=job_init,
                ))
    reused = sum(len(v) for e in stored.values() for v in e.values())

    # -------------------------------------------------------------- the fixed PCA + LR baseline (core.eval.pca_lr)
    from core.eval.pca_lr import baseline_runs, run_baselines

    t0 = time.perf_counter()
    baseline = run_baselines(preset.name, baseline_runs(preset, kept_rows, classes_of, plans, sources),
                             out / SUBDIRS["work"] / "pca_lr", out / SUBDIRS["runs"], workers, config.progress)
    for exp, by_method in baseline.results.items():
        stored[exp].update(by_method)
    for exp, by_method in baseline.method_notes.items():
        infos[exp].method_notes.update(by_method)
    notes.extend(baseline.notes)
    timings["baseline"] = time.perf_counter() - t0
    total = reused + len(jobs)

    t0 = time.perf_counter()
    bar = tqdm(total=total, initial=reused, unit="fold", desc=f"benchmark {preset.name}", disable=not config.progress,
               dynamic_ncols=True)

    def on_result(job: Job, result: dict) -> None:
        stored[job.experiment][job.method.name].append(result)
        first = job.method.evals[0]
        acc = result["metrics"].get(first, {}).get("accuracy")
        bar.set_postfix_str(f"{job.experiment}/{job.method.name} fold {job.fold}: {first} {100 * (acc or 0):.1f}%",
                            refresh=False)
        bar.update(1)

    try:
        run_jobs(jobs, workers=workers, threads=threads, on_result=on_result)
    finally:
        bar.close()
    timings["train"] = time.perf_counter() - t0

    # -------------------------------------------------------------- report
    t0 = time.perf_counter()
    settings = {
        "preset": preset.name,
        "device": str(device),
        "workers": workers,
        "threads_per_worker": threads,
        "render": render_config.to_dict(),
        "synth_seed": preset.synth_seed,
        "synth": {k: {"subjects": v.subjects, "settings": v.settings} for k, v in preset.synth.items()},
        "experiments": {run.spec.name: {"folds": run.folds, "methods": list(run.methods), "train": run.train.to_dict()}
                        for run in preset.experiments},
        "init": str(config.init) if config.init else None,
        "data": {ds: s.describe() for ds, s in sources.items()},
    }
    timings_report = dict(timings)
    timings_report["total_before_report"] = time.perf_counter() - t_start
    inputs = ReportInputs(preset, infos, stored, settings, timings_report, load_paper_results(), notes)
    files = write_report(out, inputs)
    timings["report"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    return BenchmarkSummary(out, files["report"], total, len(jobs), reused, timings, files)
