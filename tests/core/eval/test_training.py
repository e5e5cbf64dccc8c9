import numpy as np
import pytest
import torch

from core.eval.training import embed, make_uniform, train_fold_model
from core.train.distributed import resolve_device
from core.eval.zero_shot import prompt_class_embeddings
from core.model import SmileVLM

from .eval_helpers import CE, CLASSES, MVBT, SETTINGS, SMILE, TEXT_DIM, TINY, UNIFORM, fake_views, prompts_and_features


def _data(n=12):
    labels = [CLASSES[i % 3] for i in range(n)]
    views = torch.from_numpy(fake_views(labels).transpose(0, 1, 4, 2, 3).copy())
    return views, torch.tensor([CLASSES.index(y) for y in labels])


def _train(method, seed=0, **kw):
    views, labels = _data()
    prompts, feats = prompts_and_features()
    return train_fold_model(method, SETTINGS, TINY, views, labels, CLASSES, seed=seed, prompts=prompts,
                            text_features=feats, text_dim=TEXT_DIM, **kw)


def test_smile_training_is_deterministic_and_logs_every_term():
    epochs = []
    a = _train(SMILE, on_epoch=lambda e, m: epochs.append(e))
    b = _train(SMILE)
    assert epochs == [0]
    assert set(a.history[0]) == {"loss", "mv_bt", "vl_align", "red_min"}
    assert all(np.isfinite(v) for v in a.history[0].values())
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not a.model.training


def test_language_free_and_supervised_training():
    mv = _train(MVBT)
    assert set(mv.history[0]) == {"loss", "mv_bt"}
    ce = _train(CE)
    assert ce.classifier is not None and set(ce.history[0]) == {"loss"}
    views, _ = _data()
    emb = embed(ce.model, views, batch=5, classifier=ce.classifier)
    assert emb.z_views.shape == (12, 3, TINY.embed_dim)
    assert emb.z_fused.shape == (12, TINY.embed_dim)
    assert emb.logits.shape == (12, 3)
    assert np.allclose(emb.weights.sum(axis=1), 1.0, atol=1e-5)


def test_uniform_fusion_stays_uniform():
    trained = _train(UNIFORM)
    views, _ = _data()
    emb = embed(trained.model, views)
    assert np.allclose(emb.weights, 1 / 3, atol=1e-6)
    assert all(not p.requires_grad for p in trained.model.fusion.parameters())
    model = SmileVLM(TINY, TEXT_DIM)
    make_uniform(model)
    assert torch.count_nonzero(model.fusion.score[-1].weight) == 0


def test_bad_input():
    views, labels = _data()
    with pytest.raises(ValueError, match="expects 3 x 16 px"):
        train_fold_model(SMILE, SETTINGS, TINY, views[:, :2], labels, CLASSES, seed=0)
    with pytest.raises(ValueError, match="needs prompts"):
        train_fold_model(SMILE, SETTINGS, TINY, views, labels, CLASSES, seed=0, text_dim=TEXT_DIM)
    with pytest.raises(ValueError, match="at least 2 samples"):
        train_fold_model(CE, SETTINGS, TINY, views[:1], labels[:1], CLASSES, seed=0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"


def test_untrained_model_scores_at_chance():
    """A random model's zero-shot predictions carry no information about the labels: accuracy ~ 1/C."""
    torch.manual_seed(0)
    model = SmileVLM(TINY, TEXT_DIM).eval()
    rng = np.random.default_rng(0)
    n = 900
    views = torch.from_numpy(rng.integers(0, 255, (n, 3, 3, 16, 16), dtype=np.uint8))
    labels = np.asarray(CLASSES)[rng.integers(0, 3, n)]
    prompts, feats = prompts_and_features()
    texts = sorted(feats)
    class_emb = prompt_class_embeddings(model, torch.stack([feats[t] for t in texts]), texts, prompts)
    emb = embed(model, views)
    pred = np.asarray(CLASSES)[(torch.from_numpy(emb.z_fused) @ class_emb.T).argmax(dim=1).numpy()]
    assert abs((pred == labels).mean() - 1 / 3) < 0.06


def test_shuffled_prompt_control_keeps_class_counts_and_breaks_the_link():
    from core.eval.training import prompt_labels

    labels = torch.arange(60) % 6
    assert torch.equal(prompt_labels(labels, "metadata", 0), labels)
    shuffled = prompt_labels(labels, "shuffled", 0)
    assert torch.equal(torch.bincount(shuffled), torch.bincount(labels))  # same class frequencies
    assert (shuffled == labels).float().mean() < 0.5  # mostly another class's prompts
    assert torch.equal(shuffled, prompt_labels(labels, "shuffled", 0))  # fixed for a run (seeded)
    assert not torch.equal(shuffled, prompt_labels(labels, "shuffled", 1))


def test_shuffled_control_and_class_aware_training_run():
    from dataclasses import replace

    control = replace(SMILE, name="shuffled", prompts="shuffled")
    assert control.supervision == "shuffled prompts (no category information)"
    trained = _train(control)
    assert set(trained.history[0]) == {"loss", "mv_bt", "vl_align", "red_min"}
    aware = replace(SMILE, loss=replace(SMILE.loss, class_aware=True, bt_scale="per_dim"))
    a = _train(aware)
    assert all(np.isfinite(v) for v in a.history[0].values())
    assert a.history[0]["mv_bt"] < _train(SMILE).history[0]["mv_bt"]  # divided by d
