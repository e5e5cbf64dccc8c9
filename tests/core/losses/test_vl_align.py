import math

import pytest
import torch

from core.losses import vl_align
from naive import naive_vl_align


def test_matches_naive_equation():
    g = torch.Generator().manual_seed(0)
    zv, zf, zt = torch.randn(3, 5, 4, generator=g), torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    assert vl_align(zv, zf, zt, 0.1).item() == pytest.approx(naive_vl_align(zv, zf, zt, 0.1), rel=1e-5)


def test_perfect_alignment_beats_random_and_chance_level():
    batch = 6
    text = torch.eye(batch)
    aligned = vl_align(text.unsqueeze(0).repeat(3, 1, 1), text, text, 0.05).item()
    shuffled = text[torch.roll(torch.arange(batch), 1)]
    misaligned = vl_align(shuffled.unsqueeze(0).repeat(3, 1, 1), shuffled, text, 0.05).item()
    assert aligned < 1e-3 < math.log(batch) < misaligned


def test_symmetric_variant_is_optional_and_different():
    g = torch.Generator().manual_seed(3)
    zv, zf, zt = torch.randn(2, 4, 3, generator=g), torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    one_way = vl_align(zv, zf, zt, 0.2)
    assert one_way.item() == pytest.approx(naive_vl_align(zv, zf, zt, 0.2), rel=1e-5)
    assert vl_align(zv, zf, zt, 0.2, symmetric=True).item() != pytest.approx(one_way.item(), rel=1e-4)


def test_gradients_reach_all_visual_inputs():
    zv = torch.randn(2, 4, 3, requires_grad=True)
    zf = torch.randn(4, 3, requires_grad=True)
    zt = torch.randn(4, 3, requires_grad=True)
    vl_align(zv, zf, zt, 0.07).backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (zv, zf, zt))


@pytest.mark.parametrize("tau", [0.0, -1.0, float("inf"), float("nan")])
def test_rejects_bad_temperature(tau):
    with pytest.raises(ValueError):
        vl_align(torch.randn(2, 4, 3), torch.randn(4, 3), torch.randn(4, 3), tau)


@pytest.mark.parametrize(
    "shapes",
    [((2, 4, 3), (4, 3), (5, 3)), ((2, 4, 3), (4, 2), (4, 3)), ((4, 3), (4, 3), (4, 3)), ((2, 1, 3), (1, 3), (1, 3))],
)
def test_rejects_bad_shapes(shapes):
    with pytest.raises(ValueError):
        vl_align(*(torch.randn(*s) for s in shapes), 0.1)
