"""Classifiers on frozen embeddings: the linear probe and k-nearest neighbours (scikit-learn).

Both see embeddings z (n, D) made unit length first (the models are trained with cosine objectives), and are fitted
on the training part of a fold only; this is where labels enter a label-free model's evaluation.
    linear probe: StandardScaler, then multinomial LogisticRegression (L2, inverse strength C, lbfgs)
    kNN:          KNeighborsClassifier, k neighbours by cosine distance, uniform vote
A training part holding a single class predicts that class.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np


def _unit(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"embeddings must be (n, D), got shape {z.shape}")
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return z / np.maximum(norms, 1e-12)


def _check(
    train_z: np.ndarray, train_y: Sequence[str], test_z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tr, te = _unit(train_z), _unit(test_z)
    y = np.asarray([str(v) for v in train_y])
    if tr.shape[0] != y.shape[0]:
        raise ValueError(f"{tr.shape[0]} training embeddings but {y.shape[0]} labels")
    if tr.shape[0] == 0:
        raise ValueError("no training embeddings")
    if tr.shape[1] != te.shape[1]:
        raise ValueError(f"training embeddings are {tr.shape[1]}-d but test embeddings {te.shape[1]}-d")
    return tr, y, te


def linear_probe(
    train_z: np.ndarray, train_y: Sequence[str], test_z: np.ndarray, c: float = 1.0, max_iter: int = 2000
) -> np.ndarray:
    """Predicted labels (m,) of test embeddings (m, D) by a logistic regression fitted on (n, D) + labels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    tr, y, te = _check(train_z, train_y, test_z)
    classes = np.unique(y)
    if classes.size == 1:
        return np.full(te.shape[0], classes[0], dtype=object)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on tiny folds: the fit is still usable
        model.fit(tr, y)
    return model.predict(te).astype(object)


def knn_classify(train_z: np.ndarray, train_y: Sequence[str], test_z: np.ndarray, k: int = 5) -> np.ndarray:
    """Predicted labels (m,) by a k-nearest-neighbour vote (cosine distance) over the training embeddings."""
    from sklearn.neighbors import KNeighborsClassifier

    tr, y, te = _check(train_z, train_y, test_z)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    classes = np.unique(y)
    if classes.size == 1:
        return np.full(te.shape[0], classes[0], dtype=object)
    model = KNeighborsClassifier(n_neighbors=min(k, tr.shape[0]), metric="cosine")
    model.fit(tr, y)
    return model.predict(te).astype(object)
