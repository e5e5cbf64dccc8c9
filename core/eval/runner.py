"""Benchmark jobs: one (experiment, method, fold) each — train the fold model, embed, score, persist.

A job trains its method on the fold's training subjects, embeds every sample it needs in one pass (training part
for the probes, test part, and the cross-data-set test set), scores each evaluation mode:
    zero_shot      argmax_c cos(z^mv, m_c) over the experiment's classes (core.eval.zero_shot)
    linear_probe   logistic regression on the training part's z^mv (core.eval.probes)
    knn            k nearest neighbours on the training part's z^mv
    classifier     the ce model's own head
    MODE@VIEW      zero_shot and linear_probe on one view's z'_i (per-view experiments)
and writes its result atomically to RESULTS/<experiment>/<method>/fold_NN.json with the job's key (a hash of the
preset, experiment, method, training settings, render settings, data, fold assignment and fold). A later run with
the same key reuses the file instead of training again, so an interrupted benchmark resumes where it stopped.
Jobs run in this process, or in worker processes (spawned, one torch thread pool each) on the CPU.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.config_io import write_json_atomic
from core.eval.config import MethodSpec, TrainSettings
from core.eval.metrics import classification_metrics
from core.model.config import ModelConfig

#: Bumped when the result format or the scoring changes (invalidates stored fold results).
RESULT_VERSION = 1


@dataclass(frozen=True)
class CrossData:
    """A cross-data-set test set: views file (n, V, S, S, 3), labels, codes, and the codes reported."""

    title: str
    dataset: str
    views_path: Path
    labels: tuple[str, ...]
    codes: tuple[str, ...]
    report_codes: tuple[str, ...]
    fingerprint: str


@dataclass(frozen=True)
class ExperimentData:
    """Everything a job needs about an experiment's data (views stay on disk, memory-mapped by the jobs).

    class_names: the classes scored, in prompt-set order; prompts: label -> prompt strings of those classes;
    view_names: a name per view (left / front / right by yaw); frontal: the index of the view nearest yaw 0.
    """

    name: str
    views_path: Path
    labels: tuple[str, ...]
    subjects: tuple[str, ...]
    class_names: tuple[str, ...]
    prompts: dict[str, tuple[str, ...]]
    view_names: tuple[str, ...]
    frontal: int
    fingerprint: str
    per_view: bool = False
    cross: CrossData | None = None


@dataclass(frozen=True)
class Job:
    """One fold of one method of one experiment (see the module docstring)."""

    key: str
    preset: str
    method: MethodSpec
    fold: int
    train_index: tuple[int, ...]
    test_index: tuple[int, ...]
    data: ExperimentData
    settings: TrainSettings
    model_config: ModelConfig
    seed: int
    result_path: Path
    text_features: dict = field(default_factory=dict, repr=False)
    text_dim: int = 384
    device: str = "cpu"
    init_state: dict | None = field(default=None, repr=False)

    @property
    def experiment(self) -> str:
        return self.data.name


def job_key(payload: Mapping[str, Any]) -> str:
    """Hash (20 hex digits) of a job's defining settings, with RESULT_VERSION."""
    text = json.dumps({**payload, "result_version": RESULT_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def read_result(path: Path, key: str) -> dict | None:
    """The stored result at ``path`` when it is complete and has ``key``; None otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        return None
    if not isinstance(data, dict) or data.get("key") != key or "metrics" not in data:
        return None
    return data


# ------------------------------------------------------------------------------------------------ views per process
_VIEWS: dict[str, np.ndarray] = {}


def _views(path: Path) -> np.ndarray:
    """The (n, V, S, S, 3) views file, loaded once per process."""
    key = str(path)
    if key not in _VIEWS:
        _VIEWS[key] = np.load(path, mmap_mode="r", allow_pickle=False)
    return _VIEWS[key]


def _to_tensor(views: np.ndarray, index: Sequence[int], view_index: Sequence[int]):
    """uint8 (len(index), len(view_index), 3, S, S) tensor of the chosen samples and views."""
    import torch

    arr = np.asarray(views[np.asarray(index, dtype=np.int64)][:, list(view_index)])
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(0, 1, 4, 2, 3)))


def method_views(method: MethodSpec, data: ExperimentData) -> list[int]:
    """The view indices a method trains and tests on."""
    return [data.frontal] if method.views == "frontal" else list(range(len(data.view_names)))


# ------------------------------------------------------------------------------------------------ scoring
def score_modes(
    method: MethodSpec,
    settings: TrainSettings,
    class_names: Sequence[str],
    train_fused: np.ndarray,
    train_views: np.ndarray,
    y_train: Sequence[str],
    eval_fused: np.ndarray,
    eval_views: np.ndarray,
    class_emb: Any | None,
    logits: np.ndarray | None,
    view_names: Sequence[str] | None,
) -> dict[str, list[str]]:
    """Predicted labels of the evaluation samples for every mode of ``method`` (see the module docstring).

    *_fused: (n, D) z^mv; *_views: (n, V, D) z'_i; class_emb: (C, D) tensor for zero-shot; logits: (m, C) of a ce
    head; view_names: score each single view too (None: fused only).
    """
    import torch

    from core.eval.probes import knn_classify, linear_probe
    from core.eval.zero_shot import zero_shot_similarities

    names = np.asarray(list(class_names), dtype=object)
    out: dict[str, list[str]] = {}

    def zero_shot(z: np.ndarray) -> list[str]:
        sims = zero_shot_similarities(torch.from_numpy(np.asarray(z, dtype=np.float32)), class_emb.cpu())
        return names[sims.argmax(dim=1).numpy()].tolist()

    targets: list[tuple[str, np.ndarray, np.ndarray]] = [("", train_fused, eval_fused)]
    if view_names:
        targets += [(f"@{v}", train_views[:, i], eval_views[:, i]) for i, v in enumerate(view_names)]
    for suffix, tr, ev in targets:
        for mode in method.evals:
            if mode == "zero_shot":
                out[f"zero_shot{suffix}"] = zero_shot(ev)
            elif mode == "linear_probe":
                out[f"linear_probe{suffix}"] = [str(y) for y in linear_probe(tr, y_train, ev, c=settings.probe_c)]
            elif mode == "knn" and not suffix:
                out["knn"] = [str(y) for y in knn_classify(tr, y_train, ev, k=settings.knn_k)]
            elif mode == "classifier" and not suffix:
                if logits is None:
                    raise ValueError(f"method {method.name!r}: no classifier logits to score")
                out["classifier"] = names[np.asarray(logits).argmax(axis=1)].tolist()
    return out


def run_job(job: Job, on_epoch: Callable[[int, dict], None] | None = None) -> dict:
    """Train, embed, score and persist one job (see the module docstring); returns the stored result."""
    import torch

    from core.eval.training import embed, train_fold_model
    from core.eval.zero_shot import prompt_class_embeddings

    t0 = time.perf_counter()
    data, method = job.data, job.method
    views = _views(data.views_path)
    view_index = method_views(method, data)
    class_index = {c: i for i, c in enumerate(data.class_names)}
    train_idx = list(job.train_index)
    test_idx = list(job.test_index)
    y_all = list(data.labels)
    y_train = [y_all[i] for i in train_idx]
    labels = torch.tensor([class_index[y] for y in y_train], dtype=torch.long)
    trained = train_fold_model(
        method,
        job.settings,
        job.model_config,
        _to_tensor(views, train_idx, view_index),
        labels,
        data.class_names,
        seed=job.seed,
        prompts=data.prompts,
        text_features=job.text_features,
        text_dim=job.text_dim,
        device=job.device,
        init_state=job.init_state,
        on_epoch=on_epoch,
    )
    batch = job.settings.eval_batch
    emb_train = embed(trained.model, _to_tensor(views, train_idx, view_index), batch, trained.classifier)
    emb_test = embed(trained.model, _to_tensor(views, test_idx, view_index), batch, trained.classifier)
    cross_emb = None
    if data.cross is not None:
        cviews = _views(data.cross.views_path)
        cross_emb = embed(trained.model, _to_tensor(cviews, range(cviews.shape[0]), view_index), batch,
                          trained.classifier)
    class_emb = None
    if "zero_shot" in method.evals:
        texts = sorted({p for c in data.class_names for p in data.prompts[c]})
        feats = torch.stack([job.text_features[t].float() for t in texts])
        classes = {c: data.prompts[c] for c in data.class_names}
        class_emb = prompt_class_embeddings(trained.model, feats, texts, classes).cpu()
    per_view = [data.view_names[i] for i in view_index] if data.per_view and len(view_index) > 1 else None

    def score(emb) -> dict[str, list[str]]:
        return score_modes(method, job.settings, data.class_names, emb_train.z_fused, emb_train.z_views, y_train,
                           emb.z_fused, emb.z_views, class_emb, emb.logits, per_view)

    predictions = score(emb_test)
    y_test = [y_all[i] for i in test_idx]
    metrics = {mode: classification_metrics(y_test, pred, data.class_names).to_dict()
               for mode, pred in predictions.items()}
    cross = None
    if data.cross is not None and cross_emb is not None:
        cross_pred = score(cross_emb)
        cross = {
            "title": data.cross.title,
            "dataset": data.cross.dataset,
            "labels": list(data.cross.labels),
            "codes": list(data.cross.codes),
            "predictions": cross_pred,
        }
    subjects = list(data.subjects)
    result = {
        "key": job.key,
        "preset": job.preset,
        "experiment": data.name,
        "method": method.name,
        "fold": job.fold,
        "seed": job.seed,
        "views": [data.view_names[i] for i in view_index],
        "train_subjects": sorted({subjects[i] for i in train_idx}),
        "test_subjects": sorted({subjects[i] for i in test_idx}),
        "test_index": test_idx,
        "y_true": y_test,
        "predictions": predictions,
        "metrics": metrics,
        "cross": cross,
        "view_weights": emb_test.weights.mean(axis=0).tolist(),
        "history": trained.history,
        "train_seconds": trained.seconds,
        "samples_per_s": trained.samples_per_s,
        "seconds": time.perf_counter() - t0,
    }
    write_json_atomic(job.result_path, result, indent=1)
    return result


def _worker_init(threads: int) -> None:
    """Training process set-up: its torch thread count."""
    import torch

    torch.set_num_threads(max(1, threads))


def _run_indexed(item: tuple[int, Job]) -> tuple[int, dict]:
    return item[0], run_job(item[1])


def run_jobs(
    jobs: Sequence[Job],
    workers: int = 1,
    threads: int = 1,
    on_result: Callable[[Job, dict], None] | None = None,
) -> list[dict]:
    """Run ``jobs`` (in order in this process, or on ``workers`` spawned processes with ``threads`` torch threads
    each, core.eval.parallel); on_result(job, result) is called as each finishes. Returns the results in job order.
    A failing job stops the others and its exception is raised here; so does an interruption. When worker processes
    cannot start, the jobs run in this process instead (with a warning on stderr)."""
    import sys

    from core.eval.parallel import PoolStartError, imap_processes

    results: dict[int, dict] = {}

    def finish(i: int, result: dict) -> None:
        results[i] = result
        if on_result is not None:
            on_result(jobs[i], result)

    if workers > 1 and len(jobs) > 1:
        try:
            for i, result in imap_processes(_run_indexed, list(enumerate(jobs)), workers, _worker_init, (threads,)):
                finish(i, result)
            return [results[i] for i in range(len(jobs))]
        except PoolStartError as exc:
            print(f"warning: {exc}; training in this process instead", file=sys.stderr)
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        for i, job in enumerate(jobs):
            if i not in results:
                finish(i, run_job(job))
    finally:
        torch.set_num_threads(previous)
    return [results[i] for i in range(len(jobs))]
