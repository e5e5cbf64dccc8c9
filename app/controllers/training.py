"""Training runs for the app's training panel: where runs live, the command lines of the background processes, the
incremental reader of a run's JSON-lines log, the state built from its events, and the QProcess wrappers.

Folders: the user data folder DATA is core.firstrun.data_dir() ($SMILE_VLM_DATA_DIR when set, else platformdirs'
user data folder for smile-vlm). Runs go to DATA/runs/<YYYYmmdd-HHMMSS>[-k] (the first-run demo's is DATA/runs/demo),
the render cache shared with the first run to DATA/cache, synthetic presets to DATA/synth/<kind>-<N>.
The CLI is run as ``sys.executable -m core ...``; $SMILE_VLM_CLI (a shell-quoted command line) replaces that prefix
(e.g. for a bundled executable).

Log events (core.train.run_log): start, step, epoch_end, checkpoint, warning, done, stopped, error. :class:`LogTail`
reads only the bytes appended since its last call and keeps a partial last line for the next call; :class:`RunState`
folds events into curves (per loss term and samples/s, by step), progress and an ETA. A resumed run appends a new
"start" and may repeat steps after its checkpoint; the repeated steps replace the earlier points.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

ENV_DATA_DIR = "SMILE_VLM_DATA_DIR"
ENV_CLI = "SMILE_VLM_CLI"
LOG_NAME = "log.jsonl"
CONFIG_NAME = "config.json"
LAST_CHECKPOINT = "last.ckpt"
#: The process output the app keeps in a run folder (stdout and stderr of the training process, merged).
OUTPUT_NAME = "app_output.log"
#: Loss terms, in the order they are plotted ("loss" is the weighted total).
LOSS_TERMS = ("loss", "mv_bt", "vl_align", "red_min")
THROUGHPUT = "samples_per_s"
TERMINAL_EVENTS = ("done", "stopped", "error")
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


# ------------------------------------------------------------------------------------------------ the log
class LogTail:
    """Incremental reader of a JSON-lines file: each :meth:`poll` returns the events of the complete lines appended
    since the last call; a partial last line waits for its end. A file that shrinks or is replaced is read again
    from its start (``restarts`` counts it). Lines that are not JSON event objects are counted in ``bad_lines``."""

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 1 << 20):
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.offset = 0
        self.bad_lines = 0
        self.restarts = 0
        self._buffer = b""
        self._inode: tuple[int, int] | None = None
        self._size = 0

    def reset(self) -> None:
        self.offset = 0
        self._buffer = b""
        self._inode = None

    @property
    def pending(self) -> bytes:
        """The bytes of an incomplete last line."""
        return self._buffer

    def poll(self) -> list[dict]:
        """New complete events (at most ``max_bytes`` read per call; call again while :attr:`behind`)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return []
        inode = (st.st_dev, st.st_ino)
        if self._inode is not None and (inode != self._inode or st.st_size < self.offset):
            self.reset()
            self.restarts += 1
        self._inode = inode
        self._size = st.st_size
        if st.st_size == self.offset:
            return []
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read(self.max_bytes)
        except OSError:
            return []
        self.offset += len(data)
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        return [e for e in (self._parse(line) for line in lines) if e is not None]

    @property
    def behind(self) -> bool:
        """Whether the file held more bytes than the last poll read."""
        return self._size > self.offset

    def flush(self) -> list[dict]:
        """The pending partial line as an event when it is complete JSON (a writer that ended without a newline)."""
        line, self._buffer = self._buffer, b""
        event = self._parse(line) if line.strip() else None
        return [] if event is None else [event]

    def _parse(self, line: bytes) -> dict | None:
        if not line.strip():
            return None
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.bad_lines += 1
            return None
        if not isinstance(record, dict) or "event" not in record:
            self.bad_lines += 1
            return None
        return record


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass
class RunState:
    """A run as its log tells it. status: 'starting' (no event yet), 'running', 'done', 'stopped' or 'error'.

    series: term -> (steps, values) for LOSS_TERMS and THROUGHPUT; step and epoch of the last step event (epoch
    0-based); epochs: the configured number; steps_per_epoch from the last start event; checkpoint: the last one
    written; message: of the terminal event (error text, stop reason, ...).
    """

    status: str = "starting"
    config: dict = field(default_factory=dict)
    supervision: str = ""
    device: str = ""
    n_samples: int | None = None
    steps_per_epoch: int | None = None
    epochs: int | None = None
    step: int = 0
    epoch: int = 0
    checkpoint: str | None = None
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    series: dict[str, tuple[list[int], list[float]]] = field(
        default_factory=lambda: {k: ([], []) for k in (*LOSS_TERMS, THROUGHPUT)}
    )
    step_times: list[tuple[int, float]] = field(default_factory=list)
    n_events: int = 0

    def feed(self, events: list[dict]) -> None:
        for event in events:
            self._apply(event)

    def _apply(self, e: dict) -> None:
        self.n_events += 1
        kind = e.get("event")
        if kind == "start":
            self.status = "running"
            self.message = ""
            if isinstance(e.get("config"), dict):
                self.config = e["config"]
                epochs = self.config.get("epochs")
                self.epochs = epochs if isinstance(epochs, int) else self.epochs
            self.supervision = str(e.get("supervision", self.supervision))
            self.device = str(e.get("device", self.device))
            if isinstance(e.get("n_samples"), int):
                self.n_samples = e["n_samples"]
            if isinstance(e.get("steps_per_epoch"), int):
                self.steps_per_epoch = e["steps_per_epoch"]
            self.step_times = []
            resumed = e.get("resumed_from")
            if isinstance(resumed, dict) and isinstance(resumed.get("step"), int):
                self.step = resumed["step"]
                self._drop_after(resumed["step"])
        elif kind == "step":
            step = e.get("step")
            if not isinstance(step, int):
                return
            self.status = "running"
            self._drop_after(step - 1)
            self.step = step
            if isinstance(e.get("epoch"), int):
                self.epoch = e["epoch"]
            for key in (*LOSS_TERMS, THROUGHPUT):
                value = _number(e.get(key))
                if value is not None:
                    steps, values = self.series[key]
                    steps.append(step)
                    values.append(value)
            t = _number(e.get("time"))
            if t is not None:
                self.step_times.append((step, t))
                del self.step_times[:-64]
        elif kind == "epoch_end":
            if isinstance(e.get("epoch"), int):
                self.epoch = e["epoch"]
        elif kind == "checkpoint":
            if isinstance(e.get("path"), str):
                self.checkpoint = e["path"]
        elif kind == "warning":
            self.warnings.append(str(e.get("message", "")))
        elif kind in TERMINAL_EVENTS:
            self.status = kind
            self.message = str(e.get("message", ""))

    def _drop_after(self, step: int) -> None:
        """Forget points after ``step`` (a resumed run repeats them; the later lines win)."""
        for steps, values in self.series.values():
            while steps and steps[-1] > step:
                steps.pop()
                values.pop()

    def points(self, term: str = "loss") -> int:
        return len(self.series.get(term, ([], []))[0])

    def last(self, term: str) -> float | None:
        values = self.series.get(term, ([], []))[1]
        return values[-1] if values else None

    @property
    def total_steps(self) -> int | None:
        if self.epochs is None or self.steps_per_epoch is None:
            return None
        return self.epochs * self.steps_per_epoch

    @property
    def progress(self) -> float:
        """Fraction of the run's steps taken (1.0 once done)."""
        if self.status == "done":
            return 1.0
        total = self.total_steps
        return 0.0 if not total else min(1.0, self.step / total)

    def eta_seconds(self) -> float | None:
        """Remaining steps x the mean step time over the last (up to 64) steps of this process; None if unknown."""
        total = self.total_steps
        if self.status != "running" or total is None or len(self.step_times) < 2:
            return None
        (s0, t0), (s1, t1) = self.step_times[0], self.step_times[-1]
        if s1 <= s0 or t1 < t0:
            return None
        return max(0, total - self.step) * (t1 - t0) / (s1 - s0)

    def samples_per_s(self) -> float | None:
        """Mean throughput over the last (up to 8) step events."""
        values = self.series[THROUGHPUT][1][-8:]
        return sum(values) / len(values) if values else None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


# ------------------------------------------------------------------------------------------------ past runs
@dataclass(frozen=True)
class RunRecord:
    """A run folder as listed by :func:`scan_runs`.

    status: done | stopped | error | unfinished (its log has not ended: running in some process, or killed) |
    failed (the process ended without a log, see OUTPUT_NAME) | empty; config: config.json ({} when absent or
    unreadable).
    """

    path: Path
    status: str
    config: dict
    step: int = 0
    epoch: int = 0
    loss: float | None = None
    message: str = ""
    modified: float = 0.0

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checkpoint(self) -> Path | None:
        last = self.path / LAST_CHECKPOINT
        return last if last.is_file() else None

    @property
    def epochs(self) -> int | None:
        value = self.config.get("epochs")
        return value if isinstance(value, int) else None

    @property
    def resumable(self) -> bool:
        return self.checkpoint is not None and self.status in ("stopped", "error", "unfinished")

    def summary(self) -> str:
        """One line: backbone, supervision, epochs, batch, views x size."""
        c = self.config
        model = c.get("model", {}) if isinstance(c.get("model"), dict) else {}
        parts = [
            str(model.get("backbone", "?")),
            f"supervision {c.get('supervision', c.get('prompts', '?'))}",
            f"{c.get('epochs', '?')} epochs",
            f"batch {c.get('batch_size', '?')}",
            f"{model.get('n_views', '?')} views × {model.get('image_size', '?')} px",
        ]
        return ", ".join(parts)


def _tail_events(path: Path, window: int = 1 << 16) -> list[dict]:
    """The events in the last ``window`` bytes of a log (the first, possibly cut, line skipped)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - window))
            data = fh.read(window)
    except OSError:
        return []
    lines = data.split(b"\n")
    if size > window:
        lines = lines[1:]
    tail = LogTail(path)
    return [e for e in (tail._parse(line) for line in lines) if e is not None]


def read_run(path: str | os.PathLike[str]) -> RunRecord:
    """What a run folder holds: status from the end of its log, config from config.json."""
    folder = Path(path)
    config: dict = {}
    message = ""
    try:
        data = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        config = data if isinstance(data, dict) else {}
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = f"{folder / CONFIG_NAME}: unreadable ({exc})"
    log = folder / LOG_NAME
    events = _tail_events(log) if log.is_file() else []
    status = "empty"
    step = epoch = 0
    loss = None
    for e in events:
        kind = e.get("event")
        if kind == "start":
            status, message = "unfinished", ""
        elif kind == "step":
            status = "unfinished" if status not in TERMINAL_EVENTS else status
            step = e.get("step", step) if isinstance(e.get("step"), int) else step
            epoch = e.get("epoch", epoch) if isinstance(e.get("epoch"), int) else epoch
            loss = _number(e.get("loss"))
        elif kind == "epoch_end" and isinstance(e.get("epoch"), int):
            epoch = e["epoch"] + 1
        elif kind in TERMINAL_EVENTS:
            status, message = kind, str(e.get("message", ""))
    if not events and (folder / OUTPUT_NAME).is_file():
        status = "failed"
        message = "the training process ended before writing its log; see its output"
    try:
        modified = max(p.stat().st_mtime for p in [folder, *folder.iterdir()])
    except (OSError, ValueError):
        modified = 0.0
    return RunRecord(folder, status, config, step, epoch, loss, message, modified)


def scan_runs(root: Path | None = None) -> list[RunRecord]:
    """The run folders under ``root`` (default :func:`runs_dir`), most recently written first."""
    root = runs_dir() if root is None else Path(root)
    if not root.is_dir():
        return []
    records = [read_run(p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(records, key=lambda r: (r.modified, r.name), reverse=True)


def read_output_tail(run_dir: Path, lines: int = 40) -> str:
    try:
        text = (Path(run_dir) / OUTPUT_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_tail_text(run_dir: Path, lines: int = 12, window: int = 1 << 15) -> str:
    """The last ``lines`` lines of a run's log.jsonl, as written."""
    try:
        with open(Path(run_dir) / LOG_NAME, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - window))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


# ------------------------------------------------------------------------------------------------ Qt side
class RunMonitor(QObject):
    """Follows RUN_DIR/log.jsonl with a QTimer (every ``poll_ms``); ``updated`` after new events reached ``state``."""

    updated = Signal()

    def __init__(self, run_dir: str | os.PathLike[str], poll_ms: int = 200, parent: QObject | None = None):
        super().__init__(parent)
        self.run_dir = Path(run_dir)
        self.tail = LogTail(self.run_dir / LOG_NAME)
        self.state = RunState()
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def poll(self, final: bool = False) -> int:
        """Read what was appended; ``final`` also takes a complete unterminated last line. Returns the count."""
        restarts = self.tail.restarts
        events = self.tail.poll()
        if final:
            while self.tail.behind:
                events += self.tail.poll()
            events += self.tail.flush()
        if self.tail.restarts != restarts:  # the log was replaced (a fresh start): rebuild the state
            self.state = RunState()
        if events:
            self.state.feed(events)
            self.updated.emit()
        elif self.tail.restarts != restarts:
            self.updated.emit()
        return len(events)


class ProcessJob(QObject):
    """One or several commands run one after the other as background processes (stdout+stderr merged).

    Signals: output(str) for each chunk of output; finished(bool ok, str message), ok meaning that every command ran
    and exited with status 0 (``cancelled`` tells whether a stop was asked for). ``cancel()`` sends SIGTERM and,
    after ``kill_after_ms``, SIGKILL. The last ``keep_lines`` lines of output are kept in ``output_lines``.
    """

    output = Signal(str)
    finished = Signal(bool, str)

    def __init__(self, commands: list[list[str]] | tuple, kill_after_ms: int = 60_000, keep_lines: int = 400,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.commands = [list(c) for c in commands]
        if not self.commands or not all(self.commands):
            raise ValueError("a job needs at least one non-empty command")
        self.kill_after_ms = kill_after_ms
        self.output_lines: deque[str] = deque(maxlen=keep_lines)
        self._partial = ""
        self.exit_code: int | None = None
        self.crashed = False
        self.cancelled = False
        self.killed = False
        self.failed_to_start = ""
        self._index = -1
        self._done = False
        self.process: QProcess | None = None
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self.kill)

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        if self._index >= 0:
            raise RuntimeError("a job is started once")
        self._next()

    def is_running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def cancel(self) -> None:
        """Ask the running process to stop (SIGTERM); SIGKILL after kill_after_ms if it has not ended."""
        self.cancelled = True
        if self.is_running():
            self.process.terminate()
            self._kill_timer.start(self.kill_after_ms)

    def kill(self) -> None:
        if self.is_running():
            self.killed = True
            self.process.kill()

    def wait(self, msecs: int) -> bool:
        """Block up to ``msecs`` for the current process (for shutting the application down only)."""
        return self.process is None or self.process.waitForFinished(msecs) or not self.is_running()

    def output_text(self, lines: int = 40) -> str:
        out = list(self.output_lines)
        if self._partial:
            out.append(self._partial)
        return "\n".join(out[-lines:])

    @property
    def command_text(self) -> str:
        return " ".join(shlex.quote(a) for a in self.commands[max(0, self._index)])

    # ---------------------------------------------------------------- process
    def _environment(self) -> QProcessEnvironment:
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        return env

    def _next(self) -> None:
        self._index += 1
        command = self.commands[self._index]
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.setProcessEnvironment(self._environment())
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)
        self.process.start(command[0], command[1:])

    def _read(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", errors="replace")
        if not text:
            return
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        self.output_lines.extend(lines)
        self.output.emit(text)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.failed_to_start = f"could not start {self.commands[self._index][0]!r}: {self.process.errorString()}"
            self._finish(False, self.failed_to_start)

    def _on_finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read()
        self._kill_timer.stop()
        self.exit_code = exit_code
        self.crashed = exit_status == QProcess.ExitStatus.CrashExit
        if self.crashed or exit_code != 0:
            how = "was stopped by a signal" if self.crashed else f"exited with status {exit_code}"
            self._finish(False, f"{self.command_text} {how}")
        elif self._index + 1 >= len(self.commands):
            self._finish(True, "")
        elif self.cancelled:
            self._finish(False, "cancelled")
        else:
            self._next()

    def _finish(self, ok: bool, message: str) -> None:
        if self._done:
            return
        self._done = True
        if self._partial:
            self.output_lines.append(self._partial)
            self._partial = ""
        self.finished.emit(ok, message)


class TrainingJob(QObject):
    """A pretraining process writing into ``run_dir``, followed through its log.

    Signals: updated() when new log events reached ``state``; finished(str status) once the process has ended, with
    status done | stopped | error; ``report`` then holds a message for the window (for errors: the reason, the tail
    of the log and of the process output). The process output is also saved to RUN_DIR/app_output.log.
    """

    updated = Signal()
    finished = Signal(str)

    def __init__(self, command: list[str], run_dir: str | os.PathLike[str], poll_ms: int = 200,
                 kill_after_ms: int = 60_000, parent: QObject | None = None):
        super().__init__(parent)
        self.run_dir = Path(run_dir)
        self.command = list(command)
        self.monitor = RunMonitor(self.run_dir, poll_ms, self)
        self.monitor.updated.connect(self.updated)
        self.process = ProcessJob([self.command], kill_after_ms=kill_after_ms, parent=self)
        self.process.finished.connect(self._on_finished)
        self.status = "starting"
        self.report = ""

    @property
    def state(self) -> RunState:
        return self.monitor.state

    def start(self) -> None:
        self.status = "running"
        self.monitor.start()
        self.process.start()

    def cancel(self) -> None:
        self.process.cancel()

    def is_running(self) -> bool:
        return self.process.is_running()

    def _on_finished(self, ok: bool, message: str) -> None:
        self.monitor.poll(final=True)
        self.monitor.stop()
        output = self.process.output_text(400)
        try:
            (self.run_dir / OUTPUT_NAME).write_text(output + "\n", encoding="utf-8")
        except OSError:
            pass
        state = self.state
        if ok and state.status in ("done", "stopped"):
            self.status = state.status
            self.report = state.message
        elif self.process.cancelled and (ok or self.process.crashed) and state.status != "error":
            self.status = "stopped"
            if self.process.killed:
                last = f"its last checkpoint is {state.checkpoint}" if state.checkpoint else "it wrote no checkpoint"
                self.report = (f"killed: it did not stop within {self.process.kill_after_ms / 1000:g} s of the stop "
                               f"request; {last}")
            else:
                self.report = state.message or "stopped before training started; no checkpoint was written"
        else:
            self.status = "error"
            reason = state.message if state.status == "error" else (message or "the process ended unexpectedly")
            if ok and state.status not in TERMINAL_EVENTS:
                reason = "the training process ended without finishing its log"
            self.report = failure_report(reason, self.run_dir, self.process.output_text(30))
        self.finished.emit(self.status)


def failure_report(reason: str, run_dir: Path, output: str) -> str:
    """A crash report: the reason, the tail of the run's log and of the process output."""
    parts = [f"Training failed: {reason}"]
    log = log_tail_text(run_dir, 8)
    if log:
        parts += ["", f"--- end of {Path(run_dir) / LOG_NAME} ---", log]
    if output.strip():
        parts += ["", "--- end of the process output ---", output]
    return "\n".join(parts)
