"""Classification metrics (scikit-learn) and their mean ± std over folds.

For true and predicted labels of one test set and the class order ``labels``:
    accuracy            top-1 accuracy (sklearn accuracy_score)
    macro_f1            unweighted mean of the per-class F1 over the classes present in the truth or the predictions
                        (sklearn f1_score average="macro"; a class absent from both is left out, not counted as 0)
    per_class_f1        F1 of each class (None when the class is absent from both the truth and the predictions)
    per_class_accuracy  share of each class's samples predicted correctly, i.e. its recall (None when absent from
                        the truth)
    ovr_accuracy        per class, the one-vs-rest accuracy (TP + TN) / n of "is it this class?" (derived from the
                        confusion matrix: per_class_ovr_accuracy); the paper's Table V reports a per-class
                        "accuracy" without saying which, and its values (e.g. 92.18 % for repression) read as this
    confusion           confusion_matrix(labels=labels): rows true class, columns predicted class, in labels order
Fold aggregation: mean and population standard deviation (numpy's default, ddof=0) over the folds where the value
is defined.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ClassificationMetrics:
    """The metrics of one test set (see the module docstring)."""

    labels: tuple[str, ...]
    n: int
    accuracy: float
    macro_f1: float
    per_class_f1: dict[str, float | None]
    per_class_accuracy: dict[str, float | None]
    confusion: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_class_f1": dict(self.per_class_f1),
            "per_class_accuracy": dict(self.per_class_accuracy),
            "confusion": [list(r) for r in self.confusion],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassificationMetrics:
        return cls(
            labels=tuple(data["labels"]),
            n=int(data["n"]),
            accuracy=float(data["accuracy"]),
            macro_f1=float(data["macro_f1"]),
            per_class_f1=dict(data["per_class_f1"]),
            per_class_accuracy=dict(data["per_class_accuracy"]),
            confusion=tuple(tuple(int(v) for v in r) for r in data["confusion"]),
        )


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> ClassificationMetrics:
    """Metrics of predictions ``y_pred`` against ``y_true`` (label strings) over the classes ``labels``.

    ValueError when the lengths differ, the set is empty, or a label is not one of ``labels``.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    y_true = [str(y) for y in y_true]
    y_pred = [str(y) for y in y_pred]
    labels = tuple(str(label) for label in labels)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if not y_true:
        raise ValueError("no samples to score")
    known = set(labels)
    unknown = sorted((set(y_true) | set(y_pred)) - known)
    if unknown:
        raise ValueError(f"labels {unknown} are not among the classes {list(labels)}")
    present_true = set(y_true)
    present = [label for label in labels if label in present_true or label in set(y_pred)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_f1 = f1_score(y_true, y_pred, labels=list(labels), average=None, zero_division=0)
        macro = f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=list(labels))
    per_acc: dict[str, float | None] = {}
    per_f1_out: dict[str, float | None] = {}
    for i, label in enumerate(labels):
        support = int(cm[i].sum())
        per_acc[label] = float(cm[i, i] / support) if support else None
        per_f1_out[label] = float(per_f1[i]) if label in present else None
    return ClassificationMetrics(
        labels=labels,
        n=len(y_true),
        accuracy=float(accuracy_score(y_true, y_pred)),
        macro_f1=float(macro),
        per_class_f1=per_f1_out,
        per_class_accuracy=per_acc,
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
    )


def per_class_ovr_accuracy(confusion: Sequence[Sequence[int]], labels: Sequence[str]) -> dict[str, float | None]:
    """One-vs-rest accuracy of each class, (n - FP - FN) / n, from a confusion matrix (rows true, columns predicted,
    in ``labels`` order); None for every class when the matrix is empty."""
    cm = np.asarray(confusion, dtype=np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(labels):
        raise ValueError(f"a {len(labels)} x {len(labels)} confusion matrix is needed, got shape {cm.shape}")
    n = int(cm.sum())
    if n == 0:
        return {label: None for label in labels}
    tp = np.diag(cm)
    wrong = (cm.sum(axis=0) - tp) + (cm.sum(axis=1) - tp)  # FP + FN of each class
    return {label: float((n - wrong[i]) / n) for i, label in enumerate(labels)}


@dataclass(frozen=True)
class Summary:
    """Mean and population std (ddof=0) of a value over the folds where it is defined; n folds counted."""

    mean: float | None
    std: float | None
    n: int

    def format(self, scale: float = 100.0, digits: int = 1) -> str:
        """'mean ± std' in percent by default; 'n/a' when undefined."""
        if self.mean is None:
            return "n/a"
        if self.n < 2:
            return f"{self.mean * scale:.{digits}f}"
        return f"{self.mean * scale:.{digits}f} ± {self.std * scale:.{digits}f}"

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "n": self.n}


def summarize(values: Iterable[float | None]) -> Summary:
    """Mean ± std (ddof=0) of the defined (not None, finite) values."""
    defined = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not defined:
        return Summary(None, None, 0)
    arr = np.asarray(defined, dtype=np.float64)
    return Summary(float(arr.mean()), float(arr.std()), len(defined))


def pooled_confusion(matrices: Iterable[Sequence[Sequence[int]]]) -> np.ndarray:
    """Sum of confusion matrices of equal shape (e.g. over folds)."""
    total = None
    for m in matrices:
        arr = np.asarray(m, dtype=np.int64)
        if total is None:
            total = arr.copy()
        elif arr.shape != total.shape:
            raise ValueError(f"confusion matrices of shapes {total.shape} and {arr.shape} cannot be pooled")
        else:
            total += arr
    if total is None:
        raise ValueError("no confusion matrix to pool")
    return total
