"""View ▸ Show evidence: the model's evidence for a class coloured onto the scan (issue 15, item 1).

:class:`WindowEvidence` is made once by the main window (``self.evidence = WindowEvidence(self)``) and ties together
the viewer's overlay (:class:`app.widgets.evidence_overlay.EvidenceOverlay`, whose "Show evidence" action it puts in
the View menu with the key E; the viewer's "Evidence" button is the same action), the results panel and an
:class:`app.controllers.evidence.EvidenceController` that computes the maps off the GUI thread:

* turning it on shows the predicted class's map (once the result is there);
* clicking a class in the results shows that class's map, turning the evidence on; the chart marks the class shown
  (``ProbabilityChart.set_selected``);
* while it is on, every new result (another scan, an edited prompt set, another model) brings the map of the class
  chosen, or of the predicted class when the new prompt set has no such class;
* turning it off restores the normal look; progress is in the status line ("evidence for ..."), a failure in the
  message banner naming the file. The window never waits for it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu

from app.controllers.analysis import ScoredResult
from app.controllers.evidence import EvidenceController
from core.explain import VertexSaliency

SHORTCUT = "E"


class WindowEvidence(QObject):
    """See the module docstring. Signals: shown(str class) when a class's map is on the scan."""

    shown = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.overlay = window.viewer.evidence
        self.controller = EvidenceController(window.controller, parent=self)
        self.action = self.overlay.action
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self._insert_in_view_menu()
        self.chosen: str | None = None  # the class asked for (None: the predicted one)
        self.action.toggled.connect(self._on_toggled)
        window.results.classClicked.connect(self.show_class)
        window.controller.resultReady.connect(self._on_result)
        self.controller.ready.connect(self._on_ready)
        self.controller.failed.connect(self._on_failed)
        self.controller.activity.connect(lambda text: window._set_task("evidence", text))
        window.installEventFilter(self)

    def _insert_in_view_menu(self) -> None:
        """After View ▸ Show face crop (the viewer's other overlay)."""
        face_action = self.window.viewer.face_action
        for menu in self.window.menuBar().findChildren(QMenu):
            actions = menu.actions()
            if face_action in actions:
                after = actions.index(face_action) + 1
                menu.insertAction(actions[after] if after < len(actions) else None, self.action)
                return
        self.window.addAction(self.action)

    # ------------------------------------------------------------------------------------------------ user actions
    def show_class(self, class_name: str) -> None:
        """Show the map of ``class_name`` (a class of the results), turning the evidence on."""
        self.chosen = class_name
        if self.action.isChecked():
            self._request()
        else:
            self.action.setChecked(True)  # -> _on_toggled -> _request

    def _on_toggled(self, on: bool) -> None:
        if on:
            self._request()
        else:
            self.chosen = None
            self.controller.cancel()
            self.overlay.hide()
            self._select("")

    def _request(self) -> None:
        """Ask for the chosen class's map (the predicted class's when none was chosen or the prompt set lost it),
        once the open input has a result."""
        current = self.window.controller.current
        if current is None or self.window.controller.loaded is None:
            return  # _on_result asks when the result comes
        if self.chosen is not None and self.chosen not in current.result.probabilities:
            self.chosen = None
        name = self.chosen or current.result.top
        cached = self.controller.cached(name)
        self._select(name)
        if cached is not None:
            self._on_ready(cached)
        else:
            self.controller.request(name)

    # ------------------------------------------------------------------------------------------------ answers
    def _on_result(self, _scored: ScoredResult) -> None:
        if self.action.isChecked():
            self._request()

    def _on_ready(self, result: VertexSaliency) -> None:
        if not self.action.isChecked():
            return
        try:
            self.overlay.show(result)
        except ValueError as exc:  # the viewer shows another scan than the map's: say so, keep the view
            self.window.show_error(f"Cannot show the evidence: {exc}")
            return
        self._select(result.class_name)
        self.shown.emit(result.class_name)

    def _on_failed(self, message: str) -> None:
        self._select(self.overlay.class_name)  # back to the class still shown
        self.window.show_error(message)

    def _select(self, class_name: str) -> None:
        """Mark the class shown in the chart (only when it changes: each repaint of the window costs)."""
        chart = self.window.results.chart
        if chart.selected() != class_name:
            chart.set_selected(class_name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.controller.shutdown()  # nothing more is drawn or shown once the window closes
        return False
