"""Running a generator over many subjects (optionally on several processes), ``synth.json``, and the demo set.

Output stays byte-identical whatever ``workers`` is: every subject's files depend only on the seed, the
settings and the subject's index, and ``synth.json`` holds no time stamps or absolute paths.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.config_io import write_text_atomic
from core.synth.config import GENERATORS, SFM_ONLY, DemoConfig, config_to_dict, load_config
from core.synth.generators import (
    HEADS_MANIFEST,
    ME4D_MANIFEST,
    MAX_SUBJECTS,
    Context,
    Item,
    SUBJECT_JOBS,
    SubjectPlan,
    files_per_subject,
    make_context,
    plan_subjects,
)
from core.synth.model import EOS_COMMIT, sha256_file

INFO_FILE = "synth.json"
MAX_WORKERS = 64


@dataclass(frozen=True)
class RunConfig:
    """One generator run: which generator, how many subjects, where, seed, processes, progress bar.

    overwrite: allow writing into a non-empty output folder (files of the same name are replaced).
    """

    generator: str
    subjects: int
    out: Path
    seed: int = 0
    workers: int = 1
    progress: bool = False
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.generator not in GENERATORS:
            raise ValueError(f"unknown generator {self.generator!r} (expected one of {', '.join(GENERATORS)})")
        limit = MAX_SUBJECTS[self.generator]
        if isinstance(self.subjects, bool) or not isinstance(self.subjects, int) or not 1 <= self.subjects <= limit:
            raise ValueError(f"subjects must be an integer in 1..{limit} for {self.generator}, got {self.subjects!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"workers must be an integer in 1..{MAX_WORKERS}, got {self.workers!r}")
        object.__setattr__(self, "out", Path(self.out))


@dataclass(frozen=True)
class SynthResult:
    """What a run wrote: the output folder, the items (scans or sequences, in subject order), the file count,
    the manifest CSV (4DME) if any, and the wall time in seconds."""

    out: Path
    generator: str
    items: tuple[Item, ...]
    n_files: int
    manifest: Path | None
    seconds: float

    @property
    def scans_per_second(self) -> float:
        return self.n_files / self.seconds if self.seconds > 0 else float("inf")


def check_output_folder(out: Path, overwrite: bool) -> None:
    """ValueError when ``out`` is a file, or a non-empty folder and ``overwrite`` is False."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: output path exists and is not a folder")
    if out.is_dir() and not overwrite and any(out.iterdir()):
        raise ValueError(f"{out}: output folder is not empty (choose an empty folder, or pass --overwrite)")


_WORKER: dict[str, Context] = {}


def _init_worker(ctx: Context) -> None:
    _WORKER["ctx"] = ctx


def _run_one(plan: SubjectPlan) -> list[Item]:
    ctx = _WORKER["ctx"]
    return SUBJECT_JOBS[ctx.generator](ctx, plan)


def _run_subjects(ctx: Context, plans: list[SubjectPlan], workers: int) -> Iterator[list[Item]]:
    """Items per subject, in subject order."""
    if workers <= 1 or len(plans) <= 1:
        job = SUBJECT_JOBS[ctx.generator]
        for plan in plans:
            yield job(ctx, plan)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
    mp = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=min(workers, len(plans)), mp_context=mp, initializer=_init_worker,
                             initargs=(ctx,)) as pool:
        try:
            yield from pool.map(_run_one, plans, chunksize=1)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def model_info(model: Any) -> dict:
    """synth.json's description of the face model (an SfmModel or an ICT IctFace): name, source, checksums."""
    from core.synth.ict_face import IctFace

    if isinstance(model, IctFace):
        from core.synth.ict_model import ICT_COMMIT

        return {
            "face_model": "ict",
            "name": "ICT Face Model Light (skin surface: face, head and neck; 100 identity modes; FACS-mapped "
                    "expression shapes driven by action units)",
            "source": f"github.com/ICT-VGL/ICT-FaceKit@{ICT_COMMIT}/FaceXModel ({model.source})",
            "sha256": dict(sorted(model.checksums.items())),
            "action_units": {"file": Path(model.table.source).name,
                             "sha256": sha256_file(Path(model.table.source))},
        }
    return {
        "face_model": "sfm",
        "name": "Surrey Face Model (shape-only, 3448 vertices) and expression blendshapes",
        "source": f"github.com/patrikhuber/eos@{EOS_COMMIT}/share",
        "sha256": dict(sorted(model.checksums.items())),
    }


def _settings(config: Any, face_model: str) -> dict:
    """The settings as written to synth.json: the ICT-only ones (au_style, field_of_view) only for ICT runs,
    the SFM-only ones (config.SFM_ONLY: blendshape style, blends, blendshape-named micro classes) only for SFM
    runs."""
    data = config_to_dict(config)
    drop = SFM_ONLY if face_model == "ict" else ("au_style", "field_of_view")
    return {k: v for k, v in data.items() if k not in drop}


def run_info(run: RunConfig, config: Any, model: Any, n_files: int, extra: dict | None = None) -> dict:
    """The content of synth.json: generator, seed, subjects, settings, model checksums, file count."""
    from core import __version__

    described = model_info(model)
    info = {
        "generator": run.generator,
        "seed": run.seed,
        "subjects": run.subjects,
        "files": n_files,
        "smile_vlm_version": __version__,
        "model": described,
        "settings": _settings(config, described["face_model"]),
    }
    if extra:
        info.update(extra)
    return info


def write_info(path: Path, info: dict) -> None:
    """Write ``info`` as indented, key-ordered JSON with a final newline (deterministic bytes)."""
    write_text_atomic(path, json.dumps(info, indent=2, sort_keys=False) + "\n")


def write_heads_manifest(out: Path, items: list[Item]) -> Path:
    """The whole-head set's manifest CSV (path, subject, label, intensity level, kind 3d, dataset heads)."""
    from core.datasets import ManifestRow, write_manifest

    rows = [
        ManifestRow(path=out / item.path, subject=item.subject, label=item.label,
                    intensity=int(dict(item.info)["level"]), kind="3d", n_frames=1, dataset="heads",
                    code=Path(item.path).stem, extra=(("weight", dict(item.info)["weight"]),))
        for item in items
    ]
    return write_manifest(rows, out / HEADS_MANIFEST)


def write_4dme_manifest(out: Path, items: list[Item], frame_format: str) -> Path:
    """The 4DME-style spreadsheet as a manifest CSV (columns path, subject, label, ..., onset, apex, offset,
    emotion, frame_format, and for ICT clips the AUs that moved)."""
    from core.datasets import ManifestRow, write_manifest

    with_aus = all("aus" in dict(item.info) for item in items)
    rows = [
        ManifestRow(path=out / item.path, subject=item.subject, label=item.label, intensity=None, kind="4d",
                    n_frames=item.n_frames, dataset="4dme", code=Path(item.path).name,
                    extra=(("onset", dict(item.info)["onset"]), ("apex", dict(item.info)["apex"]),
                           ("offset", dict(item.info)["offset"]), ("emotion", dict(item.info)["emotion"]),
                           ("frame_format", frame_format)) + ((("aus", dict(item.info)["aus"]),) if with_aus else ()))
        for item in items
    ]
    return write_manifest(rows, out / ME4D_MANIFEST)


def generate(run: RunConfig, config: Any, model: Any, *, write_info_file: bool = True,
             on_progress: Callable[[int], None] | None = None) -> SynthResult:
    """Generate ``run.subjects`` subjects of ``run.generator`` with ``config`` into ``run.out`` from ``model``
    (an SfmModel, or an IctFace from core.synth.face_models.load_face_model).

    Checks the output folder and the model before any work. on_progress(n_files) is called after each subject. Writes
    synth.json (and for 4DME the CSV manifest) at the end.
    """
    check_output_folder(run.out, run.overwrite)
    ctx = make_context(run.generator, model, config, run.seed, run.out)
    start = time.perf_counter()
    run.out.mkdir(parents=True, exist_ok=True)
    plans = plan_subjects(run.generator, config, run.subjects, run.seed)
    per_subject = files_per_subject(run.generator, config)
    items: list[Item] = []
    bar = None
    if run.progress:
        from tqdm import tqdm

        bar = tqdm(total=per_subject * len(plans), unit="scan", desc=f"synth {run.generator}")
    try:
        for subject_items in _run_subjects(ctx, plans, run.workers):
            items.extend(subject_items)
            if bar is not None:
                bar.update(per_subject)
            if on_progress is not None:
                on_progress(per_subject)
    finally:
        if bar is not None:
            bar.close()
    manifest = None
    extra: dict[str, Any] = {}
    if run.generator == "4dme":
        manifest = write_4dme_manifest(run.out, items, config.frame_format)
        extra["manifest"] = ME4D_MANIFEST
    elif run.generator == "heads":
        manifest = write_heads_manifest(run.out, items)
        extra["manifest"] = HEADS_MANIFEST
    n_files = per_subject * len(plans)
    if write_info_file:
        write_info(run.out / INFO_FILE, run_info(run, config, model, n_files, extra))
    return SynthResult(run.out, run.generator, tuple(items), n_files, manifest, time.perf_counter() - start)


def generate_demo(out: Path, model: Any, demo: DemoConfig, *, seed: int = 0, settings: Path | None = None,
                  overwrite: bool = False, progress: bool = False) -> dict[str, Path]:
    """The first-run demo set under ``out``: ``bu3dfe/`` (a few subjects, 25 scans each), ``bu4dfe/`` (a few
    short sequences), their manifests ``bu3dfe.csv`` and ``bu4dfe.csv`` (already indexed), ``demo.csv``
    (both together) and ``synth.json``, from ``model`` (an SfmModel or an ICT IctFace). Returns name -> path
    of the manifests.
    """
    from core.datasets import index_dataset, write_manifest
    from core.synth.face_models import face_model_name

    out = Path(out)
    check_output_folder(out, overwrite)
    name = face_model_name(model)
    bu3 = load_config("bu3dfe", settings, face_model=name)
    bu4 = replace(load_config("bu4dfe", settings, face_model=name), frames=demo.bu4dfe_frames,
                  expressions=demo.bu4dfe_expressions)
    runs = [
        (RunConfig("bu3dfe", demo.bu3dfe_subjects, out / "bu3dfe", seed, 1, progress, overwrite), bu3),
        (RunConfig("bu4dfe", demo.bu4dfe_subjects, out / "bu4dfe", seed, 1, progress, overwrite), bu4),
    ]
    manifests: dict[str, Path] = {}
    all_rows = []
    parts = {}
    for run, cfg in runs:
        result = generate(run, cfg, model, write_info_file=False)
        rows = list(index_dataset(run.out, run.generator).rows)
        manifests[run.generator] = write_manifest(rows, out / f"{run.generator}.csv")
        all_rows.extend(rows)
        parts[run.generator] = run_info(run, cfg, model, result.n_files)
    manifests["demo"] = write_manifest(all_rows, out / "demo.csv")
    write_info(out / INFO_FILE, {"generator": "demo", "seed": seed, "demo": config_to_dict(demo), "parts": parts})
    return manifests
