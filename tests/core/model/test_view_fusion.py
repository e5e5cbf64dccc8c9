import pytest
import torch

from core.model.view_fusion import ViewAttentionFusion


@pytest.fixture
def fusion():
    torch.manual_seed(0)
    return ViewAttentionFusion(8, 16)


def test_weights_sum_to_one_and_z_is_their_average(fusion):
    z = torch.randn(3, 5, 8)
    z_mv, w = fusion(z)
    assert z_mv.shape == (5, 8) and w.shape == (5, 3)
    assert torch.allclose(w.sum(dim=1), torch.ones(5))
    assert (w > 0).all()
    assert torch.allclose(z_mv, (w.T.unsqueeze(-1) * z).sum(dim=0), atol=1e-6)


def test_view_weights_depend_on_the_views(fusion):
    z = torch.randn(3, 2, 8) * 3
    _, w = fusion(z)
    assert not torch.allclose(w[0], torch.full((3,), 1 / 3))


def test_mask_gives_exact_zero_weight_and_matches_fusing_present_views_only(fusion):
    z = torch.randn(3, 4, 8)
    mask = torch.tensor([[True, True, True], [True, False, True], [False, False, True], [False, True, True]])
    z_mv, w = fusion(z, mask)
    assert (w[~mask] == 0).all()
    assert torch.allclose(w.sum(dim=1), torch.ones(4))
    assert w[2, 2] == 1
    for b in range(4):
        present = mask[b]
        z_sub, w_sub = fusion(z[present][:, b : b + 1])
        assert torch.allclose(z_mv[b], z_sub[0], atol=1e-6)
        assert torch.allclose(w[b, present], w_sub[0], atol=1e-6)
    unmasked, _ = fusion(z)
    assert not torch.allclose(z_mv[1], unmasked[1])
    assert torch.allclose(z_mv[0], unmasked[0])


def test_masked_view_content_cannot_leak(fusion):
    z = torch.randn(3, 2, 8)
    mask = torch.tensor([[True, False, True], [True, True, True]])
    clean, _ = fusion(z, mask)
    z[1, 0] = float("nan")
    dirty, w = fusion(z, mask)
    assert torch.equal(clean[0], dirty[0]) and w[0, 1] == 0


def test_all_views_masked_is_refused(fusion):
    mask = torch.tensor([[True, False, False], [False, False, False]])
    with pytest.raises(ValueError, match=r"sample\(s\) \[1\]"):
        fusion(torch.randn(3, 2, 8), mask)


def test_bad_shapes(fusion):
    with pytest.raises(ValueError):
        fusion(torch.randn(2, 8))
    with pytest.raises(ValueError):
        fusion(torch.randn(3, 2, 7))
    with pytest.raises(ValueError, match="mask"):
        fusion(torch.randn(3, 2, 8), torch.ones(3, 2, dtype=torch.bool))
    with pytest.raises(ValueError):
        ViewAttentionFusion(8, 0)


def test_scores_get_gradients(fusion):
    z = torch.randn(3, 4, 8, requires_grad=True)
    z_mv, _ = fusion(z)
    z_mv.pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in fusion.parameters())
    assert z.grad is not None
