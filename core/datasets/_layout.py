"""Folder walking shared by the dataset indexers (names only; no file is opened)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from core.datasets.manifest import ManifestRow, absolute
from core.scans.frames import FRAME_EXTENSIONS, list_frames


def require_folder(root: str | os.PathLike[str], what: str) -> Path:
    """``root`` as an absolute path; FileNotFoundError / ValueError naming it when it is no folder."""
    path = absolute(root)
    if not path.exists():
        raise FileNotFoundError(f"{path}: {what} folder does not exist")
    if not path.is_dir():
        raise ValueError(f"{path}: not a folder (expected the {what} root folder)")
    return path


#: Files this product writes beside a dataset (the synthetic generator's settings record) and desktop clutter.
NOT_SCANS = frozenset({"synth.json", "thumbs.db", "desktop.ini"})


def is_hidden(name: str) -> bool:
    """Dot files, desktop clutter and this product's own sidecar files: never scans, never reported."""
    return name.startswith(".") or name.lower() in NOT_SCANS


def walk(root: Path, skipped: list[tuple[Path, str]]) -> Iterator[tuple[Path, list[str], list[str]]]:
    """Like os.walk, sorted, following folder links once each, skipping hidden folders.

    Yields (folder, sub-folder names, file names); the lists are sorted. Folders that cannot be listed
    are appended to ``skipped`` with the reason.
    """

    def report(error: OSError) -> None:
        skipped.append((Path(error.filename or root), f"cannot list folder: {error.strerror or error}"))

    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, onerror=report, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not is_hidden(d))
        yield Path(dirpath), dirnames, sorted(filenames)


def index_sequence_folders(
    root: Path,
    *,
    dataset: str,
    subject_pattern: re.Pattern[str],
    subject_example: str,
    parse_sequence: Callable[[str], tuple[str, str] | str],
    sequence_example: str,
) -> tuple[list[ManifestRow], list[tuple[Path, str]]]:
    """Index a ``<subject>/<sequence>/<frames>`` layout (BU-4DFE, BP4D).

    parse_sequence(folder name) returns (label, code) for a sequence folder, or a reason string when the
    name is not one. ``root`` may also be a single subject folder. Folders that hold frame files but are not ``<subject>/<sequence>`` are reported in
    skipped, as are sequence folders without frames. Extra column ``sex`` is the subject's first letter.
    """
    rows: list[ManifestRow] = []
    skipped: list[tuple[Path, str]] = []
    for folder, _, files in walk(root, skipped):
        if folder == root:
            continue
        has_frames = any(Path(f).suffix.lower() in FRAME_EXTENSIONS for f in files)
        subject = folder.parent.name
        subject_ok = subject_pattern.fullmatch(subject) is not None
        parsed = parse_sequence(folder.name)
        if subject_ok and not isinstance(parsed, str):
            n_frames = len(list_frames(folder))
            if n_frames == 0:
                skipped.append((folder, "sequence folder holds no frame files"))
                continue
            label, code = parsed
            rows.append(
                ManifestRow(
                    path=folder,
                    subject=subject,
                    label=label,
                    intensity=None,
                    kind="4d",
                    n_frames=n_frames,
                    dataset=dataset,
                    code=code,
                    extra=(("sex", subject[0].upper()),),
                )
            )
        elif has_frames:
            if subject_ok:
                reason = str(parsed)
            elif subject_pattern.fullmatch(folder.name):
                reason = f"frame files directly in the subject folder (expected {folder.name}/{sequence_example})"
            elif not isinstance(parsed, str):
                reason = f"parent folder {subject!r} is not a subject folder like {subject_example}"
            else:
                reason = f"frame files outside a {subject_example}/{sequence_example} folder"
            skipped.append((folder, reason))
    rows.sort(key=lambda r: str(r.path))
    return rows, skipped


def classify_sequence_file(
    path: Path,
    root: Path,
    *,
    subject_pattern: re.Pattern[str],
    subject_example: str,
    parse_sequence: Callable[[str], tuple[str, str] | str],
    sequence_example: str,
) -> bool | str | None:
    """For layout detection (core.datasets.detect), by names only, as :func:`index_sequence_folders` judges a folder:
    True when ``path`` is a frame of a ``<subject>/<sequence>`` folder under ``root``, None when it is no frame file
    (a texture, a sidecar), else the reason it does not fit."""
    if path.suffix.lower() not in FRAME_EXTENSIONS:
        return None
    folder = path.parent
    if folder == root:
        return f"frame files directly in the opened folder (expected {subject_example}/{sequence_example}/000.wrl)"
    subject_ok = subject_pattern.fullmatch(folder.parent.name) is not None
    parsed = parse_sequence(folder.name)
    if subject_ok and not isinstance(parsed, str):
        return True
    if subject_ok:
        return str(parsed)
    if subject_pattern.fullmatch(folder.name):
        return f"frame files directly in the subject folder (expected {folder.name}/{sequence_example})"
    return f"not in a {subject_example}/{sequence_example} folder"
