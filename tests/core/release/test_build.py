"""build-model end to end on a tiny corpus (two SFM subjects to train on, two held out), then the first-run install."""

import json

import pytest
import torch

from core.model.card import load_card
from core.model.checkpoint import load_checkpoint
from core.release.build import build_model
from core.release.config import BuildConfig
from core.synth.model import SFM_FILES, repo_root

SHARED_SFM = repo_root().parent / "shared" / "sfm"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not all((SHARED_SFM / name).is_file() for name in SFM_FILES):
        pytest.skip(f"Surrey Face Model files not in {SHARED_SFM}")
    root = tmp_path_factory.mktemp("build")
    settings = {
        "name": "tiny test model",
        "prompt_set": "expressions_neutral",
        "render": {"size": 32, "n_frames": 4},
        "train": [{"dataset": "bu3dfe", "face_model": "sfm", "subjects": 2, "seed": 1, "levels": [0, 4]}],
        "heldout": [{"dataset": "bu3dfe", "face_model": "sfm", "subjects": 2, "seed": 2, "levels": [0, 4]}],
        "pretrain": {"epochs": 1, "batch_size": 4, "num_workers": 0, "keep_checkpoints": 1},
    }
    path = root / "build.json"
    path.write_text(json.dumps(settings))
    torch.set_num_threads(1)
    result = build_model(BuildConfig.load(path), root / "work", root / "out", workers=1, progress=False,
                         log=lambda line: None)
    return root, result


def test_weights_only_checkpoint_with_sha256_card_and_calibration(built):
    root, result = built
    out = root / "out"
    assert {p.name for p in out.iterdir()} == {"model.ckpt", "model.sha256", "model.card.json", "model.card.md"}
    assert (out / "model.sha256").read_text().split()[0] == result.sha256
    ckpt = load_checkpoint(result.checkpoint)  # weights_only load
    assert ckpt.optimizer_state is None and ckpt.rng_state is None
    assert ckpt.extra["calibration"]["temperature"] == result.calibration["temperature"] > 0
    assert len(ckpt.extra["subjects"]) == 2 and all(k.endswith("@sfm-seed1") for k in ckpt.extra["subjects"])
    card = load_card(result.checkpoint)
    assert card.name.startswith("tiny test model") and card.sha256 == result.sha256
    assert card.training["subjects"] == 2 and "synthetic faces only" in card.training["data"]
    assert "category prompts" in card.supervision
    assert set(card.evaluation) == {"bu3dfe-sfm-seed2", "all held-out sets"}
    figures = card.evaluation["bu3dfe-sfm-seed2"]
    assert figures["n_subjects"] == 1 and figures["n_samples"] == 7 and 0 <= figures["accuracy"] <= 100
    assert {"ece_before", "ece_after", "temperature"} <= set(card.calibration)
    assert any("never seen a real face scan" in line for line in card.limits)
    markdown = (out / "model.card.md").read_text()
    assert "tiny test model" in markdown and "ece" in markdown.lower()


def test_the_built_model_analyses_with_its_temperature(built):
    from core.inference import Analyzer

    _, result = built
    analyzer = Analyzer(str(result.checkpoint), device="cpu")
    assert analyzer.temperature == pytest.approx(result.calibration["temperature"])
    assert analyzer.card.name.startswith("tiny test model")


def test_a_second_build_reuses_everything(built):
    root, result = built
    again = build_model(BuildConfig.load(root / "build.json"), root / "work", root / "out2", workers=1,
                        progress=False, log=lambda line: None)
    assert again.evaluation == result.evaluation and again.calibration == result.calibration
    assert again.seconds["train"] < 30
