"""CanonicalSettings: how a scan is turned into a canonical face, as data (defaults in resources/canonical.json).

The convention every canonical face follows (see :mod:`core.scans.canonical`): millimetres, the nose tip at the
origin, the face looking along +z, +y up, +x the subject's left (right-handed; the convention of BU-3DFE, Bosphorus,
the Surrey and ICT face models).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object
from core.scans.normalize import ORIENTATIONS

DEFAULT_CANONICAL_JSON = "canonical.json"
#: ``orientation`` values besides the presets of :data:`core.scans.ORIENTATIONS`.
AUTO, NONE = "auto", "none"
#: Template face models the registration can use.
TEMPLATES = ("ict",)


def orientation_choices() -> tuple[str, ...]:
    """Every accepted ``orientation``: auto, the presets, none."""
    return (AUTO, *ORIENTATIONS, NONE)


def check_orientation(value: Any, where: str = "orientation") -> str:
    """``value`` as a known orientation name (case and surrounding blanks ignored); ValueError otherwise."""
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text not in orientation_choices():
        raise ValueError(f"{where}: unknown orientation {value!r} (known: {', '.join(orientation_choices())})")
    return text


def _positive(name: str, value: Any, integer: bool = False, lo: float = 0.0, hi: float = math.inf) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not (math.isfinite(value) and lo < value <= hi):
        raise ValueError(f"{name} must lie in ({lo}, {hi}], got {value!r}")


@dataclass(frozen=True)
class RegistrationSettings:
    """The multi-start robust similarity ICP (:mod:`core.scans.canonical.icp`).

    scan_points:  the scan is thinned on a voxel grid to about this many points before registration.
    starts_scale: template sizes tried per start, as the ratio of the scan's robust spread to the template face's
                  (1 = a face crop; larger = a whole head, head and shoulders).
    stages:       per stage [template points, iterations, starts kept after it, scale step]; the first runs the
                  starts with a fixed scale, the later ones refine the best with a free scale and both directions,
                  the last on the full-resolution scan around the face. A scale step s > 0 first triples each
                  start, its scale times 1 - s, 1, 1 + s (a nearest-point ICP moves its scale slowly).
    prescreen:    starts the first stage iterates: all are scored as they start, the best this many go on.
    keep:         fraction of correspondences kept per direction and iteration (the rest, hair, holes, neck,
                  spurious points, is trimmed).
    min_neighbours: a scan point with fewer neighbours (within three point spacings) than this fraction of the
                  median count is dropped as spurious before registration.
    """

    scan_points: int = 3000
    starts_scale: tuple[float, ...] = (1.0, 1.45, 2.1, 3.0)
    stages: tuple[tuple[int, int, int, float], ...] = ((40, 5, 8, 0.0), (150, 8, 2, 0.0), (400, 10, 1, 0.08))
    prescreen: int = 80
    keep: float = 0.8
    min_neighbours: float = 0.2

    def __post_init__(self) -> None:
        _positive("registration.scan_points", self.scan_points, integer=True, lo=49, hi=200000)
        scales = tuple(self.starts_scale) if isinstance(self.starts_scale, (list, tuple)) else None
        if not scales:
            raise ValueError(f"registration.starts_scale must be a non-empty list of ratios, got {self.starts_scale!r}")
        for s in scales:
            _positive("registration.starts_scale", s, hi=100.0)
        object.__setattr__(self, "starts_scale", tuple(float(s) for s in scales))
        stages = []
        if not isinstance(self.stages, (list, tuple)) or not self.stages:
            raise ValueError(f"registration.stages must be a non-empty list of [points, iterations, kept, scale "
                             f"step], got {self.stages!r}")
        for st in self.stages:
            if not isinstance(st, (list, tuple)) or len(st) != 4:
                raise ValueError(f"registration.stages: each stage is [points, iterations, kept, scale step], "
                                 f"got {st!r}")
            for name, v in zip(("points", "iterations", "kept"), st[:3]):
                _positive(f"registration.stages {name}", v, integer=True, hi=100000)
            _positive("registration.stages scale step", st[3], lo=-1e-12, hi=0.5)
            stages.append((int(st[0]), int(st[1]), int(st[2]), float(st[3])))
        object.__setattr__(self, "stages", tuple(stages))
        _positive("registration.keep", self.keep, lo=0.2, hi=1.0)
        _positive("registration.prescreen", self.prescreen, integer=True, hi=100000)
        _positive("registration.min_neighbours", self.min_neighbours, lo=-1e-12, hi=1.0)


@dataclass(frozen=True)
class CanonicalSettings:
    """How a scan becomes a canonical face (:func:`core.scans.canonical.canonicalize`).

    orientation:  "auto" (registration searches every rotation), a preset of :data:`core.scans.ORIENTATIONS`
                  ("y-up", "z-up", ...: the rotation search is skipped, the fit still refines it, scales and crops),
                  or "none" (no registration: the scan is framed by its bounding box as before canonical faces).
    crop:         keep only the points within ``radius_mm`` of the nose tip.
    radius_mm:    the crop sphere's radius, millimetres (the 3D FER literature's ~90 mm); also the framing of the
                  rendered views (the sphere's diameter is the image's scale).
    front_half:   also drop what the frontal camera cannot see (behind the face's front surface), e.g. under the
                  chin and behind the ears.
    template:     the template face the scan is registered to ("ict": the ICT Face Model's neutral face).
    max_residual_mm: a fit whose trimmed RMS distance (template face -> scan) exceeds this is "no face found".
    min_coverage: fraction of the template face that must have scan surface within ``near_mm``.
    max_nose_mm:  the template's nose landmarks (bridge, tip, nostrils) must lie within this of the scan (median).
    near_mm:      distance under which a template point counts as covered.
    registration: the ICP's own settings (:class:`RegistrationSettings`).
    """

    orientation: str = AUTO
    crop: bool = True
    radius_mm: float = 90.0
    front_half: bool = False
    template: str = "ict"
    max_residual_mm: float = 3.0
    min_coverage: float = 0.6
    max_nose_mm: float = 5.0
    near_mm: float = 4.0
    registration: RegistrationSettings = field(default_factory=RegistrationSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "orientation", check_orientation(self.orientation, "canonical settings"))
        for name in ("crop", "front_half"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"canonical settings: {name} must be true or false, got {getattr(self, name)!r}")
        _positive("radius_mm", self.radius_mm, lo=1.0, hi=1000.0)
        _positive("max_residual_mm", self.max_residual_mm, hi=100.0)
        _positive("min_coverage", self.min_coverage, lo=-1e-12, hi=1.0)
        _positive("max_nose_mm", self.max_nose_mm, hi=100.0)
        _positive("near_mm", self.near_mm, hi=100.0)
        if self.template not in TEMPLATES:
            raise ValueError(f"canonical settings: unknown template {self.template!r} (known: {', '.join(TEMPLATES)})")
        reg = self.registration
        if isinstance(reg, dict):
            reg = dataclass_from_dict(RegistrationSettings, _tuples(reg), "canonical settings registration",
                                      "registration")
        if not isinstance(reg, RegistrationSettings):
            raise ValueError(f"canonical settings: registration must be an object, got {reg!r}")
        object.__setattr__(self, "registration", reg)
        for name in ("radius_mm", "max_residual_mm", "min_coverage", "max_nose_mm", "near_mm"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def registers(self) -> bool:
        """Whether scans are registered to the template (every orientation but "none")."""
        return self.orientation != NONE

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["registration"] = {k: _lists(v) for k, v in data["registration"].items()}
        return data

    @classmethod
    def from_dict(cls, data: Any, source: str = "canonical settings") -> CanonicalSettings:
        """Build from a dict; missing keys take the defaults, keys starting with "_" are comments, other unknown
        keys are a ValueError naming ``source``."""
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if not str(k).startswith("_")}
        return dataclass_from_dict(cls, data, source, "canonical settings")

    @classmethod
    def from_json(cls, path: str | Path) -> CanonicalSettings:
        return cls.from_dict(read_json_object(path, "canonical settings"), source=str(path))

    @classmethod
    def default(cls) -> CanonicalSettings:
        """resources/canonical.json (the dataclass defaults when the file is absent); read once per process."""
        return _default()

    def replace(self, **changes: Any) -> CanonicalSettings:
        """A copy with the given fields changed (None leaves a field as it is); validated."""
        data = self.to_dict()
        data.update({k: v for k, v in changes.items() if v is not None})
        return self.from_dict(data)

    def key(self) -> str:
        """Short hash (12 hex digits) of every setting: equal settings, equal key."""
        payload = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def _default() -> CanonicalSettings:
    from core.resources import resources_dir

    try:
        path = resources_dir() / DEFAULT_CANONICAL_JSON
    except FileNotFoundError:
        return CanonicalSettings()
    return CanonicalSettings.from_json(path) if path.is_file() else CanonicalSettings()


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if isinstance(out.get("stages"), list):
        out["stages"] = tuple(tuple(s) if isinstance(s, list) else s for s in out["stages"])
    if isinstance(out.get("starts_scale"), list):
        out["starts_scale"] = tuple(out["starts_scale"])
    return out


def _lists(value: Any) -> Any:
    return [_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


__all__ = ["AUTO", "NONE", "CanonicalSettings", "RegistrationSettings", "check_orientation", "orientation_choices"]
