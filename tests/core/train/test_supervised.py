import numpy as np
import pytest
import torch

from core.model.config import ModelConfig
from core.train.supervised import SupervisedBaseline, supervised_step

from pretrain_helpers import TINY_MODEL, class_views


def test_logits_shape_and_trainable_parameters():
    torch.manual_seed(0)
    model = SupervisedBaseline.from_config(ModelConfig(**TINY_MODEL), n_classes=4)
    x = torch.randint(0, 256, (2, 3, 3, 32, 32), dtype=torch.uint8)
    assert model(x).shape == (2, 4)
    trainable = {id(p) for p in model.trainable_parameters()}
    assert not {id(p) for p in model.encoder.text_proj.parameters()} & trainable
    assert {id(p) for p in model.classifier.parameters()} <= trainable
    with pytest.raises(ValueError, match="n_classes"):
        SupervisedBaseline(model.encoder, 1)


def test_cross_entropy_training_fits_the_synthetic_classes():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = torch.tensor([0, 1, 2, 3] * 3)
    views = torch.from_numpy(np.stack([class_views(int(k), rng) for k in labels])).permute(0, 1, 4, 2, 3).contiguous()
    model = SupervisedBaseline.from_config(ModelConfig(**TINY_MODEL), n_classes=4)
    opt = torch.optim.Adam(model.trainable_parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    losses = [float(supervised_step(model, views, labels, opt, gen)) for _ in range(8)]
    assert np.mean(losses[-2:]) < 0.6 * np.mean(losses[:2]), losses
    with pytest.raises(ValueError, match="generator"):
        supervised_step(model, views, labels, opt, None)
