"""View-aware attention fusion of SMILE-VLM (Eq. 5 and 7).

z: (N, B, D) per-view projections z'_i; mask: optional (B, N) bool, True where view i of sample b is present.
    s_i  = MLP(z'_i) = w2^T tanh(W1 z'_i + b1) + b2     (N, B)   scalar score per view          (Eq. 5)
    w    = softmax_i(s_i) over the present views         (B, N)   masked views get weight 0      (Eq. 5)
    z^mv = sum_i w_i z'_i                                (B, D)                                  (Eq. 7)
Returns (z^mv, w); every row of w sums to 1. A sample whose views are all masked is a ValueError.
"""

from __future__ import annotations

import torch
from torch import nn


class ViewAttentionFusion(nn.Module):
    """Scores each view with a shared 2-layer MLP (hidden width ``hidden``, tanh) and averages views by softmax."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        for name, value in (("dim", dim), ("hidden", hidden)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"fusion {name} must be an integer >= 1, got {value!r}")
        self.dim = dim
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, z: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if z.ndim != 3 or z.shape[2] != self.dim or z.shape[0] < 1:
            raise ValueError(f"fusion expects z of shape (N, B, {self.dim}) with N >= 1, got {tuple(z.shape)}")
        n_views, batch, _ = z.shape
        scores = self.score(z).squeeze(-1).T  # (B, N)
        if mask is None:
            weights = torch.softmax(scores, dim=1)
            return torch.einsum("bn,nbd->bd", weights, z), weights
        if mask.shape != (batch, n_views):
            raise ValueError(f"view mask must be (B, N) = ({batch}, {n_views}), got {tuple(mask.shape)}")
        mask = mask.to(device=z.device, dtype=torch.bool)
        empty = ~mask.any(dim=1)
        if bool(empty.any()):
            rows = torch.nonzero(empty).flatten().tolist()
            raise ValueError(f"every view of sample(s) {rows} is masked; at least one view must be present")
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        # Zero the masked views' embeddings too, so a NaN/inf in a missing view cannot leak through 0 * NaN.
        z_present = torch.where(mask.T.unsqueeze(-1), z, torch.zeros((), dtype=z.dtype, device=z.device))
        return torch.einsum("bn,nbd->bd", weights, z_present), weights
