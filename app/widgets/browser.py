"""The data-set browser: the scans of a manifest or an indexed data-set folder in a sortable, filterable table.

Columns: file, subject, label, intensity, kind (3d / 4d), frames. The file comes first and every column is sized
to its contents when a data set opens (the file at most FILE_MAX_SHARE of the table's width, its name then elided in
the middle; the full path is the tooltip), so the file name is on screen in a narrow dock (it used to be the last of
six 100-pixel columns, off the right edge of the 380-pixel dock). The layout list starts at "Auto-detect" (core.datasets.detect reads the folder's names); choosing a
layout overrides the detection. The filter box takes one or more terms; a row is
shown when every term occurs (case-insensitive) in one of its cells. Filtering never starts an analysis, and a new
data set starts unfiltered. Moving the current row, with the mouse or the keyboard, asks for that scan's analysis
(``scanSelected``) after a short pause, so holding an arrow key does not start an analysis per row passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.widgets.column_flow import ColumnFlowLayout
from core.datasets import FORMATS, ManifestRow
from core.datasets.detect import AUTO, LAYOUTS

COLUMNS = ("file", "subject", "label", "intensity", "kind", "frames")
SELECT_DELAY_MS = 150
SORT_ROLE = Qt.UserRole + 1
#: The widest the file column is made when a data set opens, as a share of the table's width.
FILE_MAX_SHARE = 0.6


class ManifestModel(QAbstractTableModel):
    """Read-only table of ManifestRows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[ManifestRow] = []

    def set_rows(self, rows: Sequence[ManifestRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> ManifestRow:
        return self._rows[row]

    def rows(self) -> list[ManifestRow]:
        return list(self._rows)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section].capitalize()
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ToolTipRole:
            return str(row.path)
        if role not in (Qt.DisplayRole, SORT_ROLE):
            return None
        if column == "subject":
            return row.subject
        if column == "label":
            return row.label
        if column == "intensity":
            if role == SORT_ROLE:
                return -1 if row.intensity is None else row.intensity
            return "" if row.intensity is None else str(row.intensity)
        if column == "kind":
            return row.kind
        if column == "frames":
            return row.n_frames if role == SORT_ROLE else str(row.n_frames)
        path = Path(row.path)
        if row.kind == "4d" and path.suffix.lower() != ".npz":  # a sequence folder: "F001/Happy", not "Happy"
            return f"{path.parent.name}/{path.name}"
        return path.name


class TermsFilterProxy(QSortFilterProxyModel):
    """Filter by several terms: a row is shown when every whitespace-separated term (case-insensitive) occurs in
    one of its cells ("S001 happ 4d": subject S001, label happiness, sequences)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._terms: tuple[str, ...] = ()

    def set_terms(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10 (invalidateFilter is deprecated there)
            self.beginFilterChange()
            self._terms = tuple(text.lower().split())
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._terms = tuple(text.lower().split())
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802 (Qt's name)
        if not self._terms:
            return True
        model = self.sourceModel()
        cells = [str(model.data(model.index(source_row, c, source_parent), Qt.DisplayRole) or "").lower()
                 for c in range(model.columnCount())]
        return all(any(term in cell for cell in cells) for term in self._terms)


class BrowserPanel(QWidget):
    """set_rows(rows, source) / clear(); rows(), visible_rows(), select_row(i).

    Signals: scanSelected(ManifestRow) (debounced current-row change), openDatasetRequested(format name),
    openManifestRequested().
    """

    scanSelected = Signal(object)
    openDatasetRequested = Signal(str)
    openManifestRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = ColumnFlowLayout(max_columns=3, preferred_columns=2)  # wraps in a narrow dock instead of scrolling
        top.setSpacing(6)
        self.format_box = QComboBox()
        self.format_box.addItem("Auto-detect", AUTO)
        for key in LAYOUTS:
            self.format_box.addItem(FORMATS[key], key)
        self.format_box.setToolTip("Layout of the data-set folder to open: detected from its file names, or the one "
                                   "chosen here")
        self.dataset_button = QPushButton("Open dataset\u2026")
        self.dataset_button.setToolTip("Index a data-set folder (its layout detected, or the one chosen in the list)")
        self.manifest_button = QPushButton("Open manifest\u2026")
        self.manifest_button.setToolTip("Open a manifest CSV (smile-vlm index) or a user CSV")
        top.addWidget(self.format_box)
        top.addWidget(self.dataset_button)
        top.addWidget(self.manifest_button)
        layout.addLayout(top)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: one or more terms (subject, label, file\u2026)")
        self.filter_edit.setClearButtonEnabled(True)
        layout.addWidget(self.filter_edit)

        self.model = ManifestModel(self)
        self.proxy = TermsFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # manifest order until a header is clicked
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        self.table.setTextElideMode(Qt.ElideMiddle)
        self.table.setAlternatingRowColors(True)
        layout.addWidget(self.table, 1)
        self.status = QLabel("No data set open.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:gray")
        layout.addWidget(self.status)

        self._source = ""
        self._filtering = False  # the filter moves the current row: that is not the user choosing a scan
        self._pending: ManifestRow | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SELECT_DELAY_MS)
        self._timer.timeout.connect(self._emit_selected)
        self.filter_edit.textChanged.connect(self._on_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.dataset_button.clicked.connect(
            lambda: self.openDatasetRequested.emit(str(self.format_box.currentData()))
        )
        self.manifest_button.clicked.connect(self.openManifestRequested)

    # ------------------------------------------------------------------------------------------------ content
    def set_rows(self, rows: Sequence[ManifestRow], source: str = "") -> None:
        self._timer.stop()
        self._pending = None
        if self.filter_edit.text():  # a filter typed for the previous data set does not carry over
            self.filter_edit.blockSignals(True)
            self.filter_edit.clear()
            self.filter_edit.blockSignals(False)
            self.proxy.set_terms("")
        self.model.set_rows(rows)
        self._source = source
        self._fit_columns()
        self._update_status()

    def _fit_columns(self) -> None:
        """Every column as wide as its contents (Qt samples the first rows), the file column capped."""
        self.table.resizeColumnsToContents()
        cap = max(120, int(FILE_MAX_SHARE * self.table.viewport().width()))
        if self.table.columnWidth(0) > cap:
            self.table.setColumnWidth(0, cap)

    def clear(self) -> None:
        self.set_rows([], "")
        self.status.setText("No data set open.")

    def source(self) -> str:
        return self._source

    def rows(self) -> list[ManifestRow]:
        return self.model.rows()

    def visible_rows(self) -> list[ManifestRow]:
        """The rows the filter lets through, in the table's order."""
        return [self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
                for r in range(self.proxy.rowCount())]

    def select_row(self, visible_row: int) -> None:
        """Make table row ``visible_row`` (after filter and sort) the current one."""
        index = self.proxy.index(visible_row, 0)
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)

    def current_row(self) -> ManifestRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def set_format(self, fmt: str) -> None:
        i = self.format_box.findData(fmt)
        if i >= 0:
            self.format_box.setCurrentIndex(i)

    # ------------------------------------------------------------------------------------------------ events
    def _on_filter(self, text: str) -> None:
        self._filtering = True  # rows the filter makes current are not analysed while the user types
        try:
            self._timer.stop()
            self._pending = None
            self.proxy.set_terms(text)
        finally:
            self._filtering = False
        self._update_status()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._filtering:
            return
        self._pending = self.model.row_at(self.proxy.mapToSource(current).row())
        self._timer.start()

    def _emit_selected(self) -> None:
        if self._pending is not None:
            row, self._pending = self._pending, None
            self.scanSelected.emit(row)

    def _update_status(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        n4d = sum(1 for r in self.model.rows() if r.kind == "4d")
        where = f" from {Path(self._source).name}" if self._source else ""
        counts = f"{total} scans{where}" + (f" ({n4d} sequences)" if n4d else "")
        self.status.setText(counts if shown == total else f"{shown} of {counts} shown")
