"""SMILE-VLM pretraining: ``pretrain(config, run_dir, resume=False, stop_event=None) -> RunSummary``.

Per step, for a batch of B samples with N rendered views each (uint8 (B, N, 3, S, S)):
    va, vb   = two independent random augmentations of every view (core.train.augment)
    za, zb   = encode_views(va), encode_views(vb)                 (N, B, D)
    z_views  = encode_views(clean views)                          (N, B, D)   un-augmented, for Eq. 6
    z_fused  = fuse(z_views)                                      (B, D)
    z_text   = project_text(frozen features of one prompt drawn from each sample's class)   (B, D)
    loss     = smile_vlm_loss(za, zb, z_views, z_fused, z_text)   alpha mv_bt + beta vl_align + gamma red_min
The three view sets go through the encoder as one concatenated batch of 3B samples (BatchNorm statistics are taken
over all three). With supervision "none" (``prompts="none"``) only va/vb are encoded and the loss is mv_bt alone;
the fusion and text projection then get no gradient and stay frozen at their initialisation.

Optimiser: Adam (lr, L2 weight_decay), constant rate. Device: CUDA when present (autocast bf16, or fp16 with a
GradScaler), else CPU fp32. Under torchrun (WORLD_SIZE > 1): DistributedDataParallel (gloo on CPU, NCCL on GPU),
each rank takes its DistributedSampler shard; batch_size is per rank. The losses, including the Barlow Twins
batch standardisation and cross-correlations, are computed per rank on its local batch (no embedding gather, no
SyncBatchNorm); DDP averages the gradients, so all ranks hold identical weights. Only rank 0 writes files.

Reproducibility and resuming: an epoch's batch order is a pure function of (seed, epoch) (view_data.epoch_batches),
and each step's augmentation and prompt draws come from generators seeded by (seed, purpose, rank, step). A
checkpoint (RUN_DIR/last.ckpt) is written at every epoch end (also kept as epoch_NNN.ckpt, the last
keep_checkpoints of them), every checkpoint_every steps when set, and when the run is stopped (SIGTERM, SIGINT or
``stop_event``) after the step in progress. It holds the model, Adam state, GradScaler state, epoch, position in
the epoch, step, the global RNG states and the config, so ``resume=True`` continues from it exactly, mid-epoch
included: on the CPU (same number of threads) the final weights equal those of an uninterrupted run bit for bit.
On CUDA, kernels' own nondeterminism may make them differ in the last bits. After a hard kill (no checkpoint at
the kill), a resume redoes the steps since the last checkpoint, with the same batches and randomness; their "step"
events carry "redo": true (the "start" event names the redone range), and SIGTERM/SIGINT after the last step (while
the model card is written) no longer interrupt a run that has finished.

Run folder: config.json (the resolved PretrainConfig), log.jsonl (core.train.run_log; a fresh start replaces it, a
resume appends), last.ckpt, epoch_NNN.ckpt, last.card.json + .md (its model card, core.model.card, written at the
end). Views come from the render cache (``cache``, default RUN_DIR/../cache);
rank 0 renders the manifest rows missing from it first (core.render.RenderCache.render_manifest), rows that fail
to render are left out with a "warning" event. Several processes: ``torchrun --nproc_per_node K -m core pretrain
...``.

Here: the public API (:func:`pretrain`, :func:`load_run`, their types) and the run's setup (data, render cache,
text encoder, model, optimiser, resume state). Elsewhere: the epoch/step loop, its logging and checkpoint contents
(core.train.train_loop, with RunSummary and TERMS), the run folder's files (core.train.run_folder: resume checks,
stale temporaries, checkpoint writing, LAST_NAME), SIGTERM/SIGINT handling (core.train.run_signals), and the
render settings of a config (core.train.pretrain_config.render_config).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from core.datasets import ManifestRow, read_manifest
from core.datasets.subjects import subject_keys
from core.model.card import write_run_card
from core.model.checkpoint import Checkpoint, load_checkpoint, restore_rng_state
from core.model.smile_vlm import SmileVLM
from core.text import CachedTextEncoder, build_text_encoder
from core.train.distributed import broadcast_object, setup_distributed, teardown_distributed
from core.train.pretrain_config import PretrainConfig
from core.train.pretrain_config import render_config as _render_config  # name imported by core.release.build
from core.train.rng import seed_everything
from core.train.run_folder import LAST_NAME, check_run_dir, prepare_run_dir
from core.train.run_log import LOG_NAME, RunLog, read_log
from core.train.run_signals import Interrupted, install_stop_handlers, restore_signals, signals_deferred
from core.train.step import StepForward, autocast_dtype, freeze_unused, preload_torch_dynamo
from core.train.supervision import PromptBank, check_prompt_labels
from core.train.train_loop import TERMS, RunSummary, TrainLoop  # noqa: F401 (TERMS re-exported)
from core.train.view_data import ViewDataset, steps_per_epoch


class StopEvent(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class PretrainedRun:
    """A finished (or stopped) run loaded by :func:`load_run`: its config, trained model (eval mode), checkpoint."""

    run_dir: Path
    config: PretrainConfig
    model: SmileVLM
    checkpoint: Checkpoint
    supervision: str
    classes: tuple[str, ...]
    events: tuple[dict, ...]

    @property
    def epoch(self) -> int:
        return self.checkpoint.epoch

    @property
    def step(self) -> int:
        return self.checkpoint.step


def _load_prompt_classes(config: PretrainConfig) -> tuple[str, dict[str, tuple[str, ...]]]:
    """(description of the prompt set, label -> prompts): a shipped set's name, a prompt file, or '' (the default
    expression set, resources/prompts/expressions.json)."""
    from core.prompts import DEFAULT_SET, resolve_prompts

    spec = config.prompt_set or DEFAULT_SET
    prompt_set = resolve_prompts(spec)
    where = spec if Path(spec).suffix == ".json" else f"{spec!r} (shipped)"
    return f"{prompt_set.name} from {where}", {str(k): tuple(v) for k, v in prompt_set.classes.items()}


class _Trainer(TrainLoop):
    """Sets a run up (run folder, render cache, data, text encoder, model, optimiser, resume state), then trains
    it with :meth:`TrainLoop._loop` (core.train.train_loop)."""

    # ---------------------------------------------------------------- setup
    def _read_rows(self) -> list[ManifestRow]:
        if not self.config.data:
            raise ValueError("no manifest given: pass --data MANIFEST (or set \"data\" in the --config file)")
        rows = read_manifest(self.config.data)
        if not rows:
            raise ValueError(f"{self.config.data}: the manifest has no rows")
        return rows

    def _prepare_cache(self, rows: list[ManifestRow]):
        """Render the rows missing from the cache (rank 0; already cached rows cost a stat each), then agree on
        the usable rows: returns (cache, indices of the rendered rows, [(path, reason)] of the failed ones)."""
        from core.errors import describe_os_error
        from core.render import RenderCache

        cache_dir = Path(self.config.cache) if self.config.cache else self.run_dir.parent / "cache"
        render_config = _render_config(self.config)
        outcome: tuple[str | None, list[tuple[str, str]]] = (None, [])
        if self.info.is_main:
            try:
                summary = RenderCache(cache_dir, render_config).render_manifest(rows, progress=self.config.progress)
                if summary.rendered:
                    print(f"render cache {cache_dir}: {summary.format()}", flush=True)
                outcome = (None, [tuple(f) for f in summary.failed])
            except (ValueError, OSError, RuntimeError) as exc:
                why = describe_os_error(exc) if isinstance(exc, OSError) and exc.errno is not None else exc
                outcome = (f"{cache_dir}: preparing the render cache failed: {why}", [])
        outcome = broadcast_object(outcome, self.info, self.device)  # type: ignore[assignment]
        error, failed = outcome
        if error:
            raise ValueError(error)
        cache = RenderCache(cache_dir, render_config)
        bad = {path for path, _ in failed}
        usable = [i for i, row in enumerate(rows) if str(row.path) not in bad]
        if not usable:
            reasons = "; ".join(f"{p}: {r}" for p, r in failed[:3])
            raise ValueError(f"{self.config.data}: no manifest row could be rendered ({reasons})")
        return cache, usable, failed

    # ---------------------------------------------------------------- run
    def run(self, resume: bool) -> RunSummary:
        previous = install_stop_handlers(self)
        try:
            return self._run_checked(resume)
        except Interrupted:
            return self._summary("stopped", self.start_epoch, {}, time.time(), 0, 0.0)
        finally:
            restore_signals(previous)

    def _run_checked(self, resume: bool) -> RunSummary:
        cfg = self.config
        t_start = time.time()
        ckpt = check_run_dir(self.run_dir, cfg, resume)
        rows = self._read_rows()
        self.bank = None
        self.prompt_source = ""
        if cfg.prompts == "metadata":
            self.prompt_source, classes = _load_prompt_classes(cfg)
            check_prompt_labels(rows, classes, self.prompt_source, cfg.data)
            present = {row.label for row in rows}
            self.class_names = tuple(name for name in classes if name in present)
        else:
            classes = {}
            self.class_names = tuple(sorted({row.label for row in rows}))
        if ckpt is not None and list(ckpt.extra.get("classes", [])) != list(self.class_names):
            raise ValueError(
                f"{ckpt.path}: the run was trained on classes {ckpt.extra.get('classes')}, "
                f"but {cfg.data} now has {list(self.class_names)}"
            )

        # the last step an earlier process logged: steps up to it are redone after a kill
        self.logged_until = prepare_run_dir(self.run_dir, cfg, ckpt is not None) if self.info.is_main else -1
        self.log = RunLog(self.run_dir / LOG_NAME, enabled=self.info.is_main)
        try:
            return self._run(ckpt, rows, classes, t_start)
        except Interrupted as exc:
            why = signal.Signals(exc.signum).name
            self.log.write("stopped", message=f"stopped by {why} before training started; no checkpoint written")
            raise
        except BaseException as exc:
            message = str(exc) or type(exc).__name__
            if isinstance(exc, KeyboardInterrupt):
                message = "interrupted"
            self.log.write("error", message=message)
            raise
        finally:
            self.log.close()

    def _run(self, ckpt: Checkpoint | None, rows: list[ManifestRow], classes: dict, t_start: float) -> RunSummary:
        cfg, info, device = self.config, self.info, self.device
        cache, usable, failed = self._prepare_cache(rows)
        if failed:
            self.log.write(
                "warning",
                message=f"{len(failed)} manifest rows could not be rendered and are left out, e.g. "
                f"{failed[0][0]}: {failed[0][1]}",
            )
        rows = [rows[i] for i in usable]
        label_index = {name: i for i, name in enumerate(self.class_names)}
        rows = [row for row in rows if row.label in label_index]
        self.subject_keys = subject_keys(rows)
        self.dataset = ViewDataset(rows, cache.get, label_index, cfg.model.n_views, cfg.model.image_size)
        n_steps = steps_per_epoch(len(self.dataset), cfg.batch_size, info.world_size)
        if n_steps < 1:
            raise ValueError(
                f"{cfg.data}: {len(self.dataset)} usable samples are fewer than one batch of {cfg.batch_size} "
                f"per process on {info.world_size} process(es); lower --batch"
            )
        if ckpt is not None and int(ckpt.extra.get("n_samples", -1)) != len(self.dataset):
            raise ValueError(
                f"{ckpt.path}: the run was trained on {ckpt.extra.get('n_samples')} samples, "
                f"but {cfg.data} now gives {len(self.dataset)}"
            )

        encoder = CachedTextEncoder(build_text_encoder(cfg.model.text_encoder, device=device))
        text_dim = int(encoder.dim)
        if cfg.prompts == "metadata":
            self.bank = PromptBank(classes, self.class_names, encoder.encode, device=device)

        seed_everything(cfg.seed)
        model = SmileVLM(cfg.model, text_dim, load_weights=ckpt is None).to(device)
        if ckpt is not None:
            try:
                model.load_state_dict(ckpt.model_state, strict=True)
            except RuntimeError as exc:
                raise ValueError(f"{ckpt.path}: weights do not fit the model ({exc})") from None
        self.model = model
        forward = StepForward(model, with_text=self.bank is not None).to(device)
        self.frozen = freeze_unused(forward, cfg.model.n_views, cfg.model.image_size, text_dim, device)
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        amp_dtype = autocast_dtype(cfg.amp, device)
        self.scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None

        epoch, batch_in_epoch, self.step = 0, 0, 0
        if ckpt is not None:
            if ckpt.optimizer_state is not None:
                self.optimizer.load_state_dict(ckpt.optimizer_state)
            if self.scaler is not None and ckpt.extra.get("scaler"):
                self.scaler.load_state_dict(ckpt.extra["scaler"])
            epoch, self.step = ckpt.epoch, ckpt.step
            self.start_epoch = epoch
            batch_in_epoch = int(ckpt.extra.get("batch_in_epoch", 0))
            if ckpt.rng_state is not None:
                restore_rng_state(ckpt.rng_state)
            if int(ckpt.extra.get("world_size", info.world_size)) != info.world_size:
                self.log.write(
                    "warning",
                    message=f"resumed on {info.world_size} process(es), trained on {ckpt.extra.get('world_size')}: "
                    "the batch order differs from an uninterrupted run",
                )
        if batch_in_epoch >= n_steps:
            epoch, batch_in_epoch = epoch + 1, 0

        step_module: nn.Module = forward
        if info.distributed:
            step_module = DistributedDataParallel(forward, device_ids=[device.index] if device.type == "cuda" else None)

        amp_name = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[amp_dtype]
        self.log.write(
            "start",
            config=cfg.to_dict(),
            supervision=cfg.supervision,
            world_size=info.world_size,
            device=str(device),
            amp=amp_name,
            n_samples=len(self.dataset),
            classes=list(self.class_names),
            steps_per_epoch=n_steps,
            frozen=list(self.frozen),
            resumed_from=None if ckpt is None else {"path": ckpt.path, "epoch": epoch, "step": self.step},
            redoes_steps=None if self.logged_until <= self.step else [self.step + 1, self.logged_until],
        )
        if ckpt is not None and epoch >= cfg.epochs:
            self.log.write("done", message=f"nothing to do: {epoch} of {cfg.epochs} epochs already trained")
            return self._summary("done", epoch, {}, t_start, 0, 0.0)

        self.training = True
        if self.signal_received is not None:  # a signal was pending when training began
            raise Interrupted(self.signal_received)
        return self._loop(step_module, epoch, batch_in_epoch, n_steps, amp_dtype, t_start)


def pretrain(
    config: PretrainConfig, run_dir: str | os.PathLike[str], resume: bool = False, stop_event: StopEvent | None = None
) -> RunSummary:
    """Pretrain SMILE-VLM into ``run_dir`` (see the module docstring); resumable, stoppable, torchrun-aware.

    ``resume``: continue from RUN_DIR/last.ckpt (a fresh start when there is none); without it an existing
    checkpoint in ``run_dir`` is an error. ``stop_event``: anything with ``is_set()``; when it returns True the
    run stops after the current step, saves a checkpoint and returns status "stopped" (as on SIGTERM/SIGINT).
    """
    if not isinstance(config, PretrainConfig):
        raise ValueError(f"pretrain needs a PretrainConfig, got {type(config).__name__}")
    run_dir = Path(os.path.abspath(os.path.expanduser(os.fspath(run_dir))))
    preload_torch_dynamo()
    info, device = setup_distributed(config.device, config.dist_timeout_s)
    summary = None
    try:
        summary = _Trainer(config, run_dir, info, device, stop_event).run(resume)
        with signals_deferred():  # the run is over: SIGTERM/SIGINT now have nothing left to stop (exit 0, not 143)
            if summary.rank == 0 and summary.checkpoint is not None:
                write_run_card(run_dir)  # RUN_DIR/last.card.json + .md (core.model.card); never fails the run
        return summary
    finally:
        if summary is None:
            teardown_distributed(info)
        else:
            with signals_deferred():
                teardown_distributed(info)


def load_run(
    run_dir: str | os.PathLike[str], checkpoint: str = LAST_NAME, device: str | torch.device = "cpu"
) -> PretrainedRun:
    """The trained model (eval mode on ``device``), config and log of a pretraining run folder.

    ``checkpoint``: a file name inside ``run_dir`` (default last.ckpt, e.g. "epoch_003.ckpt") or a path.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: run folder does not exist")
    path = Path(checkpoint)
    if not path.is_absolute():
        path = folder / path
    if not path.exists():
        raise FileNotFoundError(f"{path}: no checkpoint in the run folder (has the run saved one yet?)")
    ckpt = load_checkpoint(path)
    config = PretrainConfig.from_dict(ckpt.config, source=str(path))
    model = ckpt.build_model(device)
    log_path = folder / LOG_NAME
    events = tuple(read_log(log_path)) if log_path.exists() else ()
    return PretrainedRun(
        run_dir=folder,
        config=config,
        model=model,
        checkpoint=ckpt,
        supervision=str(ckpt.extra.get("supervision", config.supervision)),
        classes=tuple(ckpt.extra.get("classes", ())),
        events=events,
    )
