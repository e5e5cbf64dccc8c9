"""An inline, non-modal message banner: errors and notices show at the top of the window, never block.

Errors stay until closed, replaced or cleared by the next success (the window clears an error when a result
arrives); information hides itself after INFO_TIMEOUT_MS. Every message shown is also kept in
:attr:`MessageBanner.history` (level, text), newest last. :meth:`MessageBanner.overlay` floats the banner over the top
of a host widget instead of taking a place in a layout, so showing or hiding it never moves what is below.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton

LEVELS = ("info", "warning", "error")
INFO_TIMEOUT_MS = 6000
_STYLE = {
    "info": "background:#e8f1fb; border:1px solid #9cc3ea; color:#123;",
    "warning": "background:#fff6e0; border:1px solid #e8c26a; color:#3a2a00;",
    "error": "background:#fdecea; border:1px solid #e39a93; color:#5a1010;",
}
_ICON = {"info": "\u2139", "warning": "\u26a0", "error": "\u2716"}


class MessageBanner(QFrame):
    """show_message(text, level) / clear(); ``messageShown(level, text)`` is emitted for each message."""

    messageShown = Signal(str, str)
    HISTORY = 200

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.history: list[tuple[str, str]] = []
        self._level = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self._icon = QLabel()
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._text.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        close = QToolButton()
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        layout.addWidget(self._icon)
        layout.addWidget(self._text, 1)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.hide()

    def show_message(self, text: str, level: str = "error") -> None:
        if level not in LEVELS:
            level = "error"
        self._level = level
        self._icon.setText(_ICON[level])
        self._text.setText(text)
        self.setStyleSheet(f"#messageBanner {{{_STYLE[level]} border-radius:4px;}}")
        self.history.append((level, text))
        del self.history[: -self.HISTORY]
        self._timer.stop()
        if level == "info":
            self._timer.start(INFO_TIMEOUT_MS)
        self._place()
        self.show()
        self.messageShown.emit(level, text)

    def clear(self) -> None:
        self._timer.stop()
        self._level = ""
        self._text.clear()
        self.hide()

    def clear_error(self) -> None:
        """Hide the banner if it shows an error or a warning (what the next successful action makes stale)."""
        if self._level in ("error", "warning"):
            self.clear()

    # ---------------------------------------------------------------- overlay
    def overlay(self, host, margin: int = 6) -> None:
        """Float over the top of ``host`` (its full width less ``margin``), above its other children."""
        self._host, self._margin = host, margin
        self.setParent(host)
        self.setAutoFillBackground(True)
        host.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is getattr(self, "_host", None) and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        host = getattr(self, "_host", None)
        if host is None:
            return
        width = max(100, host.width() - 2 * self._margin)
        height = self.layout().heightForWidth(width) if self.layout().hasHeightForWidth() else self.sizeHint().height()
        self.setGeometry(self._margin, self._margin, width, max(height, self.sizeHint().height()))
        self.raise_()

    def text(self) -> str:
        return self._text.text()

    def level(self) -> str:
        return self._level
