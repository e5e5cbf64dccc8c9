"""The SMILE-VLM training objective (Eq. 10): L = alpha * L_mvBT + beta * L_VL + gamma * L_RM.

Inputs (shapes): za, zb (N, B, D) augmented-view projections; z_views (N, B, D) un-augmented view projections;
z_fused (B, D); z_text (B, D) or None. With z_text None (the language-free "--prompts none" setting) beta and gamma
must be 0 and only the multi-view Barlow Twins term is computed. Returns (total, {"mv_bt", "vl_align", "red_min"}),
each term unweighted, as scalars.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.losses.barlow_twins import mv_barlow_twins
from core.losses.cross_correlation import check_lambda
from core.losses.redundancy_min import redundancy_min
from core.losses.vl_align import vl_align


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

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma"):
            value = getattr(self, name)
            if not (value >= 0.0) or value == float("inf"):
                raise ValueError(f"loss weight {name} must be a finite number >= 0, got {value}")
        check_lambda(self.lambd_bt, "lambd_bt")
        check_lambda(self.lambd_rm, "lambd_rm")
        if not (self.tau > 0.0) or self.tau == float("inf"):
            raise ValueError(f"temperature tau must be a finite number > 0, got {self.tau}")


def smile_vlm_loss(
    za: torch.Tensor,
    zb: torch.Tensor,
    z_views: torch.Tensor,
    z_fused: torch.Tensor,
    z_text: torch.Tensor | None,
    weights: LossWeights = LossWeights(),
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Total loss of Eq. 10 and each (unweighted) term by name."""
    terms: dict[str, torch.Tensor] = {"mv_bt": mv_barlow_twins(za, zb, weights.lambd_bt)}
    total = weights.alpha * terms["mv_bt"]
    if z_text is None:
        if weights.beta or weights.gamma:
            raise ValueError("beta and gamma must be 0 when no text embeddings are given (--prompts none)")
        return total, terms
    terms["vl_align"] = vl_align(z_views, z_fused, z_text, weights.tau, symmetric=weights.symmetric_vl)
    terms["red_min"] = redundancy_min(z_fused, z_text, weights.lambd_rm)
    total = total + weights.beta * terms["vl_align"] + weights.gamma * terms["red_min"]
    return total, terms
