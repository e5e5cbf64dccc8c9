"""The workstation bundle (a PyInstaller one-folder build, see packaging/): where its files are, and its demo.

The bundle ships the first-run demo (demo scans + the default model installed from resources/models/default, or a
checkpoint trained on the demo when none is shipped) under ``<bundle>/demo-data`` in the
layout of :class:`core.firstrun.DemoPaths`, so a workstation needs no first-run training. :func:`install_demo`
copies it into the user's data folder on the first start (the bundle's folder may be read-only; the app writes its
settings, render cache and runs beside the demo).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from core.config_io import write_json_atomic
from core.firstrun import DemoPaths

#: Folder of the bundled demo inside the bundle.
DEMO_FOLDER = "demo-data"
#: Environment variable naming a bundled-demo folder explicitly (tests, or a bundle's demo moved elsewhere).
ENV_DEMO = "SMILE_VLM_BUNDLED_DEMO"


def is_frozen() -> bool:
    """True inside the PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path | None:
    """The bundle's data folder (sys._MEIPASS: ``<dist>/smile-vlm-analyzer/_internal``), None outside a bundle."""
    return Path(sys._MEIPASS) if is_frozen() else None


def bundled_demo() -> DemoPaths | None:
    """The shipped demo ($SMILE_VLM_BUNDLED_DEMO, else ``<bundle>/demo-data``) when it holds a checkpoint and a
    manifest; None otherwise (e.g. when not running from a bundle)."""
    env = os.environ.get(ENV_DEMO, "").strip()
    root = Path(env) if env else (bundle_root() / DEMO_FOLDER if bundle_root() is not None else None)
    if root is None:
        return None
    paths = DemoPaths(root)
    return paths if paths.checkpoint.is_file() and paths.manifest.is_file() else None


def install_demo(data_dir: str | os.PathLike[str], source: DemoPaths | None = None) -> bool:
    """Copy the shipped demo (``source``, default :func:`bundled_demo`) into the data folder ``data_dir`` unless a
    complete demo is already there. Returns True when it copied. The copy goes through temporary names and the
    ready marker is written last, so an interrupted copy is redone on the next start."""
    source = source if source is not None else bundled_demo()
    target = DemoPaths(Path(data_dir))
    if source is None or target.is_ready():
        return False
    target.root.mkdir(parents=True, exist_ok=True)
    if not target.has_demo():
        tmp = target.root / f".demo.{os.getpid()}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(source.demo_dir, tmp)
        if target.demo_dir.exists():
            shutil.rmtree(target.demo_dir)
        os.replace(tmp, target.demo_dir)
    if (source.model_dir / "model.ckpt").is_file():  # the shipped default model (checked against its sha256)
        from core.release.install import install_default_model

        install_default_model(target.model_dir, source.model_dir)
    else:  # a demo model trained by the first run
        target.run_dir.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", target.run_checkpoint.name):
            src = source.run_dir / name
            if src.is_file():
                tmp = target.run_dir / f".{name}.{os.getpid()}.tmp"
                shutil.copyfile(src, tmp)
                os.replace(tmp, target.run_dir / name)
    info = {"checkpoint": str(target.checkpoint), "manifest": str(target.manifest), "installed_from": str(source.root)}
    write_json_atomic(target.ready_file, info)
    return True
