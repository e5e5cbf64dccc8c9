"""ICT subjects: identity from the 100 modes, and a subject's own way of performing each class's action units.

A subject's *style* (core.synth.ict_config.AuStyleConfig), drawn once per subject:

* per AU unit a displacement field: the ICT shapes of the unit, times the subject's gain and the AU's gain
  (log-normal) and a smooth random per-vertex scaling (so AU12 lifts each face's mouth corners a little
  differently);
* per class (each expression, BP4D task and micro-expression prototype) a :class:`ClassStyle`: which
  optional AUs the subject uses (and which of the alternatives), each AU's intensity around the table's
  typical value, its left/right asymmetry, a few small co-activations of unrelated AUs, and for 4D each AU's
  onset lag and speed.

Weights are per unit (see core.synth.action_units); a face is ``neutral + weights @ styles``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.synth.action_units import AuTable, Prototype
from core.synth.config import IdentityConfig
from core.synth.face import Population, Subject, face_regions, sample_identity, smooth_field
from core.synth.ict_config import AuStyleConfig, FieldOfViewConfig
from core.synth.ict_face import IctFace, crop, crop_mask


@dataclass(frozen=True, eq=False)
class ClassStyle:
    """How one subject performs one class: weights (U,) per unit at the apex of a level-4 expression;
    lag (U,) onset delay as a fraction of the onset phase; speed (U,) onset/offset speed factor."""

    weights: np.ndarray
    lag: np.ndarray
    speed: np.ndarray


def _lateral(table: AuTable) -> dict[str, bool]:
    return {au.code: au.lateral for au in table.action_units}


def side_factor(side: str, asymmetry: float) -> float:
    """Gain of a unit on ``side`` ("L", "R", "C") under a left/right ``asymmetry``: 1 + a, 1 - a, 1."""
    return 1.0 + asymmetry if side == "L" else 1.0 - asymmetry if side == "R" else 1.0


def apply_au(weights: np.ndarray, table: AuTable, code: str, intensity: float, asymmetry: float = 0.0,
             side: str | None = None) -> None:
    """Add AU ``code`` at ``intensity`` to unit weights (U,) in place: left x (1 + asymmetry), right x
    (1 - asymmetry), central parts x 1; only one side (and the central parts) when ``side`` is "L"/"R"."""
    for u in table.unit_indices(code, side):
        weights[u] += intensity * side_factor(table.units[u][1], asymmetry)


def class_style(table: AuTable, proto: Prototype, cfg: AuStyleConfig, rng: np.random.Generator) -> ClassStyle:
    """A subject's way of performing ``proto`` (see the module docstring)."""
    n = len(table.units)
    chosen = list(proto.required)
    if proto.alternatives:
        chosen += list(proto.alternatives[int(rng.integers(len(proto.alternatives)))])
    for code, intensity, p in proto.optional:
        if rng.random() < p:
            chosen.append((code, intensity))
    outside = sorted({a.code for a in table.action_units} - proto.aus())
    n_co = min(int(rng.poisson(cfg.co_activation_mean)), len(outside))
    for k in rng.choice(len(outside), size=n_co, replace=False) if n_co else ():
        chosen.append((outside[int(k)], float(rng.uniform(*cfg.co_activation_intensity))))
    weights = np.zeros(n)
    lag = np.zeros(n)
    speed = np.ones(n)
    lateral = _lateral(table)
    for code, intensity in chosen:
        value = intensity * float(np.exp(cfg.intensity_sigma * rng.standard_normal()))
        asym = float(np.clip(cfg.asymmetry_sigma * rng.standard_normal(), -0.9, 0.9)) if lateral[code] else 0.0
        apply_au(weights, table, code, value, asym)
        units = table.unit_indices(code)
        lag[units] = abs(cfg.lag_sigma * rng.standard_normal())
        speed[units] = float(np.exp(cfg.speed_sigma * rng.standard_normal()))
    return ClassStyle(weights=weights, lag=lag, speed=speed)


def unit_styles(face: IctFace, neutral: np.ndarray, cfg: AuStyleConfig, rng: np.random.Generator) -> np.ndarray:
    """(U, V, 3): each unit's displacement on this subject (gains and a smooth per-vertex scaling per AU)."""
    gain = float(np.exp(cfg.gain_sigma * rng.standard_normal()))
    out = np.empty_like(face.units)
    table = face.table
    for au in table.action_units:
        g = gain * float(np.exp(cfg.unit_gain_sigma * rng.standard_normal()))
        field = smooth_field(neutral[: face.n_skin], rng, cfg.field_centres, cfg.field_width_mm)
        field = np.concatenate([field, np.zeros(face.n_vertices - face.n_skin)])
        scale = g * np.clip(1.0 + cfg.field_sigma * field, 0.1, 3.0)
        for u in table.unit_indices(au.code):
            out[u] = face.units[u] * scale[:, None]
    return out


def class_names(table: AuTable) -> list[str]:
    """Every class a subject gets a style for: the expressions, the BP4D tasks, the micro prototypes."""
    micro = [f"micro:{k}" for k, m in table.micro.items() if m.prototype is not None]
    return [*table.expressions, *table.bp4d_tasks, *micro]


def _prototype(table: AuTable, name: str) -> Prototype:
    if name.startswith("micro:"):
        proto = table.micro[name[6:]].prototype
        assert proto is not None
        return proto
    return table.expressions[name] if name in table.expressions else table.bp4d_tasks[name]


def make_ict_subject(face: IctFace, identity: IdentityConfig, style: AuStyleConfig, fov: FieldOfViewConfig,
                     population: Population, code: str, sex: str, group: str,
                     rng: np.random.Generator) -> Subject:
    """A subject: identity (100 modes with the population structure), AU styles, class styles, and the
    part of the head its captures keep (``fov``), all drawn from ``rng``."""
    if identity.n_components > face.n_components:
        raise ValueError(f"identity.n_components is {identity.n_components} but the ICT model has "
                         f"{face.n_components} identity modes")
    neutral = sample_identity(face, identity, population, sex, group, rng)  # type: ignore[arg-type]
    styles = unit_styles(face, neutral, style, rng)
    _recap(face, neutral, styles)
    classes = {name: class_style(face.table, _prototype(face.table, name), style, rng)
               for name in class_names(face.table)}
    mask = crop_mask(neutral, face.tip, fov, rng)
    kept, faces = crop(face.faces, mask)
    neutral, styles = neutral[kept], styles[:, kept]
    return Subject(code=code, sex=sex, group=group, neutral=neutral, styles=styles, faces=faces,
                   regions=face_regions(neutral), classes=classes)


def _recap(face: IctFace, neutral: np.ndarray, styles: np.ndarray) -> None:
    """Put each cap centre back at the mean of its loop (+ offset) after the head-size scaling and the per-vertex
    scalings of the AU fields, in place."""
    for c, loop in enumerate(face.cap_loops):
        v = face.n_skin + c
        offset = face.mean[v] - face.mean[loop].mean(axis=0)
        neutral[v] = neutral[loop].mean(axis=0) + offset
        styles[:, v] = styles[:, loop].mean(axis=1)
