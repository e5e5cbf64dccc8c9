"""Synthetic-data generation speed, ICT next to SFM: a BU-3DFE-like set of 100 subjects (2500 scans) per face
model on 2 processes.

    python benchmarks/bench_synth.py [--subjects 100] [--workers 2] [--seed 0] [--face-models ict,sfm]
                                     [--keep DIR]

Prints, per face model, the model load time, the scan count, vertices per scan, total seconds and scans/s, then
the ICT/SFM speed ratio of this run. Goals: ICT 100 subjects x 25 scans with --workers 2 in < 300 s; SFM < 120 s.
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

from core.scans import load  # noqa: E402
from core.synth.config import load_config  # noqa: E402
from core.synth.face_models import load_face_model  # noqa: E402
from core.synth.runner import RunConfig, generate  # noqa: E402

GOAL_S = {"ict": 300.0, "sfm": 120.0}


def _run(name: str, args: argparse.Namespace) -> float:
    start = time.perf_counter()
    model = load_face_model(name)
    load_s = time.perf_counter() - start
    config = load_config("bu3dfe", face_model=name)
    tmp = None
    if args.keep is None:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench_synth_{name}_"))
        out = tmp / "bu3dfe"
    else:
        out = args.keep / name
    try:
        result = generate(RunConfig("bu3dfe", args.subjects, out, args.seed, args.workers), config, model)
        files = [p for p in out.rglob("*.wrl")]
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        n_vertices = load(files[0]).vertices.shape[0]
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    goal = GOAL_S[name] * args.subjects / 100
    print(f"{name}: model load {load_s:.2f} s; {args.subjects} subjects, {result.n_files} scans "
          f"({n_vertices} vertices in the first), {size_mb:.0f} MB, workers={args.workers}; "
          f"total {result.seconds:.1f} s ({result.scans_per_second:.1f} scans/s); goal < {goal:.0f} s: "
          f"{'met' if result.seconds < goal else 'NOT met'}", flush=True)
    return result.scans_per_second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--face-models", default="ict,sfm", help="comma-separated: ict, sfm")
    parser.add_argument("--keep", type=Path, help="write into this folder (ict/ and sfm/ below it) and keep them")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.face_models.split(",") if n.strip()]
    speed = {name: _run(name, args) for name in names}
    if "ict" in speed and "sfm" in speed:
        print(f"ICT / SFM speed: {speed['ict'] / speed['sfm']:.2f} (same run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
