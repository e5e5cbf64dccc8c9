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


def test_canonical_settings_default_round_trip_and_change_the_key(tmp_path):
    from core.render.config import RENDERER_VERSION
    from core.scans.canonical import CanonicalSettings

    assert RENDERER_VERSION == 2
    cfg = RenderConfig.default()
    assert cfg.canonical == CanonicalSettings.default()  # render.json leaves it to resources/canonical.json
    data = cfg.to_dict()
    assert data["canonical"] == CanonicalSettings.default().to_dict()
    assert RenderConfig.from_dict(data) == cfg and RenderConfig.from_dict(json.loads(json.dumps(data))) == cfg
    # a partial object is laid over the defaults (nested registration key by key)
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"size": 64, "canonical": {"orientation": "Y-Up", "registration": {"keep": 0.7}}}))
    partial = RenderConfig.from_json(path)
    assert partial.canonical.orientation == "y-up" and partial.canonical.registration.keep == 0.7
    assert partial.canonical.crop == CanonicalSettings.default().crop
    assert partial.canonical.registration.stages == CanonicalSettings.default().registration.stages
    # every canonical setting is part of the key
    changes = ({"orientation": "none"}, {"crop": False}, {"radius_mm": 80.0}, {"registration": {"keep": 0.7}})
    keys = {cfg.key()} | {cfg.replace(canonical=c).key() for c in changes}
    assert len(keys) == 5
    assert cfg.replace(canonical=CanonicalSettings.default()).key() == cfg.key()


def test_replace_canonical_with_settings_or_changes():
    from core.scans.canonical import CanonicalSettings

    cfg = RenderConfig(size=32, canonical={"crop": False})
    assert cfg.canonical.crop is False and cfg.canonical.orientation == CanonicalSettings.default().orientation
    changed = cfg.replace(canonical={"orientation": "z-up"})  # a dict changes the current settings
    assert changed.canonical.orientation == "z-up" and changed.canonical.crop is False and changed.size == 32
    settings = CanonicalSettings.default().replace(orientation="none")
    assert cfg.replace(canonical=settings).canonical == settings  # settings replace them
    assert cfg.replace(canonical=None, pitch=None) == cfg
    with pytest.raises(ValueError, match="unknown orientation"):
        cfg.replace(canonical={"orientation": "sideways"})


@pytest.mark.parametrize(
    "canonical, match",
    [('"auto"', "canonical must be a JSON object"), ('{"orientation": "up"}', "unknown orientation"),
     ('{"crop": "yes"}', "crop"), ('{"radius": 80}', "unknown canonical settings key"),
     ('{"registration": {"keep": 5}}', "keep")],
)
def test_bad_canonical_settings_name_the_file(tmp_path, canonical, match):
    path = tmp_path / "bad.json"
    path.write_text(f'{{"canonical": {canonical}}}')
    with pytest.raises(ValueError, match=match) as info:
        RenderConfig.from_json(path)
    assert str(path) in str(info.value)
