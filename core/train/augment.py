"""Batched stochastic view augmentations for SMILE-VLM pretraining, on torch tensors, seeded by a torch.Generator.

Input: views of shape (..., 3, H, W), either uint8 (0..255) or floating point (0..1), on any device. Every image
(each sample and each view) gets its own random parameters; the output has the input's shape, dtype and device
(uint8 is rounded back, floats are clamped to 0..1). The same generator state gives the same output.

Per image, in this order (all geometry in the normalised [-1, 1] image frame):
  1. crop/scale + rotation: an affine resample (bilinear, border padding) of a square window whose side is a
     fraction s ~ U(crop_scale) of the image, rotated by U(-max_rotation_deg, max_rotation_deg) degrees, with its
     centre shifted uniformly so the unrotated window stays inside the image (|shift| <= 1 - s);
  2. shading jitter, on the ``shading_channels`` only (default: channel 0, the Lambertian shading of the
     geometry renders; the depth and curvature channels encode geometry and are left alone) and on foreground
     pixels only (any channel > 0 after step 1; the renders' background is exactly 0): gamma x**g with
     log g ~ U(-log(1+gamma), log(1+gamma)), then contrast about the foreground mean by c ~ U(1-contrast,
     1+contrast), then brightness by b ~ U(1-brightness, 1+brightness);
  3. noise: additive Gaussian noise with a per-image std sigma ~ U(0, noise_std) (0..1 intensity scale);
  4. occlusion: with probability occlusion_prob, an axis-aligned rectangle whose sides are fractions
     ~ U(occlusion_size) of the image, placed uniformly, filled with a uniform grey level ~ U(0, 1).
No horizontal flip: the views are ordered by yaw and a mirrored view would no longer match its position.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from core.config_io import dataclass_from_dict


def _pair(value: object, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"augment.{name} must be a pair [low, high] of numbers, got {value!r}") from None
    return lo, hi


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random view augmentations (see the module docstring for the exact meaning)."""

    crop_scale: tuple[float, float] = (0.8, 1.0)
    max_rotation_deg: float = 10.0
    brightness: float = 0.2
    contrast: float = 0.2
    gamma: float = 0.2
    noise_std: float = 0.03
    occlusion_prob: float = 0.5
    occlusion_size: tuple[float, float] = (0.1, 0.3)
    shading_channels: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        try:
            channels = tuple(int(c) for c in self.shading_channels)
        except (TypeError, ValueError):
            raise ValueError(
                f"augment.shading_channels must be a list of channel indices, got {self.shading_channels!r}"
            ) from None
        if any(c not in (0, 1, 2) for c in channels) or len(set(channels)) != len(channels):
            raise ValueError(
                f"augment.shading_channels must be distinct indices among 0, 1, 2, got {self.shading_channels!r}"
            )
        object.__setattr__(self, "shading_channels", channels)
        lo, hi = _pair(self.crop_scale, "crop_scale")
        if not (0.0 < lo <= hi <= 1.0):
            raise ValueError(f"augment.crop_scale must satisfy 0 < low <= high <= 1, got {self.crop_scale!r}")
        object.__setattr__(self, "crop_scale", (lo, hi))
        lo, hi = _pair(self.occlusion_size, "occlusion_size")
        if not (0.0 <= lo <= hi <= 1.0):
            raise ValueError(
                f"augment.occlusion_size must satisfy 0 <= low <= high <= 1, got {self.occlusion_size!r}"
            )
        object.__setattr__(self, "occlusion_size", (lo, hi))
        for name, top in (
            ("max_rotation_deg", 180.0),
            ("brightness", 1.0),
            ("contrast", 1.0),
            ("gamma", 10.0),
            ("noise_std", 1.0),
            ("occlusion_prob", 1.0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0.0 <= value <= top):
                raise ValueError(f"augment.{name} must be a number in [0, {top:g}], got {value!r}")
            object.__setattr__(self, name, float(value))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["crop_scale"] = list(self.crop_scale)
        d["occlusion_size"] = list(self.occlusion_size)
        d["shading_channels"] = list(self.shading_channels)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "AugmentConfig":
        return dataclass_from_dict(cls, data, "augment", "augment setting")


def _uniform(n: int, lo: float, hi: float, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=gen, device=device)


def augment_views(
    views: torch.Tensor, generator: torch.Generator, config: AugmentConfig = AugmentConfig()
) -> torch.Tensor:
    """One random augmentation of every image in ``views`` (..., 3, H, W); same shape, dtype and device.

    ``generator`` must live on the views' device; it is advanced by a fixed number of draws per call, so two
    calls give two independent augmentations and re-seeding it reproduces them.
    """
    if views.ndim < 3 or views.shape[-3] != 3:
        raise ValueError(f"augment_views expects (..., 3, H, W) images, got shape {tuple(views.shape)}")
    if views.dtype != torch.uint8 and not views.is_floating_point():
        raise ValueError(f"augment_views expects uint8 or floating point images, got {views.dtype}")
    if generator.device.type != views.device.type:
        raise ValueError(f"the generator is on {generator.device} but the views are on {views.device}")
    shape, dtype, device = views.shape, views.dtype, views.device
    h, w = shape[-2], shape[-1]
    x = views.reshape(-1, 3, h, w)
    m = x.shape[0]
    if m == 0:
        return views.clone()
    work = torch.float32 if dtype == torch.uint8 or dtype == torch.float64 else dtype
    x = x.to(work) / 255.0 if dtype == torch.uint8 else x.to(work)

    # 1. crop/scale + rotation, as one affine resample.
    s = _uniform(m, *config.crop_scale, generator, device)
    rot = _uniform(m, -1.0, 1.0, generator, device) * math.radians(config.max_rotation_deg)
    shift = (_uniform(2 * m, -1.0, 1.0, generator, device).view(m, 2)) * (1.0 - s).unsqueeze(1)
    cos, sin = torch.cos(rot) * s, torch.sin(rot) * s
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], dim=1), torch.stack([sin, cos, shift[:, 1]], dim=1)], dim=1
    ).to(work)
    grid = F.affine_grid(theta, [m, 3, h, w], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    # 2. shading jitter: gamma, contrast, brightness.
    log_g = math.log1p(config.gamma)
    g = torch.exp(_uniform(m, -log_g, log_g, generator, device)).to(work).view(m, 1, 1, 1)
    c = _uniform(m, 1.0 - config.contrast, 1.0 + config.contrast, generator, device).to(work).view(m, 1, 1, 1)
    b = _uniform(m, 1.0 - config.brightness, 1.0 + config.brightness, generator, device).to(work).view(m, 1, 1, 1)
    x = x.clamp(0.0, 1.0)
    if config.shading_channels:
        ch = list(config.shading_channels)
        fg = (x.amax(dim=1, keepdim=True) > 0).to(work)  # (M, 1, H, W) foreground
        count = fg.sum(dim=(1, 2, 3), keepdim=True).clamp_min(1.0)
        shade = x[:, ch].pow(g)
        mean = (shade * fg).sum(dim=(2, 3), keepdim=True) / count
        shade = ((shade - mean) * c + mean) * b
        x = x.clone()
        x[:, ch] = torch.where(fg.bool(), shade, x[:, ch])

    # 3. Gaussian noise with a per-image std.
    sigma = _uniform(m, 0.0, config.noise_std, generator, device).to(work).view(m, 1, 1, 1)
    x = x + sigma * torch.randn(x.shape, generator=generator, device=device, dtype=work)

    # 4. one occlusion rectangle per image, with probability occlusion_prob.
    on = torch.rand(m, generator=generator, device=device) < config.occlusion_prob
    rh = _uniform(m, *config.occlusion_size, generator, device)
    rw = _uniform(m, *config.occlusion_size, generator, device)
    y0 = torch.rand(m, generator=generator, device=device) * (1.0 - rh)
    x0 = torch.rand(m, generator=generator, device=device) * (1.0 - rw)
    fill = torch.rand(m, generator=generator, device=device).to(work)
    ys = (torch.arange(h, device=device, dtype=torch.float32) + 0.5) / h
    xs = (torch.arange(w, device=device, dtype=torch.float32) + 0.5) / w
    in_y = (ys.view(1, h) >= y0.view(m, 1)) & (ys.view(1, h) < (y0 + rh).view(m, 1))
    in_x = (xs.view(1, w) >= x0.view(m, 1)) & (xs.view(1, w) < (x0 + rw).view(m, 1))
    mask = (in_y.unsqueeze(2) & in_x.unsqueeze(1) & on.view(m, 1, 1)).unsqueeze(1)  # (M, 1, H, W)
    x = torch.where(mask, fill.view(m, 1, 1, 1), x)

    x = x.clamp(0.0, 1.0)
    if dtype == torch.uint8:
        x = (x * 255.0).round_().to(torch.uint8)
    else:
        x = x.to(dtype)
    return x.reshape(shape)

