"""ScanLimits: how large a scan may be once read, as data (defaults in resources/scans.json).

A face rendered at 112 px covers about 10,000 pixels, so millions of triangles add nothing to the views but
memory: every per-vertex array of the pipeline (canonical frame, normals, curvature, the renderer's buffers)
costs about 1.2 KB per vertex, 3 GB and more for a 2.6-million-vertex scan. :func:`core.scans.load` therefore
decimates a mesh with more than ``max_vertices`` vertices or ``max_faces`` triangles, and thins a point cloud
with more than ``max_points`` points, right after reading (:mod:`core.scans.decimate`). A 4D sequence shares
``max_sequence_vertices`` among its frames. An array inside a ``.npz`` that declares more than
``npz_member_bytes`` bytes is refused before it is inflated.

Every limit may be ``null`` in JSON (None): no limit. :meth:`ScanLimits.unlimited` switches them all off (the
scans come back exactly as stored, whatever their size).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object

DEFAULT_SCANS_JSON = "scans.json"

#: Smallest accepted vertex, triangle and point caps: below this a face is no longer recognisable.
MIN_CAP = 1000


@dataclass(frozen=True)
class ScanLimits:
    """Caps applied while reading scans (None: no cap).

    max_vertices:  a mesh with more vertices is decimated to at most this many.
    max_faces:     a mesh with more triangles is decimated to at most this many.
    max_points:    a point cloud with more points is thinned to at most this many.
    max_sequence_vertices: the frames of a 4D sequence together; each frame is capped at its share
                   (``max_sequence_vertices // frames``, never above ``max_vertices`` / ``max_points``).
    npz_member_bytes: an array in a ``.npz`` whose zip entry or .npy header declares more bytes is refused
                   before anything is inflated.
    """

    max_vertices: int | None = 200_000
    max_faces: int | None = 400_000
    max_points: int | None = 200_000
    max_sequence_vertices: int | None = 6_000_000
    npz_member_bytes: int | None = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            lowest = 1 if f.name == "npz_member_bytes" else MIN_CAP
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(f"scan limits: {f.name} must be null (no limit) or an integer >= {lowest}, "
                                 f"got {value!r}")

    @classmethod
    def unlimited(cls) -> ScanLimits:
        """No cap at all: scans come back as stored."""
        return cls(**{f.name: None for f in fields(cls)})

    def per_frame(self, n_frames: int) -> ScanLimits:
        """The limits of one frame of an ``n_frames`` sequence: its share of ``max_sequence_vertices`` caps
        ``max_vertices`` and ``max_points`` (and ``max_faces`` in proportion). ValueError when the share is
        below :data:`MIN_CAP` (too many frames to keep each one recognisable)."""
        if self.max_sequence_vertices is None or n_frames <= 1:
            return self
        share = self.max_sequence_vertices // n_frames
        if share < MIN_CAP:
            raise ValueError(f"{n_frames} frames are more than the scan limits allow: max_sequence_vertices "
                             f"{self.max_sequence_vertices} leaves {share} vertices per frame (< {MIN_CAP})")

        def capped(value: int | None, share: int) -> int:
            return share if value is None else min(value, share)

        return ScanLimits(max_vertices=capped(self.max_vertices, share),
                          max_faces=capped(self.max_faces, 2 * share),
                          max_points=capped(self.max_points, share),
                          max_sequence_vertices=None,
                          npz_member_bytes=self.npz_member_bytes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, source: str = "scan limits") -> ScanLimits:
        """Build from a dict; missing keys take the defaults, keys starting with "_" are comments, other unknown
        keys are a ValueError naming ``source``."""
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if not str(k).startswith("_")}
        return dataclass_from_dict(cls, data, source, "scan limits")

    @classmethod
    def from_json(cls, path: str | Path) -> ScanLimits:
        return cls.from_dict(read_json_object(path, "scan limits"), source=str(path))

    @classmethod
    def default(cls) -> ScanLimits:
        """resources/scans.json (the dataclass defaults when the file is absent); read once per process."""
        return _default()


@functools.lru_cache(maxsize=1)
def _default() -> ScanLimits:
    from core.resources import resources_dir

    try:
        path = resources_dir() / DEFAULT_SCANS_JSON
    except FileNotFoundError:
        return ScanLimits()
    return ScanLimits.from_json(path) if path.is_file() else ScanLimits()


__all__ = ["DEFAULT_SCANS_JSON", "MIN_CAP", "ScanLimits"]
