import numpy as np
import pytest

from app.widgets.viewer import ViewerWidget
from core.scans import Scan

from .conftest import face


def test_mesh_and_point_cloud_are_drawn(viewer):
    scan = face(0.1)
    viewer.show_scan(scan)
    assert viewer.mesh.n_points == scan.n_vertices
    assert viewer.mesh.n_cells == len(scan.faces)
    assert "mesh" in viewer.info.text() and not viewer.timeline.isVisible()
    cloud = Scan(scan.vertices, None, "cloud")
    viewer.show_scan(cloud)
    assert viewer.mesh.n_points == cloud.n_vertices and viewer.mesh.n_cells == cloud.n_vertices  # vertex cells
    assert viewer.actor.prop.style == "Points"
    assert "point cloud" in viewer.info.text()
    assert len(viewer.plotter.actors) == 1  # the previous scan's actor was removed


def test_the_info_line_says_when_reading_capped_the_scan(viewer):
    scan = face(0.1)
    capped = Scan(scan.vertices, scan.faces, "dense.ply", decimated_from=(2_500_000, 5_000_000))
    viewer.show_scan(capped)
    assert "decimated from 2,500,000 vertices, 5,000,000 triangles" in viewer.info.text()
    viewer.show_scan(Scan(scan.vertices, None, "dense.xyz", decimated_from=(900_000, 0)))
    assert "thinned from 900,000" in viewer.info.text()
    viewer.show_scan(scan)
    assert "from" not in viewer.info.text()


def test_sequence_plays_in_place(viewer, qtbot):
    frames = [face(b, source=f"f{i}") for i, b in enumerate(np.linspace(0, 0.3, 6))]
    viewer.show_sequence(frames)
    assert viewer.timeline.isVisible() and viewer.n_frames == 6
    actor, mesh = viewer.actor, viewer.mesh
    seen = []
    viewer.frameChanged.connect(seen.append)
    viewer.set_fps(50)
    viewer.play()
    assert viewer.is_playing and viewer._timer.interval() == 20
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=10_000)
    viewer.pause()
    assert not viewer.is_playing
    assert seen[:3] == [1, 2, 3]
    assert viewer.actor is actor and viewer.mesh is mesh  # same actor and PolyData, points updated in place
    i = viewer.frame_index
    np.testing.assert_array_equal(np.asarray(viewer.mesh.points), frames[i].vertices)
    assert viewer.timeline.slider.value() == i
    viewer.timeline.slider.setValue(5)  # scrubbing
    assert viewer.frame_index == 5
    np.testing.assert_array_equal(np.asarray(viewer.mesh.points), frames[5].vertices)
    assert viewer.timeline.label.text() == "frame 6 / 6"


def test_frames_of_another_topology_keep_the_actor(viewer):
    frames = [face(0.0, n=12), face(0.1, n=10)]
    viewer.show_sequence(frames)
    actor, mesh = viewer.actor, viewer.mesh
    viewer.set_frame(1)
    assert viewer.actor is actor and viewer.mesh is mesh
    assert viewer.mesh.n_points == frames[1].n_vertices
    viewer.set_frame(0)
    assert viewer.mesh.n_points == frames[0].n_vertices


def test_camera_presets_are_the_model_views_and_reset_returns_to_the_front(viewer):
    viewer.show_scan(face(0.1))
    s30, c30 = np.sin(np.radians(30)), np.cos(np.radians(30))
    for name, expected in (("front", (0, 0, 1)), ("left", (-s30, 0, c30)), ("right", (s30, 0, c30))):
        viewer.camera_preset(name)
        np.testing.assert_allclose(viewer.camera_direction(), expected, atol=1e-6)
    viewer.camera_preset("reset")
    np.testing.assert_allclose(viewer.camera_direction(), (0, 0, 1), atol=1e-6)  # R returns to the front
    with pytest.raises(ValueError, match="unknown camera preset"):
        viewer.camera_preset("top")


@pytest.mark.parametrize("key", ["w", "p", "3", "f", "s", "j", "e", "q", "u"])
def test_vtk_key_bindings_do_not_act(viewer, qtbot, key):
    """Issue 14, item 10: VTK's own keys (wireframe, pick box, stereo, fly, exit, ...) are off in the view."""
    from PySide6.QtCore import Qt

    if not viewer.embedded:
        pytest.skip("no interactive VTK view on this Qt platform")
    viewer.show_scan(face(0.1))
    viewer.camera_preset("front")
    before = (viewer.actor.prop.style, viewer.plotter.render_window.GetStereoRender(), viewer.plotter.camera_position)
    viewer.plotter.setFocus()
    qtbot.keyClick(viewer.plotter, key)
    qtbot.keyClick(viewer.plotter, key, Qt.KeyboardModifier.ShiftModifier)
    after = (viewer.actor.prop.style, viewer.plotter.render_window.GetStereoRender(), viewer.plotter.camera_position)
    assert after == before and not viewer._closed
    assert len(viewer.plotter.actors) == 1  # no pick box or other actor added


def test_files_dropped_on_the_view_go_to_the_window(viewer):
    """Issue 14, item 9: pyvistaqt's drop handler drew dropped files over the scan; the view takes no drops now."""
    if not viewer.embedded:
        pytest.skip("no interactive VTK view on this Qt platform")
    assert not viewer.plotter.acceptDrops()


def test_step_frame_moves_through_a_sequence_and_pauses(viewer):
    frames = [face(b, source=f"f{i}") for i, b in enumerate(np.linspace(0, 0.3, 4))]
    viewer.show_sequence(frames)
    viewer.play()
    viewer.step_frame(1)
    assert viewer.frame_index == 1 and not viewer.is_playing
    viewer.step_frame(-2)
    assert viewer.frame_index == 3  # wraps around
    viewer.show_scan(face(0.1))
    viewer.step_frame(1)  # a 3D scan: nothing to step
    assert viewer.n_frames <= 1 and viewer.frame_index == 0


def test_screenshot_png(viewer, tmp_path):
    viewer.show_scan(face(0.2))
    path = viewer.save_screenshot(tmp_path / "shot")
    assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    assert image.shape[0] > 100 and image.std() > 0.01  # not a blank frame: the scan is in it


def test_teardown_leaves_no_stale_qt_wrappers(qtbot):
    """Once the viewer is deleted, no Python wrapper the plotter holds may still claim a live Qt object: a stale
    wrapper (pyvistaqt's GL context surface) made PySide hand a later QAction out as a QOffscreenSurface and
    corrupted the heap at window teardown."""
    import shiboken6
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    v = ViewerWidget()
    v.resize(300, 300)
    v.show()
    qtbot.waitExposed(v)
    v.show_scan(face(0.1))
    plotter = v.plotter
    if hasattr(plotter, "_ctx"):  # pyvistaqt's QOpenGLWidget interactor: its context exists once it has painted
        qtbot.waitUntil(lambda: plotter._ctx is not None, timeout=10_000)
    v.close()
    held = {name: value for name, value in vars(plotter).items() if isinstance(value, shiboken6.Object)}
    v.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not shiboken6.isValid(v)
    stale = [name for name, value in held.items() if shiboken6.isValid(value)]
    assert not stale, f"wrappers of deleted Qt objects still held by the plotter: {stale}"
