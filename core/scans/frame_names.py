"""Do the files of a folder opened as a 4D sequence look like the frames of one sequence?

Frames of a sequence share one name with a changing frame number: ``000.wrl, 001.wrl, ...`` or ``frame_0001.obj,
frame_0002.obj, ...``. A name's pattern is its stem with the last run of digits replaced by ``#`` and its extension
(lower case): ``frame_#.obj``. :func:`check_frame_names` finds the pattern most names share; the names that do not
follow it (or carry no number) are odd. When no pattern is shared by at least half of the names (e.g. a BU-3DFE
subject folder: ``F0001_AN01WH_F3D.wrl, F0001_HA02WH_F3D.wrl, ...``) the files look like separate scans, not frames.
Names only: no file is opened.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

#: Odd names listed in a warning, at most.
MAX_NAMED = 4

_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def frame_pattern(name: str) -> str | None:
    """``frame_012.OBJ`` -> ``frame_#.obj``; None when the stem has no digit (no frame number)."""
    p = PurePath(name)
    stem, suffix = p.stem, p.suffix.lower()
    m = _LAST_NUMBER.search(stem)
    if m is None:
        return None
    return f"{stem[:m.start()]}#{stem[m.end():]}{suffix}"


@dataclass(frozen=True)
class FrameNames:
    """pattern: the frame-numbered name most files share (None: none is shared by half of them); odd: the names that
    do not follow it (all of them when pattern is None); total: how many names were checked."""

    pattern: str | None
    odd: tuple[str, ...]
    total: int

    @property
    def ok(self) -> bool:
        return not self.odd

    def warning(self, folder: str = "") -> str:
        """One sentence for the window ('' when every name fits)."""
        if self.ok:
            return ""
        where = f" of {folder}" if folder else ""
        named = ", ".join(self.odd[:MAX_NAMED]) + (f" and {len(self.odd) - MAX_NAMED} more"
                                                   if len(self.odd) > MAX_NAMED else "")
        if self.pattern is None:
            return (f"The {self.total} files{where} do not share one frame-numbered name ({named}): they look like "
                    "separate scans, not the frames of one 4D sequence; use File \u25b8 Analyse folder\u2026 to "
                    "analyse each one.")
        return (f"{len(self.odd)} of the {self.total} files{where} do not follow the frame names "
                f"{self.pattern.replace('#', 'N')} of the others and were played as frames anyway: {named}.")


def check_frame_names(names: Sequence[str]) -> FrameNames:
    """Check the file names (not paths) of a sequence's frames; see the module docstring."""
    names = [PurePath(n).name for n in names]
    if len(names) < 2:
        return FrameNames(frame_pattern(names[0]) if names else None, (), len(names))
    patterns = [frame_pattern(n) for n in names]
    counts = Counter(p for p in patterns if p is not None)
    if counts:
        pattern, shared = counts.most_common(1)[0]
        if shared >= 2 and 2 * shared >= len(names):
            odd = tuple(n for n, p in zip(names, patterns) if p != pattern)
            return FrameNames(pattern, odd, len(names))
    return FrameNames(None, tuple(names), len(names))
