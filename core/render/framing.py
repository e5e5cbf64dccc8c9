"""Framing: what the renderer draws of a scan, and where the camera looks.

By default every scan becomes its canonical face first (:func:`core.scans.canonical.canonicalize`: millimetres,
the nose tip at the origin, +z forward, +y up, cropped to a sphere around the nose tip), which is then framed the
same way for every scan: ``p -> (p - (0, 0, -radius_mm / 2)) / (2 * radius_mm)``, so the crop sphere's diameter is
one normalised unit (the image shows 1.1 of them, :data:`core.render.views.HALF_HEIGHT`) and the views turn
about a point half the crop radius behind the nose tip. A whole head, a torso or a face crop all fill the frame
with the face alike. With ``orientation`` "none" the scan is framed by its bounding box as before canonical faces
(:func:`core.scans.normalization`) and no face is looked for.

A 4D sequence uses its first rendered frame's transform (and crop sphere) for every frame, so the motion stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core import scans as _scans
from core.scans.canonical import CanonicalFace, CanonicalSettings, FaceFlag, canonicalize
from core.scans.normalize import Normalization
from core.scans.types import Scan


def canonical_framing(settings: CanonicalSettings) -> Normalization:
    """The fixed normalisation of canonical faces (see the module docstring)."""
    r = settings.radius_mm
    return Normalization(centre=np.array([0.0, 0.0, -r / 2.0]), scale=1.0 / (2.0 * r), rotation=np.eye(3))


@dataclass(frozen=True, eq=False)
class Framed:
    """Frames ready for :meth:`core.render.SurfaceGeometry.from_scan` (normalised), and the canonical face of the
    first one (None with orientation "none")."""

    frames: tuple[Scan, ...]
    face: CanonicalFace | None

    @property
    def flag(self) -> FaceFlag | None:
        """ok / residual_mm / reason of the face search; None when no face was looked for."""
        return None if self.face is None else self.face.flag


def frame_scans(frames: Sequence[Scan], settings: CanonicalSettings | None = None) -> Framed:
    """Normalise ``frames`` (one scan, or a sequence's frames to render) for the renderer under one transform:
    the first frame's canonical face (or bounding box, orientation "none")."""
    frames = list(frames)
    if not frames:
        raise ValueError("nothing to frame: no scans given")
    settings = settings if settings is not None else CanonicalSettings.default()
    if not settings.registers:
        norm = _scans.normalization(frames[0])
        return Framed(tuple(norm.apply(f) for f in frames), None)
    return frame_with_face(frames, canonicalize(frames[0], settings))


def frame_with_face(frames: Sequence[Scan], face: CanonicalFace) -> Framed:
    """:func:`frame_scans` of ``frames`` when the canonical face of their first frame is already known (``face``,
    found with the settings to frame with): the same frames without searching for the face again (a few tenths of
    a second), e.g. for an app that found it when it opened the scan."""
    frames = list(frames)
    if not frames:
        raise ValueError("nothing to frame: no scans given")
    framing = canonical_framing(face.settings)
    out = [framing.apply(face.scan)] + [framing.apply(face.apply(f)) for f in frames[1:]]
    return Framed(tuple(out), face)


def frame_scan(scan: Scan, settings: CanonicalSettings | None = None) -> Framed:
    """:func:`frame_scans` of one scan."""
    return frame_scans([scan], settings)
