"""The fixed simple baseline used to calibrate the synthetic sets' difficulty.

It works from the written files only (never from the generators' internal state):

1. Correspondence: each scan (mesh with holes, or point cloud) is aligned to the SFM mean face by trimmed
   similarity ICP (nearest neighbours, the worst 10 % of pairs ignored, Umeyama rotation + translation +
   scale), then resampled onto the template: every template vertex takes the Gaussian-weighted mean
   (s.d. 2 mm, relative to the nearest) of its 8 nearest aligned scan points. The feature is the
   (V * 3,) vector of those coordinates (millimetres, template scale). Scale is part of the alignment
   because a rigid-only fit leaves head-size differences that wreck nearest-neighbour correspondence.
2. 4D sequences: every ``frame_stride``-th frame is resampled the same way; the feature is the
   displacement from the first frame at the frame where that displacement is largest (RMS over
   vertices): the apex-minus-first-frame displacement without knowing the apex.
3. Classifier: PCA (``n_components``) -> one global scale (the first score's s.d.) -> multinomial
   logistic regression (``C``); no per-component standardisation, which would blow up
   near-zero-variance components;
   evaluated with subject-independent ``folds``-fold cross-validation (StratifiedGroupKFold, shuffled
   with ``seed``); the accuracy is over all held-out predictions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class BaselineConfig:
    """Settings of the baseline (see the module docstring)."""

    n_components: int = 100
    C: float = 1.0
    folds: int = 10
    icp_iterations: int = 12
    trim: float = 0.9
    icp_points: int = 1200
    neighbours: int = 8
    sigma_mm: float = 2.0
    frame_stride: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.n_components, int) or self.n_components < 1:
            raise ValueError(f"n_components must be an integer >= 1, got {self.n_components!r}")
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")
        if not isinstance(self.folds, int) or self.folds < 2:
            raise ValueError(f"folds must be an integer >= 2, got {self.folds!r}")
        if not isinstance(self.icp_iterations, int) or self.icp_iterations < 1:
            raise ValueError(f"icp_iterations must be an integer >= 1, got {self.icp_iterations!r}")
        if not 0.1 <= self.trim <= 1.0:
            raise ValueError(f"trim must be in [0.1, 1], got {self.trim!r}")
        if not isinstance(self.icp_points, int) or self.icp_points < 10:
            raise ValueError(f"icp_points must be an integer >= 10, got {self.icp_points!r}")
        if not isinstance(self.neighbours, int) or self.neighbours < 1:
            raise ValueError(f"neighbours must be an integer >= 1, got {self.neighbours!r}")
        if not self.sigma_mm > 0:
            raise ValueError(f"sigma_mm must be > 0, got {self.sigma_mm!r}")
        if not isinstance(self.frame_stride, int) or self.frame_stride < 1:
            raise ValueError(f"frame_stride must be an integer >= 1, got {self.frame_stride!r}")


def similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(s, R (3, 3), t (3,)) minimising |s R src + t - dst|^2 over paired (N, 3) points (Umeyama, no reflection)."""
    cs, cd = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - cs, dst - cd
    u, sv, vt = np.linalg.svd(a.T @ b)
    d = np.array([1.0, 1.0, np.sign(np.linalg.det(vt.T @ u.T))])
    r = vt.T @ np.diag(d) @ u.T
    var = float((a**2).sum())
    s = float((sv * d).sum() / var) if var > 1e-12 else 1.0
    return s, r, cd - s * r @ cs


class TemplateResampler:
    """Similarity alignment to a template and Gaussian-weighted nearest-neighbour resampling onto its vertices."""

    def __init__(self, template: np.ndarray, cfg: BaselineConfig = BaselineConfig(),
                 sample_points: np.ndarray | None = None):
        self.template = np.asarray(template, dtype=np.float64)
        self.tree = cKDTree(self.template)
        self.cfg = cfg
        #: where the aligned scan is resampled: the template's vertices, or a part of the template (e.g. the
        #: face of a whole-head template, so whole heads give the same features as face crops)
        self.sample_points = self.template if sample_points is None else np.asarray(sample_points, dtype=np.float64)

    def align(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) points moved onto the template by trimmed similarity ICP (rotation, translation and scale,
        from a median-centred start; the worst 1 - trim of the pairs are ignored at every iteration)."""
        p = np.asarray(points, dtype=np.float64)
        step = max(1, len(p) // self.cfg.icp_points)
        sample = p[::step]
        s_total, r_total = 1.0, np.eye(3)
        t_total = np.median(self.template, axis=0) - np.median(sample, axis=0)
        for _ in range(self.cfg.icp_iterations):
            moved = s_total * sample @ r_total.T + t_total
            dist, idx = self.tree.query(moved)
            keep = dist <= np.quantile(dist, self.cfg.trim)
            s, r, t = similarity(moved[keep], self.template[idx[keep]])
            s_total, r_total, t_total = s * s_total, r @ r_total, s * r @ t_total + t
        return s_total * p @ r_total.T + t_total

    def resample(self, points: np.ndarray) -> np.ndarray:
        """(V, 3): for each sample point (default: template vertex) the Gaussian-weighted mean (s.d.
        ``sigma_mm``) of its ``neighbours`` nearest aligned scan points."""
        aligned = self.align(points)
        k = min(self.cfg.neighbours, len(aligned))
        dist, idx = cKDTree(aligned).query(self.sample_points, k=k)
        if k == 1:
            return aligned[idx]
        w = np.exp(-0.5 * (dist - dist[:, :1]) ** 2 / self.cfg.sigma_mm**2)
        w /= w.sum(axis=1, keepdims=True)
        return (aligned[idx] * w[..., None]).sum(axis=1)


def _load_points(path: Path) -> np.ndarray:
    from core.scans import load

    return load(path).vertices.astype(np.float64)


def scan_feature(path: Path, resampler: TemplateResampler) -> np.ndarray:
    """(V * 3,) resampled coordinates of one scan file."""
    return resampler.resample(_load_points(path)).ravel()


def sequence_feature(folder: Path, resampler: TemplateResampler, stride: int = 1) -> np.ndarray:
    """(V * 3,) largest displacement from the first frame over every ``stride``-th frame of a sequence."""
    from core.scans.frames import list_frames

    frames = list_frames(folder)
    if len(frames) < 2:
        raise ValueError(f"{folder}: a sequence needs at least 2 frames, found {len(frames)}")
    chosen = frames[::stride]
    first = resampler.resample(_load_points(chosen[0]))
    best, best_rms = np.zeros_like(first), -1.0
    for frame in chosen[1:]:
        disp = resampler.resample(_load_points(frame)) - first
        rms = float(np.sqrt((disp**2).sum(axis=1).mean()))
        if rms > best_rms:
            best, best_rms = disp, rms
    return best.ravel()


_STATE: dict[str, TemplateResampler] = {}


def _init(template: np.ndarray, cfg: BaselineConfig, sample_points: np.ndarray | None = None) -> None:
    _STATE["r"] = TemplateResampler(template, cfg, sample_points)


def _feature(job: tuple[str, str]) -> np.ndarray:
    kind, path = job
    r = _STATE["r"]
    if kind == "4d":
        return sequence_feature(Path(path), r, r.cfg.frame_stride)
    return scan_feature(Path(path), r)


def extract_features(rows: Sequence, template: np.ndarray, cfg: BaselineConfig = BaselineConfig(),
                     workers: int = 1, on_progress: Callable[[int], None] | None = None,
                     sample_points: np.ndarray | None = None) -> np.ndarray:
    """(N, V * 3) features of manifest rows (3d rows: scan_feature, 4d rows: sequence_feature), aligned to
    ``template`` and resampled at ``sample_points`` (default: the template's vertices)."""
    jobs = [(row.kind, str(row.path)) for row in rows]
    out = []
    if workers <= 1:
        _init(template, cfg, sample_points)
        for job in jobs:
            out.append(_feature(job))
            if on_progress:
                on_progress(1)
    else:
        import multiprocessing

        method = "fork" if os.name == "posix" else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method), initializer=_init,
                                 initargs=(template, cfg, sample_points)) as pool:
            for feature in pool.map(_feature, jobs, chunksize=4):
                out.append(feature)
                if on_progress:
                    on_progress(1)
    return np.stack(out)


class _GlobalScale:
    """Divides every feature by one number learnt in fit: the s.d. of the first feature (the first PCA
    score). Keeps the PCA scores' relative scale (no per-component whitening, which would blow up
    near-zero-variance components) while giving the logistic regression well-conditioned inputs."""

    def fit(self, x: np.ndarray, y: object = None) -> "_GlobalScale":
        sd = float(np.std(x[:, 0])) if x.size else 1.0
        self.scale_ = sd if sd > 1e-12 else 1.0
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return x / self.scale_

    def fit_transform(self, x: np.ndarray, y: object = None) -> np.ndarray:
        return self.fit(x).transform(x)

    def get_params(self, deep: bool = True) -> dict:
        return {}

    def set_params(self, **params: object) -> "_GlobalScale":
        return self


@dataclass(frozen=True)
class BaselineResult:
    """Cross-validated accuracy and what it was computed on.

    accuracy: over all held-out predictions. fold_accuracies: per fold. chance: share of the most frequent
    class. confusion: (C, C) counts, rows = truth, columns = prediction, classes in ``classes`` order.
    """

    accuracy: float
    fold_accuracies: tuple[float, ...]
    n_samples: int
    n_subjects: int
    classes: tuple[str, ...]
    chance: float
    confusion: np.ndarray


def make_classifier(cfg: BaselineConfig, n_train: int, n_features: int):
    """The unfitted PCA (``cfg.n_components``, at most n_train - 1 and n_features) -> global scale -> multinomial
    logistic regression (``cfg.C``) pipeline, for a training part of ``n_train`` rows."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    k = max(1, min(cfg.n_components, n_train - 1, n_features))
    return make_pipeline(PCA(n_components=k, random_state=cfg.seed), _GlobalScale(),
                         LogisticRegression(C=cfg.C, max_iter=5000))


def cross_validate(features: np.ndarray, labels: Sequence[str], groups: Sequence[str],
                   cfg: BaselineConfig = BaselineConfig()) -> BaselineResult:
    """Subject-independent k-fold accuracy of PCA -> global scale -> logistic regression."""
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import StratifiedGroupKFold

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    g = np.asarray(groups)
    n_subjects = len(set(g.tolist()))
    if n_subjects < 2:
        raise ValueError(f"subject-independent cross-validation needs at least 2 subjects, got {n_subjects}")
    folds = min(cfg.folds, n_subjects)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
    predicted = np.empty(len(y), dtype=y.dtype)
    fold_acc = []
    for train, test in splitter.split(x, y, g):
        model = make_classifier(cfg, len(train), x.shape[1])
        model.fit(x[train], y[train])
        predicted[test] = model.predict(x[test])
        fold_acc.append(float((predicted[test] == y[test]).mean()))
    classes = tuple(sorted(set(y.tolist())))
    counts = np.array([(y == c).sum() for c in classes])
    return BaselineResult(
        accuracy=float((predicted == y).mean()),
        fold_accuracies=tuple(fold_acc),
        n_samples=int(len(y)),
        n_subjects=n_subjects,
        classes=classes,
        chance=float(counts.max() / counts.sum()),
        confusion=confusion_matrix(y, predicted, labels=list(classes)),
    )


def evaluate_rows(rows: Sequence, template: np.ndarray, cfg: BaselineConfig = BaselineConfig(), workers: int = 1,
                  on_progress: Callable[[int], None] | None = None) -> BaselineResult:
    """Features of manifest ``rows`` then :func:`cross_validate` (labels = row.label, groups = row.subject)."""
    features = extract_features(rows, template, cfg, workers, on_progress)
    return cross_validate(features, [r.label for r in rows], [r.subject for r in rows], cfg)
