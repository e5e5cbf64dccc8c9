"""The results table of a batch analysis: one row per scan or sequence, and the accuracy line above it.

It shows a core.inference.batch_summary.BatchSummary as it is (the numbers are computed in core): columns input
(the file or sequence folder's name; the full path as tooltip), subject, true label (the manifest's, blank without
one), predicted, confidence (the top probability, %), right (✓ / ✗, blank when not scored) and note (why an input
failed). Sortable by any column. A double-click (or Enter) on a row asks to open that input (``inputActivated``).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from core.inference.batch_summary import BatchSummary, SummaryRow

COLUMNS = ("Input", "Subject", "True label", "Predicted", "Confidence", "Right", "Note")
SORT_ROLE = Qt.UserRole + 1
_WRONG = QColor(200, 40, 40)
_RIGHT = QColor(30, 140, 60)


class SummaryModel(QAbstractTableModel):
    """Read-only table of SummaryRows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: tuple[SummaryRow, ...] = ()

    def set_rows(self, rows: tuple[SummaryRow, ...]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def row_at(self, row: int) -> SummaryRow:
        return self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ToolTipRole:
            return r.error or r.path
        if role == Qt.ForegroundRole and column == "Right" and r.correct is not None:
            return _RIGHT if r.correct else _WRONG
        if role == Qt.TextAlignmentRole and column in ("Confidence", "Right"):
            return int(Qt.AlignRight | Qt.AlignVCenter) if column == "Confidence" else int(Qt.AlignCenter)
        if role not in (Qt.DisplayRole, SORT_ROLE):
            return None
        if column == "Input":
            return r.name
        if column == "Subject":
            return r.subject or ""
        if column == "True label":
            return r.truth or ""
        if column == "Predicted":
            return r.predicted or ""
        if column == "Confidence":
            if role == SORT_ROLE:
                return -1.0 if r.confidence is None else r.confidence
            return "" if r.confidence is None else f"{100 * r.confidence:.1f} %"
        if column == "Right":
            if role == SORT_ROLE:
                return -1 if r.correct is None else int(r.correct)
            return "" if r.correct is None else ("\u2713" if r.correct else "\u2717")
        return "failed" if r.error else ""


class BatchResultsPanel(QWidget):
    """set_summary(BatchSummary, title) / clear(); rows_shown(). Signals: inputActivated(str path)."""

    inputActivated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("No batch analysed yet (File \u25b8 Analyse folder\u2026 or Analyse list\u2026).")
        self.title.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.model = SummaryModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # input order until a header is clicked
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.activated.connect(self._on_activated)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def set_summary(self, summary: BatchSummary, title: str = "") -> None:
        """Show ``summary``; ``title`` says which batch (e.g. the outcome's sentence)."""
        self.model.set_rows(summary.rows)
        self.title.setText(title)
        self.summary.setText(summary.line())
        self.summary.setStyleSheet("font-weight:bold" if summary.accuracy is not None else "")

    def clear(self) -> None:
        self.model.set_rows(())
        self.summary.setText("")

    def rows_shown(self) -> list[SummaryRow]:
        """The rows in the table's order (after sorting)."""
        return [self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
                for r in range(self.proxy.rowCount())]

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.inputActivated.emit(self.model.row_at(self.proxy.mapToSource(index).row()).path)
