"""Batch analysis of a folder or a manifest's scans, with progress and cancel, written to CSV or JSON.

Each input goes through the same three steps as the open scan (app.controllers.analysis): load + prepare in a worker,
render on the GUI thread (RenderJob, a few frames per event-loop turn), compose + score in a worker. The steps of
consecutive inputs overlap (the next inputs load while one renders and another is scored; at most PREFETCH loaded
inputs wait), and the records keep the input order. An input that fails (unreadable file, render failure) becomes an
error row; the others go on. Cancel stops starting new work; what finished is still written (a partial file).
Writing is core.inference.export.write_results (the extension picks CSV or JSON), in a worker. Each result carries
its input's face flag (ok / residual / reason of the canonical-face search, exported as face_ok, face_residual_mm,
face_reason). Inputs may be paths, manifest rows or core.inference.batch_inputs.BatchInputs: a row's subject, label
and intensity go into the export, and its label into the outcome's table (core.inference.batch_summary: predicted
vs true label, accuracy), computed in the same worker. ExportMeta's view yaws and prompt texts, when not given, are
the analyzer's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.controllers.analysis import PreparedInput, RenderJob, compose_views, error_text, load_input, prepare_input
from app.controllers.workers import start_worker
from core.inference import Analyzer
from core.inference.batch_inputs import BatchInput, as_inputs, collect_folder
from core.inference.batch_summary import BatchSummary, summarize
from core.inference.export import ExportMeta, prompts_path, write_results
from core.inference.predict import PredictionRecord
from core.scans.canonical import FaceFlag

#: Loaded inputs allowed to wait for the renderer, and rendered ones for the scorer.
PREFETCH = 2


@dataclass(frozen=True)
class BatchOutcome:
    """records: one per finished input, in input order; total: inputs asked for; cancelled; out_path: the file
    written (None when writing failed: error says why); seconds: wall time; table: the results table with the
    accuracy against the inputs' manifest labels (core.inference.batch_summary)."""

    records: tuple[PredictionRecord, ...]
    total: int
    cancelled: bool
    out_path: Path | None
    error: str | None
    seconds: float
    table: BatchSummary | None = None

    @property
    def n_failed(self) -> int:
        return sum(1 for r in self.records if not r.ok)

    def summary(self) -> str:
        done = len(self.records)
        failed = f", {self.n_failed} failed" if self.n_failed else ""
        head = f"cancelled after {done} of {self.total}" if self.cancelled else f"{done} input(s) analysed"
        accuracy = ""
        if self.table is not None and self.table.accuracy is not None:
            accuracy = f"; accuracy {100 * self.table.accuracy:.1f} % on {self.table.n_scored} labelled"
        if self.error:
            return f"{head}{failed}{accuracy}; results not saved: {self.error}"
        prompts = prompts_path(self.out_path)
        beside = f" (prompts in {prompts.name})" if self.out_path.suffix == ".csv" and prompts.is_file() else ""
        return f"{head}{failed}{accuracy} in {self.seconds:.1f} s; results saved to {self.out_path}{beside}"


class BatchController(QObject):
    """start(paths, analyzer, out_path, meta) / cancel(). Signals: started(int total),
    progress(int done, int total, str path), finished(object BatchOutcome)."""

    started = Signal(int)
    progress = Signal(int, int, str)
    finished = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._running = False
        self._workers: set = set()

    @property
    def running(self) -> bool:
        return self._running

    def start(self, inputs: Iterable[str | os.PathLike[str] | BatchInput], analyzer: Analyzer,
              out_path: str | os.PathLike[str], meta: ExportMeta | None = None) -> None:
        """Analyse ``inputs`` (paths, ManifestRows or BatchInputs) with ``analyzer``; write to ``out_path``."""
        if self._running:
            raise RuntimeError("a batch analysis is already running")
        items = as_inputs(inputs)
        self._paths = [item.path for item in items]
        self._rows = {item.path: item.row for item in items if item.row is not None}
        if not self._paths:
            raise ValueError("nothing to analyse: the list of inputs is empty")
        suffix = Path(out_path).suffix.lower()
        if suffix not in (".csv", ".json"):
            raise ValueError(f"{out_path}: choose a file name ending in .csv or .json")
        self._analyzer = analyzer
        self._render = analyzer.render_config
        self._out = Path(out_path)
        self._meta = complete_meta(meta, analyzer)
        self._records: dict[int, PredictionRecord] = {}
        self._loaded: dict[int, PreparedInput | str] = {}
        self._next_load = 0
        self._loading = False
        self._next_render = 0
        self._rendering: RenderJob | None = None
        self._score_queue: list[tuple[int, np.ndarray, bool, FaceFlag | None]] = []
        self._scoring = False
        self._cancelled = False
        self._finishing = False
        self._t0 = time.perf_counter()
        self._running = True
        self.started.emit(len(self._paths))
        self._pump()

    def cancel(self) -> None:
        """Stop starting new work; the outcome (with what finished) follows once running steps end."""
        if not self._running:
            return
        self._cancelled = True
        if self._rendering is not None:
            self._rendering.cancel()
            self._rendering.deleteLater()
            self._rendering = None
        self._score_queue.clear()
        self._pump()

    # ------------------------------------------------------------------------------------------------ pipeline
    def _pump(self) -> None:
        if not self._running or self._finishing:
            return
        if not self._cancelled:
            self._start_load()
            self._start_render()
            self._start_score()
        if self._idle() and (self._cancelled or len(self._records) == len(self._paths)):
            self._write()

    def _idle(self) -> bool:
        return not self._loading and self._rendering is None and not self._scoring

    def _start_load(self) -> None:
        if self._loading or self._next_load >= len(self._paths) or len(self._loaded) >= PREFETCH:
            return
        index = self._next_load
        self._next_load += 1
        self._loading = True
        render = self._render

        def job():
            return prepare_input(load_input(self._paths[index]), render)

        self._run(job, returned=lambda p: self._on_loaded(index, p),
                  errored=lambda e: self._on_loaded(index, error_text(e)))

    def _on_loaded(self, index: int, prepared: PreparedInput | str) -> None:
        self._loading = False
        if not self._cancelled:
            self._loaded[index] = prepared
        self._pump()

    def _start_render(self) -> None:
        if self._rendering is not None or self._next_render not in self._loaded or len(self._score_queue) >= PREFETCH:
            return
        index = self._next_render
        self._next_render += 1
        prepared = self._loaded.pop(index)
        if isinstance(prepared, str):
            self._record(index, PredictionRecord(self._paths[index], error=prepared))
            self._start_render()
            return
        job = RenderJob(prepared, self)
        self._rendering = job
        job.finished.connect(lambda images: self._on_rendered(job, index, prepared.dynamic, prepared.flag, images))
        job.failed.connect(lambda message: self._on_render_failed(job, index, message))
        job.start()

    def _on_rendered(self, job: RenderJob, index: int, dynamic: bool, face: FaceFlag | None,
                     images: np.ndarray) -> None:
        if job is not self._rendering:
            return
        self._rendering = None
        job.deleteLater()
        self._score_queue.append((index, images, dynamic, face))
        self._pump()

    def _on_render_failed(self, job: RenderJob, index: int, message: str) -> None:
        if job is not self._rendering:
            return
        self._rendering = None
        job.deleteLater()
        self._record(index, PredictionRecord(self._paths[index], error=message))
        self._pump()

    def _start_score(self) -> None:
        if self._scoring or not self._score_queue:
            return
        index, images, dynamic, face = self._score_queue.pop(0)
        self._scoring = True
        analyzer, path = self._analyzer, self._paths[index]

        def job():
            return analyzer.analyze_views(compose_views(images, dynamic), source=path, face=face)

        self._run(job, returned=lambda r: self._on_scored(index, PredictionRecord(path, result=r)),
                  errored=lambda e: self._on_scored(index, PredictionRecord(path, error=f"{path}: {error_text(e)}")))

    def _on_scored(self, index: int, record: PredictionRecord) -> None:
        self._scoring = False
        self._record(index, record)
        self._pump()

    def _record(self, index: int, record: PredictionRecord) -> None:
        self._records[index] = record
        self.progress.emit(len(self._records), len(self._paths), record.path)

    # ------------------------------------------------------------------------------------------------ output
    def _write(self) -> None:
        self._finishing = True
        records = tuple(self._records[i] for i in sorted(self._records))
        cancelled, total = self._cancelled, len(self._paths)
        out, meta, rows = self._out, self._meta, self._rows

        def job() -> tuple[BatchSummary, Path | None, str | None]:
            table = summarize(records, rows, meta.labels)
            try:
                return table, write_results(records, out, meta, rows), None
            except (ValueError, OSError) as exc:
                return table, None, error_text(exc)

        def done(table: BatchSummary | None, path: Path | None, error: str | None) -> None:
            self._running = False
            self._finishing = False
            self._analyzer = None
            self.finished.emit(BatchOutcome(records, total, cancelled, path, error, time.perf_counter() - self._t0,
                                            table))

        self._run(job, returned=lambda out_tuple: done(*out_tuple), errored=lambda e: done(None, None, error_text(e)))

    def _run(self, func, *args, returned, errored):
        return start_worker(self._workers, func, *args, returned=returned, errored=errored)


def complete_meta(meta: ExportMeta | None, analyzer: Analyzer) -> ExportMeta:
    """``meta`` with what it leaves out taken from ``analyzer``: labels, the render yaws (view names) and the prompt
    texts of the analyzer's prompt set (the set the batch scores with)."""
    own = ExportMeta.from_analyzer(analyzer)
    if meta is None:
        return own
    return replace(meta, labels=meta.labels or own.labels, yaws=meta.yaws or own.yaws,
                   prompts=meta.prompts or own.prompts)


def batch_inputs(rows: Sequence) -> list[BatchInput]:
    """Manifest rows (core.datasets.ManifestRow) as batch inputs, in order: each keeps its row, so its subject,
    label and intensity reach the export and its label the accuracy."""
    return as_inputs(rows)


__all__ = ["PREFETCH", "BatchController", "BatchInput", "BatchOutcome", "batch_inputs", "collect_folder",
           "complete_meta"]
