"""The SMILE-VLM training objective (Eq. 10): L = alpha * L_mvBT + beta * L_VL + gamma * L_RM.

Inputs (shapes): za, zb (N, B, D) augmented-view projections; z_views (N, B, D) un-augmented view projections;
z_fused (B, D); z_text (B, D) or None. With z_text None (the language-free "--prompts none" setting) beta and gamma
must be 0 and only the multi-view Barlow Twins term is computed. Returns (total, {"mv_bt", "vl_align", "red_min"}),
each term unweighted (after the scale normalisation below), as scalars.

Two recipe settings the paper leaves open (Eq. 10 does not fix alpha, beta, gamma; README "Training recipe"):
  bt_scale "sum" (Eq. 4 and 9 as written: sums over the d x d correlation matrix, about d at initialisation) or
           "per_dim" (both Barlow-style terms divided by d, so that they are O(1) like the InfoNCE term);
  class_aware false (Eq. 6: only the sample's own prompt is a positive) or true (every sample of the same prompt
           class is a positive, core.losses.class_aware_vl_align); then ``classes`` (B,) must be given.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.losses.barlow_twins import mv_barlow_twins
from core.losses.class_aware_vl_align import class_aware_vl_align
from core.losses.cross_correlation import check_lambda
from core.losses.redundancy_min import redundancy_min
from core.losses.vl_align import vl_align


BT_SCALES = ("sum", "per_dim")


@dataclass(frozen=True)
class LossWeights:
    """Hyper-parameters of Eq. 10 (paper defaults where it states them; see README for the choices)."""

    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 1.0
    lambd_bt: float = 5e-3
    lambd_rm: float = 5e-3
    tau: float = 0.07
    symmetric_vl: bool = False
    bt_scale: str = "sum"
    class_aware: bool = False

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma"):
            value = getattr(self, name)
            if not (value >= 0.0) or value == float("inf"):
                raise ValueError(f"loss weight {name} must be a finite number >= 0, got {value}")
        check_lambda(self.lambd_bt, "lambd_bt")
        check_lambda(self.lambd_rm, "lambd_rm")
        if not (self.tau > 0.0) or self.tau == float("inf"):
            raise ValueError(f"temperature tau must be a finite number > 0, got {self.tau}")
        if self.bt_scale not in BT_SCALES:
            raise ValueError(f"bt_scale must be one of {', '.join(BT_SCALES)}, got {self.bt_scale!r}")
        for name in ("symmetric_vl", "class_aware"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")


def smile_vlm_loss(
    za: torch.Tensor,
    zb: torch.Tensor,
    z_views: torch.Tensor,
    z_fused: torch.Tensor,
    z_text: torch.Tensor | None,
    weights: LossWeights = LossWeights(),
    classes: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Total loss of Eq. 10 and each (unweighted) term by name; ``classes`` (B,) prompt classes (class-aware)."""
    scale = 1.0 / za.shape[-1] if weights.bt_scale == "per_dim" else 1.0
    terms: dict[str, torch.Tensor] = {"mv_bt": mv_barlow_twins(za, zb, weights.lambd_bt) * scale}
    total = weights.alpha * terms["mv_bt"]
    if z_text is None:
        if weights.beta or weights.gamma:
            raise ValueError("beta and gamma must be 0 when no text embeddings are given (--prompts none)")
        return total, terms
    if weights.class_aware:
        if classes is None:
            raise ValueError("the class-aware InfoNCE needs each sample's prompt class (classes)")
        terms["vl_align"] = class_aware_vl_align(
            z_views, z_fused, z_text, classes, weights.tau, symmetric=weights.symmetric_vl
        )
    else:
        terms["vl_align"] = vl_align(z_views, z_fused, z_text, weights.tau, symmetric=weights.symmetric_vl)
    terms["red_min"] = redundancy_min(z_fused, z_text, weights.lambd_rm) * scale
    total = total + weights.beta * terms["vl_align"] + weights.gamma * terms["red_min"]
    return total, terms
