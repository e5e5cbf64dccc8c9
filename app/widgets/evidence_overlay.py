"""The evidence for a class coloured onto the 3D view's scan, with a labelled colour bar.

:class:`EvidenceOverlay` belongs to the :class:`~app.widgets.viewer.ViewerWidget` (its "Evidence" button shows
:attr:`EvidenceOverlay.action`, "Show evidence", whose meaning the window gives it).
:meth:`EvidenceOverlay.show` puts a :class:`~core.explain.VertexSaliency`'s values on the viewer's own mesh (or
point cloud) as point scalars, drawn with a perceptual colour map (viridis: ordered light-to-dark, readable in grey
and by colour-blind viewers) between 0 (no evidence) and 1 (the strongest on this scan); the vertices no view of the model sees (hidden, or cropped away
by the face crop) carry no evidence and are drawn neutral grey, which the colour bar's "not seen" swatch, the info
line and its tooltip say. The colour bar's title names the class ("Evidence for happiness").

:meth:`EvidenceOverlay.hide` restores the normal look exactly: the array is removed, the mapper gets back every
setting it had (scalar visibility, mode, array, range, lookup table, colour mode), the colour bar goes and the info
line is as before. The viewer calls :meth:`EvidenceOverlay.forget` when it draws another scan (its old actor goes).

4D sequences: the map is computed on the dynamic images and carried to the *first* frame's vertices, so showing it
goes to the first frame (pausing playback). On other frames the values stay on their vertices when the frame has the
first frame's vertex count (a registered sequence: each value follows its vertex as it moves); a frame with another
vertex count is drawn plain, the colour bar hidden and the info line saying the evidence belongs to the first frame.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import QToolButton
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkPolyData
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor

from core.explain import VertexSaliency

#: The point array the values are stored in on the viewer's mesh.
EVIDENCE_ARRAY = "evidence"
COLOURMAP = "viridis"
#: Vertices no view of the model sees: neutral grey (the map's colours are all more saturated).
UNSEEN_COLOUR = "#9e9e9e"
TEXT_COLOUR = (0.92, 0.92, 0.92)
#: viridis at 0, 1/4, 1/2, 3/4 and 1 (the icon's swatch).
ICON_STOPS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
TIP = ("Colour the scan by the model's evidence for a class (0 = none, 1 = the strongest on this scan): the "
       "predicted class, or the class clicked in the results. Grey: parts no view of the model sees. (E)")


def bar_title(class_name: str) -> str:
    return f"Evidence for {class_name}"


def evidence_icon(size: int = 16) -> QIcon:
    """The "Show evidence" icon: the colour map as a diagonal swatch (0 = none at the bottom left, 1 at the top
    right), so the button says what it draws without text."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    gradient = QLinearGradient(0, size, size, 0)
    for i, stop in enumerate(ICON_STOPS):
        gradient.setColorAt(i / (len(ICON_STOPS) - 1), QColor(stop))
    painter.setBrush(gradient)
    painter.setPen(QColor("#202020"))
    painter.drawRoundedRect(0, 0, size - 1, size - 1, 3, 3)
    painter.end()
    return QIcon(pixmap)


class EvidenceOverlay(QObject):
    """show(result) / hide() / forget(); action (the "Show evidence" toggle) and button. Signals: shownChanged(bool)
    when the colouring appears or goes."""

    shownChanged = Signal(bool)

    def __init__(self, viewer):
        super().__init__(viewer)
        self.viewer = viewer
        self.action = QAction("Show evidence", viewer)
        self.action.setIconText("Evidence")
        self.action.setIcon(evidence_icon())  # beside the menu entry; the button shows the text
        self.action.setCheckable(True)
        self.action.setToolTip(TIP)
        self.action.setStatusTip(TIP)
        self.button = QToolButton()
        self.button.setDefaultAction(self.action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.result: VertexSaliency | None = None
        self.values: np.ndarray | None = None  # (V,) float32, NaN where no view sees the vertex
        self.bar: vtkScalarBarActor | None = None  # the colour bar while shown
        self._bar: vtkScalarBarActor | None = None  # made once: its text is not laid out again at each show
        self._lut: pv.LookupTable | None = None
        self._actor = None  # the actor coloured, and its mapper's settings before
        self._saved: dict | None = None
        self._info: tuple[str, str] | None = None  # the info line's text and tooltip before
        self._coloured = False
        viewer.frameChanged.connect(self._on_frame)

    # ------------------------------------------------------------------------------------------------ state
    @property
    def shown(self) -> bool:
        """Evidence is on the scan (possibly hidden on a 4D frame with another vertex count)."""
        return self.result is not None

    @property
    def coloured(self) -> bool:
        """The scan drawn now carries the colours."""
        return self._coloured

    @property
    def class_name(self) -> str:
        return self.result.class_name if self.result is not None else ""

    def title(self) -> str:
        """The colour bar's title on one line ("Evidence for happiness"; '' when not shown)."""
        return self.bar.GetTitle().replace("\n", " ") if self.bar is not None else ""

    # ------------------------------------------------------------------------------------------------ show / hide
    def show(self, result: VertexSaliency) -> None:
        """Colour the viewer's scan by ``result`` (computed on that scan: one value per vertex of the first frame).
        ValueError when the values do not fit the scan shown."""
        viewer = self.viewer
        if viewer.actor is None or viewer.mesh is None:
            raise ValueError("no scan is shown to colour")
        first = viewer._frames[0] if viewer._frames else None
        n = len(result.values)
        if first is None or first.n_vertices != n:
            raise ValueError(f"{result.input.source}: the evidence has {n:,} values, the scan shown "
                             f"{0 if first is None else first.n_vertices:,} vertices")
        if self._actor is not None and self._actor is not viewer.actor:
            self.forget()
        values = np.asarray(result.values, dtype=np.float32).copy()
        values[~result.seen] = np.nan
        if viewer.n_frames > 1 and viewer.frame_index != 0:
            viewer.pause()
            viewer.set_frame(0)  # the map belongs to the first frame (frameChanged -> _on_frame: not coloured yet)
        viewer.pause()
        was_shown = self.shown
        self.result, self.values = result, values
        if self._info is None:
            self._info = (viewer.info.text(), viewer.info.toolTip())
        self._ensure_bar()
        self.bar.SetTitle(bar_title(result.class_name).replace(" for ", " for\n"))  # two short lines: a narrow view
        self._apply()
        if not was_shown:
            self.shownChanged.emit(True)

    def hide(self) -> None:
        """Back to the normal look exactly (see the module docstring)."""
        if not self.shown and self.bar is None:
            return
        self._uncolour()
        if self.bar is not None and not self.viewer._closed:
            self.viewer.plotter.renderer.RemoveViewProp(self.bar)
        self.bar = None
        if self._info is not None:
            self.viewer.info.setText(self._info[0])
            self.viewer.info.setToolTip(self._info[1])
        self._info = None
        self._actor = self._saved = None
        was_shown = self.shown
        self.result = self.values = None
        self.viewer._refresh()
        if was_shown:
            self.shownChanged.emit(False)

    def forget(self) -> None:
        """The viewer is drawing another scan (its actor is replaced): drop the colour bar and the values; the
        info line is the new scan's."""
        if self.bar is not None and not self.viewer._closed:
            self.viewer.plotter.renderer.RemoveViewProp(self.bar)
        was_shown = self.shown
        self.bar = self.result = self.values = self._actor = self._saved = self._info = None
        self._coloured = False
        if was_shown:
            self.shownChanged.emit(False)

    # ------------------------------------------------------------------------------------------------ drawing
    def _ensure_bar(self) -> None:
        if self.bar is not None:
            return
        if self._bar is not None:
            self.viewer.plotter.renderer.AddViewProp(self._bar)
            self.bar = self._bar
            return
        lut = pv.LookupTable(cmap=COLOURMAP)
        lut.scalar_range = (0.0, 1.0)
        lut.nan_color = UNSEEN_COLOUR
        lut.SetAnnotation(0.0, "0 = none")
        lut.SetAnnotation(1.0, "1 = strongest")
        self._lut = lut
        bar = vtkScalarBarActor()
        bar.SetLookupTable(lut)
        bar.SetOrientationToVertical()
        bar.SetNumberOfLabels(0)
        bar.SetDrawTickLabels(False)
        bar.SetDrawAnnotations(True)
        bar.SetDrawNanAnnotation(True)
        bar.SetNanAnnotation("not seen")
        bar.SetMaximumWidthInPixels(150)
        bar.SetMaximumHeightInPixels(420)
        bar.SetBarRatio(0.18)
        bar.UnconstrainedFontSizeOn()  # the font sizes below, not text stretched to the bar's box
        bar.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        bar.GetPositionCoordinate().SetValue(0.78, 0.2)
        bar.SetWidth(0.19)
        bar.SetHeight(0.65)
        bar.SetPickable(False)
        for prop in (bar.GetTitleTextProperty(), bar.GetAnnotationTextProperty(), bar.GetLabelTextProperty()):
            prop.SetColor(*TEXT_COLOUR)
            prop.SetShadow(False)
            prop.SetItalic(False)
            prop.SetBold(False)
            prop.SetFontSize(13)
        bar.GetTitleTextProperty().SetBold(True)
        bar.GetTitleTextProperty().SetJustificationToLeft()
        bar.SetTextPositionToSucceedScalarBar()
        bar.AnnotationTextScalingOff()
        self.viewer.plotter.renderer.AddViewProp(bar)
        self.bar = self._bar = bar

    def _apply(self) -> None:
        """Colour the mesh drawn now when it fits the values (see the module docstring), else draw it plain."""
        viewer, values = self.viewer, self.values
        mesh, actor = viewer.mesh, viewer.actor
        if mesh is None or actor is None or values is None or viewer._closed:
            return
        fits = mesh.n_points == len(values)
        if fits:
            mapper = actor.GetMapper()
            if self._saved is None or self._actor is not actor:
                self._actor = actor
                lut = mapper.GetLookupTable()
                self._saved = {"visibility": mapper.GetScalarVisibility(), "mode": mapper.GetScalarMode(),
                               "array": mapper.GetArrayName(), "access": mapper.GetArrayAccessMode(),
                               "range": mapper.GetScalarRange(), "lut": lut, "colour": mapper.GetColorMode(),
                               "interpolate": mapper.GetInterpolateScalarsBeforeMapping()}
            array = numpy_to_vtk(values, deep=True)
            array.SetName(EVIDENCE_ARRAY)
            data = self.drawn_data()
            data.GetPointData().AddArray(array)  # replaces an array of that name
            data.Modified()
            mapper.SetLookupTable(self._lut)
            mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray(EVIDENCE_ARRAY)
            mapper.SetScalarRange(0.0, 1.0)
            mapper.SetColorModeToMapScalars()
            mapper.InterpolateScalarsBeforeMappingOff()
            mapper.ScalarVisibilityOn()
            self._coloured = True
        else:
            self._uncolour()
        self.bar.SetVisibility(fits)
        self._show_info(fits)
        viewer._refresh()

    def drawn_data(self) -> vtkPolyData | None:
        """The data the mapper draws: a mesh's normals filter's output (brought up to date; the values go there, so
        adding them does not run the filter again: ~20 ms of the repaint on a 40k-vertex mesh), a point cloud
        itself."""
        viewer = self.viewer
        if viewer.mesh is None:
            return None
        normals = viewer._normals
        if normals is None:
            return viewer.mesh
        normals.Update()  # a no-op when up to date; after a 4D frame's points changed, what the next paint would do
        return normals.GetOutput()

    def drawn_values(self) -> np.ndarray | None:
        """The values on the drawn data now (NaN: not seen), None when it carries none."""
        data = self.drawn_data()
        array = data.GetPointData().GetArray(EVIDENCE_ARRAY) if data is not None else None
        return None if array is None else vtk_to_numpy(array)

    def _uncolour(self) -> None:
        """The mapper's settings back, the array off the drawn data."""
        data = self.drawn_data()
        if data is not None and data.GetPointData().HasArray(EVIDENCE_ARRAY):
            data.GetPointData().RemoveArray(EVIDENCE_ARRAY)
            data.Modified()
        actor, saved = self._actor, self._saved
        if actor is not None and saved is not None:
            mapper = actor.GetMapper()
            mapper.SetLookupTable(saved["lut"])
            mapper.SetScalarMode(saved["mode"])
            mapper.SetArrayAccessMode(saved["access"])
            mapper.SetArrayName(saved["array"])
            mapper.SetScalarRange(*saved["range"])
            mapper.SetColorMode(saved["colour"])
            mapper.SetInterpolateScalarsBeforeMapping(saved["interpolate"])
            mapper.SetScalarVisibility(saved["visibility"])
        self._coloured = False

    def _show_info(self, fits: bool) -> None:
        base_text, base_tip = self._info or ("", "")
        result = self.result
        n, seen = len(result.values), int(result.seen.sum())
        if fits:
            unseen = n - seen
            text = (f"{base_text} \u00b7 {bar_title(result.class_name).lower()}: grey = seen by no view "
                    f"({unseen:,} of {n:,})")
            where = ("the first frame's mesh (the map of the dynamic images), on every frame of that vertex count"
                     if result.input.is_sequence else "the scan as stored")
            tip = (f"Evidence for {result.class_name} (P {result.probability:.2f}) on {where}: 0 = none, "
                   f"1 = the strongest on this scan ({result.method} on {result.layer}). {unseen:,} of {n:,} "
                   "vertices are seen by no view of the model (hidden, or outside the face crop) and carry no "
                   "evidence: drawn grey.")
        else:
            text = f"{base_text} \u00b7 evidence shown on the first frame only (this frame has another vertex count)"
            tip = "The evidence refers to the first frame's vertices; this frame has another vertex count."
        self.viewer.info.setText(text)
        self.viewer.info.setToolTip("\n".join(filter(None, (base_tip, tip))))

    def _on_frame(self, _index: int) -> None:
        if self.shown:
            self._apply()


__all__ = ["COLOURMAP", "EVIDENCE_ARRAY", "EvidenceOverlay", "UNSEEN_COLOUR", "bar_title"]
