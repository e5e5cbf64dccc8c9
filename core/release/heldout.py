"""Scoring a trained model on held-out synthetic subjects: zero-shot logits, the calibration split, the card figures.

The split is by subject: within each held-out set the subjects are sorted and alternate between the calibration
split (even positions: fits the temperature) and the evaluation split (odd positions: every figure of the card).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScoredSet:
    """Zero-shot logits (n, C) = cos / tau of one held-out set, with its true class indices (n,) and subjects."""

    name: str
    logits: np.ndarray
    labels: np.ndarray
    subjects: tuple[str, ...]
    mode: str = "zero-shot, fused views"

    def __post_init__(self) -> None:
        n = len(self.subjects)
        if self.logits.ndim != 2 or self.logits.shape[0] != n or self.labels.shape != (n,):
            raise ValueError(f"{self.name}: logits (n, C), labels (n,) and subjects must agree, got "
                             f"{self.logits.shape}, {self.labels.shape}, {n}")


def calibration_mask(subjects: Sequence[str]) -> np.ndarray:
    """(n,) bool: True for rows whose subject is in the calibration split (even positions of the sorted subjects)."""
    order = {s: i for i, s in enumerate(sorted(set(subjects)))}
    return np.array([order[s] % 2 == 0 for s in subjects], dtype=bool)


def set_figures(logits: np.ndarray, labels: np.ndarray, class_names: Sequence[str]) -> dict:
    """Accuracy and macro F1 (%, over the classes present in ``labels``) of argmax predictions, with counts."""
    from sklearn.metrics import accuracy_score, f1_score

    pred = logits.argmax(axis=1)
    present = sorted(set(int(y) for y in labels))
    return {
        "accuracy": round(100.0 * float(accuracy_score(labels, pred)), 2),
        "macro_f1": round(100.0 * float(f1_score(labels, pred, labels=present, average="macro", zero_division=0)), 2),
        "n_samples": int(labels.shape[0]),
        "classes": [class_names[i] for i in present],
    }


def evaluate(scored: Sequence[ScoredSet], class_names: Sequence[str]) -> tuple[dict, dict]:
    """(evaluation: set name -> figures on its evaluation split, calibration: temperature and ECE before/after).

    The temperature T is fitted on the pooled calibration splits (softmax(logits / T) minimises their NLL); the
    expected calibration error (15 equal-width bins, %) is measured on the pooled evaluation splits.
    """
    from core.inference.calibration import expected_calibration_error, fit_temperature

    evaluation: dict[str, dict] = {}
    cal_logits, cal_labels, ev_logits, ev_labels = [], [], [], []
    for s in scored:
        cal = calibration_mask(s.subjects)
        ev = ~cal
        if not ev.any() or not cal.any():
            raise ValueError(f"held-out set {s.name} needs at least 2 subjects (one per split)")
        figures = set_figures(s.logits[ev], s.labels[ev], class_names)
        figures["n_subjects"] = len({subj for subj, e in zip(s.subjects, ev) if e})
        figures["mode"] = s.mode
        evaluation[s.name] = figures
        cal_logits.append(s.logits[cal])
        cal_labels.append(s.labels[cal])
        ev_logits.append(s.logits[ev])
        ev_labels.append(s.labels[ev])
    cl, cy = np.concatenate(cal_logits), np.concatenate(cal_labels)
    el, ey = np.concatenate(ev_logits), np.concatenate(ev_labels)
    temperature = float(fit_temperature(cl, cy))

    def probs(logits: np.ndarray, t: float) -> np.ndarray:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    all_figures = set_figures(el, ey, class_names)
    all_figures["n_subjects"] = sum(v["n_subjects"] for v in evaluation.values())
    all_figures["mode"] = "zero-shot, fused views"
    evaluation["all held-out sets"] = all_figures
    calibration = {
        "temperature": round(temperature, 4),
        "ece_before": round(100.0 * float(expected_calibration_error(probs(el, 1.0), ey)), 2),
        "ece_after": round(100.0 * float(expected_calibration_error(probs(el, temperature), ey)), 2),
        "n_samples": int(cy.shape[0]),
        "n_evaluated": int(ey.shape[0]),
        "split": "temperature fitted on half of each held-out set's subjects (even positions in sorted order); "
                 "ECE (%, 15 equal-width confidence bins) and every accuracy measured on the other half",
    }
    return evaluation, calibration
