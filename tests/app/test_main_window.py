import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.controllers import analysis
from app.main_window import AppOptions, MainWindow
from core.cli import app_cmd
from core.cli.app_cmd import AppLaunch, launch_command
from core.datasets import ManifestRow, write_manifest
from core.inference.export import read_csv
from core.prompts import PromptSet

from .conftest import face, open_window, write_scan, write_sequence

FORMATS = (".wrl", ".bnt", ".obj", ".ply", ".stl", ".off", ".xyz", ".npy")
POINT_CLOUDS = (".xyz", ".npy")


def open_and_wait(window, qtbot, path, timeout=60_000):
    path = str(path)
    with qtbot.waitSignal(window.controller.resultReady, timeout=timeout,
                          check_params_cb=lambda s: s.result.source == path) as sig:
        window.open_path(path)
    return sig.args[0]


def expect_error(window, qtbot, action, timeout=30_000):
    with qtbot.waitSignal(window.banner.messageShown, timeout=timeout,
                          check_params_cb=lambda level, text: level == "error") as sig:
        action()
    return sig.args[1]


def test_open_every_format_and_a_sequence(window, qtbot, tmp_path):
    for ext in FORMATS:
        path = write_scan(tmp_path / f"scan{ext}")
        scored = open_and_wait(window, qtbot, path)
        r = scored.result
        assert sum(r.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert window.results.probabilities() == pytest.approx(r.probabilities)
        assert window.views.n_views() == 3 and sum(window.views.weights()) == pytest.approx(1.0, abs=1e-5)
        assert window.viewer.mesh.n_points == window.controller.loaded.scan.n_vertices
        assert (window.viewer.actor.prop.style == "Points") == (ext in POINT_CLOUDS), ext
        assert not scored.dynamic and not window.viewer.timeline.isVisible()
        assert 0.0 <= scored.uncertainty.entropy <= 1.0
    assert window.banner.history == []  # no error on the way

    seq = write_sequence(tmp_path / "seq", 5)
    scored = open_and_wait(window, qtbot, seq)
    assert scored.dynamic and "dynamic images" in window.views.title.text()
    assert window.views.n_views() == 3 and sum(window.views.weights()) == pytest.approx(1.0, abs=1e-5)
    assert window.viewer.n_frames == 5 and window.viewer.timeline.isVisible()
    actor, mesh = window.viewer.actor, window.viewer.mesh
    frames = []
    window.viewer.frameChanged.connect(frames.append)
    window.viewer.play()
    qtbot.waitUntil(lambda: len(frames) >= 2, timeout=10_000)
    window.viewer.pause()
    assert window.viewer.actor is actor and window.viewer.mesh is mesh
    assert window.viewer.frame_index == frames[-1] != 0

    npz = tmp_path / "seq.npz"
    scans = [face(b) for b in (0.0, 0.1, 0.2)]
    np.savez(npz, vertices=np.stack([s.vertices for s in scans]), faces=scans[0].faces)
    assert open_and_wait(window, qtbot, npz).dynamic and window.viewer.n_frames == 3

    recent = window.recent_files()
    assert recent[0] == str(npz) and seq in recent and len(recent) == 10  # newest first, capped
    entries = [a.text() for a in window.recent_menu.actions() if not a.isSeparator()]  # headings are separators
    assert entries[: len(recent)] == recent
    assert "CPU" in window.device_label.text() or "GPU" in window.device_label.text()
    if not torch.cuda.is_available():
        assert window.device_label.text() == "device: CPU"


def malformed_files(folder: Path) -> list[Path]:
    folder.mkdir()
    files = {
        "bad_header.wrl": b"#VRML V1.0 ascii\nSeparator { }\n",
        "truncated.bnt": b"\x10\x00\x05",
        "garbage.obj": b"this is not a mesh\n",
        "truncated.ply": b"ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\n"
                         b"property float y\nproperty float z\nend_header\n\x00\x01",
        "empty.stl": b"",
        "garbage.off": b"OFF\n3 1 0\n0 0 0\n1 nan 0\n",
        "nan.xyz": b"1 2 3\nnan 0 1\n4 5 6\n",
        "wrong_shape.npy": None,
    }
    out = []
    for name, data in files.items():
        path = folder / name
        if data is None:
            np.save(path, np.zeros((4, 2), np.float32))
        else:
            path.write_bytes(data)
        out.append(path)
    (folder / "no_frames").mkdir()
    (folder / "no_frames" / "readme.txt").write_text("no scans here")
    out += [folder / "no_frames", folder / "missing.obj", folder / "unknown.abc"]
    (folder / "unknown.abc").write_text("?")
    return out


def test_malformed_inputs_show_a_message_and_keep_the_app(window, qtbot, tmp_path):
    good = write_scan(tmp_path / "good.obj")
    before = open_and_wait(window, qtbot, good).result.probabilities
    for bad in malformed_files(tmp_path / "bad"):
        text = expect_error(window, qtbot, lambda b=bad: window.open_path(str(b)))
        assert bad.name in text, text
        assert window.banner.isVisible() and window.banner.level() == "error"
        assert window.results.probabilities() == before  # what was shown stays
        assert window.controller.loaded.path == good
        assert window.isVisible()
    other = write_scan(tmp_path / "other.ply", face(0.3))
    assert open_and_wait(window, qtbot, other).result.source == other  # still working


def test_bad_checkpoints_keep_the_model(window, qtbot, tmp_path, tiny_checkpoint):
    damaged = tmp_path / "damaged.ckpt"
    damaged.write_bytes(Path(tiny_checkpoint).read_bytes()[:5000])
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(3)}}, foreign)
    analyzer = window.controller.analyzer
    for path, reason in ((damaged, "damaged or truncated"), (foreign, "not a SMILE-VLM checkpoint")):
        text = expect_error(window, qtbot, lambda p=path: window.use_checkpoint(str(p)))
        assert path.name in text and reason in text and "still using tiny.ckpt" in text
        assert window.controller.analyzer is analyzer
    scan = write_scan(tmp_path / "a.obj")
    assert open_and_wait(window, qtbot, scan).checkpoint == tiny_checkpoint
    assert window.settings.value("checkpoint") == tiny_checkpoint


def test_prompt_edit_rescores_the_current_views_only(window, qtbot, tmp_path, monkeypatch):
    scored = open_and_wait(window, qtbot, write_scan(tmp_path / "a.obj"))
    views = scored.result.views
    renders, loads = [], []
    monkeypatch.setattr(analysis.RenderJob, "start", lambda self: renders.append(self))
    monkeypatch.setattr(analysis, "load_input", lambda p: loads.append(p))
    base = window.controller.analyzer.prompt_set
    edited = PromptSet("expressions (edited)", {**base.classes, "smirk": ("a face with a smirk",)})
    with qtbot.waitSignal(window.controller.resultReady, timeout=30_000) as sig:
        window.prompt_editor.promptSetChanged.emit(edited)
    new = sig.args[0]
    assert renders == [] and loads == []  # no re-load, no re-render
    assert new.result.views is views
    assert list(new.result.probabilities) == list(edited.labels)
    assert "smirk" in window.results.probabilities() and new.prompt_set == "expressions (edited)"
    assert sum(new.result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert "expressions (edited)" in window.results.model_label.text()
    assert window.controller.timings["prompt_to_result_s"] > 0
    assert window.controller.prompts_edited


def test_manifest_browser_selection_analyses(window, qtbot, tmp_path):
    paths = [write_scan(tmp_path / f"s{i}.obj", face(0.1 * i)) for i in range(3)]
    rows = [ManifestRow(p, f"S{i}", "happiness", i + 1, "3d", 1, "user", f"s{i}") for i, p in enumerate(paths)]
    manifest = write_manifest(rows, tmp_path / "list.csv")
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == paths[0]):
        window.open_any(str(manifest))
    assert len(window.browser.rows()) == 3
    window.browser.table.setFocus()
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == paths[1]):
        qtbot.keyClick(window.browser.table, Qt.Key_Down)
    assert str(manifest) in window.recent_datasets() and str(manifest) not in window.recent_files()
    text = expect_error(window, qtbot, lambda: window.open_dataset(str(tmp_path / "bad"), "bu3dfe"))
    assert "Cannot open data set" in text
    assert len(window.browser.rows()) == 3  # the open list stays

    dataset = tmp_path / "BU3DFE"
    names = ("F0001_HA04WH_F3D.wrl", "F0001_SA02WH_F3D.wrl", "F0001_NE00WH_F3D.wrl")
    for name in names:
        (dataset / "F0001").mkdir(parents=True, exist_ok=True)
        write_scan(dataset / "F0001" / name)
    target = str(dataset / "F0001" / names[0])
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == target):
        window.open_dataset(str(dataset), "bu3dfe", select_first=True)
    assert sorted((r.label, r.intensity) for r in window.browser.rows()) == [
        ("happiness", 4), ("neutral", 0), ("sadness", 2)]
    saved = window.data_dir / "manifests" / "BU3DFE-bu3dfe.csv"
    assert saved.is_file() and window.recent_files()[0] == target and window.recent_datasets()[0] == str(saved)


def test_export_result_and_batch_folder(window, qtbot, tmp_path):
    assert "open a scan first" in expect_error(window, qtbot, lambda: window.export_result(str(tmp_path / "x.csv")))
    path = write_scan(tmp_path / "one.obj")
    scored = open_and_wait(window, qtbot, path)
    with qtbot.waitSignal(window.banner.messageShown, timeout=10_000):
        window.export_result(str(tmp_path / "one.csv"))
    (row,) = read_csv(tmp_path / "one.csv")
    assert row["path"] == path and row["probabilities"] == pytest.approx(scored.result.probabilities, rel=1e-3)
    assert row["checkpoint"] == window.controller.checkpoint

    folder = tmp_path / "batch"
    folder.mkdir()
    inputs = [write_scan(folder / name) for name in ("a.obj", "b.wrl", "c.xyz")]
    (folder / "broken.ply").write_text("ply\nnonsense\n")
    with qtbot.waitSignal(window.batch.started, timeout=30_000):
        window.start_batch_folder(str(folder), str(tmp_path / "batch.csv"))
    labels = list(window.controller.analyzer.labels)
    edited = PromptSet("edited", {"smile": ("a smiling face",), "frown": ("a frowning face",)})
    with qtbot.waitSignal(window.batch.finished, timeout=120_000) as sig:
        window.prompt_editor.promptSetChanged.emit(edited)  # waits for the batch's end
    outcome = sig.args[0]
    qtbot.waitUntil(lambda: window.controller.analyzer.prompt_set.name == "edited", timeout=30_000)
    rows = read_csv(tmp_path / "batch.csv")
    assert all(list(r["probabilities"]) == labels for r in rows if not r["error"])  # one prompt set throughout
    assert [r["path"] for r in rows] == sorted(inputs + [str(folder / "broken.ply")])
    assert [r["path"] for r in rows if r["error"]] == [str(folder / "broken.ply")]
    assert window.last_batch is outcome and "1 failed" in window.results.batch_label.text()
    empty = tmp_path / "empty"
    empty.mkdir()
    text = expect_error(window, qtbot, lambda: window.start_batch_folder(str(empty), str(tmp_path / "e.csv")))
    assert "holds no scan file" in text


def test_drop_a_file_and_switch_panels(window, qtbot, tmp_path):
    path = write_scan(tmp_path / "dropped.stl")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == path):
        window.dropEvent(event)
    window.browser.filter_edit.setFocus()
    qtbot.keyClicks(window.browser.filter_edit, "a b")  # Space and letters type text, not play/camera shortcuts
    assert window.browser.filter_edit.text() == "a b" and not window.viewer.is_playing
    for name in ("prompts", "training", "browser", "results", "views"):
        window.show_panel(name)
        assert window.docks[name].isVisible()
    with pytest.raises(ValueError, match="unknown panel"):
        window.show_panel("nope")


def test_unsaved_prompt_edits_survive_closing_the_app(qtbot, tiny_checkpoint, data_dir):
    from app.window_prompts import PROMPT_DRAFT

    w = open_window(qtbot, tiny_checkpoint, data_dir)
    label = w.prompt_editor.prompt_set.labels[0]
    assert w.prompt_editor.controller.add_prompt(label, "a face I described myself")
    assert w.prompt_editor.is_modified
    w.close()
    draft = data_dir / PROMPT_DRAFT
    assert draft.is_file()

    w = open_window(qtbot, tiny_checkpoint, data_dir)  # the edits come back, still unsaved, and the analysis uses them
    assert w.prompt_editor.is_modified
    assert "a face I described myself" in w.prompt_editor.prompt_set.classes[label]
    assert w.controller.prompts_edited
    assert "a face I described myself" in w.controller.analyzer.prompt_set.classes[label]
    assert w.prompt_editor.save_file(data_dir / "mine.json")
    w.close()
    assert not draft.exists()  # saved in a file now: no draft left

    draft.write_text("{not json", encoding="utf-8")  # a damaged draft: a warning, the file is kept
    w = MainWindow(AppOptions(checkpoint=tiny_checkpoint, first_run=False, data_dir=str(data_dir)))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.banner.messageShown, timeout=10_000,
                          check_params_cb=lambda level, text: "cannot be read" in text) as sig:
        w.start()
    assert sig.args[0] == "warning" and str(draft) in sig.args[1]
    with qtbot.waitSignal(w.modelReady, timeout=120_000):
        pass
    assert not w.prompt_editor.is_modified and draft.is_file()
    w.close()


def test_start_without_a_model(qtbot, data_dir, tmp_path, monkeypatch):
    import core.release.install

    monkeypatch.setattr(core.release.install, "shipped_model_dir", lambda: None)  # a source tree without one
    w = MainWindow(AppOptions(first_run=False, data_dir=str(data_dir)))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.banner.messageShown, timeout=10_000) as sig:
        w.start()
    assert sig.args[0] == "warning" and "No model yet" in sig.args[1]
    path = write_scan(tmp_path / "a.obj")
    with qtbot.waitSignal(w.controller.inputLoaded, timeout=30_000):
        w.open_path(path)
    assert w.viewer.mesh is not None and w.activity_label.text().endswith("\u2014 waiting for the model")
    assert "No model loaded" in expect_error(w, qtbot, lambda: w.start_batch([path], str(tmp_path / "o.csv")))
    w.close()


def test_command_line_launch(tmp_path, monkeypatch):
    launch = AppLaunch(path=str(tmp_path / "a.obj"), checkpoint="m.ckpt", device="cpu", first_run=False)
    cmd = launch_command(launch, python="py")
    assert cmd == ["py", "-m", "app", str(tmp_path / "a.obj"), "--checkpoint", os.path.abspath("m.ckpt"),
                   "--device", "cpu", "--no-first-run"]
    with pytest.raises(ValueError):
        AppLaunch(device="tpu")
    parser = argparse.ArgumentParser()
    app_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["app", str(tmp_path / "seq"), "--checkpoint", "m.ckpt", "--no-first-run"])
    calls = []
    monkeypatch.setattr(app_cmd.subprocess, "call", lambda cmd: calls.append(cmd) or 7)
    assert args.handler(args) == 7  # the app's exit status
    assert calls == [[sys.executable, "-m", "app", str(tmp_path / "seq"), "--checkpoint", os.path.abspath("m.ckpt"),
                      "--no-first-run"]]
    out = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "scan file, 4D sequence folder" in out.stdout


def test_status_bar_names_the_model_by_its_card(window, qtbot, tmp_path):
    """The tiny checkpoint has no card: named '<file> (no model card)'. A run's last.ckpt handed on by the training
    panel (checkpointChosen) carries the card pretraining writes (write_run_card): the status bar names it by it."""
    from core.model.card import load_card, write_run_card

    tiny = window.controller.checkpoint
    assert window.model_label.text().startswith(f"model: {Path(tiny).name} (no model card) \u00b7 prompts: ")
    assert window.model_label.toolTip().splitlines()[0] == tiny
    run_dir = tmp_path / "runs" / "20261202-101500"
    run_dir.mkdir(parents=True)
    ckpt = run_dir / "last.ckpt"
    ckpt.write_bytes(Path(tiny).read_bytes())
    assert write_run_card(run_dir) == run_dir / "last.card.json"
    name = load_card(ckpt).name
    assert name.startswith("20261202-101500: pretrained here, 1 epoch (")
    with qtbot.waitSignal(window.modelReady, timeout=120_000):
        window.training.checkpointChosen.emit(str(ckpt))
    assert window.model_label.text().startswith(f"model: {name} \u00b7 prompts: ")
    assert "last.ckpt" not in window.model_label.text() and window.model_label.toolTip().splitlines()[0] == str(ckpt)
    assert window.controller.analyzer.card.name == name


def test_every_shortcut_has_one_owner_and_is_listed(window, qtbot):
    """Issue 14, items 10 and 11: Ctrl+O was both File ▸ Open scan and the prompt editor's Load (ambiguous, so
    neither fired there). Every key sequence now has one action; Help ▸ Keyboard shortcuts lists them all."""
    from PySide6.QtGui import QAction, QKeySequence

    from app.widgets.shortcuts_dialog import ShortcutsDialog, shortcut_rows

    owners: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            if not key.isEmpty():
                owners.setdefault(key.toString(QKeySequence.SequenceFormat.PortableText), []).append(action.text())
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert not shared, shared
    assert owners["Ctrl+O"] == ["Open scan\u2026"] and owners["Ctrl+L"] == ["Load…"]
    assert {"Left", "Right", "R", "1", "2", "3", "Space"} <= set(owners)
    rows = shortcut_rows(window)
    assert ("Ctrl+L", "Load (in the prompt editor)") in rows
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(rows) >= 12


def test_an_error_banner_clears_on_the_next_result_and_never_moves_the_view(window, qtbot, tmp_path):
    """Issue 14, item 17: error banners stayed after the next success and pushed the 3D view down."""
    good = write_scan(tmp_path / "good.obj")
    open_and_wait(window, qtbot, good)
    geometry = window.viewer.geometry()
    bad = tmp_path / "bad.obj"
    bad.write_text("v 1 2\nf 1 2 3\n")
    expect_error(window, qtbot, lambda: window.open_path(str(bad)))
    assert window.banner.isVisible() and window.viewer.geometry() == geometry
    assert window.banner.geometry().top() < window.viewer.geometry().center().y()  # over the top of the view
    open_and_wait(window, qtbot, write_scan(tmp_path / "other.ply", face(0.3)))
    assert not window.banner.isVisible() and window.viewer.geometry() == geometry

    # any next action that succeeds clears a stale error: a manifest opened, a model loaded
    missing = tmp_path / "missing.csv"
    expect_error(window, qtbot, lambda: window.open_manifest(str(missing)))
    manifest = tmp_path / "m.csv"
    write_manifest([ManifestRow(Path(good), "F0001", "happiness", 2, "3d", 1, "user", "x")], manifest)
    window.open_manifest(str(manifest))
    qtbot.waitUntil(lambda: len(window.browser.rows()) == 1, timeout=30_000)
    assert not window.banner.isVisible()
    expect_error(window, qtbot, lambda: window.use_checkpoint(str(tmp_path / "none.ckpt")))
    with qtbot.waitSignal(window.modelReady, timeout=120_000):
        window.use_checkpoint(window.controller.checkpoint)
    assert not window.banner.isVisible()


def test_help_about_names_the_version_and_the_limits(window, qtbot):
    from core import __version__

    box = window.show_about()
    qtbot.addWidget(box)
    assert box.isVisible() and not box.isModal()
    assert __version__ in box.text() and "synthetic faces only" in box.text() and "−30°" in box.text()
    box.close()


def test_layout_recent_lists_and_last_data_set_come_back(qtbot, tiny_checkpoint, data_dir, tmp_path):
    """Issue 14, item 17: the window's layout and the last data set are restored; recent scans and data sets are
    two lists."""
    from .conftest import open_window

    first = open_window(qtbot, tiny_checkpoint, data_dir)
    paths = [write_scan(tmp_path / f"s{i}.obj", face(0.1 * i)) for i in range(3)]
    manifest = write_manifest([ManifestRow(p, "S1", "happiness", None, "3d", 1, "user", "") for p in paths],
                              tmp_path / "mine.csv")
    with qtbot.waitSignal(first.controller.resultReady, timeout=60_000):
        first.open_any(str(manifest))
    open_and_wait(first, qtbot, paths[2])
    first.resize(1250, 780)
    size = (first.width(), first.height())
    first.docks["training"].hide()
    first.close()

    again = open_window(qtbot, tiny_checkpoint, data_dir)
    try:
        qtbot.waitUntil(lambda: len(again.browser.rows()) == 3, timeout=30_000)  # the last data set, reopened
        assert again.browser.source() == str(manifest)
        assert again.recent_files()[0] == str(paths[2]) and again.recent_datasets()[0] == str(manifest)
        assert (again.width(), again.height()) == size and not again.docks["training"].isVisible()
        sections = [a.text() for a in again.recent_menu.actions() if a.isSeparator()]
        assert sections == ["Scans and sequences", "Data sets"]
    finally:
        again.close()


def test_status_bar_texts_never_overlap(window, qtbot):
    """Issue 14 item 17: long texts (a run's card name, an edited set, running tasks, a message) are elided to their
    place, separated by rules, and never widen the window; the whole text is the tooltip."""
    from app.widgets.elided_label import ElidedLabel

    window.resize(1024, 768)
    width = window.width()
    window.model_label.setText("model: 20261202-101500: pretrained here, 30 epochs (ICT synthetic, 32 px) \u00b7 "
                               "prompts: expressions_paraphrases (unsaved edits)")
    window._set_task("browser", "indexing a_data_set_folder_with_a_very_long_name as BU-4DFE")
    window._set_task("analysis", "rendering F001_Happy_sequence_frame_0001")
    window.show_message("Cannot open data set: /data/some/very/long/path/that/goes/on/and/on/forever.csv: no scans "
                        "listed", "error")
    qtbot.wait(50)
    assert window.width() == width  # no text widened the window
    assert window.activity_label.text().startswith("Cannot open data set: ")
    assert window.activity_label.text().endswith("\u2014 indexing a_data_set_folder_with_a_very_long_name as "
                                                 "BU-4DFE \u00b7 rendering F001_Happy_sequence_frame_0001")
    shown = [w for w in window.statusBar().findChildren(ElidedLabel) if w.isVisible()]
    assert {window.activity_label, window.model_label, window.device_label} <= set(shown)
    boxes = sorted((w.geometry() for w in window.statusBar().children()
                    if hasattr(w, "isVisible") and w.isWidgetType() and w.isVisible()), key=lambda r: r.left())
    for a, b in zip(boxes, boxes[1:]):
        assert a.right() < b.left(), (a, b)  # side by side, never on top of each other
    for label in shown:
        assert label.fontMetrics().horizontalAdvance(label.shown_text()) <= label.contentsRect().width()
        if label.shown_text() != label.text():
            assert label.toolTip() in (label.text(), window.model_label.toolTip())
    window._note_timer.timeout.emit()  # the message's time is up: the tasks stay
    assert window.activity_label.text().startswith("indexing ")
    window._set_task("browser", "")
    window._set_task("analysis", "")
    assert window.activity_label.text() == "ready"
