"""The 3D viewer: the scan (mesh or point cloud) in a pyvistaqt QtInteractor, camera presets, screenshots, and a
timeline for 4D sequences.

Coordinates are the scan's own (millimetres, as stored). The presets assume the face looks along +z with +y up (the
datasets' and core.render's convention) and are the model's own views: "front" puts the camera on +z, "left" at the
model's yaw -30° (toward -x, the viewer's left), "right" at +30° (the yaws of resources/render.json); "reset" returns
to the front and fits the scan into the view. Keys: only the window's shortcuts act in the view, VTK's own key
bindings are off (app.widgets.viewer_keys); files dropped on the view open through the window.

On Qt platforms without QOpenGLWidget support (QT_QPA_PLATFORM=offscreen) the view is an off-screen pyvista Plotter
whose picture is shown in a label (no mouse interaction there); everything else works the same.

Changes schedule a repaint (one VTK render per event-loop turn, however many changes) instead of rendering at
once: on a software OpenGL a render of the view costs tens of milliseconds.

The face overlay (:meth:`ViewerWidget.set_face`, toggled by :attr:`ViewerWidget.face_action` "Show face crop", off
by default; the window keeps the choice): the canonical face search's nose tip (a small sphere) and its crop sphere
(a wireframe sphere of ``radius_mm`` around the nose tip), in the scan's own coordinates, so the scan stays as
stored and the overlay shows what the model's views were cut from. A face found is drawn in green; when no face was
found the overlay is still drawn, in amber, so the user sees where the search ended up. Opening another scan (or a
sequence, or clear()) removes the overlay until the new input's face arrives.

The evidence overlay (:attr:`ViewerWidget.evidence`, app.widgets.evidence_overlay; the "Evidence" button) colours
the scan by a class's evidence map, with a labelled colour bar.

A mesh is drawn through a vtkPolyDataNormals filter (smooth shading whose normals follow the points), so a 4D frame
only overwrites the points of the one PolyData in place: the actor, mapper and filter stay the same. A frame with
another vertex count or topology replaces the PolyData's content (still the same object and actor).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyvista as pv
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from pyvistaqt import QtInteractor
from vtkmodules.vtkFiltersCore import vtkPolyDataNormals

from app.widgets.evidence_overlay import EvidenceOverlay
from app.widgets.viewer_keys import VtkKeyBlocker
from core.render import RenderConfig
from core.scans import Scan
from core.scans.canonical import CanonicalFace

#: Camera presets: direction from the scan's centre toward the camera, and the view-up vector.
def _yaw_direction(yaw_deg: float) -> tuple[float, float, float]:
    """The camera direction of a model view at ``yaw_deg`` (core.render's convention: yaw < 0 on the viewer's left)."""
    yaw = np.radians(yaw_deg)
    return (float(np.sin(yaw)), 0.0, float(np.cos(yaw)))


#: Camera presets: the model's own views (resources/render.json yaws: left -30°, front 0°, right +30°).
_MODEL_YAWS = RenderConfig.default().yaws
PRESETS = {
    "front": (_yaw_direction(0.0), (0.0, 1.0, 0.0)),
    "left": (_yaw_direction(min(_MODEL_YAWS)), (0.0, 1.0, 0.0)),
    "right": (_yaw_direction(max(_MODEL_YAWS)), (0.0, 1.0, 0.0)),
}
MESH_COLOUR = "#d8b49c"
POINT_COLOUR = "#c98f6f"
BACKGROUND = "#2b2f36"
#: Face overlay colours: a face found, no face found (the warning colour of the results panel).
FACE_OK_COLOUR = "#3ddc84"
FACE_WARN_COLOUR = "#ffb000"
#: Radius of the nose-tip marker, millimetres (converted to the scan's units with the face's scale).
NOSE_MARKER_MM = 3.0
#: Names of the overlay actors in the plotter.
FACE_ACTORS = ("face_tip", "face_crop")
DEFAULT_FPS = 25
FALLBACK_SIZE = (640, 480)
MAX_FPS = 60


def opengl_widgets_supported() -> bool:
    """False on Qt platforms that cannot host a QOpenGLWidget ("offscreen", "minimal"). There the VTK widget would
    have no OpenGL context of its own and its drawing would land in whatever context is current, e.g. the model
    input renderer's, so the viewer renders off screen into its own context instead and shows the picture."""
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() not in ("offscreen", "minimal")


def _polydata(scan: Scan) -> pv.PolyData:
    if scan.is_point_cloud:
        return pv.PolyData(np.array(scan.vertices, dtype=np.float32))
    faces = np.empty((len(scan.faces), 4), dtype=np.int64)
    faces[:, 0] = 3
    faces[:, 1:] = scan.faces
    return pv.PolyData(np.array(scan.vertices, dtype=np.float32), faces.ravel())


def release_gl_wrappers(plotter) -> None:
    """Drop pyvistaqt's Python wrappers of its QOpenGLWidget's GL context, the context's surface and functions.

    pyvistaqt (0.13) keeps them after the plotter is closed. The surface is a QOffscreenSurface that Qt creates and
    deletes with the widget; PySide got it through a QSurface* (not a QObject*), so it never learns of that deletion
    and the stale wrapper stays in its object map: the next C++ object allocated at that address (a QAction, say) is
    handed out as that QOffscreenSurface, and the heap is corrupted later (the crash at window teardown of issue 6).
    Called after ``plotter.close()``, while the widget and its context are still alive; a no-op for other plotters.
    """
    forget = getattr(plotter, "_forget_context", None)
    if callable(forget):
        forget()


class Timeline(QWidget):
    """Play/pause, a frame slider and a frame-rate spin box for a 4D sequence."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.play_button = QToolButton()
        self.play_button.setCheckable(True)
        self.play_button.setIcon(self.style().standardIcon(QStyle.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause (Space)")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Frame")
        self.fps = QSpinBox()
        self.fps.setRange(1, MAX_FPS)
        self.fps.setValue(DEFAULT_FPS)
        self.fps.setSuffix(" fps")
        self.fps.setToolTip("Frame rate")
        self.label = QLabel()
        self.label.setMinimumWidth(90)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.fps)


def face_overlay_geometry(face: CanonicalFace) -> tuple[np.ndarray, float, float]:
    """(nose tip (3,), nose marker radius, crop sphere radius) of ``face``, in the scan's own coordinates."""
    per_unit = face.mm_per_unit
    per_unit = per_unit if np.isfinite(per_unit) and per_unit > 0 else 1.0
    return (np.asarray(face.nose_tip, dtype=np.float64), NOSE_MARKER_MM / per_unit,
            float(face.settings.radius_mm) / per_unit)


class ViewerWidget(QWidget):
    """show_scan(scan) / show_sequence(frames) / clear(); set_face(face) and face_action (the overlay's toggle);
    presets, screenshot, timeline (see the module docstring).

    Signals: frameChanged(int) when a 4D frame is shown.
    """

    frameChanged = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        self.buttons: dict[str, QToolButton] = {}
        for name, text, tip in (("reset", "Reset", "Back to the front view, the scan fitted (R)"),
                                ("front", "Front", "The model's front view, 0° (1)"),
                                ("left", "Left", "The model's left view, yaw −30° (2)"),
                                ("right", "Right", "The model's right view, yaw +30° (3)")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, n=name: self.camera_preset(n))
            bar.addWidget(button)
            self.buttons[name] = button
        self.face_action = QAction("Show face crop", self)
        self.face_action.setIconText("Face crop")
        self.face_action.setCheckable(True)
        self.face_action.setChecked(False)
        self.face_action.setToolTip("Show the detected nose tip and the crop sphere the model's views are cut from "
                                    "(green: a face found; amber: no face found)")
        self.face_action.toggled.connect(self._update_face_overlay)
        self.face_button = QToolButton()
        self.face_button.setDefaultAction(self.face_action)
        bar.addWidget(self.face_button)
        self.evidence = EvidenceOverlay(self)  # the evidence map's colouring and its "Evidence" button
        bar.addWidget(self.evidence.button)
        self.screenshot_button = QToolButton()
        self.screenshot_button.setText("Screenshot\u2026")
        # the icon alone (File has the words): with the Evidence button the bar still fits a 1024 px window
        self.screenshot_button.setIcon(self.style().standardIcon(QStyle.SP_DialogSaveButton))
        self.screenshot_button.setToolTip("Save the 3D view as a PNG image")
        bar.addWidget(self.screenshot_button)
        self.info = QLabel()
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # long text never widens the window
        bar.addWidget(self.info, 1)
        layout.addLayout(bar)

        self.embedded = opengl_widgets_supported()
        self._pending_frame = False
        if self.embedded:
            self.plotter = QtInteractor(self, auto_update=False, multi_samples=0)
            view: QWidget = self.plotter.interactor
            self.image = None
            # pyvistaqt's own drop handler would draw a dropped file over the scan (viridis, "Unnamed_0" bar):
            # drops go to the window, which opens them like File > Open
            self.plotter.setAcceptDrops(False)
            self._key_blocker = VtkKeyBlocker(self)  # VTK's own keys (w, p, 3, f, ...) never act
            self.plotter.installEventFilter(self._key_blocker)
        else:  # no QOpenGLWidget on this Qt platform: render off screen and show the picture
            self.plotter = pv.Plotter(off_screen=True, window_size=list(FALLBACK_SIZE))
            self.image = QLabel("3D view")
            self.image.setAlignment(Qt.AlignCenter)
            self.image.setMinimumSize(200, 150)
            self.image.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
            view = self.image
        self.plotter.set_background(BACKGROUND)
        if self.embedded:
            self.plotter.enable_anti_aliasing("fxaa")
        layout.addWidget(view, 1)

        self.timeline = Timeline(self)
        policy = self.timeline.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing it for a 4D sequence must not resize (and re-allocate) the
        self.timeline.setSizePolicy(policy)   # 3D view's render window: that cost a ~100 ms repaint in software GL
        self.timeline.hide()
        layout.addWidget(self.timeline)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self.timeline.play_button.toggled.connect(self._on_play_toggled)
        self.timeline.slider.valueChanged.connect(self.set_frame)
        self.timeline.fps.valueChanged.connect(self._on_fps)

        self.mesh: pv.PolyData | None = None
        self.actor = None
        self._normals: vtkPolyDataNormals | None = None
        self._frames: list[Scan] = []
        self._frame = 0
        self._topology: tuple[int, np.ndarray | None] | None = None
        self.face: CanonicalFace | None = None
        self.face_actors: dict = {}
        self._closed = False

    # ------------------------------------------------------------------------------------------------ content
    def show_scan(self, scan: Scan) -> None:
        """Show one scan; the camera looks at its front."""
        self.pause()
        self.set_face(None)
        self._frames = [scan]
        self._frame = 0
        self.timeline.hide()
        self._build(scan)
        self.info.setText(self._describe(scan))
        self.camera_preset("front")

    def show_sequence(self, frames: list[Scan]) -> None:
        """Show a 4D sequence from its first frame, with the timeline (one frame: as a scan)."""
        if len(frames) < 2:
            self.show_scan(frames[0])
            return
        self.pause()
        self.set_face(None)
        self._frames = list(frames)
        self._frame = 0
        self._build(frames[0])
        slider = self.timeline.slider
        slider.blockSignals(True)
        slider.setRange(0, len(frames) - 1)
        slider.setValue(0)
        slider.blockSignals(False)
        self._update_label()
        self.timeline.show()
        self.info.setText(f"{len(frames)} frames \u00b7 {self._describe(frames[0])}")
        self.camera_preset("front")

    def clear(self) -> None:
        self.pause()
        self.set_face(None)
        self._frames = []
        self._frame = 0
        self.timeline.hide()
        self.info.clear()
        self.evidence.forget()
        if self.actor is not None:
            self.plotter.remove_actor(self.actor, render=False)
        self.actor = self.mesh = self._normals = None
        self._topology = None
        self._refresh()

    @staticmethod
    def _describe(scan: Scan) -> str:
        """One line: kind and size, and the size as stored when reading capped it (core.scans.limits)."""
        capped = scan.decimated_from
        if scan.is_point_cloud:
            was = f" (thinned from {capped[0]:,})" if capped else ""
            return f"point cloud, {scan.n_vertices:,} points{was}"
        was = f" (decimated from {capped[0]:,} vertices, {capped[1]:,} triangles)" if capped else ""
        return f"mesh, {scan.n_vertices:,} vertices, {len(scan.faces):,} triangles{was}"

    def _build(self, scan: Scan) -> None:
        self.evidence.forget()
        if self.actor is not None:
            self.plotter.remove_actor(self.actor, render=False)
        self.mesh = _polydata(scan)
        if scan.is_point_cloud:
            self._normals = None
            self.actor = self.plotter.add_mesh(  # splats shrink as the cloud gets denser, 2..8 px
                self.mesh, color=POINT_COLOUR, style="points", render_points_as_spheres=True,
                point_size=float(np.clip(600.0 / np.sqrt(scan.n_vertices), 2.0, 8.0)),
                reset_camera=False, render=False, name="scan",
            )
        else:
            self._normals = vtkPolyDataNormals()
            self._normals.SetInputData(self.mesh)
            self._normals.SplittingOff()
            self._normals.ConsistencyOn()
            self.actor = self.plotter.add_mesh(
                self._normals, color=MESH_COLOUR, specular=0.15, specular_power=20,
                reset_camera=False, render=False, name="scan",
            )
            self.actor.prop.interpolation = "gouraud"  # smooth, with the filter's point normals
        self._topology = (scan.n_vertices, scan.faces)

    # ------------------------------------------------------------------------------------------------ face overlay
    def set_face(self, face: CanonicalFace | None) -> None:
        """The canonical face of the scan shown (None: none); drawn when face_action is checked."""
        self.face = face
        self._update_face_overlay()

    @property
    def face_overlay_shown(self) -> bool:
        return bool(self.face_actors)

    def _remove_face_actors(self) -> None:
        for actor in self.face_actors.values():
            self.plotter.remove_actor(actor, render=False)
        self.face_actors = {}

    def _update_face_overlay(self, *_args) -> None:
        if self._closed:
            return
        had = bool(self.face_actors)
        self._remove_face_actors()
        face = self.face
        if face is not None and self.face_action.isChecked():
            tip, marker, radius = face_overlay_geometry(face)
            colour = FACE_OK_COLOUR if face.ok else FACE_WARN_COLOUR
            self.face_actors["face_tip"] = self.plotter.add_mesh(
                pv.Sphere(radius=marker, center=tip, theta_resolution=16, phi_resolution=16), color=colour,
                reset_camera=False, render=False, name="face_tip", pickable=False,
            )
            self.face_actors["face_crop"] = self.plotter.add_mesh(
                pv.Sphere(radius=radius, center=tip, theta_resolution=24, phi_resolution=12), color=colour,
                style="wireframe", opacity=0.45, line_width=1.0, lighting=False,
                reset_camera=False, render=False, name="face_crop", pickable=False,
            )
            for actor in self.face_actors.values():
                actor.SetUseBounds(False)  # camera presets fit the scan, not the overlay
        if had or self.face_actors:
            self._refresh()

    # ------------------------------------------------------------------------------------------------ 4D
    @property
    def n_frames(self) -> int:
        return len(self._frames)

    @property
    def frame_index(self) -> int:
        return self._frame

    @property
    def is_playing(self) -> bool:
        return self._timer.isActive()

    def step_frame(self, delta: int) -> None:
        """Show the frame ``delta`` frames on (wrapping around), pausing playback; nothing for a 3D scan."""
        if len(self._frames) > 1:
            self.pause()
            self.set_frame(self._frame + int(delta))

    def set_frame(self, index: int) -> None:
        """Show frame ``index`` of the sequence, updating the mesh points in place."""
        if not self._frames or self.mesh is None:
            return
        index = int(index) % len(self._frames)
        scan = self._frames[index]
        n_vertices, faces = self._topology
        same = scan.n_vertices == n_vertices and (
            (scan.faces is None and faces is None)
            or (scan.faces is not None and faces is not None and (scan.faces is faces or np.array_equal(scan.faces, faces)))
        )
        if same:
            self.mesh.points[:] = scan.vertices
        else:
            self.mesh.shallow_copy(_polydata(scan))
            self._topology = (scan.n_vertices, scan.faces)
        self._frame = index
        if self.timeline.slider.value() != index:
            self.timeline.slider.blockSignals(True)
            self.timeline.slider.setValue(index)
            self.timeline.slider.blockSignals(False)
        self._update_label()
        self._refresh()
        self.frameChanged.emit(index)

    def play(self) -> None:
        if len(self._frames) > 1:
            self.timeline.play_button.setChecked(True)

    def pause(self) -> None:
        self.timeline.play_button.setChecked(False)

    def set_fps(self, fps: int) -> None:
        self.timeline.fps.setValue(int(fps))

    def _on_play_toggled(self, on: bool) -> None:
        icon = QStyle.SP_MediaPause if on else QStyle.SP_MediaPlay
        self.timeline.play_button.setIcon(self.style().standardIcon(icon))
        if on and len(self._frames) > 1:
            self._timer.start(max(1, round(1000 / self.timeline.fps.value())))
        else:
            self._timer.stop()

    def _on_fps(self, fps: int) -> None:
        if self._timer.isActive():
            self._timer.start(max(1, round(1000 / fps)))

    def _advance(self) -> None:
        if len(self._frames) > 1:
            self.set_frame((self._frame + 1) % len(self._frames))

    def _update_label(self) -> None:
        self.timeline.label.setText(f"frame {self._frame + 1} / {len(self._frames)}")

    # ------------------------------------------------------------------------------------------------ camera
    def camera_preset(self, name: str) -> None:
        """"reset", "front", "left" or "right" (see the module docstring)."""
        renderer = self.plotter.renderer  # (Plotter.reset_camera renders whatever render= says)
        if name == "reset":  # back to the front view, the scan fitted
            direction, up = PRESETS["front"]
            renderer.view_vector(direction, viewup=up, render=False)
            renderer.reset_camera(render=False)
        elif name in PRESETS:
            direction, up = PRESETS[name]
            renderer.view_vector(direction, viewup=up, render=False)
            renderer.reset_camera(render=False)
        else:
            raise ValueError(f"unknown camera preset {name!r} (known: reset, {', '.join(PRESETS)})")
        self._refresh()

    def _refresh(self) -> None:
        """Schedule one repaint of the 3D view (Qt merges several into one VTK render)."""
        if self._closed:
            return
        if self.embedded:
            QWidget.update(self.plotter)
        elif not self._pending_frame:
            self._pending_frame = True
            QTimer.singleShot(0, self._draw_offscreen)

    def _draw_offscreen(self) -> None:
        self._pending_frame = False
        if self._closed or self.image is None:
            return
        rgb = np.ascontiguousarray(self.plotter.screenshot(None, return_img=True)[..., :3], dtype=np.uint8)
        h, w = rgb.shape[:2]
        picture = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        self.image.setPixmap(QPixmap.fromImage(picture).scaled(self.image.size(), Qt.KeepAspectRatio,
                                                               Qt.SmoothTransformation))

    def camera_direction(self) -> np.ndarray:
        """Unit vector from the focal point toward the camera."""
        position, focal, _ = self.plotter.camera_position
        d = np.asarray(position, dtype=float) - np.asarray(focal, dtype=float)
        return d / (np.linalg.norm(d) or 1.0)

    def save_screenshot(self, path: str | Path) -> Path:
        """Save the 3D view as a PNG; returns the path."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        self.plotter.render()
        self.plotter.screenshot(str(path))
        return path

    # ------------------------------------------------------------------------------------------------ teardown
    def close_plotter(self) -> None:
        """Stop the timeline and release the VTK window (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self.actor = self.mesh = self._normals = None
        self.face, self.face_actors = None, {}
        self.plotter.close()
        release_gl_wrappers(self.plotter)

    def closeEvent(self, event) -> None:
        self.close_plotter()
        super().closeEvent(event)
