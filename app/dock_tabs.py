"""Stray dock tab bars: Qt (6.11) leaves a tab bar of an earlier layout pass visible when tabified docks are re-laid
(tabifying the Results and Batch results docks beside the split Model views, restoring a saved layout): a second
"Results | Batch results" bar was drawn over the model views, with its stale geometry.

A tab bar of the main window is in use when it sits against the current dock of its tab group: same left edge and
width, directly below (tabs at the bottom, the default) or above it. :func:`hide_stray_tab_bars` hides the others;
:class:`StrayTabBarSweeper` runs it after every layout change of the window (its LayoutRequest events), once the
layout has settled.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar

#: How far (px) a tab bar may lie from its dock's edge and still count as attached.
SLACK_PX = 2


def _attached(bar: QTabBar, dock: QDockWidget) -> bool:
    b, d = bar.geometry(), dock.geometry()
    if abs(b.x() - d.x()) > SLACK_PX or abs(b.width() - d.width()) > SLACK_PX:
        return False
    return abs(b.top() - (d.bottom() + 1)) <= SLACK_PX or abs((b.bottom() + 1) - d.top()) <= SLACK_PX


def stray_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """The visible dock tab bars of ``window`` (its own children) attached to no dock of their tabs."""
    docks = {d.windowTitle(): d for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()}
    stray = []
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is not window or not bar.isVisible():
            continue
        titles = [bar.tabText(i).replace("&", "") for i in range(bar.count())]
        if not any(_attached(bar, docks[t]) for t in titles if t in docks):
            stray.append(bar)
    return stray


def hide_stray_tab_bars(window: QMainWindow) -> int:
    """Hide the stray tab bars of ``window``; how many were hidden."""
    stray = stray_tab_bars(window)
    for bar in stray:
        bar.hide()
    return len(stray)


class StrayTabBarSweeper(QObject):
    """Hides ``window``'s stray tab bars after each of its layout changes (see the module docstring)."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(lambda: hide_stray_tab_bars(self.window))
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and event.type() in (QEvent.LayoutRequest, QEvent.Show, QEvent.Resize):
            self._timer.start()
        return False


__all__ = ["StrayTabBarSweeper", "hide_stray_tab_bars", "stray_tab_bars"]
