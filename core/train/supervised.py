"""Supervised cross-entropy baseline: the SMILE-VLM visual path (backbone f_v, projector g_v, view fusion) plus a
linear classifier over the category labels, trained end to end with cross-entropy.

    z'   = encoder.encode_views(x)        (N, B, D)
    z^mv = encoder.fuse(z')               (B, D)
    logits = W z^mv + b                   (B, C)
One pass per view per step (one augmentation), against SMILE-VLM's three (two augmentations + the clean views):
benchmarks/bench_training.py compares their training throughput. The encoder's text projection is not used.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.model.config import ModelConfig
from core.model.smile_vlm import SmileVLM
from core.train.augment import AugmentConfig, augment_views
from core.train.step import backward_and_step


class SupervisedBaseline(nn.Module):
    """encoder (a SmileVLM, e.g. pretrained) + Linear(embed_dim, n_classes) on the fused embedding."""

    def __init__(self, encoder: SmileVLM, n_classes: int):
        super().__init__()
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
        self.encoder = encoder
        self.n_classes = n_classes
        self.classifier = nn.Linear(encoder.embed_dim, n_classes)

    @classmethod
    def from_config(cls, config: ModelConfig, n_classes: int, load_weights: bool = True) -> "SupervisedBaseline":
        """A freshly initialised baseline. SmileVLM always carries a text projection; here it is 1 wide and unused
        (cross-entropy needs no text), and trainable_parameters() leaves it out."""
        return cls(SmileVLM(config, text_dim=1, load_weights=load_weights), n_classes)

    def forward(self, views: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N, 3, H, W) uint8/float views [+ (B, N) bool mask] -> logits (B, n_classes)."""
        z_fused, _ = self.encoder.fuse(self.encoder.encode_views(views), mask)
        return self.classifier(z_fused)

    def trainable_parameters(self) -> list[nn.Parameter]:
        """Every parameter the cross-entropy loss reaches (the unused text projection excluded)."""
        skip = {id(p) for p in self.encoder.text_proj.parameters()}
        return [p for p in self.parameters() if p.requires_grad and id(p) not in skip]


def supervised_step(
    model: nn.Module,
    views: torch.Tensor,
    labels: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator | None = None,
    augment: AugmentConfig | None = AugmentConfig(),
    autocast_dtype: torch.dtype | None = None,
    scaler: torch.amp.GradScaler | None = None,
) -> torch.Tensor:
    """One cross-entropy training step on (B, N, 3, H, W) views and (B,) integer labels; returns the detached loss.

    ``model`` maps views to logits (a SupervisedBaseline, possibly DDP-wrapped). With ``augment`` set, the views
    get one random augmentation (core.train.augment) drawn from ``generator`` (required then, on the views'
    device). ``autocast_dtype`` enables torch.autocast on the views' device; ``scaler`` scales fp16 gradients.
    """
    if augment is not None:
        if generator is None:
            raise ValueError("supervised_step needs a generator to draw the augmentations from")
        views = augment_views(views, generator, augment)
    device_type = views.device.type
    with torch.autocast(device_type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None):
        logits = model(views)
    loss = F.cross_entropy(logits.float(), labels.to(logits.device))
    backward_and_step(loss, optimizer, scaler)
    return loss.detach()
