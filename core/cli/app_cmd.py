"""`smile-vlm app [PATH]`: start the desktop analyzer.

core never imports the app (it is the Qt layer on top of core), so this command runs ``python -m app ...`` as a
child process with the same interpreter and returns its exit status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class AppLaunch:
    """path: scan file, sequence folder or manifest to open ('' = none); checkpoint / prompts: model and prompt set
    ('' = the last used, else the demo's); device: 'cpu' / 'cuda' / '' (auto); data_dir: user data folder
    ('' = default); first_run: build the demo when no model exists yet."""

    path: str = ""
    checkpoint: str = ""
    prompts: str = ""
    device: str = ""
    data_dir: str = ""
    first_run: bool = True

    def __post_init__(self) -> None:
        for name in ("path", "checkpoint", "data_dir"):
            value = getattr(self, name)
            object.__setattr__(self, name, os.path.abspath(os.path.expanduser(value)) if value else "")
        if self.device not in ("", "cpu", "cuda"):
            raise ValueError(f"device must be cpu or cuda, got {self.device!r}")


def launch_command(launch: AppLaunch, python: str | None = None) -> list[str]:
    """The argument vector that starts the app for ``launch``."""
    cmd = [python or sys.executable, "-m", "app"]
    if launch.path:
        cmd.append(launch.path)
    for flag, value in (("--checkpoint", launch.checkpoint), ("--prompts", launch.prompts),
                        ("--device", launch.device), ("--data-dir", launch.data_dir)):
        if value:
            cmd += [flag, value]
    if not launch.first_run:
        cmd.append("--no-first-run")
    return cmd


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "app",
        help="start the desktop analyzer (3D viewer, model views, zero-shot results, prompt editor)",
        description=(
            "Start the SMILE-VLM Analyzer window. PATH: a scan file, a 4D sequence (folder of frames or .npz) or a "
            "manifest CSV to open. On the very first start, with no model yet, the demo (synthetic data and a small "
            "model trained on it) is built into the user's data folder first (a few minutes)."
        ),
    )
    p.add_argument("path", nargs="?", default="", metavar="PATH", help="scan, sequence folder, .npz or manifest CSV")
    p.add_argument("--checkpoint", default="", metavar="C", help="SMILE-VLM checkpoint (default: last used / demo)")
    p.add_argument("--prompts", default="", metavar="FILE", help="prompt-set JSON or a shipped set's name")
    p.add_argument("--device", choices=["cpu", "cuda"], default="", help="default: CUDA when present, else CPU")
    p.add_argument("--data-dir", default="", metavar="DIR", help="user data folder (default: $SMILE_VLM_DATA_DIR "
                                                                  "or the platform's user data dir)")
    p.add_argument("--no-first-run", action="store_true", help="do not build the demo when no model exists")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    launch = AppLaunch(path=args.path, checkpoint=args.checkpoint, prompts=args.prompts, device=args.device,
                       data_dir=args.data_dir, first_run=not args.no_first_run)
    return subprocess.call(launch_command(launch))
