"""Validation helpers of the generator settings: each raises ValueError naming the setting."""

from __future__ import annotations

import math

Range = tuple[float, float]
Weights = tuple[tuple[str, float], ...]


def _check(cond: bool, name: str, message: str) -> None:
    if not cond:
        raise ValueError(f"{name}: {message}")


def _finite(value: float, name: str) -> None:
    _check(isinstance(value, (int, float)) and math.isfinite(value), name, f"must be a finite number, got {value!r}")


def _nonneg(value: float, name: str) -> None:
    _finite(value, name)
    _check(value >= 0, name, f"must be >= 0, got {value!r}")


def _fraction(value: float, name: str) -> None:
    _finite(value, name)
    _check(0 <= value <= 1, name, f"must be in [0, 1], got {value!r}")


def _range(value: tuple, name: str, *, low: float = 0.0, high: float = math.inf) -> None:
    _check(len(value) == 2, name, f"must be a [low, high] pair, got {list(value)!r}")
    for v in value:
        _finite(v, name)
    _check(value[0] <= value[1], name, f"low must not exceed high, got {list(value)!r}")
    _check(value[0] >= low and value[1] <= high, name, f"must lie in [{low}, {high}], got {list(value)!r}")


def _weights(value: Weights, name: str, allowed: tuple[str, ...]) -> None:
    _check(len(value) > 0, name, "must not be empty")
    for key, w in value:
        _check(key in allowed, name, f"unknown name {key!r} (expected one of {', '.join(allowed)})")
        _nonneg(w, f"{name}.{key}")
    _check(sum(w for _, w in value) > 0, name, "weights must not all be zero")
