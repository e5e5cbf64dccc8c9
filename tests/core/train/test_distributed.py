"""Two CPU processes under torchrun (gloo): DDP keeps the ranks' weights identical."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.model.checkpoint import load_checkpoint
from core.train import read_log
from core.train.distributed import DistInfo, any_rank_flags, resolve_device, setup_distributed

from pretrain_helpers import make_dataset, state_digest, tiny_settings

HELPERS = Path(__file__).with_name("pretrain_helpers.py")


def test_single_process_needs_no_process_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info, device = setup_distributed("cpu", 10)
    assert info == DistInfo() and not info.distributed and info.is_main and device == torch.device("cpu")
    assert any_rank_flags([True, False], info, device) == [True, False]
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        setup_distributed("cpu", 10)


def test_device_choice():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


@pytest.mark.skipif(shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None, reason="no torchrun")
def test_two_ranks_end_with_identical_weights(tmp_path):
    manifest, cache = make_dataset(tmp_path / "data", per_class=4)  # 16 samples: 2 steps of 4 per rank
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tiny_settings(manifest, cache, epochs=1, batch_size=4)))
    run_dir, digests = tmp_path / "run", tmp_path / "digests"
    digests.mkdir()
    env = {**os.environ, "PRETRAIN_TEST_DIGEST_DIR": str(digests), "OMP_NUM_THREADS": "1"}
    torchrun = str(Path(sys.executable).parent / "torchrun")
    proc = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node", "2", str(HELPERS), "pretrain",
         "--out", str(run_dir), "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rank0, rank1 = (digests / "rank0.txt").read_text(), (digests / "rank1.txt").read_text()
    assert rank0 == rank1
    assert state_digest(load_checkpoint(run_dir / "last.ckpt").model_state) == rank0
    events = read_log(run_dir / "log.jsonl")
    assert events[0]["world_size"] == 2 and events[-1]["event"] == "done"
    steps = [e for e in events if e["event"] == "step"]
    assert len(steps) == 2 and all(e["samples_per_s"] > 0 for e in steps)  # logged once, by rank 0
    assert proc.stdout.count("done:") == 1  # only rank 0 reports
