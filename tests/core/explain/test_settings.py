"""ExplainSettings: resources/explain.json, validation, errors naming the file."""

from __future__ import annotations

import json

import pytest

from core.explain.settings import ExplainSettings
from core.resources import resources_dir


def test_the_shipped_file_holds_the_documented_defaults():
    data = json.loads((resources_dir() / "explain.json").read_text())
    assert ExplainSettings.default() == ExplainSettings.from_dict(data) == ExplainSettings()
    assert data["_about"] and set(k for k in data if not k.startswith("_")) == set(ExplainSettings().to_dict())


@pytest.mark.parametrize("changes, word", [
    ({"method": "occlusion"}, "method"),
    ({"min_grid": 0}, "min_grid"),
    ({"min_grid": 2.5}, "min_grid"),
    ({"visibility_size": 4}, "visibility_size"),
    ({"depth_tolerance_px": -1}, "depth_tolerance_px"),
    ({"depth_tolerance_px": True}, "depth_tolerance_px"),
])
def test_bad_values_are_refused(changes, word):
    with pytest.raises(ValueError, match=word):
        ExplainSettings().replace(**changes)


def test_a_bad_file_is_named(tmp_path):
    path = tmp_path / "explain.json"
    path.write_text(json.dumps({"method": "gradcam", "layer": 3}))
    with pytest.raises(ValueError, match=r"explain\.json.*unknown explain key"):
        ExplainSettings.from_json(path)
    path.write_text(json.dumps({"_note": "comments are allowed", "min_grid": 8}))
    assert ExplainSettings.from_json(path) == ExplainSettings(min_grid=8)
