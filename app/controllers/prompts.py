"""Editing a prompt set: pure edit functions over core.prompts.PromptSet, and the undoable document the prompt editor
panel shows (:class:`PromptSetController`).

Every edit function takes a PromptSet and returns a new one, or raises :class:`PromptEditError` (a ValueError) with a
message fit for the window when the edit would make the set invalid or is meaningless: an empty prompt or label, a
class left without prompts, a set left without classes, a duplicate class label, a prompt already in its class.
Texts are stripped of surrounding white space. The set itself is never mutated (PromptSet is frozen).

The controller keeps the current set, the file it belongs to and a QUndoStack whose commands swap whole snapshots
(set, file), so undo/redo of edits, loads, imports and resets all work the same way. "Modified" is the undo stack's
clean state: set clean after a load, a save, a reset to a shipped set and :meth:`PromptSetController.set_prompt_set`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from core.prompts import (
    DEFAULT_SET,
    PromptSet,
    default_prompt_set,
    default_prompt_sets,
    export_clip_benchmark,
    import_clip_benchmark,
    load_prompt_set,
    save_prompt_set,
)


class PromptEditError(ValueError):
    """An edit refused because the result would be invalid; the message says why, for the user."""


# ------------------------------------------------------------------------------------------------ pure edit functions
def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise PromptEditError(f"{what} must be text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise PromptEditError(f"{what} cannot be empty")
    return text


def _prompts(prompt_set: PromptSet, label: str) -> list[str]:
    if label not in prompt_set.classes:
        raise PromptEditError(f"there is no class {label!r} in the set")
    return list(prompt_set.classes[label])


def _index(prompts: list[str], label: str, index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(prompts):
        raise PromptEditError(f"class {label!r} has no prompt number {index!r}")
    return index


def _replace_class(prompt_set: PromptSet, label: str, prompts: list[str]) -> PromptSet:
    classes = dict(prompt_set.classes)
    classes[label] = tuple(prompts)
    return PromptSet(prompt_set.name, classes)


def edit_prompt(prompt_set: PromptSet, label: str, index: int, text: str) -> PromptSet:
    """``label``'s prompt number ``index`` (0-based) replaced by ``text``."""
    prompts = _prompts(prompt_set, label)
    index = _index(prompts, label, index)
    text = _text(text, "a prompt")
    if text != prompts[index] and text in prompts:
        raise PromptEditError(f"class {label!r} already has the prompt {text!r}")
    prompts[index] = text
    return _replace_class(prompt_set, label, prompts)


def add_prompt(prompt_set: PromptSet, label: str, text: str) -> PromptSet:
    """``text`` appended to ``label``'s prompts."""
    prompts = _prompts(prompt_set, label)
    text = _text(text, "a prompt")
    if text in prompts:
        raise PromptEditError(f"class {label!r} already has the prompt {text!r}")
    return _replace_class(prompt_set, label, prompts + [text])


def remove_prompt(prompt_set: PromptSet, label: str, index: int) -> PromptSet:
    """``label``'s prompt number ``index`` removed; a class's last prompt cannot be removed (remove the class)."""
    prompts = _prompts(prompt_set, label)
    index = _index(prompts, label, index)
    if len(prompts) == 1:
        raise PromptEditError(f"class {label!r} needs at least one prompt; remove the class instead")
    del prompts[index]
    return _replace_class(prompt_set, label, prompts)


def add_class(prompt_set: PromptSet, label: str, prompts: list[str] | tuple[str, ...] | str) -> PromptSet:
    """A new class ``label`` (appended last) with ``prompts`` (one string or several)."""
    label = _text(label, "a class label")
    if label in prompt_set.classes:
        raise PromptEditError(f"the set already has a class {label!r}")
    items = [prompts] if isinstance(prompts, str) else list(prompts)
    if not items:
        raise PromptEditError(f"class {label!r} needs at least one prompt")
    cleaned: list[str] = []
    for item in items:
        text = _text(item, f"a prompt of class {label!r}")
        if text in cleaned:
            raise PromptEditError(f"the prompt {text!r} is given twice for class {label!r}")
        cleaned.append(text)
    return _replace_class(prompt_set, label, cleaned)


def rename_class(prompt_set: PromptSet, label: str, new_label: str) -> PromptSet:
    """Class ``label`` renamed to ``new_label``, keeping its place in the class order."""
    _prompts(prompt_set, label)
    new_label = _text(new_label, "a class label")
    if new_label != label and new_label in prompt_set.classes:
        raise PromptEditError(f"the set already has a class {new_label!r}")
    classes = {(new_label if k == label else k): v for k, v in prompt_set.classes.items()}
    return PromptSet(prompt_set.name, classes)


def remove_class(prompt_set: PromptSet, label: str) -> PromptSet:
    """Class ``label`` removed; the last class cannot be removed."""
    _prompts(prompt_set, label)
    if len(prompt_set.classes) == 1:
        raise PromptEditError("a prompt set needs at least one class")
    return prompt_set.without_class(label)


def rename_set(prompt_set: PromptSet, name: str) -> PromptSet:
    """The set under another name."""
    return prompt_set.renamed(_text(name, "the set's name"))


# ------------------------------------------------------------------------------------------------ the undoable document
@dataclass(frozen=True)
class _Snapshot:
    prompt_set: PromptSet
    path: Path | None


class _SwapCommand(QUndoCommand):
    """One undo step: the document's (set, file) before and after."""

    def __init__(self, controller: "PromptSetController", text: str, before: _Snapshot, after: _Snapshot):
        super().__init__(text)
        self._controller = controller
        self._before = before
        self._after = after

    def redo(self) -> None:
        self._controller._show(self._after)

    def undo(self) -> None:
        self._controller._show(self._before)


class PromptSetController(QObject):
    """The prompt set being edited, its file and its undo history.

    Signals: setChanged(PromptSet) on every change of the current set (edit, undo, redo, load, import, reset);
    modifiedChanged(bool) when the unsaved-changes state flips; pathChanged(str) when the file changes ('' for
    none); refused(str) when an edit or a file is refused (the message; the current set is left as it was).
    """

    setChanged = Signal(object)
    modifiedChanged = Signal(bool)
    pathChanged = Signal(str)
    refused = Signal(str)

    def __init__(self, prompt_set: PromptSet | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._state = _Snapshot(prompt_set if prompt_set is not None else default_prompt_set(DEFAULT_SET), None)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    # ---------------------------------------------------------------- state
    @property
    def prompt_set(self) -> PromptSet:
        return self._state.prompt_set

    @property
    def path(self) -> Path | None:
        """The file the set was loaded from or last saved to (None for a shipped or imported set)."""
        return self._state.path

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    def _show(self, state: _Snapshot) -> None:
        old = self._state
        self._state = state
        if old.path != state.path:
            self.pathChanged.emit("" if state.path is None else str(state.path))
        if old.prompt_set != state.prompt_set:
            self.setChanged.emit(state.prompt_set)

    def _push(self, text: str, prompt_set: PromptSet, path: Path | None, clean: bool = False) -> None:
        after = _Snapshot(prompt_set, path)
        if after != self._state:
            self.undo_stack.push(_SwapCommand(self, text, self._state, after))
        if clean:
            self.undo_stack.setClean()

    # ---------------------------------------------------------------- edits
    def _edit(self, text: str, function, *args) -> bool:
        try:
            new = function(self.prompt_set, *args)
        except ValueError as exc:
            self.refused.emit(str(exc))
            return False
        self._push(text, new, self.path)
        return True

    def edit_prompt(self, label: str, index: int, text: str) -> bool:
        """True when applied (or already so); False, with refused(message), when refused."""
        return self._edit(f"Edit prompt of {label!r}", edit_prompt, label, index, text)

    def add_prompt(self, label: str, text: str) -> bool:
        return self._edit(f"Add prompt to {label!r}", add_prompt, label, text)

    def remove_prompt(self, label: str, index: int) -> bool:
        return self._edit(f"Remove prompt of {label!r}", remove_prompt, label, index)

    def add_class(self, label: str, prompts: list[str] | tuple[str, ...] | str) -> bool:
        return self._edit(f"Add class {label!r}", add_class, label, prompts)

    def rename_class(self, label: str, new_label: str) -> bool:
        return self._edit(f"Rename class {label!r}", rename_class, label, new_label)

    def remove_class(self, label: str) -> bool:
        return self._edit(f"Remove class {label!r}", remove_class, label)

    def rename_set(self, name: str) -> bool:
        return self._edit("Rename set", rename_set, name)

    def set_prompt_set(self, prompt_set: PromptSet) -> None:
        """Show ``prompt_set`` (from the application, e.g. a model's set); undoable, marked as not modified."""
        if not isinstance(prompt_set, PromptSet):
            raise TypeError(f"set_prompt_set needs a PromptSet, got {type(prompt_set).__name__}")
        self._push(f"Use set {prompt_set.name!r}", prompt_set, None, clean=True)

    def restore(self, prompt_set: PromptSet, path: str | os.PathLike[str] | None = None) -> None:
        """Show unsaved edits kept from an earlier session: ``prompt_set`` belonging to the file ``path`` (None: no
        file yet); undoable and marked as modified, so they are saved or kept again on close."""
        if not isinstance(prompt_set, PromptSet):
            raise TypeError(f"restore needs a PromptSet, got {type(prompt_set).__name__}")
        self._push("Restore unsaved edits", prompt_set, Path(path).absolute() if path else None)

    # ---------------------------------------------------------------- files
    def load(self, path: str | os.PathLike[str]) -> bool:
        """Read a set in our format from ``path``; refused (message, set unchanged) when the file is not valid."""
        path = Path(path)
        return self._push_read(f"Load {path.name}", load_prompt_set, path, path.absolute(), clean=True)

    def import_clip(self, path: str | os.PathLike[str]) -> bool:
        """Read a CLIP-benchmark {label: [prompts]} file (the set is named after the file); unsaved afterwards."""
        path = Path(path)
        return self._push_read(f"Import {path.name}", import_clip_benchmark, path, None)

    def _push_read(self, action: str, read, path: Path, file_path: Path | None, clean: bool = False) -> bool:
        """Push ``read(path)`` as ``action``; when it raises, the refusal is reported and the set stays."""
        try:
            prompt_set = read(path)
        except (ValueError, OSError) as exc:
            self.refused.emit(f"{exc}; the current set is unchanged")
            return False
        self._push(action, prompt_set, file_path, clean=clean)
        return True

    def reset_to_default(self, name: str = DEFAULT_SET) -> bool:
        """Replace the set by the shipped set ``name`` (one of :func:`shipped_sets`); undoable."""
        try:
            prompt_set = default_prompt_set(name)
        except (ValueError, OSError) as exc:
            self.refused.emit(str(exc))
            return False
        self._push(f"Reset to {name!r}", prompt_set, None, clean=True)
        return True

    def save(self, path: str | os.PathLike[str] | None = None) -> bool:
        """Write the set in our format to ``path`` (default: its current file); it then belongs to that file."""
        target = Path(path).absolute() if path is not None else self.path
        if target is None:
            self.refused.emit("the set has no file yet: choose where to save it")
            return False
        try:
            save_prompt_set(self.prompt_set, target)
        except (ValueError, OSError) as exc:
            self.refused.emit(f"{target}: cannot save the prompt set ({exc})")
            return False
        if target != self.path:
            self._push(f"Save as {target.name}", self.prompt_set, target)
        self.undo_stack.setClean()
        return True

    def export_clip(self, path: str | os.PathLike[str]) -> bool:
        """Write the plain {label: [prompts]} form to ``path`` (does not change the set's file or saved state)."""
        try:
            export_clip_benchmark(self.prompt_set, path)
        except (ValueError, OSError) as exc:
            self.refused.emit(f"{path}: cannot export the prompt set ({exc})")
            return False
        return True


def shipped_sets() -> list[str]:
    """Names of the prompt sets shipped with the application (resources/prompts/)."""
    return default_prompt_sets()
