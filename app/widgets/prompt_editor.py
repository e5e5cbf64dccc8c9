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

The widgets are built by :class:`app.widgets.prompt_editor_ui.PromptEditorUi`; the tree model and the typing
delegate are in :mod:`app.widgets.prompt_tree`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from app.controllers.prompts import PromptEditError, PromptSetController, edit_prompt, rename_class
from app.widgets.prompt_editor_ui import PromptEditorUi
from app.widgets.prompt_tree import ROLE_KEY, PromptTreeModel
from core.prompts import DEFAULT_SET, PromptSet

#: Debounce of promptSetChanged after the last change, in milliseconds.
DEBOUNCE_MS = 50

_JSON_FILTER = "Prompt sets (*.json);;All files (*)"


#: The first prompt of a class added with a label alone (the user edits it or adds others).
DEFAULT_CLASS_PROMPT = "a face showing {label}"


class PromptEditorPanel(PromptEditorUi, QWidget):
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
            if parent.data(ROLE_KEY) == ("class", label):
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
