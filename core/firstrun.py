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
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.config_io import read_json_object, write_json_atomic

#: Environment variable naming the data folder (tests point it at a temporary folder).
ENV_VAR = "SMILE_VLM_DATA_DIR"
#: resources/ file holding the first-run settings.
CONFIG_FILE = "firstrun.json"
#: Share of the overall progress taken by generating the demo set (training takes the rest).
DEMO_SHARE = 0.2
#: Seconds between two looks at the files being written.
POLL_S = 0.25
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
class Progress:
    """stage: "demo" | "train" | "done"; fraction: overall progress 0..1; message: one line for the user."""

    stage: str
    fraction: float
    message: str

    def to_json(self) -> str:
        return json.dumps({"event": "progress", "stage": self.stage, "fraction": round(self.fraction, 4),
                           "message": self.message})


@dataclass(frozen=True)
class FirstRunConfig:
    """seed: of the demo set; demo: overrides of core.synth's DemoConfig (resources/synth.json "demo");
    pretrain: pretraining settings over resources/pretrain.json (any PretrainConfig key but data/cache);
    model: "shipped" (install resources/models/default; train the demo model only when none is shipped) or
    "train" (always train the small demo model)."""

    seed: int = 0
    demo: Mapping[str, Any] = field(default_factory=dict)
    pretrain: Mapping[str, Any] = field(default_factory=dict)
    model: str = "shipped"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"first-run config: seed must be an integer >= 0, got {self.seed!r}")
        if self.model not in ("shipped", "train"):
            raise ValueError(f"first-run config: model must be 'shipped' or 'train', got {self.model!r}")
        for name in ("demo", "pretrain"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise ValueError(f"first-run config: {name} must be a JSON object, got {type(value).__name__}")
            object.__setattr__(self, name, json.loads(json.dumps(dict(value))))  # private JSON-clean copy
        from core.synth.config import DemoConfig

        known = {f for f in DemoConfig.__dataclass_fields__}
        unknown = sorted(set(self.demo) - known)
        if unknown:
            raise ValueError(f"first-run config: unknown demo setting(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        owned = sorted({"data", "cache"} & set(self.pretrain))
        if owned:
            raise ValueError(f"first-run config: pretrain.{owned[0]} is chosen by the first run itself")
        self.pretrain_config("")  # validates the training settings now, not half-way through a first run

    @classmethod
    def from_dict(cls, data: Any, source: str = "first-run config") -> FirstRunConfig:
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
        values = {k: v for k, v in data.items() if not str(k).startswith("_")}
        unknown = sorted(set(values) - {"seed", "demo", "pretrain", "model"})
        if unknown:
            raise ValueError(f"{source}: unknown setting(s) {', '.join(unknown)} (known: demo, model, pretrain, "
                             "seed)")
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "demo": dict(self.demo), "pretrain": dict(self.pretrain), "model": self.model}

    def demo_config(self):
        """core.synth's DemoConfig: resources/synth.json's "demo" section updated by ``demo``."""
        from core.synth.config import DemoConfig, load_demo_config

        base = asdict(load_demo_config())
        values = {**base, **self.demo}
        if isinstance(values.get("bu4dfe_expressions"), list):
            values["bu4dfe_expressions"] = tuple(values["bu4dfe_expressions"])
        return DemoConfig(**values)

    def pretrain_config(self, manifest: str | os.PathLike[str], cache: str | os.PathLike[str] = ""):
        """The PretrainConfig of the demo training on ``manifest`` with render cache ``cache`` (no progress bar)."""
        from core.train import load_pretrain_config

        overrides = {**self.pretrain, "data": os.fspath(manifest), "cache": os.fspath(cache), "progress": False}
        return load_pretrain_config(None, overrides=overrides)


def load_config(path: str | os.PathLike[str] | None = None) -> FirstRunConfig:
    """resources/firstrun.json, updated key by key (sections merged) by the JSON file ``path`` when given."""
    from core.resources import resource_path

    data = read_json_object(resource_path(CONFIG_FILE), "first-run config")
    source = str(resource_path(CONFIG_FILE))
    if path is not None:
        extra = read_json_object(path, "first-run config")
        for key, value in extra.items():
            if key in ("demo", "pretrain") and isinstance(value, dict) and isinstance(data.get(key), dict):
                merged = dict(data[key])
                for k, v in value.items():  # nested training sections (model, loss, ...) merge too
                    merged[k] = {**merged[k], **v} if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
                data[key] = merged
            else:
                data[key] = value
        source = str(path)
    return FirstRunConfig.from_dict(data, source=source)


@dataclass(frozen=True)
class FirstRunResult:
    """status: "ready" (all built) or "stopped" (training stopped early; run again to resume); what was done."""

    paths: DemoPaths
    status: str
    built_demo: bool
    trained: bool
    seconds: float


class _Poller:
    """Calls ``probe()`` every POLL_S seconds in a daemon thread and reports each new Progress it returns."""

    def __init__(self, probe: Callable[[], Progress | None], report: Callable[[Progress], None]):
        self._probe, self._report = probe, report
        self._stop = threading.Event()
        self._last: Progress | None = None
        self._thread = threading.Thread(target=self._loop, name="firstrun-progress", daemon=True)

    def __enter__(self) -> _Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            self.poll()

    def poll(self) -> None:
        try:
            progress = self._probe()
        except (OSError, ValueError):  # a file being written: look again next time
            return
        if progress is not None and progress != self._last:
            self._last = progress
            self._report(progress)


def _count_scans(folder: Path) -> int:
    from core.scans import SCAN_EXTENSIONS

    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.rglob("*") if p.suffix.lower() in SCAN_EXTENSIONS and p.is_file())


def expected_demo_files(demo) -> int:
    """Scan files the demo set holds for DemoConfig ``demo`` (BU-3DFE scans + BU-4DFE frames)."""
    from core.synth.config import load_config as load_synth
    from core.synth.generators import files_per_subject

    bu4 = replace(load_synth("bu4dfe"), frames=demo.bu4dfe_frames, expressions=demo.bu4dfe_expressions)
    return (demo.bu3dfe_subjects * files_per_subject("bu3dfe", load_synth("bu3dfe"))
            + demo.bu4dfe_subjects * files_per_subject("bu4dfe", bu4))


class _LogTail:
    """Reads the complete new lines of a growing JSON-lines training log."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._rest = b""

    def events(self) -> list[dict]:
        if not self.path.is_file():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        self._offset += len(data)
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        out = []
        for line in lines:
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(event, dict):
                out.append(event)
        return out


def _train_probe(log: Path) -> Callable[[], Progress | None]:
    tail = _LogTail(log)
    state = {"total": 0, "step": 0, "epochs": 0, "epoch": 0, "loss": None}

    def probe() -> Progress:
        for event in tail.events():
            kind = event.get("event")
            if kind == "start":
                epochs = int(event.get("config", {}).get("epochs", 1))
                state.update(total=max(1, epochs * int(event.get("steps_per_epoch", 1))), epochs=epochs)
            elif kind in ("step", "epoch_end"):
                state["step"] = int(event.get("step", state["step"]))
                state["epoch"] = int(event.get("epoch", state["epoch"]))
                if isinstance(event.get("loss"), (int, float)):
                    state["loss"] = float(event["loss"])
        if not state["total"]:
            return Progress("train", DEMO_SHARE, "training the demo model: rendering the training views")
        done = min(1.0, state["step"] / state["total"])
        loss = f", loss {state['loss']:.3f}" if state["loss"] is not None else ""
        return Progress("train", DEMO_SHARE + (1 - DEMO_SHARE) * done,
                        f"training the demo model: epoch {min(state['epoch'] + 1, state['epochs'])}/{state['epochs']}"
                        f", step {state['step']}/{state['total']}{loss}")

    return probe


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
        n = min(total, _count_scans(paths.partial_dir))
        return Progress("demo", DEMO_SHARE * n / total, f"generating the synthetic demo set: {n}/{total} scans")

    with _Poller(probe, report):
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
    with _Poller(_train_probe(paths.run_dir / "log.jsonl"), report):
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
