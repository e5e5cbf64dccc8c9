from __future__ import annotations

import json

import pytest

from core.render import RenderConfig
from core.resources import resources_dir


def test_default_comes_from_resources_render_json():
    data = json.loads((resources_dir() / "render.json").read_text())
    cfg = RenderConfig.default()
    assert cfg.yaws == tuple(float(y) for y in data["yaws"])
    assert (cfg.size, cfg.pitch, cfg.n_frames) == (data["size"], data["pitch"], data["n_frames"])
    assert cfg == RenderConfig()  # the shipped file holds the documented defaults
    assert cfg.n_views == 3


def test_from_json_and_round_trip(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"yaws": [-45, 0, 45, 90], "size": 64}))
    cfg = RenderConfig.from_json(path)
    assert cfg.yaws == (-45.0, 0.0, 45.0, 90.0) and cfg.size == 64 and cfg.n_frames == 16
    assert RenderConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(size=None, pitch=5) == RenderConfig(yaws=cfg.yaws, size=64, pitch=5.0)


@pytest.mark.parametrize(
    "text, match",
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"yaw": [0]}', "unknown render config key"),
        ('{"size": 3}', "size"),
        ('{"yaws": []}', "yaws"),
        ('{"yaws": "0,30"}', "yaws"),
        ('{"pitch": 91}', "pitch"),
        ('{"n_frames": 0}', "n_frames"),
        ('{"n_frames": 2.5}', "n_frames"),
    ],
)
def test_bad_files_name_the_file_and_the_reason(tmp_path, text, match):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        RenderConfig.from_json(path)
    assert str(path) in str(info.value)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.json"):
        RenderConfig.from_json("nope.json")


def test_key_is_short_stable_and_setting_sensitive():
    a = RenderConfig()
    assert len(a.key()) == 12 and a.key() == RenderConfig().key()
    assert a.key() == RenderConfig(yaws=(-30, 0, 30), pitch=0).key()
    assert RenderConfig(yaws=(30, 0, -30)).key() != a.key()  # view order is part of the output
    with pytest.raises(Exception):
        a.size = 5  # frozen
