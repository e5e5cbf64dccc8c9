"""RenderConfig: the view settings of a render, as data (defaults in resources/render.json)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object
from core.render.views import check_views

#: Version of the image design (channels, camera, splats). Part of every cache key, so changing how
#: images look invalidates old cache entries instead of mixing them with new ones.
RENDERER_VERSION = 1

DEFAULT_RENDER_JSON = "render.json"


@dataclass(frozen=True)
class RenderConfig:
    """How scans are rendered (see :mod:`core.render.views` for the camera and channel conventions).

    yaws:     camera yaws in degrees, one view each, in output order (default -30, 0, 30).
    size:     side of every view in pixels (8..2048).
    pitch:    camera pitch in degrees, shared by all views (> 0 looks down at the face; -90..90).
    n_frames: frames sampled uniformly from a 4D sequence for its dynamic image (>= 1).
    """

    yaws: tuple[float, ...] = (-30.0, 0.0, 30.0)
    size: int = 112
    pitch: float = 0.0
    n_frames: int = 16

    def __post_init__(self) -> None:
        if isinstance(self.yaws, (str, bytes)):
            raise ValueError(f"render config: yaws must be a list of angles, got {self.yaws!r}")
        try:
            yaws, size, pitch = check_views(self.yaws, self.size, self.pitch)
        except ValueError as exc:
            raise ValueError(f"render config: {exc}") from None
        if isinstance(self.n_frames, bool) or not isinstance(self.n_frames, int) or self.n_frames < 1:
            raise ValueError(f"render config: n_frames must be an integer >= 1, got {self.n_frames!r}")
        object.__setattr__(self, "yaws", yaws)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "pitch", pitch)

    @property
    def n_views(self) -> int:
        return len(self.yaws)

    def to_dict(self) -> dict[str, Any]:
        return {"yaws": list(self.yaws), "size": self.size, "pitch": self.pitch, "n_frames": self.n_frames}

    @classmethod
    def from_dict(cls, data: Any, source: str = "render config") -> RenderConfig:
        """Build from a dict; missing keys take the dataclass defaults, unknown keys are a ValueError."""
        if isinstance(data, dict) and isinstance(data.get("yaws"), list):
            data = {**data, "yaws": tuple(data["yaws"])}
        return dataclass_from_dict(cls, data, source, "render config")

    @classmethod
    def from_json(cls, path: str | Path) -> RenderConfig:
        """Read a render config JSON file (an object with any of yaws, size, pitch, n_frames)."""
        return cls.from_dict(read_json_object(path, "render config"), source=str(path))

    @classmethod
    def default(cls) -> RenderConfig:
        """The defaults of resources/render.json (the dataclass defaults when the file is absent)."""
        from core.resources import resources_dir

        try:
            path = resources_dir() / DEFAULT_RENDER_JSON
        except FileNotFoundError:
            return cls()
        return cls.from_json(path) if path.is_file() else cls()

    def replace(self, **changes: Any) -> RenderConfig:
        """A copy with some fields changed (validated)."""
        values = self.to_dict()
        values.update({k: v for k, v in changes.items() if v is not None})
        return self.from_dict(values, source="render config")

    def key(self) -> str:
        """Short hash (12 hex digits) of the settings and :data:`RENDERER_VERSION`; equal settings give
        equal keys (``yaws=(0,)`` and ``(0.0,)`` alike)."""
        payload = json.dumps({**self.to_dict(), "renderer": RENDERER_VERSION}, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
