"""The class probabilities as horizontal bars, most probable first, each labelled with its class and percentage.

Each class keeps its own colour (app.widgets.class_colours, by its place in the prompt set), so the bars match the
per-frame curves of a 4D sequence. Clicking a bar (or its label) emits ``classClicked(label)``; the window shows that
class's evidence on the mesh. The selected class (:meth:`set_selected`) is drawn with a bold label and a frame.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.widgets.class_colours import class_colours

ROW_HEIGHT = 22
STALE_ALPHA = 90


class ProbabilityChart(QWidget):
    """set_probabilities(probabilities in prompt-set order) / set_selected(label) / set_stale(flag).

    Signals: classClicked(str) when a row is clicked.
    """

    classClicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[tuple[str, float]] = []
        self._colours: dict[str, QColor] = {}
        self._selected = ""
        self._stale = False
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Minimum)
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Click a class to show where on the face its evidence lies")

    def set_probabilities(self, probabilities: Mapping[str, float]) -> None:
        """Show ``probabilities`` ({label: p} in prompt-set order: the order fixes each class's colour)."""
        self._colours = class_colours(probabilities)
        self._items = sorted(((str(k), float(v)) for k, v in probabilities.items()), key=lambda kv: -kv[1])
        self._stale = False
        self.updateGeometry()
        self.update()

    def set_selected(self, label: str) -> None:
        """Mark ``label`` as the class whose evidence is shown ('' for none)."""
        self._selected = str(label)
        self.update()

    def selected(self) -> str:
        return self._selected

    def set_stale(self, stale: bool) -> None:
        """Grey the bars out while a new result is on its way."""
        self._stale = stale
        self.update()

    def items(self) -> list[tuple[str, float]]:
        return list(self._items)

    def colour(self, label: str) -> QColor:
        """The colour the bar of ``label`` is drawn in (KeyError for a class not shown)."""
        return QColor(self._colours[label])

    def row_rect(self, label: str) -> QRectF:
        """Where the row of ``label`` is drawn (KeyError for a class not shown)."""
        for row, (name, _) in enumerate(self._items):
            if name == label:
                return QRectF(0, 2 + row * ROW_HEIGHT, self.width(), ROW_HEIGHT)
        raise KeyError(label)

    def label_at(self, y: float) -> str:
        """The class of the row at height ``y`` ('' outside the rows)."""
        row = int((y - 2) // ROW_HEIGHT)
        return self._items[row][0] if 0 <= row < len(self._items) and y >= 2 else ""

    def sizeHint(self) -> QSize:
        return QSize(260, max(1, len(self._items)) * ROW_HEIGHT + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, max(1, len(self._items)) * ROW_HEIGHT + 4)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        label = self.label_at(event.position().y()) if event.button() == Qt.LeftButton else ""
        if label:
            self.classClicked.emit(label)
        super().mouseReleaseEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        plain = self.font()
        bold = QFont(plain)
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        label_w = max((metrics.horizontalAdvance(label) for label, _ in self._items), default=0) + 10
        label_w = min(label_w, self.width() // 2)
        value_w = metrics.horizontalAdvance("100.0 %") + 8
        bar_w = max(10, self.width() - label_w - value_w)
        text = self.palette().text().color()
        for row, (label, p) in enumerate(self._items):
            y = 2 + row * ROW_HEIGHT
            selected = label == self._selected
            painter.setFont(bold if selected else plain)
            text_rect = QRectF(0, y, label_w - 6, ROW_HEIGHT - 4)
            painter.setPen(text)
            painter.drawText(text_rect, Qt.AlignRight | Qt.AlignVCenter,
                             QFontMetrics(painter.font()).elidedText(label, Qt.ElideRight, int(text_rect.width())))
            colour = QColor(self._colours.get(label, QColor("#2f7ed8")))
            if self._stale:
                colour.setAlpha(STALE_ALPHA)
            track = QRectF(label_w, y + 3, bar_w, ROW_HEIGHT - 10)
            painter.setPen(QPen(text, 1.5) if selected else Qt.NoPen)
            painter.setBrush(QColor(0, 0, 0, 18))
            painter.drawRoundedRect(track, 3, 3)
            painter.setPen(Qt.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(label_w, y + 3, max(1.0, bar_w * p), ROW_HEIGHT - 10), 3, 3)
            painter.setPen(text)
            painter.drawText(QRectF(label_w + bar_w + 4, y, value_w, ROW_HEIGHT - 4),
                             Qt.AlignLeft | Qt.AlignVCenter, f"{100 * p:.1f} %")
        painter.end()


__all__ = ["ROW_HEIGHT", "ProbabilityChart"]
