"""Speed of the per-frame analysis of a 4D sequence beside the one-shot sequence analysis (issue 15, item 2).

    python benchmarks/bench_frames.py [--frames 100] [--runs 3] [--threads 2] [--checkpoint C] [--window cumulative]

The sequence: a BU-4DFE-like ICT sequence of ``--frames`` frames (one expression, generated into a temporary folder
and loaded; loading is timed apart), or, without the ICT files, ``--frames`` deformed hemispheres of 3.5k vertices.
Without --checkpoint a randomly initialised model of resources/model.json (small CNN, 3 views of 112 px, MiniLM)
with canonical faces is saved to a temporary checkpoint (speed does not depend on the weights). Prints the median
(and the range) over ``--runs`` of: the one-shot analysis (Analyzer.analyze: n_frames sampled frames rendered, rank-pooled, scored);
the whole per-frame curve (core.inference.frames.analyze_frames) with each window setting, split into framing and
geometry (prepare_frames), rendering every frame (render_prepared), pooling every window (pool_windows) and scoring
(frame_probabilities less the pooling). Goal: a 100-frame sequence, 3 views of 112 px, <= 3 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.inference import Analyzer, analyze_frames  # noqa: E402
from core.inference.frames import frame_probabilities, pool_windows, prepare_frames, render_prepared  # noqa: E402
from core.model import ModelConfig, SmileVLM, save_checkpoint  # noqa: E402
from core.scans.standin import stand_in_face  # noqa: E402

GOAL_S = 3.0


def ict_sequence(out: Path, n_frames: int):
    """(frames, description) of one generated ICT sequence, or None without the ICT files."""
    from core.scans import load_sequence
    from core.synth.config import load_config
    from core.synth.face_models import load_face_model
    from core.synth.runner import RunConfig, generate

    try:
        model = load_face_model("ict")
    except (ValueError, OSError) as exc:
        print(f"ICT face model not available ({exc}); using hemispheres")
        return None
    config = load_config("bu4dfe", None, {"frames": n_frames, "expressions": ["happiness"]}, face_model="ict")
    result = generate(RunConfig("bu4dfe", 1, out, 0, 1, False, True), config, model)
    t0 = time.perf_counter()
    frames = load_sequence(out / result.items[0].path)
    return frames, (f"ICT BU-4DFE-like sequence, {len(frames)} frames of {frames[0].n_vertices} vertices "
                    f"(loading {time.perf_counter() - t0:.2f} s, not counted below)")


def run_times(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median_time(fn, runs: int) -> float:
    return statistics.median(run_times(fn, runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--windows", default="cumulative,16")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = args.checkpoint
        if ckpt is None:
            cfg = ModelConfig.default()
            torch.manual_seed(0)
            ckpt = save_checkpoint(Path(tmp) / "bench.ckpt", model=SmileVLM(cfg, 384), model_config=cfg, epoch=0,
                                   step=0, config={"loss": {"tau": 0.07}, "render": {"canonical": {}}})
        analyzer = Analyzer(ckpt, device="cpu")
        r = analyzer.render_config
        got = ict_sequence(Path(tmp) / "seq", args.frames)
        if got is None:
            frames = [stand_in_face(b, 42, radius_mm=80.0) for b in np.linspace(0.0, 0.2, args.frames)]
            got = frames, f"{args.frames} hemispheres of {frames[0].n_vertices} vertices"
        frames, what = got
        print(f"{what}; model: {r.n_views} views of {r.size} px, {r.n_frames} frames sampled per dynamic image, "
              f"orientation {r.canonical.orientation}")
        analyzer.analyze(frames[:3])  # warm-up: render window, allocator
        one_shot = median_time(lambda: analyzer.analyze(frames), args.runs)
        print(f"one-shot sequence analysis (Analyzer.analyze)      {one_shot:6.2f} s")
        prepared = prepare_frames(frames, r)
        images = render_prepared(prepared, r)
        t_prepare = median_time(lambda: prepare_frames(frames, r), args.runs)
        t_render = median_time(lambda: render_prepared(prepared, r), args.runs)
        for window in args.windows.split(","):
            t_pool = median_time(lambda: pool_windows(images, window, r.n_frames), args.runs)
            t_score = median_time(lambda: frame_probabilities(analyzer, images, window), args.runs)
            totals = run_times(lambda: analyze_frames(analyzer, frames, window), args.runs)
            total = statistics.median(totals)
            verdict = "met" if args.frames < 100 or total <= GOAL_S else "MISSED"
            if args.frames < 100:
                verdict = "(goal is for 100 frames)"
            print(f"per-frame curve, window {window:<10} {total:6.2f} s  = framing+geometry {t_prepare:.2f} + "
                  f"render {t_render:.2f} + pool {t_pool:.2f} + score {t_score - t_pool:.2f}   "
                  f"({total / one_shot:.1f}x the one-shot; goal <= {GOAL_S:.0f} s for 100 frames: {verdict}); "
                  f"runs {min(totals):.2f}-{max(totals):.2f} s")


if __name__ == "__main__":
    main()
