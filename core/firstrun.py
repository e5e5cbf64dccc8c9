"""First run: install the shipped default model and build the demo set into the user's data folder.

``python -m core.firstrun [--data-dir DIR] [--config FILE] [--force] [--json]`` builds what is missing and exits
(nothing to do when the demo is ready). The app runs the same command as a subprocess and reads its ``--json``
progress lines, so training never shares the GUI process (see app/controllers/firstrun.py).

Data folder: ``--data-dir``, else the environment variable ``SMILE_VLM_DATA_DIR``, else
``platformdirs.user_data_dir("smile-vlm")``. Layout under it (:class:`DemoPaths`):

    models/default/  the shipped default model, installed from resources/models/default (model.ckpt, its sha256,
                     its card model.card.json/.md; core.release.install)
    demo/            the synthetic demo set (core.synth demo: bu3dfe/, bu4dfe/, bu3dfe.csv, bu4dfe.csv, demo.csv)
    runs/demo/       only without a shipped model (or with "model": "train"): the pretraining run on
                     demo/demo.csv (config.json, log.jsonl, last.ckpt)
    cache/           the rendered training views (core.render.RenderCache; the training panel uses it too)
    demo-ready.json  written last: the demo is complete (checkpoint, manifest, settings, seconds)

Steps, each skipped when already done: (0) the shipped model is checked against its sha256 and copied (well under a
second); (1) the demo set is generated into ``demo.partial/`` and renamed to
``demo/`` when complete (an interrupted generation starts over); (2) only when no model is shipped: pretraining with the settings of
resources/firstrun.json ("pretrain" section, over resources/pretrain.json): a run stopped half-way (SIGTERM, Ctrl-C,
the app's Cancel) resumes from its last checkpoint. Progress goes to a callback as :class:`Progress` (overall
fraction 0..1: the demo set counts for DEMO_SHARE of it, training for the rest), polled from the files being
written (scan files of the demo set, the training log's steps), so it works for any generator and trainer.

The settings (FirstRunConfig, load_config) live in core.firstrun_config, the progress events and their polling in
core.firstrun_progress; both re-exported here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.config_io import write_json_atomic
from core.firstrun_config import CONFIG_FILE, FirstRunConfig, load_config  # noqa: F401  (re-exported)
from core.firstrun_progress import (  # noqa: F401  (re-exported: tests and callers import them from here)
    DEMO_SHARE,
    POLL_S,
    Poller,
    Progress,
    count_scans,
    train_probe,
)

#: Environment variable naming the data folder (tests point it at a temporary folder).
ENV_VAR = "SMILE_VLM_DATA_DIR"
READY_NAME = "demo-ready.json"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The user's data folder: ``override``, else $SMILE_VLM_DATA_DIR, else platformdirs' user data dir."""
    if override not in (None, ""):
        return Path(os.path.expanduser(os.fspath(override))).absolute()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(os.path.expanduser(env)).absolute()
    from platformdirs import user_data_dir

    return Path(user_data_dir("smile-vlm", appauthor=False))


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo lives under the data folder ``root`` (see the module docstring)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).absolute())

    @property
    def demo_dir(self) -> Path:
        return self.root / "demo"

    @property
    def partial_dir(self) -> Path:
        return self.root / "demo.partial"

    @property
    def manifest(self) -> Path:
        return self.demo_dir / "demo.csv"

    @property
    def run_dir(self) -> Path:
        return self.root / "runs" / "demo"

    @property
    def model_dir(self) -> Path:
        """The installed default model (core.release.install)."""
        return self.root / "models" / "default"

    @property
    def run_checkpoint(self) -> Path:
        return self.run_dir / "last.ckpt"

    @property
    def checkpoint(self) -> Path:
        """The model the app starts with: the installed default model, else the demo training's checkpoint."""
        installed = self.model_dir / "model.ckpt"
        return installed if installed.is_file() else self.run_checkpoint

    @property
    def cache_dir(self) -> Path:
        """The render cache, shared with the app's training panel."""
        return self.root / "cache"

    @property
    def ready_file(self) -> Path:
        return self.root / READY_NAME

    def has_demo(self) -> bool:
        return self.manifest.is_file()

    def is_ready(self) -> bool:
        """True when the demo set and the trained checkpoint are both complete."""
        return self.ready_file.is_file() and self.checkpoint.is_file() and self.manifest.is_file()


@dataclass(frozen=True)
class FirstRunResult:
    """status: "ready" (all built) or "stopped" (training stopped early; run again to resume); what was done."""

    paths: DemoPaths
    status: str
    built_demo: bool
    trained: bool
    seconds: float


def expected_demo_files(demo) -> int:
    """Scan files the demo set holds for DemoConfig ``demo`` (BU-3DFE scans + BU-4DFE frames)."""
    from core.synth.config import load_config as load_synth
    from core.synth.generators import files_per_subject

    bu4 = replace(load_synth("bu4dfe"), frames=demo.bu4dfe_frames, expressions=demo.bu4dfe_expressions)
    return (demo.bu3dfe_subjects * files_per_subject("bu3dfe", load_synth("bu3dfe"))
            + demo.bu4dfe_subjects * files_per_subject("bu4dfe", bu4))


def load_demo_face_model(name: str, report: Callable[[Progress], None]) -> Any:
    """The demo's face model ``name``; when the ICT model's files are missing, the Surrey Face Model instead
    (said through ``report``), so a machine without the ICT files still gets a demo."""
    from core.synth.face_models import load_face_model
    from core.synth.model import ModelFileError

    try:
        return load_face_model(name)
    except ModelFileError as exc:
        if name != "ict":
            raise
        report(Progress("demo", 0.0, f"the ICT face model is not available ({exc}); generating the demo from the "
                                     "Surrey Face Model instead"))
        return load_face_model("sfm")


def build_demo_set(paths: DemoPaths, config: FirstRunConfig,
                   progress: Callable[[Progress], None] | None = None) -> Path:
    """Generate the demo set into ``paths.demo_dir`` (through demo.partial/); returns the demo manifest."""
    from core.synth.runner import generate_demo

    report = progress or (lambda p: None)
    demo = config.demo_config()
    total = max(1, expected_demo_files(demo))
    report(Progress("demo", 0.0, f"generating the synthetic demo set: loading the {demo.face_model} face model"))
    model = load_demo_face_model(demo.face_model, report)
    if paths.partial_dir.exists():
        shutil.rmtree(paths.partial_dir)

    def probe() -> Progress:
        n = min(total, count_scans(paths.partial_dir))
        return Progress("demo", DEMO_SHARE * n / total, f"generating the synthetic demo set: {n}/{total} scans")

    with Poller(probe, report):
        generate_demo(paths.partial_dir, model, demo, seed=config.seed)
    if paths.demo_dir.exists():
        shutil.rmtree(paths.demo_dir)
    os.replace(paths.partial_dir, paths.demo_dir)  # manifests hold paths relative to their folder: still valid
    report(Progress("demo", DEMO_SHARE, f"demo set ready: {total} scans in {paths.demo_dir}"))
    return paths.manifest


def train_demo_model(paths: DemoPaths, config: FirstRunConfig, progress: Callable[[Progress], None] | None = None,
                     stop_event: Any = None):
    """Pretrain on the demo manifest into ``paths.run_dir`` (resuming a stopped run); returns the RunSummary."""
    from core.train import pretrain

    report = progress or (lambda p: None)
    train_config = config.pretrain_config(paths.manifest, paths.cache_dir)
    resume = paths.run_checkpoint.is_file()
    if resume:
        from core.train.pretrain_config import CONFIG_NAME, PretrainConfig, config_differences, read_json_object

        try:
            saved = PretrainConfig.from_dict(read_json_object(paths.run_dir / CONFIG_NAME))
            changed = config_differences(saved, train_config)
        except (OSError, ValueError):
            changed = ["config.json"]
        if changed:  # settings changed since the stopped run: it cannot be resumed, train afresh
            report(Progress("train", DEMO_SHARE, f"first-run settings changed ({', '.join(changed)}); "
                                                 "training the demo model from the start"))
            shutil.rmtree(paths.run_dir)
            resume = False
    report(Progress("train", DEMO_SHARE, "training the demo model: " + ("resuming" if resume else "starting")))
    with Poller(train_probe(paths.run_dir / "log.jsonl"), report):
        return pretrain(train_config, paths.run_dir, resume=resume, stop_event=stop_event)


def build(root: str | os.PathLike[str] | None = None, config: FirstRunConfig | None = None,
          progress: Callable[[Progress], None] | None = None, stop_event: Any = None,
          force: bool = False) -> FirstRunResult:
    """Build whatever of the demo is missing under the data folder ``root`` (default :func:`data_dir`).

    progress(Progress) is called from a helper thread while files are being written. stop_event: anything with
    ``is_set()``; training stops after the current step (status "stopped", resumable). force: rebuild all.
    """
    start = time.perf_counter()
    paths = DemoPaths(data_dir(root))
    config = config or load_config()
    report = progress or (lambda p: None)
    if force:
        for folder in (paths.demo_dir, paths.partial_dir, paths.run_dir, paths.model_dir):
            if folder.exists():
                shutil.rmtree(folder)
        paths.ready_file.unlink(missing_ok=True)
    if paths.is_ready():
        report(Progress("done", 1.0, "the demo is ready"))
        return FirstRunResult(paths, "ready", False, False, time.perf_counter() - start)
    paths.root.mkdir(parents=True, exist_ok=True)
    installed = install_shipped_model(paths, config, report)
    built = False
    if not paths.has_demo():
        build_demo_set(paths, config, report)
        built = True
        if paths.run_dir.exists():  # a run on an older demo set cannot be resumed on this one
            shutil.rmtree(paths.run_dir)
    trained = installed is None
    if trained:
        summary = train_demo_model(paths, config, report, stop_event)
        done = summary.status == "done"
    else:
        done = True
    seconds = time.perf_counter() - start
    if not done or not paths.checkpoint.is_file():
        report(Progress("train", DEMO_SHARE, "training stopped; run the first run again to resume"))
        return FirstRunResult(paths, "stopped", built, trained, seconds)
    info = {"checkpoint": str(paths.checkpoint), "manifest": str(paths.manifest), "settings": config.to_dict(),
            "seconds": round(seconds, 1)}
    write_json_atomic(paths.ready_file, info)
    report(Progress("done", 1.0, f"the demo is ready ({seconds:.0f} s)"))
    return FirstRunResult(paths, "ready", built, trained, seconds)


def install_shipped_model(paths: DemoPaths, config: FirstRunConfig, report: Callable[[Progress], None]) -> Path | None:
    """Install the shipped default model into ``paths.model_dir`` (config.model "shipped" and one is shipped);
    returns the installed checkpoint, or None when the demo model is to be trained instead."""
    from core.release.install import install_default_model, shipped_model_dir

    if config.model != "shipped" or shipped_model_dir() is None:
        return None
    report(Progress("demo", 0.0, "installing the default model"))
    installed = install_default_model(paths.model_dir)
    report(Progress("demo", 0.0, f"default model installed: {installed}"))
    return installed


# ------------------------------------------------------------------------------------------------ command line
@dataclass(frozen=True)
class FirstRunCommand:
    """The command line as data: data folder ('' = default), config file, rebuild everything, JSON lines."""

    data_dir: str = ""
    config: str | None = None
    force: bool = False
    json_lines: bool = False


def parse_args(argv: list[str] | None = None) -> FirstRunCommand:
    parser = argparse.ArgumentParser(
        prog="python -m core.firstrun",
        description="Build the demo (synthetic data set + a model trained on it) into the user's data folder "
                    "if it is not there yet, then exit.",
    )
    parser.add_argument("--data-dir", default="", help=f"data folder (default: ${ENV_VAR}, else the user data dir)")
    parser.add_argument("--config", default=None, help="JSON file updating resources/firstrun.json")
    parser.add_argument("--force", action="store_true", help="rebuild the demo even when it is ready")
    parser.add_argument("--json", action="store_true", dest="json_lines",
                        help="print progress as JSON lines (for the app)")
    args = parser.parse_args(argv)
    return FirstRunCommand(args.data_dir, args.config, args.force, args.json_lines)


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 ready, 1 error, 3 stopped (run again to resume)."""
    cmd = parse_args(argv)
    lock = threading.Lock()

    def emit(line: str) -> None:
        with lock:
            print(line, flush=True)

    def report(p: Progress) -> None:
        emit(p.to_json() if cmd.json_lines else f"[{100 * p.fraction:3.0f}%] {p.message}")

    try:
        result = build(cmd.data_dir or None, load_config(cmd.config), report, force=cmd.force)
    except KeyboardInterrupt:
        emit(json.dumps({"event": "stopped", "message": "interrupted"}) if cmd.json_lines else "interrupted")
        return 3
    except (ValueError, OSError, RuntimeError) as exc:  # ScanError, ModelFileError, CheckpointError: ValueErrors
        message = str(exc) or type(exc).__name__
        emit(json.dumps({"event": "error", "message": message}) if cmd.json_lines
             else f"first run: error: {message}")
        return 1
    paths = result.paths
    if cmd.json_lines:
        emit(json.dumps({"event": "done" if result.status == "ready" else "stopped", "status": result.status,
                         "data_dir": str(paths.root), "checkpoint": str(paths.checkpoint),
                         "manifest": str(paths.manifest), "seconds": round(result.seconds, 1)}))
    elif result.status == "ready":
        emit(f"demo ready in {paths.root}\n  checkpoint: {paths.checkpoint}\n  manifest:   {paths.manifest}")
    else:
        emit("training stopped; run `python -m core.firstrun` again to resume")
    return 0 if result.status == "ready" else 3


if __name__ == "__main__":
    sys.exit(main())
