"""Gradient-based maps of a class's zero-shot score over each rendered view: one forward and one backward pass for all
views together.

The score explained is the zero-shot similarity the Analyzer ranks classes by (core.inference.analyzer):

    s_c = cos(z^mv, m_c),   z^mv = sum_i w_i g_v(f_v(x_i)),   m_c the class's text embedding (unit mean of its prompts)

(the class's logit s_c / tau / T has the same gradient up to a positive factor, so the maps are the same after
normalisation; the probability P(c) would mix in every other class). Its gradient reaches each view x_i through its
own embedding z'_i and through the fusion weights w, so one backward pass gives every view's map.

Methods (core.explain.settings, resources/explain.json):

* ``gradcam`` (Selvaraju et al., ICCV 2017): for the explained feature map A (K channels, h x w cells) of each view,
  alpha_k = mean over cells of ds/dA_k and map = ReLU(sum_k alpha_k A_k);
* ``layercam`` (Jiang et al., IEEE TIP 2021): map = sum_k ReLU(ds/dA_k) * A_k cell by cell, meant for shallower
  maps than Grad-CAM's;
* ``gradient`` (Simonyan et al., 2014): map = sum over colour channels of |ds/dx| at every pixel of the normalised
  view; what a backbone without convolutional feature maps (a CLIP ViT tower) always gets.

Which feature map: Grad-CAM is usually taken on the backbone's last convolutional map, but the default model's
``smallcnn`` has a total stride of 32, so its 32 px views end on a 1 x 1 map: one number per view, no map at all. The
map explained is therefore the deepest one with at least ``min_grid`` cells along each side (resources/explain.json:
4, the 4 x 4 output of smallcnn's second stage for 32 px views; the last map itself whenever it is that large, e.g.
ResNet-18 on 128 px views). Its cells are each 8 pixels of a 32 px view. The maps are upsampled bilinearly to the
view's size; they are >= 0 and share one scale across the views (the same score's gradient), not normalised here.

No hooks are registered on the model (an app may be analysing with it in another thread at the same time): the
backbone is run stage by stage here, with exactly the modules and arithmetic of its own forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.explain.settings import ExplainSettings
from core.model.backbones import ResNetBackbone, SmallCNN
from core.model.preprocess import views_to_tensor

Stages = tuple[list[tuple[str, nn.Module]], Callable[[torch.Tensor], torch.Tensor]]


@dataclass(frozen=True, eq=False)
class ViewMaps:
    """maps: (N, S, S) float32 >= 0, each view's map at the view's size, one scale for all views (not normalised).
    method: the method used; layer: the explained feature map ("input" for gradient); grid: its cells (h, w).
    class_index: the class explained; similarities: (C,) float64 every class's cosine s_c (the explained one is
    ``similarities[class_index]``); weights: (N,) float64 the fusion weights w_i."""

    maps: np.ndarray
    method: str
    layer: str
    grid: tuple[int, int]
    class_index: int
    similarities: np.ndarray
    weights: np.ndarray

    @property
    def score(self) -> float:
        return float(self.similarities[self.class_index])


def conv_stages(backbone: nn.Module) -> Stages | None:
    """The backbone as named stages, each ending on a convolutional feature map, and the head that turns the last
    map into features ((stages, head), the same arithmetic as the backbone's forward); None for a backbone without
    convolutional maps (CLIP towers)."""
    if isinstance(backbone, SmallCNN):
        layers = list(backbone.features)
        stages, start = [], 0
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.ReLU):  # each conv-BN-ReLU block ends on a ReLU
                stages.append((f"features.{i}", nn.Sequential(*layers[start:i + 1])))
                start = i + 1
        if start != len(layers):
            return None
        return stages, lambda a: a.mean(dim=(2, 3))
    if isinstance(backbone, ResNetBackbone):
        net = backbone.net
        stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        stages = [("stem", stem)] + [(f"layer{i}", getattr(net, f"layer{i}")) for i in range(1, 5)]
        return stages, lambda a: net.fc(torch.flatten(net.avgpool(a), 1))
    return None


def _explained_stage(sizes: list[tuple[int, int]], min_grid: int) -> int:
    """Index of the deepest map with >= min_grid cells along each side (the first, largest, when none has)."""
    ok = [i for i, (h, w) in enumerate(sizes) if min(h, w) >= min_grid]
    return ok[-1] if ok else 0


def view_maps(model: nn.Module, views: np.ndarray, class_embeddings: torch.Tensor, class_index: int,
              settings: ExplainSettings | None = None) -> ViewMaps:
    """Maps of class ``class_index``'s score over the views (N, S, S, 3) uint8 of one sample (see the module
    docstring). model: a SmileVLM in eval mode; class_embeddings: (C, D) unit class embeddings of the model."""
    settings = settings or ExplainSettings.default()
    views = np.asarray(views)
    if views.dtype != np.uint8 or views.ndim != 4 or views.shape[-1] != 3 or views.shape[0] < 1:
        raise ValueError(f"views must be uint8 (N, S, S, 3), got {views.dtype} {views.shape}")
    n_classes = int(class_embeddings.shape[0])
    if not 0 <= int(class_index) < n_classes:
        raise ValueError(f"class index {class_index} is outside the {n_classes} classes")
    size = views.shape[1:3]
    device = next(model.parameters()).device
    stages = None if settings.method == "gradient" else conv_stages(model.backbone)
    method = settings.method if stages is not None else "gradient"
    with torch.inference_mode(False), torch.enable_grad():
        x = model.preprocess(views_to_tensor(views).to(device))  # (N, 3, S, S)
        if stages is None:
            x.requires_grad_(True)
            target, layer = x, "input"
            features = model.backbone(x)
        else:
            names, acts, a = [], [], x
            for name, module in stages[0]:
                a = module(a)
                names.append(name)
                acts.append(a)
            k = _explained_stage([tuple(t.shape[-2:]) for t in acts], settings.min_grid)
            target, layer = acts[k], names[k]
            features = stages[1](a)
        z = model.projector(features)  # (N, D): the N views of one sample
        fused, weights = model.fuse(z.unsqueeze(1))  # (1, D), (1, N)
        emb = class_embeddings.to(fused.device).float().clone()  # a normal tensor (it may come from inference mode)
        sims = F.normalize(fused.float(), dim=-1) @ emb.T  # (1, C)
        (grad,) = torch.autograd.grad(sims[0, int(class_index)], target)
    with torch.no_grad():
        act = target.detach()
        if method == "gradient":
            cam = grad.abs().sum(dim=1)
        elif method == "layercam":
            cam = (F.relu(grad) * act).sum(dim=1)
        else:
            cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * act).sum(dim=1))
        grid = tuple(int(s) for s in cam.shape[-2:])
        if grid != tuple(size):
            cam = F.interpolate(cam[:, None], size=tuple(size), mode="bilinear", align_corners=False)[:, 0]
        cam = cam.clamp_min(0.0)
    return ViewMaps(
        maps=cam.float().cpu().numpy(), method=method, layer=layer, grid=grid, class_index=int(class_index),
        similarities=sims[0].detach().double().cpu().numpy(), weights=weights[0].detach().double().cpu().numpy(),
    )


__all__ = ["ViewMaps", "conv_stages", "view_maps"]
