"""The SMILE-VLM model: shared visual encoder f_v, projector g_v, view-aware fusion and text projection.

x: (B, N, 3, H, W) views, uint8 in 0..255 or float in 0..1 (e.g. the output of core.train.augment); the model
   normalises them with its backbone's mean/std (core.model.preprocess.normalize_views) before f_v.
    z'_i  = g_v(f_v(x_i))                  (N, B, D)   shared weights over the N views
    z^mv  = sum_i w_i z'_i                 (B, D)      ViewAttentionFusion, Eq. 5 and 7
    z^t   = W_t f_t(prompt) + b_t          (B, D)      learnable linear projection of frozen text features
The text encoder f_t is NOT a submodule: it is frozen and held separately (core.text), so no gradient reaches it
and checkpoints never carry it; the model only sees its (B, text_dim) features.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from core.model.backbones import build_backbone
from core.model.config import ModelConfig
from core.model.preprocess import normalize_views
from core.model.projector import Projector
from core.model.view_fusion import ViewAttentionFusion


class SmileVLMOutput(NamedTuple):
    z_views: torch.Tensor  # (N, B, D) per-view projections z'_i
    z_fused: torch.Tensor  # (B, D) fused z^mv
    weights: torch.Tensor  # (B, N) view attention weights, rows sum to 1
    z_text: torch.Tensor | None  # (B, D) projected text features z^t, or None without text


class SmileVLM(nn.Module):
    """SmileVLM(config, text_dim). load_weights=False builds the architecture without loading pretrained backbone
    weights (used when a checkpoint supplies all of them)."""

    def __init__(self, config: ModelConfig, text_dim: int, load_weights: bool = True):
        super().__init__()
        if not isinstance(config, ModelConfig):
            raise ValueError(f"SmileVLM needs a ModelConfig, got {type(config).__name__}")
        if isinstance(text_dim, bool) or not isinstance(text_dim, int) or text_dim < 1:
            raise ValueError(f"text_dim must be an integer >= 1, got {text_dim!r}")
        self.config = config
        self.text_dim = text_dim
        self.backbone, feature_dim = build_backbone(config.backbone, load_weights=load_weights)
        self.feature_dim = feature_dim
        self.projector = Projector(feature_dim, config.proj_hidden, config.embed_dim)
        self.fusion = ViewAttentionFusion(config.embed_dim, config.fusion_hidden)
        self.text_proj = nn.Linear(text_dim, config.embed_dim)

    @property
    def embed_dim(self) -> int:
        return self.config.embed_dim

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 (0..255) or float (0..1) (..., 3, H, W) -> float32 normalised with the backbone's mean/std."""
        return normalize_views(x, self.backbone.mean, self.backbone.std)

    def encode_views(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, 3, H, W) uint8 (0..255) / float (0..1) views -> z' (N, B, D)."""
        if not isinstance(x, torch.Tensor) or x.ndim != 5 or x.shape[2] != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"encode_views expects (B, N, 3, H, W) views, got {shape}")
        batch, n_views = x.shape[:2]
        if batch < 1 or n_views < 1:
            raise ValueError(f"encode_views needs B >= 1 and N >= 1, got {tuple(x.shape)}")
        device = next(self.parameters()).device
        flat = self.preprocess(x.to(device).reshape(batch * n_views, *x.shape[2:]))
        z = self.projector(self.backbone(flat))  # (B*N, D), b-major
        return z.view(batch, n_views, -1).transpose(0, 1)

    def fuse(self, z_views: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, B, D) [+ (B, N) bool mask] -> (z^mv (B, D), weights (B, N))."""
        return self.fusion(z_views, mask)

    def project_text(self, text_features: torch.Tensor) -> torch.Tensor:
        """Frozen text features (B, text_dim) -> z^t (B, D)."""
        if text_features.ndim != 2 or text_features.shape[1] != self.text_dim:
            raise ValueError(f"project_text expects (B, {self.text_dim}), got shape {tuple(text_features.shape)}")
        weight = self.text_proj.weight
        return self.text_proj(text_features.detach().to(device=weight.device, dtype=weight.dtype))

    def forward(
        self, x: torch.Tensor, text_features: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> SmileVLMOutput:
        """All embeddings of a batch: z' (N, B, D), z^mv (B, D), w (B, N) and z^t (B, D) when text is given."""
        z_views = self.encode_views(x)
        z_fused, weights = self.fuse(z_views, mask)
        z_text = None if text_features is None else self.project_text(text_features)
        if z_text is not None and z_text.shape[0] != z_fused.shape[0]:
            raise ValueError(f"text features have {z_text.shape[0]} rows for a batch of {z_fused.shape[0]} samples")
        return SmileVLMOutput(z_views, z_fused, weights, z_text)
