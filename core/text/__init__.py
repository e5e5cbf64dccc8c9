"""Frozen text encoders f_t (MiniLM offline, or an open_clip CLIP text tower) and a per-prompt cache."""

from core.text.cache import CacheStats, CachedTextEncoder
from core.text.encoder import ClipTextEncoder, MiniLMTextEncoder, TextEncoder, build_text_encoder

__all__ = [
    "CacheStats",
    "CachedTextEncoder",
    "ClipTextEncoder",
    "MiniLMTextEncoder",
    "TextEncoder",
    "build_text_encoder",
]
