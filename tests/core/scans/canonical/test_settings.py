"""CanonicalSettings: data from resources/canonical.json, validated, hashed."""

from __future__ import annotations

import json

import pytest

from core.scans.canonical import CanonicalSettings, RegistrationSettings, check_orientation, orientation_choices


def test_resources_file_matches_the_dataclass_defaults():
    assert CanonicalSettings.default() == CanonicalSettings()


def test_round_trip_and_key():
    s = CanonicalSettings()
    assert CanonicalSettings.from_dict(s.to_dict()) == s
    assert json.loads(json.dumps(s.to_dict())) == s.to_dict()
    assert s.key() == CanonicalSettings().key()
    assert s.replace(radius_mm=80).key() != s.key()
    assert s.replace(orientation="Z-UP ").orientation == "z-up"
    assert s.replace(crop=None) == s


@pytest.mark.parametrize("changes, message", [
    ({"orientation": "sideways"}, "unknown orientation"),
    ({"radius_mm": 0}, "radius_mm"),
    ({"crop": "yes"}, "crop"),
    ({"template": "bfm"}, "template"),
    ({"min_coverage": 1.5}, "min_coverage"),
    ({"registration": {"keep": 0.1}}, "keep"),
    ({"registration": {"stages": [[40, 5, 8]]}}, "stages"),
    ({"registration": {"starts_scale": []}}, "starts_scale"),
    ({"colour": 1}, "unknown"),
])
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        CanonicalSettings.from_dict({**CanonicalSettings().to_dict(), **changes})


def test_comment_keys_and_partial_registration(tmp_path):
    path = tmp_path / "canonical.json"
    path.write_text(json.dumps({"_about": "x", "radius_mm": 80, "registration": {"keep": 0.7}}))
    s = CanonicalSettings.from_json(path)
    assert s.radius_mm == 80 and s.registration.keep == 0.7
    assert s.registration.stages == RegistrationSettings().stages


def test_orientations():
    assert orientation_choices()[0] == "auto" and "none" in orientation_choices() and "z-up" in orientation_choices()
    with pytest.raises(ValueError, match="where"):
        check_orientation("left", "where")
