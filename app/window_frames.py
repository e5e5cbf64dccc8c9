"""The per-frame curves of a 4D sequence in the main window (issue 15, item 2): created by MainWindow with one line
(``self.frame_curves = WindowFrames(self)``), it puts app.widgets.frame_curves.FrameCurvesPanel under the viewer
(whose bottom is the 4D timeline) and wires it:

* a 4D sequence's result (AnalysisController.resultReady) starts app.controllers.frames.FramesController on it,
  after the one-shot result, so the curves never delay it; the panel and the status bar show the progress. A new
  input stops it (the panel hides for a single 3D scan); a new prompt set or model stops it and computes again once
  the re-scored result arrives (the rendered frames are kept: only the scoring runs again); so does a new window
  setting (remembered between sessions);
* the cursor follows the viewer's frame (viewer.frameChanged); a click or drag on the curves shows that frame
  (playback pauses);
* once the curves exist, the results panel follows the frame shown (playing, stepping, scrubbing, clicking): that
  frame's probabilities, its source line saying "frame t of T, last 8 frames"; "Whole sequence" on the panel (or a
  new result) brings back the whole sequence's result;
* File ▸ Export per-frame probabilities… (enabled while curves exist) writes them as CSV or JSON
  (core.inference.frame_export), naming the checkpoint and the prompt set as "Export result…" does.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction

from app.controllers.analysis import ScoredResult, error_text
from app.controllers.frames import DEFAULT_WINDOW, FrameCurves, FramesController
from app.widgets.frame_curves import FrameCurvesPanel, window_text
from app.widgets.results_panel import short_name
from core.inference.frame_export import write_frames
from core.inference.frames import FrameWindow
from core.inference.uncertainty import uncertainty

SETTINGS_KEY = "frame_curves_window"
EXPORT_FILTER = "CSV (*.csv);;JSON (*.json)"
WAITING = "per-frame curves: computed once the sequence's result is in"


class WindowFrames(QObject):
    """See the module docstring. ``panel``: the curves; ``controller``: the computation; ``export_action``: the
    File menu's entry; ``shown_frame``: the frame the results panel shows (None: the whole sequence)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.controller = FramesController(self._saved_window(), self)
        self.panel = FrameCurvesPanel()
        self.panel.set_window(self.controller.window)
        self.panel.hide()
        window.centralWidget().layout().addWidget(self.panel)  # under the viewer and its timeline
        self.shown_frame: int | None = None
        self.export_action = QAction("Export per-frame probabilities\u2026", window)
        self.export_action.setStatusTip("Save the per-frame probabilities of the open 4D sequence as CSV or JSON")
        self.export_action.setEnabled(False)
        self.export_action.triggered.connect(self._export_dialog)
        self._add_to_file_menu()

        c = window.controller
        c.inputLoaded.connect(self._on_input_loaded)
        c.resultReady.connect(self._on_result)
        c.promptsApplied.connect(lambda _: self._on_model_changed("the new prompts"))
        c.analyzerReady.connect(lambda _: self._on_model_changed("the new model"))
        window.viewer.frameChanged.connect(self._on_frame)
        self.panel.seekRequested.connect(self._seek)
        self.panel.windowChanged.connect(self.set_window)
        self.panel.wholeSequenceRequested.connect(self.show_whole_sequence)
        self.controller.progress.connect(self._on_progress)
        self.controller.ready.connect(self._on_ready)
        self.controller.failed.connect(self._on_failed)
        window.installEventFilter(self)  # closing the window stops the curves (see eventFilter)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        """The window closes: stop the curves (their rendering must not run on after the viewer is released)."""
        if watched is self.window and event.type() == QEvent.Close:
            self.controller.clear()
        return False

    # ------------------------------------------------------------------------------------------------ set-up
    def _saved_window(self) -> FrameWindow:
        saved = str(self.window.settings.value(SETTINGS_KEY, "") or "")
        try:
            return FrameWindow.parse(saved) if saved else DEFAULT_WINDOW
        except ValueError:  # a hand-edited settings file: the default
            return DEFAULT_WINDOW

    def _add_to_file_menu(self) -> None:
        """After File ▸ Export result…"""
        export = self.window.export_action
        for menu_action in self.window.menuBar().actions():
            menu = menu_action.menu()
            actions = menu.actions() if menu is not None else []
            if export in actions:
                i = actions.index(export)
                menu.insertAction(actions[i + 1] if i + 1 < len(actions) else None, self.export_action)
                return
        raise RuntimeError("the window has no File \u25b8 Export result\u2026 entry to put the export beside")

    @property
    def curves(self) -> FrameCurves | None:
        """The curves of the open sequence (None while computing, for a scan, or when they failed)."""
        curves = self.controller.current
        loaded = self.window.controller.loaded
        return curves if curves is not None and loaded is not None and curves.source == loaded.path else None

    # ------------------------------------------------------------------------------------------------ analysis events
    def _on_input_loaded(self, loaded) -> None:
        self.controller.clear()
        self._set_task("")
        self.export_action.setEnabled(False)
        self.shown_frame = None
        if loaded.is_sequence:
            self.panel.set_sequence(len(loaded.frames), WAITING)
            self.panel.show()
        else:
            self.panel.set_curves(None)
            self.panel.hide()

    def _on_result(self, scored: ScoredResult) -> None:
        """The whole sequence's result (new, or re-scored with new prompts or a new model): the results panel shows
        it (MainWindow did), and the curves are computed for it."""
        c = self.window.controller
        loaded = c.loaded
        self._set_showing(None)
        if (loaded is None or not loaded.is_sequence or c.analyzer is None
                or scored.result.source != loaded.path):
            return
        self.export_action.setEnabled(False)
        self.controller.compute(loaded.frames, loaded.path, c.analyzer, scored.checkpoint, scored.prompt_set)

    def _on_model_changed(self, what: str) -> None:
        if self.controller.running or self.controller.current is not None:
            self.controller.cancel()
            self.export_action.setEnabled(False)
            self._set_task("")
            if self.window.controller.loaded is not None and self.window.controller.loaded.is_sequence:
                self.panel.set_message(f"per-frame curves: waiting for the result with {what}")

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.panel.set_progress(done, total, text)
        self._set_task(text)

    def _on_ready(self, curves: FrameCurves) -> None:
        self._set_task("")
        if curves is not self.curves:
            return
        self.panel.set_curves(curves)
        self.panel.set_cursor(self.window.viewer.frame_index)
        self.export_action.setEnabled(True)

    def _on_failed(self, text: str) -> None:
        self._set_task("")
        self.panel.set_message(text.splitlines()[0] if text else "per-frame curves failed")
        self.window.show_error(text)

    def _set_task(self, text: str) -> None:
        self.window._set_task("frames", text)

    # ------------------------------------------------------------------------------------------------ cursor
    def _on_frame(self, frame: int) -> None:
        self.panel.set_cursor(frame)
        if self.curves is not None:
            self.show_frame(frame)

    def _seek(self, frame: int) -> None:
        viewer = self.window.viewer
        viewer.pause()
        viewer.set_frame(frame)

    def show_frame(self, frame: int) -> None:
        """The results panel shows frame ``frame``'s probabilities (the window ending at it)."""
        curves = self.curves
        scored = self.window.controller.current
        if curves is None or scored is None or not 0 <= frame < len(curves.frames):
            return
        f = curves.frames
        probabilities = {label: float(p) for label, p in zip(f.labels, f.probabilities[frame])}
        top = max(probabilities, key=probabilities.get)
        self.window.results.set_result(probabilities, top, uncertainty(probabilities), curves.source,
                                       scored.checkpoint, self.window.prompt_set_label(curves.prompt_set),
                                       scored.face)
        label = self.window.results.source_label
        label.setText(f"<b>Input:</b> {short_name(curves.source)} \u00b7 frame {frame + 1} of {len(f)}, "
                      f"{window_text(f.window)}")
        label.setToolTip(f"{curves.source}\nframe {frame + 1}: the dynamic image of frames {int(f.starts[frame]) + 1}"
                         f"\u2013{frame + 1} ({int(f.pooled[frame])} pooled)")
        self._set_showing(frame)

    def show_whole_sequence(self) -> None:
        """The results panel shows the whole sequence's result again."""
        scored = self.window.controller.current
        if scored is not None:
            r = scored.result
            self.window.results.set_result(r.probabilities, r.top, scored.uncertainty, r.source, scored.checkpoint,
                                           self.window.prompt_set_label(scored.prompt_set), scored.face)
        self._set_showing(None)

    def _set_showing(self, frame: int | None) -> None:
        self.shown_frame = frame
        self.panel.set_showing_frame(frame is not None)

    # ------------------------------------------------------------------------------------------------ settings
    def set_window(self, window: FrameWindow | str | int) -> None:
        """Use ``window`` for the curves (remembered); the curves of the open sequence are computed again."""
        window = FrameWindow.parse(window)
        self.panel.set_window(window)
        self.window.settings.setValue(SETTINGS_KEY, str(window))
        if self.shown_frame is not None:  # that frame's figures were of the old setting
            self.show_whole_sequence()
        if self.controller.set_window(window):
            self.export_action.setEnabled(False)

    # ------------------------------------------------------------------------------------------------ export
    def _export_dialog(self) -> None:
        curves = self.curves
        if curves is None:
            self.window.show_error("No per-frame curves to export yet: open a 4D sequence and wait for them.")
            return
        stem = Path(curves.source).stem or "sequence"
        path = self.window.ask_save_file("Export per-frame probabilities", EXPORT_FILTER, f"{stem}-frames.csv")
        if path:
            self.window._remember_dir(path)
            self.export(path)

    def export(self, path: str | os.PathLike[str]) -> None:
        """Write the open sequence's curves to ``path`` (.csv or .json), in a worker."""
        curves = self.curves
        if curves is None:
            self.window.show_error("No per-frame curves to export yet: open a 4D sequence and wait for them.")
            return
        job = partial(write_frames, [(curves.source, curves.frames)], os.fspath(path), checkpoint=curves.checkpoint,
                      prompt_set=self.window.prompt_set_label(curves.prompt_set))
        self.window._run(job, returned=lambda p: self.window.show_message(f"Per-frame probabilities saved to {p}",
                                                                          "info"),
                         errored=lambda e: self.window.show_error(f"Cannot export: {error_text(e)}"))
