"""The prompt set as a two-column tree model (class -> its prompts; the prompt count beside each class) and the
delegate that reports each keystroke of an edit in progress, so the editor can preview the set as typed
(app.widgets.prompt_editor)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate

from core.prompts import PromptSet

ROLE_KEY = Qt.ItemDataRole.UserRole + 1  # ("class", label) or ("prompt", label, index)


class PromptTreeModel(QStandardItemModel):
    """Two columns: class label / prompt text (editable) and the class's prompt count. Edits are not stored here:
    they go to ``edit_handler(key, text) -> bool`` and come back through :meth:`populate` when accepted."""

    def __init__(self, edit_handler, parent=None):
        super().__init__(parent)
        self._edit_handler = edit_handler
        self.setHorizontalHeaderLabels(["Class / prompt", "Prompts"])

    def populate(self, prompt_set: PromptSet) -> None:
        self.removeRows(0, self.rowCount())
        for label, prompts in prompt_set.classes.items():
            item = QStandardItem(label)
            item.setData(("class", label), ROLE_KEY)
            item.setToolTip(f"class {label!r}: double-click or F2 to rename")
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            count = QStandardItem(str(len(prompts)))
            count.setEditable(False)
            count.setData(("class", label), ROLE_KEY)
            for i, text in enumerate(prompts):
                child = QStandardItem(text)
                child.setData(("prompt", label, i), ROLE_KEY)
                blank = QStandardItem("")
                blank.setEditable(False)
                blank.setData(("prompt", label, i), ROLE_KEY)
                item.appendRow([child, blank])
            self.appendRow([item, count])

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 (Qt API)
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return super().setData(index, value, role)
        key = index.data(ROLE_KEY)
        if key is None:
            return False
        return bool(self._edit_handler(key, value))

    @staticmethod
    def key(index: QModelIndex) -> tuple | None:
        return index.data(ROLE_KEY) if index.isValid() else None


class LiveEditDelegate(QStyledItemDelegate):
    """The tree's editor, reporting every keystroke: ``textEdited(key, text)`` (key: the item's ("class", label) or
    ("prompt", label, index)). The end of an edit, committed or not, is QAbstractItemDelegate.closeEditor."""

    textEdited = Signal(object, str)

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt API)
        editor = super().createEditor(parent, option, index)
        key = index.data(ROLE_KEY)
        if isinstance(editor, QLineEdit) and key is not None:
            editor.textEdited.connect(lambda text, k=key: self.textEdited.emit(k, text))
        return editor


__all__ = ["ROLE_KEY", "LiveEditDelegate", "PromptTreeModel"]
