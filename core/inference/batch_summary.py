"""The table of a batch analysis: one row per input with its prediction and, when the input comes from a manifest
(or an indexed data-set folder), its true label; and the accuracy against those labels.

Scored: inputs analysed without error whose manifest label is one of the prompt set's classes (compared after
stripping and lower-casing). Inputs without a label, failed inputs, and labels the prompt set has no class for (e.g.
``neutral`` against a six-emotion set) are counted and left out of the accuracy, never counted as wrong.
accuracy = scikit-learn's accuracy_score on the scored inputs; balanced_accuracy = balanced_accuracy_score (the mean
of the per-class recalls, so a majority class does not inflate it).
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.inference.predict import PredictionRecord


@dataclass(frozen=True)
class SummaryRow:
    """path; name: the file or sequence folder's name; subject / truth: the manifest's (None without one);
    predicted / confidence: the top class and its probability (None when the input failed); correct: None when not
    scored; error: why the input failed."""

    path: str
    name: str
    subject: str | None
    truth: str | None
    predicted: str | None
    confidence: float | None
    correct: bool | None
    error: str | None = None


@dataclass(frozen=True)
class BatchSummary:
    """rows: one per input, in input order; n_failed; n_labelled: analysed inputs with a manifest label; n_scored:
    those whose label is a class of the prompt set; outside: the labels left out and how many inputs had each;
    accuracy / balanced_accuracy: fractions over the scored inputs (None when none is scored)."""

    rows: tuple[SummaryRow, ...]
    n_failed: int
    n_labelled: int
    n_scored: int
    outside: tuple[tuple[str, int], ...]
    accuracy: float | None
    balanced_accuracy: float | None

    @property
    def n_correct(self) -> int:
        return sum(1 for r in self.rows if r.correct)

    def line(self) -> str:
        """One sentence: the accuracy and what it was computed on, or why there is none."""
        n = len(self.rows)
        failed = f", {self.n_failed} failed" if self.n_failed else ""
        left = ""
        if self.outside:
            labels = ", ".join(f"{label} ({count})" for label, count in self.outside)
            left = f"; left out: labels the prompt set has no class for: {labels}"
        if self.accuracy is None:
            why = ("no input has a manifest label" if self.n_labelled == 0
                   else "no manifest label is a class of the prompt set")
            return f"{n} input(s){failed}; no accuracy: {why}{left}."
        return (f"Accuracy {100 * self.accuracy:.1f} % ({self.n_correct} of {self.n_scored} labelled input(s) right; "
                f"balanced {100 * self.balanced_accuracy:.1f} %){failed}{left}.")


def _key(label: str | None) -> str:
    return (label or "").strip().lower()


def summarize(records: Iterable[PredictionRecord], rows: Mapping[str, Any] | None = None,
              labels: Sequence[str] = ()) -> BatchSummary:
    """The summary of ``records``; ``rows``: path -> ManifestRow (its subject and label); ``labels``: the prompt set's
    classes (the classes a prediction can take; from the records' probabilities when empty)."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    rows = rows or {}
    records = list(records)
    classes = {_key(label) for label in labels}
    if not classes:
        classes = {_key(label) for r in records if r.result is not None for label in r.result.probabilities}
    out: list[SummaryRow] = []
    truths: list[str] = []
    preds: list[str] = []
    outside: Counter[str] = Counter()
    n_labelled = 0
    for record in records:
        row = rows.get(os.fspath(record.path))
        truth = row.label if row is not None else None
        subject = row.subject if row is not None else None
        name = Path(record.path).name or record.path
        if record.result is None:
            out.append(SummaryRow(record.path, name, subject, truth, None, None, None, record.error or "failed"))
            continue
        predicted = record.result.top
        confidence = float(record.result.probabilities.get(predicted, 0.0))
        correct = None
        if truth:
            n_labelled += 1
            if _key(truth) in classes:
                correct = _key(predicted) == _key(truth)
                truths.append(_key(truth))
                preds.append(_key(predicted))
            else:
                outside[truth] += 1
        out.append(SummaryRow(record.path, name, subject, truth, predicted, confidence, correct))
    accuracy = balanced = None
    if truths:
        accuracy = float(accuracy_score(truths, preds))
        with warnings.catch_warnings():  # predictions of classes no input has: recall is over the true classes
            warnings.simplefilter("ignore", UserWarning)
            balanced = float(balanced_accuracy_score(truths, preds))
    return BatchSummary(tuple(out), sum(1 for r in records if r.result is None), n_labelled, len(truths),
                        tuple(sorted(outside.items())), accuracy, balanced)
