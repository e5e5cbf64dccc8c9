"""Start-up of the main window (a mixin of :class:`app.main_window.MainWindow`): which model to load (the command
line's, the last used, the demo's, else the shipped default model), the last session's prompt set and data set, and
the first run — building the demo in a child process behind a non-modal progress dialog (app.controllers.firstrun)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog

from app.controllers.analysis import error_text
from app.controllers.firstrun import FirstRunController, FirstRunOutcome


class WindowStartup:
    """start() after show(); start_first_run(). Uses the window's options, settings, demo, controller, browser,
    use_checkpoint / open_any / open_manifest and its messages."""

    def start(self) -> None:
        """After show(): pick the model (options, last used, the demo's, else the first run) and open the path."""
        from app.controllers.analysis import warm_up_renderer

        try:
            warm_up_renderer()
        except Exception as exc:  # no OpenGL: say so; the window still opens files
            self.show_error(f"Offscreen rendering is not available, the model cannot see scans: {error_text(exc)}")
        checkpoint = self.options.checkpoint or str(self.settings.value("checkpoint", "") or "")
        if checkpoint and not Path(checkpoint).is_file():
            if not self.options.checkpoint:
                checkpoint = ""  # the last used one was moved away: fall back to the demo's
        if not checkpoint and self.demo.is_ready():
            checkpoint = str(self.demo.checkpoint)
        shipped = False
        if not checkpoint:  # first start: the shipped default model is usable at once, the demo set follows
            from core.release.install import shipped_model_dir

            folder = shipped_model_dir()
            if folder is not None:
                checkpoint, shipped = str(folder / "model.ckpt"), True
        self.restore_prompt_set()  # app.window_prompts: the last session's unsaved edits or chosen set
        if checkpoint:
            self.use_checkpoint(checkpoint, self.options.prompts or None)
        if shipped and self.options.first_run:  # the demo set after the model: loading it first keeps start-up short
            self.modelReady.connect(self._first_run_after_model, Qt.SingleShotConnection)
        elif not checkpoint and self.options.first_run:
            self.start_first_run()
        elif not checkpoint:
            self.show_message("No model yet: open a checkpoint (File \u25b8 Open checkpoint\u2026) or train one.",
                              "warning")
        if self.options.path:
            self.open_any(self.options.path)
        elif self.last_dataset() and not self.browser.rows():  # the data set of the last session
            self.open_manifest(self.last_dataset(), select_first=False)
        elif self.demo.has_demo() and not self.browser.rows():
            self.open_manifest(str(self.demo.manifest), select_first=True)

    def _first_run_after_model(self) -> None:
        self.start_first_run()

    def start_first_run(self) -> None:
        """Build the demo in a child process with a (non-modal) progress dialog."""
        if self.firstrun is not None and self.firstrun.running:
            return
        self.firstrun = FirstRunController(self.data_dir, self.options.firstrun_config or None, parent=self)
        dialog = QProgressDialog("Preparing the demo: synthetic scans and a small model (a few minutes, once)",
                                 "Cancel", 0, 1000, self)
        dialog.setWindowTitle("First run")
        dialog.setWindowModality(Qt.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.firstrun.cancel)
        self.firstrun_dialog = dialog
        self.firstrun.progress.connect(self._on_firstrun_progress)
        self.firstrun.finished.connect(self._on_firstrun_finished)
        self._set_task("firstrun", "first run: building the demo")
        dialog.show()
        self.firstrun.start()

    def _on_firstrun_progress(self, fraction: float, message: str) -> None:
        if self.firstrun_dialog is not None:
            self.firstrun_dialog.setValue(int(round(1000 * fraction)))
            self.firstrun_dialog.setLabelText(message)
        self._set_task("firstrun", f"first run: {message}")

    def _on_firstrun_finished(self, outcome: FirstRunOutcome) -> None:
        if self.firstrun_dialog is not None:
            self.firstrun_dialog.hide()
            self.firstrun_dialog.deleteLater()
            self.firstrun_dialog = None
        self._set_task("firstrun", "")
        if outcome.ok:
            self.show_message(f"Demo ready ({outcome.message}): its scans are in the browser.", "info")
            if self.controller.analyzer is None:
                self.use_checkpoint(outcome.checkpoint)
            if not self.browser.rows():
                self.open_manifest(outcome.manifest, select_first=not self.controller.loaded)
        elif outcome.status in ("cancelled", "stopped"):
            self.show_message("First run stopped; it continues where it stopped on the next start. Meanwhile, open "
                              "a checkpoint (File \u25b8 Open checkpoint\u2026).", "warning")
        else:
            self.show_error(outcome.message)
