import pytest
import torch

from core.losses import LossWeights, smile_vlm_loss
from core.model import ModelConfig, SmileVLM
from core.text import build_text_encoder

CFG = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return SmileVLM(CFG, text_dim=384)


def test_shapes_of_every_output(model):
    x = torch.randint(0, 256, (4, 3, 3, 32, 32), dtype=torch.uint8)
    out = model(x, torch.randn(4, 384))
    assert out.z_views.shape == (3, 4, 16)
    assert out.z_fused.shape == (4, 16) and out.weights.shape == (4, 3) and out.z_text.shape == (4, 16)
    assert torch.allclose(out.weights.sum(1), torch.ones(4))
    assert model(x).z_text is None


def test_uint8_and_unit_float_views_give_the_same_embedding(model):
    model.eval()
    x = torch.randint(0, 256, (2, 3, 3, 32, 32), dtype=torch.uint8)
    assert torch.allclose(model.encode_views(x), model.encode_views(x.float() / 255), atol=1e-5)


def test_views_share_one_encoder(model):
    model.eval()
    x = torch.randint(0, 256, (2, 3, 3, 32, 32), dtype=torch.uint8)
    z = model.encode_views(x)
    swapped = model.encode_views(x[:, [2, 1, 0]])
    assert torch.allclose(z[0], swapped[2], atol=1e-5) and torch.allclose(z[2], swapped[0], atol=1e-5)


def test_mask_reaches_fusion(model):
    x = torch.randint(0, 256, (2, 3, 3, 32, 32), dtype=torch.uint8)
    out = model(x, mask=torch.tensor([[True, False, True], [True, True, True]]))
    assert out.weights[0, 1] == 0


def test_bad_inputs(model):
    with pytest.raises(ValueError, match=r"\(B, N, 3, H, W\)"):
        model.encode_views(torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match="project_text"):
        model.project_text(torch.randn(2, 100))
    with pytest.raises(ValueError):
        SmileVLM(CFG, text_dim=0)


def test_gradients_reach_encoder_and_projector_but_not_the_frozen_text_encoder(model):
    encoder = build_text_encoder("minilm", device="cpu")
    assert not any(p.requires_grad for p in encoder.module.parameters())
    assert all(id(p) not in {id(q) for q in model.parameters()} for p in encoder.module.parameters())
    prompts = ["a person smiling happily", "a person looking sad", "a person looking surprised", "a face showing rage"]
    x = torch.randint(0, 256, (4, 3, 3, 32, 32), dtype=torch.uint8)
    za, zb = model.encode_views(x), model.encode_views(torch.flip(x, dims=[-1]))
    out = model(x, encoder.encode(prompts))
    total, _ = smile_vlm_loss(za, zb, out.z_views, out.z_fused, out.z_text, LossWeights())
    total.backward()
    for name, part in (("backbone", model.backbone), ("projector", model.projector), ("fusion", model.fusion),
                       ("text_proj", model.text_proj)):
        grads = [p.grad for p in part.parameters()]
        assert all(g is not None for g in grads), name
        assert sum(g.abs().sum() for g in grads) > 0, name
    assert all(p.grad is None for p in encoder.module.parameters())
    assert not any("bert" in k or "auto_model" in k for k in model.state_dict())
