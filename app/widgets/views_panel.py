"""The model's input: the rendered views actually fed to the network (geometry images for a 3D scan, dynamic images
for a 4D sequence), each with its fusion weight w_i as a number and a bar.

The images are shown as they are: R = shading, G = depth, B = mean curvature (core.render.views).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

THUMB = 112  # the default render size: one screen pixel per model pixel
BAR_STEPS = 1000
BAR_COLOUR = QColor("#2f7ed8")


class WeightBar(QWidget):
    """A thin bar filled to value / BAR_STEPS (painted on the next repaint; QProgressBar repaints synchronously on
    every change, which costs tens of milliseconds beside a software-OpenGL 3D view)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._value = 0
        self.setFixedHeight(8)

    def setValue(self, value: int) -> None:  # noqa: N802 (Qt naming, like QProgressBar)
        self._value = int(min(max(value, 0), BAR_STEPS))
        self.update()

    def value(self) -> int:
        return self._value

    def sizeHint(self) -> QSize:
        return QSize(THUMB, 8)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 30))
        painter.drawRoundedRect(QRectF(0, 0, self.width(), self.height()), 3, 3)
        painter.setBrush(BAR_COLOUR)
        painter.drawRoundedRect(QRectF(0, 0, self.width() * self._value / BAR_STEPS, self.height()), 3, 3)
        painter.end()


def view_pixmap(view: np.ndarray, size: int = THUMB) -> QPixmap:
    """(S, S, 3) uint8 -> a QPixmap scaled to ``size`` px (nearest neighbour: the pixels the model saw)."""
    rgb = np.ascontiguousarray(view, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()  # copy: owns its pixels
    return QPixmap.fromImage(image).scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation)


def yaw_caption(yaw: float) -> str:
    if abs(yaw) < 1e-9:
        return "front (yaw 0\u00b0)"
    return f"{'left' if yaw < 0 else 'right'} (yaw {yaw:+.0f}\u00b0)"


class _ViewCard(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setFixedSize(THUMB, THUMB)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignCenter)
        self.weight = QLabel()
        self.weight.setAlignment(Qt.AlignCenter)
        self.bar = WeightBar()
        for w in (self.image, self.caption, self.weight, self.bar):
            layout.addWidget(w)
        self.setFixedWidth(THUMB + 8)


class ViewsPanel(QWidget):
    """set_views(views, weights, yaws, dynamic) / clear(); weights() and n_views() read back what is shown."""

    def __init__(self, parent=None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("Model views")
        self.title.setToolTip(
            "The pictures the model looks at, one per camera angle (left −30°, front 0°, right +30°).\n"
            "Colours are three measurements of the surface, not the skin: red = shading (light on the surface), "
            "green = depth (nearer is brighter), blue = curvature (bumps and creases).\n"
            "The bar under each picture is the weight the model gave that view when it combined them."
        )
        self.title.setStyleSheet("font-weight:bold")
        outer.addWidget(self.title)
        self._grid = QGridLayout()
        self._grid.setSpacing(8)
        self._grid.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        outer.addLayout(self._grid)
        self.hint = QLabel("Open a scan to see the views the model analyses.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:gray")
        outer.addWidget(self.hint)
        outer.addStretch(1)
        self._cards: list[_ViewCard] = []
        self._n = 0
        self._weights: list[float] = []

    def set_views(self, views: np.ndarray, weights: Sequence[float] | None = None,
                  yaws: Sequence[float] | None = None, dynamic: bool = False) -> None:
        """Show (V, S, S, 3) uint8 views; weights: their fusion weights (None: not scored yet)."""
        views = np.asarray(views)
        if views.ndim != 4 or views.shape[-1] != 3:
            raise ValueError(f"views must be (V, S, S, 3), got shape {views.shape}")
        n = views.shape[0]
        while len(self._cards) < n:
            card = _ViewCard(self)
            self._grid.addWidget(card, 0, len(self._cards))
            self._cards.append(card)
        for i, card in enumerate(self._cards):
            card.setVisible(i < n)
        self._n = n
        kind = "dynamic images (4D)" if dynamic else "geometry images"
        self.title.setText(f"Model views \u2014 {n} {kind}")
        for i in range(n):
            card = self._cards[i]
            card.image.setPixmap(view_pixmap(views[i]))
            card.caption.setText(yaw_caption(yaws[i]) if yaws is not None and i < len(yaws) else f"view {i + 1}")
        self.hint.hide()
        self.set_weights(weights)

    def set_weights(self, weights: Sequence[float] | None) -> None:
        """Update the weights under the current views (None: blank, e.g. while scoring)."""
        self._weights = [float(w) for w in weights] if weights is not None else []
        for i, card in enumerate(self._cards[: self._n]):
            if i < len(self._weights):
                w = self._weights[i]
                card.weight.setText(f"w<sub>{i + 1}</sub> = {w:.3f}")
                card.bar.setValue(int(round(w * BAR_STEPS)))
            else:
                card.weight.setText("w = \u2026")
                card.bar.setValue(0)

    def clear(self) -> None:
        for card in self._cards:
            card.hide()
        self._n = 0
        self._weights = []
        self.title.setText("Model views")
        self.hint.show()

    def n_views(self) -> int:
        return self._n

    def weights(self) -> list[float]:
        return list(self._weights)

    def weight_texts(self) -> list[str]:
        return [card.weight.text() for card in self._cards[: self._n]]
