"""A one-line label that fits the width it is given: the text is elided ("…") instead of widening the window or being
drawn over its neighbours (the status bar's texts overlapped: issue 14, item 17).

:meth:`text` is the whole text; the label shows :meth:`shown_text`. When the text is elided and no tooltip was set,
the tooltip is the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

#: The narrowest a label gets (pixels of text): room for a few characters and the ellipsis.
MIN_TEXT_WIDTH = 48


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight, parent=None):
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self._own_tooltip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    # ---------------------------------------------------------------- text
    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        self._full = str(text)
        self.updateGeometry()
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is drawn now (the whole text, or its elided form)."""
        return super().text()

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt API)
        self._own_tooltip = str(tip)
        self._elide()

    # ---------------------------------------------------------------- size
    def _margins(self) -> int:
        m = self.contentsMargins()
        return m.left() + m.right() + 2 * self.margin() + 2 * self.indent() if self.indent() > 0 else \
            m.left() + m.right() + 2 * self.margin()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + self._margins() + 2, hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        width = min(MIN_TEXT_WIDTH, self.fontMetrics().horizontalAdvance(self._full)) + self._margins() + 2
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        available = max(0, self.contentsRect().width() - 2 * self.margin())
        shown = self.fontMetrics().elidedText(self._full, self._mode, available)
        QLabel.setText(self, shown)
        tip = self._own_tooltip or (self._full if shown != self._full else "")
        QLabel.setToolTip(self, tip)
