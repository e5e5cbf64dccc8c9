"""The epoch/step loop of a pretraining run (core.train.pretraining): trains, logs, checkpoints, summarises.

:class:`TrainLoop` is the base of pretraining's trainer, which sets a run up (run folder, data, model, optimiser)
and then calls :meth:`TrainLoop._loop`. Per step: one SMILE-VLM step (core.train.step.train_step) on a batch of the
epoch's fixed order (view_data.epoch_batches), a "step" event in the log, a stop check agreed by all ranks (a
signal noted by core.train.run_signals, or the stop_event), and a checkpoint every checkpoint_every steps when set.
Per epoch: an "epoch_end" event with the means of the loss terms and a checkpoint (epoch_NNN.ckpt and last.ckpt,
core.train.run_folder). A stop saves a checkpoint after the step in progress and returns status "stopped".
"""

from __future__ import annotations

import math
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from core.model.checkpoint import capture_rng_state
from core.model.smile_vlm import SmileVLM
from core.train.distributed import DistInfo, any_rank_flags, barrier
from core.train.pretrain_config import PretrainConfig, render_config
from core.train.rng import seeded_generator
from core.train.run_folder import LAST_NAME, write_checkpoint
from core.train.run_log import LOG_NAME, RunLog
from core.train.run_signals import ignore_sigint
from core.train.step import train_step
from core.train.supervision import PromptBank
from core.train.view_data import ViewDataset, collate_views, epoch_batches

TERMS = ("mv_bt", "vl_align", "red_min")


@dataclass(frozen=True)
class RunSummary:
    """What a pretraining call did.

    status: "done" (all epochs trained) or "stopped" (SIGTERM/SIGINT/stop_event; resumable). epochs_completed and
    step (optimizer steps since the run began) at the end; checkpoint: the last checkpoint written (or None);
    losses: means of the loss terms over the last epoch trained in this call ("loss" is the weighted total);
    samples_per_s: mean training throughput of this call (all ranks); rank: this process's rank (0 alone).
    """

    run_dir: Path
    status: str
    supervision: str
    epochs_completed: int
    step: int
    checkpoint: Path | None
    losses: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    samples_per_s: float = 0.0
    rank: int = 0


class TrainLoop:
    """A run's training state and loop. The subclass's setup sets the attributes annotated below before
    :meth:`_loop`; ``step`` counts optimizer steps since the run began, ``logged_until`` is the last step an
    earlier process logged (steps up to it are redone after a kill and logged with "redo": true)."""

    model: SmileVLM
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None
    bank: PromptBank | None  # None: supervision "none" (no text, loss mv_bt alone)
    prompt_source: str
    dataset: ViewDataset
    class_names: tuple[str, ...]
    subject_keys: list[str]  # core.datasets.subjects.subject_keys of the training rows
    frozen: list[str]  # the parameter names core.train.step.freeze_unused froze
    logged_until: int

    def __init__(self, config: PretrainConfig, run_dir: Path, info: DistInfo, device: torch.device, stop_event):
        self.config = config
        self.run_dir = run_dir
        self.info = info
        self.device = device
        self.stop_event = stop_event
        self.signal_received: int | None = None
        self.training = False
        self.step = 0
        self.start_epoch = 0
        self.log = RunLog(run_dir / LOG_NAME, enabled=False)

    # ---------------------------------------------------------------- checkpoints
    def _save(self, epoch: int, batch_in_epoch: int, epoch_file: bool) -> Path | None:
        if not self.info.is_main:
            return None
        extra = {
            "batch_in_epoch": batch_in_epoch,
            "supervision": self.config.supervision,
            "classes": list(self.class_names),
            "n_samples": len(self.dataset),
            "subjects": list(self.subject_keys),  # core.datasets.subjects: what a benchmark --init must not test on
            "world_size": self.info.world_size,
            "render": render_config(self.config).to_dict(),  # incl. canonical faces (core.inference reads it)
            "frozen": list(self.frozen),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "data_rng": {
                "scheme": "per-step generators seeded with blake2b(seed, purpose, rank, step)",
                "seed": self.config.seed,
                "next_step": self.step,
            },
        }
        if self.bank is not None:
            extra["prompt_set"] = self.prompt_source
        kwargs: dict[str, Any] = dict(
            model=self.model,
            model_config=self.config.model,
            optimizer=self.optimizer,
            epoch=epoch,
            step=self.step,
            rng_state=capture_rng_state(),
            config=self.config.to_dict(),
            extra=extra,
        )
        path = write_checkpoint(self.run_dir, epoch_file, self.config.keep_checkpoints, **kwargs)
        self.log.write("checkpoint", path=str(path), epoch=epoch, step=self.step)
        return path

    def _stop_requested(self) -> bool:
        return self.signal_received is not None or (self.stop_event is not None and bool(self.stop_event.is_set()))

    # ---------------------------------------------------------------- loop
    def _loop(self, step_module, epoch, batch_in_epoch, n_steps, amp_dtype, t_start) -> RunSummary:
        from tqdm import tqdm

        cfg, info, device = self.config, self.info, self.device
        global_batch = cfg.batch_size * info.world_size
        lr = self.optimizer.param_groups[0]["lr"]
        epoch_means: dict[str, float] = {}
        trained_samples, train_seconds = 0, 0.0
        keys = ("loss",) + (TERMS if self.bank is not None else TERMS[:1])
        self.model.train()
        while epoch < cfg.epochs:
            batches = epoch_batches(len(self.dataset), cfg.batch_size, cfg.seed, epoch, info.rank, info.world_size)
            batches = batches[batch_in_epoch:]
            loader = DataLoader(
                self.dataset,
                batch_sampler=batches,
                num_workers=cfg.num_workers,
                collate_fn=collate_views,
                pin_memory=device.type == "cuda",
                generator=torch.Generator(),
                worker_init_fn=ignore_sigint if cfg.num_workers else None,
            )
            sums = dict.fromkeys(keys, 0.0)
            counted = 0
            t_epoch = time.time()
            bar = tqdm(
                total=n_steps,
                initial=batch_in_epoch,
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                unit="step",
                disable=not (info.is_main and cfg.progress),
                dynamic_ncols=True,
            )
            t_last = time.perf_counter()
            stopped = False
            try:
                for views, labels, _subjects in loader:
                    values = self._train_step(step_module, views, labels, amp_dtype)
                    t_now = time.perf_counter()
                    dt, t_last = t_now - t_last, t_now
                    self.step += 1
                    batch_in_epoch += 1
                    trained_samples += global_batch
                    train_seconds += dt
                    record = dict(zip(keys, values))
                    finite = all(map(math.isfinite, values))
                    stop, bad = any_rank_flags([self._stop_requested(), not finite], info, device)
                    if bad:
                        raise ValueError(
                            f"the loss is not finite at epoch {epoch} step {self.step} ({record}); "
                            "lower --lr or turn mixed precision off"
                        )
                    for k in keys:
                        sums[k] += record[k]
                    counted += 1
                    self.log.write(
                        "step",
                        epoch=epoch,
                        step=self.step,
                        **record,
                        lr=lr,
                        samples_per_s=global_batch / dt if dt > 0 else None,
                        **({"redo": True} if self.step <= self.logged_until else {}),
                    )
                    bar.set_postfix(loss=f"{record['loss']:.4g}", refresh=False)
                    bar.update(1)
                    if stop:
                        stopped = True
                        break
                    if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0 and batch_in_epoch < n_steps:
                        self._save(epoch, batch_in_epoch, epoch_file=False)
            finally:
                bar.close()
                del loader
            if counted:
                epoch_means = {k: sums[k] / counted for k in keys}
            self._sync_buffers()
            if stopped and batch_in_epoch < n_steps:
                self._save(epoch, batch_in_epoch, epoch_file=False)
                barrier(info, device)
                return self._stopped(epoch, epoch_means, t_start, trained_samples, train_seconds)
            self.log.write(
                "epoch_end", epoch=epoch, step=self.step, seconds=time.time() - t_epoch, steps=counted, **epoch_means
            )
            epoch, batch_in_epoch = epoch + 1, 0
            self._save(epoch, 0, epoch_file=True)
            barrier(info, device)
            if stopped and epoch < cfg.epochs:
                return self._stopped(epoch, epoch_means, t_start, trained_samples, train_seconds)
        self.log.write("done", message=f"trained {epoch} epochs ({self.step} steps)")
        sps = trained_samples / train_seconds if train_seconds > 0 else 0.0
        return self._summary("done", epoch, epoch_means, t_start, trained_samples, sps)

    def _sync_buffers(self) -> None:
        """Copy rank 0's buffers (BatchNorm running statistics) to every rank.

        DDP broadcasts them at the start of each forward, but the last forward of a run updates each rank's copy
        from its own batch; after this the whole state_dict is identical on all ranks.
        """
        if self.info.distributed:
            for buf in self.model.buffers():
                torch.distributed.broadcast(buf, src=0)

    def _stopped(self, epoch, means, t_start, samples, seconds) -> RunSummary:
        why = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}.get(self.signal_received, "a stop request")
        message = f"stopped by {why} at epoch {epoch}, step {self.step}; checkpoint saved, resume with --resume"
        self.log.write("stopped", message=message, epoch=epoch, step=self.step)
        return self._summary("stopped", epoch, means, t_start, samples, samples / seconds if seconds > 0 else 0.0)

    def _summary(self, status, epochs, means, t_start, samples, sps) -> RunSummary:
        return RunSummary(
            run_dir=self.run_dir,
            status=status,
            supervision=self.config.supervision,
            epochs_completed=epochs,
            step=self.step,
            checkpoint=self.run_dir / LAST_NAME if (self.run_dir / LAST_NAME).exists() else None,
            losses=dict(means),
            seconds=time.time() - t_start,
            samples_per_s=sps,
            rank=self.info.rank,
        )

    def _train_step(self, step_module, views, labels, amp_dtype) -> list[float]:
        cfg, device, rank = self.config, self.device, self.info.rank
        views = views.to(device, non_blocking=True)
        text = None
        if self.bank is not None:
            _, text = self.bank.draw(labels, seeded_generator("cpu", cfg.seed, "prompt", rank, self.step))
        loss, terms = train_step(
            step_module,
            views,
            text,
            self.optimizer,
            cfg.loss,
            cfg.augment,
            seeded_generator(device, cfg.seed, "augment", rank, self.step),
            amp_dtype,
            self.scaler,
            classes=labels if self.bank is not None else None,
        )
        return torch.stack([loss] + [terms[k] for k in TERMS if k in terms]).tolist()
