"""What the main window keeps between sessions (a mixin of app.main_window.MainWindow), in its QSettings file:

* recent files, two lists (File ▸ Open recent shows both, each under its heading): single scans and 4D sequences
  (``recent``) and data sets (``recent_datasets``: a manifest, or the manifest a data-set folder was indexed into);
* the window's geometry and its docks' layout (``geometry``, ``window_state``), restored at the next start;
* the last data set shown in the browser (``last_dataset``), reopened at the next start when no other was asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_RECENT = 10
#: Bumped when the dock layout changes, so that a saved state of another layout is not applied.
STATE_VERSION = 2


class WindowSession:
    """Mixed into MainWindow (a QMainWindow with ``settings``, ``recent_menu``, ``browser``, open_any/open_manifest)."""

    # ------------------------------------------------------------------------------------------------ recent files
    def _recent(self, key: str) -> list[str]:
        value = self.settings.value(key, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def recent_files(self) -> list[str]:
        """Recent single scans and sequences, newest first."""
        return self._recent("recent")

    def recent_datasets(self) -> list[str]:
        """Recent data sets (manifests), newest first."""
        return self._recent("recent_datasets")

    def _add_recent(self, path: str, dataset: bool = False) -> None:
        key = "recent_datasets" if dataset else "recent"
        path = os.path.abspath(path)
        recent = [p for p in self._recent(key) if p != path]
        recent.insert(0, path)
        self.settings.setValue(key, recent[:MAX_RECENT])
        if dataset:
            self.settings.setValue("last_dataset", path)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for title, paths in (("Scans and sequences", self.recent_files()), ("Data sets", self.recent_datasets())):
            if not paths:
                continue
            self.recent_menu.addSection(title)
            for path in paths:
                action = self.recent_menu.addAction(path)
                action.triggered.connect(lambda _=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(self.recent_files() or self.recent_datasets()))

    def _open_recent(self, path: str) -> None:
        if Path(path).is_dir() and not any(Path(path).iterdir()):
            self.show_error(f"{path}: the folder is empty")
            return
        self.open_any(path)

    # ------------------------------------------------------------------------------------------------ layout
    def restore_layout(self) -> bool:
        """The geometry and dock layout of the last session, when saved by this layout version."""
        if int(self.settings.value("window_state_version", 0) or 0) != STATE_VERSION:
            return False
        geometry, state = self.settings.value("geometry"), self.settings.value("window_state")
        restored = bool(geometry) and self.restoreGeometry(geometry)
        return bool(state) and self.restoreState(state, STATE_VERSION) and restored

    def save_layout(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(STATE_VERSION))
        self.settings.setValue("window_state_version", STATE_VERSION)

    # ------------------------------------------------------------------------------------------------ data set
    def last_dataset(self) -> str:
        """The last data set's manifest, '' when none or gone."""
        path = str(self.settings.value("last_dataset", "") or "")
        return path if path and Path(path).is_file() else ""
