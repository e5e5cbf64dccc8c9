"""The render cache's index: manifest path -> entry, kept as one small record file per path plus a summary.

Layout under a cache's config folder::

    rows/<path hash>-<entry hash>.json   one record per manifest path: {"path", "time", "file", "content", "kind",
                                         "stat", "face"[, "orientation"]}, written atomically when a row is
                                         rendered or first found cached; the name changes with the content
    index.json                           summary of all records: {"config", "key", "entries": {path: entry},
                                         "records": {path: record name}}

The records are the index; ``index.json`` only saves reading them one by one. Opening checks the summary against
the record names in ``rows/`` (one directory listing): records it lacks (written by a run that was killed, or by one
still running) are read and merged, records that are gone are dropped. A summary that is missing, unreadable or in
the old format (entries only) is rebuilt from the records, or migrated into records, with a line on stderr. So a
kill at any moment (``kill -9`` included) costs nothing: every finished row has its record, and the next open sees
it. Runs writing at the same time each write their own records; when two records name one path, the newer wins and
the older is removed when the summary is written. The summary itself is rewritten atomically, last writer wins,
which is harmless since every open checks it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from core.config_io import write_bytes_atomic

RECORDS = "rows"


def _digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def _same(a: dict | None, b: dict | None) -> bool:
    """Whether two entries agree, leaving out when they were written."""
    if a is None or b is None:
        return a is b
    return {k: v for k, v in a.items() if k != "time"} == {k: v for k, v in b.items() if k != "time"}


def record_name(path: str, entry: dict) -> str:
    body = json.dumps({k: v for k, v in entry.items() if k != "time"}, sort_keys=True)
    return f"{_digest(path, 24)}-{_digest(body, 12)}.json"


class CacheIndex:
    """Manifest path -> entry of one cache config folder (see the module docstring). ``entries`` is the merged
    view; :meth:`put` and :meth:`drop` change it on disk at once; :meth:`sync` picks up other runs' records;
    :meth:`write_summary` rewrites index.json."""

    def __init__(self, folder: str | Path, summary_header: dict):
        self.folder = Path(folder)
        self.summary_path = self.folder / "index.json"
        self.records = self.folder / RECORDS
        self._header = summary_header
        self.entries: dict[str, dict] = {}
        self._names: dict[str, str] = {}  # path -> the record name its entry came from
        self._seen: set[str] = set()  # every record name read or written (the superseded ones too)
        self.dirty = False
        self.message = self._open()
        if self.message:
            self.write_summary(quiet=True)  # the repair sticks (a read-only cache keeps it in memory)

    # -- opening ---------------------------------------------------------------------------------------
    def _open(self) -> str | None:
        """Load the summary and bring it up to date with the records; returns what was repaired, in words."""
        state, summary = self._read_summary()
        if summary is not None and isinstance(summary.get("records"), dict):
            entries = summary.get("entries") if isinstance(summary.get("entries"), dict) else {}
            for path, name in summary["records"].items():
                entry = entries.get(path)
                if isinstance(entry, dict) and isinstance(name, str):
                    self.entries[path], self._names[path] = entry, name
            self._seen = set(self._names.values())
            self.sync()
            return None  # a stale summary is normal while another run renders: merged quietly
        added, _ = self.sync()
        if summary is not None and isinstance(summary.get("entries"), dict):  # the old format: entries only
            moved = self._migrate({p: e for p, e in summary["entries"].items() if isinstance(e, dict)})
            self.dirty = True
            return f"index {self.summary_path} moved to one record per row ({moved} rows)"
        if summary is not None:
            state = "unreadable"
        if added or state == "unreadable":
            self.dirty = True
            reason = "was unreadable" if state == "unreadable" else "was missing"
            return f"index {self.summary_path} {reason}: rebuilt from {added} row record(s) in {self.records}"
        return None

    def _read_summary(self) -> tuple[str, dict | None]:
        try:
            data = json.loads(self.summary_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return "missing", None
        except (OSError, ValueError, RecursionError):  # RecursionError: nested too deeply
            return "unreadable", None
        if not isinstance(data, dict):
            return "unreadable", None
        return "ok", data

    def _migrate(self, legacy: dict[str, dict]) -> int:
        moved = 0
        for path, entry in legacy.items():
            if path in self.entries or "file" not in entry:
                continue
            try:
                self.put(path, entry)
            except OSError:  # a read-only cache: keep the entry in memory
                self.entries[path] = entry
            moved += 1
        return moved

    # -- records ---------------------------------------------------------------------------------------
    def _listing(self) -> set[str]:
        try:
            return {n for n in os.listdir(self.records) if n.endswith(".json") and not n.startswith(".")}
        except OSError:
            return set()

    def sync(self) -> tuple[int, int]:
        """Merge the records written since the last look (by other runs, or by a run that was killed) and drop the
        paths whose record is gone; returns (records read, paths dropped)."""
        names = self._listing()
        removed = 0
        for path, name in list(self._names.items()):
            if name not in names:
                del self._names[path]
                self.entries.pop(path, None)
                removed += 1
        self._seen &= names
        new = sorted(names - self._seen)
        for name in new:
            self._seen.add(name)
            record = self._read_record(name)
            if record is None:
                continue
            path = record.pop("path")
            known = self.entries.get(path)
            if known is None or float(record.get("time", 0)) >= float(known.get("time", 0)):
                self.entries[path], self._names[path] = record, name
        if new or removed:
            self.dirty = True
        return len(new), removed

    def _read_record(self, name: str) -> dict | None:
        try:
            data = json.loads((self.records / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: nested too deeply
            return None
        if not isinstance(data, dict) or not isinstance(data.get("path"), str) or not isinstance(data.get("file"), str):
            return None
        return data

    def get(self, path: str) -> dict | None:
        return self.entries.get(path)

    def put(self, path: str, entry: dict) -> None:
        """Record ``entry`` for ``path`` (written at once, atomically; nothing is written when it is unchanged).
        OSError when the record cannot be written."""
        if _same(self.entries.get(path), entry):
            return
        entry = {**entry, "time": time.time()}
        name = record_name(path, entry)
        text = json.dumps({"path": path, **entry}, sort_keys=True) + "\n"
        self.records.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(self.records / name, text.encode("utf-8"))
        old = self._names.get(path)
        self.entries[path], self._names[path] = entry, name
        self._seen.add(name)
        self.dirty = True
        if old and old != name:
            _unlink(self.records / old)

    def drop(self, path: str) -> None:
        """Forget ``path`` (its records are removed, other runs' included)."""
        self.entries.pop(path, None)
        self._names.pop(path, None)
        prefix = _digest(path, 24) + "-"
        for name in self._listing():
            if name.startswith(prefix):
                self._seen.discard(name)
                self.dirty |= _unlink(self.records / name)

    # -- summary ---------------------------------------------------------------------------------------
    def write_summary(self, force: bool = False, quiet: bool = False) -> None:
        """Merge other runs' records, remove superseded ones, and rewrite index.json when anything changed.
        Best effort: the summary can always be rebuilt, so a failed write is reported on stderr (unless ``quiet``),
        not raised."""
        self.sync()
        if not (self.dirty or force):
            return
        keep = set(self._names.values())
        for name in self._seen - keep:  # records another run superseded, or older ones of the same path
            _unlink(self.records / name)
        self._seen = set(keep)
        data = {**self._header, "entries": self.entries, "records": self._names}
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.summary_path, text.encode("utf-8"))
        except OSError as exc:
            if quiet:
                return
            print(f"warning: {self.summary_path}: could not write the index summary ({exc.strerror or exc}); "
                  "it is rebuilt from the row records on the next open", file=sys.stderr)
            return
        self.dirty = False

    def rebuild(self) -> int:
        """Forget the summary and read every record again; rewrites index.json. Returns the number of paths."""
        self.entries, self._names, self._seen = {}, {}, set()
        self.sync()
        self.write_summary(force=True)
        return len(self.entries)


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
    except OSError:
        return False
    return True
