import json

import pytest

from core.release.config import BuildConfig, SetSpec


def test_shipped_build_settings_load_and_meet_the_issue():
    config = BuildConfig.load()
    assert config.n_train_subjects >= 300
    assert {s.face_model for s in config.train} == {"ict", "sfm"}
    assert {s.dataset for s in config.train} == {"bu3dfe", "bu4dfe"}  # 3D and 4D
    assert config.to_dict()["train"][0]["dataset"] == config.train[0].dataset


def _write(tmp_path, **changes):
    data = {
        "name": "m",
        "train": [{"dataset": "bu3dfe", "face_model": "sfm", "subjects": 2, "seed": 1, "levels": [0, 4]}],
        "heldout": [{"dataset": "bu3dfe", "face_model": "sfm", "subjects": 2, "seed": 2}],
        "pretrain": {"epochs": 1},
    }
    data.update(changes)
    path = tmp_path / "build.json"
    path.write_text(json.dumps(data))
    return path


def test_a_held_out_set_with_a_training_seed_is_refused(tmp_path):
    same = [{"dataset": "bu3dfe", "face_model": "sfm", "subjects": 2, "seed": 1}]
    with pytest.raises(ValueError, match="training set's seed"):
        BuildConfig.load(_write(tmp_path, heldout=same))
    other_model = [{"dataset": "bu3dfe", "face_model": "ict", "subjects": 2, "seed": 1}]
    assert BuildConfig.load(_write(tmp_path, heldout=other_model)).heldout[0].face_model == "ict"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"colour": 1}, "unknown setting"),
        ({"train": [{"dataset": "bp4d", "subjects": 2}]}, "dataset must be"),
        ({"train": [{"dataset": "bu3dfe", "subjects": 0}]}, "subjects"),
        ({"train": [{"dataset": "bu4dfe", "subjects": 2, "levels": [3]}]}, "levels apply"),
        ({"train": [{"dataset": "bu3dfe", "subjects": 2, "levels": [5]}]}, "levels"),
        ({"pretrain": {"data": "x.csv"}}, "set by build-model"),
        ({"render": {"size": 32, "colour": 1}}, "render"),
    ],
)
def test_bad_settings_name_the_file(tmp_path, changes, message):
    path = _write(tmp_path, **changes)
    with pytest.raises(ValueError, match=message) as err:
        BuildConfig.load(path)
    assert str(path) in str(err.value)


def test_set_name_is_unique_per_generator_model_and_seed():
    assert SetSpec("bu4dfe", "ict", 3, 7).name == "bu4dfe-ict-seed7"
