"""Vision-language alignment loss (SMILE-VLM, Eq. 6): InfoNCE from each view and the fused embedding to text.

z_views: (N, B, D) projections z'_i of the un-augmented views; z_fused: (B, D) fused z^mv; z_text: (B, D) projected
text embedding z^t of each sample's prompt; tau > 0 the temperature.
    s(u, t_j) = cos(u, t_j) / tau
    L = -1/((N+1) B) [ sum_i sum_b log softmax_j s(z'_{i,b}, z^t_j)|_{j=b} + sum_b log softmax_j s(z^mv_b, z^t_j)|_{j=b} ]
As written in the paper this is vision -> text only. ``symmetric=True`` (off by default, not in the paper) averages it
with the text -> vision direction, where for each text j the softmax runs over the batch's visual embeddings.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_tau(tau: float) -> None:
    if not (tau > 0.0) or tau == float("inf"):
        raise ValueError(f"temperature tau must be a finite number > 0, got {tau}")


def check_inputs(z_views: torch.Tensor, z_fused: torch.Tensor, z_text: torch.Tensor, tau: float) -> int:
    """ValueError unless z_views is (N, B, D), z_fused and z_text (B, D) with B >= 2 and tau a finite number > 0;
    returns B."""
    if z_views.ndim != 3:
        raise ValueError(f"z_views must be (N, B, D), got shape {tuple(z_views.shape)}")
    n_views, batch, dim = z_views.shape
    if z_fused.shape != (batch, dim) or z_text.shape != (batch, dim):
        raise ValueError(
            f"z_fused and z_text must be (B, D) = ({batch}, {dim}), got {tuple(z_fused.shape)} and {tuple(z_text.shape)}"
        )
    if batch < 2:
        raise ValueError(f"batch size B must be >= 2, got {batch}")
    _check_tau(tau)
    return batch


def similarity_logits(z_views: torch.Tensor, z_fused: torch.Tensor, z_text: torch.Tensor, tau: float) -> torch.Tensor:
    """(N+1, B, B) logits [i, b, j] = cos(v_{i,b}, t_j) / tau of the N views and the fused embedding (last) against
    every text of the batch (inputs already checked by :func:`check_inputs`)."""
    visual = F.normalize(torch.cat([z_views, z_fused.unsqueeze(0)], dim=0).float(), dim=-1)  # (N+1, B, D)
    text = F.normalize(z_text.float(), dim=-1)
    return visual @ text.T / tau


def vl_align(
    z_views: torch.Tensor,
    z_fused: torch.Tensor,
    z_text: torch.Tensor,
    tau: float,
    symmetric: bool = False,
) -> torch.Tensor:
    """Scalar vision-language InfoNCE loss over N views plus the fused embedding."""
    batch = check_inputs(z_views, z_fused, z_text, tau)
    logits = similarity_logits(z_views, z_fused, z_text, tau)
    idx = torch.arange(batch, device=logits.device)
    v2t = -logits.log_softmax(dim=-1)[:, idx, idx].mean()
    if not symmetric:
        return v2t
    t2v = -logits.log_softmax(dim=-2)[:, idx, idx].mean()
    return 0.5 * (v2t + t2v)
