import torch

from core.train.rng import derive_seed, seeded_generator


def test_derived_seeds_are_pure_and_distinct():
    assert derive_seed(3, "augment", 0, 5) == derive_seed(3, "augment", 0, 5)
    seeds = {derive_seed(3, "augment", r, s) for r in range(2) for s in range(50)}
    seeds |= {derive_seed(4, "augment", 0, 0), derive_seed(3, "prompt", 0, 0)}
    assert len(seeds) == 102
    assert all(0 <= s < 2**63 for s in seeds)


def test_seeded_generator_reproduces():
    a = torch.rand(4, generator=seeded_generator("cpu", 1, "x"))
    b = torch.rand(4, generator=seeded_generator("cpu", 1, "x"))
    assert torch.equal(a, b)
