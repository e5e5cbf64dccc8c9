"""`smile-vlm render`: render every scan of a manifest into the render cache.

    smile-vlm render manifest.csv --out CACHE [--views -30,0,30] [--size 112] [--pitch 0] [--frames 16]
                                  [--orientation auto|y-up|...|none] [--no-crop] [--rebuild-index]

Defaults come from resources/render.json and resources/canonical.json (or ``--config FILE``, whose optional
"canonical" object is laid over the latter); the flags override them. Scans are rendered as canonical faces
(orientation "none": bounding-box framing); a manifest row's orientation column overrides --orientation for that
row. 3D rows get their multi-view renders, 4D rows their multi-view dynamic images. A re-run renders only what is
missing. Several renders into one cache at once (the same manifest or overlapping ones, on one machine or several
sharing the folder) share the work: a row another run is rendering is skipped and taken when it is done, and the
summary counts it as "rendered by another run meanwhile" (core.render.cache_run). A run killed at any moment leaves
an index the next run completes from its row records; --rebuild-index also rereads them all, ignoring index.json.
The summary counts the scans in which no face was found. Exit status 0 when at least one row has a cache entry
afterwards, 1 when nothing could be rendered.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from core.cli.canonical_args import add_canonical_args, canonical_changes

# "-30,0,30" starts with "-": tell argparse that such comma lists are values, not options.
_NEGATIVE_LIST = re.compile(r"^-\d+$|^-\d*\.\d+$|^-?\d*\.?\d+(,\s*-?\d*\.?\d+)+$")


@dataclass(frozen=True)
class RenderJob:
    """One `smile-vlm render` run: manifest to read, cache root, settings overrides (None: default; orientation and
    crop change the canonical-face settings)."""

    manifest: Path
    out: Path
    config_file: Path | None = None
    yaws: tuple[float, ...] | None = None
    size: int | None = None
    pitch: float | None = None
    n_frames: int | None = None
    progress: bool = True
    orientation: str | None = None
    crop: bool | None = None
    rebuild_index: bool = False


def parse_views(text: str) -> tuple[float, ...]:
    """'-30,0,30' -> (-30.0, 0.0, 30.0); ValueError for anything else."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts if p != "")
    except ValueError:
        raise ValueError(f"--views must be comma-separated yaw angles in degrees, e.g. -30,0,30; got {text!r}") from None
    if not values:
        raise ValueError(f"--views must list at least one yaw angle, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "render",
        help="render a manifest's scans into the render cache",
        description=(
            "Render every scan of a manifest (3D rows: multi-view geometry images; 4D rows: multi-view "
            "dynamic images) into a cache folder keyed by file content and view settings. Already cached "
            "scans are skipped, so an interrupted run resumes where it stopped; runs into one cache at the same "
            "time share the rows."
        ),
    )
    p._negative_number_matcher = _NEGATIVE_LIST  # allow "--views -30,0,30"
    p.add_argument("manifest", metavar="MANIFEST", help="manifest CSV (from `smile-vlm index`)")
    p.add_argument("--out", required=True, metavar="CACHE", help="render cache folder")
    p.add_argument("--config", dest="config_file", metavar="JSON", default=None,
                   help="render settings JSON (default: resources/render.json)")
    p.add_argument("--views", default=None, metavar="YAWS", help="comma-separated yaws in degrees, e.g. -30,0,30")
    p.add_argument("--size", type=int, default=None, help="view size in pixels (default 112)")
    p.add_argument("--pitch", type=float, default=None, help="camera pitch in degrees (default 0)")
    p.add_argument("--frames", dest="n_frames", type=int, default=None,
                   help="frames sampled per 4D sequence for its dynamic image (default 16)")
    add_canonical_args(p, default_from="--config's canonical object, else resources/canonical.json")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("--rebuild-index", action="store_true",
                   help="reread every row record of the cache's index before rendering, ignoring index.json "
                        "(a stale or damaged index.json is already repaired when the cache is opened)")
    p.set_defaults(handler=_run)


def _job(args: argparse.Namespace) -> RenderJob:
    return RenderJob(
        manifest=Path(args.manifest),
        out=Path(args.out),
        config_file=Path(args.config_file) if args.config_file else None,
        yaws=parse_views(args.views) if args.views is not None else None,
        size=args.size,
        pitch=args.pitch,
        n_frames=args.n_frames,
        progress=bool(args.progress),
        rebuild_index=bool(args.rebuild_index),
        **canonical_changes(args),
    )


def run_job(job: RenderJob) -> int:
    """Render the manifest of ``job``; prints a summary, returns the exit status."""
    from core.cli.writable import check_writable_folder
    from core.datasets import read_manifest
    from core.render import RenderCache, RenderConfig

    check_writable_folder(job.out, "render cache folder")
    base = RenderConfig.from_json(job.config_file) if job.config_file else RenderConfig.default()
    canonical = base.canonical.replace(orientation=job.orientation, crop=job.crop)
    config = base.replace(yaws=job.yaws, size=job.size, pitch=job.pitch, n_frames=job.n_frames, canonical=canonical)
    rows = read_manifest(job.manifest)
    cache = RenderCache(job.out, config)
    if job.rebuild_index:
        print(f"index rebuilt from its row records: {cache.rebuild_index()} rows ({cache.index_path})")
    print(f"rendering {len(rows)} rows of {job.manifest} into {cache.folder} "
          f"(yaws {', '.join(f'{y:g}' for y in config.yaws)}; {config.size} px; pitch {config.pitch:g}; "
          f"{config.n_frames} frames per sequence; {_framing(config)})")
    summary = cache.render_manifest(rows, progress=job.progress)
    print(summary.format())
    print(f"index: {cache.index_path}")
    if not summary.ok:
        print("smile-vlm render: error: nothing could be rendered", file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_job(_job(args))


def _framing(config) -> str:
    """How scans are framed, in words, for the start line."""
    c = config.canonical
    if not c.registers:
        return "bounding-box framing (orientation none)"
    crop = f"cropped to {c.radius_mm:g} mm around the nose tip" if c.crop else "not cropped"
    return f"canonical faces, orientation {c.orientation}, {crop}"
