import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.eval.zero_shot import (
    class_embeddings,
    class_rows,
    prompt_class_embeddings,
    zero_shot_probabilities,
    zero_shot_similarities,
)
from core.model import ModelConfig, SmileVLM, save_checkpoint

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


def test_class_embeddings_are_normalised_means_of_normalised_prompts():
    emb = torch.tensor([[2.0, 0.0], [0.0, 3.0], [0.0, -1.0]])
    out = class_embeddings(emb, [[0, 1], [2]])
    expected0 = F.normalize(torch.tensor([0.5, 0.5]), dim=0)
    assert torch.allclose(out[0], expected0)
    assert torch.allclose(out[1], torch.tensor([0.0, -1.0]))
    assert torch.allclose(out.norm(dim=1), torch.ones(2))


def test_similarities_and_probabilities():
    class_emb = torch.eye(3)
    z = torch.tensor([[3.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    sims = zero_shot_similarities(z, class_emb)
    assert torch.allclose(sims, torch.tensor([[1.0, 0.0, 0.0], [0.0, 2 ** -0.5, 2 ** -0.5]]))
    probs = zero_shot_probabilities(sims, 0.07)
    assert torch.allclose(probs.sum(dim=1), torch.ones(2))
    assert probs[0].argmax() == 0
    with pytest.raises(ValueError, match="same D"):
        zero_shot_similarities(torch.zeros(2, 4), class_emb)
    with pytest.raises(ValueError, match="tau"):
        zero_shot_probabilities(sims, 0.0)


def test_class_rows_errors():
    assert class_rows(["p", "q", "r"], {"a": ["q", "r"], "b": ["p"]}) == [[1, 2], [0]]
    with pytest.raises(ValueError, match="no text feature"):
        class_rows(["p"], {"a": ["x"]})


def test_matches_the_analyzer(tmp_path):
    """The shared scoring gives the Analyzer's similarities and probabilities for the same views."""
    from core.inference import Analyzer
    from core.prompts import default_prompt_set
    from core.text import build_text_encoder

    torch.manual_seed(0)
    model = SmileVLM(TINY, text_dim=384)
    path = save_checkpoint(tmp_path / "t.ckpt", model=model, model_config=TINY, epoch=1, step=1,
                           config={"loss": {"tau": 0.07}})
    analyzer = Analyzer(path, prompts="expressions", device="cpu")
    views = np.random.default_rng(0).integers(0, 255, (3, 32, 32, 3), dtype=np.uint8)
    result = analyzer.analyze_views(views)

    prompt_set = default_prompt_set("expressions")
    texts = prompt_set.all_prompts()
    feats = build_text_encoder("minilm", device="cpu").encode(texts)
    class_emb = prompt_class_embeddings(analyzer.model, feats, texts, dict(prompt_set.classes))
    z = torch.from_numpy(result.embedding)[None]
    sims = zero_shot_similarities(z, class_emb)[0]
    probs = zero_shot_probabilities(sims[None], analyzer.tau)[0]
    assert sims.tolist() == pytest.approx([result.similarities[c] for c in prompt_set.labels], abs=1e-5)
    assert probs.tolist() == pytest.approx([result.probabilities[c] for c in prompt_set.labels], abs=1e-5)
