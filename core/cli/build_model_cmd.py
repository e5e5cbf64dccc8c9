"""`smile-vlm build-model`: train, evaluate, calibrate and write the default model with its card (core.release)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "build-model",
        help="build the shipped default model and its model card",
        description=(
            "Generate the mixed synthetic corpus (ICT and SFM faces, 3D scans and 4D sequences), train SMILE-VLM on "
            "it, score it on separately generated held-out subjects, fit a temperature on a calibration split, and "
            "write model.ckpt (weights only), model.sha256 and the model card (model.card.json + .md). Settings: "
            "resources/build_model.json. An interrupted build continues where it stopped."
        ),
    )
    p.add_argument("--config", metavar="FILE", help="build settings (default: resources/build_model.json)")
    p.add_argument("--work", metavar="DIR", default="build-model-work",
                   help="folder for the generated sets, render cache and training run (default: ./build-model-work)")
    p.add_argument("--out", metavar="DIR", help="where the model and card go (default: resources/models/default)")
    p.add_argument("--workers", type=int, default=2, help="processes for generating and rendering (default 2)")
    p.add_argument("--prepare-only", action="store_true",
                   help="only generate the sets and render their views (a later build-model reuses them)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from core.release.build import build_model
    from core.release.config import BuildConfig

    config = BuildConfig.load(args.config)
    if args.out:
        out = Path(args.out)
    else:
        from core.resources import resources_dir

        out = resources_dir() / "models" / "default"
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    from core.cli.writable import check_writable_folder

    check_writable_folder(Path(args.work), "work folder")  # before an hour of data generation, not after
    if not args.prepare_only:
        check_writable_folder(out, "model folder")
    result = build_model(config, Path(args.work), out, workers=args.workers, progress=not args.no_progress,
                         prepare_only=args.prepare_only)
    if result is None:
        return 0
    for name, figures in result.evaluation.items():
        print(f"held-out {name}: accuracy {figures['accuracy']:.1f} %, macro F1 {figures['macro_f1']:.1f} % "
              f"({figures['n_samples']} samples, {figures['n_subjects']} subjects)")
    cal = result.calibration
    print(f"temperature {cal['temperature']:.3f}: ECE {cal['ece_before']:.1f} % -> {cal['ece_after']:.1f} %")
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in result.seconds.items()))
    return 0
