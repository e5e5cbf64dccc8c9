"""On-disk cache of rendered views, keyed by scan content and view settings.

Layout under the cache root::

    CACHE/<config key>/config.json        the RenderConfig these entries were rendered with
    CACHE/<config key>/<sha256>.npy       one entry: (V, S, S, 3) uint8, V = len(yaws), S = size
    CACHE/<config key>/<sha256>.face.json its face flag: {"ok", "residual_mm", "reason"}, or null (no face search)
    CACHE/<config key>/rows/*.json        the index, one record per manifest path: entry file, content hash, kind,
                                          stat signature, orientation when the row overrides it, face flag
    CACHE/<config key>/index.json         a summary of the records, checked against them on every open
                                          (:mod:`core.render.cache_index`)
    CACHE/<config key>/claims/*.lock      entries being rendered right now (:mod:`core.render.claims`)

``<config key>`` is :meth:`RenderConfig.key` (view and canonical-face settings); ``<sha256>`` is
:meth:`RenderCache.content_key`, the SHA-256 of the scan file's bytes, or for a 4D sequence folder of its frames'
names and bytes in frame order. Two manifest rows with identical content share one entry; an edited file gets a
new one. A manifest row may name its own ``orientation`` (:mod:`core.datasets.manifest`); when it differs from the
config's ``canonical.orientation`` the row is framed with it and its entry key is the SHA-256 of the content key
and that orientation (:meth:`RenderCache.entry_key`), so both framings of one file can be cached side by side.
Scans in which no face was found (:class:`core.scans.canonical.FaceFlag` ok false) are rendered from the best fit
all the same and counted in :attr:`RenderSummary.no_face`.

Entries, records and the summary are written atomically (temporary file in the same folder, then ``os.replace``),
so an interrupted run never leaves a truncated file, and a row's record is written as soon as the row is done, so a
run killed at any moment (``kill -9`` included) leaves an index the next open completes from the records. Entries
are found by content, not through the index, so even a lost index costs nothing but re-hashing. The index stores
each path's stat signature (size and modification time of the file or of every frame): while it matches, the file
is not hashed again, which makes a re-run over a large, already rendered dataset near-instant.

Runs rendering into one cache at the same time (two ``smile-vlm render`` of one manifest, the worker processes of
:func:`core.eval.data.render_rows`) share the work: a run claims an entry before rendering it, skips the rows whose
entry another run has claimed, and at the end waits for those and takes their entries (counted in
:attr:`RenderSummary.shared`); a row whose claim holder failed or died is rendered by the waiting run. No entry is
rendered twice while the filesystem supports file locks; only rows that fail are tried by each run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core import scans as _scans
import core.dynamic as _dynamic  # module import: core.dynamic itself imports core.render
from core.config_io import give_default_mode
from core.render.cache_index import CacheIndex
from core.render.cache_run import CacheWriteError, ManifestRun, RenderSummary  # noqa: F401 (re-exported)
from core.render.claims import Claims
from core.render.config import RenderConfig
from core.render.scan_views import render_scan
from core.scans.canonical import FaceFlag, check_orientation
from core.scans.frames import list_frames

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
            give_default_mode(handle.fileno())  # mkstemp's files are private (0o600); a shared cache is not
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class RenderCache:
    """Rendered views of scans under ``root``, for one :class:`RenderConfig`.

    ``get(path)`` returns the cached (V, S, S, 3) uint8 views of a scan file (3D) or sequence (4D, its
    dynamic images) or None; ``render_manifest(rows)`` fills the cache from manifest rows (their optional
    ``orientation`` overriding ``config.canonical.orientation`` row by row); ``face(path)`` the face flag.
    Opening repairs an index left stale or unreadable (a line on stderr says so, :attr:`index_message` keeps it).
    """

    def __init__(self, root: str | Path, config: RenderConfig | None = None):
        self.config = config if config is not None else RenderConfig.default()
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"{self.root}: cache root is not a folder")
        self.folder = self.root / self.config.key()
        self._idx = CacheIndex(self.folder, {"config": self.config.to_dict(), "key": self.config.key()})
        self.index_path = self._idx.summary_path
        self.index_message = self._idx.message
        if self.index_message:
            print(f"render cache: {self.index_message}", file=sys.stderr)
        self._claims = Claims(self.folder / "claims")

    @property
    def _index(self) -> dict[str, dict]:
        return self._idx.entries

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
        except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
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

        Rows whose entry exists are counted as cached and not rendered again. A row whose entry another run is
        rendering right now is put aside and taken when that run is done (rendered here if it failed or died). A
        row that fails (missing file, unreadable scan, rendering error) is recorded with its reason and skipped. A
        cache write error stops the run (:class:`CacheWriteError`). KeyboardInterrupt and other BaseExceptions
        stop the run; every finished row is already recorded, so a re-run resumes where it stopped.
        progress: show a tqdm progress bar on stderr. See :mod:`core.render.cache_run`.
        """
        return ManifestRun(self, progress).run(rows)

    def _entry_ok(self, file: Path) -> bool:
        """Whether ``file`` is a complete entry of this cache's shape (its .npy header is read)."""
        return file.is_file() and self._load_header_ok(file)

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
    def _write_config(self) -> None:
        file = self.folder / "config.json"
        if not file.is_file():
            text = json.dumps({**self.config.to_dict(), "key": self.config.key()}, indent=2) + "\n"
            _atomic_write(file, lambda handle: handle.write(text.encode("utf-8")))

    def flush(self) -> None:
        """Rewrite the index summary (index.json) now if it changed, merging other runs' records first. The row
        records are written as each row is done; the summary only saves reading them one by one."""
        self._idx.write_summary()

    def refresh(self) -> None:
        """Take in the rows other runs have recorded since this cache was opened (``render_manifest`` does this
        itself; :meth:`get` of such a row works without it, by content)."""
        self._idx.sync()

    def rebuild_index(self) -> int:
        """Read every row record again, ignoring the summary, and rewrite index.json; returns the number of rows.
        Opening a cache already repairs a stale or unreadable summary: this is for a summary edited by hand."""
        return self._idx.rebuild()

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
