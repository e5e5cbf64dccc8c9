"""The in-memory scan type and the error every reader raises."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ScanError(ValueError):
    """A scan file could not be read. The message names the file and the reason."""

    def __init__(self, path: object, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True, eq=False)
class Scan:
    """One 3D face scan.

    vertices: (V, 3) float32, in the units stored in the file (millimetres for the FER datasets).
    faces:    (F, 3) int64 triangle indices into ``vertices``, or ``None`` for a point cloud.
    source:   where it came from (a path, or a description for generated scans).
    decimated_from: (vertices, triangles) of the scan as stored when reading capped it (a dense mesh decimated,
              a dense point cloud thinned: :mod:`core.scans.limits`); None when it is as stored.
    """

    vertices: np.ndarray
    faces: np.ndarray | None
    source: str = ""
    decimated_from: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        v = np.asarray(self.vertices)
        if v.ndim != 2 or v.shape[1] != 3 or v.shape[0] == 0:
            raise ScanError(self.source, f"vertices must be a non-empty (V, 3) array, got shape {v.shape}")
        if v.dtype.kind not in "fiu":
            raise ScanError(self.source, f"vertex coordinates must be numbers, got dtype {v.dtype}")
        with np.errstate(over="ignore", invalid="ignore"):
            v32 = np.ascontiguousarray(v, dtype=np.float32)  # checked after the conversion: 1e39 becomes inf here
        if not np.all(np.isfinite(v32)):
            bad = "NaN or inf" if not np.all(np.isfinite(v)) else "a value outside the float32 range"
            raise ScanError(self.source, f"vertex coordinates contain {bad}")
        object.__setattr__(self, "vertices", v32)
        if self.faces is not None:
            f = np.asarray(self.faces)
            if f.ndim != 2 or f.shape[1] != 3:
                raise ScanError(self.source, f"faces must be an (F, 3) array, got shape {f.shape}")
            if f.size and f.dtype.kind not in "iu":
                if f.dtype.kind != "f" or not np.all(np.isfinite(f)) or not np.array_equal(f, np.round(f)):
                    raise ScanError(self.source, f"face indices must be integers, got dtype {f.dtype}")
            if f.size and (f.min() < 0 or f.max() >= v.shape[0]):
                raise ScanError(self.source, f"face indices out of range [0, {v.shape[0]})")
            object.__setattr__(self, "faces", np.ascontiguousarray(f, dtype=np.int64))

    @property
    def is_point_cloud(self) -> bool:
        return self.faces is None or len(self.faces) == 0

    @property
    def n_vertices(self) -> int:
        return int(self.vertices.shape[0])
