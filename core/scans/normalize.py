"""Normalising scans: a canonical orientation, the bounding box centred on the origin, largest extent 1.

Canonical orientation (how BU-3DFE, BU-4DFE, Bosphorus and the Surrey Face Model store faces): the face
looks along +z, towards a camera on the +z axis; +y is up; +x points to the subject's left, which is the
viewer's right. Right-handed.

``normalization(scan, orientation)`` measures a scan and returns a :class:`Normalization`:
``p -> scale * (rotation @ (p - centre))``, where ``rotation`` is the orientation fix (a preset from
:data:`ORIENTATIONS`), ``centre`` is the bounding-box centre (in the scan's own coordinates) and ``scale``
makes the largest bounding-box extent 1, so the result lies in [-0.5, 0.5]^3. A scan with zero extent
(a single point) keeps scale 1.

For a 4D sequence, measure the first frame and apply the same Normalization to every frame, so the
motion between frames is kept: ``ref = normalization(frames[0])`` then ``normalize(f, reference=ref)``
(or ``reference=frames[0]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.scans.types import Scan


def _fixed(matrix) -> np.ndarray:
    m = np.array(matrix, dtype=np.float64)
    m.flags.writeable = False
    return m


#: Orientation presets: rotation taking a scan stored in that convention to the canonical one
#: (face looking along +z, +y up). Each is a proper rotation (det +1); the arrays are read-only.
ORIENTATIONS: dict[str, np.ndarray] = {
    # y up, face looking along +z: already canonical.
    "y-up": _fixed(np.eye(3)),
    # y up, face looking along -z (turned away from a camera on +z): half turn about y.
    "y-up-back": _fixed(np.diag([-1.0, 1.0, -1.0])),
    # y down, face looking along -z (OpenCV camera frame, camera at the origin looking along +z): half turn
    # about x.
    "y-down": _fixed(np.diag([1.0, -1.0, -1.0])),
    # z up, face looking along -y: new y = old z, new z = -old y.
    "z-up": _fixed([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
    # z up, face looking along +y: new x = -old x, new y = old z, new z = old y.
    "z-up-back": _fixed([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
}


@dataclass(frozen=True, eq=False)
class Normalization:
    """``p -> scale * (rotation @ (p - centre))``.

    centre: (3,) float64, in the input scan's coordinates; scale: float; rotation: (3, 3) float64.
    """

    centre: np.ndarray
    scale: float
    rotation: np.ndarray

    def __post_init__(self) -> None:
        centre = np.array(self.centre, dtype=np.float64).reshape(3)
        rotation = np.array(self.rotation, dtype=np.float64).reshape(3, 3)
        centre.flags.writeable = False
        rotation.flags.writeable = False
        object.__setattr__(self, "centre", centre)
        object.__setattr__(self, "rotation", rotation)
        object.__setattr__(self, "scale", float(self.scale))

    def apply_points(self, points: np.ndarray) -> np.ndarray:
        """Transform points (..., 3); returns float64 of the same shape."""
        p = np.asarray(points, dtype=np.float64)
        return ((p - self.centre) @ self.rotation.T) * self.scale

    def apply(self, scan: Scan) -> Scan:
        """The scan with its vertices transformed; faces and source unchanged."""
        return Scan(self.apply_points(scan.vertices), scan.faces, scan.source)


def normalization(scan: Scan, orientation: str = "y-up") -> Normalization:
    """Measure ``scan``: orientation fix from the preset, bounding-box centre, scale to largest extent 1."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {orientation!r}; known: {', '.join(ORIENTATIONS)}")
    rotation = ORIENTATIONS[orientation]
    rotated = scan.vertices.astype(np.float64) @ rotation.T
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    extent = float(np.max(hi - lo))
    centre = rotation.T @ ((lo + hi) / 2.0)  # the box centre, back in the scan's coordinates
    return Normalization(centre=centre, scale=1.0 / extent if extent > 0 else 1.0, rotation=rotation)


def normalize(scan: Scan, reference: Scan | Normalization | None = None, orientation: str = "y-up") -> Scan:
    """Normalised copy of ``scan``.

    reference: None to measure ``scan`` itself; a Normalization to apply as is (``orientation`` is then
    ignored); or a Scan (e.g. a sequence's first frame) to measure instead of ``scan``.
    """
    if isinstance(reference, Normalization):
        return reference.apply(scan)
    return normalization(scan if reference is None else reference, orientation).apply(scan)
