import threading
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication
from superqt.utils import WorkerBase

from app.controllers import frames as frames_module
from app.controllers.frames import DEFAULT_WINDOW, FrameCurves, FramesController, stage_text
from core.inference.frame_events import class_events
from core.inference.frames import FrameWindow, analyze_frames

from .conftest import face


def sequence(n: int, top: float = 0.25) -> tuple:
    return tuple(face(float(b), source=f"f{i}") for i, b in enumerate(np.linspace(0.0, top, n)))


def settle() -> None:
    """Let every worker finish and deliver its answer."""
    WorkerBase.await_workers(30_000)
    for _ in range(5):
        QApplication.processEvents()


@pytest.fixture
def controller(qtbot):
    c = FramesController()
    yield c
    c.clear()
    settle()


def compute(qtbot, controller, frames, analyzer, source="seq", **kw) -> FrameCurves:
    with qtbot.waitSignal(controller.ready, timeout=60_000) as sig:
        controller.compute(frames, source, analyzer, **kw)
    return sig.args[0]


def test_curves_equal_the_core_analysis_with_progress_through_every_stage(qtbot, controller, analyzer):
    frames = sequence(6)
    texts = []
    controller.progress.connect(lambda done, total, text: texts.append((done, total, text)))
    curves = compute(qtbot, controller, frames, analyzer, "a/seq", checkpoint="m.ckpt", prompt_set="emotions")
    assert controller.window == DEFAULT_WINDOW == FrameWindow(8) and curves.window == FrameWindow(8)
    direct = analyze_frames(analyzer, list(frames), FrameWindow(8))
    assert curves.frames.probabilities.shape == (6, len(analyzer.labels))
    assert np.allclose(curves.frames.probabilities, direct.probabilities, atol=1e-6)
    assert curves.frames.labels == direct.labels and curves.source == "a/seq"
    assert curves.events == class_events(direct)
    assert (curves.checkpoint, curves.prompt_set) == ("m.ckpt", "emotions")
    assert controller.current is curves and controller.stage == "done" and not controller.running
    assert texts[0] == (0, 6, "per-frame curves: preparing 6 frames")
    rendered = [t for t in texts if "rendering" in t[2]]
    assert rendered[-1] == (6, 6, "per-frame curves: rendering 6/6 frames")
    assert [t[0] for t in rendered] == sorted(t[0] for t in rendered)
    assert texts[-1] == (7, 7, "per-frame curves: scoring 7/7 windows")  # 6 frames + the whole sequence
    assert stage_text("score", 3, 7) == "per-frame curves: scoring 3/7 windows"
    assert set(controller.timings) == {"prepare_s", "render_s", "score_s", "total_s"}


def test_a_new_window_or_prompt_set_reuses_the_rendered_frames(qtbot, controller, analyzer, monkeypatch):
    prepared = []
    real = frames_module.prepare_frames
    monkeypatch.setattr(frames_module, "prepare_frames", lambda *a: prepared.append(a) or real(*a))
    frames = sequence(5)
    first = compute(qtbot, controller, frames, analyzer)
    assert np.allclose(first.frames.probabilities[-1], first.frames.sequence, atol=1e-6)  # 8 > 5: cumulative
    with qtbot.waitSignal(controller.ready, timeout=60_000) as sig:
        assert controller.set_window("last:3")
    last3 = sig.args[0]
    assert last3.window == FrameWindow(3) and len(prepared) == 1
    assert list(last3.frames.starts) == [0, 0, 0, 1, 2]
    assert np.allclose(last3.frames.probabilities[:3], first.frames.probabilities[:3], atol=1e-6)
    assert not np.allclose(last3.frames.probabilities[3:], first.frames.probabilities[3:], atol=1e-6)
    assert not controller.set_window(FrameWindow(3))  # unchanged: nothing to do
    compute(qtbot, controller, frames, analyzer)  # the same frames (a re-scored result): scoring only
    assert len(prepared) == 1
    compute(qtbot, controller, sequence(5), analyzer)  # other frames: prepared and rendered again
    assert len(prepared) == 2


def test_a_new_request_cancels_the_running_one(qtbot, controller, analyzer):
    answers, texts = [], []
    controller.ready.connect(answers.append)
    controller.progress.connect(lambda d, t, text: texts.append(text))
    stops = []
    with qtbot.waitSignal(controller.progress, timeout=60_000,
                          check_params_cb=lambda d, t, text: "rendering" in text):
        controller.compute(sequence(6), "first", analyzer)
        stops.append(controller._stop)
    with qtbot.waitSignal(controller.ready, timeout=60_000):
        controller.compute(sequence(4), "second", analyzer)
    settle()
    assert [a.source for a in answers] == ["second"] and stops[0].is_set()
    assert len(controller.current.frames) == 4

    controller.ready.disconnect()
    answers.clear()
    controller.ready.connect(answers.append)
    with qtbot.waitSignal(controller.progress, timeout=60_000,
                          check_params_cb=lambda d, t, text: "rendering" in text):
        controller.compute(sequence(6), "third", analyzer)
    controller.clear()  # another input opened
    settle()
    assert answers == [] and controller.current is None and not controller.running


def test_a_result_scored_while_the_prompts_changed_is_dropped(qtbot, controller, analyzer, monkeypatch):
    fake = SimpleNamespace(render_config=analyzer.render_config, prompt_set=analyzer.prompt_set)
    real = frames_module.frame_probabilities

    def scored_while_prompts_change(a, *args):
        out = real(analyzer, *args)
        fake.prompt_set = "another set"  # as AnalysisController.set_prompts would, in its own worker
        return out

    monkeypatch.setattr(frames_module, "frame_probabilities", scored_while_prompts_change)
    answers = []
    controller.ready.connect(answers.append)
    controller.compute(sequence(4), "seq", fake)
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    settle()
    assert answers == [] and controller.current is None


def test_failures_name_the_file_and_a_stop_is_no_failure(qtbot, controller, analyzer, monkeypatch):
    def broken(*args):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(frames_module, "frame_probabilities", broken)
    with qtbot.waitSignal(controller.failed, timeout=60_000) as sig:
        controller.compute(sequence(3), "/data/seq_07", analyzer)
    assert "/data/seq_07" in sig.args[0] and "out of memory" in sig.args[0]
    assert not controller.running

    failures = []
    controller.failed.connect(failures.append)
    monkeypatch.setattr(frames_module, "frame_probabilities", lambda *a: (_ for _ in ()).throw(
        frames_module.AnalysisStopped("stopped")))
    controller.compute(sequence(3), "seq", analyzer)
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    settle()
    assert failures == []
    with pytest.raises(ValueError, match="at least 2 frames"):
        controller.compute(sequence(2)[:1], "one", analyzer)


def test_rendering_runs_on_the_gui_thread_in_steps(qtbot, controller, analyzer, monkeypatch):
    threads, calls = set(), []
    real = frames_module.render_frames

    def spy(prepared, render, out, start, stop):
        threads.add(threading.get_ident())
        calls.append((start, stop))
        return real(prepared, render, out, start, stop)

    monkeypatch.setattr(frames_module, "render_frames", spy)
    monkeypatch.setattr(frames_module, "RENDER_BUDGET_S", 0.0)  # one frame per event-loop turn
    monkeypatch.setattr(frames_module, "PROGRESS_INTERVAL_S", 0.0)  # every step reported
    steps = []
    controller.progress.connect(lambda d, t, text: steps.append(d) if "rendering" in text else None)
    compute(qtbot, controller, sequence(5), analyzer)
    assert threads == {threading.get_ident()} and calls == [(t, t + 1) for t in range(5)]
    assert steps == [1, 2, 3, 4, 5] and controller.max_step_s > 0


def test_progress_is_reported_at_most_every_interval(qtbot, controller, analyzer, monkeypatch):
    monkeypatch.setattr(frames_module, "RENDER_BUDGET_S", 0.0)
    monkeypatch.setattr(frames_module, "PROGRESS_INTERVAL_S", 3600.0)
    texts = []
    controller.progress.connect(lambda d, t, text: texts.append(text))
    compute(qtbot, controller, sequence(5), analyzer)
    assert texts == ["per-frame curves: preparing 5 frames", "per-frame curves: rendering 5/5 frames",
                     "per-frame curves: scoring 6/6 windows"]  # each stage's start or end only
