"""Evaluation: zero-shot scoring, metrics, probes, subject-independent folds, and the benchmark protocols.

Light modules are imported here; the benchmark runner (which pulls in rendering and training) is imported on first
use of its names, so ``core.inference`` can share ``core.eval.zero_shot`` without import cycles.
"""

from core.eval.folds import FoldPlan, subject_folds
from core.eval.metrics import ClassificationMetrics, Summary, classification_metrics, pooled_confusion, summarize
from core.eval.probes import knn_classify, linear_probe
from core.eval.zero_shot import (
    class_embeddings,
    prompt_class_embeddings,
    zero_shot_probabilities,
    zero_shot_similarities,
)

_LAZY = {
    "BenchmarkConfig": "core.eval.benchmark",
    "BenchmarkSummary": "core.eval.benchmark",
    "run_benchmark": "core.eval.benchmark",
    "MethodSpec": "core.eval.config",
    "ExperimentSpec": "core.eval.config",
    "TrainSettings": "core.eval.config",
    "Preset": "core.eval.config",
    "load_preset": "core.eval.config",
    "preset_names": "core.eval.config",
    "train_fold_model": "core.eval.training",
    "embed": "core.eval.training",
}

__all__ = [
    "ClassificationMetrics",
    "FoldPlan",
    "Summary",
    "class_embeddings",
    "classification_metrics",
    "knn_classify",
    "linear_probe",
    "pooled_confusion",
    "prompt_class_embeddings",
    "subject_folds",
    "summarize",
    "zero_shot_probabilities",
    "zero_shot_similarities",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core.eval' has no attribute {name!r}")
