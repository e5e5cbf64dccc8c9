"""The one place where rendered uint8 views become the normalised float input of a backbone.

views_to_tensor: uint8 (..., H, W, 3) channels-last (what the renderer returns) -> uint8 tensor (..., 3, H, W).
normalize_views: uint8 (..., 3, H, W) in 0..255, or float in 0..1 (e.g. after core.train.augment)
                 -> float32 (..., 3, H, W) = (x01 - mean) / std, per channel.
Each backbone carries its own mean/std (ImageNet statistics for the CNNs, CLIP's for CLIP towers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def views_to_tensor(views: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (..., H, W, 3) array or tensor -> contiguous uint8 tensor (..., 3, H, W) (no copy of the values' type)."""
    x = torch.as_tensor(np.ascontiguousarray(views)) if isinstance(views, np.ndarray) else views
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"views must be a numpy array or a torch tensor, got {type(views).__name__}")
    if x.dtype != torch.uint8:
        raise ValueError(f"views must be uint8 images, got dtype {x.dtype}")
    if x.ndim < 3 or x.shape[-1] != 3:
        raise ValueError(f"views must be (..., H, W, 3) RGB images, got shape {tuple(x.shape)}")
    return x.movedim(-1, -3).contiguous()


def normalize_views(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 (0..255) or float (0..1) (..., 3, H, W) -> float32 (..., 3, H, W): (x01 - mean) / std per channel."""
    if not isinstance(x, torch.Tensor) or not (x.dtype == torch.uint8 or torch.is_floating_point(x)):
        kind = getattr(x, "dtype", type(x).__name__)
        raise ValueError(f"normalize_views expects a uint8 or floating-point tensor, got {kind}")
    if x.ndim < 3 or x.shape[-3] != 3:
        raise ValueError(f"normalize_views expects (..., 3, H, W), got shape {tuple(x.shape)}")
    if len(mean) != 3 or len(std) != 3 or any(s <= 0 for s in std):
        raise ValueError(f"mean and std must have 3 entries with std > 0, got {mean} and {std}")
    m = torch.tensor(mean, dtype=torch.float32, device=x.device).view(3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32, device=x.device).view(3, 1, 1)
    # One float32 copy, normalised in place: the same arithmetic as (x.float() / 255 - m) / s, bit for bit,
    # without two more full-size temporaries (the training step normalises 3B x N views at once).
    out = x.to(torch.float32, copy=True)
    if x.dtype == torch.uint8:
        out.div_(255.0)
    return out.sub_(m).div_(s)
