"""The five dataset generators, one subject at a time.

Each generator writes one subject's files in its benchmark's own layout and returns what it wrote. All
randomness comes from :func:`core.synth.face.rng_for` keyed by (seed, dataset stream, subject index,
item, frame), so a subject's files are byte-identical whatever else is generated around it (in parallel
or not), and a different seed changes every file.

Layouts (what the core.datasets indexers read):

* ``bu3dfe``: ``F0001/F0001_AN01WH_F3D.wrl``: neutral (``NE00``) + AN DI FE HA SA SU x intensity 01-04.
* ``bu4dfe``: ``F001/Happy/000.obj`` (or .wrl): one neutral -> apex -> neutral sequence per expression.
* ``bp4d``: ``F001/T1/000.obj``: one spontaneous-like sequence per task T1..T8 (task -> emotion from
  core.datasets.BP4D_TASK_EMOTION, emotion -> blendshape blend in the settings).
* ``4dme``: ``S001/EP01/000.obj`` plus the CSV manifest ``4dme.csv`` (path, subject, label, ...).
* ``bosphorus``: ``bs000/bs000_N_N_0.bnt`` and ``bs000/bs000_E_HAPPY_0.bnt`` range grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.synth import artefacts, timeline
from core.synth.config import Bp4dConfig, Bu3dfeConfig, Bu4dfeConfig, BosphorusConfig, Me4dConfig
from core.synth.face import (
    FaceRegions,
    Subject,
    assign_demographics,
    face_regions,
    make_population,
    make_subject,
    rng_for,
)
from core.synth.model import EXPRESSIONS, SfmModel
from core.synth.rangegrid import range_grid
from core.synth.writers import write_bnt, write_mesh

#: Seed stream of each generator (keeps e.g. bu4dfe and bp4d subjects of the same seed apart).
STREAMS = {"bu3dfe": 1, "bu4dfe": 2, "bp4d": 3, "4dme": 4, "bosphorus": 5}
#: Digits of the subject number in the dataset's ids (F0001, F001, S001, bs000).
ID_DIGITS = {"bu3dfe": 4, "bu4dfe": 3, "bp4d": 3, "4dme": 3, "bosphorus": 3}
#: Largest subject count whose ids fit the dataset's naming.
MAX_SUBJECTS = {"bu3dfe": 9999, "bu4dfe": 999, "bp4d": 999, "4dme": 999, "bosphorus": 1000}

BU3DFE_CODES = {"anger": "AN", "disgust": "DI", "fear": "FE", "happiness": "HA", "sadness": "SA", "surprise": "SU"}
BU4DFE_FOLDERS = {"anger": "Angry", "disgust": "Disgust", "fear": "Fear", "happiness": "Happy", "sadness": "Sad",
                  "surprise": "Surprise"}
BOSPHORUS_CODES = {"anger": "ANGER", "disgust": "DISGUST", "fear": "FEAR", "happiness": "HAPPY",
                   "sadness": "SADNESS", "surprise": "SURPRISE"}
ME4D_MANIFEST = "4dme.csv"


@dataclass(frozen=True)
class SubjectPlan:
    """Who subject ``index`` is: dataset id, sex (F/M) and race/group code."""

    index: int
    code: str
    sex: str
    group: str


@dataclass(frozen=True)
class Item:
    """One written scan (3D) or sequence (4D): path relative to the output folder and its ground truth.

    label: emotion / class; n_frames: 1 for a scan; info: extra ground truth (intensity level, onset,
    apex and offset frames, the blendshapes used) as (name, value) pairs.
    """

    path: str
    subject: str
    label: str
    n_frames: int
    info: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False)
class Context:
    """Everything a subject job needs: the model, the settings, the seed and the output folder."""

    generator: str
    model: SfmModel
    config: Any
    seed: int
    out: Path
    regions: FaceRegions

    @property
    def stream(self) -> int:
        return STREAMS[self.generator]


def make_context(generator: str, model: SfmModel, config: Any, seed: int, out: Path) -> Context:
    """The job context (face regions computed once from the mean face)."""
    return Context(generator, model, config, int(seed), Path(out), face_regions(model.mean))


def plan_subjects(generator: str, config: Any, n_subjects: int, seed: int) -> list[SubjectPlan]:
    """The subjects of a run: ids as the dataset numbers them (F before M; bsNNN for Bosphorus, SNNN for 4DME)."""
    demo = assign_demographics(n_subjects, config.identity, seed, STREAMS[generator])
    digits = ID_DIGITS[generator]
    counters = {"F": 0, "M": 0}
    plans = []
    for i, (sex, group) in enumerate(demo):
        if generator == "bosphorus":
            code = f"bs{i:03d}"
        elif generator == "4dme":
            code = f"S{i + 1:03d}"
        else:
            counters[sex] += 1
            code = f"{sex}{counters[sex]:0{digits}d}"
        plans.append(SubjectPlan(i, code, sex, group))
    return plans


def files_per_subject(generator: str, config: Any) -> int:
    """How many scan files one subject gets (for progress bars and summaries)."""
    if generator == "bu3dfe":
        return 25
    if generator == "bu4dfe":
        return len(config.expressions) * config.frames
    if generator == "bp4d":
        return len(config.tasks) * config.frames
    if generator == "4dme":
        return config.clips_per_subject * config.frames
    if generator == "bosphorus":
        return 7
    raise ValueError(f"unknown generator {generator!r}")


def _subject(ctx: Context, plan: SubjectPlan) -> Subject:
    cfg = ctx.config
    population = make_population(cfg.identity, ctx.model.n_components)
    rng = rng_for(ctx.seed, ctx.stream, plan.index, 0)
    return make_subject(ctx.model, cfg.identity, cfg.style, population, plan.code, plan.sex, plan.group, rng)


def _residual(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """(6,) small non-negative expression residue of a "neutral" face."""
    return np.abs(sigma * rng.standard_normal(len(EXPRESSIONS)))


def _one_hot(expression: str, weight: float) -> np.ndarray:
    w = np.zeros(len(EXPRESSIONS))
    w[EXPRESSIONS.index(expression)] = weight
    return w


# ------------------------------------------------------------------------------------------------ BU-3DFE


def bu3dfe_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """25 static scans: neutral + 6 expressions x 4 intensity levels (BU-3DFE naming, WRL)."""
    cfg: Bu3dfeConfig = ctx.config
    subject = _subject(ctx, plan)
    folder = ctx.out / plan.code
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    jobs: list[tuple[str, int]] = [("neutral", 0)] + [(e, level) for e in EXPRESSIONS for level in (1, 2, 3, 4)]
    for k, (expression, level) in enumerate(jobs):
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 1 + k)
        weights = _residual(rng, cfg.neutral_residual)
        if expression == "neutral":
            code, intensity = "NE", 0.0
        else:
            code = BU3DFE_CODES[expression]
            intensity = float(rng.uniform(*cfg.intensity_levels[level - 1]))
            weights *= 0.5
            weights[EXPRESSIONS.index(expression)] = intensity
        v, f = artefacts.capture(subject.shape(weights), ctx.model.faces, rng, cfg.artefacts, ctx.regions)
        name = f"{plan.code}_{code}{level:02d}{plan.group}_F3D.wrl"
        write_mesh(folder / name, v, f, "wrl")
        items.append(Item(f"{plan.code}/{name}", plan.code, expression, 1,
                          (("level", str(level)), ("weight", f"{intensity:.3f}"))))
    return items


# ------------------------------------------------------------------------------------------------ 4D helpers


def _write_sequence(ctx: Context, subject: Subject, folder: Path, weights_sym: np.ndarray, rng_keys: tuple[int, ...],
                    fmt: str, motion: Any, extra: Any = None) -> None:
    """Write frames 000, 001, ... of one sequence.

    weights_sym: (T, 6) expression weights per frame. extra(t) -> (V, 3) additional displacement of frame
    t (asymmetric or regional terms) or None. Head pose: one random offset per sequence plus smooth
    motion; an occluder (if drawn) stays for the whole sequence; noise, holes and specks are per frame.
    """
    cfg = ctx.config
    n_frames = weights_sym.shape[0]
    seq_rng = rng_for(ctx.seed, ctx.stream, *rng_keys, 0)
    base_angles, base_translation = artefacts.sample_pose(seq_rng, cfg.artefacts)
    angles, translation = timeline.head_motion(n_frames, seq_rng, motion.drift_deg, motion.drift_mm)
    occluder = artefacts.sample_occluder(seq_rng, cfg.artefacts, ctx.regions) or False
    n_vertices = ctx.model.mean.shape[0]
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
        v, f = artefacts.capture(shape, ctx.model.faces, rng, cfg.artefacts, ctx.regions, pose=pose,
                                 occluder=occluder, holes=holes + transient, hole_reference=subject.neutral)
        write_mesh(folder / f"{t:0{digits}d}.{fmt}", v, f, fmt)


# ------------------------------------------------------------------------------------------------ BU-4DFE


def bu4dfe_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """One posed sequence per expression: neutral -> apex -> neutral with raised-cosine onset/offset."""
    cfg: Bu4dfeConfig = ctx.config
    subject = _subject(ctx, plan)
    items = []
    for expression in cfg.expressions:
        e = EXPRESSIONS.index(expression)
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 100 + e)
        profile, apex = timeline.macro_profile(cfg.frames, rng, cfg.lead_in, cfg.onset, cfg.apex, cfg.offset)
        amplitude = rng.uniform(*cfg.apex_intensity)
        tremor = 1.0 + cfg.apex_tremor * timeline.slow_noise(cfg.frames, rng, 1, period_frames=15.0)[:, 0]
        residual = _residual(rng, cfg.neutral_residual)
        weights = np.tile(residual, (cfg.frames, 1))
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
    subject = _subject(ctx, plan)
    side = np.tanh((subject.neutral[:, 0] - subject.neutral[:, 0].mean()) / 20.0)[:, None]
    items = []
    for task in cfg.tasks:
        k = int(task[1:])
        emotion = BP4D_TASK_EMOTION[task]
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 200 + k)
        sym, asym = bp4d_weights(cfg, emotion, cfg.frames, rng)

        def extra(t: int, asym: np.ndarray = asym) -> np.ndarray:
            return side * np.tensordot(asym[t], subject.styles, axes=1)

        _write_sequence(ctx, subject, ctx.out / plan.code / task, sym, (plan.index, 200 + k), cfg.frame_format,
                        cfg.motion, extra)
        blend = "+".join(name for name, _ in cfg.blend(emotion))
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
    subject = _subject(ctx, plan)
    classes = [c for c, _ in cfg.class_weights]
    p = np.array([w for _, w in cfg.class_weights], dtype=np.float64)
    p /= p.sum()
    items = []
    for k in range(cfg.clips_per_subject):
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 300 + k)
        label = classes[int(rng.choice(len(classes), p=p))]
        weights, regional_profile, regional, info = micro_clip(cfg, label, subject, ctx.regions, rng)
        weights = weights + _residual(rng, cfg.neutral_residual)[None, :]

        def extra(t: int, rp: np.ndarray | None = regional_profile, rd: np.ndarray | None = regional) -> np.ndarray | None:
            return None if rp is None or rd is None else rp[t] * rd

        clip = f"EP{k + 1:02d}"
        _write_sequence(ctx, subject, ctx.out / plan.code / clip, weights, (plan.index, 300 + k), cfg.frame_format,
                        cfg.motion, extra)
        items.append(Item(f"{plan.code}/{clip}", plan.code, label, cfg.frames, tuple(sorted(info.items()))))
    return items


# ------------------------------------------------------------------------------------------------ Bosphorus


def bosphorus_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """Neutral + six expressions as .bnt orthographic range grids (bs000_N_N_0.bnt, bs000_E_HAPPY_0.bnt)."""
    cfg: BosphorusConfig = ctx.config
    subject = _subject(ctx, plan)
    folder = ctx.out / plan.code
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for k, expression in enumerate(("neutral", *EXPRESSIONS)):
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 1 + k)
        weights = _residual(rng, cfg.neutral_residual)
        if expression == "neutral":
            name, intensity = f"{plan.code}_N_N_0.bnt", 0.0
        else:
            intensity = float(rng.uniform(*cfg.intensity))
            weights *= 0.5
            weights[EXPRESSIONS.index(expression)] = intensity
            name = f"{plan.code}_E_{BOSPHORUS_CODES[expression]}_0.bnt"
        v, f = artefacts.capture(subject.shape(weights), ctx.model.faces, rng, cfg.artefacts, ctx.regions)
        write_bnt(folder / name, range_grid(v, f, cfg.grid_spacing_mm))
        items.append(Item(f"{plan.code}/{name}", plan.code, expression, 1, (("weight", f"{intensity:.3f}"),)))
    return items


SUBJECT_JOBS = {
    "bu3dfe": bu3dfe_subject,
    "bu4dfe": bu4dfe_subject,
    "bp4d": bp4d_subject,
    "4dme": me4d_subject,
    "bosphorus": bosphorus_subject,
}
