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


def test_per_dim_scale_divides_both_barlow_terms_by_d():
    za, zb, zv, zf, zt = _inputs(2, d=6)
    w = LossWeights(alpha=0.5, beta=2.0, gamma=0.25, bt_scale="per_dim")
    total, terms = smile_vlm_loss(za, zb, zv, zf, zt, w)
    assert terms["mv_bt"].item() == pytest.approx(naive_mv_bt(za, zb, 5e-3) / 6, rel=1e-5)
    assert terms["red_min"].item() == pytest.approx(naive_redundancy_min(zf, zt, 5e-3) / 6, rel=1e-5)
    assert terms["vl_align"].item() == pytest.approx(naive_vl_align(zv, zf, zt, 0.07), rel=1e-5)
    expected = 0.5 * terms["mv_bt"] + 2.0 * terms["vl_align"] + 0.25 * terms["red_min"]
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)


def test_class_aware_option_uses_the_prompt_classes():
    from naive import naive_class_aware_vl_align

    za, zb, zv, zf, zt = _inputs(3)
    classes = torch.tensor([0, 1, 0, 1, 2, 2])
    w = LossWeights(class_aware=True)
    _, terms = smile_vlm_loss(za, zb, zv, zf, zt, w, classes=classes)
    assert terms["vl_align"].item() == pytest.approx(naive_class_aware_vl_align(zv, zf, zt, classes, 0.07), rel=1e-5)
    with pytest.raises(ValueError, match="prompt class"):
        smile_vlm_loss(za, zb, zv, zf, zt, w)


@pytest.mark.parametrize("kwargs", [{"bt_scale": "mean"}, {"class_aware": 1}, {"symmetric_vl": "yes"}])
def test_rejects_bad_recipe_settings(kwargs):
    with pytest.raises(ValueError):
        LossWeights(**kwargs)
