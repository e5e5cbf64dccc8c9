"""One :meth:`core.render.cache.RenderCache.render_manifest` run: render the rows of a manifest missing from a cache.

Each row is keyed (content hash, unless its stat signature is in the index), then:

* its entry exists: counted as cached and recorded in the index;
* else the run claims the entry (:mod:`core.render.claims`), checks once more that no other run finished it a moment
  ago, renders it, writes it and records the row, and only then lets the claim go;
* the claim is held by another run: the row is put aside. When every other row is done the run goes back to those
  (every ``CLAIM_POLL_SECONDS``): a finished entry is taken (counted in :attr:`RenderSummary.shared`); a free claim
  without an entry (its run failed on the scan, or died) is taken and the row rendered here.

Each run holds one claim at a time, so two runs going through one manifest leapfrog each other and together render
every entry once. The row records are written as rows finish; the index summary every ``INDEX_FLUSH_SECONDS`` and
at the end (also when the run is interrupted), after which lock files and temporaries that killed runs left are
swept away.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

#: Seconds between two rewrites of the index summary (index.json) during a run; the row records are written at once.
INDEX_FLUSH_SECONDS = 2.0
#: Seconds between two looks at the rows that another run was rendering, at the end of a run.
CLAIM_POLL_SECONDS = 0.1
#: Temporary files older than this (seconds) were left by killed runs; removed at the end of a run.
STALE_TEMPORARY_SECONDS = 3600.0
#: Rows without a face listed by name in RenderSummary.format().
NO_FACE_LISTED = 10


class CacheWriteError(OSError):
    """Writing into the render cache failed (a full disk, a read-only folder): the whole render stops, since every
    further row would fail the same way; the message names the cache file."""


@dataclass(frozen=True)
class RenderSummary:
    """What :meth:`RenderCache.render_manifest` did.

    total: rows given. rendered: entries rendered and written by this run. cached: rows whose entry was
    already there. failed: (path, reason) of every row that could not be rendered. seconds: wall time.
    no_face: (path, reason) of the rendered or cached rows in which no face was found (their views come from the
    best fit and are unreliable; rows whose face flag is unknown, e.g. entries written by other tools, are not
    counted). shared: rows whose entry another run (rendering into the same cache at the same time) was rendering
    when this run reached them, taken when it was done.
    """

    total: int
    rendered: int
    cached: int
    failed: tuple[tuple[str, str], ...] = field(default=())
    seconds: float = 0.0
    no_face: tuple[tuple[str, str], ...] = field(default=())
    shared: int = 0

    @property
    def ok(self) -> bool:
        """Whether at least one row has a cache entry (rendered now or before, here or by another run)."""
        return self.rendered + self.cached + self.shared > 0

    def format(self) -> str:
        shared = f"{self.shared} rendered by another run meanwhile, " if self.shared else ""
        lines = [
            f"{self.total} rows: {self.rendered} rendered, {self.cached} already cached, {shared}"
            f"{len(self.failed)} failed ({self.seconds:.1f} s)"
        ]
        lines += [f"  failed: {path}: {reason}" for path, reason in self.failed]
        if self.no_face:
            lines.append(f"{len(self.no_face)} scan(s) with no face found (rendered from the best fit; unreliable)")
            lines += [f"  no face: {path}: {reason}" for path, reason in self.no_face[:NO_FACE_LISTED]]
            if len(self.no_face) > NO_FACE_LISTED:
                lines.append(f"  ... and {len(self.no_face) - NO_FACE_LISTED} more (see the index's face flags)")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Item:
    """One manifest row, keyed: absolute path, kind, orientation override, content key, stat signature, entry."""

    path: Path
    kind: str
    orientation: str
    content: str
    signature: str
    file: Path


class ManifestRun:
    """Renders rows into ``cache`` (a :class:`core.render.cache.RenderCache`) once: ``ManifestRun(cache).run(rows)``."""

    def __init__(self, cache, progress: bool = True):
        self.cache = cache
        self.progress = progress
        self.counts = {"rendered": 0, "cached": 0, "shared": 0}
        self.failed: list[tuple[str, str]] = []
        self.no_face: list[tuple[str, str]] = []
        self.bar = None

    def run(self, rows: Iterable) -> RenderSummary:
        cache = self.cache
        rows = list(rows)
        start = time.perf_counter()
        cache.folder.mkdir(parents=True, exist_ok=True)
        cache._write_config()
        cache.refresh()  # rows other runs recorded since this cache was opened
        last_flush = time.monotonic()
        self.bar = tqdm(total=len(rows), disable=not self.progress, unit="scan", desc="render", dynamic_ncols=True)
        try:
            waiting: list[_Item] = []
            for row in rows:
                item = self._row(row, None, True)
                if item is not None:
                    waiting.append(item)
                if time.monotonic() - last_flush >= INDEX_FLUSH_SECONDS:
                    cache.flush()
                    last_flush = time.monotonic()
            while waiting:  # rows another run was rendering: take them as they finish
                still = [item for item in waiting if self._row(None, item, False) is not None]
                if len(still) == len(waiting):
                    self.bar.set_postfix_str(f"waiting for {len(still)} row(s) another run is rendering")
                    time.sleep(CLAIM_POLL_SECONDS)
                waiting = still
        finally:
            self.bar.close()
            cache.flush()
            self._sweep()
        c = self.counts
        return RenderSummary(len(rows), c["rendered"], c["cached"], tuple(self.failed), time.perf_counter() - start,
                             tuple(self.no_face), c["shared"])

    def _row(self, row, item: _Item | None, first: bool) -> _Item | None:
        """Do one row; returns its item when another run holds its claim (to be tried again later)."""
        path = item.path if item is not None else Path(os.path.abspath(row.path))
        try:
            item = item if item is not None else self._item(row, path)
            done = self._attempt(item, first)
            if done is None:
                return item
            result, face = done
            self.counts[result] += 1
            if isinstance(face, dict) and face.get("ok") is False:
                self.no_face.append((str(path), str(face.get("reason") or "no face found")))
        except CacheWriteError:
            raise
        except Exception as exc:  # one bad scan must not stop a long batch
            self.failed.append((str(path), self.cache._reason(exc, path)))
            self.cache._idx.drop(str(path))
            if self.progress:
                tqdm.write(f"render: skipped {path}: {self.failed[-1][1]}")
        self.bar.update(1)
        self.bar.set_postfix(rendered=self.counts["rendered"], cached=self.counts["cached"] + self.counts["shared"],
                             failed=len(self.failed), refresh=False)
        return None

    def _item(self, row, path: Path) -> _Item:
        cache = self.cache
        kind = str(getattr(row, "kind", "3d"))
        orientation = cache._override(getattr(row, "orientation", "") or "")
        content, signature = cache._key_for(path)
        file = cache.entry_path(cache.entry_key(content, orientation))
        return _Item(path, kind, orientation, content, signature, file)

    def _attempt(self, item: _Item, first: bool) -> tuple[str, dict | None] | None:
        """("rendered" | "cached" | "shared", face flag) of one row, or None when another run holds its claim."""
        cache = self.cache
        if cache._entry_ok(item.file):
            return self._record(item, cache._known_face(str(item.path), item.file), "cached" if first else "shared")
        try:
            claim = cache._claims.try_claim(item.file.stem)
        except OSError as exc:  # the cache's claims folder, not this scan: stop
            where = exc.filename or cache._claims.path(item.file.stem)
            raise CacheWriteError(exc.errno, exc.strerror, str(where)) from None
        if claim is None:
            return None
        with claim:
            if cache._entry_ok(item.file):  # written by the run that held the claim a moment ago
                return self._record(item, cache._known_face(str(item.path), item.file), "shared")
            views, flag = cache.render_path(item.path, item.kind, item.orientation)
            face = None if flag is None else flag.to_dict()
            try:
                cache._store(item.file.stem, views, face)
            except OSError as exc:  # the cache folder, not this scan: stop (a full disk fails them all)
                raise CacheWriteError(exc.errno, exc.strerror, str(exc.filename or item.file)) from None
            return self._record(item, face, "rendered")

    def _record(self, item: _Item, face: dict | None, result: str) -> tuple[str, dict | None]:
        entry = {"file": item.file.name, "content": item.content, "kind": item.kind, "stat": item.signature,
                 "face": face}
        if item.orientation:
            entry["orientation"] = item.orientation
        try:
            self.cache._idx.put(str(item.path), entry)
        except OSError as exc:
            raise CacheWriteError(exc.errno, exc.strerror, str(exc.filename or self.cache._idx.records)) from None
        return result, face

    def _sweep(self) -> None:
        """Remove what killed runs left: lock files no one holds, temporaries older than STALE_TEMPORARY_SECONDS."""
        self.cache._claims.sweep()
        cutoff = time.time() - STALE_TEMPORARY_SECONDS
        for folder in (self.cache.folder, self.cache._idx.records):
            for tmp in folder.glob(".*.tmp"):
                try:
                    if tmp.stat().st_mtime < cutoff:
                        tmp.unlink()
                except OSError:
                    pass
