"""The prompt set between sessions (a mixin of app.main_window.MainWindow), kept in the data folder and QSettings:

* unsaved edits at close go to ``prompt_draft.json`` (with the file they belong to, ``prompt_draft_source``) and
  come back, still marked unsaved, at the next start;
* otherwise the set the user chose last — a prompt-set file (``last_prompt_set = "file:<path>"``) or a shipped set
  other than the model's own (``"shipped:<name>"``) — is reopened at the next start; a file that has gone or no
  longer reads gives a warning naming it, and the model's own set is used.

``--prompts`` on the command line wins over both.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.controllers.analysis import error_text
from app.controllers.prompts import shipped_sets
from core.prompts import default_prompt_set, load_prompt_set, save_prompt_set

#: Unsaved prompt edits kept at close (in the data folder) and restored on the next start.
PROMPT_DRAFT = "prompt_draft.json"
LAST_SET_KEY = "last_prompt_set"


class WindowPrompts:
    """Mixed into MainWindow (``settings``, ``data_dir``, ``options``, ``prompt_editor``, ``controller``,
    show_message)."""

    _draft_restored = False

    def restore_prompt_set(self) -> None:
        """At start: the last session's unsaved edits, else the set it used last (see the module docstring)."""
        if self.options.prompts:
            return
        if not self._restore_prompt_draft():
            self._reopen_last_prompt_set()

    def keep_prompt_set(self) -> None:
        """At close: unsaved edits to the draft file; otherwise remember the set in use for the next start."""
        draft = self.data_dir / PROMPT_DRAFT
        editor = self.prompt_editor
        try:
            if editor.is_modified:
                save_prompt_set(editor.prompt_set, draft)
                path = editor.controller.path
                self.settings.setValue("prompt_draft_source", "" if path is None else str(path))
                return
            if self._draft_restored and draft.is_file():
                draft.unlink()
        except (ValueError, OSError) as exc:
            print(f"SMILE-VLM Analyzer: cannot keep the unsaved prompt edits in {draft}: {exc}", file=sys.stderr)
        self.settings.setValue(LAST_SET_KEY, self._last_set_spec())

    def _last_set_spec(self) -> str:
        editor = self.prompt_editor
        if not self.controller.prompts_edited:
            return ""  # the model's own set: it comes with the model
        if editor.controller.path is not None:
            return f"file:{editor.controller.path}"
        for name in shipped_sets():
            try:
                if default_prompt_set(name) == editor.prompt_set:
                    return f"shipped:{name}"
            except (ValueError, OSError):
                continue
        return ""

    def _restore_prompt_draft(self) -> bool:
        draft = self.data_dir / PROMPT_DRAFT
        if not draft.is_file():
            return False
        try:
            prompt_set = load_prompt_set(draft)
        except (ValueError, OSError) as exc:
            self.show_message(f"The unsaved prompt edits of the last session cannot be read ({error_text(exc)}); "
                              f"the file {draft} is kept.", "warning")
            return True
        source = str(self.settings.value("prompt_draft_source", "") or "")
        self.prompt_editor.restore_unsaved(prompt_set, source or None)
        self.controller.set_prompts(prompt_set)
        self._draft_restored = True
        self.show_message("The unsaved prompt edits of the last session are back in the Prompts tab.", "info")
        return True

    def _reopen_last_prompt_set(self) -> None:
        spec = str(self.settings.value(LAST_SET_KEY, "") or "")
        kind, _, value = spec.partition(":")
        editor = self.prompt_editor
        if kind == "file":
            if not Path(value).is_file():
                self.show_message(f"The prompt set of the last session, {value}, is gone; the model's own set is "
                                  "used.", "warning")
                return
            try:
                load_prompt_set(value)
            except (ValueError, OSError) as exc:
                self.show_message(f"The prompt set of the last session cannot be read ({error_text(exc)}); the "
                                  "model's own set is used.", "warning")
                return
            if not editor.load_file(value):
                return
        elif kind == "shipped":
            if value not in shipped_sets() or not editor.reset_to_default(value):
                return
        else:
            return
        self.controller.set_prompts(editor.prompt_set)
        self.show_message(f"Prompt set {editor.prompt_set.name!r} of the last session reopened.", "info")
