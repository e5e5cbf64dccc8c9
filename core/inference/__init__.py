"""Zero-shot inference with a trained SMILE-VLM checkpoint: Analyzer (one scan / sequence), per-frame curves of a 4D
sequence (analyze_frames) and batch predict."""

from core.inference.analyzer import (
    AnalysisResult,
    Analyzer,
    checkpoint_prompts,
    checkpoint_render_config,
    checkpoint_tau,
)
from core.inference.frames import AnalysisStopped, FrameProbabilities, FrameWindow, analyze_frames
from core.inference.predict import PredictConfig, PredictionRecord, predict

__all__ = [
    "AnalysisResult",
    "AnalysisStopped",
    "Analyzer",
    "FrameProbabilities",
    "FrameWindow",
    "PredictConfig",
    "PredictionRecord",
    "analyze_frames",
    "checkpoint_prompts",
    "checkpoint_render_config",
    "checkpoint_tau",
    "predict",
]
