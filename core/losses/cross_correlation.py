"""Batch cross-correlation and the Barlow Twins redundancy objective, shared by Eq. 1–4 and Eq. 8–9.

standardize(z):  per-dimension standardisation over the batch, (B, D) -> (B, D):
                 (z - mean_b z) / sqrt(var_b z + eps), with the biased variance and eps = 1e-5
                 (Barlow Twins' affine-free batch norm).
cross_correlation(a, b):  C = standardize(a)^T standardize(b) / B, (B, D) x (B, D) -> (D, D)   (Eq. 2 / Eq. 8).
redundancy_objective(C, lambd):  sum_k (C_kk - 1)^2 + lambd * sum_{k != l} C_kl^2               (Eq. 4 / Eq. 9).
"""

from __future__ import annotations

import torch

EPS = 1e-5


def check_lambda(lambd: float, name: str = "lambd") -> None:
    if not (lambd >= 0.0) or lambd != lambd or lambd == float("inf"):
        raise ValueError(f"{name} must be a finite number >= 0, got {lambd}")


def standardize(z: torch.Tensor) -> torch.Tensor:
    """(B, D) -> (B, D): subtract the batch mean, divide by sqrt(biased batch variance + 1e-5)."""
    if z.ndim != 2:
        raise ValueError(f"standardize expects (B, D), got shape {tuple(z.shape)}")
    if z.shape[0] < 2:
        raise ValueError(f"batch size B must be >= 2 to standardise over the batch, got {z.shape[0]}")
    z = z.float()
    mean = z.mean(dim=0, keepdim=True)
    var = z.var(dim=0, unbiased=False, keepdim=True)
    return (z - mean) / torch.sqrt(var + EPS)


def cross_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(B, D) x (B, D) -> (D, D) cross-correlation of the batch-standardised embeddings."""
    if a.shape != b.shape:
        raise ValueError(f"cross_correlation needs equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}")
    return standardize(a).T @ standardize(b) / a.shape[0]


def redundancy_objective(c: torch.Tensor, lambd: float) -> torch.Tensor:
    """(D, D) -> scalar: sum_k (C_kk - 1)^2 + lambd * sum_{k != l} C_kl^2."""
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"expected a square (D, D) matrix, got shape {tuple(c.shape)}")
    check_lambda(lambd)
    diag = torch.diagonal(c)
    on_diag = (diag - 1.0).pow(2).sum()
    off_diag = c.pow(2).sum() - diag.pow(2).sum()
    return on_diag + lambd * off_diag
