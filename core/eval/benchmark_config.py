"""The settings and outcome of a benchmark run (``BenchmarkConfig``, ``BenchmarkSummary``), the OUT sub-folders, and
the small decisions made from them before anything runs: worker processes / threads per worker, the view names.

Split out of core.eval.benchmark (which runs the protocol and re-exports these names); light to import: no rendering,
training or data code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.scans.canonical.settings import check_orientation

SUBDIRS = {"data": "data", "cache": "cache", "work": "work", "runs": "runs", "folds": "folds", "figures": "figures"}


@dataclass(frozen=True)
class BenchmarkConfig:
    """One benchmark run.

    preset: preset name; out: output folder; data: data set -> user root folder or manifest (replaces the synthetic
    set); presets_file: a presets JSON (None: resources/benchmark/presets.json); only: run only these experiments;
    device: auto | cpu | cuda; workers: training processes (None: the preset's, "auto" = one per CPU core up to 8
    on the CPU, 1 on a GPU); threads: torch threads per training process (None: cores / workers); init: a
    SMILE-VLM checkpoint every fold model starts from; progress: progress bars. orientation, crop: changes to the
    canonical-face settings of the renders (None: the preset's render.canonical, else resources/canonical.json).
    """

    preset: str
    out: Path
    data: Mapping[str, Path] = field(default_factory=dict)
    presets_file: Path | None = None
    only: tuple[str, ...] = ()
    device: str = "auto"
    workers: int | None = None
    threads: int | None = None
    init: Path | None = None
    progress: bool = True
    orientation: str | None = None
    crop: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(os.path.abspath(os.path.expanduser(os.fspath(self.out)))))
        object.__setattr__(self, "data", {k: Path(v) for k, v in dict(self.data).items()})
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise ValueError(f"workers must be an integer >= 1, got {self.workers!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ValueError(f"threads must be an integer >= 1, got {self.threads!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.orientation is not None:
            object.__setattr__(self, "orientation", check_orientation(self.orientation, "benchmark orientation"))
        if self.crop is not None and not isinstance(self.crop, bool):
            raise ValueError(f"crop must be true, false or None, got {self.crop!r}")


@dataclass(frozen=True)
class BenchmarkSummary:
    """What a benchmark did: output folder, report path, jobs (total, trained now, reused), phase timings."""

    out: Path
    report: Path
    jobs: int
    trained: int
    reused: int
    timings: dict[str, float]
    files: dict[str, Path]


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def resolve_workers(requested: int | str | None, device_type: str) -> tuple[int, int]:
    """(worker processes, torch threads per worker). On a GPU: one process. On the CPU, "auto": one process per
    core up to 8 (small models train faster as independent single-threaded jobs than as one multi-threaded one)."""
    cores = cpu_count()
    if device_type == "cuda":
        return 1, cores
    workers = min(cores, 8) if requested in (None, "auto") else int(requested)
    workers = max(1, workers)
    return workers, max(1, cores // workers)


def view_names(yaws: tuple[float, ...]) -> tuple[tuple[str, ...], int]:
    """Names of the views by yaw (left < 0, front = 0, right > 0; 'yaw+15' style when names would repeat) and the
    index of the frontal view (yaw nearest 0)."""
    names = ["front" if y == 0 else ("left" if y < 0 else "right") for y in yaws]
    if len(set(names)) != len(names):
        names = [f"yaw{y:+g}" for y in yaws]
    frontal = int(np.argmin([abs(y) for y in yaws]))
    return tuple(names), frontal
