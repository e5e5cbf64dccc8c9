"""Cross-modal redundancy minimisation loss (SMILE-VLM, Eq. 8–9).

z_fused: (B, D) fused visual embedding z^mv; z_text: (B, D) projected text embedding z^t.
    C_vt = standardize(z^mv)^T standardize(z^t) / B                       (D, D)   (Eq. 8)
    L    = sum_k (C_vt_kk - 1)^2 + lambd * sum_{k != l} C_vt_kl^2         scalar   (Eq. 9)
"""

from __future__ import annotations

import torch

from core.losses.cross_correlation import cross_correlation, redundancy_objective


def redundancy_min(z_fused: torch.Tensor, z_text: torch.Tensor, lambd: float) -> torch.Tensor:
    """Scalar Barlow-Twins-style redundancy loss between the fused visual and the text embeddings."""
    if z_fused.ndim != 2 or z_fused.shape != z_text.shape:
        raise ValueError(
            f"z_fused and z_text must both be (B, D), got {tuple(z_fused.shape)} and {tuple(z_text.shape)}"
        )
    if z_fused.shape[0] < 2:
        raise ValueError(f"batch size B must be >= 2, got {z_fused.shape[0]}")
    return redundancy_objective(cross_correlation(z_fused, z_text), lambd)
