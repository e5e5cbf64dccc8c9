"""Model cards: JSON round trip, Markdown, where a checkpoint's card lives, unknown and damaged cards, the card of a
real (tiny) pretraining run."""

import json
import sys
from pathlib import Path

import pytest
import torch

from core.model import ModelConfig, SmileVLM, load_checkpoint, save_checkpoint
from core.model.card import (
    ERROR_KEY,
    ModelCard,
    card_from_run,
    card_paths,
    file_sha256,
    load_card,
    markdown_path,
    read_card,
    write_card,
)

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from pretrain_helpers import fake_build_text_encoder, make_dataset, tiny_settings  # noqa: E402

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


def tiny_checkpoint(path: Path) -> Path:
    torch.manual_seed(0)
    model = SmileVLM(TINY, text_dim=12)
    return save_checkpoint(path, model=model, model_config=TINY, epoch=1, step=1, config={"loss": {"tau": 0.07}})


def full_card(checkpoint: str = "model.ckpt", sha256: str = "") -> ModelCard:
    return ModelCard(
        name="SMILE-VLM default (synthetic ICT+SFM, 2026-12-02)",
        created="2026-12-02",
        checkpoint=checkpoint,
        sha256=sha256,
        training={
            "data": "synthetic faces only",
            "sets": [{"set": "bu3dfe-ict", "subjects": 40, "samples": 960},
                     {"set": "bu4dfe-sfm", "subjects": 20, "samples": 120}],
            "seed": 7,
            "epochs": 30,
            "recipe": {"alpha": 1.0, "beta": 1.0, "tau": 0.07},
            "command": "smile-vlm build-model",
        },
        supervision="category prompts (the expression labels choose each sample's prompt)",
        preprocessing={"canonical_faces": "ICT template, 90 mm crop", "views": "3 views", "image_size": 224},
        evaluation={"held-out ICT": {"accuracy": 81.25, "macro_f1": 79.5, "n_samples": 240, "n_subjects": 10,
                                     "mode": "zero-shot, fused views"}},
        calibration={"temperature": 1.7342, "ece_before": 12.5, "ece_after": 3.25, "n_samples": 230,
                     "split": "half the held-out subjects"},
        limits=["Trained on synthetic faces only.", "Not validated on real scans."],
        prompt_set="expressions",
        extra={"package": "smile-vlm"},
    )


# ------------------------------------------------------------------------------------------------ data
def test_json_round_trip_and_markdown(tmp_path):
    card = full_card()
    json_path = write_card(card, tmp_path / "model.card.json")
    assert json_path == tmp_path / "model.card.json"
    assert read_card(json_path) == card
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["format"] == "smile-vlm-model-card" and data["version"] == 1
    assert ModelCard.from_dict(data) == card and card.known and card.temperature == pytest.approx(1.7342)

    md = markdown_path(json_path)
    assert md == tmp_path / "model.card.md"
    text = md.read_text(encoding="utf-8")
    assert text == card.to_markdown()
    assert text.startswith("# SMILE-VLM default (synthetic ICT+SFM, 2026-12-02)\n")
    for section in ("## Supervision", "## Training", "## Preprocessing", "## Evaluation on held-out subjects",
                    "## Calibration", "## Limits"):
        assert section in text
    # the evaluation is a table row with every figure
    row = next(line for line in text.splitlines() if line.startswith("| held-out ICT"))
    assert [c.strip() for c in row.strip("|").split("|")] == ["held-out ICT", "81.25", "79.5", "240", "10",
                                                             "zero-shot, fused views"]
    assert "| accuracy (%) | macro F1 (%) |" in text
    assert "1.734" in text and "12.5 before, 3.25 after" in text
    assert "| bu3dfe-ict | 40 | 960 |" in text  # a list of objects becomes a table
    assert "- Not validated on real scans." in text and "category prompts" in text


def test_bad_cards_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="x.json: .*no name"):
        ModelCard.from_dict({"checkpoint": "a.ckpt"}, source="x.json")
    with pytest.raises(ValueError, match=r"x.json: unknown model card key\(s\) \['colour'\]"):
        ModelCard.from_dict({"name": "m", "colour": "red"}, source="x.json")
    with pytest.raises(ValueError, match="x.json: limits must be a list of strings"):
        ModelCard.from_dict({"name": "m", "limits": "none"}, source="x.json")
    with pytest.raises(ValueError, match="x.json: evaluation"):
        ModelCard.from_dict({"name": "m", "evaluation": {"set": 0.8}}, source="x.json")
    with pytest.raises(ValueError, match="x.json: calibration temperature must be a number > 0"):
        ModelCard.from_dict({"name": "m", "calibration": {"temperature": 0}}, source="x.json")
    with pytest.raises(ValueError, match="x.json: not a SMILE-VLM model card"):
        ModelCard.from_dict({"format": "other", "name": "m"}, source="x.json")
    with pytest.raises(ValueError, match="x.json: model card version 9 is newer"):
        ModelCard.from_dict({"version": 9, "name": "m"}, source="x.json")
    with pytest.raises(ValueError, match="cannot write the model card"):
        write_card(ModelCard(name="m", extra={"x": object()}), tmp_path / "bad.card.json")
    assert not (tmp_path / "bad.card.json").exists()


# ------------------------------------------------------------------------------------------------ files
def test_card_paths_and_folder_card(tmp_path):
    ckpt = tiny_checkpoint(tmp_path / "model.ckpt")
    assert card_paths(ckpt) == (tmp_path / "model.card.json", tmp_path / "card.json")
    # a folder card for this checkpoint is used; one naming another checkpoint is not
    write_card(full_card(checkpoint="other.ckpt"), tmp_path / "card.json")
    assert not load_card(ckpt).known
    write_card(full_card(checkpoint="model.ckpt"), tmp_path / "card.json")
    assert load_card(ckpt) == full_card(checkpoint="model.ckpt")
    # the checkpoint's own card wins, its sha256 checked
    own = full_card(checkpoint="model.ckpt", sha256=file_sha256(ckpt))
    own = ModelCard(**{**own.__dict__, "name": "own card"})
    write_card(own, tmp_path / "model.card.json")
    assert load_card(ckpt).name == "own card"


def test_checkpoint_without_card_still_loads(tmp_path):
    ckpt = tiny_checkpoint(tmp_path / "last.ckpt")
    card = load_card(ckpt)
    assert not card.known and card.name == "last.ckpt (no model card)" and card.checkpoint == "last.ckpt"
    assert any("Nothing is known about how this model was trained" in s for s in card.limits)
    assert ERROR_KEY not in card.extra and card.temperature is None and card.evaluation == {}
    md = card.to_markdown()
    assert "No model card" in md and "## Evaluation on held-out subjects\n\nUnknown." in md
    assert load_checkpoint(ckpt).epoch == 1


def test_corrupt_or_mismatched_card_gives_the_unknown_card_with_the_reason(tmp_path):
    ckpt = tiny_checkpoint(tmp_path / "model.ckpt")
    (tmp_path / "model.card.json").write_text("{not json", encoding="utf-8")
    card = load_card(ckpt)
    assert not card.known and card.name == "model.ckpt (no model card)"
    assert "model.card.json" in card.extra[ERROR_KEY] and "not valid JSON" in card.extra[ERROR_KEY]
    assert "could not be used" in card.to_markdown() and "not valid JSON" in card.to_markdown()
    write_card(full_card(sha256="0" * 64), tmp_path / "model.card.json")
    card = load_card(ckpt)
    assert not card.known and "describes other weights" in card.extra[ERROR_KEY]
    assert load_card(ckpt, check_sha256=False).known


# ------------------------------------------------------------------------------------------------ runs
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    import core.train.pretraining as pretraining
    from core.train import PretrainConfig, pretrain

    manifest, cache = make_dataset(tmp_path_factory.mktemp("synthetic"), per_class=4)
    config = PretrainConfig.from_dict(tiny_settings(manifest, cache, epochs=1, keep_checkpoints=1))
    run_dir = tmp_path_factory.mktemp("runs") / "tiny-run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pretraining, "build_text_encoder", fake_build_text_encoder)
        summary = pretrain(config, run_dir)
    return run_dir, summary, manifest


def test_pretraining_writes_the_run_card(tiny_run):
    run_dir, summary, manifest = tiny_run
    assert summary.status == "done"
    assert (run_dir / "last.card.json").is_file() and (run_dir / "last.card.md").is_file()
    card = load_card(run_dir / "last.ckpt")  # found beside last.ckpt, sha256 matching
    assert card.known and card.checkpoint == "last.ckpt" and card.sha256 == file_sha256(run_dir / "last.ckpt")
    assert card.name.startswith("tiny-run: pretrained here, 1 epoch (")
    t = card.training
    assert t["epochs"] == 1 and t["epochs_planned"] == 1 and t["steps"] == summary.step and t["status"] == "done"
    assert t["samples"] == 16 and t["subjects"] == 4 and t["seed"] == 3 and str(manifest) in t["data"]
    assert t["classes"] == ["happiness", "sadness", "surprise", "anger"]
    assert t["recipe"]["tau"] == pytest.approx(summary_tau(run_dir))
    assert set(t["final_losses"]) == {"loss", "mv_bt", "vl_align", "red_min"}
    assert t["final_losses"]["loss"] == pytest.approx(summary.losses["loss"], abs=1e-3)
    assert "--config" in t["command"] and "config.json" in t["command"]
    assert card.supervision.startswith("category prompts")
    assert card.preprocessing["image_size"] == 32 and card.preprocessing["views"].startswith("3 views at yaw")
    assert card.evaluation == {} and card.calibration == {}
    assert any("Not evaluated on held-out subjects" in s for s in card.limits)
    assert not any("did not finish" in s for s in card.limits)
    md = (run_dir / "last.card.md").read_text(encoding="utf-8")
    assert "Not evaluated on held-out subjects" in md and "tiny-run" in md


def summary_tau(run_dir: Path) -> float:
    return json.loads((run_dir / "config.json").read_text())["loss"]["tau"]


def test_card_from_run_of_a_stopped_language_free_run(tiny_run, tmp_path):
    run_dir, _, _ = tiny_run
    # the same run, as if stopped after 1 of 3 epochs and trained without prompts
    config = json.loads((run_dir / "config.json").read_text())
    config.update(epochs=3, prompts="none", supervision="none")
    ckpt = load_checkpoint(run_dir / "last.ckpt")
    folder = tmp_path / "stopped"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "log.jsonl").write_text(json.dumps({"event": "stopped", "time": 0, "message": "stopped"}) + "\n")
    model = ckpt.build_model()
    save_checkpoint(folder / "last.ckpt", model=model, model_config=ckpt.model_config, epoch=1, step=2,
                    config=config, extra={**ckpt.extra, "supervision": "none"})
    card = card_from_run(folder)
    assert card.training["status"] == "stopped" and card.supervision.startswith("none")
    assert any("1 of 3 epochs" in s for s in card.limits)
    assert any("close to meaningless" in s for s in card.limits)
    with pytest.raises(ValueError, match="checkpoint file not found"):
        card_from_run(tmp_path / "nothing")
