import csv
import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer

from app.window_frames import SETTINGS_KEY
from core.inference.frames import FrameWindow
from core.prompts import PromptSet

from .conftest import face, write_scan, write_sequence


def open_sequence(window, qtbot, path, timeout=120_000):
    """Open ``path`` and wait for its per-frame curves."""
    path = str(path)
    with qtbot.waitSignal(window.frame_curves.controller.ready, timeout=timeout,
                          check_params_cb=lambda c: c.source == path) as sig:
        window.open_path(path)
    return sig.args[0]


def test_curves_of_a_sequence_follow_the_viewer_and_drive_the_results(window, qtbot, tmp_path):
    wf = window.frame_curves
    seq = write_sequence(tmp_path / "seq", 6)
    curves = open_sequence(window, qtbot, seq)
    scored = window.controller.current
    assert wf.panel.isVisible() and wf.panel.plot.curves is curves and wf.curves is curves
    assert curves.frames.labels == tuple(window.controller.analyzer.labels) and len(curves.frames) == 6
    assert curves.window == FrameWindow(8) and wf.panel.window() == FrameWindow(8)
    for label in curves.frames.labels:  # the results panel's colours
        assert wf.panel.plot.colour(label) == window.results.chart.colour(label)
    assert wf.panel.plot.markers() == {name: getattr(curves.events, name) for name in ("onset", "apex", "offset")
                                       if curves.events is not None and getattr(curves.events, name) is not None}
    assert window.results.probabilities() == pytest.approx(scored.result.probabilities)  # whole sequence first
    assert wf.export_action.isEnabled() and wf.shown_frame is None

    window.viewer.set_frame(3)  # stepping / scrubbing / playing: the cursor and the results follow
    assert wf.panel.plot.cursor_frame() == 3 and wf.shown_frame == 3
    frame3 = dict(zip(curves.frames.labels, curves.frames.probabilities[3]))
    assert window.results.probabilities() == pytest.approx(frame3)
    assert "frame 4 of 6, last 8 frames" in window.results.source_label.text()
    assert wf.panel.whole_button.isEnabled()
    frames = []
    window.viewer.frameChanged.connect(frames.append)
    window.viewer.play()
    qtbot.waitUntil(lambda: len(frames) >= 2, timeout=10_000)
    window.viewer.pause()
    last = window.viewer.frame_index
    assert wf.panel.plot.cursor_frame() == last
    assert window.results.probabilities() == pytest.approx(
        dict(zip(curves.frames.labels, curves.frames.probabilities[last])))

    plot = wf.panel.plot  # a click on the curves shows that frame
    qtbot.mouseClick(plot, Qt.LeftButton, pos=QPoint(round(plot.frame_x(1)), int(plot.plot_rect().center().y())))
    assert window.viewer.frame_index == 1 and plot.cursor_frame() == 1 and not window.viewer.is_playing
    assert "frame 2 of 6" in window.results.source_label.text()

    wf.panel.whole_button.click()
    assert window.results.probabilities() == pytest.approx(scored.result.probabilities)
    assert "frame" not in window.results.source_label.text() and not wf.panel.whole_button.isEnabled()


def test_export_csv_and_json_round_trip(window, qtbot, tmp_path):
    wf = window.frame_curves
    assert not wf.export_action.isEnabled()
    file_menu = window.menuBar().actions()[0].menu()
    entries = [a.text() for a in file_menu.actions()]
    assert entries.index("Export per-frame probabilities\u2026") == entries.index("Export result\u2026") + 1
    seq = write_sequence(tmp_path / "seq", 5)
    curves = open_sequence(window, qtbot, seq)
    label = window.prompt_set_label()
    for name in ("frames.csv", "frames.json"):
        out = tmp_path / name
        with qtbot.waitSignal(window.banner.messageShown, timeout=30_000,
                              check_params_cb=lambda level, text: "saved" in text):
            wf.export(out)
        if name.endswith(".csv"):
            with open(out, newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            assert [int(r["frame"]) for r in rows] == [0, 1, 2, 3, 4] and {r["path"] for r in rows} == {seq}
            got = np.array([[float(r[c]) for c in curves.frames.labels] for r in rows])
            assert {(r["checkpoint"], r["prompt_set"]) for r in rows} == {(window.controller.checkpoint, label)}
        else:
            data = json.loads(out.read_text(encoding="utf-8"))
            assert data["prompt_set"] == label and data["window"] == "last:8"
            record = data["inputs"][0]
            got = np.array([[f["probabilities"][c] for c in curves.frames.labels] for f in record["frames"]])
            assert record["path"] == seq and record["top"] == curves.frames.sequence_top
        assert np.allclose(got, curves.frames.probabilities, atol=1e-6)

    scan = write_scan(tmp_path / "a.obj")  # a single scan: no curves, the panel hidden, nothing to export
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000):
        window.open_path(scan)
    assert not wf.panel.isVisible() and not wf.export_action.isEnabled() and wf.curves is None
    text = []
    window.banner.messageShown.connect(lambda level, t: text.append(t))
    wf.export(tmp_path / "none.csv")
    assert "No per-frame curves" in text[-1] and not (tmp_path / "none.csv").exists()


def test_a_new_input_cancels_the_curves_being_computed(window, qtbot, tmp_path):
    wf = window.frame_curves
    ready = []
    wf.controller.ready.connect(lambda c: ready.append(c.source))
    first = write_sequence(tmp_path / "first", 8)
    with qtbot.waitSignal(wf.controller.progress, timeout=120_000,
                          check_params_cb=lambda d, t, text: "rendering" in text):
        window.open_path(first)
    stop = wf.controller._stop
    second = write_sequence(tmp_path / "second", 4)
    open_sequence(window, qtbot, second)
    assert ready == [second] and stop.is_set() and len(wf.curves.frames) == 4

    with qtbot.waitSignal(wf.controller.progress, timeout=120_000,
                          check_params_cb=lambda d, t, text: "rendering" in text):
        window.open_path(first)
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000):
        window.open_path(write_scan(tmp_path / "b.obj"))
    assert not wf.controller.running and wf.curves is None and not wf.panel.isVisible()
    assert "frames" not in window._tasks


def test_a_new_window_setting_or_prompt_set_computes_again(window, qtbot, tmp_path):
    wf = window.frame_curves
    seq = write_sequence(tmp_path / "seq", 6)
    open_sequence(window, qtbot, seq)
    with qtbot.waitSignal(wf.controller.ready, timeout=60_000) as sig:
        wf.panel.window_box.setCurrentIndex(wf.panel.window_box.count() - 1)  # cumulative from the first frame
    cumulative = sig.args[0]
    assert cumulative.window == FrameWindow() and window.settings.value(SETTINGS_KEY) == "cumulative"
    whole = window.controller.current.result.probabilities
    assert np.allclose(cumulative.frames.probabilities[-1], list(whole.values()), atol=2e-3)

    base = window.controller.analyzer.prompt_set
    edited = PromptSet("expressions (edited)", {**base.classes, "smirk": ("a face with a smirk",)})
    with qtbot.waitSignal(wf.controller.ready, timeout=60_000) as sig:
        window.prompt_editor.promptSetChanged.emit(edited)
    assert sig.args[0].frames.labels == edited.labels and sig.args[0].prompt_set == "expressions (edited)"
    assert "smirk" in wf.panel.plot._colours and wf.curves is sig.args[0]


def test_the_window_setting_is_remembered(qtbot, tiny_checkpoint, data_dir):
    from .conftest import open_window

    w = open_window(qtbot, tiny_checkpoint, data_dir)
    w.frame_curves.set_window("last:12")
    w.close()
    again = open_window(qtbot, tiny_checkpoint, data_dir)
    try:
        assert again.frame_curves.controller.window == FrameWindow(12)
        assert again.frame_curves.panel.window() == FrameWindow(12)
    finally:
        again.close()


def test_the_event_loop_never_stalls_while_the_curves_compute(window, qtbot, tmp_path):
    """A 10 ms timer records the longest gap between its ticks while a 40-frame sequence's curves compute."""
    seq = tmp_path / "long"
    seq.mkdir()
    for i, bump in enumerate(np.linspace(0.0, 0.3, 40)):
        write_scan(seq / f"{i:03d}.obj", face(float(bump), n=24))
    gaps, last = [], [0.0]

    def tick():
        now = time.perf_counter()
        if last[0]:
            gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    with qtbot.waitSignal(window.controller.resultReady, timeout=120_000):
        window.open_path(str(seq))
    with qtbot.waitSignal(window.frame_curves.controller.ready, timeout=120_000):
        timer.start(10)
    timer.stop()
    worst = max(gaps)
    print(f"\nper-frame curves of 40 frames: {len(gaps)} ticks, longest event-loop gap {1000 * worst:.0f} ms, "
          f"longest render step {1000 * window.frame_curves.controller.max_step_s:.0f} ms, "
          f"timings {window.frame_curves.controller.timings}")
    assert len(gaps) > 5 and worst <= 0.100


def test_closing_the_window_stops_the_curves(window, qtbot, tmp_path):
    wf = window.frame_curves
    with qtbot.waitSignal(wf.controller.progress, timeout=120_000,
                          check_params_cb=lambda d, t, text: "rendering" in text):
        window.open_path(write_sequence(tmp_path / "seq", 8))
    stop = wf.controller._stop
    window.close()
    assert stop.is_set() and not wf.controller.running and wf.controller.current is None
