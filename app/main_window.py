"""The main window: the 3D viewer in the middle; the browser, prompt editor and training panel as tabs on the left;
the results and, below them, the model's views on the right; a message banner and a status bar (device, activity).

Opening: File menu, drag and drop (a scan file, a sequence folder or .npz, a manifest .csv), recent files, the
command line (``smile-vlm app PATH``) and the browser (selecting a row analyses it). Every slow step runs in a worker
or a child process (app.controllers); a failure is shown in the banner and the window keeps what it showed before.
Every file dialog goes through :meth:`MainWindow.ask_open_file` / :meth:`ask_folder` / :meth:`ask_save_file`, and
each action has a method taking the path directly (:meth:`open_path`, :meth:`open_manifest`, :meth:`open_dataset`,
:meth:`export_result`, :meth:`start_batch`), so scripts and tests drive the window without dialogs.

Canonical faces: the viewer shows the scan as stored; View ▸ Show face crop (the viewer's "Face crop" button, off
by default, remembered) overlays the nose tip and crop sphere the controller's face search found (faceFound); the
model's views show the canonical face; when no face was found the results panel says so above the probabilities,
and exports (one result or a batch) carry face_ok, face_residual_mm and face_reason.

Parts of the window live in mixins beside this file: start-up and the first run (app/window_startup.py), batch
analysis (app/window_batch.py), dialogs (app/window_dialogs.py), session state (app/window_session.py), the prompt
set (app/window_prompts.py); the evidence overlay and the per-frame curves are objects the window makes
(app/window_evidence.py, app/window_frames.py).

The model: the status bar names it by its model card (core.model.card, loaded with the Analyzer; "FILE (no model
card)" without one), its tooltip the checkpoint path; Help ▸ About this model… shows the card (ModelCardDialog).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QProgressDialog,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.controllers.analysis import AnalysisController, ScoredResult, device_description, error_text
from app.controllers.batch import BatchController, BatchOutcome
from app.controllers.firstrun import FirstRunController
from app.controllers.workers import start_worker
from app.dock_tabs import StrayTabBarSweeper
from app.window_batch import WindowBatch
from app.window_dialogs import WindowDialogs
from app.window_evidence import WindowEvidence
from app.window_frames import WindowFrames
from app.window_prompts import WindowPrompts
from app.window_session import WindowSession
from app.window_startup import WindowStartup
from app.widgets.batch_results import BatchResultsPanel
from app.widgets.browser import BrowserPanel
from app.widgets.elided_label import ElidedLabel
from app.widgets.messages import MessageBanner
from app.widgets.model_card_dialog import ModelCardDialog
from app.widgets.prompt_editor import PromptEditorPanel
from app.widgets.results_panel import ResultsPanel
from app.widgets.training_panel import TrainingPanel
from app.widgets.viewer import ViewerWidget
from app.widgets.views_panel import ViewsPanel
from core.cli.app_cmd import AppLaunch
from core.datasets import FORMATS, read_manifest, write_manifest
from core.datasets.detect import AUTO, index_folder
from core.firstrun import DemoPaths, data_dir
from core.inference.export import ExportMeta, write_results
from core.inference.predict import PredictionRecord
from core.scans.frame_names import check_frame_names

SETTINGS_FILE = "app.ini"
#: How long a message's first line stays in the status line (ms).
NOTE_MS = 8000
PANELS = ("browser", "prompts", "training", "results", "views", "batch")


@dataclass(frozen=True)
class AppOptions(AppLaunch):
    """How the window starts: :class:`core.cli.app_cmd.AppLaunch` (path, checkpoint, prompts, device, data_dir,
    first_run; paths made absolute, device checked) and firstrun_config, a JSON file over resources/firstrun.json
    (tests use a tiny one)."""

    firstrun_config: str = ""


class MainWindow(WindowStartup, WindowBatch, WindowDialogs, WindowSession, WindowPrompts, QMainWindow):
    """See the module docstring. Signals: modelReady() each time a model is loaded."""

    modelReady = Signal()

    def __init__(self, options: AppOptions | None = None, parent=None):
        super().__init__(parent)
        self.options = options or AppOptions()
        self.data_dir = data_dir(self.options.data_dir or None)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.demo = DemoPaths(self.data_dir)
        self.settings = QSettings(str(self.data_dir / SETTINGS_FILE), QSettings.IniFormat)
        self.setWindowTitle("SMILE-VLM Analyzer")
        self.setAcceptDrops(True)
        self.resize(1280, 900)
        self._closing = False
        self._workers: set = set()
        self.last_batch: BatchOutcome | None = None
        self._deferred_prompts = None
        self._shown_views = None
        self._tasks: dict[str, str] = {}
        self.firstrun: FirstRunController | None = None
        self.firstrun_dialog: QProgressDialog | None = None
        self.model_card_dialog: ModelCardDialog | None = None

        self.controller = AnalysisController(device=self.options.device or None, parent=self)
        self.batch = BatchController(self)

        # central: banner + viewer
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.viewer = ViewerWidget()
        layout.addWidget(self.viewer, 1)
        self.setCentralWidget(central)
        self.banner = MessageBanner()
        self.banner.overlay(central)  # floats over the view: a message never moves the 3D view

        # panels
        self.browser = BrowserPanel()
        self.prompt_editor = PromptEditorPanel()
        self.training = TrainingPanel()
        self.results = ResultsPanel()
        self.views = ViewsPanel()
        self.batch_results = BatchResultsPanel()
        self.docks: dict[str, QDockWidget] = {}
        self._dock("browser", "Browser", self.browser, Qt.LeftDockWidgetArea, scroll=True)
        self._dock("prompts", "Prompts", self.prompt_editor, Qt.LeftDockWidgetArea, scroll=True)
        self._dock("training", "Training", self.training, Qt.LeftDockWidgetArea, scroll=True)
        self._dock("results", "Results", self.results, Qt.RightDockWidgetArea)
        self._dock("views", "Model views", self.views, Qt.RightDockWidgetArea)
        self.splitDockWidget(self.docks["results"], self.docks["views"], Qt.Vertical)
        self.tabifyDockWidget(self.docks["browser"], self.docks["prompts"])
        self.tabifyDockWidget(self.docks["prompts"], self.docks["training"])
        self._dock("batch", "Batch results", self.batch_results, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["results"], self.docks["batch"])  # shown when a batch finishes
        self.docks["results"].raise_()
        self.docks["browser"].raise_()
        self.resizeDocks([self.docks["browser"], self.docks["results"]], [380, 380], Qt.Horizontal)
        self._tab_sweeper = StrayTabBarSweeper(self)  # Qt leaves stale dock tab bars drawn over the panels

        # status bar: elided labels, so a long text never widens the window nor runs into its neighbour
        self.activity_label = ElidedLabel("ready")
        self.model_label = ElidedLabel("model: none")
        self.device_label = ElidedLabel(f"device: {device_description(self.options.device or None)}")
        self.statusBar().addWidget(self.activity_label, 1)
        for label in (self.model_label, self.device_label):  # a rule before each: menu tips never run into them
            rule = QFrame()
            rule.setFrameShape(QFrame.VLine)
            rule.setFrameShadow(QFrame.Sunken)
            self.statusBar().addPermanentWidget(rule)
            self.statusBar().addPermanentWidget(label)
        self._note = ""  # the last message's first line, beside the running tasks for NOTE_MS
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(lambda: self._show_note(""))

        self._build_menus()
        self._connect()
        self.frame_curves = WindowFrames(self)  # per-frame curves under the 4D timeline (app.window_frames)
        self.evidence = WindowEvidence(self)  # View ▸ Show evidence (app.window_evidence)
        self.restore_layout()  # the last session's window size and dock layout (app.window_session)

    # ------------------------------------------------------------------------------------------------ layout
    def _dock(self, key: str, title: str, widget: QWidget, area, scroll: bool = False) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        if scroll:  # a large panel scrolls inside its dock instead of widening the window
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QFrame.NoFrame)
            area_widget.setWidget(widget)
            widget = area_widget
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def show_panel(self, name: str) -> None:
        """Bring panel ``name`` (browser, prompts, training, results, views) to the front."""
        if name not in self.docks:
            raise ValueError(f"unknown panel {name!r} (known: {', '.join(PANELS)})")
        self.docks[name].show()
        self.docks[name].raise_()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")

        def action(menu, text, slot, shortcut=None, tip=""):
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            a.setStatusTip(tip)
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        action(file_menu, "Open scan\u2026", self._open_scan_dialog, "Ctrl+O", "Open a 3D scan file")
        action(file_menu, "Open 4D sequence folder\u2026", self._open_sequence_dialog, "Ctrl+Shift+O",
               "Open a folder of frame files")
        self.recent_menu = file_menu.addMenu("Open recent")
        file_menu.addSeparator()
        action(file_menu, "Open dataset folder\u2026", lambda: self._open_dataset_dialog(None), "",
               "Index a data-set folder (its layout detected, or the one chosen in the browser)")
        action(file_menu, "Open manifest\u2026", self._open_manifest_dialog, "", "Open a manifest CSV")
        action(file_menu, "Open checkpoint\u2026", self._open_checkpoint_dialog, "Ctrl+K", "Use another model")
        file_menu.addSeparator()
        self.export_action = action(file_menu, "Export result\u2026", self._export_dialog, "Ctrl+E",
                                    "Save the current result as CSV or JSON")
        action(file_menu, "Analyse folder\u2026", self._batch_folder_dialog, "", "Analyse every scan in a folder")
        action(file_menu, "Analyse list\u2026", self._batch_list_dialog, "", "Analyse the browser's scans")
        action(file_menu, "Save 3D screenshot\u2026", self._screenshot_dialog, "", "Save the 3D view as PNG")
        file_menu.addSeparator()
        action(file_menu, "Quit", self.close, "Ctrl+Q")

        view_menu = self.menuBar().addMenu("&View")
        for name, text, key in (("reset", "Reset view (front)", "R"), ("front", "Front (0°)", "1"),
                                ("left", "Left (−30°)", "2"), ("right", "Right (+30°)", "3")):
            action(view_menu, text, lambda _=False, n=name: self.viewer.camera_preset(n), key)
        action(view_menu, "Play / pause", self._toggle_play, "Space")
        action(view_menu, "Previous frame", lambda: self.viewer.step_frame(-1), "Left", "Show the previous 4D frame")
        action(view_menu, "Next frame", lambda: self.viewer.step_frame(1), "Right", "Show the next 4D frame")
        face_action = self.viewer.face_action  # the viewer's "Face crop" button, kept across sessions
        face_action.setChecked(self.settings.value("show_face_crop", False, type=bool))
        face_action.toggled.connect(lambda on: self.settings.setValue("show_face_crop", bool(on)))
        view_menu.addAction(face_action)
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        self.about_model_action = action(help_menu, "About this model\u2026", self.show_model_card, "",
                                         "The loaded model's card: how it was trained, its figures and limits")
        self.about_model_action.setEnabled(False)
        action(help_menu, "Keyboard shortcuts…", self.show_shortcuts, "", "Every key of the window and what it does")
        action(help_menu, "About SMILE-VLM Analyzer…", self.show_about, "", "Version, method and components")
        self._rebuild_recent_menu()

    def _connect(self) -> None:
        c = self.controller
        c.analyzerLoading.connect(lambda p: self.model_label.setText(f"model: loading {Path(p).name}\u2026"))
        c.analyzerReady.connect(self._on_analyzer_ready)
        c.analyzerFailed.connect(self.show_error)
        c.inputLoaded.connect(self._on_input_loaded)
        c.faceFound.connect(self.viewer.set_face)
        c.resultReady.connect(self._on_result)
        c.promptsApplied.connect(self._show_prompt_set)
        self.prompt_editor.controller.modifiedChanged.connect(self._show_prompt_set)
        c.failed.connect(self.show_error)
        c.activity.connect(self._on_controller_activity)
        self.browser.scanSelected.connect(lambda row: self.open_path(str(row.path)))
        self.browser.openDatasetRequested.connect(self._open_dataset_dialog)
        self.browser.openManifestRequested.connect(self._open_manifest_dialog)
        self.batch_results.inputActivated.connect(self.open_path)
        self.prompt_editor.promptSetChanged.connect(self._on_prompts_changed)
        self.training.checkpointChosen.connect(self.use_checkpoint)
        self.training.set_prompt_source(lambda: self.prompt_editor.prompt_set)
        self.results.exportRequested.connect(self._export_dialog)
        self.results.batchFolderRequested.connect(self._batch_folder_dialog)
        self.results.batchManifestRequested.connect(self._batch_list_dialog)
        self.results.cancelRequested.connect(self.batch.cancel)
        self.viewer.screenshot_button.clicked.connect(self._screenshot_dialog)
        self.batch.started.connect(self.results.batch_started)
        self.batch.progress.connect(self._on_batch_progress)
        self.batch.finished.connect(self._on_batch_finished)

    # ------------------------------------------------------------------------------------------------ actions
    def use_checkpoint(self, path: str, prompts: str | None = None) -> None:
        """Load a checkpoint (in a worker); remembered for the next start once it loads."""
        self.controller.load_checkpoint(path, prompts)

    def open_any(self, path: str) -> None:
        """A manifest .csv opens in the browser; anything else is analysed (scan, sequence folder, .npz)."""
        if Path(path).suffix.lower() == ".csv":
            self.open_manifest(path, select_first=True)
        else:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Load and analyse a scan file, a 4D sequence folder or a .npz."""
        self.controller.open(os.fspath(path))

    def open_manifest(self, path: str, select_first: bool = False) -> None:
        """Read a manifest CSV (in a worker) into the browser."""
        path = os.fspath(path)
        self._set_task("browser", f"reading {Path(path).name}")
        self._run(read_manifest, path, returned=lambda rows: self._show_rows(rows, path, select_first, path),
                  errored=lambda e: self._failed(f"Cannot open manifest: {error_text(e)}"))

    def open_dataset(self, folder: str, fmt: str = AUTO, select_first: bool = False) -> None:
        """Index a data-set folder (in a worker) into the browser, in layout ``fmt`` or, with "auto", the layout
        core.datasets.detect finds (a failure is one sentence); its manifest is saved under the data folder
        (manifests/) so the training panel can use it."""
        folder = os.fspath(folder)
        fmt = fmt or AUTO
        if fmt != AUTO and fmt not in FORMATS:
            self.show_error(f"Unknown data-set layout {fmt!r} (known: {', '.join(FORMATS)})")
            return
        how = "detecting its layout" if fmt == AUTO else f"as {FORMATS[fmt]}"
        self._set_task("browser", f"indexing {Path(folder).name} ({how})")

        def job():
            found = index_folder(folder, fmt)
            out = self.data_dir / "manifests" / f"{Path(folder).name or 'dataset'}-{found.fmt}.csv"
            return found, write_manifest(found.result.rows, out)

        def done(out_tuple):
            found, manifest = out_tuple
            rows, skipped = found.result.rows, len(found.result.skipped)
            self._show_rows(rows, folder, select_first, str(manifest))
            if skipped:
                self.show_message(f"{skipped} file(s) of {folder} did not fit the {FORMATS[found.fmt]} layout and "
                                  "were skipped", "warning")
            elif found.detection is not None:
                self.show_message(found.detection.message, "info")

        self._run(job, returned=done, errored=lambda e: self._failed(f"Cannot open data set: {error_text(e)}"))

    def _show_rows(self, rows, source: str, select_first: bool, manifest: str) -> None:
        self._set_task("browser", "")
        if not rows:
            self.show_error(f"{source}: no scans listed")
            return
        self.browser.set_rows(rows, source)
        self.banner.clear_error()  # an error of an earlier action is stale once this one succeeded
        self.show_panel("browser")
        self.training.set_default_data(manifest)
        self._add_recent(manifest, dataset=True)  # a data-set folder comes back as its saved manifest
        if select_first:
            self.browser.select_row(0)

    def export_result(self, path: str) -> None:
        """Write the current result (one row) to ``path`` (.csv or .json), in a worker."""
        scored = self.controller.current
        if scored is None:
            self.show_error("Nothing to export yet: open a scan first.")
            return
        record = PredictionRecord(scored.result.source, result=scored.result)
        meta = ExportMeta(scored.checkpoint, self.prompt_set_label(scored.prompt_set),
                          tuple(scored.result.probabilities))
        if self.controller.analyzer is not None:  # the view names (yaws) and prompt texts of the model scoring now
            own = ExportMeta.from_analyzer(self.controller.analyzer)
            meta = ExportMeta(meta.checkpoint, meta.prompt_set, meta.labels, own.yaws, own.prompts)
        self._run(write_results, [record], path, meta,
                  returned=lambda p: self.show_message(f"Result saved to {p}", "info"),
                  errored=lambda e: self._failed(f"Cannot export: {error_text(e)}"))

    def _toggle_play(self) -> None:
        if self.viewer.is_playing:
            self.viewer.pause()
        else:
            self.viewer.play()

    # ------------------------------------------------------------------------------------------------ controller events
    def _on_analyzer_ready(self, analyzer) -> None:
        path = self.controller.checkpoint
        self.about_model_action.setEnabled(True)
        self.device_label.setText(f"device: {device_description(analyzer.device)}")
        if not self.controller.prompts_edited:
            self.prompt_editor.set_prompt_set(analyzer.prompt_set)
        self._show_prompt_set()
        if self.banner.level() == "error":  # e.g. an earlier checkpoint that failed; start-up warnings stay
            self.banner.clear()
        self.settings.setValue("checkpoint", path)
        self.modelReady.emit()

    def prompt_set_label(self, scored_with: str | None = None) -> str:
        """The name of the prompt set the model scores with, as the status bar and exports show it: with
        " (unsaved edits)" when it is the editor's set and differs from its file or shipped set. scored_with: the
        name a result was scored with; returned as it is when it is not the current set's."""
        analyzer = self.controller.analyzer
        if analyzer is None or (scored_with is not None and scored_with != analyzer.prompt_set.name):
            return scored_with or ""
        applied, editor = analyzer.prompt_set, self.prompt_editor
        edited = applied == editor.live_prompt_set and (editor.is_modified or applied != editor.prompt_set)
        return f"{applied.name} (unsaved edits)" if edited else applied.name

    def _show_prompt_set(self, _=None) -> None:
        """Status bar and results panel: the model and the prompt set it scores with now (after a load, an import,
        an added class, a save...)."""
        analyzer = self.controller.analyzer
        if analyzer is None:
            return
        path, card, label = self.controller.checkpoint, analyzer.card, self.prompt_set_label()
        self.model_label.setText(f"model: {card.name} \u00b7 prompts: {label}")
        classes = ", ".join(analyzer.prompt_set.labels)
        self.model_label.setToolTip("\n".join(filter(None, (path, card.extra.get("card_error"),
                                                              f"prompt set {label}: {classes}"))))
        self.results.set_model(path, label)

    def show_model_card(self) -> ModelCardDialog | None:
        """Help \u25b8 About this model\u2026: the loaded model's card in a non-modal dialog (None: no model yet)."""
        analyzer = self.controller.analyzer
        if analyzer is None:
            return None
        if self.model_card_dialog is not None:
            self.model_card_dialog.close()
            self.model_card_dialog.deleteLater()
        self.model_card_dialog = ModelCardDialog(analyzer.card, self.controller.checkpoint, analyzer.temperature, self)
        self.model_card_dialog.show()
        return self.model_card_dialog

    def _on_input_loaded(self, loaded) -> None:
        if loaded.is_sequence:
            self.viewer.show_sequence(list(loaded.frames))
            if Path(loaded.path).is_dir():  # frames of one sequence share a numbered name; say when they do not
                odd = check_frame_names([Path(f.source).name for f in loaded.frames])
                if not odd.ok:
                    self.show_message(odd.warning(Path(loaded.path).name), "warning")
        else:
            self.viewer.show_scan(loaded.scan)
        self.results.set_pending(f"analysing {Path(loaded.path).name}\u2026")
        self.views.set_weights(None)
        self._add_recent(loaded.path)
        self.setWindowTitle(f"{Path(loaded.path).name} \u2014 SMILE-VLM Analyzer")

    def _on_result(self, scored: ScoredResult) -> None:
        r = scored.result
        if r.views is self._shown_views:  # re-scored (prompt edit): same pictures, new weights
            self.views.set_weights(r.view_weights)
        else:
            yaws = self.controller.analyzer.render_config.yaws if self.controller.analyzer else None
            self.views.set_views(r.views, r.view_weights, yaws, scored.dynamic)
            self._shown_views = r.views
        self.results.set_result(r.probabilities, r.top, scored.uncertainty, r.source, scored.checkpoint,
                                self.prompt_set_label(scored.prompt_set), scored.face)
        self.banner.clear_error()  # an error of an earlier action is stale once a result arrived

    def _on_prompts_changed(self, prompt_set) -> None:
        """Re-score with the edited prompts; during a batch the edit waits for its end (one prompt set per file)."""
        if self.batch.running:
            self._deferred_prompts = prompt_set
            self.show_message("The prompt edit applies when the batch analysis ends.", "info")
        else:
            self.controller.set_prompts(prompt_set)

    def _on_controller_activity(self, text: str) -> None:
        self._set_task("analysis", text)

    def _set_task(self, key: str, text: str) -> None:
        """What runs now, shown in the status bar ("ready" when nothing does)."""
        if text:
            self._tasks[key] = text
        else:
            self._tasks.pop(key, None)
        self._show_activity()

    def _show_note(self, text: str) -> None:
        self._note = text
        if text:
            self._note_timer.start(NOTE_MS)
        self._show_activity()

    def _show_activity(self) -> None:
        """The status line: the last message for NOTE_MS, then what runs now ("ready" when nothing does)."""
        tasks = " \u00b7 ".join(self._tasks.values()) or ("" if self._note else "ready")
        self.activity_label.setText(" \u2014 ".join(filter(None, (self._note, tasks))))

    # ------------------------------------------------------------------------------------------------ messages
    def show_error(self, text: str) -> None:
        self.show_message(text, "error")

    def show_message(self, text: str, level: str = "info") -> None:
        self.banner.show_message(text, level)
        self._show_note(text.splitlines()[0] if text else "")

    def _failed(self, text: str) -> None:
        self._set_task("browser", "")
        self.show_error(text)

    # ------------------------------------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_any(paths[0])
            if len(paths) > 1:
                self.show_message(f"Opened {Path(paths[0]).name}; drop one file at a time (or use Analyse folder)",
                                  "warning")

    # ------------------------------------------------------------------------------------------------ workers
    def _run(self, func, *args, returned, errored):
        return start_worker(self._workers, func, *args, returned=returned, errored=errored)

    def closeEvent(self, event) -> None:
        if not self._closing:
            self._closing = True
            self.batch.cancel()
            if self.firstrun is not None:
                self.firstrun.shutdown()
            if self.firstrun_dialog is not None:  # a top-level dialog left open would keep the application running
                self.firstrun_dialog.hide()
            self.training.shutdown()
            if self.model_card_dialog is not None:
                self.model_card_dialog.close()
            self.viewer.close_plotter()
            self.controller.shutdown()
            self.keep_prompt_set()
            self.save_layout()
            self.settings.sync()
        super().closeEvent(event)


def delayed_start(window: MainWindow) -> None:
    """Run :meth:`MainWindow.start` from the event loop once the window is on screen."""
    QTimer.singleShot(0, window.start)
