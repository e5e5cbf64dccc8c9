"""BU-3DFE indexer.

Layout: per-subject folders named sex + 4 digits (``F0001``, ``M0044``) holding
``<subject>_<EE><II><RR>_F3D.wrl``: expression code EE (AN DI FE HA SA SU, NE for neutral), intensity II
(01-04, 00 for neutral) and race code RR (WH BL AE AM IN LA). Files may also sit directly under the root
or deeper; the subject is read from the file name and must match a subject-named parent folder.

Rows: kind 3d, n_frames 1, intensity 1-4 (0 for neutral), code = EE, extras ``sex`` (F/M) and ``race``
(the code). ``_RAW`` models and texture images of the same naming are counted as ignored, not skipped.

Protocols: ``subset1`` = six expressions at the two highest intensities (03, 04), no neutral;
``subset2`` = six expressions at all four intensities, no neutral.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from core.datasets._layout import is_hidden, require_folder, walk
from core.datasets.manifest import IndexResult, ManifestRow

DATASET = "bu3dfe"

#: A model's path in this layout (for messages and layout detection).
EXAMPLE = "F0001/F0001_AN01WH_F3D.wrl"

#: BU-3DFE expression code -> label.
EXPRESSION_CODES = {
    "AN": "anger",
    "DI": "disgust",
    "FE": "fear",
    "HA": "happiness",
    "SA": "sadness",
    "SU": "surprise",
    "NE": "neutral",
}

#: BU-3DFE race codes: White, Black, East-Asian, Middle-East Asian, Indian, Hispanic Latino.
RACE_CODES = ("WH", "BL", "AE", "AM", "IN", "LA")

PROTOCOLS = ("subset1", "subset2")

_SUBJECT = re.compile(r"[FM]\d{4}")
_NAME = re.compile(
    r"(?P<subject>[FM]\d{4})_(?P<expr>[A-Z]{2})(?P<intensity>\d{2})(?P<race>[A-Z]{2})_(?P<tag>\w+?)\.(?P<ext>\w+)"
)
_TEXTURE_EXTENSIONS = {".bmp", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}
_EXPECTED = "<subject>_<expression><intensity><race>_F3D.wrl, e.g. F0001_AN01WH_F3D.wrl"


def _parse(path: Path, parent_is_root: bool) -> ManifestRow | str | None:
    """A row, a reason to skip, or None for a known non-model file of the layout."""
    m = _NAME.fullmatch(path.name)
    if m is None:
        return f"name does not follow {_EXPECTED}"
    tag, ext = m["tag"].upper(), "." + m["ext"].lower()
    if tag.startswith("RAW") or ext in _TEXTURE_EXTENSIONS:
        return None
    if tag != "F3D" or ext != ".wrl":
        return f"not an _F3D.wrl model (expected {_EXPECTED})"
    subject, expr, race = m["subject"], m["expr"], m["race"]
    intensity = int(m["intensity"])
    if expr not in EXPRESSION_CODES:
        return f"unknown expression code {expr!r} (expected one of {', '.join(EXPRESSION_CODES)})"
    if expr == "NE" and intensity != 0:
        return f"neutral scans have intensity 00, got {m['intensity']}"
    if expr != "NE" and not 1 <= intensity <= 4:
        return f"intensity must be 01-04, got {m['intensity']}"
    if race not in RACE_CODES:
        return f"unknown race code {race!r} (expected one of {', '.join(RACE_CODES)})"
    folder = path.parent.name
    if not parent_is_root and _SUBJECT.fullmatch(folder) and folder != subject:
        return f"subject {subject} in the name does not match its folder {folder}"
    return ManifestRow(
        path=path,
        subject=subject,
        label=EXPRESSION_CODES[expr],
        intensity=intensity,
        kind="3d",
        n_frames=1,
        dataset=DATASET,
        code=expr,
        extra=(("sex", subject[0]), ("race", race)),
    )


def classify(path: Path, root: Path) -> bool | str | None:
    """For layout detection (core.datasets.detect), by the name only: True for a model of this layout, None for a
    known non-model file of it (``_RAW`` models, textures), else the reason it does not fit."""
    parsed = _parse(path, path.parent == root)
    return parsed if parsed is None or isinstance(parsed, str) else True


def index(root: str | os.PathLike[str]) -> IndexResult:
    """Index every ``_F3D.wrl`` model under ``root`` (no protocol applied)."""
    base = require_folder(root, "BU-3DFE")
    rows: list[ManifestRow] = []
    skipped: list[tuple[Path, str]] = []
    ignored = 0
    for folder, _, files in walk(base, skipped):
        for name in files:
            path = folder / name
            if is_hidden(name):
                ignored += 1
                continue
            parsed = _parse(path, folder == base)
            if parsed is None:
                ignored += 1
            elif isinstance(parsed, str):
                skipped.append((path, parsed))
            else:
                rows.append(parsed)
    rows.sort(key=lambda r: str(r.path))
    return IndexResult(rows=tuple(rows), skipped=tuple(skipped), ignored=ignored)


def apply_protocol(rows: Sequence[ManifestRow], protocol: str) -> list[ManifestRow]:
    """Rows of ``protocol`` (``subset1`` or ``subset2``)."""
    if protocol == "subset1":
        levels = {3, 4}
    elif protocol == "subset2":
        levels = {1, 2, 3, 4}
    else:
        raise ValueError(f"unknown BU-3DFE protocol {protocol!r} (expected one of {', '.join(PROTOCOLS)})")
    return [r for r in rows if r.label != "neutral" and r.intensity in levels]
