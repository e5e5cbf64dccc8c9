"""Training data: rendered views from the render cache, and the per-epoch batch order.

ViewDataset(rows, get_views, label_index): item i -> (views uint8 (V, 3, S, S), label index, subject), where
get_views(path) returns the cached uint8 (V, S, S, 3) renders of a manifest row (RenderCache.get) or None.
epoch_batches(n, batch, seed, epoch, rank, world): the batches (lists of dataset indices) one rank takes in one
epoch. It is a pure function of its arguments (torch's DistributedSampler with shuffle, drop_last, seed and
set_epoch(epoch), then consecutive full batches), so a run resumed at batch k of an epoch takes exactly the
batches an uninterrupted run would have taken from k on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler

from core.datasets import ManifestRow


class ViewDataset(Dataset):
    """Rendered views of manifest rows, as uint8 tensors (V, 3, S, S), with the label index and the subject."""

    def __init__(
        self,
        rows: Sequence[ManifestRow],
        get_views: Callable[[Path], np.ndarray | None],
        label_index: dict[str, int],
        n_views: int,
        size: int,
    ) -> None:
        missing = sorted({row.label for row in rows} - set(label_index))
        if missing:
            raise ValueError(f"labels without a class index: {', '.join(missing)}")
        self.rows = list(rows)
        self.get_views = get_views
        self.label_index = dict(label_index)
        self.n_views = n_views
        self.size = size
        self.labels = torch.tensor([label_index[row.label] for row in self.rows], dtype=torch.long)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, str]:
        row = self.rows[index]
        views = self.get_views(row.path)
        if views is None:
            raise ValueError(f"{row.path}: no rendered views in the render cache (was it cleared during training?)")
        views = np.asarray(views)
        expected = (self.n_views, self.size, self.size, 3)
        if views.dtype != np.uint8 or views.shape != expected:
            raise ValueError(
                f"{row.path}: cached views are {views.dtype} {views.shape}, expected uint8 {expected} "
                "(the render cache holds renders of other settings)"
            )
        tensor = torch.from_numpy(np.ascontiguousarray(views)).permute(0, 3, 1, 2).contiguous()
        return tensor, int(self.labels[index]), row.subject


def steps_per_epoch(n: int, batch: int, world: int) -> int:
    """Full batches per rank and epoch (DistributedSampler drop_last, then whole batches only)."""
    return (n // world) // batch


def epoch_batches(n: int, batch: int, seed: int, epoch: int, rank: int = 0, world: int = 1) -> list[list[int]]:
    """The batches of dataset indices rank ``rank`` of ``world`` takes in ``epoch`` (a pure function)."""

    class _Sized:
        def __len__(self) -> int:
            return n

    sampler = DistributedSampler(
        _Sized(), num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True  # type: ignore[arg-type]
    )
    sampler.set_epoch(epoch)
    order = list(sampler)
    full = len(order) // batch
    return [order[i * batch : (i + 1) * batch] for i in range(full)]


def collate_views(items: list[tuple[torch.Tensor, int, str]]) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Stack items into (views (B, V, 3, S, S) uint8, labels (B,) long, subjects list[str])."""
    views = torch.stack([item[0] for item in items])
    labels = torch.tensor([item[1] for item in items], dtype=torch.long)
    return views, labels, [item[2] for item in items]
