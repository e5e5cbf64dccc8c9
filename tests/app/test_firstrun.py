"""The first run from the app: the `python -m core.firstrun --json` child process, its progress dialog, its outcome.

(The build itself, pretraining included, is tested in tests/core/test_firstrun.py.)
"""

import json
import shutil

import pytest

from app.controllers.firstrun import FirstRunController
from app.main_window import AppOptions, MainWindow
from core.datasets import ManifestRow, write_manifest
from core.firstrun import DemoPaths

from .conftest import write_scan


def ready_demo(root, checkpoint) -> DemoPaths:
    """A data folder whose demo is complete (the tiny checkpoint stands in for the trained one)."""
    paths = DemoPaths(root)
    paths.run_dir.mkdir(parents=True)
    shutil.copy(checkpoint, paths.checkpoint)
    paths.demo_dir.mkdir(parents=True, exist_ok=True)
    scans = [write_scan(paths.demo_dir / f"F000{i}.obj") for i in range(2)]
    write_manifest([ManifestRow(p, f"F000{i}", "happiness", 3, "3d", 1, "bu3dfe", f"F000{i}")
                    for i, p in enumerate(scans)], paths.manifest)
    paths.ready_file.write_text(json.dumps({"checkpoint": str(paths.checkpoint)}))
    return paths


def run_child(qtbot, controller, timeout=120_000):
    progress = []
    controller.progress.connect(lambda f, m: progress.append((f, m)))
    with qtbot.waitSignal(controller.finished, timeout=timeout) as sig:
        controller.start()
        assert controller.running
    assert not controller.running
    return sig.args[0], progress


def test_child_reports_a_ready_demo(qtbot, tmp_path, tiny_checkpoint):
    paths = ready_demo(tmp_path / "data", tiny_checkpoint)
    controller = FirstRunController(paths.root)
    assert controller.arguments() == ["-m", "core.firstrun", "--data-dir", str(paths.root), "--json"]
    outcome, progress = run_child(qtbot, controller)
    assert outcome.ok and outcome.status == "ready"
    assert outcome.checkpoint == str(paths.checkpoint) and outcome.manifest == str(paths.manifest)
    assert progress[-1][0] == pytest.approx(1.0) and "ready" in progress[-1][1]


def test_child_cancel_and_missing_interpreter(qtbot, tmp_path):
    controller = FirstRunController(tmp_path / "data2")
    controller.start()
    qtbot.waitUntil(lambda: controller.process is not None and controller.process.processId() > 0, timeout=30_000)
    with qtbot.waitSignal(controller.finished, timeout=60_000) as sig:
        controller.cancel()
    assert sig.args[0].status == "cancelled" and "resumes" in sig.args[0].message

    missing = FirstRunController(tmp_path / "data3", python=str(tmp_path / "no-such-python"))
    with qtbot.waitSignal(missing.finished, timeout=30_000) as sig:
        missing.start()
    assert sig.args[0].status == "error" and "cannot start" in sig.args[0].message


def test_window_uses_a_ready_demo_without_first_run(qtbot, data_dir, tiny_checkpoint):
    paths = ready_demo(data_dir, tiny_checkpoint)
    w = MainWindow(AppOptions(data_dir=str(data_dir)))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.controller.resultReady, timeout=120_000) as sig:
        w.start()
    assert w.firstrun is None  # nothing to build
    assert w.controller.checkpoint == str(paths.checkpoint)
    assert len(w.browser.rows()) == 2 and sig.args[0].result.source == str(w.browser.rows()[0].path)
    w.close()


def test_window_first_run_failure_keeps_the_window(qtbot, data_dir, tmp_path, monkeypatch):
    import core.release.install

    monkeypatch.setattr(core.release.install, "shipped_model_dir", lambda: None)  # the demo model must be trained
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"pretrain": {"epochs": 0}}))
    w = MainWindow(AppOptions(data_dir=str(data_dir), firstrun_config=str(bad)))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.banner.messageShown, timeout=120_000,
                          check_params_cb=lambda level, text: level == "error") as sig:
        w.start()
        assert w.firstrun_dialog is not None and w.firstrun_dialog.isVisible()
        assert not w.firstrun_dialog.isModal()
    assert "first run failed" in sig.args[1] and "epochs" in sig.args[1]
    assert w.firstrun_dialog is None and w.isVisible()
    assert w.controller.analyzer is None
    w.close()


def test_first_start_uses_the_shipped_model_at_once(qtbot, data_dir, tmp_path, tiny_checkpoint, monkeypatch):
    import shutil

    import core.release.install

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    shutil.copyfile(tiny_checkpoint, shipped / "model.ckpt")
    monkeypatch.setattr(core.release.install, "shipped_model_dir", lambda: shipped)
    bad = tmp_path / "bad.json"  # the demo set's first run fails: the model is there all the same
    bad.write_text(json.dumps({"pretrain": {"epochs": 0}}))
    w = MainWindow(AppOptions(data_dir=str(data_dir), firstrun_config=str(bad), device="cpu"))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.modelReady, timeout=120_000):
        w.start()
        assert w.firstrun is None  # the model loads first
    assert w.controller.checkpoint == str(shipped / "model.ckpt")
    qtbot.waitUntil(lambda: w.firstrun is not None, timeout=10_000)  # then the demo set is built behind it
    w.close()
