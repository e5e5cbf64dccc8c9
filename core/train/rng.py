"""Seeds and random-number-generator state for reproducible, resumable training.

derive_seed(seed, *tags): a 63-bit seed that is a pure function of its arguments (BLAKE2b of their repr), used to
seed one generator per purpose and step ("augment", rank, step), so a step's randomness does not depend on how the
run got there (interrupted and resumed or not).
The global generators' states (torch CPU and CUDA, numpy, Python) are captured for checkpoints by
core.model.checkpoint.capture_rng_state / restore_rng_state.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch


def derive_seed(seed: int, *tags: object) -> int:
    """A seed in [0, 2**63) determined by ``seed`` and ``tags`` alone."""
    digest = hashlib.blake2b(repr((int(seed),) + tags).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def seeded_generator(device: torch.device | str, seed: int, *tags: object) -> torch.Generator:
    """A torch.Generator on ``device`` seeded with derive_seed(seed, *tags)."""
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(derive_seed(seed, *tags))
    return gen


def seed_everything(seed: int) -> None:
    """Seed the global torch (CPU and CUDA), numpy and Python generators from ``seed``."""
    torch.manual_seed(derive_seed(seed, "torch"))
    np.random.seed(derive_seed(seed, "numpy") % (2**32))
    random.seed(derive_seed(seed, "python"))

