"""`smile-vlm synth`: generate a synthetic 3D/4D facial-expression dataset (or the first-run demo set)
from the ICT Face Model (default) or the Surrey Face Model, in a benchmark's own file layout."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

KINDS = ("bu3dfe", "bu4dfe", "bp4d", "4dme", "bosphorus", "heads", "demo")
_SEQUENCE_KINDS = ("bu4dfe", "bp4d", "4dme")


@dataclass(frozen=True)
class SynthCommand:
    """The parsed command: what to generate and where (settings file None = resources/synth.json)."""

    kind: str
    out: Path
    subjects: int | None
    seed: int
    face_model: str | None
    face_model_dir: str | None
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
        help="generate a synthetic dataset (BU-3DFE/BU-4DFE/BP4D/4DME/Bosphorus layout, whole heads) or the demo set",
        description=(
            "Generate a synthetic facial-expression dataset in the layout of a benchmark, so `smile-vlm index` "
            "reads it unchanged (for 4dme and heads: index the written 4dme.csv / heads.csv with --format csv). "
            "Face models: ict (default; the ICT Face Model Light: face, head and neck, 100 identity modes, "
            "expressions as FACS action units from resources/action_units.json; its files are looked for in "
            "--face-model-dir DIR, $SMILE_ICT_DIR, ../shared/ict and the user cache; ICT-FaceKit's FaceXModel/ "
            "folder is accepted too) or sfm (the Surrey Face Model: a face mask with six expression "
            "blendshapes; --face-model-dir DIR, $SMILE_SFM_DIR, ../shared/sfm, the user cache, else "
            "downloaded). Writes synth.json (settings, seed, model checksums) beside the data. Same seed and "
            "settings give identical files."
        ),
    )
    p.add_argument("kind", choices=KINDS, help="dataset layout to generate, or 'demo' for the small first-run set")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must be empty unless --overwrite)")
    p.add_argument("--subjects", type=int, default=None, metavar="N", help="number of subjects (not for demo)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--face-model", choices=("ict", "sfm"), default=None,
                   help="face model (default ict; the demo: the settings' demo.face_model)")
    p.add_argument("--face-model-dir", default=None, metavar="DIR",
                   help="folder holding the face model's files (ICT: ict_face_model_light.npz or FaceXModel/; "
                        "SFM: the two .bin files)")
    p.add_argument("--sfm", default=None, metavar="DIR",
                   help="folder holding the Surrey Face Model .bin files (implies --face-model sfm)")
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
        face_model=args.face_model,
        face_model_dir=args.face_model_dir,
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


def _face_model(cmd: SynthCommand, default: str) -> tuple[str, str | None]:
    """(face model name, its folder or None) from --face-model / --face-model-dir / --sfm."""
    if cmd.sfm is not None:
        if cmd.face_model == "ict":
            raise ValueError("--sfm names the Surrey Face Model's folder; it does not go with --face-model ict")
        if cmd.face_model_dir is not None:
            raise ValueError("give the Surrey Face Model's folder once: --sfm DIR or --face-model-dir DIR")
        return "sfm", cmd.sfm
    return cmd.face_model or default, cmd.face_model_dir


def run_command(cmd: SynthCommand) -> int:
    """Validate everything, find the model, generate, print a summary."""
    from core.cli.writable import check_writable_folder
    from core.synth.config import load_config, load_demo_config
    from core.synth.face_models import DEFAULT_FACE_MODEL, load_face_model
    from core.synth.runner import RunConfig, check_output_folder, generate, generate_demo

    if cmd.kind == "demo":
        for option, value in (("--subjects", cmd.subjects), ("--frames", cmd.frames), ("--clips", cmd.clips),
                              ("--frame-format", cmd.frame_format)):
            if value is not None:
                raise ValueError(f"{option} does not apply to the demo set (its size is in the settings' demo section)")
        if cmd.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {cmd.seed}")
        demo = load_demo_config(cmd.settings)
        name, folder = _face_model(cmd, demo.face_model)
        check_output_folder(cmd.out, cmd.overwrite)
        check_writable_folder(cmd.out)
        model = load_face_model(name, folder)
        manifests = generate_demo(cmd.out, model, demo, seed=cmd.seed, settings=cmd.settings,
                                  overwrite=cmd.overwrite, progress=cmd.progress)
        print(f"demo set ({name} face model) written to {cmd.out}")
        for name, path in manifests.items():
            print(f"  manifest {name}: {path}")
        return 0
    if cmd.subjects is None:
        raise ValueError(f"--subjects N is required for {cmd.kind}")
    name, folder = _face_model(cmd, DEFAULT_FACE_MODEL)
    if cmd.kind == "heads" and name != "ict":
        raise ValueError("heads needs a whole-head face model: --face-model ict (the Surrey Face Model is a face mask)")
    run = RunConfig(cmd.kind, cmd.subjects, cmd.out, cmd.seed, cmd.workers, cmd.progress, cmd.overwrite)
    config = load_config(cmd.kind, cmd.settings, _overrides(cmd), face_model=name)
    check_output_folder(cmd.out, cmd.overwrite)
    check_writable_folder(cmd.out)
    model = load_face_model(name, folder)
    result = generate(run, config, model)
    print(f"{cmd.kind} ({name} face model): {len(result.items)} {'sequences' if cmd.kind in _SEQUENCE_KINDS else 'scans'} "
          f"({result.n_files} files) of {cmd.subjects} subjects in {result.out} "
          f"({result.seconds:.1f} s, {result.scans_per_second:.1f} files/s)")
    if result.manifest is not None:
        print(f"manifest: {result.manifest} (index it with --format csv)")
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_command(_command(args))
