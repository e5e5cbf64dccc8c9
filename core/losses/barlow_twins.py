"""Multi-view Barlow Twins loss (SMILE-VLM, Eq. 1–4).

za, zb: (N, B, D) — projections z' of two stochastic augmentations of each of the N views of B samples.
    C_i   = standardize(za_i)^T standardize(zb_i) / B            (D, D), one per view   (Eq. 2)
    C_bar = (1/N) sum_i C_i                                        (D, D)                 (Eq. 3)
    L     = sum_k (C_bar_kk - 1)^2 + lambd * sum_{k != l} C_bar_kl^2   scalar             (Eq. 4)
The correlation matrices are averaged before the objective, not the per-view losses.
With N = 1 this is the standard Barlow Twins loss.
"""

from __future__ import annotations

import torch

from core.losses.cross_correlation import check_lambda, cross_correlation, redundancy_objective


def mv_barlow_twins(za: torch.Tensor, zb: torch.Tensor, lambd: float) -> torch.Tensor:
    """Scalar multi-view Barlow Twins loss of two (N, B, D) augmented-view projection tensors."""
    if za.ndim != 3 or zb.ndim != 3:
        raise ValueError(f"mv_barlow_twins expects (N, B, D) tensors, got {tuple(za.shape)} and {tuple(zb.shape)}")
    if za.shape != zb.shape:
        raise ValueError(f"za and zb must have the same shape, got {tuple(za.shape)} and {tuple(zb.shape)}")
    n_views, batch, _ = za.shape
    if n_views < 1:
        raise ValueError("at least one view is required")
    if batch < 2:
        raise ValueError(f"batch size B must be >= 2, got {batch}")
    check_lambda(lambd)
    c_bar = torch.stack([cross_correlation(za[i], zb[i]) for i in range(n_views)]).mean(dim=0)
    return redundancy_objective(c_bar, lambd)
