import json

import numpy as np
import pytest
import torch

from core.eval.folds import subject_folds
from core.config_io import write_json_atomic
from core.eval.runner import Job, job_key, read_result, run_job, run_jobs, score_modes

from .eval_helpers import (
    CE,
    CLASSES,
    FRONTAL,
    MVBT,
    SETTINGS,
    SMILE,
    TEXT_DIM,
    TINY,
    experiment_data,
    prompts_and_features,
)


def _job(tmp_path, data, method, fold=0, key="k0"):
    plan = subject_folds(data.subjects, data.labels, 2, seed=0)
    _, feats = prompts_and_features()
    n_views = 1 if method.views == "frontal" else 3
    return Job(key=key, preset="test", method=method, fold=fold,
               train_index=tuple(plan.train_indices(fold).tolist()), test_index=tuple(plan.test_indices(fold).tolist()),
               data=data, settings=SETTINGS, model_config=TINY.__class__(**{**TINY.to_dict(), "n_views": n_views}),
               seed=1, result_path=tmp_path / "runs" / method.name / f"fold_{fold:02d}.json", text_features=feats,
               text_dim=TEXT_DIM)


def test_run_job_scores_every_mode_and_persists(tmp_path):
    data = experiment_data(tmp_path, per_view=True, cross=True)
    job = _job(tmp_path, data, SMILE)
    result = run_job(job)
    stored = json.loads(job.result_path.read_text())
    assert stored == json.loads(json.dumps(result))
    assert read_result(job.result_path, "k0")["fold"] == 0
    assert set(result["metrics"]) == {"zero_shot", "linear_probe", "knn", "zero_shot@left", "zero_shot@front",
                                      "zero_shot@right", "linear_probe@left", "linear_probe@front",
                                      "linear_probe@right"}
    assert set(result["test_subjects"]).isdisjoint(result["train_subjects"])
    assert len(result["y_true"]) == len(job.test_index) == len(result["predictions"]["zero_shot"])
    assert result["metrics"]["zero_shot"]["labels"] == list(CLASSES)
    cross = result["cross"]
    assert cross["codes"] == ["T1", "T1", "T3"] and len(cross["predictions"]["linear_probe"]) == 3
    assert "zero_shot@left" in cross["predictions"]
    assert len(result["history"]) == SETTINGS.epochs
    assert np.isclose(sum(result["view_weights"]), 1.0)


def test_ce_frontal_and_language_free_jobs(tmp_path):
    data = experiment_data(tmp_path)
    ce = run_job(_job(tmp_path, data, CE))
    assert set(ce["metrics"]) == {"classifier"}
    fr = run_job(_job(tmp_path, data, FRONTAL))
    assert fr["views"] == ["front"] and set(fr["metrics"]) == {"zero_shot", "linear_probe"}
    mv = run_job(_job(tmp_path, data, MVBT))
    assert set(mv["metrics"]) == {"linear_probe", "knn"}


def test_read_result_rejects_other_keys_and_broken_files(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"key": "a", "metrics": {}})
    assert read_result(path, "a") is not None
    assert read_result(path, "b") is None
    path.write_text('{"key": "a", "metr')
    assert read_result(path, "a") is None
    assert read_result(tmp_path / "missing.json", "a") is None
    assert not list(tmp_path.glob(".*.tmp"))


def test_job_key_depends_on_every_setting():
    a = job_key({"fold": 0, "method": {"name": "x"}})
    assert a == job_key({"method": {"name": "x"}, "fold": 0})
    assert a != job_key({"fold": 1, "method": {"name": "x"}})


def test_run_jobs_in_process_calls_back_in_order(tmp_path):
    data = experiment_data(tmp_path)
    jobs = [_job(tmp_path, data, CE, fold=f, key=f"k{f}") for f in (0, 1)]
    seen = []
    results = run_jobs(jobs, workers=1, on_result=lambda j, r: seen.append((j.fold, r["fold"])))
    assert seen == [(0, 0), (1, 1)] and [r["key"] for r in results] == ["k0", "k1"]


def test_score_modes_on_fixed_embeddings():
    rng = np.random.default_rng(0)
    centres = np.eye(4)[:3] * 4
    y = np.repeat(np.asarray(CLASSES), 5)
    z = np.stack([centres[CLASSES.index(c)] + rng.normal(0, 0.1, 4) for c in y]).astype(np.float32)
    zv = np.stack([z, z, z], axis=1)
    class_emb = torch.nn.functional.normalize(torch.from_numpy(centres).float(), dim=-1)
    out = score_modes(SMILE, SETTINGS, CLASSES, z, zv, list(y), z, zv, class_emb, None, ["l", "f", "r"])
    for mode in ("zero_shot", "linear_probe", "knn", "zero_shot@l", "linear_probe@r"):
        assert out[mode] == list(y), mode
    logits = np.eye(3)[[CLASSES.index(c) for c in y]]
    assert score_modes(CE, SETTINGS, CLASSES, z, zv, list(y), z, zv, None, logits, None) == {"classifier": list(y)}
    with pytest.raises(ValueError, match="no classifier logits"):
        score_modes(CE, SETTINGS, CLASSES, z, zv, list(y), z, zv, None, None, None)


def test_run_jobs_on_worker_processes_gives_the_same_results(tmp_path):
    data = experiment_data(tmp_path)
    jobs = [_job(tmp_path / "a", data, CE, fold=f, key=f"k{f}") for f in (0, 1)]
    inline = run_jobs(jobs, workers=1, threads=1)
    pooled_jobs = [_job(tmp_path / "b", data, CE, fold=f, key=f"k{f}") for f in (0, 1)]
    seen = []
    pooled = run_jobs(pooled_jobs, workers=2, threads=1, on_result=lambda j, r: seen.append(j.fold))
    assert sorted(seen) == [0, 1]
    for a, b in zip(inline, pooled):
        assert a["metrics"] == b["metrics"] and a["predictions"] == b["predictions"]
        assert a["history"] == b["history"]
    assert all(j.result_path.is_file() for j in pooled_jobs)
