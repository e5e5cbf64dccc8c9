"""Batch prediction over paths (the engine of `smile-vlm predict`).

predict(config) yields one PredictionRecord per input path, in order: a result, or the reason it failed (a bad scan
does not stop the others). Records render as one JSON object (keys path, probabilities, view_weights, top, face; or
path, error) or as rows of a fixed-width table, followed by a warning line when no face was found in the input.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.inference.analyzer import AnalysisResult, Analyzer
from core.scans.canonical import check_orientation


@dataclass(frozen=True)
class PredictConfig:
    """paths: scans (files) and 4D sequences (folders / .npz); checkpoint: the model; prompts: a prompt file or a
    shipped set's name (None: the checkpoint's set); device: 'cpu' / 'cuda' / None (auto).
    orientation, crop: changes to the checkpoint's canonical-face settings (None: the checkpoint's; see
    :class:`core.scans.canonical.CanonicalSettings`)."""

    paths: tuple[str, ...]
    checkpoint: str
    prompts: str | None = None
    device: str | None = None
    orientation: str | None = None
    crop: bool | None = None

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("predict needs at least one input path")
        object.__setattr__(self, "paths", tuple(os.fspath(p) for p in self.paths))
        object.__setattr__(self, "checkpoint", os.fspath(self.checkpoint))
        if self.prompts is not None:
            object.__setattr__(self, "prompts", os.fspath(self.prompts))
        if self.orientation is not None:
            object.__setattr__(self, "orientation", check_orientation(self.orientation, "predict orientation"))
        if self.crop is not None and not isinstance(self.crop, bool):
            raise ValueError(f"crop must be true, false or None, got {self.crop!r}")

    @property
    def canonical(self) -> dict[str, Any]:
        """The changes to the checkpoint's canonical settings (for :class:`Analyzer`'s ``canonical``)."""
        return {k: v for k, v in (("orientation", self.orientation), ("crop", self.crop)) if v is not None}


@dataclass(frozen=True)
class PredictionRecord:
    path: str
    result: AnalysisResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None

    def to_json_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"path": self.path, "error": self.error}
        r = self.result
        return {
            "path": self.path,
            "probabilities": {k: round(v, 6) for k, v in r.probabilities.items()},
            "view_weights": [round(w, 6) for w in r.view_weights],
            "top": r.top,
            "face": None if r.face is None else r.face.to_dict(),
        }


def build_analyzer(config: PredictConfig) -> Analyzer:
    return Analyzer(config.checkpoint, prompts=config.prompts, device=config.device,
                    canonical=config.canonical or None)


def predict(config: PredictConfig, analyzer: Analyzer | None = None) -> Iterator[PredictionRecord]:
    """One record per path of ``config``; per-input failures (unreadable scans, ...) become error records."""
    analyzer = analyzer or build_analyzer(config)
    for path in config.paths:
        try:
            yield PredictionRecord(path, result=analyzer.analyze(Path(path)))
        except (ValueError, OSError) as exc:  # ScanError is a ValueError and names the file
            yield PredictionRecord(path, error=str(exc))
        except Exception as exc:  # an unforeseen failure of one input must not stop the others
            yield PredictionRecord(path, error=f"{path}: {type(exc).__name__}: {exc}")


def table_header(labels: Sequence[str]) -> str:
    cols = "".join(f" {label[:10]:>10}" for label in labels)
    return f"{'input':<40} {'top':<12}{cols}  view weights"


def table_row(record: PredictionRecord, labels: Sequence[str]) -> str:
    name = record.path if len(record.path) <= 40 else "..." + record.path[-37:]
    if record.result is None:
        return f"{name:<40} error: {record.error}"
    r = record.result
    cols = "".join(f" {r.probabilities.get(label, float('nan')):>10.3f}" for label in labels)
    weights = " ".join(f"{w:.2f}" for w in r.view_weights)
    return f"{name:<40} {r.top[:12]:<12}{cols}  {weights}"


def table_warning(record: PredictionRecord) -> str:
    """The line printed under a table row whose input had no face found ('' otherwise)."""
    face = record.result.face if record.result is not None else None
    if face is None or face.ok:
        return ""
    return f"{'':<40} WARNING: {face.warning()}"
