"""The training panel's run view: the shown run's status, progress and curves, the past runs, and the run's output
and config. Presentation only: the panel decides which run is shown and feeds its RunState and the RunRecords.

The status lines and the progress bar on top (the lines wrap rather than widen the panel); below them the curves,
the runs table and the Output / Config tabs share a splitter (the user trades one's height for another's).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel

from app.controllers.training import RunRecord, RunState, format_duration
from app.widgets.curves import LossCurves

RUN_COLUMNS = ("Run", "Status", "Epoch", "Step", "Loss", "Settings")
STATUS_WORDS = {
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


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


class RunView(QWidget):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.status_label = QLabel("No run")
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.status_label.setWordWrap(True)
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.curves = LossCurves()

        self.runs_table = QTableWidget(0, len(RUN_COLUMNS))
        self.runs_table.setHorizontalHeaderLabels(list(RUN_COLUMNS))
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs_table.verticalHeader().setVisible(False)
        header = self.runs_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the runs folder again")
        self.runs_label = QElidingLabel()  # a long runs folder is elided, never widens the panel
        self.runs_label.setElideMode(Qt.TextElideMode.ElideMiddle)
        runs = QWidget()
        runs_layout = QVBoxLayout(runs)
        runs_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.runs_label, 1)
        head.addWidget(self.refresh_button)
        runs_layout.addLayout(head)
        runs_layout.addWidget(self.runs_table, 1)

        self.output_view = QPlainTextEdit()
        self.output_view.setReadOnly(True)
        self.output_view.setMaximumBlockCount(2000)
        self.output_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.config_view = QPlainTextEdit()
        self.config_view.setReadOnly(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.output_view, "Output")
        self.tabs.addTab(self.config_view, "Config")

        # the curves, the runs and the output compete for the height: a splitter (none of them collapses away)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for index, (widget, stretch) in enumerate(((self.curves, 3), (runs, 2), (self.tabs, 2))):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([3000, 1600, 1400])  # in proportion: the curves get the larger share

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.status_label)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.splitter, 1)

    # The wrapped status lines give the view a height-for-width; a scroll area above would then ask for the
    # splitter's preferred height (the curves' 3.6 inch figure and more) and scroll. The view takes the height it
    # is given instead: its least height is what it needs, its preferred height no more.
    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return False

    def heightForWidth(self, _width: int) -> int:  # noqa: N802 (Qt API)
        return -1

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())

    # ---------------------------------------------------------------- the shown run
    def show_state(self, name: str, status: str, state: RunState) -> None:
        """Show run ``name`` (``status``, as the panel judges it) with ``state``'s progress and curves."""
        text = f"Run {name}: {status_words(status)}"
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

    # ---------------------------------------------------------------- the runs table
    def set_runs(self, folder: Path, records: list[RunRecord], select: Path | None) -> None:
        """List ``records`` (of the runs ``folder``), the run at ``select`` selected; no selection signal."""
        self.runs_label.setText(f"Runs in {folder} ({len(records)})")
        self.runs_label.setToolTip(str(folder))
        table = self.runs_table
        table.blockSignals(True)
        table.setRowCount(len(records))
        row_to_select = -1
        for row, record in enumerate(records):
            self.fill_row(row, record)
            if select is not None and record.path == Path(select):
                row_to_select = row
        if row_to_select >= 0:
            table.selectRow(row_to_select)
        else:
            table.clearSelection()
        table.blockSignals(False)

    def fill_row(self, row: int, record: RunRecord) -> None:
        epochs = record.epochs
        cells = (
            record.name,
            status_words(record.status),
            f"{record.epoch}/{epochs}" if epochs else str(record.epoch),
            str(record.step),
            "" if record.loss is None else f"{record.loss:.4g}",
            record.summary() if record.config else record.message,
        )
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(record.message or record.summary())
            self.runs_table.setItem(row, col, item)

    def update_live_row(self, row: int, status: str, state: RunState) -> None:
        """Row ``row`` follows a running job: its status, epoch, step and loss."""
        table = self.runs_table
        if table.item(row, 1) is None:
            return
        table.item(row, 1).setText(status_words(status))
        epochs = state.epochs
        table.item(row, 2).setText(f"{state.epoch}/{epochs}" if epochs else str(state.epoch))
        table.item(row, 3).setText(str(state.step))
        loss = state.last("loss")
        table.item(row, 4).setText("" if loss is None else f"{loss:.4g}")

    def selected_row(self) -> int:
        rows = self.runs_table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1
