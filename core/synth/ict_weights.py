"""Per-frame action-unit weights of the ICT 4D sequences (BU-4DFE posed, BP4D spontaneous, 4DME micro).

Every function returns (T, U) unit weights (core.synth.action_units) for a subject whose class styles
(core.synth.au_style.ClassStyle) say which AUs it uses, how strongly, with which asymmetry, lag and speed.
"""

from __future__ import annotations

import numpy as np

from core.synth import timeline
from core.synth.action_units import AuTable
from core.synth.au_style import ClassStyle, apply_au, side_factor
from core.synth.config import Bp4dConfig, Me4dConfig
from core.synth.face import Subject


def _au_groups(table: AuTable, weights: np.ndarray) -> list[list[int]]:
    """Unit indices per AU, for the AUs with a non-zero weight."""
    out = []
    for au in table.action_units:
        units = table.unit_indices(au.code)
        if np.any(weights[units] != 0):
            out.append(units)
    return out


def macro_weights(style: ClassStyle, table: AuTable, phases: np.ndarray, n_frames: int) -> np.ndarray:
    """(T, U) posed expression: each AU follows the sequence's lead-in / onset / apex / offset phases,
    delayed by its lag (a fraction of the onset) and with onset and offset scaled by 1 / its speed; the
    offset is shortened where needed so every AU is back to 0 by the last frame."""
    lead, onset, apex, offset = (float(x) for x in phases)
    last = n_frames - 1
    out = np.zeros((n_frames, len(table.units)))
    for units in _au_groups(table, style.weights):
        u = units[0]
        start = lead + style.lag[u] * onset
        rise = max(onset / style.speed[u], 1e-6)
        fall = max(offset / style.speed[u], 1e-6)
        hold = apex
        over = start + rise + hold + fall - last
        if over > 0:
            fall = max(fall - over, 1e-6)
            hold = max(0.0, last - start - rise - fall)
        profile = timeline.envelope(n_frames, start, rise, hold, fall)
        out[:, units] = profile[:, None] * style.weights[units][None, :]
    return out


def bp4d_weights(style: ClassStyle, table: AuTable, cfg: Bp4dConfig, n_frames: int,
                 rng: np.random.Generator) -> np.ndarray:
    """(T, U) spontaneous task sequence: cfg.events events of the subject's task pattern, each with an
    amplitude in cfg.event_amplitude, its own per-AU lag (the subject's lag plus -2..2 frames), a log-normal
    jitter per AU and its own left/right asymmetry (s.d. cfg.asymmetry_sigma); events overlap freely; slow
    task-unrelated background activity (s.d. cfg.background_amplitude) on every unit."""
    n_units = len(table.units)
    out = np.zeros((n_frames, n_units))
    n_events = int(rng.integers(cfg.events[0], cfg.events[1] + 1))
    groups = _au_groups(table, style.weights)
    for _ in range(n_events):
        amplitude = rng.uniform(*cfg.event_amplitude)
        base = timeline.event_profile(n_frames, rng, cfg.event_duration)
        for units in groups:
            lag = int(round(style.lag[units[0]] * 5)) + int(rng.integers(-2, 3))
            profile = np.roll(base, lag)
            if lag > 0:
                profile[:lag] = 0.0
            elif lag < 0:
                profile[lag:] = 0.0
            a = amplitude * np.exp(0.25 * rng.standard_normal()) * profile
            s = float(np.clip(cfg.asymmetry_sigma * rng.standard_normal(), -0.9, 0.9))
            for u in units:
                out[:, u] += a * style.weights[u] * side_factor(table.units[u][1], s)
    background = cfg.background_amplitude * timeline.slow_noise(n_frames, rng, n_units, period_frames=20.0)
    return out + np.abs(background)


def micro_weights(cfg: Me4dConfig, label: str, subject: Subject, table: AuTable, rng: np.random.Generator
                  ) -> tuple[np.ndarray, dict[str, str]]:
    """((T, U) weights, ground truth) of one 4DME-like clip of class ``label`` (the classes of the table's
    ``micro_expressions``): one brief activation of cfg.duration_frames frames at cfg.intensity x the
    subject's class pattern."""
    n = cfg.frames
    profile, onset, apex, offset = timeline.micro_profile(n, rng, cfg.duration_frames)
    amplitude = rng.uniform(*cfg.intensity)
    info = {"onset": str(onset), "apex": str(apex), "offset": str(offset)}
    micro = table.micro[label] if label in table.micro else None
    if micro is None:
        raise ValueError(f"unknown micro-expression class {label!r}")
    pattern = np.zeros(len(table.units))
    weights = np.zeros((n, len(table.units)))
    if micro.prototype is not None:
        pattern = subject.classes[f"micro:{label}"].weights
        info["aus"] = au_list(table, pattern)
        info["emotion"] = {"positive": "happiness"}.get(label, label)
    elif micro.from_expressions:
        emotion = micro.from_expressions[int(rng.integers(len(micro.from_expressions)))]
        pattern = subject.classes[emotion].weights
        info["aus"] = au_list(table, pattern)
        info["emotion"] = emotion
        if micro.mask:
            delay = int(rng.integers(0, 3))
            length = offset - onset + 1
            rise = max(1.0, 0.4 * length)
            fall = max(1.0, length - rise + int(rng.integers(2, 5)))
            smile = timeline.envelope(n, onset - 1 + delay, rise, 0.0, fall)
            mask = np.zeros(len(table.units))
            for code, intensity in micro.mask:
                apply_au(mask, table, code, intensity)
            weights += (amplitude * rng.uniform(*cfg.mask_ratio) * smile)[:, None] * mask[None, :]
            info["offset"] = str(int(np.flatnonzero(weights.sum(axis=1) + profile > 1e-9)[-1]))
            info["emotion"] = f"{emotion}+mask"
    else:
        code = micro.one_of[int(rng.integers(len(micro.one_of)))]
        side = ("L" if rng.random() < 0.5 else "R") if table.au(code).lateral else None
        apply_au(pattern, table, code, micro.intensity, side=side)
        info["aus"] = code + ("" if side is None else side)
        info["emotion"] = "none"
    weights += amplitude * profile[:, None] * pattern[None, :]
    return weights, info


def au_list(table: AuTable, weights: np.ndarray) -> str:
    """"AU6+AU12"-style list of the AUs with a weight above 0.05."""
    return "+".join(au.code for au in table.action_units
                    if np.max(weights[table.unit_indices(au.code)]) > 0.05)
