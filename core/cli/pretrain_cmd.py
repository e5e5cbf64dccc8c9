"""`smile-vlm pretrain`: SMILE-VLM pretraining of a manifest's rendered views into a run folder.

Settings: resources/pretrain.json < --config FILE < flags. With --resume the run folder's config.json is the base
instead of the defaults (so `smile-vlm pretrain --out RUN --resume` is enough), and only settings that do not
change the maths (epochs, device, workers, ...) may differ. Several processes: `torchrun --nproc_per_node K
-m core pretrain ...` (or the `smile-vlm` script path). SIGTERM / Ctrl-C stop after the current step with a
checkpoint (exit status 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.canonical_args import add_canonical_args, canonical_changes

#: flag dest -> (section or None, setting name)
_FLAGS: dict[str, tuple[str | None, str]] = {
    "data": (None, "data"),
    "cache": (None, "cache"),
    "epochs": (None, "epochs"),
    "batch": (None, "batch_size"),
    "lr": (None, "lr"),
    "weight_decay": (None, "weight_decay"),
    "prompts": (None, "prompts"),
    "prompt_set": (None, "prompt_set"),
    "seed": (None, "seed"),
    "device": (None, "device"),
    "amp": (None, "amp"),
    "workers": (None, "num_workers"),
    "checkpoint_every": (None, "checkpoint_every"),
    "keep": (None, "keep_checkpoints"),
    "progress": (None, "progress"),
    "alpha": ("loss", "alpha"),
    "beta": ("loss", "beta"),
    "gamma": ("loss", "gamma"),
    "lambd_bt": ("loss", "lambd_bt"),
    "lambd_rm": ("loss", "lambd_rm"),
    "tau": ("loss", "tau"),
    "dim": ("model", "embed_dim"),
    "backbone": ("model", "backbone"),
    "text_encoder": ("model", "text_encoder"),
    "views": ("model", "n_views"),
    "size": ("model", "image_size"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pretrain",
        help="pretrain SMILE-VLM on a manifest's rendered views",
        description=(
            "Pretrain SMILE-VLM (multi-view Barlow Twins + vision-language alignment + redundancy minimisation) "
            "on the rendered views of a manifest. Writes RUN_DIR/config.json, log.jsonl, last.ckpt and "
            "epoch_NNN.ckpt. Missing renders are made first in --cache (default: RUN_DIR/../cache). "
            "--prompts metadata draws one prompt of each sample's category label per step (the paper's "
            "protocol, uses labels); --prompts none trains without language or labels (Barlow Twins only)."
        ),
    )
    p.add_argument("--data", metavar="MANIFEST", help="manifest CSV (smile-vlm index)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder to write")
    p.add_argument("--config", metavar="FILE", help="JSON settings overriding resources/pretrain.json")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint")
    p.add_argument("--cache", metavar="DIR", help="render cache folder (default RUN_DIR/../cache)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch", type=int, help="batch size per process")
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--weight-decay", type=float, help="Adam (L2) weight decay")
    p.add_argument("--alpha", type=float, help="weight of the multi-view Barlow Twins loss")
    p.add_argument("--beta", type=float, help="weight of the vision-language alignment loss")
    p.add_argument("--gamma", type=float, help="weight of the redundancy minimisation loss")
    p.add_argument("--lambd-bt", type=float, help="off-diagonal weight of the Barlow Twins loss")
    p.add_argument("--lambd-rm", type=float, help="off-diagonal weight of the redundancy loss")
    p.add_argument("--tau", type=float, help="temperature of the alignment loss")
    p.add_argument("--dim", type=int, help="embedding dimension D")
    p.add_argument("--backbone", help="smallcnn | resnet18 | resnet50 | resnet18:<weights> | clip:<arch>:<weights>")
    p.add_argument("--text-encoder", help="minilm | clip:<arch>:<weights>")
    p.add_argument("--views", type=int, help="number of rendered views per sample")
    p.add_argument("--size", type=int, help="view size in pixels")
    p.add_argument("--prompts", choices=["metadata", "none"], help="language supervision (see above)")
    p.add_argument("--prompt-set", metavar="FILE|NAME", help="prompt set file or shipped set name")
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], help="mixed precision (CUDA)")
    p.add_argument("--workers", type=int, help="data-loading worker processes")
    p.add_argument("--checkpoint-every", type=int, metavar="K", help="also checkpoint every K steps (0: off)")
    p.add_argument("--keep", type=int, metavar="N", help="epoch checkpoints to keep")
    add_canonical_args(p, default_from="the config's render.canonical, else resources/canonical.json")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bars")
    p.set_defaults(handler=_run)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given explicitly on the command line, nested like PretrainConfig.to_dict()."""
    out: dict[str, Any] = {}
    for dest, (section, name) in _FLAGS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if section is None:
            out[name] = value
        else:
            out.setdefault(section, {})[name] = value
    canonical = {k: v for k, v in canonical_changes(args).items() if v is not None}
    if canonical:  # --orientation / --no-crop: render.canonical, laid over the config's
        out.setdefault("render", {})["canonical"] = canonical
    return out


def _run(args: argparse.Namespace) -> int:
    from core.cli.writable import check_writable_folder
    from core.config_io import read_json_object
    from core.train.pretraining import pretrain
    from core.train.pretrain_config import CONFIG_NAME, load_pretrain_config

    run_dir = Path(args.out)
    base = None
    saved = run_dir / CONFIG_NAME
    if args.resume and saved.is_file():
        base = read_json_object(saved, "run config")
        base.pop("supervision", None)
    config = load_pretrain_config(args.config, overrides_from_args(args), base=base)
    check_writable_folder(run_dir, "run folder")
    try:
        summary = pretrain(config, run_dir, resume=args.resume)
    except RuntimeError as exc:  # torch/device failures (out of memory, NCCL, ...)
        raise ValueError(f"training failed: {exc}") from None
    if summary.rank != 0:
        return 0
    losses = ", ".join(f"{k} {v:.4g}" for k, v in summary.losses.items())
    if summary.status == "stopped" and summary.checkpoint is None:
        print("stopped before training started; no checkpoint was written", file=sys.stderr)
    elif summary.status == "stopped":
        print(
            f"stopped at epoch {summary.epochs_completed}, step {summary.step}; checkpoint {summary.checkpoint}; "
            f"continue with: smile-vlm pretrain --out {run_dir} --resume",
            file=sys.stderr,
        )
    else:
        print(f"done: {summary.epochs_completed} epochs, {summary.step} steps ({summary.supervision} supervision)")
    if losses:
        print(f"last epoch: {losses}; {summary.samples_per_s:.1f} samples/s")
    print(f"run folder: {summary.run_dir}")
    return 0
