"""``smile-vlm build-model``: train the default model on a mixed synthetic corpus, score it on held-out synthetic
subjects, calibrate it, and write it with its model card.

Steps (each reused when its output exists, so an interrupted build continues):
 1. generate the training and held-out sets (core.eval.data.synthetic_source: ICT and SFM face models, BU-3DFE-like
    scans and BU-4DFE-like sequences, each set with its own seed) and keep the configured intensity levels;
 2. render every row once as canonical faces (core.render.RenderCache, 2 processes);
 3. pretrain with ``smile-vlm pretrain``'s own code (core.train.pretraining) on the training manifest, with the
    recipe of resources/pretrain.json and build_model.json's overrides;
 4. zero-shot scores of the held-out rows; a temperature fitted on their calibration split; accuracy, macro F1 and
    ECE before/after on the evaluation split (core.release.heldout);
 5. OUT/model.ckpt (weights only: no optimiser or RNG state; the temperature in extra["calibration"], the training
    subjects in extra["subjects"]), its sha256 in OUT/model.sha256, the card OUT/model.card.json + .md.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import torch

from core.release.config import BuildConfig, SetSpec

CHECKPOINT_NAME = "model.ckpt"
CARD_NAME = "model.card.json"
SHA_NAME = "model.sha256"


@dataclass(frozen=True)
class BuildResult:
    checkpoint: Path
    card: Path
    sha256: str
    evaluation: dict
    calibration: dict
    seconds: dict


def set_rows(spec: SetSpec, data_root: Path, workers: int, progress: bool) -> list:
    """Generate (or reuse) one synthetic set; its manifest rows with the configured intensity levels."""
    from core.eval.config import SynthSettings
    from core.eval.data import source_rows, synthetic_source

    settings = SynthSettings(spec.subjects, dict(spec.settings), spec.face_model)
    source = synthetic_source(spec.dataset, settings, spec.seed, data_root, workers=workers, progress=progress)
    rows = source_rows(source)
    if spec.levels:
        rows = [r for r in rows if r.intensity in spec.levels]
    if not rows:
        raise ValueError(f"{source.path}: no rows left with intensity levels {list(spec.levels)}")
    return rows


def pretrain_config(config: BuildConfig, manifest: Path, cache: Path):
    """The PretrainConfig of the build: resources/pretrain.json < build_model.json's pretrain < data, cache, seed,
    prompt set, view size and frames."""
    from core.train.pretrain_config import load_pretrain_config

    overrides = json.loads(json.dumps(config.pretrain))
    model = dict(overrides.pop("model", {}))
    model["image_size"] = int(config.render.get("size", model.get("image_size", 112)))
    render = dict(overrides.pop("render", {}))
    if "n_frames" in config.render:
        render["n_frames"] = int(config.render["n_frames"])
    overrides.update(data=str(manifest), cache=str(cache), seed=config.seed, model=model, render=render,
                     prompts="metadata", prompt_set=config.prompt_set, progress=False)
    return load_pretrain_config(None, overrides)


def score_sets(model, checkpoint, sets: list[tuple[SetSpec, list]], cache, prompt_set, class_names) -> list:
    """Zero-shot logits (cos / tau over the prompt set's classes) of every held-out set."""
    from core.eval.data import load_views
    from core.eval.training import embed
    from core.eval.zero_shot import prompt_class_embeddings, zero_shot_similarities
    from core.inference.analyzer import checkpoint_tau
    from core.release.heldout import ScoredSet
    from core.text import build_text_encoder

    encoder = build_text_encoder(checkpoint.model_config.text_encoder, device="cpu")
    texts = sorted({p for c in class_names for p in prompt_set.classes[c]})
    feats = encoder.encode(texts)
    class_emb = prompt_class_embeddings(model, feats, texts, {c: prompt_set.classes[c] for c in class_names})
    tau = checkpoint_tau(checkpoint)
    index = {c: i for i, c in enumerate(class_names)}
    scored = []
    for spec, rows in sets:
        views, kept, missing = load_views(rows, cache)
        if missing:
            raise ValueError(f"held-out set {spec.name}: {len(missing)} rows have no views ({missing[0][0]}: "
                             f"{missing[0][1]})")
        x = torch.from_numpy(np.ascontiguousarray(views.transpose(0, 1, 4, 2, 3)))
        emb = embed(model, x, batch=256)
        sims = zero_shot_similarities(torch.from_numpy(emb.z_fused), class_emb.cpu()).numpy()
        kept_rows = [rows[i] for i in kept]
        labels = np.array([index[r.label] for r in kept_rows])
        scored.append(ScoredSet(spec.name, sims / tau, labels, tuple(r.subject for r in kept_rows)))
    return scored


def build_model(
    config: BuildConfig,
    work: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int = 2,
    progress: bool = True,
    log: Callable[[str], None] = print,
    prepare_only: bool = False,
) -> BuildResult | None:
    """Run the whole build (see the module docstring); returns where it wrote and what it measured.
    prepare_only: stop after steps 1-2 (data and views ready; returns None)."""
    from core.datasets.manifest import write_manifest
    from core.datasets.subjects import subject_keys
    from core.eval.data import render_rows
    from core.model.card import file_sha256
    from core.model.checkpoint import load_checkpoint, save_checkpoint
    from core.prompts import resolve_prompts
    from core.release.heldout import evaluate
    from core.render import RenderCache
    from core.train.pretraining import _render_config, pretrain
    from core.train.step import preload_torch_dynamo

    preload_torch_dynamo()  # before VTK renders: triton's LLVM crashes the process when Mesa's is loaded first
    work, out = Path(work).absolute(), Path(out).absolute()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    train_sets = [(s, set_rows(s, work / "data", workers, progress)) for s in config.train]
    held_sets = [(s, set_rows(s, work / "data", workers, progress)) for s in config.heldout]
    seconds["generate"] = time.perf_counter() - t0
    train_rows = [r for _, rows in train_sets for r in rows]
    held_rows = [r for _, rows in held_sets for r in rows]
    train_keys = set(subject_keys(train_rows))
    leaked = sorted(train_keys & set(subject_keys(held_rows)))
    if leaked:
        raise ValueError(f"held-out subjects are training subjects: {', '.join(leaked[:5])}")
    log(f"corpus: {len(train_rows)} training rows from {config.n_train_subjects} subjects in {len(train_sets)} sets; "
        f"{len(held_rows)} held-out rows")

    manifest = work / "train.csv"
    write_manifest(train_rows, manifest)
    pcfg = pretrain_config(config, manifest, work / "cache")
    render = _render_config(pcfg)
    cache = RenderCache(work / "cache", render)
    t0 = time.perf_counter()
    _, failed = render_rows(train_rows + held_rows, cache, workers=workers, progress=progress)
    seconds["render"] = time.perf_counter() - t0
    if failed:
        log(f"warning: {len(failed)} rows could not be rendered and are left out, e.g. {failed[0][0]}: "
            f"{failed[0][1]}")

    if prepare_only:
        log(f"data and views ready in {work} ({seconds['generate']:.0f} s generating, {seconds['render']:.0f} s "
            "rendering)")
        return None
    t0 = time.perf_counter()
    summary = pretrain(pcfg, work / "run", resume=True)
    seconds["train"] = time.perf_counter() - t0
    if summary.status != "done" or summary.checkpoint is None:
        raise ValueError(f"training stopped ({summary.status}); run build-model again to continue")
    ckpt = load_checkpoint(summary.checkpoint)
    model = ckpt.build_model("cpu")
    model.eval()
    class_names = list(ckpt.extra.get("classes", []))
    prompt_set = resolve_prompts(config.prompt_set or None)

    t0 = time.perf_counter()
    scored = score_sets(model, ckpt, held_sets, cache, prompt_set, class_names)
    evaluation, calibration = evaluate(scored, class_names)
    seconds["evaluate"] = time.perf_counter() - t0

    extra = {k: v for k, v in ckpt.extra.items() if k not in ("scaler", "data_rng", "batch_in_epoch")}
    extra["calibration"] = dict(calibration)
    extra["subjects"] = sorted(train_keys)
    path = save_checkpoint(out / CHECKPOINT_NAME, model=model, model_config=ckpt.model_config, epoch=ckpt.epoch,
                           step=ckpt.step, config=ckpt.config, extra=extra)
    digest = file_sha256(path)
    (out / SHA_NAME).write_text(f"{digest}  {CHECKPOINT_NAME}\n", encoding="utf-8")
    card_path = write_release_card(config, pcfg, path, digest, train_sets, evaluation, calibration,
                                   summary, seconds)
    log(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, sha256 {digest[:16]}…) and {card_path}")
    return BuildResult(path, card_path, digest, evaluation, calibration, seconds)


def _describe_sets(sets: list[tuple[SetSpec, list]]) -> list[dict]:
    out = []
    for spec, rows in sets:
        kinds = {r.kind for r in rows}
        out.append({
            "set": spec.name,
            "generator": f"{spec.dataset}-like ({'4D sequences' if '4d' in kinds else '3D scans'})",
            "face_model": {"ict": "ICT Face Model Light", "sfm": "Surrey Face Model"}[spec.face_model],
            "subjects": len({r.subject for r in rows}),
            "samples": len(rows),
            "seed": spec.seed,
            "intensity_levels": list(spec.levels) or "all",
            "classes": sorted({r.label for r in rows}),
        })
    return out


def write_release_card(config, pcfg, checkpoint: Path, digest: str, train_sets, evaluation, calibration,
                       summary, seconds) -> Path:
    """The model card (JSON + Markdown) beside the checkpoint."""
    from core.model.card import ModelCard, write_card

    loss = pcfg.to_dict().get("loss", {})
    described = _describe_sets(train_sets)
    card = ModelCard(
        name=f"{config.name} ({date.today().isoformat()})",
        created=date.today().isoformat(),
        checkpoint=checkpoint.name,
        sha256=digest,
        training={
            "data": "synthetic faces only: " + ", ".join(
                f"{d['subjects']} {d['face_model']} subjects ({d['generator']}, {d['samples']} samples)"
                for d in described),
            "sets": described,
            "subjects": config.n_train_subjects,
            "samples": sum(len(rows) for _, rows in train_sets),
            "how_made": "smile-vlm synth generators (core.synth) with the ICT Face Model Light and the Surrey Face "
                        "Model, expressions as FACS action units (resources/action_units.json); each set its own "
                        "seed; rendered as canonical faces",
            "command": "smile-vlm build-model  (or: make model)",
            "seed": config.seed,
            "epochs": summary.epochs_completed,
            "steps": summary.step,
            "recipe": loss,
            "lr": pcfg.lr,
            "batch_size": pcfg.batch_size,
            "train_seconds": round(seconds.get("train", 0.0), 1),
            "final_losses": {k: round(float(v), 4) for k, v in summary.losses.items()},
            "build_settings": config.to_dict(),
        },
        supervision="category prompts: each training sample's expression label chooses the prompt class it is "
                    "paired with (the paper's protocol); the model never trains a classifier on the labels, but "
                    "the labels do enter through the prompts",
        preprocessing={
            "canonical_faces": "every scan registered to the ICT template (similarity ICP), cropped to a 90 mm "
                               "sphere around the nose tip, seen front-on (core.scans.canonical)",
            "views": "3 views at yaw -30, 0, +30 degrees",
            "image_size": pcfg.model.image_size,
            "frames_per_sequence": int(pcfg.render.get("n_frames", 16)),
            "4d": "rank-pooled dynamic image per view",
        },
        evaluation=evaluation,
        calibration=calibration,
        limits=[
            "Trained on synthetic faces only (two public face models); it has never seen a real face scan.",
            "Not validated on real scans by us: its accuracy on BU-3DFE, Bosphorus, BU-4DFE or a clinic's scans is "
            "unknown and may be much lower than the held-out figures above.",
            "The held-out figures are on other synthetic subjects made by the same generators; they measure "
            "generalisation to new synthetic identities, not to real people.",
            "Posed, prototypical expressions (the six basic emotions and neutral); subtle, mixed or spontaneous "
            "expressions are outside what it was trained on.",
            "Probabilities are calibrated on synthetic held-out subjects; on real scans they may be over- or "
            "under-confident.",
        ],
        prompt_set=config.prompt_set,
        extra={"build_seconds": {k: round(v, 1) for k, v in seconds.items()}, "package": "smile-vlm"},
    )
    return write_card(card, checkpoint.with_name(CARD_NAME))


__all__ = ["BuildResult", "build_model", "pretrain_config", "score_sets", "set_rows"]
