"""Dataset layouts shared by every generator: subject ids, what a written item is, the job context, and
the subject and weights of a face model (the SFM's expressions or the ICT model's action units).

All randomness comes from :func:`core.synth.face.rng_for` keyed by (seed, dataset stream, subject index,
item, frame), so a subject's files are byte-identical whatever else is generated around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.synth.config import HEAD_ONLY
from core.synth.face import (
    FaceRegions,
    Subject,
    assign_demographics,
    face_regions,
    make_population,
    make_subject,
    rng_for,
)
from core.synth.model import EXPRESSIONS

STREAMS = {"bu3dfe": 1, "bu4dfe": 2, "bp4d": 3, "4dme": 4, "bosphorus": 5, "heads": 6}
#: Digits of the subject number in the dataset's ids (F0001, F001, S001, bs000).
ID_DIGITS = {"bu3dfe": 4, "bu4dfe": 3, "bp4d": 3, "4dme": 3, "bosphorus": 3, "heads": 3}
#: Largest subject count whose ids fit the dataset's naming.
MAX_SUBJECTS = {"bu3dfe": 9999, "bu4dfe": 999, "bp4d": 999, "4dme": 999, "bosphorus": 1000, "heads": 999}

BU3DFE_CODES = {"anger": "AN", "disgust": "DI", "fear": "FE", "happiness": "HA", "sadness": "SA", "surprise": "SU"}
BU4DFE_FOLDERS = {"anger": "Angry", "disgust": "Disgust", "fear": "Fear", "happiness": "Happy", "sadness": "Sad",
                  "surprise": "Surprise"}
BOSPHORUS_CODES = {"anger": "ANGER", "disgust": "DISGUST", "fear": "FEAR", "happiness": "HAPPY",
                   "sadness": "SADNESS", "surprise": "SURPRISE"}
ME4D_MANIFEST = "4dme.csv"
HEADS_MANIFEST = "heads.csv"
#: Generators that write a manifest CSV of their own (indexed with --format csv).
MANIFESTS = {"4dme": ME4D_MANIFEST, "heads": HEADS_MANIFEST}


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
    """Everything a subject job needs: the face model, the settings, the seed and the output folder.

    face_model: "sfm" (model is an SfmModel) or "ict" (model is an IctFace). regions: of the SFM mean face.
    """

    generator: str
    model: Any
    config: Any
    seed: int
    out: Path
    regions: FaceRegions
    face_model: str = "sfm"

    @property
    def stream(self) -> int:
        return STREAMS[self.generator]


def make_context(generator: str, model: Any, config: Any, seed: int, out: Path) -> Context:
    """The job context for an SfmModel or an ICT IctFace (face regions computed once from the mean face)."""
    from core.synth.face_models import face_model_name

    face_model = face_model_name(model)
    if face_model == "sfm" and generator in HEAD_ONLY:
        raise ValueError(f"{generator} needs a whole-head face model: use the ICT model (--face-model ict); "
                         "the Surrey Face Model is a face mask")
    if config.identity.n_components > model.n_components:
        raise ValueError(f"identity.n_components is {config.identity.n_components} but the {face_model} model "
                         f"has {model.n_components} identity components")
    return Context(generator, model, config, int(seed), Path(out), face_regions(model.mean), face_model)


def plan_subjects(generator: str, config: Any, n_subjects: int, seed: int) -> list[SubjectPlan]:
    """The subjects of a run: ids as the dataset numbers them (F before M; bsNNN for Bosphorus, SNNN for 4DME)."""
    demo = assign_demographics(n_subjects, config.identity, seed, STREAMS[generator])
    digits = ID_DIGITS[generator]
    counters = {"F": 0, "M": 0}
    plans = []
    for i, (sex, group) in enumerate(demo):
        if generator == "bosphorus":
            code = f"bs{i:03d}"
        elif generator in ("4dme", "heads"):
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
    if generator == "heads":
        return 25
    raise ValueError(f"unknown generator {generator!r}")


def make_subject_for(ctx: Context, plan: SubjectPlan) -> Subject:
    """Subject ``plan`` of the run: drawn from (seed, stream, subject index) only."""
    cfg = ctx.config
    population = make_population(cfg.identity, ctx.model.n_components)
    rng = rng_for(ctx.seed, ctx.stream, plan.index, 0)
    if ctx.face_model == "ict":
        from core.synth.au_style import make_ict_subject

        return make_ict_subject(ctx.model, cfg.identity, cfg.au_style, cfg.field_of_view, population, plan.code,
                                plan.sex, plan.group, rng)
    return make_subject(ctx.model, cfg.identity, cfg.style, population, plan.code, plan.sex, plan.group, rng,
                        ctx.regions)


def residual(ctx: Context, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Small non-negative expression residue of a "neutral" face: (6,) SFM expression weights, or (U,) ICT
    unit weights (au_style.neutral_units random units)."""
    if ctx.face_model == "ict":
        n_units = len(ctx.model.unit_names)
        w = np.zeros(n_units)
        k = min(ctx.config.au_style.neutral_units, n_units)
        w[rng.choice(n_units, size=k, replace=False)] = np.abs(sigma * rng.standard_normal(k))
        return w
    return np.abs(sigma * rng.standard_normal(len(EXPRESSIONS)))


def expression_weights(ctx: Context, subject: Subject, expression: str, intensity: float,
                       residue: np.ndarray) -> np.ndarray:
    """Weights of ``expression`` at ``intensity`` on top of half the ``residue``: SFM, the blendshape at that
    weight; ICT, the subject's own AU pattern of the expression scaled by it."""
    weights = residue * 0.5
    if ctx.face_model == "ict":
        return weights + intensity * subject.classes[expression].weights
    weights[EXPRESSIONS.index(expression)] = intensity
    return weights
