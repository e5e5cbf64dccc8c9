"""Writing analysis results to CSV and JSON, and reading them back: one row per input file.

A row holds the input's path, the top class, the probability of every class, the view weights w_1..w_V, the
uncertainty (normalised entropy and top-1 - top-2 margin, :mod:`core.inference.uncertainty`), the face flag of the
canonical-face search (face_ok: whether a face was found, face_residual_mm: the fit's residual, face_reason: why
not; all empty / null when no face was looked for, orientation "none"), the checkpoint and prompt set used, and the
error message when that input failed (its other cells are then empty).

CSV columns, in order: ``path, top, entropy, margin, prob_<label>... (class order), view_weight_1..view_weight_V,
face_ok, face_residual_mm, face_reason, checkpoint, prompt_set, error`` (face_ok is ``true`` / ``false`` / empty).
Labels come from ``ExportMeta.labels`` when given, else from the records in first-seen order; a record without some
label leaves its cell empty. Numbers are written with ``repr`` (they read back exactly). JSON: ``{"checkpoint",
"prompt_set", "labels", "results": [{"path", "top", "probabilities", "view_weights", "entropy", "margin", "face_ok",
"face_residual_mm", "face_reason", "error"}, ...]}``. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config_io import strict_json
from core.inference.predict import PredictionRecord
from core.inference.uncertainty import uncertainty

PROB_PREFIX = "prob_"
WEIGHT_PREFIX = "view_weight_"
FACE_COLUMNS = ("face_ok", "face_residual_mm", "face_reason")
FORMATS = (".csv", ".json")


@dataclass(frozen=True)
class ExportMeta:
    """What produced the results: the checkpoint path, the prompt set's name and its labels (output order)."""

    checkpoint: str = ""
    prompt_set: str = ""
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "checkpoint", os.fspath(self.checkpoint))
        object.__setattr__(self, "labels", tuple(str(label) for label in self.labels))


def _face_fields(face) -> dict[str, Any]:
    """face_ok, face_residual_mm, face_reason of a FaceFlag (all None when no face was looked for)."""
    if face is None:
        return dict.fromkeys(FACE_COLUMNS)
    d = face.to_dict()
    return {"face_ok": d["ok"], "face_residual_mm": d["residual_mm"], "face_reason": d["reason"]}


def record_dict(record: PredictionRecord) -> dict[str, Any]:
    """One record as a JSON-ready dict: path, top, probabilities, view_weights, entropy, margin, face_ok,
    face_residual_mm, face_reason, error."""
    if record.result is None:
        return {"path": record.path, "top": None, "probabilities": {}, "view_weights": [], "entropy": None,
                "margin": None, **_face_fields(None), "error": record.error or "failed"}
    r = record.result
    u = uncertainty(r.probabilities)
    return {
        "path": record.path,
        "top": r.top,
        "probabilities": {k: float(v) for k, v in r.probabilities.items()},
        "view_weights": [float(w) for w in r.view_weights],
        "entropy": u.entropy,
        "margin": u.margin,
        **_face_fields(r.face),
        "error": None,
    }


def _labels(rows: Sequence[dict[str, Any]], meta: ExportMeta) -> list[str]:
    labels = list(meta.labels)
    for row in rows:
        for label in row["probabilities"]:
            if label not in labels:
                labels.append(label)
    return labels


def csv_columns(labels: Sequence[str], n_views: int) -> list[str]:
    """The CSV header for ``labels`` and ``n_views`` views (see the module docstring)."""
    return (["path", "top", "entropy", "margin"] + [PROB_PREFIX + label for label in labels]
            + [f"{WEIGHT_PREFIX}{i + 1}" for i in range(n_views)] + list(FACE_COLUMNS)
            + ["checkpoint", "prompt_set", "error"])


def _atomic_write(path: Path, write) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; choose a file name ending in .csv or .json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            write(handle)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"{path}: cannot write the results ({exc.strerror or exc})") from None
    return path


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _bool_cell(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _read_bool(text: str, path: Path, line: int, column: str) -> bool | None:
    text = text.strip().lower()
    if text == "":
        return None
    if text not in ("true", "false"):
        raise ValueError(f"{path}, line {line}: column {column} is not true or false: {text!r}")
    return text == "true"


def write_csv(records: Iterable[PredictionRecord], path: str | os.PathLike[str],
              meta: ExportMeta | None = None) -> Path:
    """Write one CSV row per record (columns in the module docstring); returns the path."""
    meta = meta or ExportMeta()
    rows = [record_dict(r) for r in records]
    labels = _labels(rows, meta)
    n_views = max((len(row["view_weights"]) for row in rows), default=0)
    columns = csv_columns(labels, n_views)

    def write(handle) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            probs = row["probabilities"]
            weights = row["view_weights"]
            writer.writerow(
                [row["path"], row["top"] or "", _cell(row["entropy"]), _cell(row["margin"])]
                + [_cell(probs.get(label)) for label in labels]
                + [_cell(weights[i]) if i < len(weights) else "" for i in range(n_views)]
                + [_bool_cell(row["face_ok"]), _cell(row["face_residual_mm"]), row["face_reason"] or ""]
                + [meta.checkpoint, meta.prompt_set, row["error"] or ""]
            )

    return _atomic_write(Path(path), write)


def write_json(records: Iterable[PredictionRecord], path: str | os.PathLike[str],
               meta: ExportMeta | None = None) -> Path:
    """Write the records as one JSON document (layout in the module docstring); returns the path."""
    meta = meta or ExportMeta()
    rows = [record_dict(r) for r in records]
    doc = {"checkpoint": meta.checkpoint, "prompt_set": meta.prompt_set, "labels": _labels(rows, meta),
           "results": rows}
    return _atomic_write(Path(path), lambda handle: handle.write(strict_json(doc, indent=2) + "\n"))


def write_results(records: Iterable[PredictionRecord], path: str | os.PathLike[str],
                  meta: ExportMeta | None = None) -> Path:
    """:func:`write_csv` or :func:`write_json`, chosen by the file's extension (.csv / .json)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return write_csv(records, path, meta)
    if suffix == ".json":
        return write_json(records, path, meta)
    raise ValueError(f"{path}: unknown export format {suffix or '(no extension)'!r}; use .csv or .json")


def _float(text: str, path: Path, line: int, column: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{path}, line {line}: column {column} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{path}, line {line}: column {column} is not finite: {text!r}")
    return value


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a file written by :func:`write_csv` back into dicts shaped like :func:`record_dict`'s (plus
    "checkpoint" and "prompt_set"). ValueError naming the file and line for anything malformed."""
    src = Path(path)
    try:
        text = src.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{src}: results file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{src}: cannot read the results ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in ("path", "top", "error") if c not in header]
    if missing:
        raise ValueError(f"{src}: not a results CSV (missing column(s) {', '.join(missing)})")
    labels = [c[len(PROB_PREFIX):] for c in header if c.startswith(PROB_PREFIX)]
    weights = sorted((c for c in header if c.startswith(WEIGHT_PREFIX)), key=lambda c: int(c[len(WEIGHT_PREFIX):]))
    out = []
    for line, row in enumerate(reader, start=2):
        probs = {}
        for label in labels:
            value = _float(row.get(PROB_PREFIX + label) or "", src, line, PROB_PREFIX + label)
            if value is not None:
                probs[label] = value
        view_weights = []
        for column in weights:
            value = _float(row.get(column) or "", src, line, column)
            if value is not None:
                view_weights.append(value)
        face_ok = _read_bool(row.get("face_ok") or "", src, line, "face_ok")
        out.append({
            "path": row["path"],
            "top": row["top"] or None,
            "probabilities": probs,
            "view_weights": view_weights,
            "entropy": _float(row.get("entropy") or "", src, line, "entropy"),
            "margin": _float(row.get("margin") or "", src, line, "margin"),
            "face_ok": face_ok,
            "face_residual_mm": _float(row.get("face_residual_mm") or "", src, line, "face_residual_mm"),
            "face_reason": None if face_ok is None else (row.get("face_reason") or ""),
            "checkpoint": row.get("checkpoint") or "",
            "prompt_set": row.get("prompt_set") or "",
            "error": row["error"] or None,
        })
    return out


def read_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a file written by :func:`write_json`; ValueError naming the file when it is not one."""
    src = Path(path)
    try:
        doc = json.loads(src.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{src}: results file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{src}: not a readable results JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise ValueError(f"{src}: not a results JSON (expected an object with a 'results' list)")
    return doc
