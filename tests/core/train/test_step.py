"""The SMILE-VLM step's host-memory tuning (StepForward.tune_host_allocator) and that steps stay deterministic."""

import pytest
import torch

from core.losses import LossWeights
from core.model.config import ModelConfig
from core.model.smile_vlm import SmileVLM
from core.train.augment import AugmentConfig
from core.train.step import StepForward, train_step


def test_tuning_is_once_per_process_and_says_whether_it_holds():
    first = StepForward.tune_host_allocator()
    assert isinstance(first, bool)
    assert StepForward.tune_host_allocator() is first


@pytest.mark.parametrize(
    "name, value",
    [
        ("MALLOC_MMAP_THRESHOLD_", "65536"),
        ("MALLOC_TRIM_THRESHOLD_", "65536"),
        ("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"),
    ],
)
def test_user_malloc_settings_are_left_alone(monkeypatch, name, value):
    monkeypatch.setattr(StepForward, "_host_allocator_tuned", None)
    monkeypatch.setenv(name, value)
    assert StepForward.tune_host_allocator() is False


def _weights_after_steps(steps: int) -> list[torch.Tensor]:
    torch.manual_seed(0)
    config = ModelConfig.from_dict({**ModelConfig.default().to_dict(), "n_views": 2, "image_size": 32})
    model = SmileVLM(config, 8).train()
    forward = StepForward(model, with_text=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(1)
    data = torch.Generator().manual_seed(2)
    for _ in range(steps):
        views = torch.randint(0, 256, (4, 2, 3, 32, 32), dtype=torch.uint8, generator=data)
        text = torch.randn(4, 8, generator=data)
        loss, terms = train_step(forward, views, text, opt, LossWeights(), AugmentConfig(), gen)
        assert torch.isfinite(loss) and set(terms) == {"mv_bt", "vl_align", "red_min"}
    return [p.detach().clone() for p in model.parameters()]


def test_same_seed_same_weights():
    a, b = _weights_after_steps(3), _weights_after_steps(3)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
