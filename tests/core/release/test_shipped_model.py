"""The committed default model: weights only, small, its sha256 and card beside it, calibrated."""

import pytest

from core.model.card import load_card
from core.model.checkpoint import load_checkpoint
from core.release.install import shipped_model_dir, verify


@pytest.fixture(scope="module")
def shipped():
    folder = shipped_model_dir()
    if folder is None:
        pytest.skip("no shipped default model in resources/models/default")
    return folder


def test_checkpoint_matches_its_sha256_and_is_small(shipped):
    digest = verify(shipped)
    assert (shipped / "model.ckpt").stat().st_size <= 20 * 1024 * 1024
    card = load_card(shipped / "model.ckpt")
    assert card.known and card.sha256 == digest


def test_weights_only_with_calibration_and_training_subjects(shipped):
    ckpt = load_checkpoint(shipped / "model.ckpt")  # torch.load(weights_only=True)
    assert ckpt.optimizer_state is None and ckpt.rng_state is None
    card = load_card(shipped / "model.ckpt")
    assert ckpt.extra["calibration"]["temperature"] == pytest.approx(card.calibration["temperature"])
    assert len({k.split("@")[1] for k in ckpt.extra["subjects"]}) == 4  # four training sets (face model x seed)
    assert card.training["subjects"] >= 300
    assert "all held-out sets" in card.evaluation
    assert any("never seen a real face scan" in line for line in card.limits)
