"""Is there a face? The registered template's fit to the scan, judged by three numbers.

* residual_mm: RMS distance (mm) from the template's points to the scan, over the closest ``1 - TRIM`` of them
  (the rest may lie over holes, an open mouth, hair);
* coverage: fraction of the template's points with scan surface within ``near_mm``;
* nose: median distance of the template's nose landmarks (bridge, tip, nostrils) to the scan, the part of a face
  a sphere, a plane, a box or a hand cannot imitate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from core.scans.canonical.settings import CanonicalSettings
from core.scans.canonical.template import TemplateFace

#: Fraction of the template's points left out of the residual (the farthest from the scan).
TRIM = 0.2


@dataclass(frozen=True)
class FaceFlag:
    """What a user of the result needs to know: ok, residual_mm, reason ('' when ok)."""

    ok: bool
    residual_mm: float
    reason: str = ""

    def to_dict(self) -> dict:
        r = self.residual_mm
        return {"ok": bool(self.ok), "residual_mm": round(float(r), 3) if np.isfinite(r) else None,
                "reason": self.reason}

    def warning(self) -> str:
        """The sentence a window shows when no face was found ('' when ok)."""
        if self.ok:
            return ""
        return f"{self.reason} — the probabilities below are unreliable"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    residual_mm: float
    coverage: float
    nose_mm: float
    reason: str


def judge(template: TemplateFace, tree: cKDTree, settings: CanonicalSettings) -> Verdict:
    """Judge the fit: ``tree`` holds the scan's points in the template's (canonical, unshifted) frame."""
    d, _ = tree.query(template.points)
    kept = np.sort(d)[: max(1, int(round((1.0 - TRIM) * len(d))))]
    residual = float(np.sqrt(np.mean(kept**2)))
    coverage = float(np.mean(d <= settings.near_mm))
    dn, _ = tree.query(template.nose)
    nose = float(np.median(dn))
    reasons = []
    if residual > settings.max_residual_mm:
        reasons.append(f"residual {residual:.1f} mm (limit {settings.max_residual_mm:g})")
    if coverage < settings.min_coverage:
        reasons.append(f"the scan covers {100 * coverage:.0f} % of the template face (at least "
                       f"{100 * settings.min_coverage:.0f} % needed)")
    if nose > settings.max_nose_mm:
        reasons.append(f"no nose where the face's nose would be ({nose:.1f} mm off, limit {settings.max_nose_mm:g})")
    reason = "no face found: " + "; ".join(reasons) if reasons else ""
    return Verdict(not reasons, residual, coverage, nose, reason)
