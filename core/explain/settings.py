"""ExplainSettings: how evidence maps are made, as data (defaults in resources/explain.json; its "_about" says what
each key means)."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object

DEFAULT_EXPLAIN_JSON = "explain.json"
METHODS = ("gradcam", "layercam", "gradient")


@dataclass(frozen=True)
class ExplainSettings:
    """method: "gradcam", "layercam" or "gradient" (see resources/explain.json); min_grid: explain the deepest
    convolutional feature map with at least this many cells along each side; visibility_size: side (px) of the depth
    images of the visibility test; depth_tolerance_px: how far behind the drawn surface (in those pixels) a vertex
    still counts as seen."""

    method: str = "gradcam"
    min_grid: int = 4
    visibility_size: int = 128
    depth_tolerance_px: float = 2.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"explain method must be one of {', '.join(METHODS)}, got {self.method!r}")
        for name, lo, hi in (("min_grid", 1, 512), ("visibility_size", 8, 2048)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"explain {name} must be an integer in [{lo}, {hi}], got {value!r}")
        tol = self.depth_tolerance_px
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 <= float(tol) <= 100.0:
            raise ValueError(f"explain depth_tolerance_px must be a number in [0, 100], got {tol!r}")
        object.__setattr__(self, "depth_tolerance_px", float(tol))

    def replace(self, **changes: Any) -> ExplainSettings:
        return ExplainSettings(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, source: str = "explain settings") -> ExplainSettings:
        """Missing keys take the defaults, keys starting with "_" are comments, other unknown keys a ValueError."""
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if not str(k).startswith("_")}
        return dataclass_from_dict(cls, data, source, "explain")

    @classmethod
    def from_json(cls, path: str | Path) -> ExplainSettings:
        return cls.from_dict(read_json_object(path, "explain settings"), source=str(path))

    @classmethod
    def default(cls) -> ExplainSettings:
        """resources/explain.json (the dataclass defaults when it is absent); read once per process."""
        return _default()


@functools.lru_cache(maxsize=1)
def _default() -> ExplainSettings:
    from core.resources import resources_dir

    try:
        path = resources_dir() / DEFAULT_EXPLAIN_JSON
    except FileNotFoundError:
        return ExplainSettings()
    return ExplainSettings.from_json(path) if path.is_file() else ExplainSettings()


__all__ = ["DEFAULT_EXPLAIN_JSON", "METHODS", "ExplainSettings"]
