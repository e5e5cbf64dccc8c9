"""BP4D-Spontaneous indexer.

Layout: ``<subject>/<task>/<frames>`` with subject folders named sex + 3 digits (``F001``, ``M018``),
task folders ``T1`` ... ``T8`` and 3D frame files (OBJ or WRL; any scan extension list_frames knows).

Rows: one per task folder; path = the folder, kind 4d, n_frames = number of frame files, intensity
empty, code = the task (``T1``), label = BP4D_TASK_EMOTION[task] (see core.datasets.labels), extra ``sex``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from core.datasets._layout import classify_sequence_file, index_sequence_folders, require_folder
from core.datasets.labels import BP4D_TASK_EMOTION
from core.datasets.manifest import IndexResult

DATASET = "bp4d"

#: A frame's path in this layout (for messages and layout detection).
EXAMPLE = "F001/T1/000.obj"

_SUBJECT = re.compile(r"[FM]\d{3}")
_TASK = re.compile(r"[Tt](\d+)")


def _parse_task(name: str) -> tuple[str, str] | str:
    m = _TASK.fullmatch(name)
    code = f"T{int(m[1])}" if m else ""
    if code not in BP4D_TASK_EMOTION:
        return f"unknown task folder {name!r} (expected one of {', '.join(BP4D_TASK_EMOTION)})"
    return BP4D_TASK_EMOTION[code], code


def classify(path: Path, root: Path) -> bool | str | None:
    """For layout detection (core.datasets.detect), by names only: True for a frame of a task sequence of this
    layout, None for a file that is no frame, else the reason it does not fit."""
    return classify_sequence_file(path, root, subject_pattern=_SUBJECT, subject_example="F001",
                                  parse_sequence=_parse_task, sequence_example="T1")


def index(root: str | os.PathLike[str]) -> IndexResult:
    """Index every task sequence under ``root`` (the dataset root or one subject folder)."""
    base = require_folder(root, "BP4D-Spontaneous")
    rows, skipped = index_sequence_folders(
        base,
        dataset=DATASET,
        subject_pattern=_SUBJECT,
        subject_example="F001",
        parse_sequence=_parse_task,
        sequence_example="T1",
    )
    return IndexResult(rows=tuple(rows), skipped=tuple(skipped))
