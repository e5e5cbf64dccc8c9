"""Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017) and the expected
calibration error.

Shapes: logits (n, C) scores, probs (n, C) rows summing to 1, labels (n,) integer class indices in [0, C).
    apply_temperature(z, T)            = z / T                                    (n, C), T > 0
    fit_temperature(z, y)              = argmin_{T > 0} -1/n sum_i log softmax(z_i / T)_{y_i}
                                         searched over log T in [log 0.05, log 20] (bounded scalar search; the NLL
                                         is smooth in log T and one-dimensional, so no gradient code is needed)
    expected_calibration_error(p, y)   = sum_b |B_b| / n * |acc(B_b) - conf(B_b)|
                                         with conf_i = max_c p_ic (top-1 confidence), acc the share of B_b whose
                                         top-1 class is the label, and B_b the samples with conf in
                                         (b / n_bins, (b + 1) / n_bins] (equal-width bins; the first bin also
                                         holds conf == 0)
T > 1 softens overconfident scores, T < 1 sharpens underconfident ones; top-1 predictions never change.
Inputs may be numpy arrays, nested lists or torch tensors; anything malformed raises ValueError.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

T_MIN = 0.05
T_MAX = 20.0


def _as_array(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, without importing torch here
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {type(x).__name__} ({exc})") from None


def _checked_scores(x: Any, name: str, min_rows: int) -> np.ndarray:
    a = _as_array(x, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n, C), got shape {a.shape}")
    n, c = a.shape
    if n < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} sample(s), got {n}")
    if c < 2:
        raise ValueError(f"{name} needs at least 2 classes, got C = {c}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return a


def _checked_labels(labels: Any, n: int, c: int) -> np.ndarray:
    if hasattr(labels, "detach"):
        labels = labels.detach().cpu().numpy()
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match the scores, got shape {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind != "f" or not np.isfinite(y).all() or not np.array_equal(y, np.round(y)):
            raise ValueError(f"labels must be integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= c:
        raise ValueError(f"labels must lie in [0, {c}), got values in [{y.min()}, {y.max()}]")
    return y


def _check_temperature(temperature: Any) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)):
        raise ValueError(f"temperature must be a number, got {type(temperature).__name__}")
    t = float(temperature)
    if not math.isfinite(t) or t <= 0:
        raise ValueError(f"temperature must be finite and > 0, got {temperature!r}")
    return t


def apply_temperature(logits: Any, temperature: float) -> Any:
    """logits / temperature; a torch tensor stays a tensor (same dtype and device), anything else -> float64 array
    of shape (n, C)."""
    t = _check_temperature(temperature)
    if hasattr(logits, "detach"):
        if logits.ndim != 2:
            raise ValueError(f"logits must have shape (n, C), got shape {tuple(logits.shape)}")
        return logits / t
    a = _as_array(logits, "logits")
    if a.ndim != 2:
        raise ValueError(f"logits must have shape (n, C), got shape {a.shape}")
    return a / t


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))


def temperature_nll(logits: Any, labels: Any, temperature: float) -> float:
    """Mean negative log-likelihood of ``labels`` under softmax(logits / temperature)."""
    z = _checked_scores(logits, "logits", 1)
    y = _checked_labels(labels, *z.shape)
    return _nll(z, y, _check_temperature(temperature))


def fit_temperature(logits: Any, labels: Any) -> float:
    """The T in [T_MIN, T_MAX] minimising the NLL of softmax(logits / T) on (logits (n, C), labels (n,)); n >= 2."""
    from scipy.optimize import minimize_scalar

    z = _checked_scores(logits, "logits", 2)
    y = _checked_labels(labels, *z.shape)
    lo, hi = math.log(T_MIN), math.log(T_MAX)
    res = minimize_scalar(lambda log_t: _nll(z, y, math.exp(log_t)), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-6})
    return float(math.exp(min(max(float(res.x), lo), hi)))


def expected_calibration_error(probs: Any, labels: Any, n_bins: int = 15) -> float:
    """ECE of class probabilities (n, C) against labels (n,) over ``n_bins`` equal-width confidence bins, in
    [0, 1]."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    p = _checked_scores(probs, "probs", 1)
    if (p < 0).any() or (p > 1).any():
        raise ValueError("probs must lie in [0, 1]")
    sums = p.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-3):
        raise ValueError(f"every row of probs must sum to 1 (got sums from {sums.min():.4f} to {sums.max():.4f})")
    y = _checked_labels(labels, *p.shape)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
    bins = np.searchsorted(edges[1:-1], conf, side="left")  # bin b holds conf in (edges[b], edges[b + 1]]
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    acc = np.bincount(bins, weights=correct, minlength=n_bins)
    cnf = np.bincount(bins, weights=conf, minlength=n_bins)
    filled = counts > 0
    gaps = np.abs(acc[filled] - cnf[filled])  # = counts * |mean acc - mean conf| per bin
    return float(gaps.sum() / len(y))
