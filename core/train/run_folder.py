"""A pretraining run folder's files (core.train.pretraining): checking it before a start or resume, preparing it,
and writing checkpoints into it.

RUN_DIR/config.json (the resolved PretrainConfig), log.jsonl (core.train.run_log), last.ckpt (the latest
checkpoint) and epoch_NNN.ckpt (one per epoch end, the last keep_checkpoints of them). last.ckpt is replaced
atomically through a hidden temporary (.last.ckpt.PID.tmp); one left by a process killed while writing it is
removed when a run starts. Only rank 0 calls :func:`prepare_run_dir` and :func:`write_checkpoint`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from core.model.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.train.pretrain_config import CONFIG_NAME, PretrainConfig, config_differences
from core.train.run_log import LOG_NAME, read_log

LAST_NAME = "last.ckpt"


def check_run_dir(run_dir: Path, config: PretrainConfig, resume: bool) -> Checkpoint | None:
    """The checkpoint to resume from (None: a fresh start). ValueError when ``run_dir`` is not a folder, already
    holds a run and ``resume`` is off, or holds one trained with settings that may not change on a resume."""
    last = run_dir / LAST_NAME
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"{run_dir}: exists and is not a folder; choose another run folder")
    if not resume:
        if last.exists():
            raise ValueError(
                f"{run_dir}: already holds a training run ({LAST_NAME}); pass --resume to continue it "
                "or choose another run folder"
            )
        return None
    if not last.exists():
        return None
    ckpt = load_checkpoint(last)
    saved = PretrainConfig.from_dict(ckpt.config, source=str(last))
    diffs = config_differences(saved, config)
    if diffs:
        raise ValueError(
            f"{last}: cannot resume with changed settings: {', '.join(diffs)} "
            "(only epochs, device, num_workers, progress, checkpoint_every, keep_checkpoints, dist_timeout_s "
            "and the data/cache locations may change)"
        )
    return ckpt


def prepare_run_dir(run_dir: Path, config: PretrainConfig, resuming: bool) -> int:
    """Create ``run_dir``, remove stale checkpoint temporaries, write config.json, and drop the log of an earlier
    run on a fresh start. Returns the last step an earlier process logged (-1: none); on a resume the steps after
    the checkpoint up to it are redone after a kill."""
    logged_until = -1
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in run_dir.glob(".*.ckpt.*.tmp"):  # left by a process killed while writing a checkpoint
        stale.unlink(missing_ok=True)
    config.save(run_dir / CONFIG_NAME)
    log_path = run_dir / LOG_NAME
    if not resuming and log_path.exists():
        log_path.unlink()
    elif resuming and log_path.exists():
        steps = [e.get("step") for e in read_log(log_path) if e.get("event") == "step"]
        logged_until = max((s for s in steps if isinstance(s, int)), default=-1)
    return logged_until


def write_checkpoint(run_dir: Path, epoch_file: bool, keep: int, **contents: Any) -> Path:
    """Save a checkpoint (``contents``: core.model.checkpoint.save_checkpoint's arguments) as RUN_DIR/last.ckpt.

    ``epoch_file``: at an epoch end it is written as epoch_NNN.ckpt (NNN: contents["epoch"]) and copied to
    last.ckpt; only the newest ``keep`` epoch files stay. Returns the file written. A failed copy (a full disk)
    leaves no temporary behind and raises OSError naming last.ckpt.
    """
    last = run_dir / LAST_NAME
    if not epoch_file:
        return save_checkpoint(last, **contents)
    path = save_checkpoint(run_dir / f"epoch_{contents['epoch']:03d}.ckpt", **contents)
    tmp = run_dir / f".{LAST_NAME}.{os.getpid()}.tmp"
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, last)
    except OSError as exc:  # a full disk: no half-copied temporary left behind, the cause named
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(last)) from None
    epochs = sorted(run_dir.glob("epoch_*.ckpt"))
    for old in epochs[: max(0, len(epochs) - keep)]:
        old.unlink(missing_ok=True)
    return path
