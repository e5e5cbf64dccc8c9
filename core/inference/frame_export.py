"""Writing per-frame analyses (:class:`core.inference.frames.FrameProbabilities`) to CSV and JSON.

CSV: one row per (input, frame), columns in order ``path, frame, window_start, window_end, pooled, top, <label>...
(one column per class, the prompt set's order), error``: the probability of each class at that frame, 6 decimals;
``window_start``..``window_end`` the frames whose dynamic image was scored (``pooled`` of them sampled; 1: the
frame's own views). An input that failed is one row with its path and the error, the other cells empty. The
columns are the labels of the first analysis (or ``labels``); every analysis written together must have the same.
When the writer is told what produced the curves (``checkpoint`` and ``prompt_set``, as the app's export does), the
CSV has the columns ``checkpoint, prompt_set`` before ``error`` (as core.inference.export's results files) and the
JSON the keys ``"checkpoint"`` and ``"prompt_set"``; without them (``smile-vlm predict --per-frame``, whose command
line names both) neither.

JSON: ``{"window": "cumulative" | "last:K", "labels": [...], "inputs": [...]}``, each input the object
``smile-vlm predict --per-frame --json`` prints (:func:`core.inference.frame_predict.json_record`: path,
probabilities, view_weights, top and face of the whole sequence, window, events — the onset / apex / offset of its
top class — and frames: ``[{"frame", "window": [start, end], "pooled", "top", "probabilities": {label: p}}, ...]``;
``{"path", "error"}`` for a failed input). Strict JSON (no NaN).

Files are written atomically (temporary file, then rename); ValueError names the file when it cannot be written.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.config_io import strict_json, write_text_atomic
from core.inference.frame_predict import json_record
from core.inference.frames import FrameProbabilities

FIXED_COLUMNS = ("path", "frame", "window_start", "window_end", "pooled", "top")
DIGITS = 6
FORMATS = (".csv", ".json")

#: One input's outcome: (path, analysis) or (path, error message).
Outcome = tuple[str, "FrameProbabilities | str"]


#: The columns naming what produced the curves (written when the writer is told).
SOURCE_COLUMNS = ("checkpoint", "prompt_set")


def csv_columns(labels: Sequence[str], named: bool = False) -> list[str]:
    """The CSV header; ``named``: with the checkpoint and prompt_set columns."""
    clash = [label for label in labels if label in FIXED_COLUMNS or label in SOURCE_COLUMNS or label == "error"]
    if clash:
        raise ValueError(f"class {clash[0]!r} has the name of a fixed column of the per-frame CSV")
    return [*FIXED_COLUMNS, *labels, *(SOURCE_COLUMNS if named else ()), "error"]


def _source(checkpoint: str | None, prompt_set: str | None) -> tuple[str, ...]:
    """The checkpoint and prompt_set cells ((): not named)."""
    if checkpoint is None and prompt_set is None:
        return ()
    return (os.fspath(checkpoint or ""), str(prompt_set or ""))


def csv_rows(path: str, outcome: FrameProbabilities | str, labels: Sequence[str],
             source: tuple[str, ...] = ()) -> list[list[str]]:
    """The CSV rows of one input (see the module docstring); ``source``: its checkpoint and prompt_set cells, if
    written."""
    if isinstance(outcome, str):
        return [[path, "", "", "", "", "", *([""] * len(labels)), *source, outcome]]
    if tuple(outcome.labels) != tuple(labels):
        raise ValueError(f"{path}: its classes ({', '.join(outcome.labels)}) differ from the file's "
                         f"({', '.join(labels)})")
    top = outcome.top
    return [
        [path, str(t), str(int(outcome.starts[t])), str(t), str(int(outcome.pooled[t])), top[t],
         *(f"{float(p):.{DIGITS}f}" for p in outcome.probabilities[t]), *source, ""]
        for t in range(len(outcome))
    ]


def _labels(outcomes: Sequence[Outcome], labels: Sequence[str] | None) -> tuple[str, ...]:
    if labels is not None:
        return tuple(labels)
    return next((tuple(r.labels) for _, r in outcomes if not isinstance(r, str)), ())


def frames_csv(outcomes: Iterable[Outcome], labels: Sequence[str] | None = None, header: bool = True, *,
               checkpoint: str | os.PathLike[str] | None = None, prompt_set: str | None = None) -> str:
    """The CSV text of ``outcomes`` ((path, FrameProbabilities or error message) pairs); ``checkpoint`` /
    ``prompt_set``: what produced them (their columns are written when either is given)."""
    outcomes = list(outcomes)
    labels = _labels(outcomes, labels)
    source = _source(checkpoint, prompt_set)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(csv_columns(labels, bool(source)))
    for path, outcome in outcomes:
        writer.writerows(csv_rows(os.fspath(path), outcome, labels, source))
    return buffer.getvalue()


def frames_json(outcomes: Iterable[Outcome], labels: Sequence[str] | None = None, *,
                checkpoint: str | os.PathLike[str] | None = None, prompt_set: str | None = None) -> str:
    outcomes = list(outcomes)
    windows = sorted({str(r.window) for _, r in outcomes if not isinstance(r, str)})
    source = _source(checkpoint, prompt_set)
    data = dict(zip(SOURCE_COLUMNS, source))
    data.update({
        "window": windows[0] if len(windows) == 1 else windows,
        "labels": list(_labels(outcomes, labels)),
        "inputs": [json_record(os.fspath(p), r) for p, r in outcomes],
    })
    return strict_json(data, indent=1, ensure_ascii=False) + "\n"


def write_frames(outcomes: Iterable[Outcome], path: str | os.PathLike[str],
                 labels: Sequence[str] | None = None, *, checkpoint: str | os.PathLike[str] | None = None,
                 prompt_set: str | None = None) -> Path:
    """Write ``outcomes`` to ``path``: CSV or JSON by its suffix (.csv / .json), naming ``checkpoint`` and
    ``prompt_set`` when given. Returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: choose a file name ending in .csv or .json")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; choose a file name ending in .csv or .json")
    named = {"checkpoint": checkpoint, "prompt_set": prompt_set}
    text = frames_csv(outcomes, labels, **named) if suffix == ".csv" else frames_json(outcomes, labels, **named)
    try:
        return write_text_atomic(path, text)
    except OSError as exc:
        raise ValueError(f"{path}: cannot write the per-frame results ({exc.strerror or exc})") from None
