"""The training panel: choose a manifest or generate a synthetic preset, set the pretraining options, run
`smile-vlm pretrain` as a background process into a fresh run folder, follow its log live (curves per loss term,
samples/s, progress, ETA), cancel (SIGTERM: the run stops after its step with a checkpoint; SIGKILL after a timeout)
or resume it, browse past runs, and hand a run's checkpoint to the analyzer (``checkpointChosen(path)``).

Everything slow happens in other processes (app.controllers.training.ProcessJob / TrainingJob); the panel polls
the run's log with a timer and only shows state. Bad input and failed runs are reported in the inline message bar
and the "Output" tab (with the tail of the log and of the process output); the panel keeps working.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.controllers.training import (
    SUPERVISION_LABELS,
    SYNTH_KINDS,
    ProcessJob,
    RunMonitor,
    RunRecord,
    RunState,
    TrainingJob,
    TrainingOptions,
    failure_report,
    format_duration,
    new_run_dir,
    pretrain_command,
    read_output_tail,
    read_run,
    resume_command,
    runs_dir,
    scan_runs,
    synth_plan,
)
from app.widgets.curves import LossCurves
from app.widgets.messages import MessageBanner

BACKBONES = ("smallcnn", "resnet18", "resnet50", "clip:ViT-B-32:openai")
TEXT_ENCODERS = ("minilm", "clip:ViT-B-32:openai")
DEVICES = ("auto", "cpu", "cuda")
_RUN_COLUMNS = ("Run", "Status", "Epoch", "Step", "Loss", "Settings")
_STATUS_WORDS = {
    "starting": "starting…",
    "stopping": "stopping after the current step…",
    "running": "running",
    "done": "done",
    "stopped": "stopped (resumable)",
    "error": "failed",
    "failed": "failed",
    "unfinished": "unfinished (interrupted?)",
    "empty": "empty",
}


def _spin(low: int, high: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setToolTip(tip)
    return box


def _double(low: float, high: float, decimals: int, step: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setToolTip(tip)
    return box


def _combo(items, editable: bool, tip: str) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    box.setEditable(editable)
    box.setToolTip(tip)
    return box


class TrainingPanel(QWidget):
    """See the module docstring. ``job`` is the running (or last) TrainingJob of this panel, or None."""

    checkpointChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, poll_ms: int = 200, kill_after_ms: int = 60_000):
        super().__init__(parent)
        self.poll_ms = poll_ms
        self.kill_after_ms = kill_after_ms
        self.job: TrainingJob | None = None
        self.preset_job: ProcessJob | None = None
        self._preset_manifest: Path | None = None
        self._default_data = ""
        self._records: list[RunRecord] = []
        self._shown_dir: Path | None = None
        self._viewer: RunMonitor | None = None  # follows a past run's log (the job has its own monitor)
        self._prompt_source = None  # () -> the PromptSet being edited in the Prompts panel (set_prompt_source)
        self._build_ui()
        self.set_options(TrainingOptions.defaults())
        self.refresh_runs()

    # ---------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        # data
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("manifest CSV (smile-vlm index)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_manifest)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_edit, 1)
        data_row.addWidget(browse)
        self.preset_combo = _combo(SYNTH_KINDS, False, "synthetic dataset generator (smile-vlm synth)")
        self.preset_combo.setCurrentText("bu3dfe")
        self.subjects_spin = _spin(1, 500, "number of synthetic subjects")
        self.subjects_spin.setValue(2)
        self.preset_combo.currentTextChanged.connect(self._preset_kind_changed)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate the synthetic preset in the background and use its manifest")
        self.generate_button.clicked.connect(self._generate_clicked)
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Synthetic:"))
        preset_row.addWidget(self.preset_combo, 1)
        preset_row.addWidget(QLabel("subjects"))
        preset_row.addWidget(self.subjects_spin)
        preset_row.addWidget(self.generate_button)
        self.preset_label = QLabel("")
        self.preset_label.setWordWrap(True)
        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        data_layout.addLayout(data_row)
        data_layout.addLayout(preset_row)
        data_layout.addWidget(self.preset_label)

        # options
        self.epochs_spin = _spin(1, 100_000, "epochs")
        self.batch_spin = _spin(2, 65_536, "batch size per process")
        self.lr_spin = _double(1e-7, 1.0, 7, 1e-5, "Adam learning rate")
        self.alpha_spin = _double(0.0, 1000.0, 3, 0.1, "α: weight of the multi-view Barlow Twins loss")
        self.beta_spin = _double(0.0, 1000.0, 3, 0.1, "β: weight of the vision-language alignment loss")
        self.gamma_spin = _double(0.0, 1000.0, 3, 0.1, "γ: weight of the redundancy minimisation loss")
        self.lambd_bt_spin = _double(0.0, 10.0, 5, 0.001, "λ of the Barlow Twins loss (off-diagonal weight)")
        self.lambd_rm_spin = _double(0.0, 10.0, 5, 0.001, "λ of the redundancy loss (off-diagonal weight)")
        self.tau_spin = _double(0.001, 10.0, 4, 0.01, "τ: temperature of the alignment loss")
        self.backbone_combo = _combo(BACKBONES, True, "visual backbone spec (e.g. resnet18:<weights.pth>)")
        self.text_combo = _combo(TEXT_ENCODERS, True, "frozen text encoder spec")
        self.views_spin = _spin(1, 64, "rendered views per sample")
        self.size_spin = _spin(16, 1024, "view size in pixels")
        self.dim_spin = _spin(1, 8192, "embedding dimension D")
        self.supervision_combo = QComboBox()
        for mode, text in SUPERVISION_LABELS.items():
            self.supervision_combo.addItem(text, mode)
        self.supervision_combo.setToolTip(
            "metadata: each step draws a prompt of the sample's category, so training uses the manifest's "
            "category labels.\nnone: fully label-free training (multi-view Barlow Twins only; β and γ are 0)."
        )
        self.supervision_combo.currentIndexChanged.connect(self._supervision_changed)
        self.supervision_note = QLabel()
        self.supervision_note.setWordWrap(True)
        from core.prompts import default_prompt_sets

        self.prompt_set_combo = _combo([""] + default_prompt_sets(), True,
                                       "prompt set: a shipped set's name or a prompt file; empty = the set being "
                                       "edited in the Prompts panel (saved into the run folder as prompts.json)")
        self.prompt_set_combo.lineEdit().setPlaceholderText("the set being edited (Prompts panel)")
        self.device_combo = _combo(DEVICES, False, "training device")
        self.workers_spin = _spin(0, 64, "data-loading worker processes")
        self.seed_spin = _spin(0, 2**31 - 1, "random seed")
        form = QFormLayout()
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Batch", self.batch_spin)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("α (multi-view BT)", self.alpha_spin)
        form.addRow("β (VL alignment)", self.beta_spin)
        form.addRow("γ (redundancy)", self.gamma_spin)
        form.addRow("λ BT", self.lambd_bt_spin)
        form.addRow("λ RM", self.lambd_rm_spin)
        form.addRow("τ", self.tau_spin)
        form.addRow("Backbone", self.backbone_combo)
        form.addRow("Text encoder", self.text_combo)
        form.addRow("Views", self.views_spin)
        form.addRow("View size (px)", self.size_spin)
        form.addRow("Embedding dim", self.dim_spin)
        form.addRow("Supervision", self.supervision_combo)
        form.addRow("", self.supervision_note)
        form.addRow("Prompt set", self.prompt_set_combo)
        form.addRow("Device", self.device_combo)
        form.addRow("Workers", self.workers_spin)
        form.addRow("Seed", self.seed_spin)
        options_box = QGroupBox("Pretraining")
        options_box.setLayout(form)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start a new pretraining run in the background")
        self.start_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run after its current step, with a checkpoint (resumable)")
        self.cancel_button.clicked.connect(self.cancel_training)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the selected run from its last checkpoint")
        self.resume_button.clicked.connect(self.resume_selected)
        self.use_button = QPushButton("Use this checkpoint")
        self.use_button.setToolTip("Analyze with the selected run's last checkpoint")
        self.use_button.clicked.connect(self.use_checkpoint)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.resume_button, self.use_button):
            buttons.addWidget(b)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(data_box)
        left_layout.addWidget(options_box)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumWidth(330)

        # run view
        self.status_label = QLabel("No run")
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.detail_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.curves = LossCurves()
        self.runs_table = QTableWidget(0, len(_RUN_COLUMNS))
        self.runs_table.setHorizontalHeaderLabels(list(_RUN_COLUMNS))
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs_table.verticalHeader().setVisible(False)
        header = self.runs_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.runs_table.itemSelectionChanged.connect(self._run_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_runs)
        self.runs_label = QLabel()
        runs_head = QHBoxLayout()
        runs_head.addWidget(self.runs_label, 1)
        runs_head.addWidget(refresh)
        self.output_view = QPlainTextEdit()
        self.output_view.setReadOnly(True)
        self.output_view.setMaximumBlockCount(2000)
        self.output_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.config_view = QPlainTextEdit()
        self.config_view.setReadOnly(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.output_view, "Output")
        self.tabs.addTab(self.config_view, "Config")
        self.message = MessageBanner()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.status_label)
        top_layout.addWidget(self.detail_label)
        top_layout.addWidget(self.progress)
        top_layout.addWidget(self.curves, 1)
        runs = QWidget()
        runs_layout = QVBoxLayout(runs)
        runs_layout.setContentsMargins(0, 0, 0, 0)
        runs_layout.addLayout(runs_head)
        runs_layout.addWidget(self.runs_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(runs)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(split, 1)
        right_layout.addWidget(self.message)

        body = QSplitter(Qt.Orientation.Horizontal)
        left_panel = QWidget()
        left_panel_layout = QVBoxLayout(left_panel)
        left_panel_layout.setContentsMargins(0, 0, 0, 0)
        left_panel_layout.addWidget(scroll, 1)
        left_panel_layout.addLayout(buttons)
        body.addWidget(left_panel)
        body.addWidget(right)
        body.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(body)
        self._update_buttons()

    # ---------------------------------------------------------------- options
    def options(self) -> TrainingOptions:
        """The options as set in the form."""
        return TrainingOptions(
            data=self.data_edit.text().strip(),
            epochs=self.epochs_spin.value(),
            batch_size=self.batch_spin.value(),
            lr=self.lr_spin.value(),
            alpha=self.alpha_spin.value(),
            beta=self.beta_spin.value(),
            gamma=self.gamma_spin.value(),
            lambd_bt=self.lambd_bt_spin.value(),
            lambd_rm=self.lambd_rm_spin.value(),
            tau=self.tau_spin.value(),
            embed_dim=self.dim_spin.value(),
            backbone=self.backbone_combo.currentText().strip(),
            text_encoder=self.text_combo.currentText().strip(),
            n_views=self.views_spin.value(),
            image_size=self.size_spin.value(),
            prompts=str(self.supervision_combo.currentData()),
            prompt_set=self.prompt_set_combo.currentText().strip(),
            device=self.device_combo.currentText(),
            num_workers=self.workers_spin.value(),
            seed=self.seed_spin.value(),
        )

    def set_options(self, options: TrainingOptions) -> None:
        """Fill the form from ``options``."""
        self.data_edit.setText(options.data)
        self.epochs_spin.setValue(options.epochs)
        self.batch_spin.setValue(options.batch_size)
        self.lr_spin.setValue(options.lr)
        self.alpha_spin.setValue(options.alpha)
        self.beta_spin.setValue(options.beta)
        self.gamma_spin.setValue(options.gamma)
        self.lambd_bt_spin.setValue(options.lambd_bt)
        self.lambd_rm_spin.setValue(options.lambd_rm)
        self.tau_spin.setValue(options.tau)
        self.dim_spin.setValue(options.embed_dim)
        self.backbone_combo.setCurrentText(options.backbone)
        self.text_combo.setCurrentText(options.text_encoder)
        self.views_spin.setValue(options.n_views)
        self.size_spin.setValue(options.image_size)
        at = self.supervision_combo.findData(options.prompts)
        self.supervision_combo.setCurrentIndex(max(0, at))
        self.prompt_set_combo.setCurrentText(options.prompt_set)
        self.device_combo.setCurrentText(options.device)
        self.workers_spin.setValue(options.num_workers)
        self.seed_spin.setValue(options.seed)
        self._supervision_changed()

    def set_default_data(self, manifest_path: str) -> None:
        """Offer ``manifest_path`` as the training data (kept when the user has already chosen another)."""
        current = self.data_edit.text().strip()
        if not current or current == self._default_data:
            self.data_edit.setText(str(manifest_path))
        self._default_data = str(manifest_path)

    def _supervision_changed(self, *_args) -> None:
        metadata = self.supervision_combo.currentData() == "metadata"
        self.beta_spin.setEnabled(metadata)
        self.gamma_spin.setEnabled(metadata)
        self.prompt_set_combo.setEnabled(metadata)
        self.supervision_note.setText(
            "Uses the manifest's category labels (a prompt of each sample's class per step)."
            if metadata
            else "Label-free: no labels and no language are used (β and γ are set to 0)."
        )

    def _browse_manifest(self) -> None:
        start = self.data_edit.text().strip() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Choose a manifest", start, "Manifests (*.csv);;All files (*)")
        if path:
            self.data_edit.setText(path)

    # ---------------------------------------------------------------- runs
    def start_training(self) -> bool:
        """Start a new run with the form's options; False (with a message) when it cannot start."""
        if self.job is not None and self.job.is_running():
            self.message.show_message("A run is in progress: cancel it before starting another", "warning")
            return False
        options = self.options()
        try:
            options.check()
            run_dir = new_run_dir()
            options = self._with_edited_prompts(options, run_dir)
        except (ValueError, OSError) as exc:
            self.message.show_message(f"Cannot start training: {exc}", "error")
            return False
        return self._launch(pretrain_command(options, run_dir), run_dir, "Started")

    def set_prompt_source(self, source) -> None:
        """``source()`` -> the PromptSet being edited (or None): what a run with an empty prompt-set field uses."""
        self._prompt_source = source

    def _with_edited_prompts(self, options: TrainingOptions, run_dir: Path) -> TrainingOptions:
        """With category prompts and no prompt set named, the set being edited, saved as RUN_DIR/prompts.json (so
        the run records exactly the prompts it trained with, unsaved edits included)."""
        if options.prompts != "metadata" or options.prompt_set or self._prompt_source is None:
            return options
        prompt_set = self._prompt_source()
        if prompt_set is None:
            return options
        from dataclasses import replace

        from core.prompts import save_prompt_set

        path = save_prompt_set(prompt_set, run_dir / "prompts.json")
        return replace(options, prompt_set=str(path))

    def resume_selected(self) -> bool:
        """Continue the selected run from its last checkpoint (with its saved settings)."""
        if self.job is not None and self.job.is_running():
            self.message.show_message("A run is in progress: cancel it before resuming another", "warning")
            return False
        record = self.selected_run()
        if record is None:
            self.message.show_message("Select a run to resume", "warning")
            return False
        record = read_run(record.path)
        if not record.resumable:
            why = "it has no checkpoint" if record.checkpoint is None else f"it is {record.status}"
            self.message.show_message(f"Run {record.name} cannot be resumed: {why}", "warning")
            return False
        return self._launch(resume_command(record.path), record.path, "Resumed")

    def _launch(self, command: list[str], run_dir: Path, verb: str) -> bool:
        if self.job is not None:
            self.job.deleteLater()
        job = TrainingJob(command, run_dir, poll_ms=self.poll_ms, kill_after_ms=self.kill_after_ms, parent=self)
        job.updated.connect(self._job_updated)
        job.finished.connect(self._job_finished)
        job.process.output.connect(self._job_output)
        self.job = job
        self.message.clear()
        self.output_view.setPlainText(f"$ {job.process.command_text}\n")
        job.start()
        self._shown_dir = run_dir  # shown just below, with the job's own log monitor
        self.refresh_runs(select=run_dir)
        self._show_run(run_dir)
        self.message.show_message(f"{verb} run {run_dir.name}", "info")
        self._update_buttons()
        return True

    def cancel_training(self) -> None:
        """Stop the running job after its current step (SIGTERM; it saves a checkpoint); SIGKILL after a timeout."""
        if self.job is None or not self.job.is_running():
            self.message.show_message("No run in progress", "warning")
            return
        self.job.cancel()
        self._job_updated()
        self._update_buttons()

    def use_checkpoint(self) -> bool:
        """Emit checkpointChosen with the selected (or shown) run's last.ckpt."""
        record = self.selected_run()
        folder = record.path if record is not None else self._shown_dir
        if folder is None:
            self.message.show_message("Select a run first", "warning")
            return False
        ckpt = folder / "last.ckpt"
        if not ckpt.is_file():
            self.message.show_message(f"Run {folder.name} has no checkpoint yet", "warning")
            return False
        self.checkpointChosen.emit(str(ckpt))
        self.message.show_message(f"Using checkpoint {ckpt}", "info")
        return True

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop background processes (for closing the application): SIGTERM, wait up to ``timeout_ms`` for the run
        to save its checkpoint, then SIGKILL. This one call blocks; nothing else in the panel does."""
        for job in (self.job.process if self.job is not None else None, self.preset_job):
            if job is not None and job.is_running():
                job.cancel()
                if not job.wait(timeout_ms):
                    job.kill()
                    job.wait(2000)
        if self._viewer is not None:
            self._viewer.stop()
        if self.job is not None:
            self.job.monitor.stop()

    # ---------------------------------------------------------------- job signals
    def _job_updated(self) -> None:
        if self.job is not None and self._shown_dir == self.job.run_dir:
            self._refresh_display(self.job.state)
        self._update_job_row()

    def _job_output(self, text: str) -> None:
        if self.job is not None and self._shown_dir == self.job.run_dir:
            self.output_view.moveCursor(self.output_view.textCursor().MoveOperation.End)
            self.output_view.insertPlainText(text)

    def _job_finished(self, status: str) -> None:
        job = self.job
        if job is None:
            return
        name = job.run_dir.name
        if status == "error":
            self.message.show_message(f"Run {name} failed: {_first_line(job.report)} (details in Output)", "error")
        else:
            self.message.show_message(f"Run {name} {status}: {job.report}", "info")
        self.refresh_runs(select=self._shown_dir)
        if self._shown_dir == job.run_dir:
            self._show_run(job.run_dir)
        self._update_buttons()

    # ---------------------------------------------------------------- runs table and display
    def refresh_runs(self, select: Path | None = None) -> None:
        """Re-read the runs folder; keep (or set) the selected run."""
        if select is None:
            current = self.selected_run()
            select = current.path if current is not None else None
        self._records = scan_runs()
        self.runs_label.setText(f"Runs in {runs_dir()} ({len(self._records)})")
        table = self.runs_table
        table.blockSignals(True)
        table.setRowCount(len(self._records))
        row_to_select = -1
        for row, record in enumerate(self._records):
            self._fill_row(row, record)
            if select is not None and record.path == Path(select):
                row_to_select = row
        self._update_job_row()
        if row_to_select >= 0:
            table.selectRow(row_to_select)
        else:
            table.clearSelection()
        table.blockSignals(False)
        record = self.selected_run()
        if record is not None and record.path != self._shown_dir:
            self._show_run(record.path)
        self._update_buttons()

    def _fill_row(self, row: int, record: RunRecord, status: str | None = None) -> None:
        status = status or record.status
        epochs = record.epochs
        cells = (
            record.name,
            _STATUS_WORDS.get(status, status),
            f"{record.epoch}/{epochs}" if epochs else str(record.epoch),
            str(record.step),
            "" if record.loss is None else f"{record.loss:.4g}",
            record.summary() if record.config else record.message,
        )
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(record.message or record.summary())
            self.runs_table.setItem(row, col, item)

    def _update_job_row(self) -> None:
        job = self.job
        if job is None or not job.is_running():
            return
        for row, record in enumerate(self._records):
            if record.path == job.run_dir:
                state = job.state
                item = self.runs_table.item(row, 1)
                if item is not None:
                    item.setText(_STATUS_WORDS[_job_status(job)])
                    self.runs_table.item(row, 3).setText(str(state.step))
                    loss = state.last("loss")
                    self.runs_table.item(row, 4).setText("" if loss is None else f"{loss:.4g}")
                    epochs = state.epochs
                    self.runs_table.item(row, 2).setText(f"{state.epoch}/{epochs}" if epochs else str(state.epoch))
                return

    def selected_run(self) -> RunRecord | None:
        rows = self.runs_table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self._records[row] if 0 <= row < len(self._records) else None

    def _run_selected(self) -> None:
        record = self.selected_run()
        if record is not None:
            self._show_run(record.path)
        self._update_buttons()

    def _show_run(self, run_dir: Path) -> None:
        """Show ``run_dir`` in the curves, status and tabs (live when it is this panel's job)."""
        self._shown_dir = Path(run_dir)
        if self._viewer is not None:
            self._viewer.stop()
            self._viewer.deleteLater()
            self._viewer = None
        record = read_run(run_dir)
        self.config_view.setPlainText(json.dumps(record.config, indent=2) if record.config else record.message)
        job = self.job
        if job is not None and job.run_dir == self._shown_dir:
            state = job.state
            if job.is_running():
                self.output_view.setPlainText(f"$ {job.process.command_text}\n{job.process.output_text(200)}")
            else:
                self.output_view.setPlainText(job.report if job.status == "error" else job.process.output_text(200))
        else:
            self._viewer = RunMonitor(run_dir, self.poll_ms, self)
            self._viewer.updated.connect(self._viewer_updated)
            self._viewer.start()
            state = self._viewer.state
            if record.status in ("error", "failed"):
                reason = record.message or "the run failed"
                self.output_view.setPlainText(failure_report(reason, record.path, read_output_tail(record.path)))
            else:
                self.output_view.setPlainText(read_output_tail(record.path, 200))
        self._refresh_display(state)

    def _viewer_updated(self) -> None:
        if self._viewer is not None:
            self._refresh_display(self._viewer.state)

    def shown_state(self) -> RunState | None:
        """The state of the run shown in the curves."""
        if self.job is not None and self._shown_dir == self.job.run_dir:
            return self.job.state
        return self._viewer.state if self._viewer is not None else None

    def _refresh_display(self, state: RunState) -> None:
        name = self._shown_dir.name if self._shown_dir is not None else ""
        status = state.status
        job = self.job
        if job is not None and job.run_dir == self._shown_dir:
            status = _job_status(job)
        elif status == "running":  # a past run whose log has not ended
            status = "unfinished"
        elif status == "starting" and self._shown_dir is not None:
            status = read_run(self._shown_dir).status
        text = f"Run {name}: {_STATUS_WORDS.get(status, status)}"
        if status == "stopped" and state.checkpoint:
            text += f" — checkpoint {Path(state.checkpoint).name}"
        self.status_label.setText(text)
        total = state.total_steps
        parts = []
        if state.epochs:
            parts.append(f"epoch {min(state.epoch + 1, state.epochs)}/{state.epochs}")
        parts.append(f"step {state.step}/{total}" if total else f"step {state.step}")
        sps = state.samples_per_s()
        if sps is not None:
            parts.append(f"{sps:.1f} samples/s")
        if status == "running":
            parts.append(f"ETA {format_duration(state.eta_seconds())}")
        if state.supervision:
            parts.append(f"supervision {state.supervision}")
        self.detail_label.setText(" · ".join(parts))
        self.progress.setValue(int(round(1000 * state.progress)))
        self.progress.setFormat(f"{100 * state.progress:.0f}%")
        self.curves.set_series(state.series)

    def _update_buttons(self) -> None:
        running = self.job is not None and self.job.is_running()
        record = self.selected_run()
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running and not self.job.process.cancelled)
        self.resume_button.setEnabled(not running and record is not None and record.resumable)
        self.use_button.setEnabled(record is not None and record.checkpoint is not None)

    # ---------------------------------------------------------------- synthetic presets
    def _preset_kind_changed(self, kind: str) -> None:
        self.subjects_spin.setEnabled(kind != "demo")  # the demo set's size is fixed by resources/synth.json

    def _generate_clicked(self) -> None:
        if self.preset_job is not None and self.preset_job.is_running():
            self.preset_job.cancel()
            return
        self.generate_preset(self.preset_combo.currentText(), self.subjects_spin.value())

    def generate_preset(self, kind: str, subjects: int) -> bool:
        """Make the synthetic preset (`smile-vlm synth`, then `smile-vlm index`) in the background; its manifest
        becomes the training data when done. An existing preset of the same kind and size is reused."""
        if self.preset_job is not None and self.preset_job.is_running():
            self.message.show_message("A synthetic preset is being generated already", "warning")
            return False
        try:
            plan = synth_plan(kind, subjects)
        except ValueError as exc:
            self.message.show_message(str(exc), "error")
            return False
        if plan.manifest.is_file():
            self.data_edit.setText(str(plan.manifest))
            self.preset_label.setText(f"Using the existing preset {plan.out}")
            return True
        plan.out.parent.mkdir(parents=True, exist_ok=True)
        job = ProcessJob([list(c) for c in plan.commands], kill_after_ms=10_000, parent=self)
        job.output.connect(self._preset_output)
        job.finished.connect(self._preset_finished)
        self.preset_job = job
        self._preset_manifest = plan.manifest
        self.preset_label.setText(f"Generating {kind} ({subjects} subjects) in {plan.out}…")
        self.generate_button.setText("Stop")
        job.start()
        return True

    def _preset_output(self, _text: str) -> None:
        if self.preset_job is not None:
            last = self.preset_job.output_text(1).strip()
            if last:
                self.preset_label.setText(last[-200:])

    def _preset_finished(self, ok: bool, message: str) -> None:
        job, manifest = self.preset_job, self._preset_manifest
        self.generate_button.setText("Generate")
        if ok and manifest is not None and manifest.is_file():
            self.data_edit.setText(str(manifest))
            self.preset_label.setText(f"Synthetic preset ready: {manifest}")
            self.message.show_message(f"Synthetic preset ready: {manifest}", "info")
            return
        reason = "cancelled" if job is not None and job.cancelled else (message or f"{manifest} was not written")
        tail = job.output_text(20) if job is not None else ""
        self.preset_label.setText(f"Generating the preset failed: {reason}")
        self.message.show_message(f"Generating the synthetic preset failed: {reason}", "error")
        self.output_view.setPlainText(f"Synthetic preset failed: {reason}\n\n--- end of the output ---\n{tail}")
        self.tabs.setCurrentWidget(self.output_view)


def _job_status(job: TrainingJob) -> str:
    """What to show for this panel's job: starting / running / stopping while its process runs, then its outcome
    (a resumed run's log starts with the previous session's events, which must not count while it starts)."""
    if not job.is_running():
        return job.status if job.status != "running" else "starting"
    if job.process.cancelled:
        return "stopping"
    return "running" if job.state.status == "running" else "starting"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.removeprefix("Training failed: ")


def prepare_screenshot(panel: TrainingPanel, run_dir: str | Path | None = None) -> TrainingPanel:
    """Put ``panel`` in a representative state for the documentation: the runs folder listed and a finished run
    (``run_dir``, default the newest finished run in the runs folder) shown with its curves."""
    panel.refresh_runs()
    target = Path(run_dir) if run_dir is not None else None
    if target is None:
        done = [r for r in panel._records if r.status == "done"] or panel._records
        target = done[0].path if done else None
    if target is not None:
        data = read_run(target).config.get("data")
        if isinstance(data, str) and data:
            panel.set_default_data(data)
        panel.refresh_runs(select=target)
        panel._show_run(target)
        if panel._viewer is not None:
            panel._viewer.poll(final=True)
    return panel
