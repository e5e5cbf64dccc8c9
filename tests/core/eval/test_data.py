import os

import numpy as np
import pytest

from core.datasets import ManifestRow, write_manifest
from core.eval.config import SynthSettings
from core.eval.data import (
    DataSource,
    load_views,
    parse_data_overrides,
    rows_fingerprint,
    source_rows,
    synth_config,
    synthetic_source,
    user_source,
)


def _row(tmp_path, i, label="anger", intensity=3, subject="F0001"):
    path = tmp_path / f"s{i}.obj"
    path.write_text(f"v 0 0 {i}\n")
    return ManifestRow(path=path, subject=subject, label=label, intensity=intensity, kind="3d", n_frames=1,
                       dataset="bu3dfe", code="AN")


def test_parse_data_overrides(tmp_path):
    out = parse_data_overrides([f"bu3dfe={tmp_path}/a, BU4DFE=~/b", "4dme=c.csv"])
    assert out["bu3dfe"] == tmp_path / "a"
    assert out["bu4dfe"] == __import__("pathlib").Path(os.path.expanduser("~/b"))
    assert out["4dme"].name == "c.csv" and out["4dme"].is_absolute()
    assert parse_data_overrides(None) == {}
    with pytest.raises(ValueError, match="given twice"):
        parse_data_overrides("bp4d=a,bp4d=b")


def test_user_sources_and_rows_with_protocol(tmp_path):
    rows = [_row(tmp_path, 0, intensity=1), _row(tmp_path, 1, intensity=4), _row(tmp_path, 2, "neutral", 0)]
    manifest = write_manifest(rows, tmp_path / "m.csv")
    src = user_source("bu3dfe", manifest)
    assert src.describe() == f"user data: {manifest}"
    assert [r.intensity for r in source_rows(src, "subset1")] == [4]
    assert len(source_rows(src, "subset2")) == 2
    assert len(source_rows(src)) == 3
    only_neutral = write_manifest([rows[2]], tmp_path / "n.csv")
    with pytest.raises(ValueError, match="none of its 1 rows belongs to protocol 'subset1'"):
        source_rows(user_source("bu3dfe", only_neutral), "subset1")
    folder = tmp_path / "me"
    folder.mkdir()
    with pytest.raises(ValueError, match="must be a manifest CSV"):
        user_source("4dme", folder)
    write_manifest(rows, folder / "4dme.csv")
    assert user_source("4dme", folder).path == folder / "4dme.csv"
    assert rows_fingerprint(rows) != rows_fingerprint(rows[:2])


def test_load_views_keeps_rows_with_cache_entries(tmp_path):
    from core.render import RenderCache, RenderConfig

    rows = [_row(tmp_path, i) for i in range(3)]
    cache = RenderCache(tmp_path / "cache", RenderConfig(size=16))
    cache.folder.mkdir(parents=True)
    for i in (0, 2):
        np.save(cache.entry_path(RenderCache.content_key(rows[i].path)), np.full((3, 16, 16, 3), i, np.uint8))
    views, kept, missing = load_views(rows, cache)
    assert views.shape == (2, 3, 16, 16, 3) and kept == [0, 2]
    assert views[1].max() == 2 and missing[0][0] == str(rows[1].path)


def test_synthetic_set_is_generated_once_and_reused(tmp_path):
    import shutil

    assert synth_config("bu4dfe", {"frames": 8}).frames == 8
    with pytest.raises(ValueError):
        synth_config("bu4dfe", {"frames": 1})
    src = synthetic_source("bosphorus", SynthSettings(1), 0, tmp_path)
    assert isinstance(src, DataSource) and (src.path / "synth.json").is_file()
    assert len(source_rows(src, "six-expressions")) == 6
    stamp = (src.path / "synth.json").stat().st_mtime_ns
    again = synthetic_source("bosphorus", SynthSettings(1), 0, tmp_path)
    assert again.path == src.path and (again.path / "synth.json").stat().st_mtime_ns == stamp
    other = synthetic_source("bosphorus", SynthSettings(1, {"neutral_residual": 0.0}), 0, tmp_path)
    assert other.path != src.path
    # an interrupted generation (a .partial folder, no finished folder) is thrown away and redone
    shutil.rmtree(src.path)
    partial = src.path.with_name(src.path.name + ".partial")
    partial.mkdir()
    (partial / "junk.txt").write_text("half written")
    redone = synthetic_source("bosphorus", SynthSettings(1), 0, tmp_path)
    assert redone.path == src.path and (redone.path / "synth.json").is_file()
    assert not partial.exists() and not (redone.path / "junk.txt").exists()


def test_row_orientations_pick_their_cache_entries_and_enter_the_fingerprint(tmp_path):
    from dataclasses import replace

    from core.render import RenderCache, RenderConfig

    rows = [_row(tmp_path, i) for i in range(2)]
    oriented = [replace(rows[0], orientation="none"), rows[1]]
    assert rows_fingerprint(oriented) != rows_fingerprint(rows)
    assert rows_fingerprint([replace(r, orientation="") for r in rows]) == rows_fingerprint(rows)
    cache = RenderCache(tmp_path / "cache", RenderConfig(size=16))
    cache.folder.mkdir(parents=True)
    for i, row in enumerate(oriented):
        key = cache.entry_key(RenderCache.content_key(row.path), row.orientation)
        np.save(cache.entry_path(key), np.full((3, 16, 16, 3), 10 + i, np.uint8))
    views, kept, missing = load_views(oriented, cache)
    assert kept == [0, 1] and views[0].max() == 10 and views[1].max() == 11 and not missing
    views, kept, missing = load_views(rows, cache)  # row 0 without its orientation has no entry
    assert kept == [1] and missing[0][0] == str(rows[0].path)
