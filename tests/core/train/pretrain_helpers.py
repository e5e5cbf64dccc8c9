"""Test helpers for core.train: a tiny synthetic multi-view dataset already in a render cache, a deterministic
fake text encoder, and a tiny model config.

The synthetic set: each sample has a placeholder scan file (unique bytes; the render cache keys entries by file
content) whose cache entry is written directly: (V, S, S, 3) uint8 views of a class-specific pattern (a bright
ellipse whose aspect, a bar whose height and a dot whose side depend on the class), shifted per view like a yaw
turn, with per-sample jitter and noise, on a black background like the real renders.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import torch

from core.datasets import ManifestRow, write_manifest
from core.render import RenderCache, RenderConfig

TEXT_DIM = 12
SIZE = 32
N_VIEWS = 3
CLASSES = ("anger", "happiness", "sadness", "surprise")

TINY_MODEL = {
    "backbone": "smallcnn",
    "embed_dim": 16,
    "proj_hidden": 32,
    "fusion_hidden": 8,
    "text_encoder": "minilm",
    "n_views": N_VIEWS,
    "image_size": SIZE,
}


class FakeTextEncoder:
    """Deterministic frozen 'text encoder': unit vectors from a hash of each string (no model to load)."""

    name = "fake"
    dim = TEXT_DIM

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> torch.Tensor:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            g = torch.Generator().manual_seed(seed)
            v = torch.randn(TEXT_DIM, generator=g)
            rows.append(v / v.norm())
        return torch.stack(rows) if rows else torch.zeros(0, TEXT_DIM)


def fake_build_text_encoder(spec: str = "minilm", device=None) -> FakeTextEncoder:
    return FakeTextEncoder()


def class_views(label_index: int, rng: np.random.Generator, n_views: int = N_VIEWS, size: int = SIZE) -> np.ndarray:
    """(V, S, S, 3) uint8 structured views of one sample of class ``label_index``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    views = np.zeros((n_views, size, size, 3), dtype=np.float32)
    aspect = 0.6 + 0.25 * label_index
    bar_y = 0.55 + 0.08 * label_index
    dot_x = 0.3 if label_index % 2 == 0 else 0.7
    jitter = rng.uniform(-0.03, 0.03, size=2)
    for v in range(n_views):
        shift = (v - (n_views - 1) / 2) * 0.08 + jitter[0]
        cx, cy = 0.5 + shift, 0.5 + jitter[1]
        face = ((xx - cx) / (0.32 / aspect)) ** 2 + ((yy - cy) / (0.32 * aspect)) ** 2 <= 1.0
        shade = 0.4 + 0.6 * np.clip(1.0 - ((xx - cx) ** 2 + (yy - cy) ** 2) * 4, 0, 1)
        views[v, ..., 0] = face * shade
        views[v, ..., 1] = face * (0.5 + 0.5 * (1 - np.abs(xx - cx) * 2))
        bar = face & (np.abs(yy - bar_y - jitter[1]) < 0.04) & (np.abs(xx - cx) < 0.18)
        views[v, ..., 2] = face * 0.5 + bar * 0.5
        dot = ((xx - dot_x - shift) ** 2 + (yy - 0.35) ** 2) < 0.004
        views[v, ..., 0] = np.where(dot, 1.0, views[v, ..., 0])
    views += rng.normal(0, 0.02, size=views.shape) * (views > 0)
    return (np.clip(views, 0, 1) * 255).round().astype(np.uint8)


def make_dataset(
    root: Path, per_class: int = 6, classes=CLASSES, n_views: int = N_VIEWS, size: int = SIZE, seed: int = 0
) -> tuple[Path, Path]:
    """Write scans, a manifest and a filled render cache under ``root``; returns (manifest path, cache dir)."""
    rng = np.random.default_rng(seed)
    scans = root / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    cache_dir = root / "cache"
    yaws = [-30.0, 0.0, 30.0] if n_views == 3 else [-30.0 + 60.0 * i / max(1, n_views - 1) for i in range(n_views)]
    cache = RenderCache(cache_dir, RenderConfig(yaws=tuple(yaws), size=size))
    cache.folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, label in enumerate(classes):
        for i in range(per_class):
            subject = f"S{i:02d}"
            path = scans / f"{subject}_{label}.obj"
            path.write_text(f"# placeholder scan {label} {i} {seed}\n")
            np.save(cache.entry_path(RenderCache.content_key(path)), class_views(k, rng, n_views, size))
            rows.append(ManifestRow(path, subject, label, None, "3d", 1, "synthetic", f"{label[:2].upper()}{i}"))
    manifest = write_manifest(rows, root / "manifest.csv")
    return manifest, cache_dir


def write_height_field_obj(path: Path, smile: float, n: int = 15) -> Path:
    """A small face-like height-field mesh (OBJ): a dome with a nose bump and a mouth curved by ``smile``."""
    u = np.linspace(-1.0, 1.0, n)
    x, y = np.meshgrid(u, u)
    z = 0.5 * np.sqrt(np.clip(1.2 - x**2 - y**2, 0, None)) + 0.25 * np.exp(-(x**2 + (y - 0.1) ** 2) / 0.03)
    z += smile * 0.15 * np.exp(-((y + 0.45 - 0.3 * smile * x**2) ** 2) / 0.01) * (np.abs(x) < 0.5)
    verts = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1) * 80.0
    faces = []
    for r in range(n - 1):
        for c in range(n - 1):
            a = r * n + c
            faces += [(a, a + 1, a + n), (a + 1, a + n + 1, a + n)]
    lines = [f"v {p[0]:.4f} {p[1]:.4f} {p[2]:.4f}" for p in verts] + [f"f {a+1} {b+1} {c+1}" for a, b, c in faces]
    path.write_text("\n".join(lines) + "\n")
    return path


def tiny_settings(manifest: Path, cache: Path, **changes) -> dict:
    """Settings (PretrainConfig.from_dict input) of a fast CPU run on the synthetic set."""
    settings = {
        "data": str(manifest),
        "cache": str(cache),
        "epochs": 2,
        "batch_size": 8,
        "lr": 1e-3,
        "device": "cpu",
        "num_workers": 0,
        "progress": False,
        "seed": 3,
        "model": dict(TINY_MODEL),
    }
    settings.update(changes)
    return settings


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over a state_dict's names and tensor bytes."""
    h = hashlib.sha256()
    for name in sorted(state):
        h.update(name.encode())
        h.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


if __name__ == "__main__":  # used by the subprocess tests: run the CLI with the fake text encoder
    import core.train.pretraining as _pretrain

    _pretrain.build_text_encoder = fake_build_text_encoder
    digest_dir = os.environ.get("PRETRAIN_TEST_DIGEST_DIR")
    if digest_dir:  # each rank writes a digest of its final weights
        original = _pretrain._Trainer._summary

        def _summary_with_digest(self, *a, **k):
            Path(digest_dir, f"rank{self.info.rank}.txt").write_text(state_digest(self.model.state_dict()))
            return original(self, *a, **k)

        _pretrain._Trainer._summary = _summary_with_digest
    import argparse

    from core.cli import pretrain_cmd

    parser = argparse.ArgumentParser(prog="smile-vlm")
    pretrain_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(sys.argv[1:])
    try:
        sys.exit(args.handler(args))
    except (ValueError, FileNotFoundError) as exc:
        print(f"smile-vlm pretrain: error: {exc}", file=sys.stderr)
        sys.exit(1)
