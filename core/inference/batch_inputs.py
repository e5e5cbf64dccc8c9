"""What a batch analysis analyses: inputs (a scan file, a sequence folder or .npz) with their manifest row when they
have one.

:func:`folder_inputs` turns a folder into inputs the way a person means it: a folder in a known data-set layout
(core.datasets.detect) gives its indexed rows, so a BU-4DFE or BP4D tree gives one input per sequence folder (its
frames rank-pooled into dynamic images by the analysis, as core.dynamic does) and every input carries its subject,
label and intensity; any other folder gives every scan file under it (:func:`collect_folder`), each a 3D scan (a
.npz a sequence).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.datasets.manifest import ManifestRow
from core.scans import SCAN_EXTENSIONS


@dataclass(frozen=True)
class BatchInput:
    """One input: its path and its manifest row (None when it has none). os.fspath() gives the path."""

    path: str
    row: ManifestRow | None = None

    def __fspath__(self) -> str:
        return self.path


def as_inputs(items: Iterable[str | os.PathLike[str] | ManifestRow | BatchInput]) -> list[BatchInput]:
    """Paths, ManifestRows and BatchInputs as BatchInputs (a row keeps itself as the input's row)."""
    out = []
    for item in items:
        if isinstance(item, BatchInput):
            out.append(item)
        elif isinstance(item, ManifestRow):
            out.append(BatchInput(os.fspath(item.path), item))
        else:
            out.append(BatchInput(os.fspath(item)))
    return out


def collect_folder(folder: str | os.PathLike[str]) -> list[str]:
    """Every scan file under ``folder`` (any depth, sorted by path; hidden files skipped), each analysed on its
    own: a file as a 3D scan, a .npz as a sequence. ValueError naming the folder when it holds none."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    found = sorted(
        str(p) for p in root.rglob("*")
        if p.suffix.lower() in SCAN_EXTENSIONS and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not found:
        known = " ".join(sorted(SCAN_EXTENSIONS))
        raise ValueError(f"{root}: the folder holds no scan file (looked for {known})")
    return found


@dataclass(frozen=True)
class FolderInputs:
    """inputs; fmt: the data-set layout they were indexed in (None: every scan file); note: one sentence saying
    which (the detection's, or that the folder is in no known layout and every file is analysed alone)."""

    inputs: tuple[BatchInput, ...]
    fmt: str | None
    note: str


def folder_inputs(folder: str | os.PathLike[str]) -> FolderInputs:
    """The inputs of ``folder`` (see the module docstring). ValueError naming the folder when it is none or holds
    no scan file."""
    from core.datasets.detect import detect_layout
    from core.datasets.index import FORMATS, index_dataset

    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    detection = detect_layout(root)
    if detection.fmt is not None:
        result = index_dataset(root, detection.fmt)
        n4d = sum(1 for r in result.rows if r.kind == "4d")
        what = f"{n4d} sequence(s)" + (f" and {len(result.rows) - n4d} scan(s)" if n4d < len(result.rows) else "")
        if not n4d:
            what = f"{len(result.rows)} scan(s)"
        return FolderInputs(tuple(as_inputs(result.rows)), detection.fmt,
                            f"{root.name}: {FORMATS[detection.fmt]} layout, {what} with their manifest labels.")
    paths = collect_folder(root)
    why = (f"mixes the {' and '.join(FORMATS[f] for f in detection.candidates)} layouts" if detection.ambiguous
           else "no known data-set layout")
    return FolderInputs(tuple(as_inputs(paths)), None,
                        f"{root.name}: {why}, each of its {len(paths)} scan file(s) analysed alone (no labels).")
