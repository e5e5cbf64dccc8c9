import pytest
import torch

from core.text import CachedTextEncoder


class CountingEncoder:
    """A deterministic stand-in encoder that records what it is asked to encode."""

    name = "counting"
    dim = 4

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return torch.stack([torch.tensor([len(t), t.count("a"), t.count("e"), hash(t) % 97], dtype=torch.float32)
                            for t in texts]) if texts else torch.zeros(0, 4)


def test_only_new_strings_are_encoded():
    inner = CountingEncoder()
    cache = CachedTextEncoder(inner)
    first = cache.encode(["a happy face", "a sad face", "a happy face"])
    assert inner.calls == [["a happy face", "a sad face"]]
    assert cache.misses == 2 and cache.hits == 1 and len(cache) == 2
    second = cache.encode(["a sad face", "an angry face", "a happy face"])
    assert inner.calls[-1] == ["an angry face"] and cache.last_encoded == ["an angry face"]
    assert cache.stats.hits == 3 and cache.stats.misses == 3 and cache.stats.size == 3
    assert torch.equal(second[0], first[1]) and torch.equal(second[2], first[0])
    assert torch.equal(second, inner.encode(["a sad face", "an angry face", "a happy face"]))
    cache.encode(["a sad face"])
    assert cache.last_encoded == [] and len(inner.calls) == 3  # served from the cache (+1 call above)


def test_same_contract_as_wrapped_encoder():
    cache = CachedTextEncoder(CountingEncoder())
    assert cache.name == "counting" and cache.dim == 4
    assert cache.encode([]).shape == (0, 4)
    with pytest.raises(ValueError):
        cache.encode("not a list")


def test_least_recently_used_strings_are_evicted():
    inner = CountingEncoder()
    cache = CachedTextEncoder(inner, max_size=2)
    cache.encode(["a", "b"])
    cache.encode(["a"])  # "a" is now the most recent
    cache.encode(["c"])  # evicts "b"
    assert "a" in cache and "c" in cache and "b" not in cache
    out = cache.encode(["a", "b", "c"])  # more than fits: still answered in full
    assert out.shape == (3, 4) and len(cache) == 2
    with pytest.raises(ValueError):
        CachedTextEncoder(inner, max_size=0)


def test_wrong_encoder_output_is_caught():
    class Broken(CountingEncoder):
        def encode(self, texts):
            return torch.zeros(len(texts), 3)

    with pytest.raises(ValueError, match="returned shape"):
        CachedTextEncoder(Broken()).encode(["x"])
