"""On-disk cache of rendered views, keyed by scan content and view settings.

Layout under the cache root::

    CACHE/<config key>/config.json        the RenderConfig these entries were rendered with
    CACHE/<config key>/<sha256>.npy       one entry: (V, S, S, 3) uint8, V = len(yaws), S = size
    CACHE/<config key>/<sha256>.face.json its face flag: {"ok", "residual_mm", "reason"}, or null (no face search)
    CACHE/<config key>/index.json         manifest path -> entry file (+ content hash, kind, stat signature,
                                          orientation when the row overrides it, face flag)

``<config key>`` is :meth:`RenderConfig.key` (view and canonical-face settings); ``<sha256>`` is
:meth:`RenderCache.content_key`, the SHA-256 of the scan file's bytes, or for a 4D sequence folder of its frames'
names and bytes in frame order. Two manifest rows with identical content share one entry; an edited file gets a
new one. A manifest row may name its own ``orientation`` (:mod:`core.datasets.manifest`); when it differs from the
config's ``canonical.orientation`` the row is framed with it and its entry key is the SHA-256 of the content key
and that orientation (:meth:`RenderCache.entry_key`), so both framings of one file can be cached side by side.
Scans in which no face was found (:class:`core.scans.canonical.FaceFlag` ok false) are rendered from the best fit
all the same and counted in :attr:`RenderSummary.no_face`.

Entries and the index are written atomically (temporary file in the same folder, then ``os.replace``),
so an interrupted run never leaves a truncated file. The index is rewritten at most every
``INDEX_FLUSH_SECONDS`` and at the end of a run (also when it is interrupted); entries are found by
content, not through the index, so even a stale index costs nothing but re-hashing. The index also stores
each path's stat signature (size and modification time of the file or of every frame): while it matches,
the file is not hashed again, which makes a re-run over a large, already rendered dataset near-instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core import scans as _scans
import core.dynamic as _dynamic  # module import: core.dynamic itself imports core.render
from core.render.config import RenderConfig
from core.render.scan_views import render_scan
from core.scans.canonical import FaceFlag, check_orientation
from core.scans.frames import list_frames

#: Seconds between two rewrites of index.json during a run.
INDEX_FLUSH_SECONDS = 2.0
#: Rows without a face listed by name in RenderSummary.format().
NO_FACE_LISTED = 10
_CHUNK = 1 << 20


def _hash_file(digest, path: Path) -> None:
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def _atomic_write(path: Path, write) -> None:
    """Write through ``write(binary file)`` into a temporary file beside ``path``, then rename it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
    counted).
    """

    total: int
    rendered: int
    cached: int
    failed: tuple[tuple[str, str], ...] = field(default=())
    seconds: float = 0.0
    no_face: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether at least one row has a cache entry (rendered now or before)."""
        return self.rendered + self.cached > 0

    def format(self) -> str:
        lines = [
            f"{self.total} rows: {self.rendered} rendered, {self.cached} already cached, "
            f"{len(self.failed)} failed ({self.seconds:.1f} s)"
        ]
        lines += [f"  failed: {path}: {reason}" for path, reason in self.failed]
        if self.no_face:
            lines.append(f"{len(self.no_face)} scan(s) with no face found (rendered from the best fit; unreliable)")
            lines += [f"  no face: {path}: {reason}" for path, reason in self.no_face[:NO_FACE_LISTED]]
            if len(self.no_face) > NO_FACE_LISTED:
                lines.append(f"  ... and {len(self.no_face) - NO_FACE_LISTED} more (see the index's face flags)")
        return "\n".join(lines)


class RenderCache:
    """Rendered views of scans under ``root``, for one :class:`RenderConfig`.

    ``get(path)`` returns the cached (V, S, S, 3) uint8 views of a scan file (3D) or sequence (4D, its
    dynamic images) or None; ``render_manifest(rows)`` fills the cache from manifest rows (their optional
    ``orientation`` overriding ``config.canonical.orientation`` row by row); ``face(path)`` the face flag.
    """

    def __init__(self, root: str | Path, config: RenderConfig | None = None):
        self.config = config if config is not None else RenderConfig.default()
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"{self.root}: cache root is not a folder")
        self.folder = self.root / self.config.key()
        self.index_path = self.folder / "index.json"
        self._index: dict[str, dict] = self._read_index()
        self._dirty = False

    # -- keys -------------------------------------------------------------------------------------------
    @staticmethod
    def content_key(path: str | Path) -> str:
        """SHA-256 (hex) of a scan's content: the file's bytes, or for a sequence folder the frame file
        names and bytes in frame order (:func:`core.scans.frames.list_frames`). FileNotFoundError when
        the path does not exist; ValueError for a folder without frames."""
        path = Path(path)
        digest = hashlib.sha256()
        if path.is_dir():
            frames = list_frames(path)
            if not frames:
                raise ValueError(f"{path}: sequence folder holds no frame files")
            for frame in frames:
                digest.update(frame.name.encode("utf-8") + b"\0")
                digest.update(frame.stat().st_size.to_bytes(8, "little"))
                _hash_file(digest, frame)
        elif path.is_file():
            _hash_file(digest, path)
        else:
            raise FileNotFoundError(f"{path}: scan not found")
        return digest.hexdigest()

    @staticmethod
    def _signature(path: Path) -> str:
        """Cheap stat signature (sizes and mtimes) of a file or sequence folder."""
        if path.is_dir():
            items = [f"{f.name}:{s.st_size}:{s.st_mtime_ns}" for f in list_frames(path) for s in [f.stat()]]
            return "frames:" + hashlib.sha1("\n".join(items).encode("utf-8")).hexdigest()
        st = path.stat()
        return f"{st.st_size}:{st.st_mtime_ns}"

    def _key_for(self, path: Path) -> tuple[str, str]:
        """(content key, stat signature), hashing only when the index's signature does not match."""
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        signature = self._signature(path)
        known = self._index.get(str(path))
        if known and known.get("stat") == signature and known.get("content"):
            return known["content"], signature
        return self.content_key(path), signature

    def entry_key(self, content: str, orientation: str = "") -> str:
        """The entry key of content key ``content`` framed with ``orientation`` ("" or the config's own
        canonical.orientation: ``content`` itself; another: the SHA-256 of both)."""
        orientation = self._override(orientation)
        if not orientation:
            return content
        return hashlib.sha256(f"{content}\0orientation={orientation}".encode("utf-8")).hexdigest()

    def _override(self, orientation: str | None) -> str:
        """A row's orientation when it differs from the config's, else ''."""
        if not orientation:
            return ""
        orientation = check_orientation(orientation, "manifest row orientation")
        return "" if orientation == self.config.canonical.orientation else orientation

    def entry_path(self, content: str) -> Path:
        """The .npy file of the entry with entry key ``content`` (:meth:`entry_key`)."""
        return self.folder / f"{content}.npy"

    def _face_path(self, entry: Path) -> Path:
        return entry.with_name(entry.stem + ".face.json")

    # -- lookup -----------------------------------------------------------------------------------------
    def _load_entry(self, file: Path) -> np.ndarray | None:
        try:
            arr = np.load(file, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        want = (self.config.n_views, self.config.size, self.config.size, 3)
        if arr.dtype != np.uint8 or arr.shape != want:
            return None
        return arr

    def _entry_file(self, path: str | Path, orientation: str | None) -> tuple[Path, Path] | None:
        """(absolute path, entry file) of a scan or sequence, or None when it cannot be keyed."""
        path = Path(os.path.abspath(path))
        try:
            content, _ = self._key_for(path)
            if orientation is None:  # the orientation its manifest row was rendered with
                orientation = str(self._index.get(str(path), {}).get("orientation", ""))
            return path, self.entry_path(self.entry_key(content, orientation))
        except (OSError, ValueError):
            return None

    def get(self, path: str | Path, orientation: str | None = None) -> np.ndarray | None:
        """Cached views (V, S, S, 3) uint8 of the scan or sequence at ``path``, or None when it has no
        (valid) entry or the path does not exist. orientation: the row's orientation override ("" = the
        config's; None = the one the index recorded for this path when it was rendered)."""
        found = self._entry_file(path, orientation)
        if found is None or not found[1].is_file():
            return None
        return self._load_entry(found[1])

    def face(self, path: str | Path, orientation: str | None = None) -> FaceFlag | None:
        """The face flag of the cached entry of ``path`` (orientation as in :meth:`get`); None when no face was
        looked for (orientation "none") or nothing is known."""
        found = self._entry_file(path, orientation)
        if found is None:
            return None
        return _flag(self._known_face(str(found[0]), found[1]))

    def _read_face(self, entry: Path) -> dict | None:
        try:
            data = json.loads(self._face_path(entry).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # -- rendering --------------------------------------------------------------------------------------
    def render_path(self, path: Path, kind: str, orientation: str = "") -> tuple[np.ndarray, FaceFlag | None]:
        """Load and render one scan ('3d') or sequence ('4d') with this cache's settings (no caching); returns
        (views, face flag). orientation: the row's override of ``config.canonical.orientation`` ("" = none).

        A 4D folder has only its sampled frames loaded (the same frames :func:`core.dynamic.dynamic_views`
        would pick); a 4D file goes through :func:`core.scans.load_sequence`.
        """
        cfg = self.config
        override = self._override(orientation)
        if override:
            cfg = cfg.replace(canonical=cfg.canonical.replace(orientation=override))
        if kind == "3d":
            return render_scan(_scans.load(path), cfg)
        if kind != "4d":
            raise ValueError(f"{path}: unknown kind {kind!r} (expected 3d or 4d)")
        if path.is_dir():
            files = list_frames(path)
            if not files:
                raise ValueError(f"{path}: sequence folder holds no frame files")
            frames = [_scans.load(files[i]) for i in _dynamic.sample_indices(len(files), cfg.n_frames)]
        else:
            frames = _scans.load_sequence(path)
        return _dynamic.dynamic_views_with_face(frames, cfg.n_frames, cfg.yaws, cfg.size, cfg.pitch, cfg.canonical)

    def _store(self, key: str, views: np.ndarray, face: dict | None) -> Path:
        file = self.entry_path(key)
        text = json.dumps(face) + "\n"
        _atomic_write(self._face_path(file), lambda handle: handle.write(text.encode("utf-8")))
        _atomic_write(file, lambda handle: np.save(handle, np.ascontiguousarray(views), allow_pickle=False))
        return file

    def render_manifest(self, rows: Iterable, progress: bool = True) -> RenderSummary:
        """Render every manifest row (``.path``, ``.kind``, optional ``.orientation``) that has no entry yet.

        Rows whose entry exists are counted as cached and not rendered again. A row that fails (missing
        file, unreadable scan, rendering error) is recorded with its reason and skipped. KeyboardInterrupt
        and other BaseExceptions stop the run after saving the index, so a re-run resumes where it stopped.
        progress: show a tqdm progress bar on stderr.
        """
        rows = list(rows)
        start = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_config()
        rendered = cached = 0
        failed: list[tuple[str, str]] = []
        no_face: list[tuple[str, str]] = []
        last_flush = time.monotonic()
        bar = tqdm(total=len(rows), disable=not progress, unit="scan", desc="render", dynamic_ncols=True)
        try:
            for row in rows:
                path = Path(os.path.abspath(row.path))
                kind = str(getattr(row, "kind", "3d"))
                try:
                    orientation = self._override(getattr(row, "orientation", "") or "")
                    content, signature = self._key_for(path)
                    file = self.entry_path(self.entry_key(content, orientation))
                    if file.is_file() and self._load_header_ok(file):
                        cached += 1
                        face = self._known_face(str(path), file)
                    else:
                        views, flag = self.render_path(path, kind, orientation)
                        face = None if flag is None else flag.to_dict()
                        try:
                            self._store(file.stem, views, face)
                        except OSError as exc:  # the cache folder, not this scan: stop (a full disk fails them all)
                            raise CacheWriteError(exc.errno, exc.strerror, str(exc.filename or file)) from None
                        rendered += 1
                    entry = {"file": file.name, "content": content, "kind": kind, "stat": signature, "face": face}
                    if orientation:
                        entry["orientation"] = orientation
                    self._index[str(path)] = entry
                    self._dirty = True
                    if isinstance(face, dict) and face.get("ok") is False:
                        no_face.append((str(path), str(face.get("reason") or "no face found")))
                except CacheWriteError:
                    raise
                except Exception as exc:  # one bad scan must not stop a long batch
                    failed.append((str(path), self._reason(exc, path)))
                    if self._index.pop(str(path), None) is not None:
                        self._dirty = True
                    if progress:
                        tqdm.write(f"render: skipped {path}: {failed[-1][1]}")
                bar.update(1)
                bar.set_postfix(rendered=rendered, cached=cached, failed=len(failed), refresh=False)
                if time.monotonic() - last_flush >= INDEX_FLUSH_SECONDS:
                    self.flush()
                    last_flush = time.monotonic()
        finally:
            bar.close()
            self.flush()
        return RenderSummary(len(rows), rendered, cached, tuple(failed), time.perf_counter() - start, tuple(no_face))

    def _known_face(self, path: str, file: Path) -> dict | None:
        """The face flag of an existing entry: from the index when it recorded this path with this entry, else
        from the entry's .face.json (None when neither knows)."""
        known = self._index.get(path)
        if known and known.get("file") == file.name and "face" in known:
            return known["face"]
        return self._read_face(file)

    def _load_header_ok(self, file: Path) -> bool:
        """Whether an existing entry has the expected shape and dtype (reads the .npy header only)."""
        try:
            with open(file, "rb") as handle:
                version = np.lib.format.read_magic(handle)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read(handle)
        except (OSError, ValueError, EOFError):
            return False
        want = (self.config.n_views, self.config.size, self.config.size, 3)
        return shape == want and dtype == np.uint8 and not fortran

    @staticmethod
    def _reason(exc: Exception, path: Path) -> str:
        text = str(exc)
        prefix = f"{path}: "
        if text.startswith(prefix):  # ScanError and our own messages already name the file
            text = text[len(prefix):]
        return text or type(exc).__name__

    # -- index ------------------------------------------------------------------------------------------
    def _read_index(self) -> dict[str, dict]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        return {k: v for k, v in entries.items() if isinstance(v, dict)} if isinstance(entries, dict) else {}

    def _write_config(self) -> None:
        file = self.folder / "config.json"
        if not file.is_file():
            text = json.dumps({**self.config.to_dict(), "key": self.config.key()}, indent=2) + "\n"
            _atomic_write(file, lambda handle: handle.write(text.encode("utf-8")))

    def flush(self) -> None:
        """Write index.json now if it changed."""
        if not self._dirty:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"config": self.config.to_dict(), "key": self.config.key(), "entries": self._index}
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        _atomic_write(self.index_path, lambda handle: handle.write(text.encode("utf-8")))
        self._dirty = False

    @property
    def index(self) -> dict[str, str]:
        """Manifest path -> entry file (absolute), as recorded in the index."""
        return {path: str(self.folder / entry["file"]) for path, entry in self._index.items() if "file" in entry}


def _flag(face: object) -> FaceFlag | None:
    """A stored face flag dict {"ok", "residual_mm", "reason"} as a FaceFlag (None for anything else)."""
    if not isinstance(face, dict) or not isinstance(face.get("ok"), bool):
        return None
    residual = face.get("residual_mm")
    return FaceFlag(face["ok"], float("inf") if residual is None else float(residual), str(face.get("reason") or ""))
