"""SMILE-VLM model: shared visual encoder + projector per view, view-aware fusion (Eq. 5, 7), text projection,
and checkpoints. The frozen text encoder lives in core.text."""

from core.model.backbones import build_backbone
from core.model.checkpoint import (
    Checkpoint,
    CheckpointError,
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from core.model.clip_weights import ClipWeightsError
from core.model.config import ModelConfig
from core.model.preprocess import normalize_views, views_to_tensor
from core.model.projector import Projector
from core.model.smile_vlm import SmileVLM, SmileVLMOutput
from core.model.view_fusion import ViewAttentionFusion

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "ClipWeightsError",
    "ModelConfig",
    "Projector",
    "SmileVLM",
    "SmileVLMOutput",
    "ViewAttentionFusion",
    "build_backbone",
    "capture_rng_state",
    "load_checkpoint",
    "normalize_views",
    "restore_rng_state",
    "save_checkpoint",
    "views_to_tensor",
]
