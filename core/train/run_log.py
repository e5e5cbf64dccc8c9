"""The JSON-lines training log (RUN_DIR/log.jsonl) that the app's training panel follows live.

One JSON object per line, each flushed (and fsync'd for the events that end a phase) as soon as it is written;
every line has "event" and "time" (Unix seconds). Events written by :func:`core.train.pretraining.pretrain`:
  start       {config, supervision, world_size, device, amp, n_samples, classes, steps_per_epoch, resumed_from}
  step        {epoch, step, loss, mv_bt, vl_align, red_min, lr, samples_per_s}  (vl_align/red_min only with text)
  epoch_end   {epoch, step, loss, mv_bt, ... (means over the epoch's steps), seconds}
  checkpoint  {path, epoch, step}
  warning     {message}
  done | stopped | error   {message}
``epoch`` is 0-based; ``step`` counts optimizer steps since the start of the run (the logged step is the one just
taken, 1-based). A resumed run appends to the same file after a new "start" with "resumed_from" set; steps
after the checkpoint it resumed from may then appear twice (the later lines win).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import IO

LOG_NAME = "log.jsonl"

_SYNC_EVENTS = frozenset({"start", "epoch_end", "checkpoint", "done", "stopped", "error"})


def _clean(value: object) -> object:
    """JSON-safe: non-finite floats become None, paths become strings, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class RunLog:
    """Append-only JSON-lines writer; a no-op when ``enabled`` is False (ranks other than 0)."""

    def __init__(self, path: str | os.PathLike[str], enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self._fh: IO[str] | None = None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._fh = open(self.path, "a", encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"{self.path}: cannot open the training log for writing ({exc.strerror})") from None

    def write(self, event: str, **fields: object) -> None:
        if not self.enabled or self._fh is None:
            return
        record = {"event": event, "time": time.time()}
        record.update(fields)
        self._fh.write(json.dumps(_clean(record), allow_nan=False) + "\n")
        self._fh.flush()
        if event in _SYNC_EVENTS:
            try:
                os.fsync(self._fh.fileno())
            except OSError:
                pass

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_log(path: str | os.PathLike[str]) -> list[dict]:
    """The events of a log.jsonl, in order; a truncated last line (a run killed mid-write) is skipped."""
    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"{src}: training log does not exist")
    events = []
    with open(src, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number >= len(lines) - 1:
                break
            raise ValueError(f"{src}: line {number}: not JSON ({exc.msg})") from None
        except RecursionError:
            raise ValueError(f"{src}: line {number}: JSON nested too deeply to be a log event") from None
        if not isinstance(record, dict) or "event" not in record:
            raise ValueError(f"{src}: line {number}: not a log event object")
        events.append(record)
    return events
