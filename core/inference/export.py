"""Writing analysis results to CSV and JSON, and reading them back: one row per input (a scan or a sequence).

A row holds the input's path; its subject, label and intensity from the manifest when the input is a row of a known
data set or a manifest (blank otherwise: ``rows``, a mapping path -> ManifestRow); the top class; the probability of
every class; the view weights, one per view named by side and yaw (``left_-30deg``, ``front_0deg``,
``right_+30deg``: :func:`view_names` of the model's render yaws, ``ExportMeta.yaws``; ``1, 2, ...`` when unknown); the
uncertainty (normalised entropy and top-1 - top-2 margin, :mod:`core.inference.uncertainty`); the face flag of the
canonical-face search (face_ok: whether a face was found, face_residual_mm: the fit's residual, face_reason: why not;
all empty / null when no face was looked for, orientation "none"); the checkpoint and prompt set used; and the error
message when that input failed (its other result cells are then empty). Numbers have 4 significant digits.

CSV columns, in order: ``path, subject, label, intensity, top, entropy, margin, prob_<label>... (class order),
view_weight_<view>... (view order), face_ok, face_residual_mm, face_reason, checkpoint, prompt_set, error`` (face_ok
is ``true`` / ``false`` / empty). The prompt texts go beside it, in ``<name>.prompts.csv`` (columns ``prompt_set,
label, prompt``: one row per prompt, so a spreadsheet shows them as they are), when ExportMeta.prompts holds them.
Labels come from ``ExportMeta.labels`` when given, else from the records in first-seen order; a record without some
label leaves its cell empty. JSON: ``{"checkpoint", "prompt_set", "prompts": {label: [texts]}, "labels", "views":
[{"name", "yaw_deg"}], "results": [{"path", "subject", "label", "intensity", "top", "probabilities", "view_weights":
{view: weight}, "entropy", "margin", "face_ok", "face_residual_mm", "face_reason", "error"}, ...]}``. Files are written
atomically (temporary file, then rename).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config_io import strict_json
from core.inference.predict import PredictionRecord
from core.inference.uncertainty import uncertainty

PROB_PREFIX = "prob_"
WEIGHT_PREFIX = "view_weight_"
TRUTH_COLUMNS = ("subject", "label", "intensity")
FACE_COLUMNS = ("face_ok", "face_residual_mm", "face_reason")
FORMATS = (".csv", ".json")
#: Significant digits of every number written.
DIGITS = 4
#: The prompts file beside a results CSV: ``<stem>`` + this.
PROMPTS_SUFFIX = ".prompts.csv"
PROMPT_COLUMNS = ("prompt_set", "label", "prompt")


def view_names(yaws: Sequence[float]) -> tuple[str, ...]:
    """One name per view: its side and yaw in degrees, ``left_-30deg``, ``front_0deg``, ``right_+30deg`` (negative
    yaw = left, as the render settings and the viewer's presets)."""
    names = []
    for yaw in yaws:
        y = float(yaw)
        if abs(y) < 1e-9:
            names.append("front_0deg")
        else:
            names.append(f"{'left' if y < 0 else 'right'}_{y:+g}deg")
    return tuple(names)


@dataclass(frozen=True)
class ExportMeta:
    """What produced the results: the checkpoint path, the prompt set's name and its labels (output order), the
    model's view yaws in view order (they name the view-weight columns) and the prompt texts, (label, prompts) pairs.
    :meth:`from_analyzer` fills yaws, labels and prompts from a loaded Analyzer."""

    checkpoint: str = ""
    prompt_set: str = ""
    labels: tuple[str, ...] = ()
    yaws: tuple[float, ...] = ()
    prompts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "checkpoint", os.fspath(self.checkpoint))
        object.__setattr__(self, "labels", tuple(str(label) for label in self.labels))
        object.__setattr__(self, "yaws", tuple(float(y) for y in self.yaws))
        prompts = self.prompts.items() if isinstance(self.prompts, Mapping) else self.prompts
        object.__setattr__(self, "prompts", tuple((str(k), tuple(str(p) for p in v)) for k, v in prompts))

    @classmethod
    def from_analyzer(cls, analyzer, checkpoint: str | os.PathLike[str] = "", prompt_set: str = "") -> ExportMeta:
        """The meta of results from ``analyzer`` (a core.inference.Analyzer): its labels, render yaws and prompt
        texts; ``prompt_set`` names the set (default: the set's own name)."""
        ps = analyzer.prompt_set
        return cls(checkpoint, prompt_set or ps.name, tuple(analyzer.labels), tuple(analyzer.render_config.yaws),
                   tuple((label, tuple(texts)) for label, texts in ps.classes.items()))

    def view_names(self, n_views: int) -> tuple[str, ...]:
        """Names of ``n_views`` views: :func:`view_names` of the yaws, or ``1..n`` when the yaws do not match."""
        if len(self.yaws) == n_views:
            return view_names(self.yaws)
        return tuple(str(i + 1) for i in range(n_views))


def sig(value: float | None) -> float | None:
    """``value`` rounded to DIGITS significant digits (None stays None)."""
    return None if value is None else float(f"{float(value):.{DIGITS}g}")


def _face_fields(face) -> dict[str, Any]:
    """face_ok, face_residual_mm, face_reason of a FaceFlag (all None when no face was looked for)."""
    if face is None:
        return dict.fromkeys(FACE_COLUMNS)
    d = face.to_dict()
    return {"face_ok": d["ok"], "face_residual_mm": sig(d["residual_mm"]), "face_reason": d["reason"]}


def _truth_fields(row) -> dict[str, Any]:
    """subject, label, intensity of a ManifestRow (all None without one)."""
    if row is None:
        return dict.fromkeys(TRUTH_COLUMNS)
    return {"subject": row.subject, "label": row.label, "intensity": row.intensity}


def record_dict(record: PredictionRecord, meta: ExportMeta | None = None, row=None) -> dict[str, Any]:
    """One record as a JSON-ready dict: path, subject, label, intensity (of ``row``, a ManifestRow, when given), top,
    probabilities, view_weights ({view name: weight}, names from ``meta``), entropy, margin, face_ok,
    face_residual_mm, face_reason, error; numbers with DIGITS significant digits."""
    meta = meta or ExportMeta()
    head = {"path": record.path, **_truth_fields(row)}
    if record.result is None:
        return {**head, "top": None, "probabilities": {}, "view_weights": {}, "entropy": None, "margin": None,
                **_face_fields(None), "error": record.error or "failed"}
    r = record.result
    u = uncertainty(r.probabilities)
    names = meta.view_names(len(r.view_weights))
    return {
        **head,
        "top": r.top,
        "probabilities": {k: sig(v) for k, v in r.probabilities.items()},
        "view_weights": {name: sig(w) for name, w in zip(names, r.view_weights)},
        "entropy": sig(u.entropy),
        "margin": sig(u.margin),
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


def _views(rows: Sequence[dict[str, Any]]) -> list[str]:
    views: list[str] = []
    for row in rows:
        for name in row["view_weights"]:
            if name not in views:
                views.append(name)
    return views


def csv_columns(labels: Sequence[str], views: Sequence[str] | int) -> list[str]:
    """The CSV header for ``labels`` and the views (their names, or how many: named 1..n)."""
    names = [str(i + 1) for i in range(views)] if isinstance(views, int) else list(views)
    return (["path", *TRUTH_COLUMNS, "top", "entropy", "margin"] + [PROB_PREFIX + label for label in labels]
            + [WEIGHT_PREFIX + name for name in names] + list(FACE_COLUMNS) + ["checkpoint", "prompt_set", "error"])


def prompts_path(path: str | os.PathLike[str]) -> Path:
    """The prompts file written beside results CSV ``path`` (``r.csv`` -> ``r.prompts.csv``)."""
    p = Path(path)
    return p.with_name(p.stem + PROMPTS_SUFFIX)


def _dicts(records: Iterable[PredictionRecord], meta: ExportMeta, rows: Mapping[str, Any] | None) -> list[dict]:
    rows = rows or {}
    return [record_dict(r, meta, rows.get(os.fspath(r.path))) for r in records]


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
    return "" if value is None else f"{float(value):.{DIGITS}g}"


def _bool_cell(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _read_bool(text: str, path: Path, line: int, column: str) -> bool | None:
    text = text.strip().lower()
    if text == "":
        return None
    if text not in ("true", "false"):
        raise ValueError(f"{path}, line {line}: column {column} is not true or false: {text!r}")
    return text == "true"


def write_csv(records: Iterable[PredictionRecord], path: str | os.PathLike[str], meta: ExportMeta | None = None,
              rows: Mapping[str, Any] | None = None) -> Path:
    """Write one CSV row per record (columns in the module docstring) and, when ``meta`` holds the prompt texts, the
    prompts file beside it (:func:`prompts_path`); ``rows``: path -> ManifestRow for the subject, label and
    intensity columns. Returns the results path."""
    meta = meta or ExportMeta()
    dicts = _dicts(records, meta, rows)
    labels = _labels(dicts, meta)
    views = _views(dicts)
    columns = csv_columns(labels, views)

    def write(handle) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in dicts:
            probs = row["probabilities"]
            weights = row["view_weights"]
            writer.writerow(
                [row["path"], row["subject"] or "", row["label"] or "",
                 "" if row["intensity"] is None else str(row["intensity"]),
                 row["top"] or "", _cell(row["entropy"]), _cell(row["margin"])]
                + [_cell(probs.get(label)) for label in labels]
                + [_cell(weights.get(name)) for name in views]
                + [_bool_cell(row["face_ok"]), _cell(row["face_residual_mm"]), row["face_reason"] or ""]
                + [meta.checkpoint, meta.prompt_set, row["error"] or ""]
            )

    def write_prompts(handle) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PROMPT_COLUMNS)
        for label, texts in meta.prompts:
            writer.writerows([meta.prompt_set, label, text] for text in texts)

    out = _atomic_write(Path(path), write)
    if meta.prompts:
        _atomic_write(prompts_path(path), write_prompts)
    return out


def write_json(records: Iterable[PredictionRecord], path: str | os.PathLike[str], meta: ExportMeta | None = None,
               rows: Mapping[str, Any] | None = None) -> Path:
    """Write the records as one JSON document (layout in the module docstring); returns the path."""
    meta = meta or ExportMeta()
    dicts = _dicts(records, meta, rows)
    views = _views(dicts)
    yaws = dict(zip(view_names(meta.yaws), meta.yaws))
    doc = {"checkpoint": meta.checkpoint, "prompt_set": meta.prompt_set,
           "prompts": {label: list(texts) for label, texts in meta.prompts}, "labels": _labels(dicts, meta),
           "views": [{"name": name, "yaw_deg": yaws.get(name)} for name in views], "results": dicts}
    return _atomic_write(Path(path), lambda handle: handle.write(strict_json(doc, indent=2) + "\n"))


def write_results(records: Iterable[PredictionRecord], path: str | os.PathLike[str], meta: ExportMeta | None = None,
                  rows: Mapping[str, Any] | None = None) -> Path:
    """:func:`write_csv` or :func:`write_json`, chosen by the file's extension (.csv / .json)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return write_csv(records, path, meta, rows)
    if suffix == ".json":
        return write_json(records, path, meta, rows)
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
    "checkpoint" and "prompt_set"; view_weights keyed by the column's view name). ValueError naming the file and line
    for anything malformed."""
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
    weights = [c for c in header if c.startswith(WEIGHT_PREFIX)]
    out = []
    for line, row in enumerate(reader, start=2):
        probs = {}
        for label in labels:
            value = _float(row.get(PROB_PREFIX + label) or "", src, line, PROB_PREFIX + label)
            if value is not None:
                probs[label] = value
        view_weights = {}
        for column in weights:
            value = _float(row.get(column) or "", src, line, column)
            if value is not None:
                view_weights[column[len(WEIGHT_PREFIX):]] = value
        face_ok = _read_bool(row.get("face_ok") or "", src, line, "face_ok")
        intensity = _float(row.get("intensity") or "", src, line, "intensity")
        out.append({
            "path": row["path"],
            "subject": row.get("subject") or None,
            "label": row.get("label") or None,
            "intensity": None if intensity is None else int(intensity),
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
