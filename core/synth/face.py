"""Synthetic subjects: identity from a PCA face model and a subject-specific way of performing each
expression, plus the seeding scheme every generator uses. The SFM's expression styles are here; the ICT
model's action-unit styles are in core.synth.au_style.

Shapes are (V, 3) float64 arrays in millimetres (face along +z, y up), vertex order of the face model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.synth.config import IdentityConfig, StyleConfig
from core.synth.model import EXPRESSIONS, SfmModel

#: How many leading PCA components the population directions (shift, sex, group) act on.
POPULATION_COMPONENTS = 10


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """A generator determined only by ``seed`` and the integer ``keys`` (dataset, subject, item, ...)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *(int(k) for k in keys)]))


@dataclass(frozen=True, eq=False)
class Population:
    """Seeded directions in PCA-coefficient space that set a dataset's identity distribution.

    mean: (K,) coefficient mean (shift); sex: (K,) direction added for F and subtracted for M;
    groups: code -> (K,) direction. All directions act on the first POPULATION_COMPONENTS components.
    """

    mean: np.ndarray
    sex: np.ndarray
    groups: dict[str, np.ndarray]


def make_population(cfg: IdentityConfig, n_components: int) -> Population:
    """The population of ``cfg`` (deterministic in cfg.population_seed)."""
    rng = rng_for(cfg.population_seed, 0xB0B)
    k = min(POPULATION_COMPONENTS, n_components)

    def direction() -> np.ndarray:
        d = np.zeros(n_components)
        d[:k] = rng.standard_normal(k)
        return d

    mean = cfg.shift * cfg.sigma * direction()
    sex = cfg.sex_offset * direction()
    groups = {code: cfg.group_offset * direction() for code in ("WH", "BL", "AE", "AM", "IN", "LA")}
    return Population(mean=mean, sex=sex, groups=groups)


@dataclass(frozen=True, eq=False)
class Subject:
    """One synthetic person.

    code: subject id as the dataset writes it (F0001, F001, bs000, ...). sex: "F"/"M". group: race code.
    neutral: (V, 3) identity shape. styles: (W, V, 3) this subject's displacement for each weight at 1: the
    six SFM expressions (EXPRESSIONS order), or the ICT model's action-unit units. faces: (F, 3) triangles of
    this subject's captures (ICT: cropped to the dataset's field of view). regions: FaceRegions of the face.
    classes: ICT only, class name -> core.synth.au_style.ClassStyle.
    """

    code: str
    sex: str
    group: str
    neutral: np.ndarray
    styles: np.ndarray
    faces: np.ndarray
    regions: "FaceRegions"
    classes: Mapping[str, Any] = field(default_factory=dict)

    def shape(self, weights: np.ndarray) -> np.ndarray:
        """(V, 3) face with weights (W,) (one per style) on top of the neutral shape."""
        return self.neutral + np.tensordot(np.asarray(weights, dtype=np.float64), self.styles, axes=1)


def sample_identity(model: Any, cfg: IdentityConfig, population: Population, sex: str, group: str,
                    rng: np.random.Generator) -> np.ndarray:
    """(V, 3) neutral shape: mean + basis @ coefficients, scaled about the centroid by head size.

    ``model`` has ``mean`` (V, 3) and ``basis`` (V * 3, K) (an SfmModel or an ICT IctFace)."""
    k = cfg.n_components
    alpha = population.mean[:k] + cfg.sigma * rng.standard_normal(k)
    sign = 1.0 if sex == "F" else -1.0
    alpha = alpha + sign * population.sex[:k] + population.groups[group][:k]
    shape = model.mean + (model.basis[:, :k] @ alpha).reshape(-1, 3)
    scale = 1.0 - sign * cfg.sex_scale + cfg.scale_sigma * rng.standard_normal()
    centre = shape.mean(axis=0)
    return centre + (shape - centre) * scale


def smooth_field(points: np.ndarray, rng: np.random.Generator, n_centres: int, width: float) -> np.ndarray:
    """(V,) zero-mean, unit-s.d. random smooth field: Gaussian bumps of ``width`` mm at random vertices."""
    centres = points[rng.choice(points.shape[0], size=n_centres, replace=False)]
    amps = rng.standard_normal(n_centres)
    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    field = np.exp(-d2 / (2.0 * width * width)) @ amps
    field = field - field.mean()
    sd = field.std()
    return field / sd if sd > 1e-12 else field


def sample_styles(model: SfmModel, neutral: np.ndarray, cfg: StyleConfig, rng: np.random.Generator) -> np.ndarray:
    """(6, V, 3) subject-specific blendshapes.

    For expression e: gain x smooth scaling field x left/right asymmetry x blendshape e, plus a
    subject-specific displacement confined to e's region (idiosyncrasy), plus leakage |N(0, mix_sigma)|
    of the other blendshapes.
    """
    base = model.expressions
    n_expr = base.shape[0]
    x = neutral[:, 0] - neutral[:, 0].mean()
    gain = np.exp(cfg.gain_sigma * rng.standard_normal())
    styles = np.empty_like(base)
    k_lo, k_hi = 5, min(40, model.n_components)
    for e in range(n_expr):
        g = gain * np.exp(cfg.expression_gain_sigma * rng.standard_normal())
        field = smooth_field(model.mean, rng, cfg.field_centres, cfg.field_width_mm)
        scale = np.clip(1.0 + cfg.field_sigma * field, 0.1, 3.0)
        asym = 1.0 + cfg.asymmetry_sigma * rng.standard_normal() * np.tanh(x / 20.0)
        own = base[e] * (g * scale * np.clip(asym, 0.1, 3.0))[:, None]
        # idiosyncratic displacement: a random local-shape direction, weighted by where e moves the face
        magnitude = np.linalg.norm(base[e], axis=1)
        support = magnitude / max(magnitude.max(), 1e-12)
        beta = rng.standard_normal(k_hi - k_lo)
        extra = (model.basis[:, k_lo:k_hi] @ beta).reshape(-1, 3) * support[:, None]
        rms_base = np.sqrt((base[e] ** 2).sum(1).mean())
        rms_extra = np.sqrt((extra**2).sum(1).mean())
        if rms_extra > 1e-12:
            extra *= cfg.idiosyncrasy * g * rms_base / rms_extra
        mix = np.abs(cfg.mix_sigma * rng.standard_normal(n_expr))
        mix[e] = 0.0
        styles[e] = own + extra + np.tensordot(mix, base, axes=1)
    return styles


def make_subject(model: SfmModel, identity: IdentityConfig, style: StyleConfig, population: Population,
                 code: str, sex: str, group: str, rng: np.random.Generator,
                 regions: "FaceRegions | None" = None) -> Subject:
    """An SFM subject: identity shape and expression styles, all drawn from ``rng``; its captures use the
    model's triangles and ``regions`` (default: those of the mean face)."""
    neutral = sample_identity(model, identity, population, sex, group, rng)
    styles = sample_styles(model, neutral, style, rng)
    return Subject(code=code, sex=sex, group=group, neutral=neutral, styles=styles, faces=model.faces,
                   regions=face_regions(model.mean) if regions is None else regions)


def assign_demographics(n_subjects: int, cfg: IdentityConfig, seed: int, stream: int) -> list[tuple[str, str]]:
    """(sex, group) for subjects 0..n-1: the first round(n x female_fraction) are F (as the datasets
    number F before M), groups drawn with cfg.groups shares (deterministic in seed, stream)."""
    n_f = int(round(n_subjects * cfg.female_fraction))
    codes = [c for c, _ in cfg.groups]
    p = np.array([w for _, w in cfg.groups], dtype=np.float64)
    p /= p.sum()
    rng = rng_for(seed, stream, 0xD3)
    groups = rng.choice(len(codes), size=n_subjects, p=p)
    return [("F" if i < n_f else "M", codes[int(g)]) for i, g in enumerate(groups)]


def subject_codes(demographics: list[tuple[str, str]], digits: int) -> list[str]:
    """Dataset ids: F and M numbered separately from 1 (``F0001``, ``M0001`` with digits=4)."""
    counters = {"F": 0, "M": 0}
    out = []
    for sex, _ in demographics:
        counters[sex] += 1
        out.append(f"{sex}{counters[sex]:0{digits}d}")
    return out


def expression_index(name: str) -> int:
    """Position of expression ``name`` in EXPRESSIONS."""
    return EXPRESSIONS.index(name)


@dataclass(frozen=True, eq=False)
class FaceRegions:
    """Vertex index sets of the mean face, found from its geometry (no landmark file needed).

    lower: lower-face frontal vertices (mouth, cheeks, chin) where a hand may occlude. upper: forehead
    vertices where hair may fall. frontal: vertices facing the scanner (where spurious specks appear).
    brows / mouth: upper and lower halves used to restrict "others" micro-movements.
    """

    lower: np.ndarray
    upper: np.ndarray
    frontal: np.ndarray
    brows: np.ndarray
    mouth: np.ndarray
    nose_tip: int


def face_regions(mean: np.ndarray) -> FaceRegions:
    """Regions of the (V, 3) mean face: relative to the nose tip (the most forward vertex)."""
    tip = int(np.argmax(mean[:, 2]))
    tx, ty, tz = mean[tip]
    x, y, z = mean[:, 0] - tx, mean[:, 1] - ty, mean[:, 2] - tz
    frontal = np.flatnonzero(z > -45.0)
    lower = np.flatnonzero((y < -5.0) & (y > -70.0) & (np.abs(x) < 55.0) & (z > -50.0))
    upper = np.flatnonzero((y > 62.0) & (np.abs(x) < 60.0) & (z > -60.0))
    brows = np.flatnonzero(y > 10.0)
    mouth = np.flatnonzero(y <= 10.0)
    return FaceRegions(lower=lower, upper=upper, frontal=frontal, brows=brows, mouth=mouth, nose_tip=tip)
