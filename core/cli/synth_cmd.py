"""`smile-vlm synth`: synthetic 3D/4D expression datasets from the Surrey Face Model, in each benchmark's own layout.

    smile-vlm synth bu3dfe|bu4dfe|bp4d|4dme|bosphorus --subjects N --out DIR [--seed S] [--sfm DIR]
                    [--frames T] [--frame-format obj|wrl] [--workers W] [--settings FILE] [--overwrite]
    smile-vlm synth demo --out DIR [--seed S] [--sfm DIR]

Settings come from resources/synth.json (or --settings FILE); --frames / --frame-format override the 4D generators'.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from core.synth.config import GENERATORS

KINDS = (*GENERATORS, "demo")
FOUR_D = ("bu4dfe", "bp4d", "4dme")


@dataclass(frozen=True)
class SynthCommand:
    kind: str
    out: Path
    subjects: int | None
    seed: int
    sfm: str | None
    frames: int | None
    frame_format: str | None
    workers: int
    settings: Path | None
    overwrite: bool
    progress: bool


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="generate a synthetic dataset (or the demo set) from the Surrey Face Model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=KINDS, help="which dataset layout to generate")
    p.add_argument("--out", required=True, type=Path, help="output folder (must be empty unless --overwrite)")
    p.add_argument("--subjects", type=int, help="number of subjects (required except for demo)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same bytes (default 0)")
    p.add_argument("--sfm", help="folder holding the Surrey Face Model files (else $SMILE_SFM_DIR, ../shared/sfm, cache)")
    p.add_argument("--frames", type=int, help="frames per 4D sequence (bu4dfe, bp4d, 4dme)")
    p.add_argument("--frame-format", choices=("obj", "wrl"), help="file format of 4D frames")
    p.add_argument("--workers", type=int, default=1, help="processes (output is identical whatever the count)")
    p.add_argument("--settings", type=Path, help="settings JSON (default resources/synth.json)")
    p.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=_run)


def _command(args: argparse.Namespace) -> SynthCommand:
    if args.kind != "demo" and args.subjects is None:
        raise ValueError(f"--subjects is required for {args.kind}")
    if (args.frames is not None or args.frame_format is not None) and args.kind not in FOUR_D:
        raise ValueError(f"--frames / --frame-format apply to the 4D generators ({', '.join(FOUR_D)}), not {args.kind}")
    return SynthCommand(args.kind, args.out, args.subjects, args.seed, args.sfm, args.frames, args.frame_format,
                        args.workers, args.settings, args.overwrite, not args.no_progress)


def run_synth(cmd: SynthCommand) -> int:
    """Validate every setting, then load the model, then generate (so bad settings fail before any work)."""
    from core.synth.config import load_config, load_demo_config
    from core.synth.model import find_and_load
    from core.synth.runner import RunConfig, check_output_folder, generate, generate_demo

    if cmd.kind == "demo":
        demo = load_demo_config(cmd.settings)
        check_output_folder(cmd.out, cmd.overwrite)
        model = find_and_load(cmd.sfm)
        manifests = generate_demo(cmd.out, model, demo, seed=cmd.seed, settings=cmd.settings,
                                  overwrite=cmd.overwrite, progress=cmd.progress)
        for name, path in manifests.items():
            print(f"{name}: {path}")
        return 0
    overrides = {}
    if cmd.frames is not None:
        overrides["frames"] = cmd.frames
    if cmd.frame_format is not None:
        overrides["frame_format"] = cmd.frame_format
    config = load_config(cmd.kind, cmd.settings, overrides)
    run = RunConfig(cmd.kind, cmd.subjects, cmd.out, cmd.seed, cmd.workers, cmd.progress, cmd.overwrite)
    check_output_folder(run.out, run.overwrite)
    model = find_and_load(cmd.sfm)
    result = generate(run, config, model)
    print(f"wrote {result.n_files} {'sequences' if cmd.kind in FOUR_D else 'scans'} of {result.generator} "
          f"for {cmd.subjects} subjects to {result.out} in {result.seconds:.1f} s ({result.scans_per_second:.1f}/s)")
    if result.manifest is not None:
        print(f"manifest: {result.manifest} (index it with: smile-vlm index {result.manifest} --format csv --out ...)")
    else:
        print(f"index it with: smile-vlm index {result.out} --format {cmd.kind} --out manifest.csv")
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_synth(_command(args))
