"""The prompt editor panel: the active prompt set as an editable tree (class -> prompts), with undo/redo, files and
shipped defaults.

All editing goes through :class:`app.controllers.prompts.PromptSetController` (validation, undo stack, files); this
widget only shows its state and forwards the user's actions. Edits the controller refuses are reported in an inline
message bar (non-modal) and leave the tree as it was.

``promptSetChanged(PromptSet)`` is emitted DEBOUNCE_MS (50 ms) after the last change of a burst (an edit, undo, redo,
load, import or reset), once, and only when the set differs from the one last emitted. While a prompt or a class
label is being typed in the tree, each keystroke counts as a change: the set with the text as typed so far (a preview,
not on the undo stack) is emitted, so the probabilities follow the typing; Enter commits the edit (one undo step),
Escape goes back to the committed set, which is then emitted again. A text the set cannot take (empty, a duplicate)
is not previewed. 50 ms leaves ~100 ms of the
150 ms edit -> refreshed probabilities budget to Analyzer.set_prompts (which encodes only prompts it has not seen).
``set_prompt_set`` (the application giving the panel a set) does not emit.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel, QFlowLayout

from app.controllers.prompts import PromptEditError, PromptSetController, edit_prompt, rename_class, shipped_sets
from app.widgets.messages import MessageBanner
from core.prompts import DEFAULT_SET, PromptSet

#: Debounce of promptSetChanged after the last change, in milliseconds.
DEBOUNCE_MS = 50

_ROLE_KEY = Qt.ItemDataRole.UserRole + 1  # ("class", label) or ("prompt", label, index)
_JSON_FILTER = "Prompt sets (*.json);;All files (*)"


#: The first prompt of a class added with a label alone (the user edits it or adds others).
DEFAULT_CLASS_PROMPT = "a face showing {label}"


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
            item.setData(("class", label), _ROLE_KEY)
            item.setToolTip(f"class {label!r}: double-click or F2 to rename")
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            count = QStandardItem(str(len(prompts)))
            count.setEditable(False)
            count.setData(("class", label), _ROLE_KEY)
            for i, text in enumerate(prompts):
                child = QStandardItem(text)
                child.setData(("prompt", label, i), _ROLE_KEY)
                blank = QStandardItem("")
                blank.setEditable(False)
                blank.setData(("prompt", label, i), _ROLE_KEY)
                item.appendRow([child, blank])
            self.appendRow([item, count])

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 (Qt API)
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return super().setData(index, value, role)
        key = index.data(_ROLE_KEY)
        if key is None:
            return False
        return bool(self._edit_handler(key, value))

    @staticmethod
    def key(index: QModelIndex) -> tuple | None:
        return index.data(_ROLE_KEY) if index.isValid() else None


class LiveEditDelegate(QStyledItemDelegate):
    """The tree's editor, reporting every keystroke: ``textEdited(key, text)`` (key: the item's ("class", label) or
    ("prompt", label, index)). The end of an edit, committed or not, is QAbstractItemDelegate.closeEditor."""

    textEdited = Signal(object, str)

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt API)
        editor = super().createEditor(parent, option, index)
        key = index.data(_ROLE_KEY)
        if isinstance(editor, QLineEdit) and key is not None:
            editor.textEdited.connect(lambda text, k=key: self.textEdited.emit(k, text))
        return editor


class _PathLabel(QElidingLabel):
    """A file path elided in the middle to the width it has (a long path never widens the panel); the whole path
    is its tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setElideMode(Qt.TextElideMode.ElideMiddle)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        super().setText(text)
        self.setToolTip(text)


class PromptEditorPanel(QWidget):
    """The active prompt set, editable. See the module docstring for the signal's timing."""

    promptSetChanged = Signal(object)

    def __init__(self, prompt_set: PromptSet | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("prompt editor")
        self.controller = PromptSetController(prompt_set, self)
        self._last_emitted: PromptSet = self.controller.prompt_set
        self._preview: PromptSet | None = None  # the set with the text being typed in the tree
        self._last_dir = str(Path.home())
        self._collapsed: set[str] = set()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_if_changed)
        self._refresh_timer = QTimer(self)  # the tree is rebuilt after the view's edit has finished
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_tree)

        self._build_ui()
        self.controller.setChanged.connect(self._on_set_changed)
        self.controller.modifiedChanged.connect(self._show_modified)
        self.controller.pathChanged.connect(self._show_file)
        self.controller.refused.connect(self._show_refusal)
        self._refresh_tree()
        self._show_modified(self.controller.is_modified)
        self._show_file()

    # ---------------------------------------------------------------- UI
    def _build_ui(self) -> None:
        stack = self.controller.undo_stack
        self.undo_action = QAction("Undo", self)
        self.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
        self.undo_action.triggered.connect(stack.undo)
        self.undo_action.setEnabled(stack.canUndo())
        stack.canUndoChanged.connect(self.undo_action.setEnabled)
        stack.undoTextChanged.connect(self._undo_text_changed)
        self.redo_action = QAction("Redo", self)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(stack.redo)
        self.redo_action.setEnabled(stack.canRedo())
        stack.canRedoChanged.connect(self.redo_action.setEnabled)
        stack.redoTextChanged.connect(self._redo_text_changed)
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)

        def act(text: str, slot, tip: str, shortcut: str | None = None) -> QAction:
            action = QAction(text, self)
            action.setToolTip(tip)
            action.triggered.connect(slot)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(action)
            return action

        # Ctrl+L, not Ctrl+O: Ctrl+O is File > Open scan everywhere in the window (two owners made it ambiguous)
        self.load_action = act("Load…", self._load_dialog, "Load a prompt set (JSON) — Ctrl+L", "Ctrl+L")
        self.save_action = act("Save", self._save, "Save the set to its file", "Ctrl+S")
        self.save_as_action = act("Save as…", self._save_as_dialog, "Save the set to another JSON file")
        self.import_action = act("Import…", self._import_dialog, "Import a CLIP-benchmark {class: [prompts]} file")
        self.export_action = act("Export…", self._export_dialog, "Export as a CLIP-benchmark {class: [prompts]} file")
        self.remove_action = act("Remove", self.remove_selected, "Remove the selected prompt or class")

        self.remove_action.setToolTip("Remove the selected prompt or class (Del)")
        # the actions as tool buttons in rows that wrap (a toolbar would hide those past a narrow panel's edge)
        toolbar = QFlowLayout()
        toolbar.setHorizontalSpacing(0)
        toolbar.setVerticalSpacing(0)
        self.action_buttons: dict[str, QToolButton] = {}
        for action in (self.undo_action, self.redo_action, self.remove_action, self.load_action, self.save_action,
                       self.save_as_action, self.import_action, self.export_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            toolbar.addWidget(button)
            self.action_buttons[action.text()] = button
        self.remove_button = self.action_buttons["Remove"]

        self.name_edit = QLineEdit()
        self.name_edit.setToolTip("The prompt set's name")
        self.name_edit.editingFinished.connect(self._rename_set)
        self.modified_label = QLabel()
        self.file_label = _PathLabel()
        head = QHBoxLayout()
        head.addWidget(QLabel("Set:"))
        head.addWidget(self.name_edit, 1)
        head.addWidget(self.modified_label)

        self.model = PromptTreeModel(self._edit_from_view, self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.delegate = LiveEditDelegate(self.tree)
        self.delegate.textEdited.connect(self._preview_typing)
        self.delegate.closeEditor.connect(self._end_preview)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.collapsed.connect(self._on_collapsed)
        self.tree.expanded.connect(self._on_expanded)
        remove_key = QAction(self.tree)
        remove_key.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        remove_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.triggered.connect(self.remove_selected)
        self.tree.addAction(remove_key)

        self.class_edit = QLineEdit()
        self.class_edit.setPlaceholderText("new class label")
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("prompt text, e.g. “a face showing contempt”")
        self.prompt_edit.returnPressed.connect(self._add_prompt_from_fields)
        self.add_class_button = QPushButton("Add class")
        self.add_class_button.setToolTip("Add a class with this label; the prompt above is its first prompt (empty: "
                                         "'a face showing <label>', to edit)")
        self.add_class_button.clicked.connect(self._add_class_from_fields)
        self.add_prompt_button = QPushButton("Add prompt")
        self.add_prompt_button.setToolTip("Add the prompt to the selected class")
        self.add_prompt_button.clicked.connect(self._add_prompt_from_fields)
        adders = QGridLayout()
        adders.addWidget(QLabel("Prompt:"), 0, 0)
        adders.addWidget(self.prompt_edit, 0, 1)
        adders.addWidget(self.add_prompt_button, 0, 2)
        adders.addWidget(QLabel("New class:"), 1, 0)
        adders.addWidget(self.class_edit, 1, 1)
        adders.addWidget(self.add_class_button, 1, 2)
        adders.setColumnStretch(1, 1)

        self.defaults_combo = QComboBox()
        self.defaults_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.defaults_combo.setMinimumContentsLength(12)
        self.defaults_combo.addItems(shipped_sets())
        at = self.defaults_combo.findText(DEFAULT_SET)
        if at >= 0:
            self.defaults_combo.setCurrentIndex(at)
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.setToolTip("Replace the set by the chosen shipped set (undoable)")
        self.reset_button.clicked.connect(self._reset_clicked)
        shipped = QWidget()  # label and list kept together when the row wraps
        shipped_row = QHBoxLayout(shipped)
        shipped_row.setContentsMargins(0, 0, 0, 0)
        shipped_row.addWidget(QLabel("Shipped set:"))
        shipped_row.addWidget(self.defaults_combo)
        foot = QFlowLayout()  # explicit spacing: the style's may be -1 (buttons would overlap by a pixel)
        foot.setHorizontalSpacing(6)
        foot.setVerticalSpacing(4)
        foot.addWidget(shipped)
        foot.addWidget(self.reset_button)

        self.message = MessageBanner()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(toolbar)
        layout.addLayout(head)
        layout.addWidget(self.tree, 1)
        layout.addLayout(adders)
        layout.addWidget(self.message)
        layout.addWidget(self.file_label)
        layout.addLayout(foot)

    # ---------------------------------------------------------------- public API
    @property
    def prompt_set(self) -> PromptSet:
        """The set as it is now (edits included, even before promptSetChanged fires)."""
        return self.controller.prompt_set

    def set_prompt_set(self, prompt_set: PromptSet) -> None:
        """Show ``prompt_set`` (undoable; not marked as modified; promptSetChanged is not emitted for it)."""
        self._last_emitted = prompt_set
        self.controller.set_prompt_set(prompt_set)

    def restore_unsaved(self, prompt_set: PromptSet, path: str | Path | None = None) -> None:
        """Show the unsaved edits of an earlier session (marked as modified; promptSetChanged is not emitted for
        them: the window hands them to the analysis itself)."""
        self._last_emitted = prompt_set
        self.controller.restore(prompt_set, path)
        self.message.show_message("Unsaved edits of the last session restored: save them to keep them in a file",
                                  "info")

    @property
    def is_modified(self) -> bool:
        return self.controller.is_modified

    def load_file(self, path: str | Path) -> bool:
        """Load a set in our format; an invalid file is refused with a message and the current set stays."""
        ok = self.controller.load(path)
        if ok:
            self._last_dir = str(Path(path).parent)
            self.message.show_message(f"Loaded {Path(path).name}", "info")
        return ok

    def import_file(self, path: str | Path) -> bool:
        """Import a CLIP-benchmark {class: [prompts]} file (refused with a message when invalid)."""
        ok = self.controller.import_clip(path)
        if ok:
            self._last_dir = str(Path(path).parent)
            self.message.show_message(f"Imported {Path(path).name} (not saved yet)", "info")
        return ok

    def save_file(self, path: str | Path | None = None) -> bool:
        """Save in our format to ``path`` (default: the set's file); a name without .json gets it."""
        ok = self.controller.save(_with_json_suffix(path) if path is not None else None)
        if ok:
            self.message.show_message(f"Saved {self.controller.path}", "info")
        return ok

    def export_file(self, path: str | Path) -> bool:
        """Export the CLIP-benchmark form (a name without .json gets it)."""
        path = _with_json_suffix(path)
        ok = self.controller.export_clip(path)
        if ok:
            self.message.show_message(f"Exported {path}", "info")
        return ok

    def reset_to_default(self, name: str = DEFAULT_SET) -> bool:
        return self.controller.reset_to_default(name)

    def remove_selected(self) -> bool:
        """Remove the selected prompt (or class); refused with a message when that would make the set invalid."""
        key = PromptTreeModel.key(self.tree.currentIndex())
        if key is None:
            self.message.show_message("Select a prompt or a class to remove", "warning")
            return False
        if key[0] == "class":
            return self.controller.remove_class(key[1])
        return self.controller.remove_prompt(key[1], key[2])

    def selected_class(self) -> str | None:
        key = PromptTreeModel.key(self.tree.currentIndex())
        return None if key is None else key[1]

    def select(self, label: str, prompt_index: int | None = None) -> None:
        """Make class ``label`` (or its prompt ``prompt_index``) the current item of the tree."""
        index = self._find(label, prompt_index)
        if index.isValid():
            self.tree.setCurrentIndex(index)

    # ---------------------------------------------------------------- slots
    def _edit_from_view(self, key: tuple, value: object) -> bool:
        text = value if isinstance(value, str) else str(value)
        if key[0] == "class":
            if text.strip() == key[1]:
                return False
            return self.controller.rename_class(key[1], text)
        prompts = self.controller.prompt_set.classes.get(key[1], ())
        if key[2] < len(prompts) and text.strip() == prompts[key[2]]:
            return False
        return self.controller.edit_prompt(key[1], key[2], text)

    def _add_class_from_fields(self) -> None:
        """A class from the label field; its first prompt is the prompt field, or, when that is empty, a plain
        template (DEFAULT_CLASS_PROMPT) the user can edit (a class needs at least one prompt)."""
        label = self.class_edit.text().strip()
        templated = not self.prompt_edit.text().strip() and bool(label)
        prompt = DEFAULT_CLASS_PROMPT.format(label=label) if templated else self.prompt_edit.text()
        if self.controller.add_class(self.class_edit.text(), prompt):
            self.class_edit.clear()
            self.prompt_edit.clear()
            self._refresh_tree()
            self.select(label)
            if templated:
                self.message.show_message(f"Added class {label!r} with the prompt {prompt!r}; edit it or add "
                                          f"more", "info")

    def _add_prompt_from_fields(self) -> None:
        label = self.selected_class()
        if label is None:
            self.message.show_message("Select the class to add the prompt to", "warning")
            return
        if self.controller.add_prompt(label, self.prompt_edit.text()):
            self.prompt_edit.clear()
            self._refresh_tree()
            self.select(label, len(self.controller.prompt_set.classes[label]) - 1)

    def _undo_text_changed(self, text: str) -> None:
        self.undo_action.setToolTip(f"Undo {text} (Ctrl+Z)" if text else "Nothing to undo")

    def _redo_text_changed(self, text: str) -> None:
        self.redo_action.setToolTip(f"Redo {text} (Ctrl+Shift+Z)" if text else "Nothing to redo")

    def _reset_clicked(self) -> None:
        self.reset_to_default(self.defaults_combo.currentText())

    def _rename_set(self) -> None:
        name = self.name_edit.text()
        if name.strip() != self.controller.prompt_set.name and not self.controller.rename_set(name):
            self.name_edit.setText(self.controller.prompt_set.name)

    def _on_set_changed(self, prompt_set: PromptSet) -> None:
        if self.message.level() == "error":
            self.message.clear()
        self._refresh_timer.start()
        self._debounce.start()

    def _preview_typing(self, key: tuple, text: str) -> None:
        """A keystroke in the tree's editor: preview the set with this text (see the module docstring)."""
        prompt_set = self.controller.prompt_set
        try:
            if key[0] == "class":
                preview = rename_class(prompt_set, key[1], text)
            else:
                preview = edit_prompt(prompt_set, key[1], key[2], text)
        except PromptEditError:
            return  # empty or a duplicate so far: the last preview stands until the text is valid again
        self._preview = preview
        self._debounce.start()

    def _end_preview(self, *_args) -> None:
        if self._preview is not None:
            self._preview = None
            self._debounce.start()  # committed: the edit's own change; reverted: back to the committed set

    @property
    def live_prompt_set(self) -> PromptSet:
        """The set the analysis should score with now: the preview while a text is being typed, else
        :attr:`prompt_set`."""
        return self._preview if self._preview is not None else self.controller.prompt_set

    def _emit_if_changed(self) -> None:
        current = self.live_prompt_set
        if current != self._last_emitted:
            self._last_emitted = current
            self.promptSetChanged.emit(current)

    def _show_modified(self, modified: bool) -> None:
        self.modified_label.setText("● unsaved changes" if modified else "saved")
        self.modified_label.setStyleSheet("color:#b35900; font-weight:bold;" if modified else "color:gray;")
        self.modified_label.setToolTip("The set differs from its file" if modified else "No unsaved changes")

    def _show_refusal(self, text: str) -> None:
        self.message.show_message(text, "error")

    def _show_file(self, _path: str = "") -> None:
        path = self.controller.path
        self.file_label.setText(f"File: {path}" if path is not None else "File: (none; use Save as…)")

    # ---------------------------------------------------------------- tree
    def _on_collapsed(self, index: QModelIndex) -> None:
        self._collapsed.add(self._label_of(index))

    def _on_expanded(self, index: QModelIndex) -> None:
        self._collapsed.discard(self._label_of(index))

    def _label_of(self, index: QModelIndex) -> str:
        key = PromptTreeModel.key(index)
        return "" if key is None else key[1]

    def _find(self, label: str, prompt_index: int | None) -> QModelIndex:
        for row in range(self.model.rowCount()):
            parent = self.model.index(row, 0)
            if parent.data(_ROLE_KEY) == ("class", label):
                if prompt_index is None:
                    return parent
                child = self.model.index(prompt_index, 0, parent)
                return child if child.isValid() else parent
        return QModelIndex()

    def _refresh_tree(self) -> None:
        self._refresh_timer.stop()
        current = PromptTreeModel.key(self.tree.currentIndex())
        scroll = self.tree.verticalScrollBar().value()
        prompt_set = self.controller.prompt_set
        self.model.populate(prompt_set)
        for row in range(self.model.rowCount()):
            index = self.model.index(row, 0)
            self.tree.setExpanded(index, self._label_of(index) not in self._collapsed)
        if current is not None:
            label = current[1]
            if label in prompt_set.classes:
                n = len(prompt_set.classes[label])
                target = self._find(label, None if current[0] == "class" else min(current[2], n - 1))
                self.tree.setCurrentIndex(target)
        self.tree.verticalScrollBar().setValue(scroll)
        if self.name_edit.text() != prompt_set.name:
            self.name_edit.setText(prompt_set.name)

    # ---------------------------------------------------------------- dialogs
    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load prompt set", self._last_dir, _JSON_FILTER)
        if path:
            self.load_file(path)

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CLIP-benchmark prompts", self._last_dir, _JSON_FILTER)
        if path:
            self.import_file(path)

    def _save(self) -> None:
        if self.controller.path is None:
            self._save_as_dialog()
        else:
            self.save_file()

    def _save_as_dialog(self) -> None:
        start = str(Path(self._last_dir) / f"{self.controller.prompt_set.name}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save prompt set", start, _JSON_FILTER)
        if path:
            self._last_dir = str(Path(path).parent)
            self.save_file(path)

    def _export_dialog(self) -> None:
        start = str(Path(self._last_dir) / f"{self.controller.prompt_set.name}_clip.json")
        path, _ = QFileDialog.getSaveFileName(self, "Export CLIP-benchmark prompts", start, _JSON_FILTER)
        if path:
            self._last_dir = str(Path(path).parent)
            self.export_file(path)


def _with_json_suffix(path: str | Path) -> Path:
    path = Path(path)
    return path if path.suffix.lower() == ".json" else path.with_name(path.name + ".json")


def prepare_screenshot(panel: PromptEditorPanel, prompt_set: str | PromptSet = DEFAULT_SET) -> PromptEditorPanel:
    """Put ``panel`` in a representative state for the documentation: a shipped set loaded, a class selected."""
    if isinstance(prompt_set, PromptSet):
        panel.set_prompt_set(prompt_set)
    else:
        panel.reset_to_default(prompt_set)
    panel._refresh_tree()
    labels = panel.prompt_set.labels
    if labels:
        panel.select(labels[0], 0)
    return panel
