import pytest

from core.eval.config import MethodSpec, TrainSettings
from core.eval.presets import load_preset
from core.losses import LossWeights


def test_method_and_train_settings():
    m = MethodSpec("x", "X", prompts="none", loss=LossWeights(beta=1.0, gamma=1.0), evals=("linear_probe",))
    assert (m.loss.beta, m.loss.gamma) == (0.0, 0.0)
    with pytest.raises(ValueError, match="nothing would be trained"):
        MethodSpec("y", "Y", loss=LossWeights(alpha=0.0, beta=0.0, gamma=0.0))
    with pytest.raises(ValueError, match="classifier evaluation needs kind ce"):
        MethodSpec("z", "Z", evals=("classifier",))
    s = TrainSettings().updated({"model": {"embed_dim": 32}, "loss": {"tau": 0.1}, "epochs": 3}, "t")
    assert (s.model.embed_dim, s.model.backbone, s.loss.tau, s.epochs) == (32, "smallcnn", 0.1, 3)
    with pytest.raises(ValueError, match="unknown setting"):
        TrainSettings().updated({"epoch": 3}, "t")


def test_only_restricts_experiments():
    p = load_preset("smoke").only(["bosphorus"])
    assert [r.spec.name for r in p.experiments] == ["bosphorus"] and p.ablation == ()
    with pytest.raises(ValueError, match="no experiment 'nope'"):
        load_preset("smoke").only(["nope"])


def test_pca_lr_method():
    m = load_preset("smoke").methods["pca_lr"]
    assert (m.kind, m.evals, m.supervision) == ("pca_lr", ("classifier",), "labels")
    assert m.title == "PCA + logistic regression on registered vertices (fixed baseline)"
    assert m.eval_supervision("classifier") == "labels"
    plain = MethodSpec.from_dict("b", {"kind": "pca_lr"}, LossWeights(), "methods.b")
    assert plain.evals == ("classifier",)  # its only evaluation, implied
    with pytest.raises(ValueError, match=r"methods.b: method 'b': kind pca_lr is scored by its own logistic "
                                         r"regression: evals must be \["):
        MethodSpec.from_dict("b", {"kind": "pca_lr", "evals": ["classifier", "linear_probe"]}, LossWeights(),
                             "methods.b")
    with pytest.raises(ValueError, match="classifier evaluation needs kind ce or pca_lr"):
        MethodSpec("z", "Z", evals=("classifier",))
