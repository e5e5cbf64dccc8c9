"""Locating the files under the project's top-level resources/ folder (prompt sets, render and training defaults).

Looked up, in order: $SMILE_VLM_RESOURCES; resources/ inside a PyInstaller bundle (sys._MEIPASS); resources/ beside
the `core` package (a source checkout or an editable install); <sys.prefix>/share/smile-vlm/resources (a wheel install).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    candidates = []
    if os.environ.get("SMILE_VLM_RESOURCES"):
        candidates.append(Path(os.environ["SMILE_VLM_RESOURCES"]))
    if hasattr(sys, "_MEIPASS"):
        candidates.append(Path(sys._MEIPASS) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    candidates.append(Path(sys.prefix) / "share" / "smile-vlm" / "resources")
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError("the resources/ folder was not found; looked in: " + ", ".join(str(c) for c in candidates))


def resource_path(*parts: str) -> Path:
    """Path of a file under resources/, e.g. resource_path("prompts", "expressions.json"); it must exist."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path}: resource file missing from the installation")
    return path
