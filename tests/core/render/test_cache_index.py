"""The render cache's index (core.render.cache_index): one record per row, index.json a summary that every open
checks and repairs (issue 14, item 7)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.render import RenderCache, RenderConfig
from core.render.cache_index import CacheIndex, record_name

from .conftest import write_obj


@dataclass(frozen=True)
class Row:
    path: Path
    kind: str = "3d"
    orientation: str = ""


CONFIG = RenderConfig(yaws=(0,), size=16, pitch=0.0, n_frames=3)



@pytest.fixture
def rendered(tmp_path, height_field_builder) -> tuple[RenderCache, list[Path]]:
    """A cache with four rendered rows (one of them with its own orientation)."""
    scans = []
    for k in range(4):
        v, f = height_field_builder(n=11, nose_y=0.1 * k)
        scans.append(write_obj(tmp_path / "data" / f"scan{k}.obj", v * 80.0, f))
    cache = RenderCache(tmp_path / "cache", CONFIG)
    rows = [Row(p) for p in scans[:3]] + [Row(scans[3], orientation="none")]
    summary = cache.render_manifest(rows, progress=False)
    assert summary.rendered == 4
    return cache, scans


def entries_of(cache: RenderCache) -> dict:
    return json.loads(cache.index_path.read_text())["entries"]


def no_hashing(monkeypatch):
    def refuse(path):
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(RenderCache, "content_key", staticmethod(refuse))


def test_every_row_has_its_record_and_the_summary_lists_them(rendered):
    cache, scans = rendered
    records = sorted(os.listdir(cache.folder / "rows"))
    summary = json.loads(cache.index_path.read_text())
    assert len(records) == 4 and sorted(summary["records"].values()) == records
    for name in records:
        record = json.loads((cache.folder / "rows" / name).read_text())
        assert record["path"] in summary["entries"] and record["file"].endswith(".npy")
        assert name == record_name(record["path"], {k: v for k, v in record.items() if k != "path"})
    assert entries_of(cache)[str(scans[3])]["orientation"] == "none"


@pytest.mark.parametrize("damage, state", [
    ("delete", "was missing"),
    ("truncate", "was unreadable"),
    ("garbage", "was unreadable"),
    ("other json", "was unreadable"),
])
def test_a_lost_or_damaged_summary_is_rebuilt_on_open(rendered, damage, state, monkeypatch, capsys):
    cache, scans = rendered
    before = entries_of(cache)
    if damage == "delete":
        cache.index_path.unlink()
    elif damage == "truncate":
        text = cache.index_path.read_bytes()
        cache.index_path.write_bytes(text[: len(text) // 2])
    elif damage == "garbage":
        cache.index_path.write_bytes(b"\x00\xff\x13 not json at all")
    else:
        cache.index_path.write_text("[1, 2, 3]")
    no_hashing(monkeypatch)  # the records keep the stat signatures: nothing is hashed again
    fresh = RenderCache(cache.root, CONFIG)
    assert state in fresh.index_message and "rebuilt from 4 row record(s)" in fresh.index_message
    assert f"render cache: index {fresh.index_path} {state}" in capsys.readouterr().err
    assert {p: {k: v for k, v in e.items() if k != "time"} for p, e in fresh._index.items()} == \
        {p: {k: v for k, v in e.items() if k != "time"} for p, e in before.items()}
    assert entries_of(fresh).keys() == before.keys()  # the repair is written back
    assert fresh.get(scans[3]) is not None and fresh.get(scans[3], "") is None  # the row's own orientation kept
    again = fresh.render_manifest([Row(p) for p in scans[:3]] + [Row(scans[3], orientation="none")],
                                  progress=False)
    assert (again.rendered, again.cached) == (0, 4)
    assert RenderCache(cache.root, CONFIG).index_message is None  # repaired once


def test_a_stale_summary_takes_in_new_records_and_drops_removed_ones_quietly(rendered, capsys):
    cache, scans = rendered
    stale = cache.index_path.read_text()
    records = cache.folder / "rows"
    index = CacheIndex(cache.folder, {})
    gone = index._names[str(scans[0])]
    (records / gone).unlink()  # as if another run dropped the row (its scan now fails)
    extra = {"file": "0" * 64 + ".npy", "content": "0" * 64, "kind": "3d", "stat": "1:2", "face": None}
    (records / record_name("/elsewhere/new.obj", extra)).write_text(
        json.dumps({"path": "/elsewhere/new.obj", "time": time.time(), **extra}))
    cache.index_path.write_text(stale)
    capsys.readouterr()
    fresh = RenderCache(cache.root, CONFIG)
    assert fresh.index_message is None and capsys.readouterr().err == ""
    assert set(fresh.index) == {str(p) for p in scans[1:]} | {"/elsewhere/new.obj"}
    fresh.flush()
    assert set(entries_of(fresh)) == set(fresh.index)


def test_the_newest_record_of_a_path_wins_and_the_older_is_removed(rendered):
    cache, scans = rendered
    records = cache.folder / "rows"
    path = str(scans[1])
    current = json.loads(cache.index_path.read_text())["records"][path]
    older = {**json.loads((records / current).read_text()), "kind": "4d", "time": 1.0}  # written long ago
    older_name = record_name(path, {k: v for k, v in older.items() if k != "path"})
    (records / older_name).write_text(json.dumps(older))
    fresh = RenderCache(cache.root, CONFIG)
    assert fresh._index[path]["kind"] == "3d"
    fresh.flush()
    assert not (records / older_name).exists() and (records / current).exists()


def test_an_old_format_index_is_moved_to_records(rendered, monkeypatch):
    cache, scans = rendered
    entries = entries_of(cache)
    for name in os.listdir(cache.folder / "rows"):
        os.unlink(cache.folder / "rows" / name)
    cache.index_path.write_text(json.dumps({"config": CONFIG.to_dict(), "key": CONFIG.key(), "entries": entries}))
    no_hashing(monkeypatch)
    fresh = RenderCache(cache.root, CONFIG)
    assert "moved to one record per row (4 rows)" in fresh.index_message
    assert len(os.listdir(cache.folder / "rows")) == 4 and set(fresh.index) == set(entries)
    assert set(RenderCache(cache.root, CONFIG).index) == set(entries)


def test_rebuild_index_rereads_every_record(rendered):
    cache, scans = rendered
    data = json.loads(cache.index_path.read_text())
    data["entries"][str(scans[0])]["kind"] = "4d"  # edited by hand: a valid summary that lies
    cache.index_path.write_text(json.dumps(data))
    fresh = RenderCache(cache.root, CONFIG)
    assert fresh._index[str(scans[0])]["kind"] == "4d"
    assert fresh.rebuild_index() == 4
    assert fresh._index[str(scans[0])]["kind"] == "3d" and entries_of(fresh)[str(scans[0])]["kind"] == "3d"


def test_a_read_only_cache_opens_and_reads(rendered, monkeypatch, capsys):
    """Writes refused (a read-only share): the repaired index stays in memory, quietly, and every row reads."""
    import errno

    from core.render import cache_index

    cache, scans = rendered
    cache.index_path.unlink()

    def refuse(path, data):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(cache_index, "write_bytes_atomic", refuse)
    capsys.readouterr()
    fresh = RenderCache(cache.root, CONFIG)
    assert "rebuilt from 4 row record(s)" in fresh.index_message and not fresh.index_path.exists()
    assert "warning" not in capsys.readouterr().err
    assert all(fresh.get(p) is not None for p in scans)
