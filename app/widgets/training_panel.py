"""The training panel: choose a manifest or generate a synthetic preset, set the pretraining options, run
`smile-vlm pretrain` as a background process into a fresh run folder, follow its log live (curves per loss term,
samples/s, progress, ETA), cancel (SIGTERM: the run stops after its step with a checkpoint; SIGKILL after a timeout)
or resume it, browse past runs, and hand a run's checkpoint to the analyzer (``checkpointChosen(path)``).

Everything slow happens in other processes (app.controllers.training.ProcessJob / TrainingJob); the panel polls
the run's log with a timer and only shows state. Bad input and failed runs are reported in the inline message bar
and the "Output" tab (with the tail of the log and of the process output); the panel keeps working.

Layout: the form (app.widgets.training_form) and the run view (app.widgets.training_runs: status, progress, curves,
runs table, output) need about 510 and 330 px of height; a side dock of the default 1280 x 800 window has ~710. So in
a narrow panel they are two pages, "Setup" and "Run" (starting or resuming a run shows "Run"), and once the panel is
wide enough for both columns (a floating or widened dock) they stand side by side. The Start / Cancel / Resume / Use
buttons stay under both and wrap in a narrow panel. Generating a synthetic preset: app.widgets.training_presets.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget
from superqt import QFlowLayout

from app.controllers.training import (
    ProcessJob,
    RunMonitor,
    RunRecord,
    RunState,
    TrainingJob,
    TrainingOptions,
    failure_report,
    new_run_dir,
    pretrain_command,
    read_output_tail,
    read_run,
    resume_command,
    runs_dir,
    scan_runs,
)
from app.widgets.messages import MessageBanner
from app.widgets.training_form import TrainingForm
from app.widgets.training_presets import PresetGeneration
from app.widgets.training_runs import RunView

#: The form's widgets, reachable as the panel's attributes (``panel.epochs_spin`` ...).
FORM_WIDGETS = ("data_edit", "browse_button", "preset_combo", "subjects_spin", "generate_button", "preset_label",
                "epochs_spin", "batch_spin", "lr_spin", "alpha_spin", "beta_spin", "gamma_spin", "lambd_bt_spin",
                "lambd_rm_spin", "tau_spin", "views_spin", "size_spin", "dim_spin", "device_combo", "workers_spin",
                "seed_spin", "backbone_combo", "text_combo", "supervision_combo", "supervision_note",
                "prompt_set_combo")
#: The run view's widgets, reachable as the panel's attributes.
VIEW_WIDGETS = ("status_label", "detail_label", "progress", "curves", "runs_table", "runs_label", "refresh_button",
                "output_view", "config_view", "tabs")
#: With this much width beside the form's, the run view goes beside the form instead of on a page of its own.
RUN_VIEW_MIN_WIDTH = 380


class TrainingPanel(PresetGeneration, QWidget):
    """See the module docstring. ``job`` is the running (or last) TrainingJob of this panel, or None."""

    checkpointChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, poll_ms: int = 200, kill_after_ms: int = 60_000):
        super().__init__(parent)
        self.poll_ms = poll_ms
        self.kill_after_ms = kill_after_ms
        self.job: TrainingJob | None = None
        self.preset_job: ProcessJob | None = None
        self._preset_manifest: Path | None = None
        self._records: list[RunRecord] = []
        self._shown_dir: Path | None = None
        self._viewer: RunMonitor | None = None  # follows a past run's log (the job has its own monitor)
        self._prompt_source = None  # () -> the PromptSet being edited in the Prompts panel (set_prompt_source)
        self._build_ui()
        self.refresh_runs()

    # ---------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        self.form = TrainingForm()
        self.view = RunView()
        for name in FORM_WIDGETS:
            setattr(self, name, getattr(self.form, name))
        for name in VIEW_WIDGETS:
            setattr(self, name, getattr(self.view, name))
        self.generate_button.clicked.connect(self._generate_clicked)
        self.runs_table.itemSelectionChanged.connect(self._run_selected)
        self.refresh_button.clicked.connect(self.refresh_runs)

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
        buttons = QFlowLayout()  # one row when there is room, wrapped in a narrow panel
        buttons.setHorizontalSpacing(6)  # explicit: the style's may be -1 (the buttons would overlap by a pixel)
        buttons.setVerticalSpacing(4)
        for b in (self.start_button, self.cancel_button, self.resume_button, self.use_button):
            buttons.addWidget(b)
        self.message = MessageBanner()

        setup = QWidget()
        setup_layout = QVBoxLayout(setup)
        setup_layout.setContentsMargins(0, 0, 0, 0)
        setup_layout.addWidget(self.form)
        setup_layout.addStretch(1)
        self.setup = setup
        # narrow (a side panel): the form and the run view are two pages; wide: side by side (see resizeEvent)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.side_by_side = QWidget()
        QHBoxLayout(self.side_by_side).setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.side_by_side, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._wide: bool | None = None
        self._page = 0
        self._set_wide(False)
        self._update_buttons()

    def is_side_by_side(self) -> bool:
        """Whether the form and the run view are side by side (a wide panel) rather than two pages."""
        return bool(self._wide)

    def show_page(self, page: str) -> None:
        """Bring the form ("setup") or the run view ("run") forward (both are shown when side by side)."""
        if page not in ("setup", "run"):
            raise ValueError(f"unknown training page {page!r} (setup or run)")
        self._page = 0 if page == "setup" else 1
        if not self._wide:
            self.pages.setCurrentIndex(self._page)

    def _set_wide(self, wide: bool) -> None:
        if wide == self._wide:
            return
        if self._wide is not None and not self._wide:
            self._page = max(self.pages.currentIndex(), 0)
        self._wide = wide
        if wide:
            self.pages.clear()
            for stretch, widget in enumerate((self.setup, self.view)):
                self.side_by_side.layout().addWidget(widget, stretch)
                widget.show()
            self.pages.hide()
            self.side_by_side.show()
        else:
            self.pages.addTab(self.setup, "Setup")
            self.pages.addTab(self.view, "Run")
            self.pages.setCurrentIndex(self._page)
            self.side_by_side.hide()
            self.pages.show()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._set_wide(event.size().width() >= self.setup.sizeHint().width() + RUN_VIEW_MIN_WIDTH + 16)
        super().resizeEvent(event)

    # ---------------------------------------------------------------- options
    def options(self) -> TrainingOptions:
        """The options as set in the form."""
        return self.form.options()

    def set_options(self, options: TrainingOptions) -> None:
        """Fill the form from ``options``."""
        self.form.set_options(options)

    def set_default_data(self, manifest_path: str) -> None:
        """Offer ``manifest_path`` as the training data (kept when the user has already chosen another)."""
        self.form.set_default_data(manifest_path)

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
        self.show_page("run")
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
            self.tabs.setCurrentWidget(self.output_view)
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
        self.view.set_runs(runs_dir(), self._records, select)
        self._update_job_row()
        record = self.selected_run()
        if record is not None and record.path != self._shown_dir:
            self._show_run(record.path)
        self._update_buttons()

    def _update_job_row(self) -> None:
        job = self.job
        if job is None or not job.is_running():
            return
        for row, record in enumerate(self._records):
            if record.path == job.run_dir:
                self.view.update_live_row(row, _job_status(job), job.state)
                return

    def selected_run(self) -> RunRecord | None:
        row = self.view.selected_row()
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
        self.view.show_state(name, status, state)

    def _update_buttons(self) -> None:
        running = self.job is not None and self.job.is_running()
        record = self.selected_run()
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running and not self.job.process.cancelled)
        self.resume_button.setEnabled(not running and record is not None and record.resumable)
        self.use_button.setEnabled(record is not None and record.checkpoint is not None)


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
