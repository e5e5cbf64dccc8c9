"""Zero-shot inference with a trained SMILE-VLM checkpoint: Analyzer (one scan / sequence), per-frame curves of a 4D
sequence (analyze_frames) and batch predict.

The names below are imported on first use (PEP 562), so that importing a light submodule (frames, frame_export,
batch_summary, ...) does not load torch: every ``smile-vlm`` command imports its module at start-up. The batch
function is ``core.inference.predict.predict`` (``core.inference.predict`` names the module).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "AnalysisResult": "analyzer",
    "Analyzer": "analyzer",
    "checkpoint_prompts": "analyzer",
    "checkpoint_render_config": "analyzer",
    "checkpoint_tau": "analyzer",
    "AnalysisStopped": "frames",
    "FrameProbabilities": "frames",
    "FrameWindow": "frames",
    "analyze_frames": "frames",
    "PredictConfig": "predict",
    "PredictionRecord": "predict",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'core.inference' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"core.inference.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
