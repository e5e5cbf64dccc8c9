"""How sure a zero-shot prediction is: normalised entropy and top-1 / top-2 margin of the class probabilities.

For probabilities p_1..p_C (C classes, summing to 1):
    entropy = -sum_c p_c log p_c / log C      in [0, 1]: 0 = all mass on one class, 1 = uniform (0 when C == 1)
    margin  = p_(1) - p_(2)                   in [0, 1]: the gap between the two most probable classes (1 when C == 1)
A confident prediction has a low entropy and a high margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


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
