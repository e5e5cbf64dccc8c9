"""CachedTextEncoder: a per-prompt-string cache in front of any TextEncoder.

encode(texts) returns the same (P, dim) features as the wrapped encoder, but runs it only on the strings it has not
seen (each new distinct string once, in one batch). The cache keeps at most ``max_size`` strings, evicting the least
recently used. ``hits`` counts requested strings served from the cache, ``misses`` the strings actually encoded;
``last_encoded`` is the list of strings the wrapped encoder ran on during the latest call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import torch

from core.text.encoder import TextEncoder, check_texts


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    size: int


class CachedTextEncoder:
    """Wraps a TextEncoder; same ``name``, ``dim`` and ``encode`` contract."""

    def __init__(self, encoder: TextEncoder, max_size: int = 10_000):
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be an integer >= 1, got {max_size!r}")
        self.encoder = encoder
        self.name = encoder.name
        self.dim = encoder.dim
        self.max_size = max_size
        self.hits = 0
        self.misses = 0
        self.last_encoded: list[str] = []
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def __contains__(self, text: object) -> bool:
        return text in self._cache

    @property
    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, len(self._cache))

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def encode(self, texts: list[str]) -> torch.Tensor:
        """(P, dim) float32 CPU features of ``texts``; only strings missing from the cache reach the encoder."""
        texts = check_texts(texts)
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if new:
                features = self.encoder.encode(new)
                if features.shape != (len(new), self.dim):
                    raise ValueError(
                        f"text encoder {self.name} returned shape {tuple(features.shape)} for {len(new)} prompts"
                    )
                for text, row in zip(new, features.detach().float().cpu()):
                    self._cache[text] = row.clone()
            self.misses += len(new)
            self.hits += len(texts) - len(new)
            self.last_encoded = new
            for text in texts:
                self._cache.move_to_end(text)
            out = torch.stack([self._cache[t] for t in texts]) if texts else torch.zeros(0, self.dim)
            while len(self._cache) > self.max_size:
                self._cache.popitem(last=False)
            return out
