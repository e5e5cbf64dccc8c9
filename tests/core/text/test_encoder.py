import pytest
import torch

from core.model.clip_weights import ClipWeightsError
from core.text import MiniLMTextEncoder, TextEncoder, build_text_encoder


@pytest.fixture(scope="module")
def minilm():
    return build_text_encoder("minilm", device="cpu")


def test_minilm_shape_norm_and_determinism(minilm):
    assert isinstance(minilm, MiniLMTextEncoder) and isinstance(minilm, TextEncoder)
    assert minilm.dim == 384 and minilm.name == "minilm"
    prompts = ["a person smiling happily", "a photo of a sad face", "a face showing rage"]
    a = minilm.encode(prompts)
    assert a.shape == (3, 384) and a.dtype == torch.float32 and a.device.type == "cpu"
    assert torch.allclose(a.norm(dim=1), torch.ones(3), atol=1e-5)
    assert torch.equal(a, minilm.encode(prompts))
    assert torch.allclose(minilm.encode(prompts[1:2])[0], a[1], atol=1e-5)  # independent of the batch


def test_similar_prompts_are_closer_than_unrelated_ones(minilm):
    e = minilm.encode(["a person smiling happily", "a photo of a happy face", "a red car parked on a street",
                       "a person looking sad", "a photo of a sad face"])
    sim = e @ e.T
    assert sim[0, 1] > sim[0, 2] + 0.3
    assert sim[3, 4] > sim[3, 2] + 0.3


def test_frozen_and_gradient_free(minilm):
    assert not minilm.module.training
    assert all(not p.requires_grad for p in minilm.module.parameters())
    out = minilm.encode(["a face"])
    assert not out.requires_grad


def test_shared_per_process(minilm):
    assert build_text_encoder("minilm", device="cpu") is minilm


def test_bad_inputs(minilm):
    assert minilm.encode([]).shape == (0, 384)
    with pytest.raises(ValueError, match="list of strings"):
        minilm.encode("a face")
    with pytest.raises(ValueError, match="strings only"):
        minilm.encode(["a face", 3])
    with pytest.raises(ValueError, match="unknown text encoder"):
        build_text_encoder("bert")


def test_clip_text_encoder_without_weights_is_refused(tmp_path, monkeypatch):
    import open_clip

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(open_clip, "create_model", lambda *a, **k: pytest.fail("open_clip tried to build a model"))
    with pytest.raises(ClipWeightsError, match="not on this machine.*refusing to continue with random weights"):
        build_text_encoder("clip:ViT-B-32:openai", device="cpu")
    with pytest.raises(ClipWeightsError, match="weights file not found"):
        build_text_encoder(f"clip:ViT-B-32:{tmp_path / 'b32.bin'}", device="cpu")
