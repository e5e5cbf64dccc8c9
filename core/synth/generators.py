"""The dataset generators, one subject at a time, for the Surrey Face Model and the ICT Face Model.

Each generator writes one subject's files in its benchmark's own layout and returns what it wrote. All
randomness comes from :func:`core.synth.face.rng_for` keyed by (seed, dataset stream, subject index,
item, frame), so a subject's files are byte-identical whatever else is generated around it (in parallel
or not), and a different seed changes every file.

Layouts (what the core.datasets indexers read):

* ``bu3dfe``: ``F0001/F0001_AN01WH_F3D.wrl``: neutral (``NE00``) + AN DI FE HA SA SU x intensity 01-04.
* ``bu4dfe``: ``F001/Happy/000.obj`` (or .wrl): one neutral -> apex -> neutral sequence per expression.
* ``bp4d``: ``F001/T1/000.obj``: one spontaneous-like sequence per task T1..T8 (task -> emotion from
  core.datasets.BP4D_TASK_EMOTION; SFM: emotion -> blendshape blend in the settings; ICT: the task's AU
  pattern in resources/action_units.json).
* ``4dme``: ``S001/EP01/000.obj`` plus the CSV manifest ``4dme.csv`` (path, subject, label, ...).
* ``bosphorus``: ``bs000/bs000_N_N_0.bnt`` and ``bs000/bs000_E_HAPPY_0.bnt`` range grids.
* ``heads`` (ICT only): whole-head captures ``S001/S001_happiness_3.obj`` plus the manifest ``heads.csv``.

The 4D jobs are in core.synth.sequences; names shared by every generator in core.synth.layout.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.synth import artefacts
from core.synth.config import Bu3dfeConfig, BosphorusConfig, HeadsConfig
from core.synth.face import rng_for
from core.synth.layout import (
    BOSPHORUS_CODES,
    BU3DFE_CODES,
    BU4DFE_FOLDERS,
    HEADS_MANIFEST,
    ID_DIGITS,
    MANIFESTS,
    MAX_SUBJECTS,
    ME4D_MANIFEST,
    STREAMS,
    Context,
    Item,
    SubjectPlan,
    expression_weights,
    files_per_subject,
    make_context,
    make_subject_for,
    plan_subjects,
    residual,
)
from core.synth.model import EXPRESSIONS
from core.synth.rangegrid import range_grid
from core.synth.sequences import bp4d_subject, bp4d_weights, bu4dfe_subject, me4d_subject, micro_clip
from core.synth.writers import write_bnt, write_mesh

__all__ = [  # the generators' public names, wherever they are defined
    "BOSPHORUS_CODES", "BU3DFE_CODES", "BU4DFE_FOLDERS", "HEADS_MANIFEST", "ID_DIGITS", "MANIFESTS", "MAX_SUBJECTS",
    "ME4D_MANIFEST", "STREAMS", "SUBJECT_JOBS", "Context", "Item", "SubjectPlan", "bosphorus_subject", "bp4d_subject",
    "bp4d_weights", "bu3dfe_subject", "bu4dfe_subject", "files_per_subject", "heads_subject", "make_context",
    "me4d_subject", "micro_clip", "plan_subjects",
]

Writer = Callable[[str, int, np.ndarray, np.ndarray], str]


def _static_subject(ctx: Context, plan: SubjectPlan, jobs: list[tuple[str, int]],
                    intensity_range: Callable[[int], tuple[float, float]], write: Writer,
                    with_level: bool = True) -> list[Item]:
    """Static scans of one subject: for job k = (expression, level), a face with the expression at an
    intensity drawn from intensity_range(level) (neutral: only the residue), captured with artefacts, then
    ``write(expression, level, vertices, faces) -> relative path``. Items carry the level (when
    ``with_level``) and the intensity."""
    cfg = ctx.config
    subject = make_subject_for(ctx, plan)
    items = []
    for k, (expression, level) in enumerate(jobs):
        rng = rng_for(ctx.seed, ctx.stream, plan.index, 1 + k)
        weights = residual(ctx, rng, cfg.neutral_residual)
        intensity = 0.0
        if expression != "neutral":
            intensity = float(rng.uniform(*intensity_range(level)))
            weights = expression_weights(ctx, subject, expression, intensity, weights)
        v, f = artefacts.capture(subject.shape(weights), subject.faces, rng, cfg.artefacts, subject.regions)
        path = write(expression, level, v, f)
        info = (("weight", f"{intensity:.3f}"),)
        if with_level:
            info = (("level", str(level)), *info)
        items.append(Item(path, plan.code, expression, 1, info))
    return items


def _levels() -> list[tuple[str, int]]:
    return [("neutral", 0)] + [(e, level) for e in EXPRESSIONS for level in (1, 2, 3, 4)]


def bu3dfe_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """25 static scans: neutral + 6 expressions x 4 intensity levels (BU-3DFE naming, WRL)."""
    cfg: Bu3dfeConfig = ctx.config
    folder = ctx.out / plan.code
    folder.mkdir(parents=True, exist_ok=True)

    def write(expression: str, level: int, v: np.ndarray, f: np.ndarray) -> str:
        code = "NE" if expression == "neutral" else BU3DFE_CODES[expression]
        name = f"{plan.code}_{code}{level:02d}{plan.group}_F3D.wrl"
        write_mesh(folder / name, v, f, "wrl")
        return f"{plan.code}/{name}"

    return _static_subject(ctx, plan, _levels(), lambda level: cfg.intensity_levels[level - 1], write)


def heads_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """25 whole-head scans (head and neck, ICT): neutral + 6 expressions x 4 intensity levels, as BU-3DFE,
    named ``S001_<expression>_<level>.<file_format>``."""
    cfg: HeadsConfig = ctx.config
    folder = ctx.out / plan.code
    folder.mkdir(parents=True, exist_ok=True)

    def write(expression: str, level: int, v: np.ndarray, f: np.ndarray) -> str:
        name = f"{plan.code}_{expression}_{level}.{cfg.file_format}"
        write_mesh(folder / name, v, f, cfg.file_format)
        return f"{plan.code}/{name}"

    return _static_subject(ctx, plan, _levels(), lambda level: cfg.intensity_levels[level - 1], write)


def bosphorus_subject(ctx: Context, plan: SubjectPlan) -> list[Item]:
    """Neutral + six expressions as .bnt orthographic range grids (bs000_N_N_0.bnt, bs000_E_HAPPY_0.bnt)."""
    cfg: BosphorusConfig = ctx.config
    folder = ctx.out / plan.code
    folder.mkdir(parents=True, exist_ok=True)

    def write(expression: str, level: int, v: np.ndarray, f: np.ndarray) -> str:
        name = (f"{plan.code}_N_N_0.bnt" if expression == "neutral"
                else f"{plan.code}_E_{BOSPHORUS_CODES[expression]}_0.bnt")
        write_bnt(folder / name, range_grid(v, f, cfg.grid_spacing_mm))
        return f"{plan.code}/{name}"

    jobs = [("neutral", 0)] + [(e, 0) for e in EXPRESSIONS]
    return _static_subject(ctx, plan, jobs, lambda level: cfg.intensity, write, with_level=False)


SUBJECT_JOBS = {
    "bu3dfe": bu3dfe_subject,
    "bu4dfe": bu4dfe_subject,
    "bp4d": bp4d_subject,
    "4dme": me4d_subject,
    "bosphorus": bosphorus_subject,
    "heads": heads_subject,
}
