"""ScanLimits: data from resources/scans.json, validated; a sequence's per-frame share."""

from __future__ import annotations

import json

import pytest

from core.resources import resources_dir
from core.scans import ScanLimits
from core.scans.limits import MIN_CAP


def test_default_comes_from_resources_scans_json():
    data = json.loads((resources_dir() / "scans.json").read_text())
    limits = ScanLimits.default()
    assert {k: v for k, v in data.items() if not k.startswith("_")} == limits.to_dict()
    assert limits.max_vertices == 200_000 and limits.npz_member_bytes == 256 * 1024 * 1024


def test_unlimited_switches_every_cap_off():
    assert set(ScanLimits.unlimited().to_dict().values()) == {None}


@pytest.mark.parametrize("changes", [{"max_vertices": 10}, {"max_points": 1.5e6}, {"max_faces": True},
                                     {"npz_member_bytes": 0}, {"max_sequence_vertices": "many"}])
def test_bad_values_are_refused_naming_the_key(changes):
    key = next(iter(changes))
    with pytest.raises(ValueError, match=key):
        ScanLimits(**changes)


def test_from_json_reads_null_as_no_limit_and_refuses_unknown_keys(tmp_path):
    path = tmp_path / "scans.json"
    path.write_text(json.dumps({"_about": "comment", "max_vertices": None, "max_points": 5000}))
    limits = ScanLimits.from_json(path)
    assert limits.max_vertices is None and limits.max_points == 5000 and limits.max_faces == 400_000
    path.write_text(json.dumps({"max_vertex": 5000}))
    with pytest.raises(ValueError, match=r"scans\.json.*max_vertex"):
        ScanLimits.from_json(path)


def test_a_frame_gets_its_share_of_the_sequence_budget():
    limits = ScanLimits(max_vertices=200_000, max_faces=400_000, max_points=150_000, max_sequence_vertices=6_000_000)
    each = limits.per_frame(100)
    assert (each.max_vertices, each.max_faces, each.max_points) == (60_000, 120_000, 60_000)
    assert each.max_sequence_vertices is None and each.npz_member_bytes == limits.npz_member_bytes
    assert limits.per_frame(10).max_vertices == 200_000  # the share is larger than the scan cap
    assert limits.per_frame(1) is limits
    with pytest.raises(ValueError, match="frames"):
        limits.per_frame(6_000_000 // MIN_CAP + 1)
