import pytest
import torch

from core.model.projector import Projector


def test_shapes_and_layers():
    g = Projector(16, 32, 8)
    assert g(torch.randn(4, 16)).shape == (4, 8)
    kinds = [type(m).__name__ for m in g.net]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear"]


def test_bad_shapes_and_sizes():
    g = Projector(16, 32, 8)
    with pytest.raises(ValueError, match=r"\(B, 16\)"):
        g(torch.randn(4, 15))
    with pytest.raises(ValueError, match="batch"):
        g(torch.randn(1, 16))
    g.eval()
    assert g(torch.randn(1, 16)).shape == (1, 8)
    with pytest.raises(ValueError):
        Projector(0, 4, 4)
