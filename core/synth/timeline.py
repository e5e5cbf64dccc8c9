"""Activation profiles over the frames of a 4D sequence, and smooth head motion.

A profile is a (T,) float64 array of weights in [0, 1] (times an amplitude by the caller); frame times are
in frames. Ramps are raised cosines, so onsets start and end with zero velocity like real expressions.
"""

from __future__ import annotations

import numpy as np


def ramp(t: np.ndarray) -> np.ndarray:
    """Raised-cosine ease from 0 (t <= 0) to 1 (t >= 1)."""
    t = np.clip(t, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * t)


def envelope(n_frames: int, start: float, onset: float, apex: float, offset: float) -> np.ndarray:
    """(T,) 0 before ``start``, rising over ``onset`` frames, 1 for ``apex`` frames, falling over ``offset``.

    Lengths are in frames and may be fractional; onset and offset must be > 0.
    """
    t = np.arange(n_frames, dtype=np.float64)
    rise = ramp((t - start) / onset)
    fall = 1.0 - ramp((t - (start + onset + apex)) / offset)
    return np.minimum(rise, fall)


def macro_phases(n_frames: int, rng: np.random.Generator, lead_in: tuple[float, float], onset: tuple[float, float],
                 apex: tuple[float, float], offset: tuple[float, float]) -> np.ndarray:
    """(4,) lead-in, onset, apex and offset lengths in frames of a posed expression neutral -> apex -> neutral.

    Phase lengths are drawn as fractions of the sequence; if they add up to more than the sequence they
    are shrunk proportionally, so the expression always starts and ends neutral for T >= 3.
    """
    last = n_frames - 1
    parts = np.array([rng.uniform(*lead_in), rng.uniform(*onset), rng.uniform(*apex), rng.uniform(*offset)])
    parts = parts * last
    if parts.sum() > last:
        parts *= last / parts.sum()
    parts[1] = max(parts[1], 1e-6)
    parts[3] = max(parts[3], 1e-6)
    return parts


def macro_profile(n_frames: int, rng: np.random.Generator, lead_in: tuple[float, float], onset: tuple[float, float],
                  apex: tuple[float, float], offset: tuple[float, float]) -> tuple[np.ndarray, int]:
    """(profile (T,), apex frame) of a posed expression with :func:`macro_phases`' phases."""
    parts = macro_phases(n_frames, rng, lead_in, onset, apex, offset)
    profile = envelope(n_frames, parts[0], parts[1], parts[2], parts[3])
    apex_frame = int(np.argmax(profile))
    return profile, apex_frame


def slow_noise(n_frames: int, rng: np.random.Generator, n_dims: int, period_frames: float = 30.0) -> np.ndarray:
    """(T, n_dims) smooth zero-mean noise of unit s.d. (three random sinusoids per dimension)."""
    t = np.arange(n_frames, dtype=np.float64)[:, None]
    out = np.zeros((n_frames, n_dims))
    for _ in range(3):
        freq = rng.uniform(0.3, 1.5, size=n_dims) / period_frames
        phase = rng.uniform(0, 2 * np.pi, size=n_dims)
        out += np.sin(2 * np.pi * freq * t + phase)
    return out / np.sqrt(1.5)


def head_motion(n_frames: int, rng: np.random.Generator, drift_deg: float, drift_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Smooth per-frame (angles_deg (T, 3), translation_mm (T, 3)) with s.d. about drift_deg / drift_mm."""
    angles = drift_deg * slow_noise(n_frames, rng, 3)
    translation = drift_mm * slow_noise(n_frames, rng, 3)
    return angles, translation


def micro_profile(n_frames: int, rng: np.random.Generator, duration: tuple[int, int]) -> tuple[np.ndarray, int, int, int]:
    """(profile (T,), onset frame, apex frame, offset frame) of a brief micro-expression.

    The activation lasts ``duration`` frames in total (drawn in [min, max]): a quick rise over about 40 %
    of it and a fall over the rest, starting somewhere in the middle 60 % of the sequence. Outside it
    the profile is exactly 0. Onset is the first non-zero frame, offset the last.
    """
    length = int(rng.integers(duration[0], duration[1] + 1))
    rise = max(1.0, round(0.4 * length))
    fall = max(1.0, length - rise)
    lo = int(0.2 * n_frames)
    hi = max(lo, min(int(0.8 * n_frames) - length, n_frames - length - 1))
    start = int(rng.integers(lo, hi + 1)) if hi > lo else lo
    start = max(0, min(start, n_frames - length - 1))
    profile = envelope(n_frames, start, rise, 0.0, fall)
    nz = np.flatnonzero(profile > 1e-9)
    onset, offset = int(nz[0]), int(nz[-1])
    apex = int(np.argmax(profile))
    return profile, onset, apex, offset


def event_profile(n_frames: int, rng: np.random.Generator, duration: tuple[float, float]) -> np.ndarray:
    """(T,) one spontaneous activation event: length ``duration`` (fractions of T), random start (may run
    past either end of the sequence), onset and offset each 20-45 % of it, a plateau in between."""
    length = rng.uniform(*duration) * n_frames
    start = rng.uniform(-0.2 * length, n_frames - 0.5 * length)
    onset = max(1.0, rng.uniform(0.2, 0.45) * length)
    offset = max(1.0, rng.uniform(0.2, 0.45) * length)
    apex = max(0.0, length - onset - offset)
    return envelope(n_frames, start, onset, apex, offset)
