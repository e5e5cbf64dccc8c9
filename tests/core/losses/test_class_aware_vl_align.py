import pytest
import torch

from core.losses import class_aware_vl_align, vl_align
from naive import naive_class_aware_vl_align


def _inputs(seed=0, n=3, b=8, d=5):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, b, d, generator=g), torch.randn(b, d, generator=g), torch.randn(b, d, generator=g)


def test_matches_naive_equation():
    zv, zf, zt = _inputs()
    classes = torch.tensor([0, 1, 0, 2, 1, 0, 3, 2])
    got = class_aware_vl_align(zv, zf, zt, classes, 0.1).item()
    assert got == pytest.approx(naive_class_aware_vl_align(zv, zf, zt, classes, 0.1), rel=1e-5)


def test_distinct_classes_give_eq6_exactly():
    zv, zf, zt = _inputs(1)
    classes = torch.arange(8)
    assert class_aware_vl_align(zv, zf, zt, classes, 0.07).item() == pytest.approx(
        vl_align(zv, zf, zt, 0.07).item(), rel=1e-6
    )
    assert class_aware_vl_align(zv, zf, zt, classes, 0.07, symmetric=True).item() == pytest.approx(
        vl_align(zv, zf, zt, 0.07, symmetric=True).item(), rel=1e-6
    )


def test_same_class_texts_are_not_pushed_apart():
    # Two samples of one class drew the same prompt: Eq. 6 cannot go below log 2 for them, the class-aware loss can.
    text = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    views = text.unsqueeze(0).repeat(2, 1, 1)
    classes = torch.tensor([0, 0, 1, 1])
    aware = class_aware_vl_align(views, text, text, classes, 0.01).item()
    plain = vl_align(views, text, text, 0.01).item()
    assert plain == pytest.approx(torch.log(torch.tensor(2.0)).item(), rel=1e-3)
    assert aware == pytest.approx(plain, rel=1e-3)  # same value here: uniform over the two identical positives
    shifted = class_aware_vl_align(views, text, text, torch.tensor([0, 1, 0, 1]), 0.01).item()
    assert shifted > aware + 10  # wrong classes as positives cost a lot


def test_gradients_reach_all_inputs():
    zv, zf, zt = (t.requires_grad_() for t in _inputs(2))
    class_aware_vl_align(zv, zf, zt, torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]), 0.1, symmetric=True).backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (zv, zf, zt))


@pytest.mark.parametrize(
    "classes", [torch.tensor([0, 1, 2]), torch.zeros(8, 1, dtype=torch.long), torch.zeros(8), torch.ones(8).bool()]
)
def test_rejects_bad_classes(classes):
    with pytest.raises(ValueError):
        class_aware_vl_align(*_inputs(), classes, 0.1)


def test_rejects_bad_temperature():
    with pytest.raises(ValueError):
        class_aware_vl_align(*_inputs(), torch.arange(8), 0.0)
