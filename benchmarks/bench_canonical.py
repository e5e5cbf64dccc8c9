"""Canonical faces: how long finding, orienting, scaling and cropping the face takes, next to loading the file.

    python benchmarks/bench_canonical.py [--repeats 7]

Two scans, each written to a temporary .ply in a random pose and in metres (as a user's file would be) and read
back with core.scans.load:
* a whole ICT head with neck, subdivided to ~50,000 vertices (the ICT Face Model Light from $SMILE_ICT_DIR or
  ../shared/ict);
* the 3,448-vertex Surrey Face Model mean face (../shared/sfm), when present.
Prints per scan the median (and min) seconds of ``core.scans.load`` and of ``canonicalize`` over the repeats, the
ratio of the two, and whether the face was found (goal: <= 150 ms for 50k vertices on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy.spatial.transform import Rotation  # noqa: E402

from core.scans import load  # noqa: E402
from core.scans.canonical import CanonicalSettings, canonicalize, load_template  # noqa: E402


def ict_head(target: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    from core.synth.ict_model import find_and_load_ict

    ict = find_and_load_ict()
    v, f = ict.neutral.astype(np.float64), np.asarray(ict.faces, dtype=np.int64)
    while len(v) < 0.8 * target:
        v, f = trimesh.remesh.subdivide(v, f)
    return v, f


def sfm_face() -> tuple[np.ndarray, np.ndarray] | None:
    try:
        from core.synth.model import find_and_load

        sfm = find_and_load()
    except (ValueError, ImportError):
        return None
    return sfm.mean, sfm.faces


def write_posed(v: np.ndarray, f: np.ndarray, path: Path, seed: int) -> None:
    import trimesh

    rot = Rotation.random(random_state=seed).as_matrix()
    posed = (v @ rot.T) * 0.001 + np.array([0.3, -1.2, 2.0])  # metres, turned, moved
    trimesh.Trimesh(posed, f, process=False).export(path)


def timed(fn, repeats: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.min(times)), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    settings = CanonicalSettings.default()
    template = load_template(settings.template)
    scans = [("ICT head, subdivided", ict_head())]
    face = sfm_face()
    if face is not None:
        scans.append(("SFM mean face", face))
    print(f"canonicalize (settings {settings.key()}, template {template.name}: {len(template.points)} points); "
          f"{args.repeats} repeats, median (min)")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, (v, f)) in enumerate(scans):
            path = Path(tmp) / f"scan{i}.ply"
            write_posed(v, f, path, seed=i)
            load_med, load_min, scan = timed(lambda: load(path), args.repeats)
            canonicalize(scan, settings, template)  # warm-up
            can_med, can_min, result = timed(lambda: canonicalize(scan, settings, template), args.repeats)
            print(f"  {name}: {scan.n_vertices} vertices ({path.stat().st_size / 1e6:.1f} MB ply)")
            print(f"    load          {1000 * load_med:7.1f} ms ({1000 * load_min:.1f})")
            print(f"    canonicalize  {1000 * can_med:7.1f} ms ({1000 * can_min:.1f})  = {can_med / load_med:.1f} x load; "
                  f"face found: {result.ok}, residual {result.residual_mm:.2f} mm, "
                  f"{result.mm_per_unit:.1f} mm per unit, crop {result.scan.n_vertices} vertices")
            if scan.n_vertices >= 40_000:
                goal = "met" if can_med <= 0.150 else "NOT met"
                print(f"    goal <= 150 ms for ~50k vertices: {goal}")


if __name__ == "__main__":
    main()
