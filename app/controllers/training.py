"""Training runs for the app's training panel: where runs live and the command lines of the background processes
(the run log and state: app.controllers.run_log; the QProcess wrappers: app.controllers.process_jobs, both
re-exported here for the panel).

Folders: the user data folder DATA is core.firstrun.data_dir() ($SMILE_VLM_DATA_DIR when set, else platformdirs'
user data folder for smile-vlm). Runs go to DATA/runs/<YYYYmmdd-HHMMSS>[-k] (the first-run demo's is DATA/runs/demo),
the render cache shared with the first run to DATA/cache, synthetic presets to DATA/synth/<kind>-<N>.
The CLI is run as ``sys.executable -m core ...``; $SMILE_VLM_CLI (a shell-quoted command line) replaces that prefix
(e.g. for a bundled executable).
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from app.controllers.process_jobs import ProcessJob, RunMonitor, TrainingJob
from app.controllers.run_log import (
    CONFIG_NAME,
    LAST_CHECKPOINT,
    LOG_NAME,
    LOSS_TERMS,
    OUTPUT_NAME,
    TERMINAL_EVENTS,
    THROUGHPUT,
    LogTail,
    RunRecord,
    RunState,
    failure_report,
    format_duration,
    log_tail_text,
    read_output_tail,
    read_run,
)

ENV_DATA_DIR = "SMILE_VLM_DATA_DIR"
ENV_CLI = "SMILE_VLM_CLI"
#: Synthetic presets (`smile-vlm synth <kind>`).
SYNTH_KINDS = ("demo", "bu3dfe", "bu4dfe", "bp4d", "4dme", "bosphorus", "heads")
#: Supervision modes of `smile-vlm pretrain --prompts`, with the words the panel shows.
SUPERVISION_LABELS = {
    "metadata": "metadata: category prompts (uses the category labels)",
    "none": "none: label-free (multi-view Barlow Twins only)",
}


# ------------------------------------------------------------------------------------------------ folders and commands
def data_dir() -> Path:
    """$SMILE_VLM_DATA_DIR, else the platform's user data folder for smile-vlm (core.firstrun.data_dir)."""
    from core.firstrun import data_dir as user_data_folder

    return user_data_folder()


def runs_dir() -> Path:
    return data_dir() / "runs"


def cache_dir() -> Path:
    """The render cache shared by the runs started from the app."""
    return data_dir() / "cache"


def synth_dir() -> Path:
    return data_dir() / "synth"


def cli_command() -> list[str]:
    """The command that runs `smile-vlm` (without the subcommand)."""
    env = os.environ.get(ENV_CLI, "").strip()
    if env:
        return shlex.split(env)
    return [sys.executable, "-m", "core"]


def new_run_dir(root: Path | None = None, now: float | None = None) -> Path:
    """Create and return a fresh run folder ROOT/<YYYYmmdd-HHMMSS>, with -2, -3, ... when the name is taken."""
    root = runs_dir() if root is None else Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    for k in range(1, 10_000):
        path = root / (stamp if k == 1 else f"{stamp}-{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise ValueError(f"{root}: no free run folder name for {stamp}")


@dataclass(frozen=True)
class TrainingOptions:
    """What the panel lets the user set for a new run (the `smile-vlm pretrain` flags of the same meaning).

    data: manifest CSV; prompts: "metadata" (category prompts, uses labels) or "none" (label-free); prompt_set: a
    shipped set's name or a prompt file ('' = the default set). The other fields keep PretrainConfig's names.
    """

    data: str = ""
    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-4
    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 1.0
    lambd_bt: float = 0.005
    lambd_rm: float = 0.005
    tau: float = 0.07
    embed_dim: int = 128
    backbone: str = "smallcnn"
    text_encoder: str = "minilm"
    n_views: int = 3
    image_size: int = 112
    prompts: str = "metadata"
    prompt_set: str = ""
    device: str = "auto"
    num_workers: int = 2
    seed: int = 0

    @classmethod
    def defaults(cls) -> "TrainingOptions":
        """The training defaults of resources/pretrain.json and resources/model.json."""
        from core.train.pretrain_config import default_settings

        s = default_settings()
        loss, model = s.get("loss", {}), s.get("model", {})
        values: dict[str, Any] = {
            "epochs": s.get("epochs"), "batch_size": s.get("batch_size"), "lr": s.get("lr"),
            "prompts": s.get("prompts"), "prompt_set": s.get("prompt_set"), "device": s.get("device"),
            "num_workers": s.get("num_workers"), "seed": s.get("seed"),
            "alpha": loss.get("alpha"), "beta": loss.get("beta"), "gamma": loss.get("gamma"),
            "lambd_bt": loss.get("lambd_bt"), "lambd_rm": loss.get("lambd_rm"), "tau": loss.get("tau"),
            "embed_dim": model.get("embed_dim"), "backbone": model.get("backbone"),
            "text_encoder": model.get("text_encoder"), "n_views": model.get("n_views"),
            "image_size": model.get("image_size"),
        }
        return cls(**{k: v for k, v in values.items() if v is not None})

    def overrides(self) -> dict[str, Any]:
        """The options as PretrainConfig settings (nested like PretrainConfig.to_dict())."""
        return {
            "data": self.data, "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
            "prompts": self.prompts, "prompt_set": self.prompt_set, "device": self.device,
            "num_workers": self.num_workers, "seed": self.seed,
            "loss": {"alpha": self.alpha, "beta": self.beta, "gamma": self.gamma, "lambd_bt": self.lambd_bt,
                     "lambd_rm": self.lambd_rm, "tau": self.tau},
            "model": {"embed_dim": self.embed_dim, "backbone": self.backbone, "text_encoder": self.text_encoder,
                      "n_views": self.n_views, "image_size": self.image_size},
        }

    def check(self) -> None:
        """ValueError with a message for the window when the options cannot make a run (checked by core's
        PretrainConfig, plus: the manifest must be an existing file)."""
        if not self.data.strip():
            raise ValueError("choose a manifest (or generate a synthetic preset) first")
        if not Path(self.data).expanduser().is_file():
            raise ValueError(f"{self.data}: manifest file not found")
        from core.train.pretrain_config import load_pretrain_config

        load_pretrain_config(None, self.overrides())

    def cli_args(self) -> list[str]:
        """The `smile-vlm pretrain` flags for these options."""
        args = [
            "--data", str(Path(self.data).expanduser().absolute()),
            "--epochs", str(self.epochs), "--batch", str(self.batch_size), "--lr", repr(float(self.lr)),
            "--alpha", repr(float(self.alpha)), "--beta", repr(float(self.beta)),
            "--gamma", repr(float(self.gamma)), "--lambd-bt", repr(float(self.lambd_bt)),
            "--lambd-rm", repr(float(self.lambd_rm)), "--tau", repr(float(self.tau)),
            "--dim", str(self.embed_dim), "--backbone", self.backbone, "--text-encoder", self.text_encoder,
            "--views", str(self.n_views), "--size", str(self.image_size), "--prompts", self.prompts,
            "--device", self.device, "--workers", str(self.num_workers), "--seed", str(self.seed),
        ]
        if self.prompts == "metadata" and self.prompt_set.strip():
            args += ["--prompt-set", self.prompt_set.strip()]
        return args

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingOptions":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def pretrain_command(options: TrainingOptions, run_dir: Path, cache: Path | None = None) -> list[str]:
    """The command line of a new pretraining run into ``run_dir`` (no progress bars: the log is followed instead)."""
    cache = cache_dir() if cache is None else cache
    return cli_command() + ["pretrain", *options.cli_args(), "--out", str(run_dir), "--cache", str(cache),
                            "--no-progress"]


def resume_command(run_dir: Path, cache: Path | None = None) -> list[str]:
    """The command line that continues the run in ``run_dir`` from its last checkpoint, with its saved settings."""
    cache = cache_dir() if cache is None else cache
    return cli_command() + ["pretrain", "--out", str(run_dir), "--resume", "--cache", str(cache), "--no-progress"]


@dataclass(frozen=True)
class SynthPlan:
    """The processes that make a synthetic preset and the manifest they leave."""

    kind: str
    subjects: int
    out: Path
    commands: tuple[tuple[str, ...], ...]
    manifest: Path


def synth_plan(kind: str, subjects: int, root: Path | None = None) -> SynthPlan:
    """`smile-vlm synth KIND --subjects N --out DIR`, then `smile-vlm index` into DIR/manifest.csv.

    DIR is SYNTH/<kind>-<N> (SYNTH/demo for the demo set, whose size is fixed by resources/synth.json), with a fresh
    -k suffix when that folder exists, is not empty and has no manifest yet (an interrupted generation). The demo
    generator writes its own manifest, DIR/demo.csv; 4dme and heads write a spreadsheet (DIR/4dme.csv,
    DIR/heads.csv), indexed with ``--format csv``; the other layouts are indexed with their own format. The data
    come from the generator's default face model (ICT).
    """
    from core.synth.layout import MANIFESTS

    if kind not in SYNTH_KINDS:
        raise ValueError(f"unknown synthetic preset {kind!r} (expected one of {', '.join(SYNTH_KINDS)})")
    if isinstance(subjects, bool) or not isinstance(subjects, int) or subjects < 1:
        raise ValueError(f"the number of subjects must be an integer >= 1, got {subjects!r}")
    root = synth_dir() if root is None else Path(root)
    name = "demo.csv" if kind == "demo" else "manifest.csv"
    base = "demo" if kind == "demo" else f"{kind}-{subjects}"
    out = root / base
    k = 2
    while out.exists() and not (out / name).is_file() and any(out.iterdir()):
        out = root / f"{base}-{k}"
        k += 1
    manifest = out / name
    cli = cli_command()
    if kind == "demo":
        return SynthPlan(kind, subjects, out, (tuple(cli + ["synth", "demo", "--out", str(out)]),), manifest)
    commands = [tuple(cli + ["synth", kind, "--subjects", str(subjects), "--out", str(out)])]
    if kind in MANIFESTS:
        commands.append(tuple(cli + ["index", str(out / MANIFESTS[kind]), "--format", "csv", "--out", str(manifest)]))
    else:
        commands.append(tuple(cli + ["index", str(out), "--format", kind, "--out", str(manifest)]))
    return SynthPlan(kind, subjects, out, tuple(commands), manifest)

def scan_runs(root: Path | None = None) -> list[RunRecord]:
    """The run folders under ``root`` (default :func:`runs_dir`), most recently written first."""
    root = runs_dir() if root is None else Path(root)
    if not root.is_dir():
        return []
    records = [read_run(p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(records, key=lambda r: (r.modified, r.name), reverse=True)


__all__ = [
    "CONFIG_NAME",
    "ENV_CLI",
    "ENV_DATA_DIR",
    "LAST_CHECKPOINT",
    "LOG_NAME",
    "LOSS_TERMS",
    "LogTail",
    "OUTPUT_NAME",
    "ProcessJob",
    "RunMonitor",
    "RunRecord",
    "RunState",
    "SUPERVISION_LABELS",
    "SYNTH_KINDS",
    "SynthPlan",
    "TERMINAL_EVENTS",
    "THROUGHPUT",
    "TrainingJob",
    "TrainingOptions",
    "cache_dir",
    "cli_command",
    "data_dir",
    "failure_report",
    "format_duration",
    "log_tail_text",
    "new_run_dir",
    "pretrain_command",
    "read_output_tail",
    "read_run",
    "resume_command",
    "runs_dir",
    "scan_runs",
    "synth_dir",
    "synth_plan",
]
