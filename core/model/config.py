"""ModelConfig: the architecture of a SMILE-VLM model, as data (defaults in resources/model.json)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object
from core.model.specs import parse_backbone_spec, parse_text_spec

DEFAULT_MODEL_JSON = "model.json"


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the model.

    backbone:      shared visual encoder f_v spec ('smallcnn' | 'resnet18' | 'resnet50' | 'resnet18:<weights.pth>'
                   | 'clip:<arch>:<pretrained tag or weights file>').
    embed_dim:     d, the dimension of every projected embedding z'_i, z^mv, z^t.
    proj_hidden:   hidden width of the projector g_v (Linear-BN-ReLU-Linear).
    fusion_hidden: hidden width of the view-scoring MLP of the fusion (Eq. 5).
    text_encoder:  frozen text encoder f_t spec ('minilm' | 'clip:<arch>:<tag or weights file>').
    n_views:       number of rendered views per sample V (the yaws of the render config).
    image_size:    side of each rendered view in pixels.
    """

    backbone: str = "smallcnn"
    embed_dim: int = 128
    proj_hidden: int = 512
    fusion_hidden: int = 64
    text_encoder: str = "minilm"
    n_views: int = 3
    image_size: int = 112

    def __post_init__(self) -> None:
        parse_backbone_spec(self.backbone)
        parse_text_spec(self.text_encoder)
        for name in ("embed_dim", "proj_hidden", "fusion_hidden", "n_views", "image_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"model config: {name} must be an integer >= 1, got {value!r}")
        if self.image_size < 16:
            raise ValueError(f"model config: image_size must be >= 16 pixels, got {self.image_size}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "model config") -> ModelConfig:
        """Build from a dict; missing keys take the dataclass defaults, unknown keys are a ValueError."""
        return dataclass_from_dict(cls, data, source, "model config")

    @classmethod
    def load(cls, path: str | Path) -> ModelConfig:
        """Read a model config JSON file; ValueError naming the file when it is not valid."""
        return cls.from_dict(read_json_object(path, "model config"), source=str(path))

    @classmethod
    def default(cls) -> ModelConfig:
        """The defaults of resources/model.json (the dataclass defaults when the file is absent)."""
        from core.resources import resources_dir

        try:
            path = resources_dir() / DEFAULT_MODEL_JSON
        except FileNotFoundError:
            return cls()
        return cls.load(path) if path.is_file() else cls()

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
