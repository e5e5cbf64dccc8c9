"""Synthetic-data generation speed: a BU-3DFE-like set of 100 subjects (2500 scans) on 2 processes.

    python benchmarks/bench_synth.py [--subjects 100] [--workers 2] [--seed 0] [--sfm DIR] [--keep DIR]

Prints the scan count, total seconds (model load excluded, printed separately) and scans/s.
Goal: 100 subjects x 25 scans with --workers 2 in < 120 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.synth.config import load_config  # noqa: E402
from core.synth.model import find_and_load  # noqa: E402
from core.synth.runner import RunConfig, generate  # noqa: E402

GOAL_S = 120.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sfm", help="Surrey Face Model folder (default: the usual search places)")
    parser.add_argument("--keep", type=Path, help="write into this (empty) folder and keep it")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = find_and_load(args.sfm)
    load_s = time.perf_counter() - start
    config = load_config("bu3dfe")
    tmp = None
    if args.keep is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench_synth_"))
        out = tmp / "bu3dfe"
    else:
        out = args.keep
    try:
        run = RunConfig("bu3dfe", args.subjects, out, args.seed, args.workers)
        result = generate(run, config, model)
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"model load: {load_s:.2f} s")
    print(f"bu3dfe: {args.subjects} subjects, {result.n_files} scans, {size_mb:.0f} MB, workers={args.workers}")
    print(f"total: {result.seconds:.1f} s  ({result.scans_per_second:.1f} scans/s)  "
          f"goal < {GOAL_S:.0f} s for 100 subjects: {'met' if result.seconds < GOAL_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
