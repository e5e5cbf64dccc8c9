"""Throughput figures behind the benchmark presets' budgets: training samples/s of every method kind (SMILE-VLM,
language-free mv-BT, frontal-only, supervised CE), one-pass embedding throughput, and the probes' fit time, on
random views at a preset's image size.

    python benchmarks/bench_eval.py [--size 32] [--batch 16] [--threads 1] [--steps 6]

Budget of a preset on the CPU ~ sum over jobs of (training samples x epochs) / (samples/s x worker processes).
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    importlib.import_module("torch._dynamo")  # the optimiser imports it; keep that out of the timings

    from core.eval.config import MethodSpec, TrainSettings
    from core.eval.probes import knn_classify, linear_probe
    from core.eval.training import embed, train_fold_model
    from core.model import ModelConfig

    classes = ("a", "b", "c", "d", "e", "f")
    n = args.batch * args.steps
    rng = np.random.default_rng(0)
    views = torch.from_numpy(rng.integers(0, 255, (n, 3, 3, args.size, args.size), dtype=np.uint8))
    labels = torch.from_numpy(rng.integers(0, len(classes), n))
    prompts = {c: (f"a {c} face", f"a photo of {c}") for c in classes}
    feats = {p: torch.randn(384) for ps in prompts.values() for p in ps}
    settings = TrainSettings(epochs=2, batch_size=args.batch)
    methods = [
        MethodSpec("smile_vlm", "SMILE-VLM"),
        MethodSpec("mvbt_only", "mv-BT only", prompts="none", evals=("linear_probe",)),
        MethodSpec("frontal", "frontal only", views="frontal"),
        MethodSpec("ce", "supervised CE", kind="ce", evals=("classifier",)),
    ]
    print(f"{args.size} px, batch {args.batch}, {args.threads} thread(s), {n} samples x 2 epochs (2nd timed)")
    for method in methods:
        v = views[:, 1:2] if method.views == "frontal" else views
        cfg = ModelConfig(image_size=args.size, n_views=v.shape[1])
        times = []
        train_fold_model(method, settings, cfg, v, labels, classes, seed=0, prompts=prompts, text_features=feats,
                         on_epoch=lambda e, m: times.append(time.perf_counter()))
        print(f"  train {method.title:<16} {n / (times[1] - times[0]):8.1f} samples/s")
    cfg = ModelConfig(image_size=args.size, n_views=3)
    trained = train_fold_model(methods[0], TrainSettings(epochs=1, batch_size=args.batch), cfg, views, labels,
                               classes, seed=0, prompts=prompts, text_features=feats)
    big = views.repeat(4, 1, 1, 1, 1)
    t0 = time.perf_counter()
    emb = embed(trained.model, big, batch=256)
    print(f"  embed (all views + fusion) {big.shape[0] / (time.perf_counter() - t0):8.1f} samples/s")
    z = np.concatenate([emb.z_fused] * 3)
    y = rng.choice(classes, z.shape[0])
    t0 = time.perf_counter()
    linear_probe(z, y, z)
    t1 = time.perf_counter()
    knn_classify(z, y, z)
    t2 = time.perf_counter()
    print(f"  linear probe fit+predict on {z.shape[0]} x {z.shape[1]}: {t1 - t0:.2f} s; kNN: {t2 - t1:.2f} s")


if __name__ == "__main__":
    main()
