"""Issue 14, item 7: two renders of one manifest at once each rendered ~95 % of the rows, and a kill -9 left the
index stale. Runs now claim entries (core.render.claims) and record every row as it finishes
(core.render.cache_index); these tests run real child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.datasets import ManifestRow, write_manifest
from core.render import RenderCache, RenderConfig
from core.render import cache_run
from core.render.claims import Claims

from .conftest import write_obj

CHILD = Path(__file__).with_name("cache_child.py")
CONFIG = RenderConfig(yaws=(-30, 0, 30), size=24, pitch=0.0, n_frames=3)



@pytest.fixture
def manifest(tmp_path, height_field_builder) -> tuple[Path, list[Path]]:
    """Twelve distinct small 3D scans and their manifest."""
    scans = []
    for k in range(12):
        v, f = height_field_builder(n=13, nose_y=0.05 * k)
        scans.append(write_obj(tmp_path / "data" / f"scan{k:02d}.obj", v * 80.0, f))
    rows = [ManifestRow(path=p, subject=f"S{k}", label="happiness", intensity=None, kind="3d", n_frames=1,
                        dataset="test", code=p.stem) for k, p in enumerate(scans)]
    return write_manifest(rows, tmp_path / "manifest.csv"), scans


def start_child(tmp_path: Path, name: str, manifest: Path, **spec) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / f"{name}.json"
    spec = {"manifest": str(manifest), "cache": str(tmp_path / "cache"), "config": CONFIG.to_dict(),
            "out": str(out), **spec}
    spec_file = tmp_path / f"{name}.spec.json"
    spec_file.write_text(json.dumps(spec))
    proc = subprocess.Popen([sys.executable, str(CHILD), str(spec_file)], stderr=subprocess.PIPE, text=True)
    return proc, out


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def assert_complete(cache_root: Path, scans: list[Path]) -> RenderCache:
    cache = RenderCache(cache_root, CONFIG)
    for scan in scans:
        views = cache.get(scan)
        assert views is not None and views.shape == (3, 24, 24, 3), scan
    assert set(cache.index) == {str(p) for p in scans}
    assert len(list(cache.folder.glob("*.npy"))) == len(scans)
    assert not list(cache.folder.glob(".*.tmp")) and not list((cache.folder / "rows").glob(".*.tmp"))
    return cache


def test_two_concurrent_renders_share_the_rows(tmp_path, manifest):
    manifest_file, scans = manifest
    go = tmp_path / "go"
    children = [start_child(tmp_path, name, manifest_file, delay=0.15, ready=str(tmp_path / f"{name}.ready"),
                            go=str(go)) for name in ("a", "b")]
    wait_for(lambda: all((tmp_path / f"{n}.ready").exists() for n in "ab"), 120, "both children to start")
    go.touch()
    results = []
    for proc, out in children:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.read_text()))
    a, b = results
    # every entry rendered once, by one run or the other; each run accounts for every row
    assert a["rendered"] + b["rendered"] == len(scans), results
    assert a["rendered"] > 0 and b["rendered"] > 0, results
    for r in results:
        assert r["failed"] == [] and r["rendered"] + r["cached"] + r["shared"] == len(scans), r
    cache = assert_complete(tmp_path / "cache", scans)
    summary = json.loads(cache.index_path.read_text())
    assert set(summary["entries"]) == {str(p) for p in scans}
    assert sorted(summary["records"].values()) == sorted(os.listdir(cache.folder / "rows"))
    assert not list((cache.folder / "claims").glob("*.lock"))  # the last run swept them
    again = cache.render_manifest([ManifestRow(path=p, subject="S", label="x", intensity=None, kind="3d",
                                               n_frames=1, dataset="t", code="c") for p in scans], progress=False)
    assert (again.rendered, again.cached) == (0, len(scans))


def test_kill_9_mid_run_leaves_an_index_the_next_open_completes(tmp_path, manifest, monkeypatch):
    manifest_file, scans = manifest
    proc, _ = start_child(tmp_path, "killed", manifest_file, delay=0.3)
    rows_dir = tmp_path / "cache" / CONFIG.key() / "rows"
    wait_for(lambda: rows_dir.is_dir() and len(list(rows_dir.glob("*.json"))) >= 3, 120, "three recorded rows")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    cache = RenderCache(tmp_path / "cache", CONFIG)
    entries = {p.name for p in cache.folder.glob("*.npy")}
    recorded = set(cache.index)
    assert 3 <= len(recorded) < len(scans)
    assert {Path(f).name for f in cache.index.values()} <= entries  # every recorded row has its entry
    for path in recorded:
        assert cache.get(path) is not None
    # the kill may have left the claim of the row it was rendering: the resume takes it over at once
    rendered_now = []
    real = RenderCache.render_path

    def spy(self, path, kind, orientation=""):
        rendered_now.append(str(path))
        return real(self, path, kind, orientation)

    monkeypatch.setattr(RenderCache, "render_path", spy)
    rows = [ManifestRow(path=p, subject="S", label="x", intensity=None, kind="3d", n_frames=1, dataset="t",
                        code="c") for p in scans]
    summary = cache.render_manifest(rows, progress=False)
    assert summary.cached == len(entries) and summary.rendered == len(scans) - len(entries)
    assert not recorded & set(rendered_now)  # completed rows were not rendered again
    assert_complete(tmp_path / "cache", scans)
    assert not list((cache.folder / "claims").glob("*.lock"))


def test_kill_9_between_the_entry_and_its_record(tmp_path, manifest):
    """The worst moment: the third row's entry is written, its record not yet."""
    manifest_file, scans = manifest
    proc, _ = start_child(tmp_path, "killed", manifest_file, kill_on_put=3)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, err
    cache = RenderCache(tmp_path / "cache", CONFIG)
    assert set(cache.index) == {str(scans[0]), str(scans[1])}
    assert len(list(cache.folder.glob("*.npy"))) == 3
    rows = [ManifestRow(path=p, subject="S", label="x", intensity=None, kind="3d", n_frames=1, dataset="t",
                        code="c") for p in scans]
    summary = cache.render_manifest(rows, progress=False)
    assert (summary.cached, summary.rendered, summary.failed) == (3, len(scans) - 3, ())
    assert_complete(tmp_path / "cache", scans)


def test_a_row_another_run_is_rendering_is_taken_when_it_is_done(tmp_path, manifest):
    """In one process: a claim held by 'another run' makes the render put the row aside, then take its entry."""
    _, scans = manifest
    scans = scans[:4]
    cache = RenderCache(tmp_path / "cache", CONFIG)
    key = cache.entry_key(RenderCache.content_key(scans[0]))
    claim = Claims(cache.folder / "claims").try_claim(key)
    assert claim is not None
    rows = [ManifestRow(path=p, subject="S", label="x", intensity=None, kind="3d", n_frames=1, dataset="t",
                        code="c") for p in scans]
    result = {}
    runner = threading.Thread(target=lambda: result.update(s=RenderCache(tmp_path / "cache", CONFIG)
                                                             .render_manifest(rows, progress=False)))
    runner.start()
    wait_for(lambda: len(list(cache.folder.glob("*.npy"))) == 3, 120, "the three free rows")
    time.sleep(3 * cache_run.CLAIM_POLL_SECONDS)
    assert runner.is_alive()  # still waiting for the claimed row
    views, flag = cache.render_path(scans[0], "3d")
    cache._store(key, views, flag.to_dict() if flag else None)
    claim.release()
    runner.join(timeout=60)
    summary = result["s"]
    assert (summary.rendered, summary.cached, summary.shared, summary.failed) == (3, 0, 1, ())
    assert "1 rendered by another run meanwhile" in summary.format()
    assert_complete(tmp_path / "cache", scans)


def test_a_claim_let_go_without_an_entry_is_rendered_by_the_waiting_run(tmp_path, manifest):
    """The other run failed on the scan (or died): the waiting run renders it itself."""
    _, scans = manifest
    scans = scans[:3]
    cache = RenderCache(tmp_path / "cache", CONFIG)
    claim = Claims(cache.folder / "claims").try_claim(cache.entry_key(RenderCache.content_key(scans[1])))
    rows = [ManifestRow(path=p, subject="S", label="x", intensity=None, kind="3d", n_frames=1, dataset="t",
                        code="c") for p in scans]
    timer = threading.Timer(1.0, claim.release)
    timer.start()
    summary = RenderCache(tmp_path / "cache", CONFIG).render_manifest(rows, progress=False)
    timer.join()
    assert (summary.rendered, summary.shared, summary.failed) == (3, 0, ())
    assert_complete(tmp_path / "cache", scans)
