"""`smile-vlm benchmark`: the evaluation protocols (subject-independent CV, baselines, ablations, cross-data-set,
per-view) on the synthetic sets or the user's real data, with a report (core.eval.benchmark)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli.canonical_args import add_canonical_args, canonical_changes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "benchmark",
        help="reproduce the paper's evaluation protocols and write a report",
        description=(
            "Generate (or reuse) the synthetic data sets and render caches, run k-fold subject-independent "
            "cross-validation of SMILE-VLM (zero-shot, linear probe, kNN), the supervised cross-entropy and "
            "language-free (mv-BT only) baselines, single-view and uniform-fusion variants and the loss ablations, "
            "the cross-data-set and per-view tests, and write OUT/report.md (tables shaped like the paper's Tables "
            "II-V), results.json, results.csv, summary.csv and figures/. Presets: smoke (CI, ~1-2 min), quick "
            "(~12-15 min on 2 CPU cores), paper (the full protocol, GPU advised); see "
            "resources/benchmark/presets.json. "
            "An interrupted run resumes without redoing finished folds (run the same command again)."
        ),
    )
    p.add_argument("--preset", required=True, metavar="NAME", help="smoke | quick | paper (or one of --config's)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: ./benchmark-PRESET)")
    p.add_argument(
        "--data",
        action="append",
        metavar="NAME=PATH[,NAME=PATH]",
        help="use real data instead of a synthetic set: NAME one of bu3dfe, bu4dfe, bosphorus, bp4d, 4dme; PATH a "
        "dataset root in its official layout or a manifest CSV (smile-vlm index); 4dme needs a manifest CSV",
    )
    p.add_argument("--only", metavar="EXP[,EXP]", help="run only these experiments (e.g. bu3dfe_subset1,bu4dfe)")
    p.add_argument("--config", metavar="FILE",
                   help="presets JSON of the same shape as resources/benchmark/presets.json")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="default: CUDA when present")
    p.add_argument("--workers", type=int, help="training processes (default: the preset's; auto = one per core)")
    p.add_argument("--threads", type=int, help="torch threads per training process (default: cores / workers)")
    p.add_argument("--init", metavar="CKPT", help="start every fold model from this SMILE-VLM checkpoint")
    add_canonical_args(p, default_from="the preset's render.canonical, else resources/canonical.json")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from core.eval.benchmark import BenchmarkConfig, run_benchmark
    from core.eval.data import parse_data_overrides

    only = tuple(x.strip() for x in (args.only or "").split(",") if x.strip())
    init = Path(args.init) if args.init else None
    if init is not None and not init.is_file():
        raise FileNotFoundError(f"{init}: --init checkpoint not found")
    config = BenchmarkConfig(
        preset=args.preset,
        out=Path(args.out) if args.out else Path.cwd() / f"benchmark-{args.preset}",
        data=parse_data_overrides(args.data),
        presets_file=Path(args.config) if args.config else None,
        only=only,
        device=args.device,
        workers=args.workers,
        threads=args.threads,
        init=init,
        progress=not args.no_progress,
        **canonical_changes(args),
    )
    from core.cli.writable import check_writable_folder

    check_writable_folder(config.out, "benchmark folder")
    summary = run_benchmark(config)
    print(
        f"benchmark {args.preset}: {summary.jobs} fold job(s), {summary.trained} trained now, {summary.reused} reused; "
        f"{summary.timings.get('total', 0.0):.0f} s",
        file=sys.stderr,
    )
    print(summary.report)
    return 0
