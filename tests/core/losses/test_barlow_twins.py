import pytest
import torch

from core.losses import mv_barlow_twins
from naive import naive_corr, naive_mv_bt, naive_objective


def test_matches_naive_equation():
    g = torch.Generator().manual_seed(0)
    za, zb = torch.randn(3, 6, 4, generator=g), torch.randn(3, 6, 4, generator=g)
    assert mv_barlow_twins(za, zb, 0.05).item() == pytest.approx(naive_mv_bt(za, zb, 0.05), rel=1e-5)


def test_single_view_is_standard_barlow_twins():
    g = torch.Generator().manual_seed(1)
    za, zb = torch.randn(1, 8, 5, generator=g), torch.randn(1, 8, 5, generator=g)
    standard_bt = naive_objective(naive_corr(za[0], zb[0]), 0.01)
    assert mv_barlow_twins(za, zb, 0.01).item() == pytest.approx(standard_bt, rel=1e-5)


def test_correlations_are_averaged_before_the_loss():
    g = torch.Generator().manual_seed(2)
    za, zb = torch.randn(2, 8, 3, generator=g), torch.randn(2, 8, 3, generator=g)
    zb[1] = -zb[0]
    za[1] = za[0]  # view 2's correlation is exactly the negative of view 1's: they cancel in the average
    mean_of_losses = sum(naive_objective(naive_corr(za[i], zb[i]), 0.1) for i in range(2)) / 2
    loss = mv_barlow_twins(za, zb, 0.1).item()
    assert loss == pytest.approx(3.0, abs=1e-5)  # C_bar = 0: each of the D=3 diagonal terms is (0 - 1)^2
    assert loss != pytest.approx(mean_of_losses, rel=1e-2)


def test_identical_standardised_views_have_no_on_diagonal_loss():
    z = torch.eye(4).repeat(2, 1)  # decorrelated features
    za = z.unsqueeze(0).repeat(2, 1, 1)
    loss = mv_barlow_twins(za, za.clone(), 0.0)
    assert loss.item() == pytest.approx(0.0, abs=1e-4)


def test_gradients_flow():
    za = torch.randn(2, 5, 3, requires_grad=True)
    zb = torch.randn(2, 5, 3, requires_grad=True)
    mv_barlow_twins(za, zb, 0.005).backward()
    assert za.grad is not None and torch.isfinite(za.grad).all() and za.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "za, zb, lambd",
    [
        (torch.randn(2, 5, 3), torch.randn(2, 5, 4), 0.1),  # mismatched D
        (torch.randn(5, 3), torch.randn(5, 3), 0.1),  # not (N, B, D)
        (torch.randn(2, 1, 3), torch.randn(2, 1, 3), 0.1),  # B < 2
        (torch.randn(2, 5, 3), torch.randn(2, 5, 3), -0.1),  # lambda < 0
        (torch.randn(2, 5, 3), torch.randn(2, 5, 3), float("nan")),
    ],
)
def test_rejects_bad_input(za, zb, lambd):
    with pytest.raises(ValueError):
        mv_barlow_twins(za, zb, lambd)
