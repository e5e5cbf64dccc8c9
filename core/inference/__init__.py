"""Zero-shot inference with a trained SMILE-VLM checkpoint: Analyzer (one scan / sequence) and batch predict."""

from core.inference.analyzer import (
    AnalysisResult,
    Analyzer,
    checkpoint_prompts,
    checkpoint_render_config,
    checkpoint_tau,
)
from core.inference.predict import PredictConfig, PredictionRecord, predict

__all__ = [
    "AnalysisResult",
    "Analyzer",
    "PredictConfig",
    "PredictionRecord",
    "checkpoint_prompts",
    "checkpoint_render_config",
    "checkpoint_tau",
    "predict",
]
