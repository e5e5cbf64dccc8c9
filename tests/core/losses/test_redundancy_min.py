import pytest
import torch

from core.losses import redundancy_min
from naive import naive_redundancy_min


def test_matches_naive_equation():
    g = torch.Generator().manual_seed(0)
    zf, zt = torch.randn(7, 4, generator=g), torch.randn(7, 4, generator=g)
    assert redundancy_min(zf, zt, 0.02).item() == pytest.approx(naive_redundancy_min(zf, zt, 0.02), rel=1e-5)


def test_zero_when_text_equals_decorrelated_vision():
    hadamard = torch.tensor([[1.0, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]])
    z = hadamard[:, 1:].repeat(2, 1)  # zero-mean, mutually orthogonal columns: C = identity
    assert redundancy_min(z, z.clone(), 1.0).item() == pytest.approx(0.0, abs=1e-4)


def test_off_diagonal_weight_scales_redundancy_term():
    g = torch.Generator().manual_seed(1)
    zf, zt = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    base = redundancy_min(zf, zt, 0.0).item()
    off = naive_redundancy_min(zf, zt, 1.0) - naive_redundancy_min(zf, zt, 0.0)
    assert redundancy_min(zf, zt, 0.5).item() == pytest.approx(base + 0.5 * off, rel=1e-5)


@pytest.mark.parametrize(
    "zf, zt, lambd",
    [
        (torch.randn(4, 3), torch.randn(4, 2), 0.1),
        (torch.randn(2, 4, 3), torch.randn(2, 4, 3), 0.1),
        (torch.randn(1, 3), torch.randn(1, 3), 0.1),
        (torch.randn(4, 3), torch.randn(4, 3), -1.0),
    ],
)
def test_rejects_bad_input(zf, zt, lambd):
    with pytest.raises(ValueError):
        redundancy_min(zf, zt, lambd)
