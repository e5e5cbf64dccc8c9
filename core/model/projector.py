"""Non-linear projector g_v of SMILE-VLM: z'_i = g_v(f_v(x_i)), applied to every view with shared weights.

(B, F) -> (B, D) through Linear(F, H) - BatchNorm1d(H) - ReLU - Linear(H, D).
"""

from __future__ import annotations

import torch
from torch import nn


class Projector(nn.Module):
    """g_v: (B, in_dim) -> (B, out_dim) with a hidden width ``hidden``."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int):
        super().__init__()
        for name, value in (("in_dim", in_dim), ("hidden", hidden), ("out_dim", out_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"projector {name} must be an integer >= 1, got {value!r}")
        self.in_dim, self.out_dim = in_dim, out_dim
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_dim)
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if h.ndim != 2 or h.shape[1] != self.in_dim:
            raise ValueError(f"projector expects (B, {self.in_dim}), got shape {tuple(h.shape)}")
        if self.training and h.shape[0] < 2:
            raise ValueError("projector in training mode needs a batch of >= 2 rows (BatchNorm statistics)")
        return self.net(h)
