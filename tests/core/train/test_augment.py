import pytest
import torch

from core.train.augment import AugmentConfig, augment_views


def _views(seed=0, shape=(4, 3, 3, 32, 32)):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, 256, shape, generator=g, dtype=torch.uint8)
    x[..., :4, :] = 0  # a black background band like the renders
    return x


def test_keeps_shape_dtype_and_changes_views():
    x = _views()
    y = augment_views(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape and y.dtype == torch.uint8
    diff = (y.float() - x.float()).abs().mean(dim=(-3, -2, -1))  # per image
    assert bool((diff > 1.0).all()), "every image must be changed"


def test_float_input_stays_float_in_unit_range():
    x = _views().float() / 255.0
    y = augment_views(x, torch.Generator().manual_seed(1))
    assert y.dtype == torch.float32 and y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert not torch.allclose(x, y)


def test_reproducible_from_seed_and_independent_draws():
    x = _views()
    a = augment_views(x, torch.Generator().manual_seed(7))
    b = augment_views(x, torch.Generator().manual_seed(7))
    c = augment_views(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    g = torch.Generator().manual_seed(7)
    first, second = augment_views(x, g), augment_views(x, g)
    assert torch.equal(first, a) and not torch.equal(first, second)


def test_images_get_different_parameters():
    x = _views(shape=(1, 1, 3, 32, 32)).expand(6, 1, 3, 32, 32).contiguous()
    y = augment_views(x, torch.Generator().manual_seed(0))
    assert len({bytes(y[i].numpy().tobytes()) for i in range(6)}) == 6


def test_identity_settings_only_quantise():
    cfg = AugmentConfig(
        crop_scale=(1.0, 1.0), max_rotation_deg=0, brightness=0, contrast=0, gamma=0, noise_std=0, occlusion_prob=0
    )
    x = _views()
    y = augment_views(x, torch.Generator().manual_seed(0), cfg)
    assert torch.equal(x, y)


def test_occlusion_paints_a_rectangle():
    cfg = AugmentConfig(
        crop_scale=(1.0, 1.0), max_rotation_deg=0, brightness=0, contrast=0, gamma=0, noise_std=0,
        occlusion_prob=1.0, occlusion_size=(0.3, 0.3),
    )
    x = _views(shape=(2, 3, 32, 32))
    y = augment_views(x, torch.Generator().manual_seed(0), cfg)
    changed = (y != x).any(dim=1)  # (M, H, W)
    for m in range(2):
        rows = changed[m].any(dim=1).nonzero().flatten()
        cols = changed[m].any(dim=0).nonzero().flatten()
        assert 6 <= len(rows) <= 11 and 6 <= len(cols) <= 11  # ~0.3 * 32 px square
        fill = y[m][:, rows[0] + 1, cols[0] + 1]
        assert bool((fill == fill[0]).all()), "the patch is a uniform grey"


def test_shading_jitter_leaves_geometry_channels_and_background():
    cfg = AugmentConfig(crop_scale=(1.0, 1.0), max_rotation_deg=0, noise_std=0, occlusion_prob=0, brightness=0.5)
    x = _views(shape=(8, 3, 32, 32))
    y = augment_views(x, torch.Generator().manual_seed(0), cfg)
    assert torch.equal(y[:, 1:], x[:, 1:])
    assert bool((y[:, :, :4, :] == 0).all())
    assert not torch.equal(y[:, 0], x[:, 0])


def test_rejects_bad_input_and_settings():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, H, W\)"):
        augment_views(torch.zeros(2, 4, 8, 8, dtype=torch.uint8), torch.Generator())
    with pytest.raises(ValueError, match="uint8 or floating"):
        augment_views(torch.zeros(2, 3, 8, 8, dtype=torch.int32), torch.Generator())
    with pytest.raises(ValueError, match="crop_scale"):
        AugmentConfig(crop_scale=(0.9, 0.5))
    with pytest.raises(ValueError, match="occlusion_prob"):
        AugmentConfig(occlusion_prob=1.5)
    with pytest.raises(ValueError, match="shading_channels"):
        AugmentConfig(shading_channels=(3,))
    with pytest.raises(ValueError, match="unknown augment"):
        AugmentConfig.from_dict({"flip": True})


def test_dict_round_trip():
    cfg = AugmentConfig(crop_scale=(0.7, 0.9), shading_channels=(0, 2))
    assert AugmentConfig.from_dict(cfg.to_dict()) == cfg
