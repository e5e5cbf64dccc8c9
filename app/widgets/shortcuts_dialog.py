"""Help ▸ Keyboard shortcuts: every shortcut of the window's actions, read from the actions themselves (so the list
cannot drift from what the keys do), in a read-only table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(keys as the platform writes them, what they do) of every action under ``window`` that has a shortcut, in
    the order the actions were made; an action's tool tip names its panel where the shortcut is local to it."""
    rows = []
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        text = action.text().replace("&", "").replace("\u2026", "").strip()
        if action.shortcutContext() != Qt.ShortcutContext.WindowShortcut:
            owner = action.parent().objectName() if action.parent() is not None else ""
            text += f" (in the {owner or 'panel'})"
        rows.append((", ".join(keys), text))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (keys, text) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(keys))
            self.table.setItem(i, 1, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(460, 420)
