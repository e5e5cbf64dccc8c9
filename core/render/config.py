"""RenderConfig: the view settings of a render, as data (defaults in resources/render.json)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object
from core.render.views import check_views
from core.scans.canonical import CanonicalSettings

#: Version of the image design (channels, camera, splats, framing). Part of every cache key, so changing how
#: images look invalidates old cache entries instead of mixing them with new ones.
#: 2: scans are framed as canonical faces (core.render.framing) unless canonical.orientation is "none".
RENDERER_VERSION = 2

DEFAULT_RENDER_JSON = "render.json"


def canonical_settings(value: Any, base: CanonicalSettings | None = None,
                       where: str = "render config: canonical") -> CanonicalSettings:
    """``value`` as CanonicalSettings: a CanonicalSettings as it is; None: ``base``; a (possibly partial) dict laid
    over ``base`` (the nested "registration" object key by key). ``base`` defaults to
    :meth:`CanonicalSettings.default` (resources/canonical.json). ValueError naming ``where`` otherwise."""
    if isinstance(value, CanonicalSettings):
        return value
    base = base if base is not None else CanonicalSettings.default()
    if value is None:
        return base
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(value).__name__}")
    merged = base.to_dict()
    for key, item in value.items():
        if key == "registration" and isinstance(item, dict):
            merged["registration"] = {**merged["registration"], **item}
        else:
            merged[key] = item
    return CanonicalSettings.from_dict(merged, source=where)


@dataclass(frozen=True)
class RenderConfig:
    """How scans are rendered (see :mod:`core.render.views` for the camera and channel conventions).

    yaws:      camera yaws in degrees, one view each, in output order (default -30, 0, 30).
    size:      side of every view in pixels (8..2048).
    pitch:     camera pitch in degrees, shared by all views (> 0 looks down at the face; -90..90).
    n_frames:  frames sampled uniformly from a 4D sequence for its dynamic image (>= 1).
    canonical: how a scan becomes the canonical face that is rendered (:class:`core.scans.canonical.
               CanonicalSettings`; default resources/canonical.json; orientation "none" = bounding-box framing
               as before canonical faces). In JSON a nested object, partial objects laid over the defaults.
    """

    yaws: tuple[float, ...] = (-30.0, 0.0, 30.0)
    size: int = 112
    pitch: float = 0.0
    n_frames: int = 16
    canonical: CanonicalSettings = field(default_factory=CanonicalSettings.default)

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
        object.__setattr__(self, "canonical", canonical_settings(self.canonical))

    @property
    def n_views(self) -> int:
        return len(self.yaws)

    def to_dict(self) -> dict[str, Any]:
        return {"yaws": list(self.yaws), "size": self.size, "pitch": self.pitch, "n_frames": self.n_frames,
                "canonical": self.canonical.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, source: str = "render config") -> RenderConfig:
        """Build from a dict; missing keys take the dataclass defaults (canonical: resources/canonical.json, a
        partial "canonical" object laid over it), unknown keys are a ValueError."""
        if isinstance(data, dict) and isinstance(data.get("yaws"), list):
            data = {**data, "yaws": tuple(data["yaws"])}
        if isinstance(data, dict) and "canonical" in data:
            data = {**data, "canonical": canonical_settings(data["canonical"], where=f"{source}: canonical")}
        return dataclass_from_dict(cls, data, source, "render config")

    @classmethod
    def from_json(cls, path: str | Path) -> RenderConfig:
        """Read a render config JSON file (an object with any of yaws, size, pitch, n_frames, canonical)."""
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
        """A copy with some fields changed (validated; None leaves a field as it is). ``canonical`` may be a
        CanonicalSettings or a partial dict of changes laid over this config's canonical settings."""
        values: dict[str, Any] = {**self.to_dict(), "canonical": self.canonical}
        changes = {k: v for k, v in changes.items() if v is not None}
        if isinstance(changes.get("canonical"), dict):
            changes["canonical"] = canonical_settings(changes["canonical"], base=self.canonical)
        values.update(changes)
        return self.from_dict(values, source="render config")

    def key(self) -> str:
        """Short hash (12 hex digits) of the settings (canonical ones included) and :data:`RENDERER_VERSION`;
        equal settings give equal keys (``yaws=(0,)`` and ``(0.0,)`` alike)."""
        payload = json.dumps({**self.to_dict(), "renderer": RENDERER_VERSION}, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
