"""app.controllers.evidence: the evidence maps of the open input computed off the GUI thread (VTK in short GUI-thread
steps), the same as core.explain's; the prepared input reused for every class; stale work dropped; failures name the
file."""

import numpy as np
import pytest

from app.controllers import evidence as ev
from app.controllers.analysis import AnalysisController
from app.controllers.evidence import EvidenceController
from core.explain import saliency
from core.prompts import PromptSet
from core.scans import Scan

from .conftest import face, write_scan, write_sequence


@pytest.fixture
def analysis(qtbot, tiny_checkpoint):
    c = AnalysisController(device="cpu")
    with qtbot.waitSignal(c.analyzerReady, timeout=60_000):
        c.load_checkpoint(tiny_checkpoint)
    yield c
    c.shutdown()


def open_and_wait(qtbot, analysis, path):
    with qtbot.waitSignal(analysis.resultReady, timeout=60_000,
                          check_params_cb=lambda s: s.result.source == str(path)) as sig:
        analysis.open(str(path))
    return sig.args[0]


def request(qtbot, controller, class_name=None, timeout=60_000):
    with qtbot.waitSignal(controller.ready, timeout=timeout) as sig:
        controller.request(class_name)
    return sig.args[0]


def test_a_scan_gives_cores_map_and_other_classes_reuse_the_prepared_input(qtbot, analysis, tmp_path):
    path = write_scan(tmp_path / "scan.obj", face(0.1, n=20))
    scored = open_and_wait(qtbot, analysis, path)
    controller = EvidenceController(analysis)
    events, activity = [], []
    controller.started.connect(lambda c: events.append(("started", c)))
    controller.activity.connect(activity.append)
    top = request(qtbot, controller)
    assert top.class_name == scored.result.top and events == [("started", "")]
    assert activity == ["evidence: preparing scan.obj", "evidence on scan.obj", ""]  # each change once
    loaded = analysis.loaded.scan
    assert top.scan is loaded and top.values.shape == (loaded.n_vertices,)
    assert top.input.views is scored.result.views  # the analysis's views, not drawn again
    expected = saliency(analysis.analyzer, path, top.class_name)  # core.explain in one go, on this thread
    assert np.array_equal(top.values, expected.values) and np.array_equal(top.input.seen, expected.input.seen)
    assert controller.timings["draw_step_max_s"] < 0.1

    prepared = controller.input
    other = request(qtbot, controller, analysis.analyzer.labels[3])
    assert other.class_name == analysis.analyzer.labels[3] and other.input is prepared
    assert not np.array_equal(other.values, top.values)
    again = request(qtbot, controller, top.class_name)  # already computed: at once
    assert again is top and not controller.busy()


def test_without_the_analysis_views_the_scan_is_drawn_here(qtbot, analysis, tmp_path):
    """Asked before the analysis's result: the model's views of a 3D scan are drawn in GUI-thread steps."""
    path = write_scan(tmp_path / "scan.ply", face(0.15, n=16))
    controller = EvidenceController(analysis)
    with qtbot.waitSignal(analysis.inputLoaded, timeout=60_000):
        analysis.open(path)
    label = analysis.analyzer.labels[1]
    result = request(qtbot, controller, label)
    expected = saliency(analysis.analyzer, path, label)
    assert np.array_equal(result.input.views, expected.input.views)
    assert np.array_equal(result.values, expected.values)


def test_a_point_cloud_has_one_value_per_point(qtbot, analysis, tmp_path):
    cloud = Scan(face(0.1, n=20).vertices, None, "cloud")
    path = write_scan(tmp_path / "cloud.xyz", cloud)
    open_and_wait(qtbot, analysis, path)
    result = request(qtbot, EvidenceController(analysis))
    assert result.scan.is_point_cloud and result.values.shape == (cloud.n_vertices,)
    assert np.array_equal(result.values, saliency(analysis.analyzer, path, result.class_name).values)


def test_a_sequence_uses_the_analysis_dynamic_images_and_waits_for_them(qtbot, analysis, tmp_path):
    seq = write_sequence(tmp_path / "seq", 5)
    controller = EvidenceController(analysis)
    with qtbot.waitSignal(analysis.inputLoaded, timeout=60_000):
        analysis.open(seq)
    label = analysis.analyzer.labels[0]
    with qtbot.waitSignal(controller.ready, timeout=60_000) as sig:
        controller.request(label)  # before the dynamic images exist: it waits for the analysis's
    result = sig.args[0]
    assert result.input.is_sequence and result.input.n_frames == 5
    assert result.scan is analysis.loaded.frames[0] and result.values.shape == (analysis.loaded.scan.n_vertices,)
    assert result.input.views is analysis.current.result.views  # the dynamic images, never re-rendered here
    assert result.seen.mean() > 0.3


def test_a_sequence_stops_waiting_when_its_analysis_fails(qtbot, analysis, tmp_path, monkeypatch):
    from app.controllers import analysis as an

    monkeypatch.setattr(an.RenderJob, "start", lambda self: None)  # the dynamic images never come
    controller = EvidenceController(analysis)
    with qtbot.waitSignal(analysis.inputLoaded, timeout=60_000):
        analysis.open(write_sequence(tmp_path / "seq", 4))
    activity = []
    controller.activity.connect(activity.append)
    controller.request(None)
    qtbot.waitUntil(lambda: activity and activity[-1].startswith("evidence: waiting for the model's views"),
                    timeout=60_000)
    assert controller.busy()
    analysis.failed.emit("seq: rendering failed (no OpenGL)")
    assert activity[-1] == "" and not controller.busy() and controller.input is None


def test_stale_work_is_dropped_when_another_scan_opens(qtbot, analysis, tmp_path):
    first = write_scan(tmp_path / "first.obj", face(0.1, n=20))
    second = write_scan(tmp_path / "second.obj", face(0.2, n=16))
    open_and_wait(qtbot, analysis, first)
    controller = EvidenceController(analysis)
    answers = []
    controller.ready.connect(answers.append)
    controller.request(None)  # the framing worker is on its way when the next scan opens
    scored = open_and_wait(qtbot, analysis, second)
    qtbot.wait(300)
    assert answers == [] and controller.input is None
    result = request(qtbot, controller, scored.result.top)
    assert result.input.source == second and result.scan is analysis.loaded.scan
    assert all(a.input.source == second for a in answers)


def test_a_prompt_set_change_drops_the_maps_but_keeps_the_input(qtbot, analysis, tmp_path):
    path = write_scan(tmp_path / "scan.obj", face(0.1))
    open_and_wait(qtbot, analysis, path)
    controller = EvidenceController(analysis)
    label = analysis.analyzer.labels[0]
    before = request(qtbot, controller, label)
    prepared = controller.input
    edited = PromptSet("edited", {label: ["a face showing something else entirely"], "calm": ["a calm face"]})
    with qtbot.waitSignal(analysis.resultReady, timeout=60_000):
        analysis.set_prompts(edited)
    assert controller.cached(label) is None and controller.input is prepared
    after = request(qtbot, controller, label)
    assert after.input is prepared and not np.array_equal(after.values, before.values)
    with qtbot.waitSignal(controller.failed, timeout=60_000) as sig:
        controller.request("sadness")  # no longer a class
    assert "unknown class 'sadness'" in sig.args[0] and path in sig.args[0]


def test_failures_name_the_file(qtbot, analysis, tmp_path, monkeypatch):
    controller = EvidenceController(analysis)
    with qtbot.waitSignal(controller.failed) as sig:
        controller.request(None)
    assert "open a scan first" in sig.args[0]
    path = write_scan(tmp_path / "scan.obj", face(0.1))
    open_and_wait(qtbot, analysis, path)

    def broken(*_args, **_kwargs):
        raise RuntimeError("no depth buffer")

    monkeypatch.setattr(ev, "depth_images", broken)
    with qtbot.waitSignal(controller.failed, timeout=60_000) as sig:
        controller.request(None)
    assert sig.args[0] == f"Cannot show the evidence: {path}: RuntimeError: no depth buffer"
    assert not controller.busy()
