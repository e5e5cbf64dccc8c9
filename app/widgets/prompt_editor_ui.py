"""The widgets of the prompt editor panel (app.widgets.prompt_editor): undo/redo and file actions as tool buttons in
wrapping rows, the set's name, the tree, the fields that add a prompt or a class, the shipped sets and the message
bar. A mixin: :class:`PromptEditorUi` builds them on the panel, whose slots they connect to."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel, QFlowLayout

from app.controllers.prompts import shipped_sets
from app.widgets.messages import MessageBanner
from app.widgets.prompt_tree import LiveEditDelegate, PromptTreeModel
from core.prompts import DEFAULT_SET


class PathLabel(QElidingLabel):
    """A file path elided in the middle to the width it has (a long path never widens the panel); the whole path
    is its tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setElideMode(Qt.TextElideMode.ElideMiddle)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        super().setText(text)
        self.setToolTip(text)


class PromptEditorUi:
    """Builds the panel's widgets (``_build_ui``); see the module docstring."""

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
        self.file_label = PathLabel()
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
