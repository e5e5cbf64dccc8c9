"""The 4D generators (BU-4DFE posed sequences, BP4D spontaneous tasks, 4DME micro-expressions), one
subject at a time, for the SFM (expression blendshapes) and the ICT model (action units,
core.synth.ict_weights). Layouts: see core.synth.generators.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.synth import artefacts, ict_weights, timeline
from core.synth.config import Bp4dConfig, Bu4dfeConfig, Me4dConfig
from core.synth.face import FaceRegions, Subject, rng_for
from core.synth.layout import BU4DFE_FOLDERS, Context, Item, SubjectPlan, make_subject_for, residual
from core.synth.model import EXPRESSIONS
from core.synth.writers import write_mesh

# ------------------------------------------------------------------------------------------------ 4D helpers


def _write_sequence(ctx: Context, subject: Subject, folder: Path, weights_sym: np.ndarray, rng_keys: tuple[int, ...],
                    fmt: str, motion: Any, extra: Any = None) -> None:
    """Write frames 000, 001, ... of one sequence.

    weights_sym: (T, W) weights per frame (SFM expressions or ICT units). extra(t) -> (V, 3) additional displacement of frame
    t (asymmetric or regional terms) or None. Head pose: one random offset per sequence plus smooth
    motion; an occluder (if drawn) stays for the whole sequence; noise, holes and specks are per frame.
    """
    cfg = ctx.config
    n_frames = weights_sym.shape[0]
    seq_rng = rng_for(ctx.seed, ctx.stream, *rng_keys, 0)
    base_angles, base_translation = artefacts.sample_pose(seq_rng, cfg.artefacts)
    angles, translation = timeline.head_motion(n_frames, seq_rng, motion.drift_deg, motion.drift_mm)
    occluder = artefacts.sample_occluder(seq_rng, cfg.artefacts, subject.regions) or False
    n_vertices = subject.neutral.shape[0]
    holes = artefacts.sample_holes(seq_rng, cfg.artefacts, n_vertices, cfg.artefacts.holes_mean)
    folder.mkdir(parents=True, exist_ok=True)
    digits = max(3, len(str(n_frames - 1)))
    for t in range(n_frames):
        shape = subject.shape(weights_sym[t])
        if extra is not None:
            more = extra(t)
            if more is not None:
                shape = shape + more
        rng = rng_for(ctx.seed, ctx.stream, *rng_keys, 1 + t)
        pose = (base_angles + angles[t], base_translation + translation[t])
        transient = artefacts.sample_holes(rng, cfg.artefacts, n_vertices, cfg.artefacts.frame_holes_mean)
        v, f = artefacts.capture(shape, subject.faces, rng, cfg.artefacts, subject.regions, pose=pose,
                                 occluder=occluder, holes=holes + transient, hole_reference=subject.neutral)
        write_mesh(folder / f"{t:0{digits}d}.{fmt}", v, f, fmt)


# ------------------------------------------------------------------------------------------------ BU-4DFE


def bu4dfe_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """One posed sequence per expression: neutral -> apex -> neutral with raised-cosine onset/offset."""
    cfg: Bu4dfeConfig = ctx.config
    subject = make_subject_for(ctx, plan)
    items = []
    for expression in cfg.expressions:
        e = EXPRESSIONS.index(expression)
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 100 + e)
        phases = timeline.macro_phases(cfg.frames, rng, cfg.lead_in, cfg.onset, cfg.apex, cfg.offset)
        amplitude = rng.uniform(*cfg.apex_intensity)
        tremor = 1.0 + cfg.apex_tremor * timeline.slow_noise(cfg.frames, rng, 1, period_frames=15.0)[:, 0]
        weights = np.tile(residual(ctx, rng, cfg.neutral_residual), (cfg.frames, 1))
        if ctx.face_model == "ict":
            active = ict_weights.macro_weights(subject.classes[expression], ctx.model.table, phases, cfg.frames)
            weights += amplitude * tremor[:, None] * active
            apex = int(np.argmax(np.abs(active).sum(axis=1)))
        else:
            profile = timeline.envelope(cfg.frames, *phases)
            apex = int(np.argmax(profile))
            weights[:, e] += amplitude * profile * tremor
        folder_name = BU4DFE_FOLDERS[expression]
        _write_sequence(ctx, subject, ctx.out / plan.code / folder_name, weights, (plan.index, 100 + e),
                        cfg.frame_format, cfg.motion)
        items.append(Item(f"{plan.code}/{folder_name}", plan.code, expression, cfg.frames,
                          (("apex", str(apex)), ("weight", f"{amplitude:.3f}"))))
    return items


# ------------------------------------------------------------------------------------------------ BP4D


def bp4d_weights(cfg: Bp4dConfig, emotion: str, n_frames: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(symmetric weights (T, 6), asymmetric weights (T, 6)) of one spontaneous task sequence.

    Several events (cfg.events) each activate the emotion's blend: every blendshape of the blend with its
    weight x the event amplitude x a log-normal jitter, its own small time lag, and its own left/right
    asymmetry s (the per-vertex weight is w (1 + s tanh(x / 20 mm)), so the asymmetric part is w s).
    Events overlap freely. Slow task-unrelated background activity is added to every blendshape.
    """
    blend = cfg.blend(emotion)
    top = max(w for _, w in blend)
    sym = np.zeros((n_frames, len(EXPRESSIONS)))
    asym = np.zeros_like(sym)
    n_events = int(rng.integers(cfg.events[0], cfg.events[1] + 1))
    for _ in range(n_events):
        amplitude = rng.uniform(*cfg.event_amplitude)
        base = timeline.event_profile(n_frames, rng, cfg.event_duration)
        for name, w in blend:
            c = EXPRESSIONS.index(name)
            lag = int(rng.integers(-2, 3))
            profile = np.roll(base, lag)
            if lag > 0:
                profile[:lag] = 0.0
            elif lag < 0:
                profile[lag:] = 0.0
            a = amplitude * (w / top) * np.exp(0.25 * rng.standard_normal()) * profile
            s = float(np.clip(cfg.asymmetry_sigma * rng.standard_normal(), -0.9, 0.9))
            sym[:, c] += a
            asym[:, c] += a * s
    background = cfg.background_amplitude * timeline.slow_noise(n_frames, rng, len(EXPRESSIONS), period_frames=20.0)
    sym += np.abs(background)
    return sym, asym


def bp4d_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """One spontaneous-like sequence per task (blended, asymmetric, overlapping, weaker activations)."""
    from core.datasets import BP4D_TASK_EMOTION

    cfg: Bp4dConfig = ctx.config
    subject = make_subject_for(ctx, plan)
    side = np.tanh((subject.neutral[:, 0] - subject.neutral[:, 0].mean()) / 20.0)[:, None]
    items = []
    for task in cfg.tasks:
        k = int(task[1:])
        emotion = BP4D_TASK_EMOTION[task]
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 200 + k)
        if ctx.face_model == "ict":
            sym = ict_weights.bp4d_weights(subject.classes[task], ctx.model.table, cfg, cfg.frames, rng)
            extra = None
            blend = ict_weights.au_list(ctx.model.table, subject.classes[task].weights)
        else:
            sym, asym = bp4d_weights(cfg, emotion, cfg.frames, rng)

            def extra(t: int, asym: np.ndarray = asym) -> np.ndarray:
                return side * np.tensordot(asym[t], subject.styles, axes=1)

            blend = "+".join(name for name, _ in cfg.blend(emotion))
        _write_sequence(ctx, subject, ctx.out / plan.code / task, sym, (plan.index, 200 + k), cfg.frame_format,
                        cfg.motion, extra)
        items.append(Item(f"{plan.code}/{task}", plan.code, emotion, cfg.frames, (("blend", blend),)))
    return items


# ------------------------------------------------------------------------------------------------ 4DME


def micro_clip(cfg: Me4dConfig, label: str, subject: Subject, regions: FaceRegions, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, dict[str, str]]:
    """(weights (T, 6), regional profile (T,) or None, regional displacement (V, 3) or None, ground truth)
    of one micro-expression clip of class ``label`` (see Me4dConfig for the class definitions)."""
    n = cfg.frames
    profile, onset, apex, offset = timeline.micro_profile(n, rng, cfg.duration_frames)
    amplitude = rng.uniform(*cfg.intensity)
    weights = np.zeros((n, len(EXPRESSIONS)))
    info = {"onset": str(onset), "apex": str(apex), "offset": str(offset)}
    regional_profile = regional = None
    if label == "positive":
        weights[:, EXPRESSIONS.index("happiness")] = amplitude * profile
        info["emotion"] = "happiness"
    elif label == "surprise":
        weights[:, EXPRESSIONS.index("surprise")] = amplitude * profile
        info["emotion"] = "surprise"
    elif label in ("negative", "repression"):
        negative = cfg.negative_expressions[int(rng.integers(len(cfg.negative_expressions)))]
        weights[:, EXPRESSIONS.index(negative)] = amplitude * profile
        info["emotion"] = negative
        if label == "repression":
            delay = int(rng.integers(0, 3))
            length = offset - onset + 1
            rise = max(1.0, 0.4 * length)
            fall = max(1.0, length - rise + int(rng.integers(2, 5)))
            smile = timeline.envelope(n, onset - 1 + delay, rise, 0.0, fall)
            weights[:, EXPRESSIONS.index("happiness")] = amplitude * rng.uniform(*cfg.mask_ratio) * smile
            nz = np.flatnonzero(weights.sum(axis=1) > 1e-9)
            info["offset"] = str(int(nz[-1]))
            info["emotion"] = f"{negative}+happiness"
    elif label == "others":
        c = EXPRESSIONS.index(cfg.others_expressions[int(rng.integers(len(cfg.others_expressions)))])
        region = cfg.others_regions[int(rng.integers(len(cfg.others_regions)))]
        upper = region == "brows"
        index = regions.brows if upper else regions.mouth
        x = subject.neutral[:, 0] - subject.neutral[:, 0].mean()
        side = 1.0 if rng.random() < 0.5 else -1.0
        mask = np.zeros(subject.neutral.shape[0])
        mask[index] = 1.0
        mask *= 0.5 * (1.0 + np.tanh(side * x / 8.0))
        regional = subject.styles[c] * mask[:, None]
        regional_profile = amplitude * profile
        info["emotion"] = f"{EXPRESSIONS[c]} ({'upper' if upper else 'lower'} face, {'left' if side > 0 else 'right'})"
    else:
        raise ValueError(f"unknown micro-expression class {label!r}")
    return weights, regional_profile, regional, info


def me4d_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """cfg.clips_per_subject micro-expression clips: one brief weak activation in a neutral sequence."""
    cfg: Me4dConfig = ctx.config
    subject = make_subject_for(ctx, plan)
    classes = [c for c, _ in cfg.class_weights]
    p = np.array([w for _, w in cfg.class_weights], dtype=np.float64)
    p /= p.sum()
    items = []
    for k in range(cfg.clips_per_subject):
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 300 + k)
        label = classes[int(rng.choice(len(classes), p=p))]
        if ctx.face_model == "ict":
            weights, info = ict_weights.micro_weights(cfg, label, subject, ctx.model.table, rng)
            regional_profile = regional = None
        else:
            weights, regional_profile, regional, info = micro_clip(cfg, label, subject, ctx.regions, rng)
        weights = weights + residual(ctx, rng, cfg.neutral_residual)[None, :]

        def extra(t: int, rp: np.ndarray | None = regional_profile, rd: np.ndarray | None = regional) -> np.ndarray | None:
            return None if rp is None or rd is None else rp[t] * rd

        clip = f"EP{k + 1:02d}"
        _write_sequence(ctx, subject, ctx.out / plan.code / clip, weights, (plan.index, 300 + k), cfg.frame_format,
                        cfg.motion, extra)
        items.append(Item(f"{plan.code}/{clip}", plan.code, label, cfg.frames, tuple(sorted(info.items()))))
    return items
