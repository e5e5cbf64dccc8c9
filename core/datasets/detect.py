"""Which data-set layout a folder is in, from its file and folder names (no file is opened).

:func:`detect_layout` walks the folder (sorted, hidden entries skipped, at most SAMPLE_LIMIT scan files looked at)
and asks each layout's own module (``classify(path, root)`` of bu3dfe, bu4dfe, bosphorus, bp4d: True = a scan of
the layout, None = a known side file of it, else the reason it does not fit) about every scan file. A layout's
share is the files it takes over the scan files it does not set aside as side files. The answer:

- detected: the layout with the most files, when they are at least MIN_SHARE of the scan files and no other
  layout has at least AMBIGUOUS_RATIO as many;
- ambiguous: two layouts both take many files (a folder mixing data sets): the user chooses;
- none: no scan file at all, or no layout takes MIN_SHARE of them; each layout's most common reason is kept.

Every outcome has ``message``: one plain sentence for the window. :func:`index_folder` indexes a folder with the
detected layout (or a chosen one) and, when a chosen layout finds nothing, says in one sentence what the folder looks
like instead of listing every skipped file.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from core.datasets import bosphorus, bp4d, bu3dfe, bu4dfe
from core.datasets._layout import is_hidden, require_folder, walk
from core.datasets.index import FORMATS, index_dataset
from core.datasets.manifest import IndexResult
from core.scans import SCAN_EXTENSIONS
from core.scans.frames import FRAME_EXTENSIONS

#: The format name meaning "detect the layout".
AUTO = "auto"

#: Layouts that can be detected: format name -> (classify(path, root), an example path).
LAYOUTS: Mapping[str, tuple[Callable[[Path, Path], bool | str | None], str]] = MappingProxyType(
    {
        "bu3dfe": (bu3dfe.classify, bu3dfe.EXAMPLE),
        "bu4dfe": (bu4dfe.classify, bu4dfe.EXAMPLE),
        "bosphorus": (bosphorus.classify, bosphorus.EXAMPLE),
        "bp4d": (bp4d.classify, bp4d.EXAMPLE),
    }
)

#: Scan files looked at, at most (the first ones in sorted order: enough to recognise a layout).
SAMPLE_LIMIT = 5000
#: The share of the scan files a layout must take to be detected.
MIN_SHARE = 0.5
#: A runner-up taking at least this fraction of the best layout's files makes the folder ambiguous.
AMBIGUOUS_RATIO = 0.5

_CANDIDATES = frozenset(SCAN_EXTENSIONS) | FRAME_EXTENSIONS


@dataclass(frozen=True)
class LayoutScore:
    """How one layout fits: ``fits`` scan files take its naming, ``misfits`` do not (``reason``: the most common
    reason, ``example``: one such file), ``ignored`` are its known side files."""

    fmt: str
    fits: int
    misfits: int
    ignored: int
    reason: str = ""
    example: str = ""

    @property
    def share(self) -> float:
        considered = self.fits + self.misfits
        return self.fits / considered if considered else 0.0


@dataclass(frozen=True)
class Detection:
    """The outcome of :func:`detect_layout`. fmt: the detected format (None when none or ambiguous); candidates:
    the formats the user should choose between when ambiguous; scores: every layout's LayoutScore, best first;
    n_files: the scan files looked at (``truncated`` when SAMPLE_LIMIT stopped the walk); message: one sentence."""

    folder: Path
    fmt: str | None
    candidates: tuple[str, ...]
    scores: tuple[LayoutScore, ...]
    n_files: int
    truncated: bool
    message: str

    @property
    def ok(self) -> bool:
        return self.fmt is not None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    def details(self) -> str:
        """One line per layout (its share and most common reason): for a tooltip or a log, not the banner."""
        lines = []
        for s in self.scores:
            why = f"; e.g. {s.example}: {s.reason}" if s.reason else ""
            lines.append(f"{FORMATS[s.fmt]}: {s.fits} of {s.fits + s.misfits} scan files fit{why}")
        return "\n".join(lines)


def _scan_files(root: Path) -> tuple[list[Path], bool]:
    files: list[Path] = []
    for folder, _, names in walk(root, []):
        for name in names:
            if not is_hidden(name) and Path(name).suffix.lower() in _CANDIDATES:
                files.append(folder / name)
                if len(files) >= SAMPLE_LIMIT:
                    return files, True
    return files, False


def _score(fmt: str, files: list[Path], root: Path) -> LayoutScore:
    classify, _ = LAYOUTS[fmt]
    fits = ignored = 0
    reasons: Counter[str] = Counter()
    examples: dict[str, Path] = {}
    for path in files:
        verdict = classify(path, root)
        if verdict is True:
            fits += 1
        elif verdict is None:
            ignored += 1
        else:
            reasons[verdict] += 1
            examples.setdefault(verdict, path)
    if not reasons:
        return LayoutScore(fmt, fits, 0, ignored)
    reason, _ = reasons.most_common(1)[0]
    example = examples[reason]
    shown = example.relative_to(root).as_posix() if example.is_relative_to(root) else str(example)
    return LayoutScore(fmt, fits, sum(reasons.values()), ignored, reason, shown)


def _layout_list() -> str:
    return "; ".join(f"{FORMATS[fmt]} {example}" for fmt, (_, example) in LAYOUTS.items())


def detect_layout(folder: str | os.PathLike[str]) -> Detection:
    """The layout of ``folder`` (see the module docstring). FileNotFoundError / ValueError when it is no folder."""
    root = require_folder(folder, "data-set")
    files, truncated = _scan_files(root)
    name = root.name or str(root)
    if not files:
        extensions = " ".join(sorted(_CANDIDATES))
        return Detection(root, None, (), (), 0, False,
                         f"{name} holds no scan files (looked for {extensions}), so it is not a data-set folder.")
    scores = tuple(sorted((_score(fmt, files, root) for fmt in LAYOUTS), key=lambda s: (-s.fits, -s.share)))
    best = scores[0]
    if best.fits == 0 or best.share < MIN_SHARE:
        counted = f"{len(files)}{'+' if truncated else ''}"
        fit = f"only {best.fits} fit {FORMATS[best.fmt]}" if best.fits else "none fits"
        return Detection(root, None, (), scores, len(files), truncated,
                         f"{name} is in no known data-set layout: of its {counted} scan files {fit} (expected names "
                         f"like {_layout_list()}); open it with a manifest CSV, or as a 4D sequence if it is one.")
    rivals = tuple(s.fmt for s in scores[1:] if s.fits and s.fits >= AMBIGUOUS_RATIO * best.fits)
    if rivals:
        choices = (best.fmt, *rivals)
        named = " and ".join(f"{FORMATS[f]} ({next(s.fits for s in scores if s.fmt == f)} files)" for f in choices)
        return Detection(root, None, choices, scores, len(files), truncated,
                         f"{name} mixes data-set layouts, {named}: choose its layout in the browser's list.")
    counted = f"{best.fits + best.misfits}{'+' if truncated else ''}"
    rest = f"; {best.misfits} other file(s) will be skipped" if best.misfits else ""
    return Detection(root, best.fmt, (best.fmt,), scores, len(files), truncated,
                     f"{name}: detected the {FORMATS[best.fmt]} layout ({best.fits} of {counted} scan files named "
                     f"like {LAYOUTS[best.fmt][1]}{rest}).")


@dataclass(frozen=True)
class FolderIndex:
    """A folder indexed by :func:`index_folder`: the rows (IndexResult), the format used, and the detection (None
    when the caller chose the format and it fitted)."""

    result: IndexResult
    fmt: str
    detection: Detection | None


def index_folder(folder: str | os.PathLike[str], fmt: str = AUTO) -> FolderIndex:
    """Index ``folder`` in layout ``fmt`` (AUTO: the detected one). ValueError with one plain sentence when the
    layout cannot be detected, or when the chosen layout finds nothing (then the sentence says what the folder looks
    like instead); FileNotFoundError when the folder does not exist."""
    fmt = str(fmt or AUTO).strip().lower()
    if fmt == AUTO:
        detection = detect_layout(folder)
        if detection.fmt is None:
            raise ValueError(detection.message)
        return FolderIndex(index_dataset(folder, detection.fmt), detection.fmt, detection)
    if fmt not in LAYOUTS:
        known = ", ".join((AUTO, *LAYOUTS))
        raise ValueError(f"unknown data-set layout {fmt!r} (expected one of {known})")
    try:
        return FolderIndex(index_dataset(folder, fmt), fmt, None)
    except ValueError:
        detection = detect_layout(folder)  # say what the folder is instead of every skipped file
        root = detection.folder
        name = root.name or str(root)
        score = next((s for s in detection.scores if s.fmt == fmt), None)
        why = (f"none of its {score.fits + score.misfits} scan files is named like {LAYOUTS[fmt][1]}"
               if score is not None and score.fits == 0 else f"nothing in it is named like {LAYOUTS[fmt][1]}")
        if detection.fmt is not None and detection.fmt != fmt:
            hint = f"it looks like {FORMATS[detection.fmt]}: choose Auto-detect or {FORMATS[detection.fmt]}"
        elif detection.ambiguous:
            hint = f"it mixes {' and '.join(FORMATS[f] for f in detection.candidates)}"
        else:
            hint = "it is in no known layout"
        raise ValueError(f"{name} is not a {FORMATS[fmt]} folder ({why}); {hint}.") from None
