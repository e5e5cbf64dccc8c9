"""Indexer for a user CSV (4DME, or any dataset without a built-in indexer).

Required columns: ``path``, ``subject``, ``label``. Optional: ``kind`` (3d/4d), ``n_frames``,
``intensity``, ``dataset`` (default ``custom``), ``code`` (default: the label as written), ``orientation``
(the scan's canonical-face orientation, see :mod:`core.datasets.manifest`; empty: the run's setting). Any other
column becomes an extra column of the manifest. Column names are matched case-insensitively.

Paths may be absolute or relative to the CSV's folder. Labels go through normalize_label (lower case,
common synonyms such as "Happy" -> happiness); 4DME's classes positive, negative, surprise, repression,
others are already in the vocabulary. When ``kind`` is empty it is inferred: a folder or a ``.npz`` file
is 4d, any other file 3d. When ``n_frames`` is empty it is 1 for 3d, the number of frame files for a
folder, and the length of the first axis of the ``vertices`` (or first 3-axis) array for a ``.npz`` file
(read from the array header only).

Rows whose path does not exist, or whose values are malformed, are reported in ``skipped`` with their
line number; a CSV without the required columns raises ValueError naming the file.
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import numpy as np

from core.datasets.labels import normalize_label
from core.datasets.manifest import COLUMNS, KINDS, ORIENTATION, IndexResult, ManifestRow, absolute
from core.scans.frames import list_frames

DEFAULT_DATASET = "custom"
REQUIRED = ("path", "subject", "label")


def npz_frame_count(path: Path) -> int | None:
    """Frames in a .npz sequence: first axis of ``vertices`` (else of the first 3-axis array), or None.

    Reads only the .npy headers inside the archive.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            shapes: dict[str, tuple[int, ...]] = {}
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, _ = np.lib.format.read_array_header_1_0(member)
                    elif version == (2, 0):
                        shape, _, _ = np.lib.format.read_array_header_2_0(member)
                    else:
                        continue
                shapes[info.filename[: -len(".npy")]] = tuple(shape)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None
    candidates = [shapes["vertices"]] if "vertices" in shapes else []
    candidates += [s for s in shapes.values() if len(s) == 3]
    for shape in candidates:
        if len(shape) == 3 and shape[0] >= 1:
            return int(shape[0])
    return None


def _int_or_none(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} is not an integer: {text!r}") from None


def _row(values: dict[str, str], folder: Path, extra_names: list[str]) -> tuple[ManifestRow | None, Path | None, str]:
    """(row, path, "") or (None, path-or-None, reason)."""
    raw_path = values["path"].strip()
    if not raw_path:
        return None, None, "path is empty"
    p = Path(os.path.expanduser(raw_path))
    path = absolute(p if p.is_absolute() else folder / p)
    for name in ("subject", "label"):
        if not values[name].strip():
            return None, path, f"{name} is empty"
    if not path.exists():
        return None, path, "path does not exist"
    kind = values.get("kind", "").strip().lower()
    if kind and kind not in KINDS:
        return None, path, f"kind must be one of {', '.join(KINDS)}, got {kind!r}"
    if not kind:
        kind = "4d" if path.is_dir() or path.suffix.lower() == ".npz" else "3d"
    if kind == "3d" and path.is_dir():
        return None, path, "kind is 3d but the path is a folder"
    try:
        n_frames = _int_or_none(values.get("n_frames", ""), "n_frames")
        intensity = _int_or_none(values.get("intensity", ""), "intensity")
    except ValueError as exc:
        return None, path, str(exc)
    if n_frames is None:
        if kind == "3d":
            n_frames = 1
        elif path.is_dir():
            n_frames = len(list_frames(path))
            if n_frames == 0:
                return None, path, "sequence folder holds no frame files"
        elif path.suffix.lower() == ".npz":
            n_frames = npz_frame_count(path)
            if n_frames is None:
                return None, path, "n_frames is empty and could not be read from the .npz (no (T, V, 3) array)"
        else:
            return None, path, "n_frames is empty and cannot be inferred for a 4d file that is not .npz"
    label = normalize_label(values["label"])
    code = values.get("code", "").strip() or values["label"].strip()
    try:
        row = ManifestRow(
            path=path,
            subject=values["subject"],
            label=label,
            intensity=intensity,
            kind=kind,
            n_frames=n_frames,
            dataset=values.get("dataset", "").strip() or DEFAULT_DATASET,
            code=code,
            extra=tuple((n, values[n]) for n in extra_names),
            orientation=values.get(ORIENTATION, ""),
        )
    except ValueError as exc:
        return None, path, str(exc)
    return row, path, ""


def index(csv_path: str | os.PathLike[str]) -> IndexResult:
    """Index the rows of the user CSV ``csv_path``."""
    src = absolute(csv_path)
    if not src.exists():
        raise FileNotFoundError(f"{src}: CSV file does not exist")
    if not src.is_file():
        raise ValueError(f"{src}: not a file (the csv format takes the path of a CSV file)")
    rows: list[ManifestRow] = []
    skipped: list[tuple[Path, str]] = []
    seen: dict[Path, int] = {}
    line = 1
    try:
        with open(src, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{src}: empty file, expected a header with columns {', '.join(REQUIRED)}")
            names = [h.strip().lower() for h in header]
            named = [n for n in names if n]
            dupes = sorted({n for n in named if named.count(n) > 1})
            if dupes:
                raise ValueError(f"{src}: duplicate columns: {', '.join(dupes)}")
            missing = [c for c in REQUIRED if c not in names]
            if missing:
                raise ValueError(
                    f"{src}: missing required columns: {', '.join(missing)} "
                    f"(a user CSV needs {', '.join(REQUIRED)}; found {', '.join(named) or 'none'})"
                )
            extra_names = [n for n in named if n not in COLUMNS and n != ORIENTATION]
            for record in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(names):
                    skipped.append((src, f"line {line}: {len(record)} fields, the header has {len(names)}"))
                    continue
                values = {n: v for n, v in zip(names, record) if n}
                row, path, reason = _row(values, src.parent, extra_names)
                if row is not None and row.path in seen:
                    row, reason = None, f"same path as line {seen[row.path]}"
                if row is None:
                    skipped.append((path or src, f"line {line}: {reason}"))
                    continue
                seen[row.path] = line
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{src}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ValueError(f"{src}: line {line}: malformed CSV: {exc}") from None
    return IndexResult(rows=tuple(rows), skipped=tuple(skipped))
