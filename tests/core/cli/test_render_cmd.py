from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import core.cli
from core.cli import main
from core.cli.render_cmd import parse_views
from core.datasets import ManifestRow, write_manifest
from core.render import RenderCache, RenderConfig


@pytest.fixture(autouse=True)
def only_render_command(monkeypatch):
    """Parse with the render subcommand alone, so this test does not depend on the other commands."""
    monkeypatch.setattr(core.cli, "COMMANDS", ["render"])


def _write_obj(path: Path, bump: float) -> Path:
    x, y = np.meshgrid(np.linspace(-1, 1, 12), np.linspace(-1.2, 1.2, 14))
    z = 0.5 * np.exp(-(x**2 + y**2)) + bump * np.exp(-((x - 0.3) ** 2 + y**2) / 0.05)
    v = np.stack([x, y, z], -1).reshape(-1, 3) * 80
    lines = [f"v {a:.5f} {b:.5f} {c:.5f}" for a, b, c in v]
    for j in range(13):
        for i in range(11):
            k = j * 12 + i + 1
            lines += [f"f {k} {k + 1} {k + 13}", f"f {k} {k + 13} {k + 12}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _row(path: Path, kind="3d", n_frames=1) -> ManifestRow:
    return ManifestRow(path=path, subject="S1", label="happiness", intensity=None, kind=kind,
                       n_frames=n_frames, dataset="test", code=path.stem)


def _manifest(tmp_path: Path) -> Path:
    a = _write_obj(tmp_path / "data" / "a.obj", 0.1)
    b = _write_obj(tmp_path / "data" / "b.obj", 0.3)
    for t in range(4):
        _write_obj(tmp_path / "data" / "seq" / f"{t:03d}.obj", 0.1 * t)
    bad = tmp_path / "data" / "bad.obj"
    bad.write_text("garbage\n")
    rows = [_row(a), _row(b), _row(tmp_path / "data" / "seq", "4d", 4), _row(bad)]
    return write_manifest(rows, tmp_path / "manifest.csv")


def test_render_end_to_end_and_resume(tmp_path, capsys):
    manifest = _manifest(tmp_path)
    cache_dir = tmp_path / "cache"
    argv = ["render", str(manifest), "--out", str(cache_dir), "--views", "-30,0,30", "--size", "24",
            "--frames", "3", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "4 rows: 3 rendered, 0 already cached, 1 failed" in out
    assert "bad.obj" in out
    config = RenderConfig(yaws=(-30, 0, 30), size=24, pitch=0.0, n_frames=3)
    cache = RenderCache(cache_dir, config)
    assert cache.get(tmp_path / "data" / "a.obj").shape == (3, 24, 24, 3)
    assert cache.get(tmp_path / "data" / "seq").shape == (3, 24, 24, 3)
    index = json.loads(cache.index_path.read_text())
    assert len(index["entries"]) == 3

    assert main(argv) == 0
    assert "0 rendered, 3 already cached, 1 failed" in capsys.readouterr().out


def test_defaults_and_config_file(tmp_path, capsys):
    manifest = _manifest(tmp_path)
    settings = tmp_path / "render.json"
    settings.write_text(json.dumps({"yaws": [0], "size": 16, "n_frames": 2}))
    assert main(["render", str(manifest), "--out", str(tmp_path / "c"), "--config", str(settings),
                 "--pitch", "5", "--no-progress"]) == 0
    cache = RenderCache(tmp_path / "c", RenderConfig(yaws=(0,), size=16, pitch=5.0, n_frames=2))
    assert cache.get(tmp_path / "data" / "b.obj").shape == (1, 16, 16, 3)
    assert "yaws 0; 16 px; pitch 5; 2 frames" in capsys.readouterr().out


def test_nothing_rendered_exits_non_zero(tmp_path, capsys):
    bad = tmp_path / "bad.obj"
    bad.write_text("garbage\n")
    manifest = write_manifest([_row(bad), _row(tmp_path / "missing.obj")], tmp_path / "m.csv")
    assert main(["render", str(manifest), "--out", str(tmp_path / "c"), "--size", "16", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "0 rendered" in captured.out and "2 failed" in captured.out
    assert "nothing could be rendered" in captured.err


@pytest.mark.parametrize(
    "extra, message",
    [(["--views", "left,right"], "--views"), (["--size", "3"], "size"), (["--frames", "0"], "n_frames"),
     (["--pitch", "100"], "pitch")],
)
def test_bad_settings_are_reported(tmp_path, capsys, extra, message):
    manifest = _manifest(tmp_path)
    assert main(["render", str(manifest), "--out", str(tmp_path / "c"), "--no-progress", *extra]) == 1
    err = capsys.readouterr().err
    assert "smile-vlm render: error:" in err and message in err


def test_missing_manifest(tmp_path, capsys):
    assert main(["render", str(tmp_path / "none.csv"), "--out", str(tmp_path / "c")]) == 1
    assert "none.csv" in capsys.readouterr().err


def test_parse_views():
    assert parse_views("-30,0,30") == (-30.0, 0.0, 30.0)
    assert parse_views(" 15 , -15 ") == (15.0, -15.0)
    for bad in ("", ",", "a,b"):
        with pytest.raises(ValueError):
            parse_views(bad)


def test_orientation_and_no_crop_flags_and_a_manifest_orientation_column(tmp_path, capsys):
    from core.scans.canonical import CanonicalSettings

    a = _write_obj(tmp_path / "data" / "a.obj", 0.1)
    b = _write_obj(tmp_path / "data" / "b.obj", 0.3)
    rows = [_row(a), ManifestRow(path=b, subject="S1", label="happiness", intensity=None, kind="3d", n_frames=1,
                                 dataset="test", code="b", orientation="none")]
    manifest = write_manifest(rows, tmp_path / "manifest.csv")
    assert main(["render", str(manifest), "--out", str(tmp_path / "c"), "--size", "16", "--no-progress",
                 "--orientation", "y-up", "--no-crop"]) == 0
    out = capsys.readouterr().out
    assert "canonical faces, orientation y-up, not cropped" in out
    assert "1 scan(s) with no face found" in out and "a.obj" in out  # height fields are no faces; b.obj: none
    canonical = CanonicalSettings.default().replace(orientation="y-up", crop=False)
    cache = RenderCache(tmp_path / "c", RenderConfig.default().replace(size=16, canonical=canonical))
    assert cache.get(a) is not None and cache.get(b, "none") is not None and cache.get(b, "") is None
    assert not cache.face(a).ok and cache.face(b) is None
    # a bad orientation in the manifest names the file and the line
    text = manifest.read_text().replace(",none", ",sideways")
    manifest.write_text(text)
    assert main(["render", str(manifest), "--out", str(tmp_path / "c"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"{manifest}: line 3: orientation: unknown orientation 'sideways'" in err


def test_orientation_none_and_the_config_file_canonical_object(tmp_path, capsys):
    manifest = _manifest(tmp_path)
    settings = tmp_path / "render.json"
    settings.write_text(json.dumps({"size": 16, "canonical": {"crop": False}}))
    assert main(["render", str(manifest), "--out", str(tmp_path / "c"), "--config", str(settings),
                 "--orientation", "none", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "bounding-box framing (orientation none)" in out and "no face found" not in out
    config = RenderConfig.default().replace(size=16, canonical={"orientation": "none", "crop": False})
    assert RenderCache(tmp_path / "c", config).get(tmp_path / "data" / "a.obj") is not None


def test_canonical_flags_parse():
    from core.cli import build_parser
    from core.cli.render_cmd import _job

    args = build_parser().parse_args(["render", "m.csv", "--out", "c", "--orientation", "z-up-back", "--no-crop"])
    job = _job(args)
    assert (job.orientation, job.crop) == ("z-up-back", False)
    job = _job(build_parser().parse_args(["render", "m.csv", "--out", "c"]))
    assert (job.orientation, job.crop) == (None, None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["render", "m.csv", "--out", "c", "--orientation", "up"])


def test_a_damaged_index_is_repaired_and_rebuild_index_rereads_the_records(tmp_path, capsys):
    """Issue 14, item 7: index.json is a summary of one record per row; a damaged one is rebuilt on open (a line on
    stderr) and --rebuild-index rereads every record; nothing is rendered again either way."""
    manifest = _manifest(tmp_path)
    cache_dir = tmp_path / "cache"
    argv = ["render", str(manifest), "--out", str(cache_dir), "--size", "16", "--frames", "3", "--no-progress"]
    assert main(argv) == 0
    capsys.readouterr()
    cache = RenderCache(cache_dir, RenderConfig.default().replace(size=16, n_frames=3))
    cache.index_path.write_text("{ truncated")
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert f"render cache: index {cache.index_path} was unreadable: rebuilt from 3 row record(s)" in err
    assert "0 rendered, 3 already cached, 1 failed" in out
    assert main(argv + ["--rebuild-index"]) == 0
    out = capsys.readouterr().out
    assert f"index rebuilt from its row records: 3 rows ({cache.index_path})" in out
    assert "0 rendered, 3 already cached, 1 failed" in out
    assert len(json.loads(cache.index_path.read_text())["entries"]) == 3
