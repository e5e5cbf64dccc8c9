"""Installing the shipped default model (resources/models/default/) into a user's data folder on first run.

The shipped folder holds model.ckpt (weights only), model.sha256 ("<hex>  model.ckpt") and the model card
(model.card.json + model.card.md). Installing checks the checkpoint against its sha256, then copies the three files
into DEST (each through a temporary file and a rename, so a half-copied model is never taken for a finished one).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FILES = ("model.ckpt", "model.sha256", "model.card.json", "model.card.md")


def shipped_model_dir() -> Path | None:
    """resources/models/default when it holds a checkpoint and its sha256, else None."""
    from core.resources import resources_dir

    try:
        folder = resources_dir() / "models" / "default"
    except FileNotFoundError:
        return None
    return folder if (folder / "model.ckpt").is_file() and (folder / "model.sha256").is_file() else None


def expected_sha256(folder: Path) -> str:
    """The hex digest written in FOLDER/model.sha256; ValueError naming the file when it is malformed."""
    path = Path(folder) / "model.sha256"
    text = path.read_text(encoding="utf-8").split()
    if not text or len(text[0]) != 64 or any(c not in "0123456789abcdef" for c in text[0].lower()):
        raise ValueError(f"{path}: expected '<64 hex digits>  model.ckpt'")
    return text[0].lower()


def verify(folder: Path) -> str:
    """The checkpoint's sha256 when it matches model.sha256; ValueError naming the file otherwise."""
    from core.model.card import file_sha256

    want = expected_sha256(folder)
    got = file_sha256(Path(folder) / "model.ckpt")
    if got != want:
        raise ValueError(f"{Path(folder) / 'model.ckpt'}: sha256 {got[:16]}… does not match model.sha256 "
                         f"({want[:16]}…); the file is damaged or was replaced")
    return got


def install_default_model(dest: str | os.PathLike[str], source: Path | None = None) -> Path:
    """Copy the shipped (or ``source``) default model into ``dest``; returns the installed checkpoint.

    Nothing is copied when ``dest`` already holds the same checkpoint (same sha256). FileNotFoundError when there
    is no shipped model; ValueError when its checksum does not match.
    """
    source = Path(source) if source is not None else shipped_model_dir()
    if source is None:
        raise FileNotFoundError("no shipped default model (resources/models/default/model.ckpt); build one with "
                                "`smile-vlm build-model`")
    digest = verify(source)
    dest = Path(dest)
    installed = dest / "model.ckpt"
    if installed.is_file() and (dest / "model.sha256").is_file():
        try:
            if expected_sha256(dest) == digest and verify(dest) == digest:
                return installed
        except ValueError:
            pass
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:  # the checkpoint before its sha256: an interrupted copy never verifies
        src = source / name
        if not src.is_file():
            continue
        tmp = dest / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest / name)
    return installed
