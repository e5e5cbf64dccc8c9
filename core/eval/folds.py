"""Subject-independent k-fold cross-validation: every subject's samples fall in exactly one test fold.

Folds come from scikit-learn's StratifiedGroupKFold (groups = subjects, strata = labels, shuffled with ``seed``), so
no subject is ever in both the training and the test part of a fold and the class mix of each fold stays close to
the whole set's. The assignment (fold -> subjects) is plain data, saved with the results.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FoldPlan:
    """k subject-disjoint folds over n samples.

    subjects: the subject of each sample (n,); fold_of_subject: subject -> test fold in 0..k-1; seed: the shuffle
    seed used.
    """

    k: int
    seed: int
    subjects: tuple[str, ...]
    fold_of_subject: dict[str, int]

    def sample_folds(self) -> np.ndarray:
        """(n,) test fold of every sample."""
        return np.asarray([self.fold_of_subject[s] for s in self.subjects], dtype=np.int64)

    def test_indices(self, fold: int) -> np.ndarray:
        """Sample indices of fold ``fold``'s test part, ascending."""
        self._check(fold)
        return np.flatnonzero(self.sample_folds() == fold)

    def train_indices(self, fold: int) -> np.ndarray:
        """Sample indices of fold ``fold``'s training part (every other fold), ascending."""
        self._check(fold)
        return np.flatnonzero(self.sample_folds() != fold)

    def test_subjects(self, fold: int) -> list[str]:
        self._check(fold)
        return sorted(s for s, f in self.fold_of_subject.items() if f == fold)

    def _check(self, fold: int) -> None:
        if not 0 <= fold < self.k:
            raise ValueError(f"fold {fold} is out of range 0..{self.k - 1}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: k, seed, and fold -> its sorted test subjects."""
        return {"k": self.k, "seed": self.seed, "folds": {str(f): self.test_subjects(f) for f in range(self.k)}}


def subject_folds(
    subjects: Sequence[str], labels: Sequence[str], k: int, seed: int = 0, source: str = "data set"
) -> FoldPlan:
    """k subject-independent, label-stratified folds of the samples (subjects[i], labels[i]).

    ValueError naming ``source`` when k < 2, the lengths differ, or there are fewer subjects than folds.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"{source}: the number of folds must be an integer >= 2, got {k!r}")
    subjects = tuple(str(s) for s in subjects)
    labels = [str(y) for y in labels]
    if len(subjects) != len(labels):
        raise ValueError(f"{source}: {len(subjects)} subjects but {len(labels)} labels")
    distinct = sorted(set(subjects))
    if len(distinct) < k:
        raise ValueError(
            f"{source}: {len(distinct)} subject(s), too few for {k} subject-independent folds (each fold needs at "
            f"least one test subject); use fewer folds or more subjects"
        )
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    fold_of_subject: dict[str, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only m members": fine for small sets
        for fold, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups=list(subjects))):
            for i in test:
                fold_of_subject[subjects[i]] = fold
    empty = [f for f in range(k) if f not in set(fold_of_subject.values())]
    if empty:
        raise ValueError(f"{source}: fold {empty[0]} of {k} got no test subject; use fewer folds")
    return FoldPlan(k=k, seed=int(seed), subjects=subjects, fold_of_subject=fold_of_subject)
