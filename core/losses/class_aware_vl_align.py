"""Class-aware vision-language InfoNCE (an option beside Eq. 6; not in the paper).

Eq. 6 takes only the sample's own prompt as the positive, so with category prompts every other sample of the same
class in the batch is a negative (with B = 32 over 6 classes about 5 per row) even when it drew the very same prompt.
Here every text of the same prompt class is a positive, in the multi-positive form of supervised contrastive
learning (Khosla et al. 2020, "L_out"; Yang et al. 2022, UniCL):

z_views: (N, B, D) un-augmented view projections z'_i; z_fused: (B, D) fused z^mv; z_text: (B, D) projected text
embeddings z^t; classes: (B,) integer prompt class of each sample; tau > 0.
    s(u, t_j) = cos(u, t_j) / tau,   P(b) = {j : classes_j = classes_b}   (never empty: b is in it)
    L = -1/((N+1) B) sum_{u in views and fused} sum_b 1/|P(b)| sum_{j in P(b)} log softmax_j s(u_b, t_j)
With every class distinct in the batch P(b) = {b} and this is Eq. 6 exactly. ``symmetric=True`` averages it with
the text -> vision direction (for each text j the softmax runs over the visual embeddings, positives P(j)).
"""

from __future__ import annotations

import torch

from core.losses.vl_align import check_inputs, similarity_logits


def class_aware_vl_align(
    z_views: torch.Tensor,
    z_fused: torch.Tensor,
    z_text: torch.Tensor,
    classes: torch.Tensor,
    tau: float,
    symmetric: bool = False,
) -> torch.Tensor:
    """Scalar class-aware InfoNCE over N views plus the fused embedding (see the module docstring)."""
    batch = check_inputs(z_views, z_fused, z_text, tau)
    if classes.ndim != 1 or classes.shape[0] != batch:
        raise ValueError(f"classes must be (B,) = ({batch},), got shape {tuple(classes.shape)}")
    if classes.dtype.is_floating_point or classes.dtype == torch.bool:
        raise ValueError(f"classes must hold integer class indices, got dtype {classes.dtype}")
    logits = similarity_logits(z_views, z_fused, z_text, tau)  # (N+1, B, B), as in Eq. 6
    classes = classes.to(logits.device)
    positive = (classes[:, None] == classes[None, :]).to(logits.dtype)  # (B, B), symmetric, diagonal 1
    weight = positive / positive.sum(dim=1, keepdim=True)  # each row averages over its positives
    v2t = -(logits.log_softmax(dim=-1) * weight).sum(dim=-1).mean()
    if not symmetric:
        return v2t
    t2v = -(logits.log_softmax(dim=-2) * weight.T).sum(dim=-2).mean()
    return 0.5 * (v2t + t2v)
