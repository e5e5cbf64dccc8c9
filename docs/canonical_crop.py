"""The README's picture of a canonical face: a whole-head scan (ICT head and neck, stored z-up in metres), the nose
tip found on it, the 90 mm crop sphere and the part kept.

    python docs/canonical_crop.py [--out docs/canonical_crop.png]

Needs the ICT Face Model Light ($SMILE_ICT_DIR or ../shared/ict) and an offscreen VTK (EGL or Xvfb).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.scans import ORIENTATIONS  # noqa: E402
from core.scans.canonical import CanonicalSettings, canonicalize  # noqa: E402
from core.scans.canonical.crop import crop_mask  # noqa: E402
from core.scans.types import Scan  # noqa: E402
from core.synth.ict_model import find_and_load_ict  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "canonical_crop.png"))
    args = parser.parse_args()
    import pyvista as pv

    ict = find_and_load_ict()
    rng = np.random.default_rng(4)
    head = ict.neutral + np.tensordot(rng.normal(0, 0.8, 100).astype(np.float32), ict.identity_modes, axes=(0, 0))
    stored = (head.astype(np.float64) @ ORIENTATIONS["z-up"]) * 0.001  # as a z-up scanner in metres would store it
    scan = Scan(stored.astype(np.float32), ict.faces, "head")
    settings = CanonicalSettings.default()
    face = canonicalize(scan, settings)
    kept = crop_mask(face.to_canonical(scan.vertices), settings)
    faces = np.asarray(ict.faces, dtype=np.int64)
    mesh = pv.PolyData(stored, np.hstack([np.full((len(faces), 1), 3), faces]).ravel())
    mesh["kept"] = kept.astype(float)
    radius = settings.radius_mm / face.mm_per_unit
    plotter = pv.Plotter(off_screen=True, window_size=(900, 700))
    plotter.set_background("white")
    plotter.add_mesh(mesh, scalars="kept", cmap=["#c8c8c8", "#f0a860"], show_scalar_bar=False, smooth_shading=True)
    plotter.add_mesh(pv.Sphere(radius=radius, center=face.nose_tip, theta_resolution=36, phi_resolution=24),
                     style="wireframe", color="#3070c0", opacity=0.35, line_width=1)
    plotter.add_mesh(pv.Sphere(radius=radius * 0.035, center=face.nose_tip), color="#d02020")
    plotter.add_text(f"stored z-up in metres; face found: {face.ok}, residual {face.residual_mm:.2f} mm, "
                     f"{face.mm_per_unit:.0f} mm/unit\norange: the {settings.radius_mm:g} mm crop around the nose tip "
                     f"(red); blue: the crop sphere", font_size=10, color="black")
    # look at the head from its front-left, in the stored (z-up) frame
    front = ORIENTATIONS["z-up"].T @ np.array([0.45, 0.1, 1.0])
    up = ORIENTATIONS["z-up"].T @ np.array([0.0, 1.0, 0.0])
    centre = stored.mean(axis=0)
    plotter.camera.position = tuple(centre + front / np.linalg.norm(front) * 0.9)
    plotter.camera.focal_point = tuple(centre)
    plotter.camera.up = tuple(up)
    plotter.screenshot(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
