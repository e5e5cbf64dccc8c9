"""TrainingPanel: a tiny real pretraining run (`python -m core pretrain` in a QProcess) followed live, cancelled
with a checkpoint, resumed and cancelled again; a crashing run reported with its log tail; bad input refused; past
runs listed; checkpointChosen; synthetic preset reuse and failure."""

import json
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PySide6.QtCore import Qt

from app.controllers import training as tr
from app.controllers.training import TrainingOptions
from app.widgets.training_panel import TrainingPanel, prepare_screenshot
from core.datasets import ManifestRow, write_manifest

RUN_TIMEOUT_MS = 120_000


def tiny_manifest(root: Path, n: int = 8) -> Path:
    """``n`` small deformed spheres (OBJ), two classes, as a manifest."""
    (root / "scans").mkdir(parents=True, exist_ok=True)
    rows = []
    rng = np.random.default_rng(0)
    for i in range(n):
        label = ("happiness", "sadness")[i % 2]
        sphere = trimesh.creation.icosphere(subdivisions=2, radius=80.0)
        v = sphere.vertices * np.array([1.0, 1.0 + 0.3 * (i % 2), 0.8]) + rng.normal(0, 1.5, sphere.vertices.shape)
        path = root / "scans" / f"S{i // 2:02d}_{label}.obj"
        trimesh.Trimesh(v, sphere.faces).export(path)
        rows.append(ManifestRow(path, f"S{i // 2:02d}", label, None, "3d", 1, "synthetic", label[:2].upper()))
    return write_manifest(rows, root / "manifest.csv")


def tiny_options(manifest: Path, epochs: int = 200) -> TrainingOptions:
    return TrainingOptions(data=str(manifest), epochs=epochs, batch_size=4, lr=1e-3, embed_dim=16,
                           backbone="smallcnn", n_views=3, image_size=32, prompts="none", device="cpu",
                           num_workers=0, seed=1)


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    """This test's own user data folder (runs, render cache, synthetic presets)."""
    monkeypatch.setenv(tr.ENV_DATA_DIR, str(tmp_path / "user_data"))
    return tmp_path / "user_data"


@pytest.fixture
def panel(qtbot, user_data):
    p = TrainingPanel(poll_ms=50, kill_after_ms=60_000)
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    yield p
    p.shutdown(timeout_ms=20_000)


def _status(panel, row=0):
    return panel.runs_table.item(row, 1).text()


def test_run_follow_cancel_and_use_checkpoint(panel, qtbot, tmp_path, user_data):
    """A tiny real job: followed live (curves, progress), cancelled (SIGTERM: stopped with a checkpoint), its
    checkpoint handed on with checkpointChosen."""
    manifest = tiny_manifest(tmp_path / "dataset")
    panel.set_options(tiny_options(manifest))
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    job = panel.job
    assert job is not None and job.is_running(), panel.message.text()
    run_dir = job.run_dir
    assert run_dir.parent == user_data / "runs"
    assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    assert _status(panel).startswith(("starting", "running"))

    qtbot.waitUntil(lambda: panel.curves.point_count("loss") >= 1 or not job.is_running(), timeout=RUN_TIMEOUT_MS)
    assert job.is_running(), job.process.output_text()
    assert panel.curves.point_count("mv_bt") >= 1 and panel.curves.point_count("samples_per_s") >= 1
    assert panel.curves.point_count("vl_align") == 0  # label-free: no language terms
    assert "step" in panel.detail_label.text() and "/400" in panel.detail_label.text()  # 200 epochs x 2 steps
    assert "supervision none" in panel.detail_label.text()

    with qtbot.waitSignal(job.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["stopped"], job.report
    assert (run_dir / "last.ckpt").is_file()
    assert "stopped" in panel.status_label.text() and "checkpoint" in panel.status_label.text()
    panel.refresh_runs(select=run_dir)
    assert panel.selected_run().status == "stopped" and panel.resume_button.isEnabled()
    assert (run_dir / "config.json").is_file() and "smallcnn" in panel.config_view.toPlainText()

    with qtbot.waitSignal(panel.checkpointChosen, timeout=1000) as chosen:
        qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [str(run_dir / "last.ckpt")]


def test_crashing_run_is_reported_with_its_log_tail(panel, qtbot, tmp_path):
    """A job whose manifest points at missing scans fails with an 'error' event: reported with the log's tail."""
    rows = [ManifestRow(tmp_path / "gone" / f"S{i}.obj", f"S{i}", "happiness", None, "3d", 1, "x", "HA")
            for i in range(4)]
    panel.set_options(tiny_options(write_manifest(rows, tmp_path / "missing.csv")))
    assert panel.start_training()
    crash = panel.job
    qtbot.waitUntil(lambda: crash.status != "running", timeout=RUN_TIMEOUT_MS)
    assert crash.status == "error"
    assert panel.message.level() == "error" and "failed" in panel.message.text()
    assert "no manifest row could be rendered" in panel.message.text()
    report = panel.output_view.toPlainText()
    assert "--- end of" in report and '"event": "error"' in report and "smile-vlm pretrain: error" in report
    assert "failed" in panel.status_label.text()
    panel.refresh_runs(select=crash.run_dir)
    assert panel.selected_run().status == "error" and panel.start_button.isEnabled()  # the panel keeps working
    assert not panel.use_checkpoint() and "no checkpoint" in panel.message.text()


RESUMING_CLI = """
import json, sys, time
args = sys.argv[1:]
assert args[0] == "pretrain" and "--resume" in args, args
run = args[args.index("--out") + 1]
with open(run + "/log.jsonl", "a") as log:
    def write(event, **f):
        log.write(json.dumps({"event": event, "time": time.time(), **f}) + "\\n"); log.flush()
    write("start", config={"epochs": 2}, steps_per_epoch=2, supervision="none", resumed_from={"step": 2, "epoch": 1})
    for step in (3, 4):
        time.sleep(0.2)
        write("step", epoch=1, step=step, loss=1.0 / step, mv_bt=1.0 / step, samples_per_s=10.0)
    write("epoch_end", epoch=1, step=4)
    write("checkpoint", path=run + "/last.ckpt", epoch=2, step=4)
    write("done", message="trained 2 epochs (4 steps)")
print("resumed", run)
"""


def test_resume_continues_the_selected_run(panel, qtbot, tmp_path, user_data, monkeypatch):
    """Resume runs `pretrain --out RUN --resume` on the selected stopped run (here a stand-in for the CLI that
    appends to the log as a resumed pretrain does); the curves keep the earlier steps."""
    run = user_data / "runs" / "20240101-000000"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"epochs": 2, "supervision": "none", "model": {}}))
    first = [{"event": "start", "time": 0, "config": {"epochs": 2}, "steps_per_epoch": 2},
             {"event": "step", "time": 1, "epoch": 0, "step": 1, "loss": 2.0},
             {"event": "step", "time": 2, "epoch": 0, "step": 2, "loss": 1.5},
             {"event": "stopped", "time": 3, "message": "stopped by SIGTERM"}]
    (run / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in first))
    (run / "last.ckpt").write_bytes(b"weights")
    cli = tmp_path / "resuming_cli.py"
    cli.write_text(RESUMING_CLI)
    monkeypatch.setenv(tr.ENV_CLI, shlex.join([sys.executable, str(cli)]))
    panel.refresh_runs(select=run)
    assert panel.resume_button.isEnabled() and panel.curves.point_count() == 2

    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    job = panel.job
    assert job.run_dir == run
    assert job.command[2:] == ["pretrain", "--out", str(run), "--resume", "--cache", str(user_data / "cache"),
                               "--no-progress"]
    assert not panel.resume_button.isEnabled() and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: job.status != "running", timeout=30_000)
    assert job.status == "done", job.report
    assert panel.curves.point_count() == 4 and job.state.series["loss"][0] == [1, 2, 3, 4]
    assert "done" in panel.status_label.text() and panel.progress.value() == 1000
    assert panel.selected_run().status == "done" and not panel.resume_button.isEnabled()


def test_bad_input_is_refused_without_starting(panel, tmp_path, user_data):
    panel.set_options(TrainingOptions(data=""))
    assert not panel.start_training() and panel.job is None
    assert "choose a manifest" in panel.message.text()
    panel.set_options(tiny_options(tmp_path / "nope.csv"))
    assert not panel.start_training() and "manifest file not found" in panel.message.text()
    manifest = tmp_path / "m.csv"
    manifest.write_text("x")
    options = tiny_options(manifest)
    panel.set_options(options)
    panel.backbone_combo.setCurrentText("vgg99")
    assert not panel.start_training() and "backbone" in panel.message.text()
    runs = user_data / "runs"
    assert panel.job is None and (not runs.exists() or not any(runs.iterdir()))  # no run folder was made
    assert not panel.resume_selected() and "Select a run" in panel.message.text()


def test_options_form_round_trip_and_supervision_labels(panel):
    options = tiny_options(Path("/data/m.csv"))
    panel.set_options(options)
    assert panel.options() == options
    assert not panel.beta_spin.isEnabled() and "Label-free" in panel.supervision_note.text()
    panel.supervision_combo.setCurrentIndex(panel.supervision_combo.findData("metadata"))
    assert panel.beta_spin.isEnabled() and "category labels" in panel.supervision_note.text()
    assert "uses the category labels" in panel.supervision_combo.currentText()
    assert panel.options().prompts == "metadata"


def test_set_default_data_keeps_a_user_choice(panel):
    panel.set_default_data("/demo/demo.csv")
    assert panel.data_edit.text() == "/demo/demo.csv"
    panel.set_default_data("/demo/other.csv")
    assert panel.data_edit.text() == "/demo/other.csv"
    panel.data_edit.setText("/mine.csv")
    panel.set_default_data("/demo/third.csv")
    assert panel.data_edit.text() == "/mine.csv"


def test_past_runs_listed_shown_and_screenshot_state(qtbot, user_data):
    cfg = {"epochs": 2, "batch_size": 4, "supervision": "category-prompts",
           "model": {"backbone": "resnet18", "n_views": 3, "image_size": 64}}
    lines = [{"event": "start", "time": 0.0, "config": cfg, "steps_per_epoch": 2, "supervision": "category-prompts"}]
    lines += [{"event": "step", "time": float(s), "epoch": (s - 1) // 2, "step": s, "loss": 5.0 / s, "mv_bt": 3.0 / s,
               "vl_align": 1.5 / s, "red_min": 0.5 / s, "samples_per_s": 8.0} for s in range(1, 5)]
    lines += [{"event": "done", "time": 5.0, "message": "trained 2 epochs (4 steps)"}]
    old = user_data / "runs" / "20240101-120000"
    old.mkdir(parents=True)
    (old / "config.json").write_text(json.dumps(cfg))
    (old / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    (old / "last.ckpt").write_bytes(b"weights")
    broken = user_data / "runs" / "20240102-120000"
    broken.mkdir()
    (broken / "log.jsonl").write_text(json.dumps({"event": "start", "time": 0}) + "\n" +
                                      json.dumps({"event": "error", "time": 1, "message": "CUDA out of memory"}) + "\n")

    panel = TrainingPanel(poll_ms=50)
    qtbot.addWidget(panel)
    assert panel.runs_table.rowCount() == 2
    assert [panel.runs_table.item(r, 0).text() for r in range(2)] == ["20240102-120000", "20240101-120000"]
    assert _status(panel, 1) == "done" and "resnet18" in panel.runs_table.item(1, 5).text()

    panel.runs_table.selectRow(0)
    assert "CUDA out of memory" in panel.output_view.toPlainText() and "failed" in panel.status_label.text()
    assert not panel.use_button.isEnabled() and not panel.resume_button.isEnabled()

    prepare_screenshot(panel)
    assert panel.selected_run().path == old
    assert panel.curves.point_count("loss") == 4 and panel.curves.point_count("red_min") == 4
    assert "done" in panel.status_label.text() and panel.progress.value() == 1000
    assert '"backbone": "resnet18"' in panel.config_view.toPlainText()
    with qtbot.waitSignal(panel.checkpointChosen, timeout=1000) as chosen:
        assert panel.use_checkpoint()
    assert chosen.args == [str(old / "last.ckpt")]
    panel.shutdown()


def test_synthetic_preset_reused_and_failing(panel, qtbot, user_data, monkeypatch):
    """An existing preset is reused at once; a generation that fails is reported and the form is kept. (The real
    `smile-vlm synth` + `index` chain is not run here: it costs ~10-20 s of the test budget; the command lines
    are checked in test_training_controller.)"""
    ready = user_data / "synth" / "bu3dfe-2"
    ready.mkdir(parents=True)
    (ready / "manifest.csv").write_text("path,subject,label\n")
    assert panel.generate_preset("bu3dfe", 2)
    assert panel.data_edit.text() == str(ready / "manifest.csv") and panel.preset_job is None
    assert "existing" in panel.preset_label.text()
    panel.preset_combo.setCurrentText("demo")
    assert not panel.subjects_spin.isEnabled()

    # a generator that fails (the CLI replaced by a program that exits with an error) is reported, the app goes on
    monkeypatch.setenv(tr.ENV_CLI, f"{sys.executable} -c \"import sys; print('no such generator', file=sys.stderr);"
                                   f" sys.exit(4)\"")
    panel.data_edit.setText("/kept.csv")
    assert panel.generate_preset("bp4d", 1)
    assert panel.generate_button.text() == "Stop"
    qtbot.waitUntil(lambda: panel.generate_button.text() == "Generate", timeout=20_000)
    assert panel.message.level() == "error" and "exited with status 4" in panel.message.text()
    assert "no such generator" in panel.output_view.toPlainText()
    assert panel.data_edit.text() == "/kept.csv" and panel.generate_button.text() == "Generate"
    assert not panel.generate_preset("nope", 1) and "unknown synthetic preset" in panel.message.text()


LABEL_CHECK_CLI = """
import json, sys
args = sys.argv[1:]
prompts = json.load(open(args[args.index("--prompt-set") + 1])) if "--prompt-set" in args else {"classes": {}}
if "neutral" not in prompts["classes"]:
    print("smile-vlm pretrain: error: labels ['neutral'] of demo.csv have no prompts in the prompt set",
          file=sys.stderr)
    sys.exit(1)
print("prompts ok", sorted(prompts["classes"]))
sys.exit(3)
"""


def test_runs_default_to_the_edited_prompt_set_and_a_cli_error_is_the_banner(panel, qtbot, tmp_path, user_data,
                                                                             monkeypatch):
    """Issue 14, item 13: training with the default settings failed on the app's own demo (its scans include
    neutral, the default prompt set had none) and the reason was only in the Output tab. An empty prompt-set field
    now means the set being edited (saved into the run folder); a failure before the run's log names its reason
    in the banner."""
    from core.prompts import PromptSet

    cli = tmp_path / "label_check_cli.py"
    cli.write_text(LABEL_CHECK_CLI)
    monkeypatch.setenv(tr.ENV_CLI, shlex.join([sys.executable, str(cli)]))
    manifest = tiny_manifest(tmp_path / "data", 4)
    options = TrainingOptions(**{**tiny_options(manifest).to_dict(), "prompts": "metadata", "prompt_set": ""})

    without = PromptSet("edited", {"happiness": ["a smile"], "sadness": ["a frown"]})
    panel.set_prompt_source(lambda: without)
    panel.set_options(options)
    assert panel.start_training()
    job = panel.job
    qtbot.waitUntil(lambda: job.status != "running", timeout=30_000)
    assert job.status == "error"
    assert (job.run_dir / "prompts.json").is_file() and "--prompt-set" in job.command
    assert "labels ['neutral'] of demo.csv have no prompts" in panel.message.text()

    edited = PromptSet("edited", {"happiness": ["a smile"], "neutral": ["a calm face"]})
    panel.set_prompt_source(lambda: edited)
    assert panel.start_training()
    job = panel.job
    qtbot.waitUntil(lambda: job.status != "running", timeout=30_000)
    assert "prompts ok ['happiness', 'neutral']" in job.process.output_text()
