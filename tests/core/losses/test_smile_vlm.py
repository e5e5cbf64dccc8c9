import pytest
import torch

from core.losses import LossWeights, smile_vlm_loss
from naive import naive_mv_bt, naive_redundancy_min, naive_vl_align


def _inputs(seed=0, n=3, b=6, d=4):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*s, generator=g) for s in [(n, b, d), (n, b, d), (n, b, d), (b, d), (b, d)])


def test_total_is_weighted_sum_of_the_three_equations():
    za, zb, zv, zf, zt = _inputs()
    w = LossWeights(alpha=0.5, beta=2.0, gamma=0.25, lambd_bt=0.01, lambd_rm=0.02, tau=0.1)
    total, terms = smile_vlm_loss(za, zb, zv, zf, zt, w)
    expected = {
        "mv_bt": naive_mv_bt(za, zb, 0.01),
        "vl_align": naive_vl_align(zv, zf, zt, 0.1),
        "red_min": naive_redundancy_min(zf, zt, 0.02),
    }
    for name, value in expected.items():
        assert terms[name].item() == pytest.approx(value, rel=1e-5)
    weighted = 0.5 * expected["mv_bt"] + 2.0 * expected["vl_align"] + 0.25 * expected["red_min"]
    assert total.item() == pytest.approx(weighted, rel=1e-5)


def test_language_free_setting_is_mv_bt_only():
    za, zb, zv, zf, _ = _inputs(1)
    total, terms = smile_vlm_loss(za, zb, zv, zf, None, LossWeights(beta=0.0, gamma=0.0))
    assert set(terms) == {"mv_bt"}
    assert total.item() == pytest.approx(terms["mv_bt"].item())
    with pytest.raises(ValueError):
        smile_vlm_loss(za, zb, zv, zf, None, LossWeights())


@pytest.mark.parametrize(
    "kwargs", [{"alpha": -1.0}, {"beta": float("nan")}, {"tau": 0.0}, {"lambd_bt": -0.1}, {"lambd_rm": float("inf")}]
)
def test_rejects_bad_hyper_parameters(kwargs):
    with pytest.raises(ValueError):
        LossWeights(**kwargs)
