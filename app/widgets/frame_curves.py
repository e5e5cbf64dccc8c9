"""The per-frame curves of a 4D sequence under its timeline: one line per class (the results panel's colours,
app.widgets.class_colours, by the class's place in the prompt set), probability 0-1 against the frame, a cursor at
the frame shown, the onset / apex / offset of the sequence's top class marked and labelled, and a legend.

Drawn with QPainter (the lines are built once per size and result, so a repaint at playback rates only draws them).
Clicking or dragging on the curves asks for that frame (``seekRequested(int)``, 0-based); hovering shows the frame's
probabilities. While the curves are computed the panel says how far it is ("per-frame curves: rendering 40/100
frames"); the curves of an earlier setting stay drawn faded meanwhile. The header holds the window setting (which
frames each frame's dynamic image pools: the last 4/8/12/16 frames, or all from the first frame) and "Whole
sequence" (``wholeSequenceRequested``: the results panel goes back to the whole sequence's result). The panel only
shows state; app.window_frames computes and wires it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QToolTip, QVBoxLayout, QWidget

from app.controllers.frames import FrameCurves
from app.widgets.class_colours import class_colours
from app.widgets.elided_label import ElidedLabel
from core.inference.frames import FrameWindow

#: The window settings offered, the first the default (app.controllers.frames.DEFAULT_WINDOW).
WINDOW_CHOICES = (FrameWindow(8), FrameWindow(4), FrameWindow(12), FrameWindow(16), FrameWindow())
WINDOW_TIP = (
    "Each frame's probabilities come from the dynamic image of a window of frames ending at that frame.\n"
    "The last 8 frames (the default) follow the expression as it rises and falls: on 60 held-out synthetic "
    "sequences of 30 frames (benchmarks/frames_apex.py, the default model), the expressed class peaked within 2 "
    "frames of the expression's apex in 48 with the last 8 frames, 28 with the last 12, 15 with the last 4 or 16, "
    "and 6 with the cumulative window.\n"
    "Cumulative (from the first frame) keeps the whole past in every image, so its curve lags and rarely comes "
    "down; its last frame is the whole sequence's result.\n"
    "Fewer frames react faster but are noisier; more frames are smoother but lag."
)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_BOTTOM = 30, 10, 16
LEGEND_H, MARKER_LABEL_H = 16, 14
STALE_ALPHA = 70
CURSOR_COLOUR = QColor("#d62728")
MARKER_COLOUR = QColor("#555555")
MARKERS = ("onset", "apex", "offset")
TITLE = "Per-frame probabilities"
TITLE_TIP = ("The probability of each class at every frame of the sequence (colours as in the results panel); the "
             "marks are the onset, apex and offset of the sequence's most probable class. Click or drag to go to a "
             "frame; hover for a frame's figures.")


def window_text(window: FrameWindow) -> str:
    """The setting in words: "last 8 frames" / "cumulative from the first frame"."""
    return "cumulative from the first frame" if window.last is None else f"last {window.last} frames"


class CurvesPlot(QWidget):
    """The plot itself: set_curves / set_cursor / set_message (see the module docstring).

    Signals: seekRequested(int frame).
    """

    seekRequested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves: FrameCurves | None = None
        self._colours: dict[str, QColor] = {}
        self._cursor = 0
        self._n_frames = 0
        self._message = ""
        self._fraction: float | None = None
        self._stale = False
        self._lines: dict[str, QPolygonF] = {}
        self._lines_for: tuple | None = None
        self._last_seek = -1
        self.setMouseTracking(True)
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setCursor(Qt.PointingHandCursor)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(400, 140)

    # ------------------------------------------------------------------------------------------------ state
    def set_curves(self, curves: FrameCurves | None) -> None:
        """Draw ``curves`` (None: none; the message, if any, is shown alone)."""
        self.curves = curves
        self._colours = class_colours(curves.frames.labels) if curves is not None else {}
        if curves is not None:
            self._n_frames = len(curves.frames)
            self._message, self._fraction, self._stale = "", None, False
        self._lines_for = None
        self.update()

    def set_frame_count(self, n: int) -> None:
        """The number of frames of the open sequence (places the cursor before any curve exists)."""
        self._n_frames = max(0, int(n))
        self.update()

    def set_message(self, text: str, fraction: float | None = None, stale: bool = True) -> None:
        """Show ``text`` (with a progress bar at ``fraction`` 0..1 when given); the curves drawn stay, faded when
        ``stale``."""
        self._message, self._fraction, self._stale = str(text), fraction, bool(stale and self.curves is not None)
        self.update()

    def message(self) -> str:
        return self._message

    def set_cursor(self, frame: int) -> None:
        self._cursor = int(frame)
        self.update()

    def cursor_frame(self) -> int:
        return self._cursor

    def colour(self, label: str) -> QColor:
        """The colour the curve of ``label`` is drawn in (KeyError for a class not shown)."""
        return QColor(self._colours[label])

    def markers(self) -> dict[str, int]:
        """{"onset" / "apex" / "offset": frame} of the events drawn (those within the sequence)."""
        events = self.curves.events if self.curves is not None else None
        if events is None:
            return {}
        return {name: int(getattr(events, name)) for name in MARKERS if getattr(events, name) is not None}

    # ------------------------------------------------------------------------------------------------ geometry
    def plot_rect(self) -> QRectF:
        top = LEGEND_H + MARKER_LABEL_H
        return QRectF(MARGIN_LEFT, top, max(10.0, self.width() - MARGIN_LEFT - MARGIN_RIGHT),
                      max(10.0, self.height() - top - MARGIN_BOTTOM))

    def frame_x(self, frame: float) -> float:
        """The x of ``frame`` (0-based) in the plot."""
        r = self.plot_rect()
        return r.left() + r.width() * float(frame) / max(1, self._n_frames - 1)

    def frame_at(self, x: float) -> int:
        """The frame nearest to ``x`` (clamped to the sequence)."""
        r = self.plot_rect()
        if self._n_frames < 2:
            return 0
        t = round((float(x) - r.left()) / r.width() * (self._n_frames - 1))
        return int(min(self._n_frames - 1, max(0, t)))

    def value_y(self, p: float) -> float:
        r = self.plot_rect()
        return r.bottom() - r.height() * min(1.0, max(0.0, float(p)))

    def _build_lines(self) -> None:
        key = (id(self.curves), self.width(), self.height())
        if key == self._lines_for:
            return
        self._lines = {}
        if self.curves is not None:
            probs = self.curves.frames.probabilities
            xs = [self.frame_x(t) for t in range(len(probs))]
            for c, label in enumerate(self.curves.frames.labels):
                self._lines[label] = QPolygonF([QPointF(x, self.value_y(p)) for x, p in zip(xs, probs[:, c])])
        self._lines_for = key

    # ------------------------------------------------------------------------------------------------ mouse
    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.LeftButton and self._n_frames > 1:
            self._last_seek = -1
            self._seek(event.position().x())
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.buttons() & Qt.LeftButton and self._n_frames > 1:
            self._seek(event.position().x())
        elif self.curves is not None:
            frame = self.frame_at(event.position().x())
            QToolTip.showText(event.globalPosition().toPoint(), self.frame_tooltip(frame), self)
        super().mouseMoveEvent(event)

    def _seek(self, x: float) -> None:
        frame = self.frame_at(x)
        if frame != self._last_seek:
            self._last_seek = frame
            self.seekRequested.emit(frame)

    def frame_tooltip(self, frame: int) -> str:
        """Rich text: frame ``frame`` (shown 1-based, as the timeline), its window and each class's probability."""
        curves = self.curves
        if curves is None:
            return ""
        f = curves.frames
        first = int(f.starts[frame])
        rows = "".join(
            f"<tr><td><span style='color:{self._colours[label].name()}'>\u25a0</span> {label}</td>"
            f"<td align='right'>&nbsp;{100 * float(p):.1f} %</td></tr>"
            for label, p in sorted(zip(f.labels, f.probabilities[frame]), key=lambda lp: -lp[1]))
        marks = [name for name, t in self.markers().items() if t == frame]
        mark = f" \u00b7 {', '.join(marks)} of {curves.events.label}" if marks else ""
        return (f"<b>frame {frame + 1} of {len(f)}</b>{mark}<br>window: frames {first + 1}\u2013{frame + 1} "
                f"({int(f.pooled[frame])} pooled)<table>{rows}</table>")

    # ------------------------------------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        text = self.palette().text().color()
        r = self.plot_rect()
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        metrics = QFontMetrics(small)
        # axes: 0, 0.5 and 1, and the frame numbers at both ends (1-based, as the timeline)
        grid = QColor(text)
        grid.setAlpha(40)
        for p in (0.0, 0.5, 1.0):
            y = self.value_y(p)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 4, 16), Qt.AlignRight | Qt.AlignVCenter, f"{p:g}")
        if self._n_frames > 1:
            painter.drawText(QRectF(r.left() - 20, r.bottom() + 1, 40, MARGIN_BOTTOM), Qt.AlignHCenter, "1")
            painter.drawText(QRectF(r.right() - 30, r.bottom() + 1, 40, MARGIN_BOTTOM), Qt.AlignHCenter,
                             str(self._n_frames))
        if self.curves is not None:
            self._paint_curves(painter, r, metrics, text)
        if self._n_frames > 1:  # the cursor
            x = self.frame_x(min(self._cursor, self._n_frames - 1))
            painter.setPen(QPen(CURSOR_COLOUR, 1.5))
            painter.drawLine(QPointF(x, r.top() - MARKER_LABEL_H / 2), QPointF(x, r.bottom()))
            label = f"frame {self._cursor + 1}"
            w = metrics.horizontalAdvance(label) + 6
            left = min(max(r.left(), x - w / 2), r.right() - w)
            painter.drawText(QRectF(left, r.bottom() + 1, w, MARGIN_BOTTOM), Qt.AlignHCenter, label)
        if self._message:
            self._paint_message(painter, r, metrics, text)
        painter.end()

    def _paint_curves(self, painter: QPainter, r: QRectF, metrics: QFontMetrics, text: QColor) -> None:
        self._build_lines()
        curves = self.curves
        top = curves.events.label if curves.events is not None else curves.frames.sequence_top
        painter.setBrush(Qt.NoBrush)
        for label, line in self._lines.items():  # the top class last: drawn over the others
            if label != top:
                self._draw_line(painter, line, self._colours[label], 1.8)
        if top in self._lines:
            self._draw_line(painter, self._lines[top], self._colours[top], 2.4)
        # onset / apex / offset of the top class (not while the curves are stale: new ones are on their way)
        last_right = -1.0  # labels in frame order (onset <= apex <= offset), each right of the one before
        for name, frame in ({} if self._stale else self.markers()).items():
            x = self.frame_x(frame)
            pen = QPen(MARKER_COLOUR, 1.2, Qt.SolidLine if name == "apex" else Qt.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            w = metrics.horizontalAdvance(name) + 4
            left = {"onset": x - w - 1, "offset": x + 1}.get(name, x - w / 2)  # onset left of its line, offset right
            left = min(max(0.0, left, last_right + 2), self.width() - w)
            last_right = left + w
            painter.setPen(text)
            painter.drawText(QRectF(left, LEGEND_H, w, MARKER_LABEL_H), Qt.AlignHCenter | Qt.AlignVCenter, name)
            if name == "apex":
                colour = QColor(self._colours[top])
                painter.setPen(QPen(text, 1))
                painter.setBrush(colour)
                p = curves.frames.probabilities[frame, curves.frames.labels.index(top)]
                painter.drawEllipse(QPointF(x, self.value_y(p)), 4.0, 4.0)
                painter.setBrush(Qt.NoBrush)
        # legend: a swatch and the name of each class, prompt-set order; the top class in bold
        x = float(MARGIN_LEFT)
        bold = QFont(painter.font())
        bold.setBold(True)
        for label in curves.frames.labels:
            font = bold if label == top else painter.font()
            width = QFontMetrics(font).horizontalAdvance(label)
            if x + 18 + width > self.width() - 4:
                painter.setPen(text)
                painter.drawText(QRectF(x, 0, 20, LEGEND_H), Qt.AlignLeft | Qt.AlignVCenter, "\u2026")
                break
            self._draw_line(painter, QPolygonF([QPointF(x, LEGEND_H / 2), QPointF(x + 14, LEGEND_H / 2)]),
                            self._colours[label], 2.4)
            painter.save()
            painter.setFont(font)
            painter.setPen(text)
            painter.drawText(QRectF(x + 17, 0, width + 2, LEGEND_H), Qt.AlignLeft | Qt.AlignVCenter, label)
            painter.restore()
            x += 17 + width + 12

    def _draw_line(self, painter: QPainter, line: QPolygonF, colour: QColor, width: float) -> None:
        colour = QColor(colour)
        if self._stale:
            colour.setAlpha(STALE_ALPHA)
        painter.setPen(QPen(colour, width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        painter.drawPolyline(line)

    def _paint_message(self, painter: QPainter, r: QRectF, metrics: QFontMetrics, text: QColor) -> None:
        box_w = min(r.width() - 8, metrics.horizontalAdvance(self._message) + 16)
        box = QRectF(r.center().x() - box_w / 2, r.center().y() - 14, box_w, 28 if self._fraction is not None else 20)
        background = QColor(self.palette().window().color())
        background.setAlpha(220)
        path = QPainterPath()
        path.addRoundedRect(box, 4, 4)
        painter.fillPath(path, background)
        painter.setPen(text)
        painter.drawText(QRectF(box.left(), box.top() + 2, box.width(), 16), Qt.AlignHCenter | Qt.AlignVCenter,
                         metrics.elidedText(self._message, Qt.ElideRight, int(box.width() - 8)))
        if self._fraction is not None:
            bar = QRectF(box.left() + 8, box.bottom() - 8, box.width() - 16, 4)
            painter.fillRect(bar, QColor(0, 0, 0, 40))
            painter.fillRect(QRectF(bar.left(), bar.top(), bar.width() * min(1.0, max(0.0, self._fraction)), 4),
                             QColor("#0072b2"))


class FrameCurvesPanel(QWidget):
    """The plot under a header (title, "Whole sequence", the window setting).

    Signals: seekRequested(int frame), windowChanged(object FrameWindow), wholeSequenceRequested().
    """

    seekRequested = Signal(int)
    windowChanged = Signal(object)
    wholeSequenceRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 2)
        layout.setSpacing(0)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(6)
        self.title = ElidedLabel()  # a long text is elided, never widening the window
        self._set_title(TITLE)
        self.whole_button = QToolButton()
        self.whole_button.setText("Whole sequence")
        self.whole_button.setToolTip("Show the whole sequence's result in the results panel (it follows the frame "
                                     "shown after playing, stepping or a click on the curves)")
        self.whole_button.setEnabled(False)
        self.window_box = QComboBox()
        for window in WINDOW_CHOICES:
            self.window_box.addItem(window_text(window), window)
        self.window_box.setToolTip(WINDOW_TIP)
        # narrow when closed (the title needs the room), the whole names in the list
        self.window_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.window_box.setMinimumContentsLength(14)
        self.window_box.view().setMinimumWidth(self.window_box.view().sizeHintForColumn(0) + 24)
        header.addWidget(self.title, 1)
        header.addWidget(self.whole_button)
        header.addWidget(QLabel("window:"))
        header.addWidget(self.window_box)
        layout.addLayout(header)
        self.plot = CurvesPlot()
        layout.addWidget(self.plot)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.plot.seekRequested.connect(self.seekRequested)
        self.whole_button.clicked.connect(self.wholeSequenceRequested)
        self.window_box.currentIndexChanged.connect(lambda i: self.windowChanged.emit(self.window_box.itemData(i)))

    def window(self) -> FrameWindow:
        return self.window_box.currentData()

    def set_window(self, window: FrameWindow) -> None:
        """Select ``window`` (added to the choices when it is not one of them) without emitting windowChanged."""
        box = self.window_box  # (findData compares Python objects by identity, not by value)
        index = next((i for i in range(box.count()) if box.itemData(i) == window), -1)
        if index < 0:
            self.window_box.addItem(window_text(window), window)
            index = self.window_box.count() - 1
        self.window_box.blockSignals(True)
        self.window_box.setCurrentIndex(index)
        self.window_box.blockSignals(False)

    def set_curves(self, curves: FrameCurves | None) -> None:
        self.plot.set_curves(curves)
        if curves is None:
            self._set_title(TITLE)
            return
        events = curves.events
        about = f"{curves.frames.sequence_top} (the sequence's top class)"
        if events is not None:
            where = ", ".join(f"{name} {getattr(events, name) + 1}" for name in MARKERS
                              if getattr(events, name) is not None)
            about = f"{events.label}: {where}"
        self._set_title(f"{TITLE} \u00b7 {about}")

    def _set_title(self, text: str) -> None:
        self.title.setText(text)
        self.title.setToolTip(f"{text}\n\n{TITLE_TIP}")

    def set_progress(self, done: int, total: int, text: str) -> None:
        self.plot.set_message(text, done / total if total > 0 else None)

    def set_message(self, text: str) -> None:
        self.plot.set_message(text)

    def set_sequence(self, n_frames: int, text: str) -> None:
        """A new sequence: no curves yet, ``text`` shown."""
        self.set_curves(None)
        self.plot.set_frame_count(n_frames)
        self.plot.set_cursor(0)
        self.plot.set_message(text)
        self.whole_button.setEnabled(False)

    def set_cursor(self, frame: int) -> None:
        self.plot.set_cursor(frame)

    def set_showing_frame(self, showing: bool) -> None:
        """Whether the results panel shows one frame (then "Whole sequence" can bring the sequence's back)."""
        self.whole_button.setEnabled(bool(showing))


__all__ = ["CurvesPlot", "FrameCurvesPanel", "WINDOW_CHOICES", "WINDOW_TIP", "window_text"]
