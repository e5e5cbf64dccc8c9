"""`smile-vlm pretrain`: flags -> config, SIGTERM stops with a checkpoint (exit 0), --resume continues exactly."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))

import core.train.pretraining as pretraining  # noqa: E402
from core.cli import pretrain_cmd  # noqa: E402
from core.model.checkpoint import load_checkpoint  # noqa: E402
from core.train import pretrain, read_log  # noqa: E402

from pretrain_helpers import fake_build_text_encoder, make_dataset, state_digest, tiny_settings  # noqa: E402

HELPERS = Path(__file__).parents[1] / "train" / "pretrain_helpers.py"


def _parser():
    parser = argparse.ArgumentParser(prog="smile-vlm")
    pretrain_cmd.register(parser.add_subparsers(dest="command"))
    return parser


def test_flags_map_onto_the_config(tmp_path):
    args = _parser().parse_args(
        ["pretrain", "--data", "m.csv", "--out", str(tmp_path / "r"), "--epochs", "4", "--batch", "16",
         "--lr", "3e-4", "--alpha", "0.5", "--tau", "0.1", "--lambd-bt", "0.01", "--dim", "64", "--views", "5",
         "--size", "64", "--backbone", "resnet18", "--prompts", "none", "--device", "cpu", "--no-progress",
         "--checkpoint-every", "10"]
    )
    overrides = pretrain_cmd.overrides_from_args(args)
    assert overrides["loss"] == {"alpha": 0.5, "tau": 0.1, "lambd_bt": 0.01}
    assert overrides["model"] == {"embed_dim": 64, "n_views": 5, "image_size": 64, "backbone": "resnet18"}
    from core.train.pretrain_config import load_pretrain_config

    cfg = load_pretrain_config(None, overrides)
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.prompts, cfg.progress) == (4, 16, 3e-4, "none", False)
    assert cfg.checkpoint_every == 10 and cfg.supervision == "none"
    assert "weight_decay" not in overrides and "epochs" in overrides


def test_missing_data_and_bad_classes_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(pretraining, "build_text_encoder", fake_build_text_encoder)
    args = _parser().parse_args(["pretrain", "--out", str(tmp_path / "r")])
    with pytest.raises(ValueError, match="--data MANIFEST"):
        args.handler(args)
    manifest, cache = make_dataset(tmp_path / "d", per_class=2, classes=("happiness", "neutral"))
    args = _parser().parse_args(["pretrain", "--data", str(manifest), "--cache", str(cache), "--out",
                                 str(tmp_path / "r"), "--size", "32", "--device", "cpu"])
    with pytest.raises(ValueError, match="neutral"):
        args.handler(args)


def test_sigterm_stops_with_a_checkpoint_and_resume_matches(tmp_path, monkeypatch, capsys):
    manifest, cache = make_dataset(tmp_path / "data")
    settings = tiny_settings(manifest, cache, epochs=2)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(settings))
    run_dir = tmp_path / "run"
    # Bit-for-bit equality needs the same intra-op thread count in the child as here (another test of this
    # session may have changed this process's count from the default).
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    proc = subprocess.Popen(
        [sys.executable, str(HELPERS), "pretrain", "--config", str(config_file), "--out", str(run_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    log = run_dir / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if log.exists() and sum(e["event"] == "step" for e in read_log(log)) >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    events = read_log(log)
    assert events[-1]["event"] == "stopped" and "SIGTERM" in events[-1]["message"]
    assert "stopped at epoch" in err and "--resume" in err
    stopped_at = load_checkpoint(run_dir / "last.ckpt").step
    assert 1 <= stopped_at < 6

    monkeypatch.setattr(pretraining, "build_text_encoder", fake_build_text_encoder)
    args = _parser().parse_args(["pretrain", "--out", str(run_dir), "--resume"])  # settings from config.json
    assert args.handler(args) == 0
    assert "done: 2 epochs, 6 steps" in capsys.readouterr().out
    resumed = load_checkpoint(run_dir / "last.ckpt").model_state

    from core.train.pretrain_config import load_pretrain_config

    # the same layering as the command (resources/pretrain.json under the config file), not the bare dataclass
    reference = pretrain(load_pretrain_config(config_file, {}), tmp_path / "reference")
    assert reference.step == 6
    assert state_digest(resumed) == state_digest(load_checkpoint(tmp_path / "reference" / "last.ckpt").model_state)


def test_orientation_and_no_crop_flags_become_render_canonical_settings(tmp_path):
    from core.scans.canonical import CanonicalSettings
    from core.train.pretrain_config import load_pretrain_config

    args = _parser().parse_args(["pretrain", "--out", str(tmp_path / "r"), "--orientation", "z-up", "--no-crop"])
    overrides = pretrain_cmd.overrides_from_args(args)
    assert overrides["render"] == {"canonical": {"orientation": "z-up", "crop": False}}
    plain = pretrain_cmd.overrides_from_args(_parser().parse_args(["pretrain", "--out", str(tmp_path / "r")]))
    assert "render" not in plain
    # laid over a config file's render.canonical, key by key
    config_file = tmp_path / "c.json"
    render = {"pitch": 5.0, "canonical": {"radius_mm": 80.0, "orientation": "auto"}}
    config_file.write_text(json.dumps({"render": render}))
    cfg = load_pretrain_config(config_file, overrides)
    assert cfg.render == {"pitch": 5.0, "canonical": {"radius_mm": 80.0, "orientation": "z-up", "crop": False}}
    render = pretraining._render_config(cfg)
    assert render.pitch == 5.0
    assert render.canonical == CanonicalSettings.default().replace(orientation="z-up", crop=False, radius_mm=80.0)
