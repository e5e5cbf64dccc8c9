"""Training throughput of SMILE-VLM against a supervised cross-entropy baseline, in one run.

Both train the same backbone + projector + fusion on the same synthetic uint8 views (B samples x N views of S px)
with the same optimiser (Adam) and precision. SMILE-VLM runs three encoder passes per view (two augmentations
and the clean views, core.train.step.train_step), the baseline one (one augmentation,
core.train.supervised.supervised_step). After the warm-up steps of both, the timed steps alternate (SMILE,
CE, SMILE, CE, ...) so that a busy machine slows both alike; each step is timed on its own and the medians are
reported. Printed: the step-time ratio SMILE-VLM / CE (= CE samples/s over SMILE-VLM samples/s) against the goal
<= 3.3, next to the FLOP ratio of the two steps measured in the same run (forward + backward,
torch.utils.flop_counter.FlopCounterMode) and the range of the per-pair ratios; the achieved GFLOP/s; a plain
matmul's GFLOP/s in the same run and precision (the machine's reachable peak for dense math); the peak memory
(CUDA: max allocated per step kind; CPU: the process's peak resident set after the CE, then the SMILE-VLM
warm-up); and on the CPU the minor page faults of one step (memory the allocator had to map in afresh).

    python benchmarks/bench_training.py [--device auto|cpu|cuda] [--batch 32] [--views 3] [--size 112]
                                        [--backbone smallcnn] [--steps 10] [--warmup 3] [--amp auto|bf16|fp16|off]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.losses import LossWeights  # noqa: E402
from core.model.config import ModelConfig  # noqa: E402
from core.model.smile_vlm import SmileVLM  # noqa: E402
from core.train.augment import AugmentConfig  # noqa: E402
from core.train.distributed import resolve_device  # noqa: E402
from core.train.step import StepForward, autocast_dtype, preload_torch_dynamo, train_step  # noqa: E402
from core.train.supervised import SupervisedBaseline, supervised_step  # noqa: E402

TEXT_DIM = 384  # MiniLM's width; the features are random here (the text encoder is frozen and precomputed)
N_CLASSES = 6


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_interleaved(step_fns, steps: int, device: torch.device) -> list[list[float]]:
    """Seconds of each step of each function, the functions alternating step by step (``steps`` rounds)."""
    times: list[list[float]] = [[] for _ in step_fns]
    for _ in range(steps):
        for i, step in enumerate(step_fns):
            _sync(device)
            t0 = time.perf_counter()
            step()
            _sync(device)
            times[i].append(time.perf_counter() - t0)
    return times


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _count_flops(step) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())


def _matmul_gflops(device: torch.device, dtype: torch.dtype) -> float:
    n = 4096 if device.type == "cuda" else 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    reps = 50 if device.type == "cuda" else 5
    for _ in range(3):
        a @ b
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--views", type=int, default=3)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--backbone", default="smallcnn")
    p.add_argument("--dim", type=int, default=None, help="embedding dimension (default: resources/model.json)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--amp", default="auto", choices=["auto", "bf16", "fp16", "off"])
    args = p.parse_args(argv)

    preload_torch_dynamo()
    device = resolve_device(args.device)
    amp_dtype = autocast_dtype(args.amp, device)
    changes = {"backbone": args.backbone, "n_views": args.views, "image_size": args.size}
    if args.dim:
        changes["embed_dim"] = args.dim
    config = ModelConfig.from_dict({**ModelConfig.default().to_dict(), **changes})
    torch.manual_seed(0)
    g = torch.Generator(device=device).manual_seed(0)
    views = torch.randint(0, 256, (args.batch, args.views, 3, args.size, args.size), dtype=torch.uint8, device=device)
    labels = torch.randint(0, N_CLASSES, (args.batch,), device=device)
    text = torch.nn.functional.normalize(torch.randn(args.batch, TEXT_DIM, device=device), dim=-1)
    augment, weights = AugmentConfig(), LossWeights()

    def scaler():
        return torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None

    model = SmileVLM(config, TEXT_DIM).to(device).train()
    forward = StepForward(model, with_text=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-5)
    smile_scaler = scaler()

    def smile_step():
        train_step(forward, views, text, opt, weights, augment, g, amp_dtype, smile_scaler)

    baseline = SupervisedBaseline.from_config(config, N_CLASSES).to(device).train()
    opt_ce = torch.optim.Adam(baseline.trainable_parameters(), lr=1e-4, weight_decay=1e-5)
    ce_scaler = scaler()

    def ce_step():
        supervised_step(baseline, views, labels, opt_ce, g, augment, amp_dtype, ce_scaler)

    # Warm-up, CE first: on the CPU the peak RSS only grows, so CE's is read before SMILE-VLM's larger one.
    peaks, faults = {}, {}
    for key, step in (("ce", ce_step), ("smile", smile_step)):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        for _ in range(args.warmup):
            step()
        _sync(device)
        peaks[key] = _peak_memory_mb(device)
    for key, step in (("ce", ce_step), ("smile", smile_step)):
        before = _minor_faults()
        step()
        _sync(device)
        faults[key] = _minor_faults() - before
    t_smiles, t_ces = _time_interleaved([smile_step, ce_step], args.steps, device)
    t_smile, t_ce = statistics.median(t_smiles), statistics.median(t_ces)
    pair_ratios = sorted(a / b for a, b in zip(t_smiles, t_ces))
    flops_smile = _count_flops(smile_step)
    flops_ce = _count_flops(ce_step)
    mm_dtype = amp_dtype or torch.float32
    mm = _matmul_gflops(device, mm_dtype)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    precision = {None: "fp32", torch.bfloat16: "bf16 autocast", torch.float16: "fp16 autocast + GradScaler"}[amp_dtype]
    sps_smile, sps_ce = args.batch / t_smile, args.batch / t_ce
    print(f"device: {name}; precision: {precision}; torch {torch.__version__}")
    print(
        f"setup: backbone {config.backbone}, {args.views} views of {args.size} px, batch {args.batch}, "
        f"D {config.embed_dim}; median of {args.steps} timed steps each, alternating, after {args.warmup} warm-up"
    )
    mem = "peak GPU memory" if device.type == "cuda" else "process peak RSS"
    for label, t, sps, flops, key in (
        ("SMILE-VLM step:  ", t_smile, sps_smile, flops_smile, "smile"),
        ("CE baseline step:", t_ce, sps_ce, flops_ce, "ce"),
    ):
        extra = f"  {faults[key]:7d} page faults/step" if device.type == "cpu" else ""
        print(
            f"{label} {t * 1e3:9.1f} ms  {sps:9.1f} samples/s  {flops / 1e9:9.2f} GFLOP/step  "
            f"{flops / t / 1e9:9.1f} GFLOP/s  {mem} {peaks[key]:8.0f} MiB{extra}"
        )
    ratio = t_smile / t_ce  # = CE samples/s over SMILE-VLM samples/s
    flop_ratio = flops_smile / max(flops_ce, 1)
    print(
        f"step-time ratio SMILE-VLM / CE: {ratio:.2f} (goal <= 3.3: {'met' if ratio <= 3.3 else 'NOT met'}); "
        f"FLOP ratio {flop_ratio:.2f} (time ratio / FLOP ratio {ratio / flop_ratio:.2f}); "
        f"per-pair ratios {pair_ratios[0]:.2f}..{pair_ratios[-1]:.2f}"
    )
    print(f"matmul {str(mm_dtype).removeprefix('torch.')}: {mm:.1f} GFLOP/s; SMILE-VLM step reaches "
          f"{100 * flops_smile / t_smile / 1e9 / mm:.1f} % of it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
