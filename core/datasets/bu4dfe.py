"""BU-4DFE indexer.

Layout: ``<subject>/<Expression>/<frames>`` with subject folders named sex + 3 digits (``F001``,
``M043``), expression folders Angry, Disgust, Fear, Happy, Sad, Surprise (any letter case) and frame
files ``000.wrl``, ``001.wrl``, ... (any scan extension list_frames knows, e.g. .wrl or .obj).

Rows: one per expression folder; path = the folder, kind 4d, n_frames = number of frame files,
intensity empty, code = the folder name as the dataset spells it (``Happy``), extra ``sex``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from core.datasets._layout import classify_sequence_file, index_sequence_folders, require_folder
from core.datasets.manifest import IndexResult

DATASET = "bu4dfe"

#: A frame's path in this layout (for messages and layout detection).
EXAMPLE = "F001/Happy/000.wrl"

#: BU-4DFE expression folder -> label.
EXPRESSION_FOLDERS = {
    "Angry": "anger",
    "Disgust": "disgust",
    "Fear": "fear",
    "Happy": "happiness",
    "Sad": "sadness",
    "Surprise": "surprise",
}

_BY_LOWER = {name.lower(): name for name in EXPRESSION_FOLDERS}
_SUBJECT = re.compile(r"[FM]\d{3}")


def _parse_sequence(name: str) -> tuple[str, str] | str:
    canonical = _BY_LOWER.get(name.lower())
    if canonical is None:
        return f"unknown expression folder {name!r} (expected one of {', '.join(EXPRESSION_FOLDERS)})"
    return EXPRESSION_FOLDERS[canonical], canonical


def classify(path: Path, root: Path) -> bool | str | None:
    """For layout detection (core.datasets.detect), by names only: True for a frame of a sequence of this layout,
    None for a file that is no frame, else the reason it does not fit."""
    return classify_sequence_file(path, root, subject_pattern=_SUBJECT, subject_example="F001",
                                  parse_sequence=_parse_sequence, sequence_example="Happy")


def index(root: str | os.PathLike[str]) -> IndexResult:
    """Index every expression sequence under ``root`` (the dataset root or one subject folder)."""
    base = require_folder(root, "BU-4DFE")
    rows, skipped = index_sequence_folders(
        base,
        dataset=DATASET,
        subject_pattern=_SUBJECT,
        subject_example="F001",
        parse_sequence=_parse_sequence,
        sequence_example="Happy",
    )
    return IndexResult(rows=tuple(rows), skipped=tuple(skipped))
