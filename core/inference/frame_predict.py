"""`smile-vlm predict --per-frame`: per-frame analyses of many inputs, and how each is printed.

:func:`predict_frames` yields (path, FrameProbabilities) or (path, error message) per input, in order (a bad input
does not stop the others). A JSON line (:func:`json_record`) is the input's usual predict object — path,
probabilities, view_weights, top, face, here those of the whole sequence's window (the one-shot analysis, up to the
rounding of a dynamic image's grey levels) — plus "window" (the setting), "events" (onset / apex / offset of the top
class, :mod:`core.inference.frame_events`, or null) and "frames": one entry per frame, ``{"frame": t, "window":
[first, t], "pooled": n, "top": label, "probabilities": {label: p}}``. The table prints the input's row, one row
per frame under it, and a line with the events.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from core.inference.frame_events import class_events
from core.inference.frames import FrameProbabilities, FrameWindow, analyze_frames

DIGITS = 6


def predict_frames(paths: Sequence[str | os.PathLike[str]], analyzer, window: FrameWindow | str | int | None = None
                   ) -> Iterator[tuple[str, FrameProbabilities | str]]:
    """(path, per-frame analysis) per input; a failing input gives (path, its error message)."""
    window = FrameWindow.parse(window)
    for p in paths:
        path = os.fspath(p)
        try:
            yield path, analyze_frames(analyzer, Path(path), window)
        except (ValueError, OSError) as exc:  # ScanError is a ValueError and names the file
            yield path, str(exc)
        except Exception as exc:  # an unforeseen failure of one input must not stop the others
            yield path, f"{path}: {type(exc).__name__}: {exc}"


def json_record(path: str, outcome: FrameProbabilities | str) -> dict[str, Any]:
    """The JSON object of one input (see the module docstring)."""
    if isinstance(outcome, str):
        return {"path": path, "error": outcome}
    events = class_events(outcome)
    return {
        "path": path,
        "probabilities": {k: round(float(v), DIGITS) for k, v in zip(outcome.labels, outcome.sequence)},
        "view_weights": [round(float(w), DIGITS) for w in outcome.sequence_view_weights],
        "top": outcome.sequence_top,
        "face": None if outcome.face is None else outcome.face.to_dict(),
        "window": str(outcome.window),
        "events": None if events is None else events.to_dict(DIGITS),
        "frames": outcome.frames_list(DIGITS),
    }


def _name(path: str) -> str:
    return path if len(path) <= 40 else "..." + path[-37:]


def table_rows(path: str, outcome: FrameProbabilities | str, labels: Sequence[str]) -> list[str]:
    """The input's row (the whole sequence), one row per frame (``  frame t [first-t]``), and the events line."""
    if isinstance(outcome, str):
        return [f"{_name(path):<40} error: {outcome}"]

    def cols(values) -> str:
        by_label = dict(zip(outcome.labels, values))
        return "".join(f" {by_label.get(label, float('nan')):>10.3f}" for label in labels)

    weights = " ".join(f"{w:.2f}" for w in outcome.sequence_view_weights)
    lines = [f"{_name(path):<40} {outcome.sequence_top[:12]:<12}{cols(outcome.sequence)}  {weights}"]
    top = outcome.top
    for t in range(len(outcome)):
        name = f"  frame {t} [{int(outcome.starts[t])}-{t}]"
        lines.append(f"{name:<40} {top[t][:12]:<12}{cols(outcome.probabilities[t])}")
    if outcome.face is not None and not outcome.face.ok:
        lines.append(f"{'':<40} WARNING: {outcome.face.warning()}")
    events = class_events(outcome)
    if events is not None:
        def at(frame: int | None) -> str:
            return "-" if frame is None else str(frame)

        lines.append(f"{'':<40} {events.label}: onset {at(events.onset)}, apex {events.apex}, "
                     f"offset {at(events.offset)} (window {outcome.window})")
    return lines
