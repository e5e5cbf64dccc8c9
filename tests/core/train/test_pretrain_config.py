import json

import pytest

from core.losses import LossWeights
from core.model.config import ModelConfig
from core.train.pretrain_config import (
    PretrainConfig,
    config_differences,
    default_settings,
    load_pretrain_config,
)


def test_defaults_come_from_resources_and_model_json():
    cfg = load_pretrain_config()
    assert cfg.lr == 1e-4 and cfg.weight_decay == 1e-5 and cfg.prompts == "metadata"
    assert cfg.model == ModelConfig.default()
    assert cfg.loss == LossWeights(bt_scale="per_dim")  # the recipe of resources/pretrain.json (README: Training recipe)
    assert cfg.supervision == "category-prompts"
    assert default_settings()["batch_size"] == cfg.batch_size


def test_layers_file_then_flags_with_nested_merge(tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"epochs": 5, "loss": {"tau": 0.2}, "model": {"embed_dim": 32}}))
    cfg = load_pretrain_config(f, {"epochs": 7, "loss": {"alpha": 2.0}, "data": "m.csv"})
    assert cfg.epochs == 7  # flag beats file
    assert cfg.loss.tau == 0.2 and cfg.loss.alpha == 2.0 and cfg.loss.lambd_bt == LossWeights().lambd_bt
    assert cfg.model.embed_dim == 32 and cfg.model.backbone == ModelConfig.default().backbone
    assert cfg.data == str((tmp_path.cwd() / "m.csv").absolute())


def test_round_trip_and_supervision_recorded(tmp_path):
    cfg = load_pretrain_config(overrides={"prompts": "none", "data": "x.csv", "render": {"pitch": 5.0}})
    d = cfg.to_dict()
    assert d["supervision"] == "none"
    assert d["loss"]["beta"] == 0.0 and d["loss"]["gamma"] == 0.0  # forced off without language
    assert PretrainConfig.from_dict(json.loads(json.dumps(d))) == cfg
    cfg.save(tmp_path / "config.json")
    assert json.loads((tmp_path / "config.json").read_text()) == d


def test_prompt_set_name_kept_path_made_absolute():
    assert load_pretrain_config(overrides={"prompt_set": "expressions_neutral"}).prompt_set == "expressions_neutral"
    assert load_pretrain_config(overrides={"prompt_set": "p/set.json"}).prompt_set.endswith("/p/set.json")


@pytest.mark.parametrize(
    "override, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 1}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"prompts": "captions"}, "prompts"),
        ({"device": "tpu"}, "device"),
        ({"amp": "fp8"}, "amp"),
        ({"bogus": 1}, "unknown setting"),
        ({"loss": {"tau": 0}}, "tau"),
        ({"model": {"backbone": "vgg"}}, "backbone"),
        ({"augment": {"noise_std": 2}}, "noise_std"),
        ({"render": {"size": 64}}, "image_size"),
    ],
)
def test_bad_settings_are_clear_errors(override, match):
    with pytest.raises(ValueError, match=match):
        load_pretrain_config(overrides=override)


def test_bad_config_file_names_the_file(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json.*not valid JSON"):
        load_pretrain_config(f)
    f.write_text(json.dumps({"epochs": "many"}))
    with pytest.raises(ValueError, match="bad.json.*epochs"):
        load_pretrain_config(f)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        load_pretrain_config(tmp_path / "missing.json")


def test_supervision_must_match_prompts():
    d = load_pretrain_config().to_dict()
    d["supervision"] = "none"
    with pytest.raises(ValueError, match="contradicts"):
        PretrainConfig.from_dict(d)


def test_config_differences_ignores_resumable_settings():
    a = load_pretrain_config(overrides={"data": "a.csv"})
    b = load_pretrain_config(overrides={"data": "b.csv", "epochs": 300, "device": "cpu", "num_workers": 0})
    assert config_differences(a, b) == []
    c = load_pretrain_config(overrides={"lr": 3e-4, "loss": {"tau": 0.5}})
    assert config_differences(a, c) == ["loss.tau", "lr"]
