"""Who a row's subject is, across data sets: the key a checkpoint records for every subject it was trained on and
the benchmark compares with its test subjects (``smile-vlm benchmark --init`` refuses a subject leak).

key = "<data set>/<subject>" for real data (BU-3DFE's F0001 is the same person in every copy of the data set), and
"<data set>/<subject>@<face model>-seed<seed>" for synthetic data (a folder, or a parent up to three levels up,
holding the generator's synth.json): two synthetic sets share a subject only when the same face model and seed
made them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

SYNTH_INFO = "synth.json"


@lru_cache(maxsize=256)
def _synthetic_origin(folder: Path) -> str:
    for parent in (folder, *list(folder.parents)[:3]):
        info = parent / SYNTH_INFO
        if info.is_file():
            try:
                data = json.loads(info.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
                return "synthetic"
            model = data.get("face_model") or (data.get("model") or {}).get("face_model") or "sfm"
            return f"{model}-seed{data.get('seed', '?')}"
    return ""


def subject_key(row) -> str:
    """The cross-data-set key of a manifest row's subject (see the module docstring)."""
    path = Path(row.path)
    origin = _synthetic_origin(path.parent if path.suffix else path)
    base = f"{row.dataset}/{row.subject}"
    return f"{base}@{origin}" if origin else base


def subject_keys(rows: Iterable) -> list[str]:
    """The sorted distinct subject keys of ``rows``."""
    return sorted({subject_key(row) for row in rows})
