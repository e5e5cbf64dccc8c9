import numpy as np
import pytest
import torch

from core.model.preprocess import IMAGENET_MEAN, IMAGENET_STD, normalize_views, views_to_tensor


def test_views_to_tensor_moves_channels_first():
    views = np.random.default_rng(0).integers(0, 256, (3, 8, 9, 3), dtype=np.uint8)
    x = views_to_tensor(views)
    assert x.shape == (3, 3, 8, 9) and x.dtype == torch.uint8
    assert torch.equal(x[1, 2], torch.from_numpy(views[1, :, :, 2]))


def test_views_to_tensor_refuses_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        views_to_tensor(np.zeros((3, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="RGB"):
        views_to_tensor(np.zeros((3, 8, 8, 4), np.uint8))


def test_normalize_uint8_and_float_agree():
    x = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    a = normalize_views(x, IMAGENET_MEAN, IMAGENET_STD)
    b = normalize_views(x.float() / 255, IMAGENET_MEAN, IMAGENET_STD)
    assert torch.allclose(a, b)
    expected = (x[0, 1, 2, 3].item() / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1]
    assert a[0, 1, 2, 3].item() == pytest.approx(expected, rel=1e-5)


def test_normalize_refuses_bad_input():
    with pytest.raises(ValueError):
        normalize_views(torch.zeros(2, 4, 4, 4, dtype=torch.uint8), IMAGENET_MEAN, IMAGENET_STD)
    with pytest.raises(ValueError):
        normalize_views(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), IMAGENET_MEAN, (1, 0, 1))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64, torch.bfloat16])
def test_normalize_is_bitwise_the_plain_formula_and_leaves_its_input_alone(dtype):
    g = torch.Generator().manual_seed(0)
    if dtype == torch.uint8:
        x = torch.randint(0, 256, (2, 3, 5, 6), dtype=dtype, generator=g)
        expected = (x.float() / 255.0 - torch.tensor(IMAGENET_MEAN).view(3, 1, 1)) / torch.tensor(IMAGENET_STD).view(
            3, 1, 1
        )
    else:
        x = torch.rand(2, 3, 5, 6, generator=g).to(dtype)
        expected = (x.float() - torch.tensor(IMAGENET_MEAN).view(3, 1, 1)) / torch.tensor(IMAGENET_STD).view(3, 1, 1)
    before = x.clone()
    out = normalize_views(x, IMAGENET_MEAN, IMAGENET_STD)
    assert out.dtype == torch.float32 and torch.equal(out, expected)
    assert torch.equal(x, before)


def test_normalize_passes_gradients_to_a_float_input():
    x = torch.rand(2, 3, 4, 4, requires_grad=True)
    normalize_views(x, IMAGENET_MEAN, IMAGENET_STD).sum().backward()
    assert torch.allclose(x.grad[0, 1], torch.full((4, 4), 1 / IMAGENET_STD[1]))
