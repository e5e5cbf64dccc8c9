"""Batch analysis from the main window (a mixin of :class:`app.main_window.MainWindow`): start_batch(paths, out)
and start_batch_folder(folder, out) run app.controllers.batch.BatchController with the loaded model; progress goes to
the results panel and the status line, the finished batch's table to the "Batch results" panel; a prompt-set edit
made while a batch runs is applied when it ends (so one batch is scored with one prompt set)."""

from __future__ import annotations

from app.controllers.analysis import error_text
from app.controllers.batch import BatchOutcome
from core.inference.batch_inputs import folder_inputs
from core.inference.export import ExportMeta


class WindowBatch:
    """See the module docstring."""

    def start_batch(self, paths: list, out_path: str) -> bool:
        """Analyse ``paths`` (paths, manifest rows or BatchInputs: a row's label is scored against) and write the
        results to ``out_path`` (.csv / .json). False (with a message) when it cannot start."""
        analyzer = self.controller.analyzer
        if analyzer is None:
            self.show_error("No model loaded yet: wait for it, or open a checkpoint.")
            return False
        if self.batch.running:
            self.show_error("A batch analysis is already running; cancel it first.")
            return False
        meta = ExportMeta(self.controller.checkpoint, self.prompt_set_label(), tuple(analyzer.labels))
        try:
            self.batch.start(paths, analyzer, out_path, meta)
        except ValueError as exc:
            self.show_error(str(exc))
            return False
        return True

    def start_batch_folder(self, folder: str, out_path: str) -> None:
        """The inputs of ``folder`` (in a worker: core.inference.batch_inputs.folder_inputs, so a data-set tree gives
        its sequences and scans with their labels), then :meth:`start_batch`."""

        def found(inputs) -> None:
            if self.start_batch(list(inputs.inputs), out_path):
                self.show_message(inputs.note, "info")

        self._run(folder_inputs, folder, returned=found,
                  errored=lambda e: self._failed(f"Cannot analyse folder: {error_text(e)}"))

    def _on_batch_progress(self, done: int, total: int, path: str) -> None:
        self.results.batch_progress(done, total, path)
        self._set_task("batch", f"batch: {done} / {total}")

    def _on_batch_finished(self, outcome: BatchOutcome) -> None:
        self.last_batch = outcome
        if self._deferred_prompts is not None:
            prompts, self._deferred_prompts = self._deferred_prompts, None
            self.controller.set_prompts(prompts)
        text = outcome.summary()
        self.results.batch_finished(text)
        if outcome.table is not None:  # the results table, computed with the outcome (core.inference.batch_summary)
            self.batch_results.set_summary(outcome.table, text)
            self.show_panel("batch")
        self._set_task("batch", "")
        self.show_message(f"Batch: {text}", "error" if outcome.error else ("warning" if outcome.n_failed else "info"))
