"""Language supervision for pretraining: the category prompts and their frozen text features.

"category-prompts" (``--prompts metadata``, the paper's protocol): every sample's category label (the manifest's
``label`` column) names a class of the prompt set; at every step one of that class's prompts is drawn uniformly
at random per sample, and its text feature (computed once per distinct prompt string by the frozen text encoder,
never trained) goes through the model's learnable text projection. This uses the dataset's category labels.
"none" (``--prompts none``): no language at all, multi-view Barlow Twins only; labels are never read for training.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import torch

from core.datasets import ManifestRow


def check_prompt_labels(
    rows: Sequence[ManifestRow], classes: Mapping[str, Sequence[str]], prompt_source: str, manifest_source: str
) -> None:
    """ValueError listing every manifest label that has no class (or no prompt) in the prompt set."""
    counts = Counter(row.label for row in rows)
    missing = sorted(label for label in counts if not classes.get(label))
    if missing:
        listed = ", ".join(f"{label} ({counts[label]} samples)" for label in missing)
        raise ValueError(
            f"{manifest_source}: labels with no prompts in the prompt set {prompt_source}: {listed}; "
            f"the prompt set has: {', '.join(classes) or 'no classes'}. Add prompts for these classes, drop "
            "those rows from the manifest, or train without language (--prompts none)"
        )


class PromptBank:
    """Every prompt of the classes, their frozen text features (P, text_dim), and the per-sample random choice.

    classes: label -> prompts; class_names: the label order (class index = position). encode: list of prompt
    strings -> (P, text_dim) float tensor (the frozen text encoder); each distinct string is encoded once.
    """

    def __init__(
        self,
        classes: Mapping[str, Sequence[str]],
        class_names: Sequence[str],
        encode: Callable[[list[str]], torch.Tensor],
        device: torch.device | str = "cpu",
    ) -> None:
        self.class_names = tuple(class_names)
        prompts: list[str] = []
        offsets, counts = [], []
        for name in self.class_names:
            texts = [str(t) for t in classes.get(name, ())]
            if not texts:
                raise ValueError(f"class {name!r} has no prompts")
            offsets.append(len(prompts))
            counts.append(len(texts))
            prompts.extend(texts)
        self.prompts = tuple(prompts)
        unique = list(dict.fromkeys(prompts))
        with torch.no_grad():
            feats = encode(unique)
        if not isinstance(feats, torch.Tensor) or feats.ndim != 2 or feats.shape[0] != len(unique):
            shape = tuple(feats.shape) if isinstance(feats, torch.Tensor) else type(feats).__name__
            raise ValueError(f"the text encoder returned {shape} for {len(unique)} prompts, expected (P, dim)")
        position = {text: i for i, text in enumerate(unique)}
        rows = torch.tensor([position[t] for t in prompts], dtype=torch.long)
        self.features = feats.detach().float()[rows].to(device)  # (P, text_dim), no grad
        self.offsets = torch.tensor(offsets, dtype=torch.long)
        self.counts = torch.tensor(counts, dtype=torch.long)

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One prompt per sample of its class: (prompt indices (B,), text features (B, text_dim) on the device).

        ``labels`` (B,) class indices; ``generator`` a CPU generator (the draw is made on the CPU).
        """
        labels = labels.to("cpu", torch.long)
        u = torch.rand(labels.shape[0], generator=generator, dtype=torch.float64)
        counts = self.counts[labels]
        index = self.offsets[labels] + torch.minimum((u * counts).long(), counts - 1)
        return index, self.features[index.to(self.features.device)]
