"""The training panel's background processes (Qt side): :class:`ProcessJob` runs commands one after the other as
QProcesses, :class:`RunMonitor` follows a run's log with a QTimer, :class:`TrainingJob` is a pretraining process
followed through its log (its outcome in ``status`` and ``report``)."""

from __future__ import annotations

import os
import shlex
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from app.controllers.run_log import (
    LOG_NAME,
    OUTPUT_NAME,
    TERMINAL_EVENTS,
    LogTail,
    RunState,
    cli_error,
    failure_report,
)


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
            reason = state.message if state.status == "error" else ""
            if not reason:
                said = cli_error(self.process.output_text(60))
                code = self.process.exit_code
                reason = (f"{said} (exit status {code})" if said else message) or "the process ended unexpectedly"
            if ok and state.status not in TERMINAL_EVENTS:
                reason = "the training process ended without finishing its log"
            self.report = failure_report(reason, self.run_dir, self.process.output_text(30))
        self.finished.emit(self.status)
