"""How sure a zero-shot prediction is: normalised entropy and top-1 / top-2 margin of the class probabilities.

For probabilities p_1..p_C (C classes, summing to 1):
    entropy = -sum_c p_c log p_c / log C      in [0, 1]: 0 = all mass on one class, 1 = uniform (0 when C == 1)
    margin  = p_(1) - p_(2)                   in [0, 1]: the gap between the two most probable classes (1 when C == 1)
A confident prediction has a low entropy and a high margin.

When to warn (:data:`LOW_CONFIDENCE`, a :class:`ConfidenceThresholds`): a prediction is *low-confidence* when its top
probability is below 0.5 or its normalised entropy is above 0.8; :func:`low_confidence_text` then says so in plain
words, naming the two leading classes. :func:`face_caution_text` is the sentence for an input whose face could not
be found (its canonical-face flag is not ok). The app shows both beside the probabilities, together when both apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Uncertainty:
    """entropy: normalised Shannon entropy in [0, 1]; margin: p(top) - p(second) in [0, 1];
    top / second: the two most probable labels (second is None with a single class)."""

    entropy: float
    margin: float
    top: str
    second: str | None

    def to_dict(self) -> dict[str, float | str | None]:
        return {"entropy": self.entropy, "margin": self.margin, "top": self.top, "second": self.second}


def _checked(probabilities: Mapping[str, float]) -> list[tuple[str, float]]:
    if not isinstance(probabilities, Mapping) or not probabilities:
        raise ValueError("probabilities must be a non-empty mapping label -> probability")
    items = []
    for label, p in probabilities.items():
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p) or p < 0:
            raise ValueError(f"probability of {label!r} must be a finite number >= 0, got {p!r}")
        items.append((str(label), float(p)))
    total = sum(p for _, p in items)
    if not abs(total - 1.0) <= 1e-3:
        raise ValueError(f"probabilities must sum to 1, got {total:.6f}")
    return items


def normalized_entropy(probabilities: Mapping[str, float]) -> float:
    """-sum p log p / log C, in [0, 1] (0 for a single class). Probabilities are renormalised to sum 1."""
    items = _checked(probabilities)
    if len(items) == 1:
        return 0.0
    total = sum(p for _, p in items)
    h = -sum((p / total) * math.log(p / total) for _, p in items if p > 0)
    return min(1.0, max(0.0, h / math.log(len(items))))


def margin(probabilities: Mapping[str, float]) -> float:
    """p(most probable) - p(second most probable), in [0, 1] (1 for a single class)."""
    ranked = sorted((p for _, p in _checked(probabilities)), reverse=True)
    if len(ranked) == 1:
        return 1.0
    return min(1.0, max(0.0, ranked[0] - ranked[1]))


def uncertainty(probabilities: Mapping[str, float]) -> Uncertainty:
    """Both measures and the two leading labels (ties keep the mapping's order)."""
    items = _checked(probabilities)
    ranked = sorted(items, key=lambda kv: -kv[1])  # stable: ties keep class order
    return Uncertainty(
        entropy=normalized_entropy(probabilities),
        margin=margin(probabilities),
        top=ranked[0][0],
        second=ranked[1][0] if len(ranked) > 1 else None,
    )


@dataclass(frozen=True)
class ConfidenceThresholds:
    """A prediction is low-confidence when p(top) < min_top_probability or entropy > max_entropy (normalised, see
    the module docstring). Defaults: 0.5 (the top class is less likely than all the others together) and 0.8 (the
    mass is spread over many classes: with 7 classes, 0.4 / 0.3 / 0.1 / 4 x 0.05 is right at 0.80; uniform is 1)."""

    min_top_probability: float = 0.5
    max_entropy: float = 0.8

    def __post_init__(self) -> None:
        for name in ("min_top_probability", "max_entropy"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")


#: The thresholds the app warns with.
LOW_CONFIDENCE = ConfidenceThresholds()


def is_low_confidence(probabilities: Mapping[str, float], thresholds: ConfidenceThresholds = LOW_CONFIDENCE) -> bool:
    """True when the top probability is below thresholds.min_top_probability or the normalised entropy is above
    thresholds.max_entropy (never with a single class)."""
    items = _checked(probabilities)
    if len(items) < 2:
        return False
    top = max(p for _, p in items)
    return top < thresholds.min_top_probability or normalized_entropy(probabilities) > thresholds.max_entropy


def low_confidence_text(probabilities: Mapping[str, float], thresholds: ConfidenceThresholds = LOW_CONFIDENCE) -> str:
    """'' for a confident prediction; else e.g. "Low confidence: the model is unsure between happiness (41 %) and
    surprise (33 %); treat this result with caution." """
    if not is_low_confidence(probabilities, thresholds):
        return ""
    ranked = sorted(_checked(probabilities), key=lambda kv: -kv[1])
    (a, pa), (b, pb) = ranked[0], ranked[1]
    return (f"Low confidence: the model is unsure between {a} ({100 * pa:.0f} %) and {b} ({100 * pb:.0f} %); "
            "treat this result with caution.")


def face_caution_text(face: Any) -> str:
    """'' when the face was found (or none was looked for: ``face`` None); for a face flag that is not ok (a
    core.scans.canonical FaceFlag): "The face could not be found reliably in this scan (REASON); the probabilities
    below are unreliable and may be meaningless." """
    if face is None or getattr(face, "ok", True):
        return ""
    reason = str(getattr(face, "reason", "") or "no reason given")
    return (f"The face could not be found reliably in this scan ({reason}); the probabilities below are unreliable "
            "and may be meaningless.")
