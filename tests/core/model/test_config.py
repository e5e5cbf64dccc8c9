import json

import pytest

from core.model.config import ModelConfig
from core.resources import resources_dir


def test_default_comes_from_resources_model_json():
    data = json.loads((resources_dir() / "model.json").read_text())
    assert ModelConfig.default().to_dict() == data
    assert ModelConfig.default().backbone == "smallcnn"
    assert ModelConfig.default().text_encoder == "minilm"


def test_dict_round_trip_and_file_round_trip(tmp_path):
    cfg = ModelConfig(backbone="resnet18", embed_dim=64, proj_hidden=32, fusion_hidden=8, n_views=5, image_size=64)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    cfg.save(tmp_path / "m.json")
    assert ModelConfig.load(tmp_path / "m.json") == cfg


def test_missing_keys_take_defaults():
    assert ModelConfig.from_dict({"embed_dim": 32}) == ModelConfig(embed_dim=32)


@pytest.mark.parametrize(
    "data, needle",
    [
        ({"embedding": 3}, "unknown model config key"),
        ({"embed_dim": 0}, "embed_dim"),
        ({"n_views": True}, "n_views"),
        ({"image_size": 8}, "image_size"),
        ({"backbone": "vgg16"}, "unknown backbone"),
        ({"backbone": "clip:ViT-B-32"}, "clip:<arch>"),
        ({"text_encoder": "bert"}, "unknown text encoder"),
    ],
)
def test_invalid_configs_are_refused(data, needle):
    with pytest.raises(ValueError, match=needle):
        ModelConfig.from_dict(data)


def test_bad_file_is_refused_naming_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        ModelConfig.load(bad)
    with pytest.raises(FileNotFoundError, match="gone.json"):
        ModelConfig.load(tmp_path / "gone.json")
