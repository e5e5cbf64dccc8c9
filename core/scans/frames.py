"""Listing the frames of a 4D sequence folder, in numeric order."""

from __future__ import annotations

import re
from pathlib import Path

#: File extensions a frame of a 4D sequence may have.
FRAME_EXTENSIONS = frozenset({".wrl", ".vrml", ".obj", ".ply", ".stl", ".off", ".bnt", ".xyz", ".npy"})

_NUMBER = re.compile(r"(\d+)")


def _numeric_key(path: Path) -> tuple:
    """Sort key: the last run of digits in the stem as an integer, then the name ("2" < "10")."""
    numbers = _NUMBER.findall(path.stem)
    return (int(numbers[-1]) if numbers else -1, path.name)


def list_frames(folder: str | Path) -> list[Path]:
    """Frame files of a sequence folder, sorted numerically ("000.wrl", "001.wrl", ..., "100.wrl").

    Only files with a known scan extension count; texture images and other files beside them are ignored.
    Returns an empty list when the folder holds no frame.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    frames = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_EXTENSIONS]
    return sorted(frames, key=_numeric_key)
