"""A training run's files as the app reads them: the incremental reader of its JSON-lines log, the state built from
its events (curves, progress, ETA), the record of a past run folder, and the tails shown in crash reports. No Qt.

Log events (core.train.run_log): start, step, epoch_end, checkpoint, warning, done, stopped, error. :class:`LogTail`
reads only the bytes appended since its last call and keeps a partial last line for the next call; :class:`RunState`
folds events into curves (per loss term and samples/s, by step), progress and an ETA. A resumed run appends a new
"start" and may repeat steps after its checkpoint; the repeated steps replace the earlier points.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG_NAME = "log.jsonl"
CONFIG_NAME = "config.json"
LAST_CHECKPOINT = "last.ckpt"
#: The process output the app keeps in a run folder (stdout and stderr of the training process, merged).
OUTPUT_NAME = "app_output.log"
#: Loss terms, in the order they are plotted ("loss" is the weighted total).
LOSS_TERMS = ("loss", "mv_bt", "vl_align", "red_min")
THROUGHPUT = "samples_per_s"
TERMINAL_EVENTS = ("done", "stopped", "error")


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


_CLI_ERROR = re.compile(r"^smile-vlm [\w-]+: error: (.+)$")


def cli_error(output: str) -> str:
    """The reason in the last ``smile-vlm COMMAND: error: REASON`` line of a process's output ('' when none): what
    the CLI prints when it fails before its run log starts (e.g. labels missing from the prompt set)."""
    for line in reversed(output.splitlines()):
        m = _CLI_ERROR.match(line.strip())
        if m:
            return m.group(1).strip()
    return ""


def failure_report(reason: str, run_dir: Path, output: str) -> str:
    """A crash report: the reason, the tail of the run's log and of the process output."""
    parts = [f"Training failed: {reason}"]
    log = log_tail_text(run_dir, 8)
    if log:
        parts += ["", f"--- end of {Path(run_dir) / LOG_NAME} ---", log]
    if output.strip():
        parts += ["", "--- end of the process output ---", output]
    return "\n".join(parts)
