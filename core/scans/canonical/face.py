"""canonicalize(): a scan in any units, pose and extent -> the face crop in canonical coordinates.

Canonical coordinates: millimetres, the nose tip at the origin, the face looking along +z, +y up, +x the subject's
left. ``transform`` (4, 4) maps homogeneous input coordinates to canonical ones; it is a similarity
``x_c = k * R @ x + t`` (k = millimetres per input unit, from the registration's scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from core.scans.canonical.crop import crop_scan
from core.scans.canonical.quality import FaceFlag, judge
from core.scans.canonical.icp import Registration, RegistrationError, fit_similarity, register
from core.scans.canonical.settings import CanonicalSettings
from core.scans.canonical.template import TemplateFace, load_template
from core.scans.normalize import ORIENTATIONS
from core.scans.types import Scan

#: Radius (mm) of the template's nose patch fitted to find the scan's nose tip; its ICP iterations; the
#: fraction of closest pairs kept per iteration.
NOSE_PATCH_MM, TIP_ITERATIONS, TIP_KEEP = 15.0, 10, 0.9
#: The nose fit may move the tip at most this far (mm) from the global fit's.
TIP_SEARCH_MM = 10.0


@dataclass(frozen=True, eq=False)
class CanonicalFace:
    """A scan's face in canonical coordinates (see the module docstring).

    scan:        the face crop (or the whole scan, crop off) in canonical coordinates; faces are kept where all
                 three vertices are kept; ``source`` as the input's.
    transform:   (4, 4) float64, homogeneous input coordinates -> canonical (a similarity).
    nose_tip:    (3,) float64, the nose tip in the input's coordinates.
    residual_mm: trimmed RMS distance of the template face to the scan after registration, millimetres.
    ok:          whether a face was found; reason: why not ('' when ok).
    settings:    the settings used.
    """

    scan: Scan
    transform: np.ndarray
    nose_tip: np.ndarray
    residual_mm: float
    ok: bool
    reason: str
    settings: CanonicalSettings
    coverage: float = float("nan")

    @property
    def flag(self) -> FaceFlag:
        return FaceFlag(self.ok, self.residual_mm, self.reason)

    @property
    def mm_per_unit(self) -> float:
        """Millimetres per input unit (the transform's scale)."""
        return float(np.cbrt(abs(np.linalg.det(self.transform[:3, :3]))))

    def to_canonical(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) input coordinates -> canonical (float64)."""
        p = np.asarray(points, dtype=np.float64)
        return p @ self.transform[:3, :3].T + self.transform[:3, 3]

    def apply(self, scan: Scan) -> Scan:
        """Another scan in this face's frame (e.g. a later frame of the same sequence): transformed with
        ``transform`` and cropped like this face (same sphere around the origin)."""
        moved = Scan(self.to_canonical(scan.vertices), scan.faces, scan.source)
        return crop_scan(moved, self.settings) if self.settings.crop else moved

    def to_dict(self) -> dict:
        """JSON-ready: ok, residual_mm, reason, nose_tip (input coordinates), mm_per_unit, transform."""
        return {**self.flag.to_dict(), "nose_tip": [round(float(v), 6) for v in self.nose_tip],
                "mm_per_unit": self.mm_per_unit, "transform": self.transform.tolist()}


def _similarity_matrix(reg: Registration, tip_template: np.ndarray) -> np.ndarray:
    """4x4 input -> canonical for ``x_c = R^T (x - t) / s - tip``."""
    m = np.eye(4)
    m[:3, :3] = reg.rotation.T / reg.scale
    m[:3, 3] = -(reg.rotation.T @ reg.translation) / reg.scale - tip_template
    return m


def refine_tip(canonical_points: np.ndarray, template: TemplateFace, tree: cKDTree | None = None) -> np.ndarray:
    """The scan's nose tip near the registered template's (the origin): the template's nose (its points within
    NOSE_PATCH_MM of the tip) fitted rigidly onto the scan by trimmed ICP, and the template's nose-tip landmark
    carried along. The global fit cannot follow a nose's own length and height (they vary between people by
    more than the face's outline does); the front-most point instead would wander several millimetres over a
    broad nose tip with a degree of pitch or a little noise. The origin when the fit wanders off."""
    p = canonical_points
    tree = tree if tree is not None else cKDTree(p)
    patch = template.points[np.einsum("ij,ij->i", template.points, template.points) <= NOSE_PATCH_MM**2]
    rot, t = np.eye(3), np.zeros(3)
    for _ in range(TIP_ITERATIONS):
        d, idx = tree.query(patch @ rot.T + t)
        keep = d <= np.quantile(d, TIP_KEEP)
        if keep.sum() < 10:
            return np.zeros(3)
        rots, _, ts = fit_similarity(patch[keep][None], p[idx[keep]][None], np.ones((1, int(keep.sum()))),
                                     np.ones(1), free=False)
        rot, t = rots[0], ts[0]
    if not np.all(np.isfinite(t)) or np.linalg.norm(t) > TIP_SEARCH_MM:
        return np.zeros(3)
    return t


def canonicalize(scan: Scan, settings: CanonicalSettings | None = None,
                 template: TemplateFace | None = None) -> CanonicalFace:
    """The canonical face of ``scan`` (see :class:`CanonicalFace`).

    Never raises for a readable scan: a scan with no face in it (a sphere, a plane, a hand, random points, too
    few points) comes back with ``ok == False`` and a plain ``reason``, its transform the best fit found (or the
    bounding-box framing when nothing could be fitted). ModelFileError (a ValueError) when the template face
    model's files are missing. settings.orientation "none" is refused here (that mode skips canonical faces).
    """
    settings = settings or CanonicalSettings.default()
    if not settings.registers:
        raise ValueError("canonicalize: orientation 'none' means no canonical face (the scan is framed by its "
                         "bounding box); use a preset or 'auto'")
    if not isinstance(scan, Scan):
        raise ValueError(f"canonicalize: expected a Scan, got {type(scan).__name__}")
    template = template or load_template(settings.template)
    preset = None if settings.orientation == "auto" else ORIENTATIONS[settings.orientation]
    verts = scan.vertices.astype(np.float64)
    try:
        reg = register(verts, template, settings.registration, preset)
    except RegistrationError as exc:
        return _unregistered(scan, settings, str(exc))
    m = _similarity_matrix(reg, np.zeros(3))
    moved = verts @ m[:3, :3].T + m[:3, 3]
    tree = cKDTree(moved)
    verdict = judge(template, tree, settings)
    tip = refine_tip(moved, template, tree)
    m[:3, 3] -= tip
    nose_in = (np.linalg.inv(m) @ np.array([0.0, 0.0, 0.0, 1.0]))[:3]
    canonical = Scan(moved - tip, scan.faces, scan.source)
    if settings.crop:
        canonical = crop_scan(canonical, settings)
    return CanonicalFace(canonical, m, nose_in, verdict.residual_mm, verdict.ok, verdict.reason, settings,
                         verdict.coverage)


def _unregistered(scan: Scan, settings: CanonicalSettings, reason: str) -> CanonicalFace:
    """No fit at all: the scan as it is, centred on its bounding box (units unknown, so unscaled)."""
    v = scan.vertices.astype(np.float64)
    centre = (v.min(axis=0) + v.max(axis=0)) / 2.0
    m = np.eye(4)
    m[:3, 3] = -centre
    moved = Scan(v - centre, scan.faces, scan.source)
    return CanonicalFace(moved, m, centre, float("inf"), False, f"no face found: {reason}", settings, 0.0)
