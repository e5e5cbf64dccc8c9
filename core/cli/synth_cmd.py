"""`smile-vlm synth`: generate a synthetic 3D/4D facial-expression dataset (or the first-run demo set)
from the Surrey Face Model, in a benchmark's own file layout."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

KINDS = ("bu3dfe", "bu4dfe", "bp4d", "4dme", "bosphorus", "demo")
_SEQUENCE_KINDS = ("bu4dfe", "bp4d", "4dme")


@dataclass(frozen=True)
class SynthCommand:
    """The parsed command: what to generate and where (settings file None = resources/synth.json)."""

    kind: str
    out: Path
    subjects: int | None
    seed: int
    sfm: str | None
    frames: int | None
    frame_format: str | None
    clips: int | None
    workers: int
    settings: Path | None
    overwrite: bool
    progress: bool


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="generate a synthetic dataset (BU-3DFE/BU-4DFE/BP4D/4DME/Bosphorus layout) or the demo set",
        description=(
            "Generate a synthetic facial-expression dataset from the Surrey Face Model in the layout of a "
            "benchmark, so `smile-vlm index` reads it unchanged (for 4dme: index the written 4dme.csv with "
            "--format csv). Writes synth.json (settings, seed, model checksums) beside the data. The model "
            "files are looked for in --sfm DIR, $SMILE_SFM_DIR, ../shared/sfm and the user cache, and "
            "downloaded into the cache when missing. Same seed and settings give identical files."
        ),
    )
    p.add_argument("kind", choices=KINDS, help="dataset layout to generate, or 'demo' for the small first-run set")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must be empty unless --overwrite)")
    p.add_argument("--subjects", type=int, default=None, metavar="N", help="number of subjects (not for demo)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--sfm", default=None, metavar="DIR", help="folder holding the Surrey Face Model .bin files")
    p.add_argument("--frames", type=int, default=None, metavar="T",
                   help="frames per sequence (bu4dfe, bp4d, 4dme; default from the settings)")
    p.add_argument("--frame-format", choices=("obj", "wrl"), default=None,
                   help="frame file format of sequences (bu4dfe, bp4d, 4dme; default obj)")
    p.add_argument("--clips", type=int, default=None, metavar="N", help="micro-expression clips per subject (4dme)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), metavar="W",
                   help="processes (output is identical whatever the number; default %(default)s)")
    p.add_argument("--settings", default=None, metavar="JSON",
                   help="generator settings file (default: resources/synth.json)")
    p.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty output folder")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(handler=_run)


def _command(args: argparse.Namespace) -> SynthCommand:
    return SynthCommand(
        kind=args.kind,
        out=Path(args.out),
        subjects=args.subjects,
        seed=args.seed,
        sfm=args.sfm,
        frames=args.frames,
        frame_format=args.frame_format,
        clips=args.clips,
        workers=args.workers,
        settings=None if args.settings is None else Path(args.settings),
        overwrite=bool(args.overwrite),
        progress=bool(args.progress),
    )


def _overrides(cmd: SynthCommand) -> dict:
    """Settings overrides from the command line; ValueError for an option that does not apply."""
    over: dict = {}
    for option, value, key, kinds in (
        ("--frames", cmd.frames, "frames", _SEQUENCE_KINDS),
        ("--frame-format", cmd.frame_format, "frame_format", _SEQUENCE_KINDS),
        ("--clips", cmd.clips, "clips_per_subject", ("4dme",)),
    ):
        if value is None:
            continue
        if cmd.kind not in kinds:
            raise ValueError(f"{option} applies to {', '.join(kinds)} only, not {cmd.kind}")
        over[key] = value
    return over


def run_command(cmd: SynthCommand) -> int:
    """Validate everything, find the model, generate, print a summary."""
    from core.synth.config import load_config, load_demo_config
    from core.synth.model import find_and_load
    from core.synth.runner import RunConfig, check_output_folder, generate, generate_demo

    if cmd.kind == "demo":
        for option, value in (("--subjects", cmd.subjects), ("--frames", cmd.frames), ("--clips", cmd.clips),
                              ("--frame-format", cmd.frame_format)):
            if value is not None:
                raise ValueError(f"{option} does not apply to the demo set (its size is in the settings' demo section)")
        if cmd.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {cmd.seed}")
        demo = load_demo_config(cmd.settings)
        check_output_folder(cmd.out, cmd.overwrite)
        model = find_and_load(cmd.sfm)
        manifests = generate_demo(cmd.out, model, demo, seed=cmd.seed, settings=cmd.settings,
                                  overwrite=cmd.overwrite, progress=cmd.progress)
        print(f"demo set written to {cmd.out}")
        for name, path in manifests.items():
            print(f"  manifest {name}: {path}")
        return 0
    if cmd.subjects is None:
        raise ValueError(f"--subjects N is required for {cmd.kind}")
    run = RunConfig(cmd.kind, cmd.subjects, cmd.out, cmd.seed, cmd.workers, cmd.progress, cmd.overwrite)
    config = load_config(cmd.kind, cmd.settings, _overrides(cmd))
    check_output_folder(cmd.out, cmd.overwrite)
    model = find_and_load(cmd.sfm)
    result = generate(run, config, model)
    print(f"{cmd.kind}: {len(result.items)} {'sequences' if cmd.kind in _SEQUENCE_KINDS else 'scans'} "
          f"({result.n_files} files) of {cmd.subjects} subjects in {result.out} "
          f"({result.seconds:.1f} s, {result.scans_per_second:.1f} files/s)")
    if result.manifest is not None:
        print(f"manifest: {result.manifest} (index it with --format csv)")
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_command(_command(args))
