"""Visual encoders f_v: normalised float images (B, 3, H, W) -> features (B, F).

build_backbone(spec) -> (module, F). Every module has ``mean`` and ``std`` (3-tuples): the normalisation its input
expects, applied by core.model.preprocess.normalize_views.

smallcnn   3x3 convolutions with BatchNorm+ReLU: a stride-2 stem (16), three stages of [stride-2 conv, conv]
           (32, 64, 128), a stride-2 head conv (256), global average pooling; F = 256, 0.59 M parameters, about
           38 MMAC per 112 px view (1/12 of a ResNet-18): the whole resolution drops 4x in the first two layers so
           it pretrains at a useful speed on 2 CPU cores (benchmarks/bench_inference.py prints its throughput;
           ~150 views/s forward+backward on one busy core). Random init (Kaiming), ImageNet statistics.
resnet18   torchvision ResNet-18 without its classifier, F = 512 (random init, or 'resnet18:<weights.pth>').
resnet50   torchvision ResNet-50 without its classifier, F = 2048 (random init, or 'resnet50:<weights.pth>').
clip:A:S   open_clip CLIP visual tower of architecture A with pretrained weights S (tag or file), F = its output
           embedding width (512 for ViT-B-32); input views are resized to the tower's native size (224 px).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from core.model.preprocess import IMAGENET_MEAN, IMAGENET_STD
from core.model.specs import parse_backbone_spec

SMALLCNN_STEM = 16
SMALLCNN_STAGES = (32, 64, 128)
SMALLCNN_HEAD = 256


def _conv_bn_relu(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
    return [conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class SmallCNN(nn.Module):
    """(B, 3, H, W) -> (B, 256) for any H, W >= 16 (global average pooling); total stride 32."""

    def __init__(self):
        super().__init__()
        layers = _conv_bn_relu(3, SMALLCNN_STEM, 2)
        c_in = SMALLCNN_STEM
        for width in SMALLCNN_STAGES:
            layers += _conv_bn_relu(c_in, width, 2) + _conv_bn_relu(width, width, 1)
            c_in = width
        layers += _conv_bn_relu(c_in, SMALLCNN_HEAD, 2)
        self.features = nn.Sequential(*layers)
        self.feature_dim = SMALLCNN_HEAD
        self.mean, self.std = IMAGENET_MEAN, IMAGENET_STD
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class ResNetBackbone(nn.Module):
    """torchvision ResNet-18/50 trunk, (B, 3, H, W) -> (B, 512 | 2048)."""

    def __init__(self, name: str, weights: str = "", load_weights: bool = True):
        super().__init__()
        import torchvision

        net = getattr(torchvision.models, name)(weights=None)
        if weights and load_weights:
            _load_resnet_weights(net, Path(weights))
        self.feature_dim = net.fc.in_features
        net.fc = nn.Identity()
        self.net = net
        self.mean, self.std = IMAGENET_MEAN, IMAGENET_STD

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _load_resnet_weights(net: nn.Module, path: Path) -> None:
    """Load a torchvision-style state_dict file into ``net`` (its 'fc.*' classifier keys are ignored)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: ResNet weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable PyTorch weights file ({type(exc).__name__}: {exc})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a state_dict of tensors")
    state = {k.removeprefix("module."): v for k, v in state.items() if not k.removeprefix("module.").startswith("fc.")}
    own = net.state_dict()
    missing = sorted(k for k in own if not k.startswith("fc.") and k not in state)
    unexpected = sorted(k for k in state if k not in own)
    if missing or unexpected:
        raise ValueError(
            f"{path}: not weights of this ResNet (missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
            f"unexpected {unexpected[:3]}{'...' if len(unexpected) > 3 else ''})"
        )
    bad = [k for k, v in state.items() if v.shape != own[k].shape]
    if bad:
        raise ValueError(f"{path}: tensor shapes do not match this ResNet (e.g. {bad[0]})")
    net.load_state_dict(state, strict=False)


class ClipVisual(nn.Module):
    """open_clip visual tower, (B, 3, H, W) -> (B, F); inputs are bilinearly resized to the tower's image size."""

    def __init__(self, arch: str, source: str, load_weights: bool = True):
        super().__init__()
        from core.model.clip_weights import create_clip

        clip, src = create_clip(arch, source, load_weights=load_weights)
        self.visual = clip.visual
        size = getattr(self.visual, "image_size", 224)
        self.input_size = tuple(size) if isinstance(size, (tuple, list)) else (int(size), int(size))
        self.feature_dim = int(getattr(clip, "embed_dim", 0) or self.visual.output_dim)
        self.mean, self.std = src.mean, src.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.input_size:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False, antialias=False)
        return self.visual(x)


def build_backbone(spec: str, load_weights: bool = True) -> tuple[nn.Module, int]:
    """(f_v, F) for a backbone spec. load_weights=False builds the architecture only (to load a checkpoint over it);
    for CLIP it then needs no weights file. ValueError / ClipWeightsError (a ValueError) when the weights are bad."""
    parsed = parse_backbone_spec(spec)
    if parsed.kind == "smallcnn":
        module: nn.Module = SmallCNN()
    elif parsed.kind in ("resnet18", "resnet50"):
        module = ResNetBackbone(parsed.kind, parsed.source, load_weights=load_weights)
    else:
        module = ClipVisual(parsed.arch, parsed.source, load_weights=load_weights)
    return module, int(module.feature_dim)
