"""Bosphorus indexer.

Layout: ``bs000/bs000_E_HAPPY_0.bnt`` (subject folders optional: files directly under the root, or
deeper, are accepted). A name is ``<subject>_<TYPE>_<CODE>_<sample>.bnt``: subject ``bsNNN``, capture
type (E emotion, N neutral, LFAU/UFAU/CAU action units, YR/PR/CR head rotations, O occlusions, ...),
the type's code (may contain underscores) and the sample index.

Labels: E codes ANGER DISGUST FEAR HAPPY SADNESS SURPRISE -> the six basic emotions; N_N -> neutral;
every other capture gets the label ``<type>_<code>`` lower-cased (``lfau_12``, ``yr_r10``, ``o_hair``),
which is outside LABELS on purpose: those captures are not expressions. code = ``<TYPE>_<CODE>`` as in the
name (``E_HAPPY``). Rows: kind 3d, n_frames 1, intensity empty, extra ``sample`` (the sample index).
Images and landmark files (.png, .lm2, .lm3, ...) beside the .bnt files are counted as ignored.

Protocol ``six-expressions``: only the E-type six expressions, only subjects who have all six.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from core.datasets._layout import is_hidden, require_folder, walk
from core.datasets.labels import BASIC_EMOTIONS, NEUTRAL
from core.datasets.manifest import IndexResult, ManifestRow

DATASET = "bosphorus"

#: A scan's path in this layout (for messages and layout detection).
EXAMPLE = "bs000/bs000_E_HAPPY_0.bnt"

#: Bosphorus E-type code -> label.
EMOTION_CODES = {
    "ANGER": "anger",
    "DISGUST": "disgust",
    "FEAR": "fear",
    "HAPPY": "happiness",
    "SADNESS": "sadness",
    "SURPRISE": "surprise",
}

PROTOCOLS = ("six-expressions",)

_SUBJECT = re.compile(r"bs\d{3}")
_NAME = re.compile(r"(?P<subject>bs\d{3})_(?P<type>[A-Za-z]+)_(?P<code>\w+?)_(?P<sample>\d+)\.(?P<ext>\w+)")
_SIDE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".lm2", ".lm3", ".txt"}
_EXPECTED = "bsNNN_<TYPE>_<CODE>_<sample>.bnt, e.g. bs000_E_HAPPY_0.bnt"


def _parse(path: Path, parent_is_root: bool) -> ManifestRow | str | None:
    """A row, a reason to skip, or None for a known side file of the layout."""
    m = _NAME.fullmatch(path.name)
    if m is None:
        return f"name does not follow {_EXPECTED}"
    ext = "." + m["ext"].lower()
    if ext in _SIDE_EXTENSIONS:
        return None
    if ext != ".bnt":
        return f"not a .bnt scan (expected {_EXPECTED})"
    subject, kind, code = m["subject"], m["type"].upper(), m["code"].upper()
    folder = path.parent.name
    if not parent_is_root and _SUBJECT.fullmatch(folder) and folder != subject:
        return f"subject {subject} in the name does not match its folder {folder}"
    if kind == "E":
        if code not in EMOTION_CODES:
            return f"unknown emotion code {code!r} (expected one of {', '.join(EMOTION_CODES)})"
        label = EMOTION_CODES[code]
    elif kind == "N" and code == "N":
        label = NEUTRAL
    else:
        label = f"{kind}_{code}".lower()
    return ManifestRow(
        path=path,
        subject=subject,
        label=label,
        intensity=None,
        kind="3d",
        n_frames=1,
        dataset=DATASET,
        code=f"{kind}_{code}",
        extra=(("sample", str(int(m["sample"]))),),
    )


def classify(path: Path, root: Path) -> bool | str | None:
    """For layout detection (core.datasets.detect), by the name only: True for a scan of this layout, None for a
    known side file of it (images, landmarks), else the reason it does not fit."""
    parsed = _parse(path, path.parent == root)
    return parsed if parsed is None or isinstance(parsed, str) else True


def index(root: str | os.PathLike[str]) -> IndexResult:
    """Index every .bnt scan under ``root`` (no protocol applied)."""
    base = require_folder(root, "Bosphorus")
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
    """Rows of ``protocol`` (``six-expressions``)."""
    if protocol != "six-expressions":
        raise ValueError(f"unknown Bosphorus protocol {protocol!r} (expected one of {', '.join(PROTOCOLS)})")
    emotions = [r for r in rows if r.code.startswith("E_") and r.label in BASIC_EMOTIONS]
    seen: dict[str, set[str]] = defaultdict(set)
    for r in emotions:
        seen[r.subject].add(r.label)
    complete = {s for s, labels in seen.items() if labels >= set(BASIC_EMOTIONS)}
    return [r for r in emotions if r.subject in complete]
