"""Benchmark data: the synthetic data sets (generated once, then reused) or a user's real ones, their manifest rows,
and their rendered views as arrays.

Synthetic sets live in DATA_ROOT/<data set>-<settings hash>/ (core.synth, in the official layout, with its
synth.json); the hash covers the subject count, the seed, the preset's overrides and resources/synth.json, so a
change of any of them generates a new set and an unchanged one is reused. A set is generated into a ".partial"
folder and renamed when complete, so an interrupted generation is never mistaken for a finished one.
A user's data set is a dataset root folder (indexed with core.datasets.index_dataset in its official layout) or a
manifest CSV (smile-vlm index); 4DME needs a manifest CSV.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.datasets import ManifestRow, read_manifest
from core.eval.config import DATASET_FORMATS, DATASETS, SynthSettings

SYNTH_INFO = "synth.json"
ME4D_MANIFEST = "4dme.csv"
#: Below this many rows, rendering stays in one process (starting render processes costs seconds).
PARALLEL_RENDER_MIN_ROWS = 200


@dataclass(frozen=True)
class DataSource:
    """Where a data set comes from: kind "synthetic" or "user", and its root folder or manifest file."""

    dataset: str
    kind: str
    path: Path

    def describe(self) -> str:
        return f"synthetic ({self.path.name})" if self.kind == "synthetic" else f"user data: {self.path}"


def parse_data_overrides(text: str | Sequence[str] | None) -> dict[str, Path]:
    """'bu3dfe=/path,bu4dfe=/path' (or a list of such items) -> {data set: path}; ValueError for bad items."""
    if not text:
        return {}
    items = [text] if isinstance(text, str) else list(text)
    out: dict[str, Path] = {}
    for chunk in items:
        for item in str(chunk).split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, path = item.partition("=")
            name = name.strip().lower()
            if not sep or not path.strip():
                raise ValueError(f"--data item {item!r} must be NAME=PATH (NAME one of {', '.join(DATASETS)})")
            if name not in DATASETS:
                raise ValueError(f"--data: unknown data set {name!r} (expected one of {', '.join(DATASETS)})")
            if name in out:
                raise ValueError(f"--data: {name} given twice")
            out[name] = Path(os.path.abspath(os.path.expanduser(path.strip())))
    return out


def user_source(dataset: str, path: Path) -> DataSource:
    """A user's data set; FileNotFoundError / ValueError when the path cannot be one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: the {dataset} data given with --data does not exist")
    if path.is_dir() and DATASET_FORMATS[dataset] is None:
        manifest = path / ME4D_MANIFEST
        if not manifest.is_file():
            raise ValueError(f"{path}: {dataset} data must be a manifest CSV (smile-vlm index --format csv), "
                             f"or a folder holding {ME4D_MANIFEST}")
        path = manifest
    return DataSource(dataset, "user", path)


def _synth_hash(dataset: str, settings: SynthSettings, seed: int) -> str:
    from core.synth.config import default_config_path

    defaults = default_config_path()
    base = hashlib.sha256(defaults.read_bytes()).hexdigest() if defaults.is_file() else "no-defaults"
    key = {"dataset": dataset, "subjects": settings.subjects, "settings": settings.settings, "seed": seed,
           "defaults": base}
    if settings.face_model != "sfm":  # SFM sets keep the hash they had before the face model became a setting
        key["face_model"] = settings.face_model
    payload = json.dumps(key, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:10]


def synth_config(dataset: str, overrides: dict, face_model: str = "sfm") -> object:
    """The generator settings of ``dataset`` for ``face_model``: resources/synth.json's section updated by
    ``overrides``; the generator's built-in defaults (its dataclass) updated by them when that file is absent."""
    from core.synth.config import CONFIG_TYPES, config_from_dict, default_config_path, load_config

    if default_config_path().is_file():
        return load_config(dataset, overrides=overrides or None, face_model=face_model)
    try:
        return config_from_dict(CONFIG_TYPES[dataset], overrides or {})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"synthetic {dataset} settings: {exc}") from None


def synthetic_source(
    dataset: str, settings: SynthSettings, seed: int, data_root: Path, workers: int = 1, progress: bool = False
) -> DataSource:
    """Generate (or reuse) the synthetic ``dataset`` under ``data_root``; returns its source."""
    from core.synth.face_models import load_face_model
    from core.synth.runner import RunConfig, generate

    folder = Path(data_root) / f"{dataset}-{_synth_hash(dataset, settings, seed)}"
    if (folder / SYNTH_INFO).is_file():
        return DataSource(dataset, "synthetic", folder)
    config = synth_config(dataset, settings.settings, settings.face_model)
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    folder.parent.mkdir(parents=True, exist_ok=True)
    run = RunConfig(dataset, settings.subjects, partial, seed=seed, workers=max(1, workers), progress=progress)
    generate(run, config, load_face_model(settings.face_model))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)
    return DataSource(dataset, "synthetic", folder)


def _apply_protocol(rows: list[ManifestRow], protocol: str, where: Path) -> list[ManifestRow]:
    from core.datasets import bosphorus, bu3dfe
    from core.datasets.index import PROTOCOLS

    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} (expected one of {', '.join(PROTOCOLS)})")
    module = {"bu3dfe": bu3dfe, "bosphorus": bosphorus}[PROTOCOLS[protocol]]
    kept = list(module.apply_protocol(rows, protocol))
    if not kept:
        raise ValueError(f"{where}: none of its {len(rows)} rows belongs to protocol {protocol!r}")
    return kept


def source_rows(source: DataSource, protocol: str = "") -> list[ManifestRow]:
    """The manifest rows of a data source (protocol applied), sorted by path."""
    from core.datasets import index_dataset

    fmt = DATASET_FORMATS[source.dataset]
    path = source.path
    if path.is_dir() and fmt is None:
        path = path / ME4D_MANIFEST
    if path.is_file():
        rows = read_manifest(path)
        if not rows:
            raise ValueError(f"{path}: the manifest has no rows")
        if protocol:
            rows = _apply_protocol(rows, protocol, path)
    else:
        rows = list(index_dataset(path, fmt, protocol or None).rows)
    return sorted(rows, key=lambda r: str(r.path))


def rows_fingerprint(rows: Sequence[ManifestRow]) -> str:
    """Short hash of the rows' paths, subjects, labels, codes and orientation overrides (part of every result
    key; a row without an orientation hashes as before that column existed)."""
    h = hashlib.sha256()
    for r in rows:
        orientation = f"\0{r.orientation}" if getattr(r, "orientation", "") else ""
        h.update(f"{r.path}\0{r.subject}\0{r.label}\0{r.code}{orientation}\n".encode("utf-8"))
    return h.hexdigest()[:16]


def load_views(rows: Sequence[ManifestRow], cache) -> tuple[np.ndarray, list[int], list[tuple[str, str]]]:
    """Stack the cached views of ``rows`` into (n, V, S, S, 3) uint8; returns (array, kept row indices,
    [(path, reason)] of rows without a usable cache entry)."""
    want = (cache.config.n_views, cache.config.size, cache.config.size, 3)
    arrays, kept, missing = [], [], []
    for i, row in enumerate(rows):
        views = cache.get(row.path, getattr(row, "orientation", ""))
        if views is None or views.shape != want:
            missing.append((str(row.path), "no rendered views in the render cache"))
            continue
        arrays.append(views)
        kept.append(i)
    stacked = np.stack(arrays) if arrays else np.zeros((0, *want), dtype=np.uint8)
    return stacked, kept, missing


def _render_chunk(task: tuple[str, dict, list[ManifestRow]]) -> tuple[int, int, int, list[tuple[str, str]]]:
    from core.render import RenderCache, RenderConfig

    root, config, rows = task
    summary = RenderCache(root, RenderConfig.from_dict(config)).render_manifest(rows, progress=False)
    return summary.total, summary.rendered, summary.cached, list(summary.failed)


def render_rows(rows: Sequence[ManifestRow], cache, workers: int = 1, progress: bool = False):
    """Render the rows missing from ``cache`` (a core.render.RenderCache), on ``workers`` spawned processes when
    there is enough to do; returns (rendered, [(path, reason)] of the rows that failed).

    Entries are content-addressed and written atomically, so processes sharing the cache folder cannot corrupt it;
    a final pass in this process (every row then cached) rebuilds the cache's index and catches anything missed.
    When worker processes cannot start, everything is rendered in this process.
    """
    import sys

    from tqdm import tqdm

    from core.eval.parallel import PoolStartError, imap_processes

    rows = list(rows)
    rendered = 0
    if workers > 1 and len(rows) >= PARALLEL_RENDER_MIN_ROWS:
        size = max(4, min(32, len(rows) // (workers * 4) or 1))
        tasks = [(str(cache.root), cache.config.to_dict(), rows[i : i + size]) for i in range(0, len(rows), size)]
        bar = tqdm(total=len(rows), unit="scan", desc="render", disable=not progress, dynamic_ncols=True)
        try:
            for total, done, _, _ in imap_processes(_render_chunk, tasks, workers):
                rendered += done
                bar.update(total)
        except PoolStartError as exc:
            print(f"warning: {exc}; rendering in this process instead", file=sys.stderr)
        finally:
            bar.close()
        progress = False
    summary = cache.render_manifest(rows, progress=progress)
    return rendered + summary.rendered, list(summary.failed)
