"""Canonical faces in the app: the face flag's warning in the results panel, the viewer's face overlay (nose tip and
crop sphere over the scan as stored, toggled by "Show face crop"), and the flag in the window's exports."""

import csv
import json

import numpy as np
import pytest

from app.widgets.results_panel import ResultsPanel
from app.widgets.viewer import FACE_OK_COLOUR, FACE_WARN_COLOUR, NOSE_MARKER_MM, ViewerWidget
from core.inference.uncertainty import uncertainty
from core.scans.canonical import CanonicalFace, CanonicalSettings, FaceFlag

from .conftest import face, make_checkpoint, open_window

#: The face search takes ~1 s of a 2-core machine per scan, on top of loading, rendering and scoring.
OPEN_TIMEOUT_MS = 120_000
NO_FACE = FaceFlag(False, 14.0, "no face found: residual 14.0 mm (limit 3)")


@pytest.fixture(scope="module")
def canonical_checkpoint(tmp_path_factory) -> str:
    """The tiny model with canonical render settings stored (the defaults): its scans are searched for a face. (The
    session's tiny checkpoint stores none, so it is rendered as before canonical faces, orientation "none".)"""
    config = {"loss": {"tau": 0.07}, "render": {"n_frames": 4, "canonical": {}}}
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "canonical.ckpt", config)


@pytest.fixture
def window(qtbot, canonical_checkpoint, data_dir):
    w = open_window(qtbot, canonical_checkpoint, data_dir)
    assert w.controller.analyzer.render_config.canonical.orientation == "auto"
    yield w
    w.close()
    assert w.viewer._closed


@pytest.fixture(scope="module")
def ict_face_mesh():
    """The ICT Face Model's neutral head (millimetres, +y up, +z forward), moved and rotated so the scan as stored
    is not in canonical coordinates."""
    from core.synth.ict_model import find_and_load_ict

    ict = find_and_load_ict()
    angle = np.radians(25.0)
    rot = np.array([[np.cos(angle), 0.0, np.sin(angle)], [0.0, 1.0, 0.0], [-np.sin(angle), 0.0, np.cos(angle)]])
    vertices = ict.neutral.astype(np.float64) @ rot.T + np.array([40.0, -15.0, 300.0])
    return vertices, np.asarray(ict.faces)


def write_mesh(path, vertices, faces) -> str:
    import trimesh

    trimesh.Trimesh(vertices, faces, process=False).export(str(path))
    return str(path)


def sphere_mesh():
    import trimesh

    ball = trimesh.creation.icosphere(subdivisions=3)
    return ball.vertices * 100.0, ball.faces


def fake_face(ok: bool, mm_per_unit: float = 2.0) -> CanonicalFace:
    """A CanonicalFace of a scan in half-millimetre units with its nose tip at (10, 20, 30)."""
    tip = np.array([10.0, 20.0, 30.0])
    transform = np.eye(4)
    transform[:3, :3] *= mm_per_unit
    transform[:3, 3] = -mm_per_unit * tip
    return CanonicalFace(face(0.1), transform, tip, 0.5 if ok else 14.0, ok, "" if ok else NO_FACE.reason,
                         CanonicalSettings.default())


def actor_centre(actor) -> np.ndarray:
    b = np.asarray(actor.GetBounds(), dtype=float)
    return np.array([(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2])


def actor_radius(actor) -> float:
    b = np.asarray(actor.GetBounds(), dtype=float)
    return float(max(b[1] - b[0], b[3] - b[2], b[5] - b[4]) / 2)


def actor_colour(actor) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in actor.GetProperty().GetColor())


# ------------------------------------------------------------------------------------------------ widgets
def test_results_panel_warns_when_no_face_was_found(qtbot):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show()
    probs = {"happiness": 0.9, "surprise": 0.1}
    panel.set_result(probs, "happiness", uncertainty(probs), "/data/ball.ply", "tiny.ckpt", "expressions", NO_FACE)
    assert panel.face_warning.isVisible()
    text = panel.warning_text()
    assert "no face found: residual 14.0 mm (limit 3)" in text and "unreliable" in text
    panel.set_pending("analysing\u2026")  # a new input: the old warning goes
    assert not panel.face_warning.isVisible() and panel.warning_text() == ""
    panel.set_result(probs, "happiness", uncertainty(probs), "/data/face.ply", "tiny.ckpt", "expressions",
                     FaceFlag(True, 0.4))
    assert not panel.face_warning.isVisible()
    panel.set_result(probs, "happiness", uncertainty(probs), "/data/face.ply", "tiny.ckpt", "expressions")
    assert not panel.face_warning.isVisible()  # no face looked for (orientation "none")
    panel.set_face(NO_FACE)
    assert panel.face_warning.isVisible()
    panel.clear()
    assert not panel.face_warning.isVisible()
    panel.close()


def test_viewer_face_overlay_toggle(qtbot):
    viewer = ViewerWidget()
    qtbot.addWidget(viewer)
    viewer.resize(400, 300)
    viewer.show()
    try:
        scan = face(0.1)
        viewer.show_scan(scan)
        assert not viewer.face_action.isChecked()  # off by default
        found = fake_face(True)
        viewer.set_face(found)
        assert not viewer.face_overlay_shown and len(viewer.plotter.actors) == 1
        viewer.face_action.setChecked(True)
        assert set(viewer.face_actors) == {"face_tip", "face_crop"} and len(viewer.plotter.actors) == 3
        tip, crop = viewer.face_actors["face_tip"], viewer.face_actors["face_crop"]
        np.testing.assert_allclose(actor_centre(tip), found.nose_tip, atol=0.05)
        np.testing.assert_allclose(actor_centre(crop), found.nose_tip, atol=0.5)
        # input units: half millimetres (2 mm per unit)
        assert actor_radius(tip) == pytest.approx(NOSE_MARKER_MM / 2.0, rel=0.05)
        assert actor_radius(crop) == pytest.approx(found.settings.radius_mm / 2.0, rel=0.02)
        assert actor_colour(tip) == FACE_OK_COLOUR and crop.prop.style == "Wireframe"
        # the scan keeps its place (as stored); camera presets fit the scan, not the sphere around it
        np.testing.assert_array_equal(np.asarray(viewer.mesh.points), scan.vertices)
        viewer.camera_preset("reset")
        viewer.set_face(fake_face(False))
        assert actor_colour(viewer.face_actors["face_tip"]) == FACE_WARN_COLOUR
        viewer.face_action.setChecked(False)
        assert not viewer.face_overlay_shown and len(viewer.plotter.actors) == 1
        viewer.face_action.setChecked(True)
        assert viewer.face_overlay_shown
        viewer.show_scan(face(0.2))  # another scan: no overlay until its face arrives
        assert viewer.face is None and not viewer.face_overlay_shown and len(viewer.plotter.actors) == 1
        viewer.set_face(None)
        assert not viewer.face_overlay_shown
    finally:
        viewer.close()
    assert viewer._closed


# ------------------------------------------------------------------------------------------------ the window
def open_and_wait(window, qtbot, path):
    """Open ``path``; (the ScoredResult, the faces the controller emitted on the way)."""
    faces = []
    window.controller.faceFound.connect(faces.append)
    try:
        with qtbot.waitSignal(window.controller.resultReady, timeout=OPEN_TIMEOUT_MS,
                              check_params_cb=lambda s: s.result.source == str(path)) as sig:
            window.open_path(str(path))
    finally:
        window.controller.faceFound.disconnect(faces.append)
    return sig.args[0], faces


def export(window, qtbot, path):
    with qtbot.waitSignal(window.banner.messageShown, timeout=30_000,
                          check_params_cb=lambda level, text: "saved" in text or level == "error") as sig:
        window.export_result(str(path))
    assert sig.args[0] == "info", sig.args[1]
    return path


def test_face_found_overlay_and_export(window, qtbot, tmp_path, ict_face_mesh):
    vertices, faces = ict_face_mesh
    path = write_mesh(tmp_path / "ict_face.ply", vertices, faces)
    scored, emitted = open_and_wait(window, qtbot, path)
    assert len(emitted) == 1 and isinstance(emitted[0], CanonicalFace)
    found = emitted[0]
    assert found.ok and scored.face == found.flag and scored.face.ok
    assert window.controller.face is found and window.viewer.face is found
    assert window.results.warning_text() == "" and not window.results.face_warning.isVisible()
    # the viewer keeps the scan as stored
    np.testing.assert_allclose(np.asarray(window.viewer.mesh.points), vertices, atol=1e-3)
    # the nose tip: the front-most point of the nose of the rotated head (its pronasale lies near the ICT's)
    assert np.linalg.norm(found.nose_tip - vertices[np.argmax(vertices @ window_forward())]) < 15.0

    assert not window.viewer.face_overlay_shown  # off by default
    window.viewer.face_action.trigger()  # the View menu's "Show face crop" / the viewer's "Face crop" button
    assert window.settings.value("show_face_crop", type=bool)
    tip, crop = window.viewer.face_actors["face_tip"], window.viewer.face_actors["face_crop"]
    np.testing.assert_allclose(actor_centre(tip), found.nose_tip, atol=0.05)
    np.testing.assert_allclose(actor_centre(crop), found.nose_tip, atol=1.0)
    assert actor_radius(crop) == pytest.approx(found.settings.radius_mm / found.mm_per_unit, rel=0.02)
    assert actor_colour(tip) == FACE_OK_COLOUR
    assert window.viewer.face_action in window.menuBar().actions()[1].menu().actions()

    csv_path = export(window, qtbot, tmp_path / "face.csv")
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert rows[0]["face_ok"].lower() in ("true", "1") and rows[0]["face_reason"] == ""
    assert float(rows[0]["face_residual_mm"]) == pytest.approx(found.residual_mm, abs=1e-3)


def window_forward() -> np.ndarray:
    """The forward direction (+z of the ICT head) after the rotation of :func:`ict_face_mesh`."""
    angle = np.radians(25.0)
    return np.array([np.sin(angle), 0.0, np.cos(angle)])


def test_no_face_found_warns_and_exports_the_flag(window, qtbot, tmp_path):
    path = write_mesh(tmp_path / "ball.ply", *sphere_mesh())
    scored, emitted = open_and_wait(window, qtbot, path)
    assert len(emitted) == 1 and emitted[0] is not None and not emitted[0].ok
    assert scored.face is not None and not scored.face.ok
    assert window.results.face_warning.isVisible()
    text = window.results.warning_text()
    assert "no face found" in text and "unreliable" in text
    # the overlay is drawn in the warning colour
    window.viewer.face_action.setChecked(True)
    assert actor_colour(window.viewer.face_actors["face_tip"]) == FACE_WARN_COLOUR

    json_path = export(window, qtbot, tmp_path / "ball.json")
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    (row,) = doc["results"]
    flag = row["face"] if isinstance(row.get("face"), dict) else {k[5:]: v for k, v in row.items()
                                                                   if k.startswith("face_")}
    assert flag["ok"] is False and "no face found" in flag["reason"]
    csv_path = export(window, qtbot, tmp_path / "ball.csv")
    with open(csv_path, newline="", encoding="utf-8") as handle:
        (csv_row,) = list(csv.DictReader(handle))
    assert csv_row["face_ok"].lower() in ("false", "0") and "no face found" in csv_row["face_reason"]

    # opening another scan clears the overlay and the warning until its own face and result arrive
    at_load = []
    window.controller.inputLoaded.connect(lambda _: at_load.append(
        (window.viewer.face, window.viewer.face_overlay_shown, window.results.warning_text())))
    scored, emitted = open_and_wait(window, qtbot, write_mesh(tmp_path / "ball2.ply", *sphere_mesh()))
    assert at_load == [(None, False, "")]
    assert window.viewer.face is emitted[0] and window.viewer.face_overlay_shown
    assert "no face found" in window.results.warning_text()


def test_orientation_none_looks_for_no_face(qtbot, tiny_checkpoint, data_dir, tmp_path):
    """A checkpoint from before canonical faces (no canonical settings stored: orientation "none") frames the input
    by its bounding box: no face searched, no warning, an empty face flag in the export, no overlay."""
    from app.controllers.analysis import load_input, prepare_input

    w = open_window(qtbot, tiny_checkpoint, data_dir)
    try:
        render = w.controller.analyzer.render_config
        assert render.canonical.orientation == "none"
        path = write_mesh(tmp_path / "ball.ply", *sphere_mesh())
        prepared = prepare_input(load_input(path), render)
        assert prepared.face is None and prepared.flag is None and len(prepared.geometries) == 1
        scored, emitted = open_and_wait(w, qtbot, path)
        assert emitted == [None] and scored.face is None and w.results.warning_text() == ""
        w.viewer.face_action.setChecked(True)
        assert not w.viewer.face_overlay_shown
        with open(export(w, qtbot, tmp_path / "ball.csv"), newline="", encoding="utf-8") as handle:
            (row,) = list(csv.DictReader(handle))
        assert row["face_ok"] == row["face_residual_mm"] == row["face_reason"] == ""
    finally:
        w.close()


def test_batch_exports_the_face_flag_of_every_input(qtbot, canonical_checkpoint, tmp_path, ict_face_mesh):
    """Scans and a 4D sequence (the first sampled frame's face for all frames) analysed in a batch: each row has its
    face flag."""
    from app.controllers.batch import BatchController
    from core.inference import Analyzer
    from core.inference.export import ExportMeta, read_csv

    vertices, faces = ict_face_mesh
    seq = tmp_path / "seq"
    seq.mkdir()
    for i in range(3):  # the head nods a little: the motion stays under the first frame's transform
        write_mesh(seq / f"{i:03d}.obj", vertices + np.array([0.0, 2.0 * i, 0.0]), faces)
    paths = [write_mesh(tmp_path / "face.ply", vertices, faces), str(seq),
             write_mesh(tmp_path / "ball.ply", *sphere_mesh())]
    analyzer = Analyzer(canonical_checkpoint, device="cpu")
    batch = BatchController()
    with qtbot.waitSignal(batch.finished, timeout=OPEN_TIMEOUT_MS) as sig:
        batch.start(paths, analyzer, tmp_path / "out.csv", ExportMeta("canonical.ckpt", "", analyzer.labels))
    outcome = sig.args[0]
    assert outcome.error is None and outcome.n_failed == 0
    rows = read_csv(outcome.out_path)
    assert [r["path"] for r in rows] == paths
    assert [r["face_ok"] for r in rows] == [True, True, False]
    assert "no face found" in rows[2]["face_reason"] and rows[0]["face_reason"] == ""
    # the same numbers as the analyzer's own render of each input
    for row, path in zip(rows, paths):
        alone = analyzer.analyze(path)
        assert row["face_ok"] == alone.face.ok
        assert row["probabilities"] == pytest.approx(alone.probabilities, rel=1e-3)  # 4 significant digits
