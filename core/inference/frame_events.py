"""Onset, apex and offset of one class's expression from its per-frame probability curve.

The rule, on the curve p(t) of one class (:class:`core.inference.frames.FrameProbabilities`):

1. Only frames whose window pooled at least two frames count (frame 0, scored as a static scan, is left out: its
   probability is of another kind of image). Fewer than two such frames: no events.
2. s(t): p(t) smoothed by a centred moving average over ``smooth`` frames (default 3; 1: none; at the ends the
   average runs over the frames there are).
3. apex: the frame where s is largest (the first of equal maxima); peak = s(apex).
4. baseline: the smallest s at or before the apex (the lowest level the class had before its apex; the smallest s
   of all counted frames when the apex is the first one).
5. threshold = baseline + ``fraction`` x (peak - baseline), fraction 0.5 by default (half-way from baseline to apex).
6. onset: the first frame of the stretch of frames around the apex where s >= threshold; offset: its last frame.
   When that stretch reaches the first counted frame, onset is None (the class was already that high when the
   curve starts); when it reaches the last frame, offset is None (it has not come back down before the sequence
   ends: usual with cumulative windows, which keep the whole expression in their dynamic image).

The class whose events are wanted by default is the sequence's top class (the one-shot analysis of the whole
sequence, :attr:`FrameProbabilities.sequence_top`), not a class that peaks for a few frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Defaults of the rule (see the module docstring).
SMOOTH = 3
FRACTION = 0.5


@dataclass(frozen=True)
class FrameEvents:
    """Events of ``label``'s curve (frame indices into the sequence; onset/offset None: not within it), with the
    smoothed levels the rule used: baseline, peak (at the apex) and threshold."""

    label: str
    onset: int | None
    apex: int
    offset: int | None
    baseline: float
    peak: float
    threshold: float
    smooth: int = SMOOTH
    fraction: float = FRACTION

    def to_dict(self, digits: int = 6) -> dict[str, Any]:
        return {
            "label": self.label, "onset": self.onset, "apex": self.apex, "offset": self.offset,
            "baseline": round(self.baseline, digits), "peak": round(self.peak, digits),
            "threshold": round(self.threshold, digits), "smooth": self.smooth, "fraction": self.fraction,
        }


def _check_rule(smooth: int, fraction: float) -> None:
    if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or smooth < 1:
        raise ValueError(f"smooth must be a whole number of frames >= 1, got {smooth!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be a number strictly between 0 and 1, got {fraction!r}")


def smooth_curve(curve: np.ndarray, smooth: int = SMOOTH) -> np.ndarray:
    """Centred moving average over ``smooth`` frames (an even width reaches one frame further back than ahead);
    at the ends the average runs over the frames there are."""
    x = np.asarray(curve, dtype=np.float64)
    if smooth <= 1 or len(x) == 0:
        return x.copy()
    before, after = smooth // 2, (smooth - 1) // 2
    sums = np.concatenate([[0.0], np.cumsum(x)])
    t = np.arange(len(x))
    lo, hi = np.maximum(0, t - before), np.minimum(len(x), t + after + 1)
    return (sums[hi] - sums[lo]) / (hi - lo)


def curve_events(curve: np.ndarray, label: str = "", counted: np.ndarray | None = None, smooth: int = SMOOTH,
                 fraction: float = FRACTION) -> FrameEvents | None:
    """Events of one (T,) probability curve by the module's rule; ``counted`` (T,) bool: the frames that count
    (default all). None when fewer than two frames count."""
    _check_rule(smooth, fraction)
    p = np.asarray(curve, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"a curve must be one value per frame, got shape {p.shape}")
    frames = np.flatnonzero(np.ones(len(p), bool) if counted is None else np.asarray(counted, bool))
    if len(frames) < 2:
        return None
    if not np.all(np.isfinite(p[frames])):
        raise ValueError(f"the curve of {label or 'the class'} holds NaN or infinite values")
    s = smooth_curve(p[frames], int(smooth))
    k = int(np.argmax(s))
    peak = float(s[k])
    baseline = float(s[: k + 1].min()) if k > 0 else float(s.min())
    threshold = baseline + fraction * (peak - baseline)
    first = k
    while first > 0 and s[first - 1] >= threshold:
        first -= 1
    last = k
    while last < len(s) - 1 and s[last + 1] >= threshold:
        last += 1
    return FrameEvents(
        label=label, onset=None if first == 0 else int(frames[first]), apex=int(frames[k]),
        offset=None if last == len(s) - 1 else int(frames[last]), baseline=baseline, peak=peak,
        threshold=float(threshold), smooth=int(smooth), fraction=float(fraction),
    )


def class_events(result, label: str | None = None, smooth: int = SMOOTH, fraction: float = FRACTION
                 ) -> FrameEvents | None:
    """Events of ``label`` (default: the sequence's top class) in a FrameProbabilities; None for a sequence with
    fewer than two pooled windows (a single scan, or two frames)."""
    label = result.sequence_top if label is None else label
    return curve_events(result.curve(label), label, result.pooled >= 2, smooth, fraction)


def peak_frame(result, label: str, smooth: int = SMOOTH) -> int | None:
    """The apex of ``label``'s curve by the rule (its smoothed maximum over the pooled frames); None without one."""
    events = curve_events(result.curve(label), label, result.pooled >= 2, smooth, FRACTION)
    return None if events is None else events.apex
