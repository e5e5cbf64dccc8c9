"""Sanity checks of the evidence maps (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018).

* **Does the map point at what changed?** :func:`au_faces` makes synthetic ICT faces (a seeded BU-3DFE-like
  subject: identity, its own way of moving, its field of view) with a single action unit active at ``intensity``,
  and the same subject's neutral face. The *moving region* (:func:`moving_region`) is the vertices the AU displaces
  by at least ``fraction`` (25 %) of its largest displacement among the vertices the views see: a relative threshold
  (jaw drop moves the chin 40 mm, a brow raiser the brows ~8 mm; one fixed number of millimetres would make one
  region the lower half of the face and the other a few vertices), taken over what the model can see (a dropped
  chin leaves the 90 mm crop around the nose tip; the largest displacement of all would then leave only a thin
  band of the seen face in the region). :func:`region_ratio`: of the vertices some view sees, the share of the top
  ``top`` (10 %) by saliency that lies in the moving region, divided by the moving region's share of all of them
  (chance): 1 = no better than chance, 1 / chance = every top vertex in the region.
* **Does the map depend on the model?** :func:`randomised_model` re-initialises every weight of the visual tower
  (backbone, projector, view fusion; the class embeddings stay) and :func:`rank_correlation` compares the maps
  (Spearman's rho over the seen vertices): near 1 would mean the map shows the input, not what the model learnt.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from core.scans.types import Scan
from core.synth.action_units import AuTable


@dataclass(frozen=True, eq=False)
class AuFace:
    """One subject with one AU: neutral and active faces (same vertices and triangles, millimetres) and each
    vertex's displacement (V,) in mm."""

    au: str
    subject: str
    neutral: Scan
    active: Scan
    displacement: np.ndarray


def moving_region(face: AuFace, seen: np.ndarray, fraction: float = 0.25) -> np.ndarray:
    """(V,) bool: the vertices ``face.au`` displaces by at least ``fraction`` of its largest displacement among the
    ``seen`` vertices (see the module docstring)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the moving fraction must be in (0, 1), got {fraction!r}")
    seen = np.asarray(seen, dtype=bool)
    peak = float(face.displacement[seen].max(initial=0.0))
    if peak <= 0:
        raise ValueError(f"{face.au} moves no vertex the views see on subject {face.subject}")
    return face.displacement >= fraction * peak


def class_for_au(table: AuTable, code: str) -> str:
    """The expression whose prototype requires AU ``code`` at the highest intensity (e.g. AU12 -> happiness)."""
    best = max(((w, name) for name, proto in table.expressions.items() for a, w in proto.required if a == code),
               default=None)
    if best is None:
        raise ValueError(f"{table.source}: no expression requires {code}")
    return best[1]


def au_faces(aus: list[str], n_subjects: int, seed: int = 301, intensity: float = 1.0,
             face_model_dir: str | Path | None = None) -> list[AuFace]:
    """For each of ``n_subjects`` BU-3DFE-like ICT subjects of ``seed`` and each AU of ``aus``: the subject's face
    with only that AU (both sides) at ``intensity`` and its neutral face (see the module docstring).
    ModelFileError when the ICT face model is not found."""
    import tempfile

    from core.synth.config import load_config
    from core.synth.face_models import load_face_model
    from core.synth.layout import make_context, make_subject_for, plan_subjects

    model = load_face_model("ict", face_model_dir)
    config = load_config("bu3dfe", face_model="ict")
    ctx = make_context("bu3dfe", model, config, seed, Path(tempfile.gettempdir()))
    out = []
    for plan in plan_subjects("bu3dfe", config, n_subjects, seed):
        subject = make_subject_for(ctx, plan)
        neutral = Scan(subject.neutral.astype(np.float32), subject.faces, f"{plan.code} neutral")
        for code in aus:
            weights = np.zeros(len(model.unit_names))
            weights[model.table.unit_indices(code)] = intensity
            shape = subject.shape(weights)
            moved = np.linalg.norm(shape - subject.neutral, axis=1)
            if not moved.max() > 0:
                raise ValueError(f"{code} does not move subject {plan.code}'s face")
            active = Scan(shape.astype(np.float32), subject.faces, f"{plan.code} {code}")
            out.append(AuFace(code, plan.code, neutral, active, moved))
    return out


def region_ratio(values: np.ndarray, region: np.ndarray, seen: np.ndarray, top: float = 0.1) -> tuple[float, float]:
    """(ratio, chance): among the ``seen`` vertices, the share of the top ``top`` by ``values`` inside ``region``,
    divided by the region's share of the seen vertices (chance). ValueError when no seen vertex is in the region."""
    values, region, seen = np.asarray(values), np.asarray(region, dtype=bool), np.asarray(seen, dtype=bool)
    idx = np.flatnonzero(seen)
    if idx.size == 0 or not region[idx].any():
        raise ValueError("no seen vertex lies in the region")
    k = max(1, int(round(top * idx.size)))
    best = idx[np.argsort(-values[idx], kind="stable")[:k]]
    chance = float(region[idx].mean())
    return float(region[best].mean()) / chance, chance


def randomised_model(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """A copy of a SmileVLM whose visual tower (backbone, projector, fusion) has fresh random weights (each layer's
    own initialisation, seeded); the text projection, hence the class embeddings, is kept."""
    out = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for part in (out.backbone, out.projector, out.fusion):
            for m in part.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.reset_running_stats()
    return out.eval()


@dataclass(frozen=True)
class AuCheck:
    """The checks on one :class:`AuFace`, explaining ``class_name`` (:func:`class_for_au`): ratio / chance of the
    active face's map (:func:`region_ratio`), control_ratio of the neutral face's map for the same class and region
    (does the AU draw the map there, or does the model always look there?), random_ratio of the randomised model's
    map, rho the rank correlation of the trained and randomised maps; probability: P(class) of the active face."""

    au: str
    subject: str
    class_name: str
    probability: float
    ratio: float
    chance: float
    control_ratio: float
    random_ratio: float
    rho: float


def check_faces(analyzer, faces: list[AuFace], random_model: torch.nn.Module, settings=None,
                top: float = 0.1, fraction: float = 0.25) -> list[AuCheck]:
    """:class:`AuCheck` of every face (each neutral face is rendered once, each face once for its three maps); the
    moving region is :func:`moving_region` over the vertices the active face's views see."""
    from core.explain.saliency import prepare, saliency
    from core.synth.action_units import load_table

    table = load_table()
    neutral_inputs: dict[str, object] = {}
    out = []
    for face in faces:
        name = class_for_au(table, face.au)
        active = prepare(analyzer, face.active, settings)
        if face.subject not in neutral_inputs:
            neutral_inputs[face.subject] = prepare(analyzer, face.neutral, settings)
        trained = saliency(analyzer, active, name, settings)
        control = saliency(analyzer, neutral_inputs[face.subject], name, settings)
        rand = saliency(analyzer, active, name, settings, model=random_model)
        region = moving_region(face, trained.seen, fraction)
        ratio, chance = region_ratio(trained.values, region, trained.seen, top)
        out.append(AuCheck(face.au, face.subject, name, trained.probability, ratio, chance,
                           region_ratio(control.values, region, control.seen, top)[0],
                           region_ratio(rand.values, region, rand.seen, top)[0],
                           rank_correlation(trained.values, rand.values, trained.seen)))
    return out


def rank_correlation(a: np.ndarray, b: np.ndarray, seen: np.ndarray) -> float:
    """Spearman's rho of two vertex maps over the ``seen`` vertices (nan when either is constant there)."""
    seen = np.asarray(seen, dtype=bool)
    x, y = np.asarray(a)[seen], np.asarray(b)[seen]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


__all__ = ["AuCheck", "AuFace", "au_faces", "check_faces", "class_for_au", "moving_region", "randomised_model",
           "rank_correlation", "region_ratio"]
