"""Gradient-based view maps (core.explain.gradcam): the stage-by-stage backbone is the backbone, the score is the
Analyzer's similarity, and Grad-CAM equals a plain hook-based implementation on the model's own forward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.explain.gradcam import conv_stages, view_maps
from core.explain.saliency import class_embeddings
from core.explain.settings import ExplainSettings
from core.model import ModelConfig, SmileVLM
from core.model.backbones import ResNetBackbone, SmallCNN

from .conftest import TINY, face


def _views(analyzer, seed: int = 0) -> np.ndarray:
    views, _ = analyzer.render(face(0.1 + 0.05 * seed))
    return views


@pytest.mark.parametrize("backbone", [SmallCNN, lambda: ResNetBackbone("resnet18")])
def test_stages_and_head_are_the_backbone(backbone):
    torch.manual_seed(0)
    net = backbone().eval()
    x = torch.randn(3, 3, 64, 64)
    stages, head = conv_stages(net)
    a = x
    with torch.no_grad():
        for _, module in stages:
            a = module(a)
        assert torch.equal(head(a), net(x))


def test_the_score_is_the_analyzers_similarity(tiny_analyzer):
    views = _views(tiny_analyzer)
    labels, emb = class_embeddings(tiny_analyzer)
    result = tiny_analyzer.analyze_views(views)
    for k, label in enumerate(labels):
        maps = view_maps(tiny_analyzer.model, views, emb, k, ExplainSettings())
        assert maps.score == pytest.approx(result.similarities[label], abs=1e-5)
        assert np.allclose(maps.weights, result.view_weights, atol=1e-6)
        assert maps.maps.shape == (3, 32, 32) and maps.maps.dtype == np.float32 and maps.maps.min() >= 0


def _reference_gradcam(model: SmileVLM, views: np.ndarray, emb: torch.Tensor, k: int, layer: nn.Module):
    """Grad-CAM the textbook way: hooks on ``layer`` during the model's own encode_views + fuse."""
    store = {}
    handle = layer.register_forward_hook(lambda m, i, o: store.update(act=o))
    try:
        x = torch.as_tensor(views).permute(0, 3, 1, 2).unsqueeze(0)
        fused, _ = model.fuse(model.encode_views(x))
        score = (F.normalize(fused, dim=-1) @ emb.clone().T)[0, k]
        (grad,) = torch.autograd.grad(score, store["act"])
    finally:
        handle.remove()
    act = store["act"].detach()
    cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * act).sum(1))
    return F.interpolate(cam[:, None], size=views.shape[1:3], mode="bilinear", align_corners=False)[:, 0].numpy()


def test_gradcam_equals_a_hook_based_reference_on_the_models_own_forward(tiny_analyzer):
    views = _views(tiny_analyzer, 1)
    _, emb = class_embeddings(tiny_analyzer)
    model = tiny_analyzer.model
    maps = view_maps(model, views, emb, 2, ExplainSettings(method="gradcam", min_grid=4))
    assert maps.layer == "features.14" and maps.grid == (4, 4)  # smallcnn, 32 px: the second stage's 4 x 4 map
    reference = _reference_gradcam(model, views, emb, 2, model.backbone.features[14])
    assert np.allclose(maps.maps, reference, atol=1e-6 * max(1.0, float(reference.max())))
    assert not model.backbone.features[14]._forward_hooks  # nothing left on the shared model


@pytest.mark.parametrize("min_grid, layer, grid", [(1, "features.23", (1, 1)), (8, "features.8", (8, 8)),
                                                   (16, "features.2", (16, 16)), (64, "features.2", (16, 16))])
def test_the_explained_map_is_the_deepest_with_enough_cells(tiny_analyzer, min_grid, layer, grid):
    _, emb = class_embeddings(tiny_analyzer)
    maps = view_maps(tiny_analyzer.model, _views(tiny_analyzer), emb, 0, ExplainSettings(min_grid=min_grid))
    assert (maps.layer, maps.grid) == (layer, grid)


@pytest.mark.parametrize("method", ["layercam", "gradient"])
def test_other_methods_give_non_negative_maps_of_the_view_size(tiny_analyzer, method):
    _, emb = class_embeddings(tiny_analyzer)
    maps = view_maps(tiny_analyzer.model, _views(tiny_analyzer), emb, 1, ExplainSettings(method=method))
    assert maps.method == method and maps.maps.shape == (3, 32, 32) and maps.maps.min() >= 0
    assert maps.maps.max() > 0
    assert (maps.layer == "input") == (method == "gradient")


class _Flat(nn.Module):
    """A backbone without convolutional feature maps (like a CLIP ViT tower)."""

    def __init__(self):
        super().__init__()
        self.mean, self.std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
        self.feature_dim = 256
        self.fc = nn.Linear(3 * 32 * 32, 256)

    def forward(self, x):
        return torch.tanh(self.fc(x.flatten(1)))


def test_a_backbone_without_feature_maps_gets_input_gradients(tiny_analyzer):
    torch.manual_seed(0)
    model = SmileVLM(TINY, 384).eval()
    model.backbone = _Flat()
    _, emb = class_embeddings(tiny_analyzer)
    maps = view_maps(model, _views(tiny_analyzer), emb, 0, ExplainSettings(method="gradcam"))
    assert (maps.method, maps.layer, maps.grid) == ("gradient", "input", (32, 32))
    assert maps.maps.max() > 0


def test_inference_mode_callers_still_get_gradients(tiny_analyzer):
    views = _views(tiny_analyzer)
    _, emb = class_embeddings(tiny_analyzer)
    plain = view_maps(tiny_analyzer.model, views, emb, 0)
    with torch.inference_mode():
        inside = view_maps(tiny_analyzer.model, views, emb, 0)
    assert np.array_equal(plain.maps, inside.maps)


def test_bad_inputs_are_refused(tiny_analyzer):
    _, emb = class_embeddings(tiny_analyzer)
    views = _views(tiny_analyzer)
    with pytest.raises(ValueError, match="class index"):
        view_maps(tiny_analyzer.model, views, emb, 99)
    with pytest.raises(ValueError, match="uint8"):
        view_maps(tiny_analyzer.model, views.astype(np.float32), emb, 0)


def test_resnet_backbones_are_explained_on_their_own_maps():
    torch.manual_seed(0)
    model = SmileVLM(ModelConfig(backbone="resnet18", embed_dim=16, proj_hidden=32, fusion_hidden=8,
                                 image_size=64), 384).eval()
    emb = F.normalize(torch.randn(3, 16), dim=-1)
    views = np.random.default_rng(0).integers(0, 255, (3, 64, 64, 3), dtype=np.uint8)
    maps = view_maps(model, views, emb, 0, ExplainSettings(min_grid=4))
    assert (maps.layer, maps.grid) == ("layer3", (4, 4))  # 64 px: stem 16, layer1 16, layer2 8, layer3 4, layer4 2
    assert maps.maps.shape == (3, 64, 64)
