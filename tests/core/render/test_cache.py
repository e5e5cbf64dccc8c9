from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.render import RenderCache, RenderConfig, render_views
from core.render import cache as cache_module
from core.render import cache_run
from core.scans import load
from core.scans.canonical import CanonicalSettings

from .conftest import write_obj


@dataclass(frozen=True)
class Row:
    path: Path
    kind: str = "3d"
    orientation: str = ""



@pytest.fixture
def config() -> RenderConfig:
    return RenderConfig(yaws=(-30, 0, 30), size=24, pitch=0.0, n_frames=3)


@pytest.fixture
def scans(tmp_path, height_field_builder) -> list[Path]:
    """Four distinct 3D scans (different nose heights)."""
    out = []
    for k in range(4):
        v, f = height_field_builder(n=15, nose_y=0.1 + 0.1 * k)
        out.append(write_obj(tmp_path / "data" / f"scan{k}.obj", v * 80.0, f))
    return out


@pytest.fixture
def sequence(tmp_path, height_field_builder) -> Path:
    folder = tmp_path / "data" / "seq01"
    for t in range(5):
        v, f = height_field_builder(n=15, smile=0.06 * t)
        write_obj(folder / f"{t:03d}.obj", v * 80.0, f)
    (folder / "texture.bmp").write_bytes(b"not a frame")
    return folder


def test_render_then_second_run_renders_nothing(tmp_path, config, scans, sequence):
    rows = [Row(p) for p in scans] + [Row(sequence, "4d")]
    cache = RenderCache(tmp_path / "cache", config)
    first = cache.render_manifest(rows, progress=False)
    assert (first.rendered, first.cached, first.failed, first.total) == (5, 0, (), 5)
    assert first.ok
    files = sorted(cache.folder.glob("*.npy"))
    assert len(files) == 5
    assert not list(cache.folder.glob("*.tmp")) and not list(cache.folder.glob(".*"))
    again = RenderCache(tmp_path / "cache", config).render_manifest(rows, progress=False)
    assert (again.rendered, again.cached, again.failed) == (0, 5, ())
    assert sorted(cache.folder.glob("*.npy")) == files


def test_entries_hold_the_renders_and_the_index_maps_paths(tmp_path, config, scans, sequence):
    cache = RenderCache(tmp_path / "cache", config)
    cache.render_manifest([Row(scans[0]), Row(sequence, "4d")], progress=False)
    got = cache.get(scans[0])
    assert got.dtype == np.uint8 and got.shape == (3, 24, 24, 3)
    assert np.array_equal(got, render_views(load(scans[0]), config.yaws, config.size, config.pitch))
    dyn = cache.get(sequence)
    assert dyn.shape == (3, 24, 24, 3) and dyn.max() == 255
    assert cache.get(scans[1]) is None  # not rendered yet
    assert cache.get(tmp_path / "missing.obj") is None
    index = json.loads(cache.index_path.read_text())
    assert index["key"] == config.key()
    assert set(index["entries"]) == {str(scans[0]), str(sequence)}
    entry = index["entries"][str(scans[0])]
    assert entry["kind"] == "3d" and (cache.folder / entry["file"]).is_file()
    assert entry["content"] == RenderCache.content_key(scans[0])
    assert cache.index[str(sequence)] == str(cache.folder / index["entries"][str(sequence)]["file"])
    assert json.loads((cache.folder / "config.json").read_text())["size"] == 24


def test_interrupted_run_resumes_without_redoing(tmp_path, config, scans, monkeypatch):
    rows = [Row(p) for p in scans]
    real = RenderCache.render_path
    calls = []

    def interrupt_after_two(self, path, kind, orientation=""):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(path)
        return real(self, path, kind, orientation)

    monkeypatch.setattr(RenderCache, "render_path", interrupt_after_two)
    with pytest.raises(KeyboardInterrupt):
        RenderCache(tmp_path / "cache", config).render_manifest(rows, progress=False)
    cache = RenderCache(tmp_path / "cache", config)
    assert len(list(cache.folder.glob("*.npy"))) == 2
    assert set(cache.index) == {str(scans[0]), str(scans[1])}  # the index was saved on the way out

    calls.clear()
    def spy(self, path, kind, orientation=""):
        calls.append(path)
        return real(self, path, kind, orientation)

    monkeypatch.setattr(RenderCache, "render_path", spy)
    summary = cache.render_manifest(rows, progress=False)
    assert (summary.rendered, summary.cached) == (2, 2)
    assert calls == [scans[2], scans[3]]
    assert set(cache.index) == {str(p) for p in scans}


def test_index_is_flushed_during_the_run(tmp_path, config, scans, monkeypatch):
    monkeypatch.setattr(cache_run, "INDEX_FLUSH_SECONDS", 0.0)
    cache = RenderCache(tmp_path / "cache", config)
    real = RenderCache.render_path
    seen_in_index = []

    def spy(self, path, kind, orientation=""):
        if self.index_path.is_file():
            seen_in_index.append(len(json.loads(self.index_path.read_text())["entries"]))
        return real(self, path, kind, orientation)

    monkeypatch.setattr(RenderCache, "render_path", spy)
    cache.render_manifest([Row(p) for p in scans], progress=False)
    assert seen_in_index == [1, 2, 3]


def test_content_key_follows_content_not_path(tmp_path, scans, sequence):
    key = RenderCache.content_key(scans[0])
    assert len(key) == 64
    copy = tmp_path / "elsewhere" / "copy.obj"
    copy.parent.mkdir()
    copy.write_bytes(scans[0].read_bytes())
    assert RenderCache.content_key(copy) == key
    assert RenderCache.content_key(scans[1]) != key
    with open(copy, "ab") as handle:
        handle.write(b"# one more byte\n")
    assert RenderCache.content_key(copy) != key
    seq_key = RenderCache.content_key(sequence)
    (sequence / "notes.txt").write_text("ignored: not a frame")
    assert RenderCache.content_key(sequence) == seq_key
    (sequence / "002.obj").rename(sequence / "007.obj")  # same bytes, different frame order/name
    assert RenderCache.content_key(sequence) != seq_key
    with pytest.raises(FileNotFoundError):
        RenderCache.content_key(tmp_path / "nope.obj")
    (tmp_path / "empty_seq").mkdir()
    with pytest.raises(ValueError):
        RenderCache.content_key(tmp_path / "empty_seq")


def test_edited_file_is_rendered_again(tmp_path, config, scans, height_field_builder):
    cache = RenderCache(tmp_path / "cache", config)
    cache.render_manifest([Row(scans[0])], progress=False)
    before = cache.get(scans[0])
    v, f = height_field_builder(n=15, smile=0.4)
    write_obj(scans[0], v * 80.0, f)
    summary = cache.render_manifest([Row(scans[0])], progress=False)
    assert summary.rendered == 1
    assert not np.array_equal(cache.get(scans[0]), before)


def test_settings_change_the_key_and_the_folder(tmp_path, config, scans):
    other = RenderConfig(yaws=(0,), size=24, pitch=0.0, n_frames=3)
    assert config.key() != other.key()
    assert config.key() == RenderConfig(yaws=(-30.0, 0.0, 30.0), size=24, pitch=0, n_frames=3).key()
    for changed in (config.replace(size=32), config.replace(pitch=10.0), config.replace(n_frames=4)):
        assert changed.key() != config.key()
    a = RenderCache(tmp_path / "cache", config)
    b = RenderCache(tmp_path / "cache", other)
    a.render_manifest([Row(scans[0])], progress=False)
    assert b.get(scans[0]) is None
    summary = b.render_manifest([Row(scans[0])], progress=False)
    assert summary.rendered == 1 and b.get(scans[0]).shape == (1, 24, 24, 3)
    assert a.folder != b.folder


def test_bad_scans_are_reported_and_skipped(tmp_path, config, scans):
    garbage = tmp_path / "data" / "garbage.obj"
    garbage.write_text("this is not an obj file\n\x00\x01")
    missing = tmp_path / "data" / "missing.obj"
    rows = [Row(garbage), Row(scans[0]), Row(missing), Row(scans[1], "5d")]
    summary = RenderCache(tmp_path / "cache", config).render_manifest(rows, progress=False)
    assert summary.rendered == 1 and summary.ok
    failed = dict(summary.failed)
    assert set(failed) == {str(garbage), str(missing), str(scans[1])}
    assert all(reason for reason in failed.values())
    assert "5d" in failed[str(scans[1])]
    assert failed[str(missing)] == "no such file or folder"
    text = summary.format()
    assert str(garbage) in text and "1 rendered" in text and "3 failed" in text
    nothing = RenderCache(tmp_path / "cache2", config).render_manifest([Row(garbage), Row(missing)], progress=False)
    assert not nothing.ok and nothing.rendered == 0 and len(nothing.failed) == 2


def test_corrupt_entry_is_rendered_again(tmp_path, config, scans):
    cache = RenderCache(tmp_path / "cache", config)
    cache.render_manifest([Row(scans[0])], progress=False)
    entry = cache.entry_path(RenderCache.content_key(scans[0]))
    entry.write_bytes(b"truncated")
    assert cache.get(scans[0]) is None
    summary = cache.render_manifest([Row(scans[0])], progress=False)
    assert summary.rendered == 1 and cache.get(scans[0]) is not None


def test_cache_root_must_be_a_folder(tmp_path, config):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        RenderCache(file, config)


def test_a_scan_that_now_fails_leaves_the_index(tmp_path, config, scans):
    cache = RenderCache(tmp_path / "cache", config)
    cache.render_manifest([Row(scans[0]), Row(scans[1])], progress=False)
    scans[0].unlink()
    summary = cache.render_manifest([Row(scans[0]), Row(scans[1])], progress=False)
    assert (summary.cached, len(summary.failed)) == (1, 1)
    assert set(RenderCache(tmp_path / "cache", config).index) == {str(scans[1])}


def test_canonical_settings_change_the_key_and_the_folder(tmp_path, config):
    none = config.replace(canonical={"orientation": "none"})
    no_crop = config.replace(canonical={"crop": False})
    folders = {RenderCache(tmp_path / "cache", c).folder for c in (config, none, no_crop)}
    assert len(folders) == 3
    assert json.loads(json.dumps(none.to_dict()))["canonical"]["orientation"] == "none"


def test_face_flags_are_indexed_and_scans_without_a_face_counted(tmp_path, config, scans, ict_face):
    face_file = write_obj(tmp_path / "data" / "ict.obj", ict_face.vertices, ict_face.faces)
    rows = [Row(scans[0]), Row(scans[1]), Row(face_file)]
    cache = RenderCache(tmp_path / "cache", config)
    summary = cache.render_manifest(rows, progress=False)
    assert summary.rendered == 3 and [p for p, _ in summary.no_face] == [str(scans[0]), str(scans[1])]
    assert all(reason.startswith("no face found") for _, reason in summary.no_face)
    assert "2 scan(s) with no face found" in summary.format() and str(scans[0]) in summary.format()
    entries = json.loads(cache.index_path.read_text())["entries"]
    assert entries[str(face_file)]["face"]["ok"] is True and entries[str(face_file)]["face"]["reason"] == ""
    assert entries[str(scans[0])]["face"]["ok"] is False and "orientation" not in entries[str(scans[0])]
    assert cache.face(face_file).ok and not cache.face(scans[0]).ok
    # cached rows report their flags too, from the index or, without one, from the entry's .face.json
    again = RenderCache(tmp_path / "cache", config).render_manifest(rows, progress=False)
    assert again.cached == 3 and again.no_face == summary.no_face
    cache.index_path.unlink()
    fresh = RenderCache(tmp_path / "cache", config)
    assert fresh.render_manifest(rows, progress=False).no_face == summary.no_face
    # orientation "none": no face search, nothing to flag
    boxed = RenderCache(tmp_path / "cache", config.replace(canonical={"orientation": "none"}))
    none_summary = boxed.render_manifest(rows, progress=False)
    assert none_summary.no_face == () and boxed.face(scans[0]) is None and "no face" not in none_summary.format()


def test_a_row_orientation_overrides_the_config_and_keys_its_entry(tmp_path, config, scans):
    bbox = CanonicalSettings.default().replace(orientation="none")
    cache = RenderCache(tmp_path / "cache", config)
    summary = cache.render_manifest([Row(scans[0], orientation="none"), Row(scans[1])], progress=False)
    assert summary.rendered == 2 and [p for p, _ in summary.no_face] == [str(scans[1])]
    content = RenderCache.content_key(scans[0])
    key = cache.entry_key(content, "none")
    assert key != content and len(key) == 64 and cache.entry_key(content, config.canonical.orientation) == content
    entry = json.loads(cache.index_path.read_text())["entries"][str(scans[0])]
    assert entry["orientation"] == "none" and entry["file"] == f"{key}.npy" and entry["face"] is None
    expected = render_views(load(scans[0]), config.yaws, config.size, config.pitch, canonical=bbox)
    assert np.array_equal(cache.get(scans[0], "none"), expected)
    assert np.array_equal(cache.get(scans[0]), expected)  # the orientation its row was rendered with
    assert cache.get(scans[0], "") is None  # not rendered with the config's orientation (yet)
    # the same file with the config's orientation is another entry, side by side
    cache.render_manifest([Row(scans[0])], progress=False)
    with_config = cache.get(scans[0], "")
    assert with_config is not None and not np.array_equal(with_config, expected)
    assert np.array_equal(cache.get(scans[0], "none"), expected)
    assert cache.face(scans[0]) is not None and cache.face(scans[0], "none") is None
    # a row naming the config's own orientation uses the plain entry
    same = cache.render_manifest([Row(scans[0], orientation=config.canonical.orientation)], progress=False)
    assert same.cached == 1


def test_a_bad_row_orientation_fails_that_row(tmp_path, config, scans):
    summary = RenderCache(tmp_path / "cache", config).render_manifest(
        [Row(scans[0], orientation="sideways"), Row(scans[1], orientation="none")], progress=False)
    assert summary.rendered == 1 and [p for p, _ in summary.failed] == [str(scans[0])]
    assert "unknown orientation 'sideways'" in summary.failed[0][1]


def test_a_full_disk_stops_the_render_naming_the_cache_file(tmp_path, config, scans, monkeypatch):
    """Issue 14, item 3: a full disk used to fail 139 of 144 rows one by one and exit 0. The first write error stops
    the run with ENOSPC naming the entry; nothing half-written is left; entries written before it stay valid."""
    import errno

    real_save = np.save
    calls = {"n": 0}

    def save_until_full(handle, array, allow_pickle=False):
        calls["n"] += 1
        if calls["n"] > 1:
            handle.write(b"\x93NUMPY partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(handle, array, allow_pickle=allow_pickle)

    monkeypatch.setattr(cache_module.np, "save", save_until_full)
    cache = RenderCache(tmp_path / "cache", config)
    with pytest.raises(cache_module.CacheWriteError) as info:
        cache.render_manifest([Row(p) for p in scans], progress=False)
    assert info.value.errno == errno.ENOSPC and str(cache.folder) in info.value.filename
    assert not list(cache.folder.glob("*.tmp")) and not list(cache.folder.glob(".*.tmp"))
    monkeypatch.setattr(cache_module.np, "save", real_save)
    again = RenderCache(tmp_path / "cache", config).render_manifest([Row(p) for p in scans], progress=False)
    assert (again.cached, again.rendered, again.failed) == (1, 3, ())
