"""Canonical faces: find the face in a scan, orient it, scale it to millimetres, crop it.

``canonicalize(scan, settings) -> CanonicalFace`` registers the template face (the ICT Face Model's neutral face,
:mod:`~core.scans.canonical.template`) onto the scan with a multi-start robust similarity ICP
(:mod:`~core.scans.canonical.icp`), judges whether what it found is a face (:mod:`~core.scans.canonical.quality`),
finds the nose tip and crops a sphere around it (:mod:`~core.scans.canonical.crop`). Settings are data:
:class:`CanonicalSettings`, defaults in resources/canonical.json.

The convention: millimetres, the nose tip at the origin, the face looking along +z, +y up, +x the subject's left.
A sequence keeps its first frame's transform for every frame (``face.apply(frame)``), so the motion stays.
"""

from core.scans.canonical.face import CanonicalFace, canonicalize, refine_tip
from core.scans.canonical.quality import FaceFlag
from core.scans.canonical.icp import Registration, RegistrationError, register
from core.scans.canonical.settings import (AUTO, NONE, CanonicalSettings, RegistrationSettings, check_orientation,
                                           orientation_choices)
from core.scans.canonical.template import TemplateFace, load_template

__all__ = [
    "AUTO",
    "NONE",
    "CanonicalFace",
    "CanonicalSettings",
    "FaceFlag",
    "Registration",
    "RegistrationError",
    "RegistrationSettings",
    "TemplateFace",
    "canonicalize",
    "check_orientation",
    "load_template",
    "orientation_choices",
    "refine_tip",
    "register",
]
