"""Training one fold model of a benchmark method, and embedding views with it.

All methods share this loop, backbone, views, epochs, batch order and augmentations:
    smile  SMILE-VLM objective (core.train.step.train_step: two augmentations + the clean views, Eq. 10),
           with category prompts drawn per sample and step (core.train.supervision.PromptBank), with prompts of
           a shuffled class (the control without category information: prompt_labels), or without language
           (mv-BT only);
    ce     the supervised cross-entropy baseline (core.train.supervised: one augmentation, classifier on z^mv).
Uniform fusion: the fusion's last scoring layer is zeroed and every fusion parameter frozen, so all views get the
weight 1/N for the whole run. Each epoch takes the full batches of a seeded permutation (core.train.view_data.
epoch_batches); step randomness (augmentations, prompt draws) comes from generators seeded by (seed, purpose,
step), so a fold model is a pure function of its inputs on the CPU.
Device: CUDA when present (bf16 autocast where supported), else the CPU in fp32.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.eval.config import MethodSpec, TrainSettings
from core.model.config import ModelConfig
from core.model.smile_vlm import SmileVLM


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bf16 autocast on a CUDA GPU that supports it, else None (fp32)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


@dataclass
class TrainedModel:
    """A trained fold model (eval mode): ``model`` is the SmileVLM (for ce: its encoder), ``classifier`` the ce
    head or None; history: per-epoch means of the loss terms; seconds and samples_per_s of the training."""

    model: SmileVLM
    classifier: nn.Linear | None
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    samples_per_s: float = 0.0


def make_uniform(model: SmileVLM) -> None:
    """Zero the fusion scorer's output layer and freeze the fusion: every view then weighs 1/N."""
    last = model.fusion.score[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    for p in model.fusion.parameters():
        p.requires_grad_(False)


def _load_init(model: SmileVLM, state: Mapping[str, torch.Tensor] | None, skip_text: bool) -> None:
    if not state:
        return
    wanted = {k: v for k, v in state.items() if not (skip_text and k.startswith("text_proj."))}
    missing, unexpected = model.load_state_dict(wanted, strict=False)
    missing = [k for k in missing if not k.startswith("text_proj.")]
    if missing or unexpected:
        raise ValueError(
            f"the initial weights do not fit the model (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )


def prompt_labels(labels: torch.Tensor, mode: str, seed: int) -> torch.Tensor:
    """The class whose prompts each sample draws: its own label, or for the "shuffled" control the label of another
    sample (one fixed permutation of the labels, seeded), which keeps the class frequencies and removes any link
    between a sample's expression and its language."""
    if mode != "shuffled":
        return labels
    from core.train.rng import seeded_generator

    order = torch.randperm(labels.shape[0], generator=seeded_generator("cpu", seed, "shuffled-prompts", 0, 0))
    return labels[order]


def train_fold_model(
    method: MethodSpec,
    settings: TrainSettings,
    model_config: ModelConfig,
    views: torch.Tensor,
    labels: torch.Tensor,
    class_names: Sequence[str],
    *,
    seed: int,
    prompts: Mapping[str, Sequence[str]] | None = None,
    text_features: Mapping[str, torch.Tensor] | None = None,
    text_dim: int = 384,
    device: torch.device | str = "cpu",
    init_state: Mapping[str, torch.Tensor] | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainedModel:
    """Train ``method`` on uint8 views (n, V, 3, S, S) with class indices ``labels`` (n,) into ``class_names``.

    prompts: label -> prompt strings and text_features: prompt string -> (text_dim,) frozen feature, both needed
    for kind smile with prompts metadata. model_config: the architecture (n_views must equal V). init_state: a
    SmileVLM state_dict to start from (its text projection is ignored for ce). on_epoch(epoch, means) is called
    after every epoch. The batch size is capped at n (at least 2 samples are needed).
    """
    from core.train.step import StepForward, freeze_unused, train_step
    from core.train.rng import seed_everything, seeded_generator
    from core.train.supervised import SupervisedBaseline, supervised_step
    from core.train.supervision import PromptBank
    from core.train.view_data import epoch_batches

    device = torch.device(device)
    n = int(views.shape[0])
    if views.ndim != 5 or views.dtype != torch.uint8 or views.shape[2] != 3:
        raise ValueError(f"views must be uint8 (n, V, 3, S, S), got {views.dtype} {tuple(views.shape)}")
    if views.shape[1] != model_config.n_views or views.shape[3] != model_config.image_size:
        raise ValueError(
            f"views are {views.shape[1]} x {views.shape[3]} px but the model expects {model_config.n_views} x "
            f"{model_config.image_size} px"
        )
    if n < 2:
        raise ValueError(f"training needs at least 2 samples, got {n}")
    batch = min(settings.batch_size, n)
    seed_everything(seed)
    amp = autocast_dtype(device)
    with_text = method.kind == "smile" and method.prompts in ("metadata", "shuffled")
    classifier = None
    if method.kind == "smile":
        model = SmileVLM(model_config, text_dim).to(device)
        _load_init(model, init_state, skip_text=False)
        if method.fusion == "uniform":
            make_uniform(model)
        forward = StepForward(model, with_text=with_text).to(device)
        freeze_unused(forward, model_config.n_views, model_config.image_size, text_dim, device)
        params = [p for p in model.parameters() if p.requires_grad]
        bank = None
        if with_text:
            if prompts is None or text_features is None:
                raise ValueError(f"method {method.name!r} needs prompts and their text features")
            feats = text_features

            def encode(texts: list[str]) -> torch.Tensor:
                return torch.stack([feats[t].float().cpu() for t in texts])

            bank = PromptBank(prompts, list(class_names), encode, device=device)
        net: nn.Module = forward
        keys = ("loss", "mv_bt", "vl_align", "red_min") if with_text else ("loss", "mv_bt")
    else:
        base = SupervisedBaseline(SmileVLM(model_config, text_dim), len(class_names)).to(device)
        _load_init(base.encoder, init_state, skip_text=True)
        if method.fusion == "uniform":
            make_uniform(base.encoder)
        params = base.trainable_parameters()
        model, classifier, net, bank = base.encoder, base.classifier, base, None
        keys = ("loss",)
    optimizer = torch.optim.Adam(params, lr=settings.lr, weight_decay=settings.weight_decay)
    labels = labels.to(torch.long).cpu()
    prompt_classes = prompt_labels(labels, method.prompts, seed)
    history: list[dict[str, float]] = []
    step = 0
    trained = 0
    t0 = time.perf_counter()
    net.train()
    for epoch in range(settings.epochs):
        sums = dict.fromkeys(keys, 0.0)
        count = 0
        for idx in epoch_batches(n, batch, seed, epoch):
            index = torch.as_tensor(idx, dtype=torch.long)
            v = views[index].to(device, non_blocking=True)
            y = labels[index]
            aug_gen = seeded_generator(device, seed, "augment", 0, step)
            if method.kind == "smile":
                text, classes = None, prompt_classes[index]
                if bank is not None:
                    _, text = bank.draw(classes, seeded_generator("cpu", seed, "prompt", 0, step))
                loss, terms = train_step(net, v, text, optimizer, method.loss, settings.augment, aug_gen, amp, None,
                                         classes=classes)
                values = torch.stack([loss] + [terms[k] for k in keys[1:]]).tolist()
            else:
                loss = supervised_step(net, v, y.to(device), optimizer, aug_gen, settings.augment, amp, None)
                values = [float(loss)]
            if not all(math.isfinite(x) for x in values):
                raise ValueError(
                    f"method {method.name!r}: the loss is not finite at epoch {epoch} step {step} "
                    f"({dict(zip(keys, values))}); lower the learning rate"
                )
            for k, x in zip(keys, values):
                sums[k] += x
            count += 1
            step += 1
            trained += len(idx)
        means = {k: sums[k] / count for k in keys} if count else {}
        history.append(means)
        if on_epoch is not None:
            on_epoch(epoch, means)
    seconds = time.perf_counter() - t0
    model.eval()
    if classifier is not None:
        classifier.eval()
    return TrainedModel(model, classifier, history, seconds, trained / seconds if seconds > 0 else 0.0)


@dataclass
class Embeddings:
    """Embeddings of n samples: z_views (n, V, D) per-view z'_i, z_fused (n, D) z^mv, weights (n, V) fusion
    weights, logits (n, C) of a ce classifier or None. float32 numpy arrays."""

    z_views: np.ndarray
    z_fused: np.ndarray
    weights: np.ndarray
    logits: np.ndarray | None = None


def embed(
    model: SmileVLM,
    views: torch.Tensor,
    batch: int = 256,
    classifier: nn.Module | None = None,
) -> Embeddings:
    """One pass of uint8 views (n, V, 3, S, S) through the (eval-mode) model, in batches, without gradients."""
    device = next(model.parameters()).device
    amp = autocast_dtype(device)
    zv, zf, w, lg = [], [], [], []
    model.eval()
    with torch.inference_mode():
        for start in range(0, int(views.shape[0]), batch):
            x = views[start : start + batch].to(device)
            with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
                z_views = model.encode_views(x)
                z_fused, weights = model.fuse(z_views)
                logits = classifier(z_fused) if classifier is not None else None
            zv.append(z_views.float().transpose(0, 1).cpu().numpy())
            zf.append(z_fused.float().cpu().numpy())
            w.append(weights.float().cpu().numpy())
            if logits is not None:
                lg.append(logits.float().cpu().numpy())
    if not zf:
        raise ValueError("no views to embed")
    return Embeddings(
        np.concatenate(zv), np.concatenate(zf), np.concatenate(w), np.concatenate(lg) if lg else None
    )
