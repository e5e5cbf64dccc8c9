"""Building the demo on the first start: ``python -m core.firstrun --json`` in a child process (QProcess).

Why a child process rather than a worker thread: training is long and CPU-bound (a thread would compete with the
GUI for the GIL and the two cores), the torch._dynamo / VTK-Mesa import-order hazard cannot arise in a process that
never renders on screen, and Cancel is a plain SIGTERM that core.train.pretrain already handles by checkpointing
(the next first run resumes there). The child prints one JSON object per line (core.firstrun.Progress.to_json and a
final "done" / "stopped" / "error" event); QProcess delivers them through the event loop, so nothing blocks.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from core.firstrun import DemoPaths

STDERR_LINES = 20


@dataclass(frozen=True)
class FirstRunOutcome:
    """status: "ready" | "stopped" | "cancelled" | "error"; checkpoint / manifest when ready; message for the user."""

    status: str
    checkpoint: str
    manifest: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "ready"


class FirstRunController(QObject):
    """start() / cancel(). Signals: progress(float fraction 0..1, str message), finished(object FirstRunOutcome)."""

    progress = Signal(float, str)
    finished = Signal(object)

    def __init__(self, data_dir: str | os.PathLike[str], config: str | os.PathLike[str] | None = None,
                 python: str | None = None, parent=None):
        super().__init__(parent)
        self.paths = DemoPaths(Path(data_dir))
        self.config = os.fspath(config) if config else None
        self.python = python or sys.executable
        self.process: QProcess | None = None
        self._buffer = b""
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._final: dict | None = None
        self._cancelled = False
        self.fraction = 0.0
        self.message = ""

    def arguments(self) -> list[str]:
        args = ["-m", "core.firstrun", "--data-dir", str(self.paths.root), "--json"]
        if self.config:
            args += ["--config", self.config]
        return args

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.NotRunning

    def start(self) -> None:
        if self.running:
            return
        self._buffer, self._final, self._cancelled = b"", None, False
        self._stderr.clear()
        process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(env)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self.process = process
        self.progress.emit(0.0, "starting the first run")
        process.start(self.python, self.arguments())

    def cancel(self) -> None:
        """Ask the child to stop (SIGTERM: training checkpoints and resumes on the next first run)."""
        if self.running:
            self._cancelled = True
            self.process.terminate()

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop the child and wait for it (for closing the window)."""
        if self.running:
            self._cancelled = True
            self.process.terminate()
            if not self.process.waitForFinished(timeout_ms):
                self.process.kill()
                self.process.waitForFinished(2000)

    # ------------------------------------------------------------------------------------------------ child output
    def _read_stdout(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._handle_line(line.decode("utf-8", errors="replace").strip())

    def _handle_line(self, line: str) -> None:
        if not line:
            return
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            self._stderr.append(line)
            return
        if not isinstance(event, dict):
            return
        kind = event.get("event")
        if kind == "progress":
            self.fraction = float(event.get("fraction", self.fraction))
            self.message = str(event.get("message", ""))
            self.progress.emit(self.fraction, self.message)
        elif kind in ("done", "stopped", "error"):
            self._final = event

    def _read_stderr(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip():
                self._stderr.append(line.rstrip())

    def _on_error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._emit(FirstRunOutcome("error", "", "", f"cannot start {self.python}: "
                                                        f"{self.process.errorString()}"))

    def _on_finished(self, exit_code: int, _status) -> None:
        self._read_stdout()
        if self._buffer:
            self._handle_line(self._buffer.decode("utf-8", errors="replace").strip())
            self._buffer = b""
        final = self._final or {}
        kind = final.get("event")
        if kind == "done" and exit_code == 0:
            outcome = FirstRunOutcome("ready", final.get("checkpoint", str(self.paths.checkpoint)),
                                      final.get("manifest", str(self.paths.manifest)),
                                      f"built in {final.get('seconds', 0):.0f} s")
        elif self._cancelled or kind == "stopped":
            outcome = FirstRunOutcome("cancelled" if self._cancelled else "stopped", "", "",
                                      "first run stopped; it resumes where it stopped on the next start")
        elif kind == "error":
            outcome = FirstRunOutcome("error", "", "", f"first run failed: {final.get('message', '')}")
        else:
            tail = "\n".join(self._stderr) or "no message"
            outcome = FirstRunOutcome("error", "", "", f"first run failed (exit status {exit_code}):\n{tail}")
        self._emit(outcome)

    def _emit(self, outcome: FirstRunOutcome) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.deleteLater()
        self.finished.emit(outcome)
