"""The Analyzer divides the zero-shot logits by the checkpoint's calibrated temperature and carries its model card."""

import numpy as np
import pytest
import torch

from core.inference.analyzer import Analyzer, checkpoint_temperature
from core.model import CheckpointError, SmileVLM, load_checkpoint, save_checkpoint
from core.model.card import ModelCard, write_card

from .conftest import TINY, face

CONFIG = {"loss": {"tau": 0.07}, "render": {"n_frames": 4}}


def checkpoint(path, extra=None):
    torch.manual_seed(0)
    model = SmileVLM(TINY, text_dim=384)
    return save_checkpoint(path, model=model, model_config=TINY, epoch=1, step=1, config=CONFIG, extra=extra)


def test_calibrated_temperature_divides_the_logits(tmp_path):
    plain = Analyzer(checkpoint(tmp_path / "plain.ckpt"), device="cpu")
    calibrated = Analyzer(checkpoint(tmp_path / "calibrated.ckpt", {"calibration": {"temperature": 3.0,
                                                                                    "ece_after": 2.0}}), device="cpu")
    assert plain.temperature == 1.0 and calibrated.temperature == 3.0
    views, source = plain.render(face(0.1))
    a = plain.analyze_views(views, source)
    b = calibrated.analyze_views(views, source)
    labels = list(a.probabilities)
    assert a.similarities == pytest.approx(b.similarities)  # same weights: same cosines
    sims = np.array([a.similarities[k] for k in labels])

    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    assert [a.probabilities[k] for k in labels] == pytest.approx(softmax(sims / 0.07), abs=1e-5)
    assert [b.probabilities[k] for k in labels] == pytest.approx(softmax(sims / 0.07 / 3.0), abs=1e-5)
    assert a.top == b.top  # argmax unchanged
    assert max(b.probabilities.values()) < max(a.probabilities.values())  # T > 1 softens
    assert [b.probabilities[k] for k in labels] != pytest.approx([a.probabilities[k] for k in labels], abs=1e-4)


def test_temperature_values(tmp_path):
    assert checkpoint_temperature(load_checkpoint(checkpoint(tmp_path / "a.ckpt", {"calibration": {}}))) == 1.0
    bad = load_checkpoint(checkpoint(tmp_path / "bad.ckpt", {"calibration": {"temperature": -1.0}}))
    with pytest.raises(CheckpointError, match=r"bad.ckpt: bad calibration temperature -1.0"):
        checkpoint_temperature(bad)


def test_analyzer_carries_the_model_card(tmp_path):
    path = checkpoint(tmp_path / "model.ckpt", {"calibration": {"temperature": 1.5}})
    assert Analyzer(path, device="cpu").card.name == "model.ckpt (no model card)"
    write_card(ModelCard(name="SMILE-VLM test model", checkpoint="model.ckpt", calibration={"temperature": 1.5}),
               tmp_path / "model.card.json")
    analyzer = Analyzer(path, device="cpu")
    assert analyzer.card.known and analyzer.card.name == "SMILE-VLM test model" and analyzer.temperature == 1.5
