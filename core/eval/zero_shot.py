"""Zero-shot scoring of fused embeddings against a prompt set (shared by the Analyzer and the evaluation).

For P prompts grouped into C classes and a model with text projection W_t:
    e_p   = W_t f_t(p) / ||W_t f_t(p)||                  (P, D)   projected, normalised prompt embeddings
    m_c   = normalise(mean_{p in class c} e_p)            (C, D)   class embeddings (the mean of unit vectors;
                                                                   normalising it changes no cosine)
    s_bc  = cos(z_b, m_c)                                 (B, C)   zero-shot similarities of embeddings z (B, D)
    P_bc  = softmax_c(s_bc / tau)                         (B, C)   zero-shot probabilities
The predicted class is argmax_c s_bc. ``z`` is the fused z^mv for multi-view scoring, or one view's z'_i for the
per-view evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F


def class_rows(texts: Sequence[str], classes: Mapping[str, Sequence[str]]) -> list[list[int]]:
    """For each class (in order), the rows of ``texts`` holding its prompts; ValueError for a prompt not in texts
    or a class without prompts."""
    row = {t: i for i, t in enumerate(texts)}
    out = []
    for label, prompts in classes.items():
        if not prompts:
            raise ValueError(f"class {label!r} has no prompts")
        missing = [p for p in prompts if p not in row]
        if missing:
            raise ValueError(f"class {label!r}: prompt {missing[0]!r} has no text feature")
        out.append([row[p] for p in prompts])
    return out


def class_embeddings(prompt_embeddings: torch.Tensor, rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """(P, D) projected prompt embeddings and each class's prompt rows -> (C, D) unit class embeddings m_c."""
    if prompt_embeddings.ndim != 2:
        raise ValueError(f"prompt embeddings must be (P, D), got {tuple(prompt_embeddings.shape)}")
    emb = F.normalize(prompt_embeddings.float(), dim=-1)
    means = torch.stack([emb[list(r)].mean(dim=0) for r in rows])
    return F.normalize(means, dim=-1)


def prompt_class_embeddings(
    model: torch.nn.Module, text_features: torch.Tensor, texts: Sequence[str], classes: Mapping[str, Sequence[str]]
) -> torch.Tensor:
    """Class embeddings (C, D) of ``classes`` (label -> prompts) with ``model.project_text``.

    text_features: (P, text_dim) frozen text features, row i belonging to ``texts[i]``. Runs without gradients on
    the model's device; the result is on that device.
    """
    rows = class_rows(texts, classes)
    device = next(model.parameters()).device
    with torch.inference_mode():
        projected = model.project_text(text_features.to(device))
        return class_embeddings(projected, rows)


def zero_shot_similarities(z: torch.Tensor, class_emb: torch.Tensor) -> torch.Tensor:
    """Cosine similarities (B, C) of embeddings z (B, D) to unit class embeddings (C, D)."""
    if z.ndim != 2 or class_emb.ndim != 2 or z.shape[1] != class_emb.shape[1]:
        raise ValueError(
            f"zero-shot scoring needs z (B, D) and class embeddings (C, D) of the same D, got "
            f"{tuple(z.shape)} and {tuple(class_emb.shape)}"
        )
    return F.normalize(z.float(), dim=-1) @ class_emb.to(z.device).float().T


def zero_shot_probabilities(similarities: torch.Tensor, tau: float) -> torch.Tensor:
    """softmax over classes of similarities / tau, (B, C)."""
    if not tau > 0:
        raise ValueError(f"the temperature tau must be > 0, got {tau!r}")
    return torch.softmax(similarities / float(tau), dim=-1)
