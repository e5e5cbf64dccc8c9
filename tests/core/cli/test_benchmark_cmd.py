"""`smile-vlm benchmark`: flags -> BenchmarkConfig, a run on a small fake benchmark, clear errors."""

import argparse
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "eval"))

import core.text  # noqa: E402
from core.cli import benchmark_cmd  # noqa: E402

from eval_helpers import FakeTextEncoder, fake_benchmark  # noqa: E402


def _parser():
    parser = argparse.ArgumentParser(prog="smile-vlm")
    benchmark_cmd.register(parser.add_subparsers(dest="command"))
    return parser


def test_benchmark_command_runs_and_prints_the_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(core.text, "build_text_encoder", lambda spec="minilm", device=None: FakeTextEncoder())
    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["smile_vlm", "ce"])
    items = ",".join(f"{k}={v}" for k, v in data.items())
    args = _parser().parse_args([
        "benchmark", "--preset", "tiny", "--config", str(presets), "--out", str(out), "--data", items,
        "--only", "bu3dfe_subset1,4dme", "--device", "cpu", "--workers", "1", "--threads", "1", "--no-progress",
    ])
    assert args.handler(args) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out / "report.md")
    assert "8 fold job(s), 8 trained now, 0 reused" in captured.err  # 4dme brings its source bu4dfe along
    report = (out / "report.md").read_text()
    assert "BU-3DFE Subset I (ours, user data)" in report and "Table V-like" in report


def test_benchmark_command_errors(tmp_path):
    parser = _parser()
    args = parser.parse_args(["benchmark", "--preset", "smoke", "--data", "nope=/x", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="unknown data set 'nope'"):
        args.handler(args)
    args = parser.parse_args(["benchmark", "--preset", "smoke", "--data", "bu3dfe", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="must be NAME=PATH"):
        args.handler(args)
    args = parser.parse_args(["benchmark", "--preset", "smoke", "--init", str(tmp_path / "no.ckpt")])
    with pytest.raises(FileNotFoundError, match="no.ckpt: --init checkpoint not found"):
        args.handler(args)
    args = parser.parse_args(["benchmark", "--preset", "nosuch", "--out", str(tmp_path / "o")])
    with pytest.raises(ValueError, match="no preset 'nosuch'"):
        args.handler(args)
    args = parser.parse_args(["benchmark", "--preset", "smoke", "--out", str(tmp_path / "o"),
                              "--data", f"bu3dfe={tmp_path / 'missing'}"])
    with pytest.raises(FileNotFoundError, match="missing: the bu3dfe data given with --data does not exist"):
        args.handler(args)


def test_orientation_and_no_crop_reach_the_render_settings(tmp_path, monkeypatch):
    import json

    import core.render
    from core.scans.canonical import CanonicalSettings

    monkeypatch.setattr(core.text, "build_text_encoder", lambda spec="minilm", device=None: FakeTextEncoder())
    presets, data, out = fake_benchmark(tmp_path, methods_subset1=["smile_vlm"])
    doc = json.loads(presets.read_text())
    doc["presets"]["tiny"]["render"]["canonical"] = {"radius_mm": 80.0}  # a preset may set canonical faces too
    presets.write_text(json.dumps(doc))

    class Stop(Exception):
        pass

    seen = []

    def stop_at_the_cache(root, config):
        seen.append(config)
        raise Stop

    monkeypatch.setattr(core.render, "RenderCache", stop_at_the_cache)
    items = ",".join(f"{k}={v}" for k, v in data.items())
    args = _parser().parse_args([
        "benchmark", "--preset", "tiny", "--config", str(presets), "--out", str(out), "--data", items,
        "--only", "bu3dfe_subset1", "--device", "cpu", "--workers", "1", "--no-progress",
        "--orientation", "none", "--no-crop",
    ])
    assert (args.orientation, args.crop) == ("none", False)
    with pytest.raises(Stop):
        args.handler(args)
    assert seen[0].canonical == CanonicalSettings.default().replace(orientation="none", crop=False, radius_mm=80.0)
    with pytest.raises(SystemExit):
        _parser().parse_args(["benchmark", "--preset", "tiny", "--orientation", "sideways"])
    from core.eval.benchmark import BenchmarkConfig

    assert BenchmarkConfig(preset="x", out=tmp_path, orientation="Y-Up").orientation == "y-up"
    with pytest.raises(ValueError, match="unknown orientation"):
        BenchmarkConfig(preset="x", out=tmp_path, orientation="sideways")
