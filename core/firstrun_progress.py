"""First-run progress (core.firstrun): the :class:`Progress` events, and how they are read off the files being
written: a daemon thread polling a probe every POLL_S seconds (:class:`Poller`), the scan files of the demo set being
generated (:func:`count_scans`), the steps of the training log (:class:`LogTail`, :func:`train_probe`). Polling the
files, not hooking the generator or trainer, keeps it working for any of them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Share of the overall progress taken by generating the demo set (training takes the rest).
DEMO_SHARE = 0.2
#: Seconds between two looks at the files being written.
POLL_S = 0.25


@dataclass(frozen=True)
class Progress:
    """stage: "demo" | "train" | "done"; fraction: overall progress 0..1; message: one line for the user."""

    stage: str
    fraction: float
    message: str

    def to_json(self) -> str:
        return json.dumps({"event": "progress", "stage": self.stage, "fraction": round(self.fraction, 4),
                           "message": self.message})


class Poller:
    """Calls ``probe()`` every POLL_S seconds in a daemon thread and reports each new Progress it returns."""

    def __init__(self, probe: Callable[[], Progress | None], report: Callable[[Progress], None]):
        self._probe, self._report = probe, report
        self._stop = threading.Event()
        self._last: Progress | None = None
        self._thread = threading.Thread(target=self._loop, name="firstrun-progress", daemon=True)

    def __enter__(self) -> Poller:
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


def count_scans(folder: Path) -> int:
    from core.scans import SCAN_EXTENSIONS

    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.rglob("*") if p.suffix.lower() in SCAN_EXTENSIONS and p.is_file())


class LogTail:
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


def train_probe(log: Path) -> Callable[[], Progress | None]:
    """A probe for :class:`Poller`: the training progress read from the JSON-lines log ``log`` (DEMO_SHARE..1)."""
    tail = LogTail(log)
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
