"""The main window's dialogs (a mixin of app.main_window.MainWindow): file choosers that remember the last folder,
the Open / Export / Analyse / Screenshot dialogs, Help ▸ About and Help ▸ Keyboard shortcuts. They ask, then call
the window's actions (open_path, open_dataset, export_result, start_batch, ...); tests replace ``ask_*``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.controllers.batch import batch_inputs
from core.datasets import FORMATS, read_manifest
from core.scans import SCAN_EXTENSIONS

SCAN_FILTER = "Scans (" + " ".join(f"*{e}" for e in sorted(SCAN_EXTENSIONS)) + ");;All files (*)"
RESULT_FILTER = "CSV (*.csv);;JSON (*.json)"


class WindowDialogs:
    """Mixed into MainWindow (a QMainWindow with settings, browser, controller, viewer and the actions used here)."""

    def ask_open_file(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, title, self._last_dir(), filters)
        return path

    def ask_folder(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self, title, self._last_dir())

    def ask_save_file(self, title: str, filters: str, suggested: str) -> str:
        path, chosen = QFileDialog.getSaveFileName(self, title, str(Path(self._last_dir()) / suggested), filters)
        if path and not Path(path).suffix:
            path += ".json" if "json" in chosen.lower() else ".csv"
        return path

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())) or Path.home())

    def _remember_dir(self, path: str) -> None:
        p = Path(path)
        self.settings.setValue("last_dir", str(p if p.is_dir() else p.parent))

    def _open_scan_dialog(self) -> None:
        path = self.ask_open_file("Open scan", SCAN_FILTER)
        if path:
            self._remember_dir(path)
            self.open_path(path)

    def _open_sequence_dialog(self) -> None:
        path = self.ask_folder("Open 4D sequence folder")
        if path:
            self._remember_dir(path)
            self.open_path(path)

    def _open_dataset_dialog(self, fmt: str | None) -> None:
        fmt = fmt or str(self.browser.format_box.currentData())
        folder = self.ask_folder(f"Open {FORMATS[fmt] + ' ' if fmt in FORMATS else ''}data-set folder")
        if folder:
            self._remember_dir(folder)
            self.open_dataset(folder, fmt, select_first=True)

    def _open_manifest_dialog(self) -> None:
        path = self.ask_open_file("Open manifest", "Manifest (*.csv);;All files (*)")
        if path:
            self._remember_dir(path)
            self.open_manifest(path, select_first=True)

    def _open_checkpoint_dialog(self) -> None:
        path = self.ask_open_file("Open checkpoint", "Checkpoints (*.ckpt *.pt);;All files (*)")
        if path:
            self._remember_dir(path)
            self.use_checkpoint(path)

    def _export_dialog(self) -> None:
        if self.controller.current is None:
            self.show_error("Nothing to export yet: open a scan first.")
            return
        stem = Path(self.controller.current.result.source).stem or "result"
        path = self.ask_save_file("Export result", RESULT_FILTER, f"{stem}.csv")
        if path:
            self._remember_dir(path)
            self.export_result(path)

    def _batch_folder_dialog(self) -> None:
        folder = self.ask_folder("Analyse every scan in folder")
        if not folder:
            return
        out = self.ask_save_file("Save the results as", RESULT_FILTER, f"{Path(folder).name}-results.csv")
        if out:
            self._remember_dir(out)
            self.start_batch_folder(folder, out)

    def _batch_list_dialog(self) -> None:
        rows = self.browser.visible_rows()
        if not rows:
            path = self.ask_open_file("Analyse the scans of manifest", "Manifest (*.csv);;All files (*)")
            if not path:
                return
            try:
                rows = read_manifest(path)
            except (ValueError, OSError) as exc:
                self.show_error(f"Cannot open manifest: {exc}")
                return
        source = Path(self.browser.source() or "list").stem
        out = self.ask_save_file("Save the results as", RESULT_FILTER, f"{source}-results.csv")
        if out:
            self._remember_dir(out)
            self.start_batch(batch_inputs(rows), out)

    def _screenshot_dialog(self) -> None:
        stem = Path(self.controller.loaded.path).stem if self.controller.loaded else "view"
        path = self.ask_save_file("Save 3D screenshot", "PNG image (*.png)", f"{stem}.png")
        if path:
            try:
                saved = self.viewer.save_screenshot(path)
            except (OSError, RuntimeError, ValueError) as exc:
                self.show_error(f"Cannot save the screenshot: {exc}")
                return
            self.show_message(f"Screenshot saved to {saved}", "info")

    # ------------------------------------------------------------------------------------------------ help
    def show_about(self) -> QMessageBox:
        """Help ▸ About: version, what the program does, the components it stands on (a non-modal box)."""
        import platform

        import torch
        import vtkmodules
        from PySide6 import __version__ as pyside_version

        from core import __version__

        text = (
            f"<b>SMILE-VLM Analyzer {__version__}</b><p>Facial-expression analysis of 3D face scans and 4D "
            "sequences: each scan is rendered into three views (left −30°, front 0°, right +30°), embedded by a "
            "multi-view vision-language model and matched to emotion prompts (zero-shot), after the paper "
            "<i>Self-Supervised Multi-View Representation Learning using Vision-Language Model for 3D/4D Facial "
            "Expression Recognition</i> (SMILE-VLM).</p><p>Not a medical device: the shipped model was trained on "
            "synthetic faces only (Help ▸ About this model says what it was trained on and how well it did).</p>"
            f"<p>Python {platform.python_version()} · PyTorch {torch.__version__} · Qt for Python {pyside_version} "
            f"· VTK {getattr(vtkmodules, '__version__', '')}<br>Data folder: {self.data_dir}</p>"
        )
        box = QMessageBox(QMessageBox.Icon.Information, "About SMILE-VLM Analyzer", text,
                          QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setModal(False)
        box.show()
        return box

    def show_shortcuts(self) -> None:
        from app.widgets.shortcuts_dialog import ShortcutsDialog

        ShortcutsDialog(self).show()
