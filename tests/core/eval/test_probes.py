import numpy as np
import pytest

from core.eval.probes import knn_classify, linear_probe


def _clusters(rng, n_per=20, dim=8):
    centres = np.eye(dim)[:3] * 5
    z = np.concatenate([c + rng.normal(0, 0.3, (n_per, dim)) for c in centres])
    y = np.repeat(["a", "b", "c"], n_per)
    return z, y


def test_probes_separate_clusters():
    rng = np.random.default_rng(0)
    ztr, ytr = _clusters(rng)
    zte, yte = _clusters(rng)
    assert (linear_probe(ztr, ytr, zte) == yte).mean() == 1.0
    assert (knn_classify(ztr, ytr, zte, k=3) == yte).mean() == 1.0


def test_probes_on_random_embeddings_score_at_chance():
    rng = np.random.default_rng(1)
    ztr, zte = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    ytr, yte = rng.choice(["a", "b", "c"], 600), rng.choice(["a", "b", "c"], 600)
    assert abs((linear_probe(ztr, ytr, zte) == yte).mean() - 1 / 3) < 0.08
    assert abs((knn_classify(ztr, ytr, zte) == yte).mean() - 1 / 3) < 0.08


def test_single_class_and_bad_shapes():
    z = np.ones((4, 3))
    assert list(linear_probe(z, ["a"] * 4, z[:2])) == ["a", "a"]
    assert list(knn_classify(z, ["a"] * 4, z[:2])) == ["a", "a"]
    with pytest.raises(ValueError, match="3-d but test embeddings 2-d"):
        linear_probe(z, ["a", "b", "a", "b"], np.ones((2, 2)))
    with pytest.raises(ValueError, match="labels"):
        knn_classify(z, ["a", "b"], z)
    with pytest.raises(ValueError, match="k must be"):
        knn_classify(z, ["a", "b", "a", "b"], z, k=0)
