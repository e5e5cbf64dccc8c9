"""End to end on a small fake benchmark (user manifests, views already in the render cache, a fake text encoder)."""

import json

import pytest
import torch

import core.text
from core.eval.benchmark import BenchmarkConfig, resolve_workers, run_benchmark, view_names
from core.model import ModelConfig, SmileVLM, save_checkpoint

from .eval_helpers import TEXT_DIM, FakeTextEncoder, fake_benchmark

TABLE_HEADINGS = (
    "## Table II-like: 3D static facial expression recognition",
    "## Table III-like: 4D (dynamic) facial expression recognition",
    "## Table IV-like: cross-data-set recognition",
    "## Table V-like: micro-expressions, per-class F1 and accuracy per view",
    "## Loss ablations",
    "## What the numbers say",
)


@pytest.fixture(autouse=True)
def fake_text(monkeypatch):
    monkeypatch.setattr(core.text, "build_text_encoder", lambda spec="minilm", device=None: FakeTextEncoder())


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    # loss ablations on two settings' experiments (BU-4DFE also gives its cross-data-set test as a third setting)
    presets, data, out = fake_benchmark(root, methods={"bu4dfe": ["smile_vlm", "no_redmin"]},
                                        ablation=["bu3dfe_subset1", "bu4dfe"])
    mp = pytest.MonkeyPatch()
    mp.setattr(core.text, "build_text_encoder", lambda spec="minilm", device=None: FakeTextEncoder())
    try:
        config = BenchmarkConfig("tiny", out, data=data, presets_file=presets, progress=False, threads=1, device="cpu")
        summary = run_benchmark(config)
    finally:
        mp.undo()
    return config, summary


def test_report_holds_every_table_and_file(finished):
    config, summary = finished
    out = config.out
    assert summary.jobs == summary.trained == 8 * 2 + 5 * 2 + 2 and summary.reused == 0
    text = (out / "report.md").read_text()
    for heading in TABLE_HEADINGS:
        assert heading in text, heading
    for title in ("BU-3DFE Subset I", "BU-3DFE Subset II", "Bosphorus", "BU-4DFE", "BP4D", "4DME"):
        assert f"{title} (ours, user data)" in text or f"**{title}" in text or title in text
    assert "figure only, not transcribed" in text  # Fig. 2, the paper's ablation, has no numbers in its text
    assert "T1 (happiness) ours" in text and "T8 (disgust) ours" in text
    assert "T1 + T8 together, ours" in text and "T1 + T8 together, paper (real data)" in text
    # the paper's figures beside ours, and every compared method below, labelled as real-data results
    assert "| SMILE-VLM — zero-shot | category prompts | " in text and " | 89.51 | " in text and " | 80.66 |" in text
    assert "**The paper's Table II: accuracy (%) on BU-3DFE Subset I, Subset II and Bosphorus**" in text
    assert "Oyedotun et al. [19]" in text and "Behzad et al. [53]" in text and "Danelakis et al. [54]" in text
    assert text.count("not comparable one to one") >= 6
    # Table V: one row per view, ours and the paper's
    for view in ("left", "right", "front", "multi-view"):
        assert f"| F1 (%) | {view} | " in text and f"| Recall (%) | {view} | " in text
        assert f"| Accuracy, one-vs-rest (%) | {view} | " in text
    assert "| F1 (0–1) | Left [56] | supervised | 0.5971 |" in text
    # supervision, stated plainly
    assert "label-derived language" in text and "never saw" not in text and "only place" not in text
    for row in ("SMILE-VLM — zero-shot | category prompts", "Supervised cross-entropy — classifier | labels",
                "mv-BT only (MiFaR-like, no language) — linear probe | none + labels (linear probe)",
                "SMILE-VLM w/o red-min (gamma = 0)", "SMILE-VLM w/o vl-align (beta = 0)",
                "SMILE-VLM w/o mv-BT (alpha = 0)", "SMILE-VLM, frontal view only", "SMILE-VLM, uniform fusion"):
        assert row in text, row
    for name in ("ablation", "gain_heatmap", "training_curves", "confusion_bu3dfe_subset1", "confusion_4dme"):
        png = out / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    doc = json.loads((out / "results.json").read_text())
    assert set(doc["experiments"]) == {"bu3dfe_subset1", "bu3dfe_subset2", "bosphorus", "bu4dfe", "bp4d", "4dme"}
    acc = doc["experiments"]["bu3dfe_subset1"]["methods"]["smile_vlm"]["modes"]["zero_shot"]["accuracy"]
    assert acc["n"] == 2 and 0.0 <= acc["mean"] <= 1.0
    # one heatmap per setting, zero-shot configurations only (not ce, not mv-BT only)
    heat = doc["gain_heatmap"]
    assert heat["mode"] == "zero_shot"
    assert [(s["setting"], len(s["configurations"])) for s in heat["settings"]] == [
        ("BU-3DFE Subset I", 6), ("BU-4DFE", 2), ("BU-4DFE -> BP4D (tasks T1, T8)", 2)]
    assert "## Loss ablations (BU-3DFE Subset I, BU-4DFE, BU-4DFE -> BP4D (tasks T1, T8); the paper's Fig. 2)" in text
    assert "- **BU-4DFE -> BP4D (tasks T1, T8)**: SMILE-VLM (zero-shot; category prompts)" in text
    csv_lines = (out / "summary.csv").read_text().splitlines()
    assert csv_lines[0] == "experiment,method,mode,supervision,metric,mean,std,n_folds"
    assert any(line.startswith("bu4dfe,smile_vlm,zero_shot,category prompts,cross_accuracy:T1,") for line in csv_lines)
    assert (out / "results.csv").read_text().count("\n") > 100


def test_fold_assignment_is_saved_and_subject_disjoint(finished):
    config, _ = finished
    plan = json.loads((config.out / "folds" / "bu3dfe_subset1.json").read_text())
    tested = [s for subjects in plan["folds"].values() for s in subjects]
    assert sorted(tested) == ["F0001", "F0002", "F0003"]
    for fold in range(plan["k"]):
        r = json.loads((config.out / "runs" / "bu3dfe_subset1" / "smile_vlm" / f"fold_{fold:02d}.json").read_text())
        assert sorted(r["test_subjects"]) == sorted(plan["folds"][str(fold)])
        assert set(r["test_subjects"]).isdisjoint(r["train_subjects"])


def test_resume_skips_finished_folds(finished, monkeypatch):
    config, first = finished
    again = run_benchmark(config)
    assert again.trained == 0 and again.reused == first.jobs
    victim = config.out / "runs" / "bu4dfe" / "smile_vlm" / "fold_01.json"
    victim.unlink()
    stale = config.out / "runs" / "bosphorus" / "smile_vlm" / "fold_00.json"
    data = json.loads(stale.read_text())
    data["key"] = "some other configuration"
    stale.write_text(json.dumps(data))
    third = run_benchmark(config)
    assert third.trained == 2 and third.reused == first.jobs - 2
    assert victim.is_file() and json.loads(stale.read_text())["key"] != "some other configuration"


def test_an_interrupted_run_resumes_without_redoing_finished_folds(tmp_path, monkeypatch):
    import core.eval.runner as runner

    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["ce"])
    config = BenchmarkConfig("tiny", out, data=data, presets_file=presets, only=("bosphorus", "bu4dfe"),
                             progress=False, threads=1)
    real = runner.run_job
    calls = []

    def interrupted_on_third(job, on_epoch=None):
        calls.append(job.fold)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job, on_epoch)

    monkeypatch.setattr(runner, "run_job", interrupted_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(config)
    assert len(list((out / "runs").rglob("fold_*.json"))) == 2
    monkeypatch.setattr(runner, "run_job", real)
    resumed = run_benchmark(config)
    assert (resumed.jobs, resumed.trained, resumed.reused) == (4, 2, 2)


def test_only_runs_the_chosen_experiments(finished):
    config, _ = finished
    summary = run_benchmark(BenchmarkConfig("tiny", config.out, data=config.data, presets_file=config.presets_file,
                                            only=("bosphorus",), progress=False, threads=1, device="cpu"))
    assert summary.jobs == 2 and summary.trained == 0
    text = (config.out / "report.md").read_text()
    assert "Bosphorus" in text and "Table III-like" not in text


def test_bad_input_fails_before_training(tmp_path):
    presets, data, out = fake_benchmark(tmp_path, subjects=3, folds=5)
    with pytest.raises(ValueError, match=r"3 subject\(s\), too few for 5 subject-independent folds"):
        run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, progress=False, threads=1))
    assert not (out / "runs").exists()

    # the user's data is checked before any synthetic set is generated
    with pytest.raises(ValueError, match="too few for 5"):
        run_benchmark(BenchmarkConfig("tiny", out, data={"bu3dfe": data["bu3dfe"]}, presets_file=presets,
                                      only=("bu3dfe_subset1", "bosphorus"), progress=False, threads=1))
    assert not (out / "data").exists()

    presets, data, out = fake_benchmark(tmp_path / "b", extra_prompts=False, methods_subset1=["ce"])
    with pytest.raises(ValueError, match=r"class\(es\) embarrassment, pain missing from the prompt set 'expressions'"):
        run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, progress=False, threads=1))
    assert not (out / "runs").exists()


def test_init_checkpoint_must_match_the_embedding_size(tmp_path):
    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["smile_vlm"])
    wide = ModelConfig(embed_dim=32, proj_hidden=32, fusion_hidden=8, image_size=16)
    ckpt = save_checkpoint(tmp_path / "wide.ckpt", model=SmileVLM(wide, TEXT_DIM), model_config=wide, epoch=0,
                           step=0, config={})
    with pytest.raises(ValueError, match="its embeddings are 32-d but the preset's model uses 16-d"):
        run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, init=ckpt, progress=False,
                                      threads=1))
    assert not (out / "runs").exists()
    good = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=16)
    torch.manual_seed(0)
    ok = save_checkpoint(tmp_path / "ok.ckpt", model=SmileVLM(good, TEXT_DIM), model_config=good, epoch=0, step=0,
                         config={}, extra={"subjects": ["bosphorus/somebody-else"]})
    summary = run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, init=ok, progress=False,
                                            threads=1, only=("bosphorus",)))
    assert summary.trained == 2


def test_init_checkpoint_trained_on_a_test_subject_is_refused(tmp_path):
    from core.datasets.subjects import subject_keys
    from core.eval.data import source_rows, user_source

    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["smile_vlm"])
    config = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=16)
    test_subjects = subject_keys(source_rows(user_source("bosphorus", data["bosphorus"])))
    leaky = save_checkpoint(tmp_path / "leaky.ckpt", model=SmileVLM(config, TEXT_DIM), model_config=config, epoch=0,
                            step=0, config={}, extra={"subjects": ["bu3dfe/other", test_subjects[1]]})
    with pytest.raises(ValueError, match="subject leak") as err:
        run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, init=leaky, progress=False,
                                      threads=1, only=("bosphorus",)))
    assert str(leaky) in str(err.value) and test_subjects[1] in str(err.value)
    unknown = save_checkpoint(tmp_path / "unknown.ckpt", model=SmileVLM(config, TEXT_DIM), model_config=config,
                              epoch=0, step=0, config={})
    with pytest.raises(ValueError, match="does not record which subjects"):
        run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, init=unknown, progress=False,
                                      threads=1, only=("bosphorus",)))
    assert not (out / "runs").exists()


def test_4dme_fine_tunes_the_bu4dfe_pretrained_model(finished):
    config, summary = finished
    sources = sorted((config.out / "work").glob("*/init/bu4dfe-*.pt"))
    assert [p.name.split("-")[1] for p in sources] == ["smile_vlm"]  # one source model per method, trained once
    state = torch.load(sources[0], weights_only=True)
    assert "text_proj.weight" in state
    info = json.loads(sources[0].with_suffix(".json").read_text())
    assert info["experiment"] == "bu4dfe" and info["samples"] == 18  # every BU-4DFE sample (3 subjects x 6)
    from core.eval.config import load_preset

    assert [r.spec.name for r in load_preset("tiny", config.presets_file).only(["4dme"]).experiments] == [
        "bu4dfe", "4dme"]  # --only 4dme brings its source experiment along


def test_helpers():
    assert view_names((-30.0, 0.0, 30.0)) == (("left", "front", "right"), 1)
    assert view_names((-30.0, -15.0, 0.0, 15.0))[0] == ("yaw-30", "yaw-15", "yaw+0", "yaw+15")
    assert resolve_workers(None, "cuda")[0] == 1
    workers, threads = resolve_workers(2, "cpu")
    assert workers == 2 and threads >= 1


def _grid_template(monkeypatch):
    import core.eval.pca_lr as pca_lr

    from .eval_helpers import GRID

    monkeypatch.setattr(pca_lr, "load_template",
                        lambda dataset, synth, models=None: pca_lr.Template(GRID, "grid", "template: a test grid"))


def test_pca_lr_baseline_runs_on_the_benchmark_folds(tmp_path, monkeypatch):
    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["pca_lr"], methods={"bu4dfe": ["pca_lr"]},
                                        shapes=True)
    _grid_template(monkeypatch)
    config = BenchmarkConfig("tiny", out, data=data, presets_file=presets, only=("bu3dfe_subset1", "bu4dfe"),
                             progress=False, threads=1, device="cpu")
    summary = run_benchmark(config)
    assert summary.jobs == 0  # nothing to train
    plan = json.loads((out / "folds" / "bu3dfe_subset1.json").read_text())
    for fold in range(plan["k"]):
        r = json.loads((out / "runs" / "bu3dfe_subset1" / "pca_lr" / f"fold_{fold:02d}.json").read_text())
        assert sorted(r["test_subjects"]) == sorted(plan["folds"][str(fold)])  # the other methods' folds
        assert set(r["test_subjects"]).isdisjoint(r["train_subjects"])
    assert len(list((out / "work" / "pca_lr").glob("*.npy"))) == 3  # bu3dfe, bu4dfe, bp4d under bu4dfe's template
    text = (out / "report.md").read_text()
    row = "| PCA + logistic regression on registered vertices (fixed baseline) — classifier | labels | "
    assert text.count(row) == 3  # Tables II, III and the cross-data-set table
    assert text.count("(template: the ICT mean face)") >= 4  # II, III and the cross table's three cells
    assert "on BU-3DFE Subset I: the template: a test grid." in text
    doc = json.loads((out / "results.json").read_text())
    acc = doc["experiments"]["bu3dfe_subset1"]["methods"]["pca_lr"]["modes"]["classifier"]["accuracy"]
    assert acc["n"] == 2 and acc["mean"] > 0.5  # six classes; the class bumps survive the registration
    stamp = (out / "runs" / "bu4dfe" / "pca_lr" / "fold_00.json").stat().st_mtime_ns
    run_benchmark(config)  # reused, not recomputed
    assert (out / "runs" / "bu4dfe" / "pca_lr" / "fold_00.json").stat().st_mtime_ns == stamp


def test_pca_lr_without_face_model_files_is_reported_not_fatal(tmp_path, monkeypatch):
    import core.synth.face_models as face_models
    from core.synth.model import ModelFileError

    def missing(name="ict", model_dir=None, au_table=None):
        raise ModelFileError("/nowhere/ict_face_model_light.npz", "ICT face model not found")

    monkeypatch.setattr(face_models, "load_face_model", missing)
    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["pca_lr", "ce"])
    summary = run_benchmark(BenchmarkConfig("tiny", out, data=data, presets_file=presets, only=("bu3dfe_subset1",),
                                            progress=False, threads=1, device="cpu"))
    assert summary.trained == 2  # the ce folds
    text = (out / "report.md").read_text()
    assert ("PCA + logistic regression on registered vertices (fixed baseline) was not run on BU-3DFE Subset I: no "
            "registration template (/nowhere/ict_face_model_light.npz: ICT face model not found)") in text
    assert "| PCA + logistic regression on registered vertices (fixed baseline) — classifier | labels | not run |" \
        in text
