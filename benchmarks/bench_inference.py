"""Inference speed of the SMILE-VLM Analyzer, prompt re-encoding, the small CNN's training throughput, memory.

    python benchmarks/bench_inference.py [--checkpoint C] [--calls 20] [--device cpu|cuda] [--threads N]
                                         [--sfm ../shared/sfm] [--skip-backbone]

Without --checkpoint a randomly initialised model of resources/model.json (small CNN, 3 views of 112 px, MiniLM)
is saved to a temporary checkpoint: speed does not depend on the weights. Prints:
* Analyzer load time (checkpoint + text encoder + default prompts);
* latency per 3D scan after loading, mean and median over --calls calls, split into rendering (core.render) and
  the model (encode + fuse + zero-shot scoring), for the Surrey Face Model mean (3448 vertices; a 3.4k-vertex
  hemisphere when the SFM is absent) and a dense 29k-vertex scan-sized mesh (goal: <= 300 ms on CPU);
* a 4D sequence (16 sampled frames -> dynamic images) end to end;
* set_prompts with 50 cached prompts plus one edited prompt (goal: <= 100 ms), and with nothing new;
* the small CNN backbone's forward and forward+backward throughput (views/s, batch 32 x 3 views of 112 px);
* peak memory: process max RSS (and CUDA peak allocation on a GPU).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.inference import Analyzer  # noqa: E402
from core.model import ModelConfig, SmileVLM, save_checkpoint  # noqa: E402
from core.prompts import PromptSet  # noqa: E402
from core.scans.standin import stand_in_face  # noqa: E402
from core.scans.types import Scan  # noqa: E402


def hemisphere(n: int, bump: float = 0.1) -> Scan:
    """A face-sized (radius 80 mm) deformed hemisphere with n x 2n vertices."""
    return stand_in_face(bump, n, radius_mm=80.0, source=f"hemisphere {n}x{2 * n}")


def sfm_mean(sfm: Path) -> Scan | None:
    shape = sfm / "sfm_shape_3448.bin"
    if not shape.is_file():
        return None
    import eos

    model = eos.morphablemodel.load_model(str(shape)).get_shape_model()
    vertices = np.asarray(model.get_mean(), dtype=np.float32).reshape(-1, 3)
    faces = np.asarray(model.get_triangle_list(), dtype=np.int64)
    return Scan(vertices, faces, "SFM mean (3448 vertices)")


def timed(fn, calls: int) -> tuple[list[float], object]:
    out = None
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times, out


def ms(times: list[float]) -> str:
    return f"mean {1000 * statistics.mean(times):7.1f} ms   median {1000 * statistics.median(times):7.1f} ms"


def bench_scan(analyzer: Analyzer, scan: Scan, calls: int) -> None:
    for _ in range(2):
        analyzer.analyze(scan)  # warm-up (render window, allocator)
    total, _ = timed(lambda: analyzer.analyze(scan), calls)
    render, (views, _) = timed(lambda: analyzer.render(scan), calls)
    model, _ = timed(lambda: analyzer.analyze_views(views), calls)
    print(f"  {scan.source}: {scan.n_vertices} vertices, {0 if scan.faces is None else len(scan.faces)} faces")
    print(f"    analyze (total) {ms(total)}   goal <= 300 ms: {'met' if statistics.median(total) <= 0.3 else 'MISSED'}")
    print(f"    render          {ms(render)}")
    print(f"    model           {ms(model)}")


def bench_prompts(analyzer: Analyzer, calls: int) -> None:
    classes = {f"class {c}": [f"a face showing expression {c} variant {k}" for k in range(10)] for c in range(5)}
    base = PromptSet("bench50", classes)
    t0 = time.perf_counter()
    analyzer.set_prompts(base)
    cold = time.perf_counter() - t0
    times, encoded = [], []
    for i in range(calls):
        edited = base.with_class("class 0", (f"an edited prompt number {i}",) + base.classes["class 0"][1:])
        t0 = time.perf_counter()
        encoded.append(analyzer.set_prompts(edited))
        times.append(time.perf_counter() - t0)
    cached, _ = timed(lambda: analyzer.set_prompts(base), calls)
    print(f"  50 prompts, all new (cold)          {1000 * cold:7.1f} ms")
    print(f"  50 cached + 1 edited prompt         {ms(times)}   new strings encoded per call: {set(encoded)}   "
          f"goal <= 100 ms: {'met' if statistics.median(times) <= 0.1 else 'MISSED'}")
    print(f"  50 cached, nothing new              {ms(cached)}")


def bench_backbone(device: torch.device, seconds: float = 3.0) -> None:
    model = SmileVLM(ModelConfig.default(), text_dim=384).to(device)
    x = torch.randint(0, 256, (32, 3, 3, 112, 112), dtype=torch.uint8, device=device)
    n_params = sum(p.numel() for p in model.backbone.parameters())
    for train in (False, True):
        model.train(train)
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            if train:
                z = model.encode_views(x)
                z.pow(2).mean().backward()
            else:
                with torch.inference_mode():
                    model.encode_views(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            count += x.shape[0] * x.shape[1]
        rate = count / (time.perf_counter() - t0)
        what = "forward+backward" if train else "forward (inference)"
        print(f"  smallcnn ({n_params / 1e6:.2f} M params) {what:<20} {rate:8.0f} views/s  "
              "(112 px, batch 32 x 3 views)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--device", default=None, choices=["cpu", "cuda"])
    parser.add_argument("--sfm", default=str(ROOT.parent / "shared" / "sfm"))
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--skip-backbone", action="store_true")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = args.checkpoint
        if ckpt is None:
            cfg = ModelConfig.default()
            torch.manual_seed(0)
            ckpt = save_checkpoint(Path(tmp) / "bench.ckpt", model=SmileVLM(cfg, 384), model_config=cfg, epoch=0,
                                   step=0, config={"loss": {"tau": 0.07}})
        t0 = time.perf_counter()
        analyzer = Analyzer(ckpt, device=device)
        print(f"Analyzer load (checkpoint, text encoder, {analyzer.prompt_set.n_prompts} default prompts): "
              f"{time.perf_counter() - t0:.2f} s; render {analyzer.render_config.n_views} views of "
              f"{analyzer.render_config.size} px")

        print("Latency per 3D scan after loading:")
        for scan in (sfm_mean(Path(args.sfm)) or hemisphere(42), hemisphere(120)):
            bench_scan(analyzer, scan, args.calls)

        frames = [hemisphere(42, bump) for bump in np.linspace(0.0, 0.2, 40)]
        seq, _ = timed(lambda: analyzer.analyze(frames), max(3, args.calls // 4))
        print(f"4D sequence (40 frames, {analyzer.render_config.n_frames} sampled -> dynamic images): {ms(seq)}")

        print("Prompt editing (set_prompts):")
        bench_prompts(analyzer, args.calls)

    if not args.skip_backbone:
        print("Backbone throughput:")
        bench_backbone(device)

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = f"Peak memory: max RSS {rss_mb:.0f} MB"
    if device.type == "cuda":
        line += f", CUDA peak allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MB"
    print(line)


if __name__ == "__main__":
    main()
