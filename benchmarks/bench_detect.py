"""Layout detection and folder inputs on a full-size data-set tree (prints the figures; no pass/fail exit status).

    python benchmarks/bench_detect.py [--subjects 101] [--frames 100]

Builds a BU-4DFE-sized tree of empty frame files in a temporary folder (default 101 subjects x 6 expressions x 100
frames = 60,600 files, plus a texture beside every frame: detection reads names only) and a BU-3DFE-sized one
(100 subjects x 25 models, with their _RAW and _F2D siblings), then times core.datasets.detect.detect_layout
(stops after SAMPLE_LIMIT scan files) and core.inference.batch_inputs.folder_inputs (detection + the full index).
Goal: opening a data-set folder with Auto-detect costs well under a second more than indexing it in a chosen layout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.datasets import index_dataset  # noqa: E402
from core.datasets.detect import SAMPLE_LIMIT, detect_layout  # noqa: E402
from core.inference.batch_inputs import folder_inputs  # noqa: E402

EXPRESSIONS = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise")
BU3DFE_CODES = [f"{c}{i:02d}" for c in ("AN", "DI", "FE", "HA", "SA", "SU") for i in range(1, 5)] + ["NE00"]


def build_bu4dfe(root: Path, subjects: int, frames: int) -> int:
    n = 0
    for s in range(subjects):
        for expression in EXPRESSIONS:
            folder = root / f"{'FM'[s % 2]}{s:03d}" / expression
            folder.mkdir(parents=True)
            for i in range(frames):
                (folder / f"{i:03d}.wrl").touch()
                (folder / f"{i:03d}.bmp").touch()
                n += 2
    return n


def build_bu3dfe(root: Path, subjects: int) -> int:
    n = 0
    for s in range(subjects):
        subject = f"{'FM'[s % 2]}{s:04d}"
        (root / subject).mkdir(parents=True)
        for code in BU3DFE_CODES:
            for tag in ("F3D.wrl", "RAW.wrl", "F2D.bmp"):
                (root / subject / f"{subject}_{code}WH_{tag}").touch()
                n += 1
    return n


def timed(func, *args):
    t0 = time.perf_counter()
    out = func(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=101)
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, build, fmt in (("BU-4DFE", lambda r: build_bu4dfe(r, args.subjects, args.frames), "bu4dfe"),
                                 ("BU-3DFE", lambda r: build_bu3dfe(r, 100), "bu3dfe")):
            root = Path(tmp) / name
            n_files = build(root)
            detect_layout(root)  # warm the file-system cache, as a folder just chosen in a dialog is
            detection, t_detect = timed(detect_layout, root)
            found, t_inputs = timed(folder_inputs, root)
            _, t_index = timed(index_dataset, root, fmt)
            print(f"{name}: {n_files} files; detect_layout {1000 * t_detect:.0f} ms "
                  f"({detection.n_files} scan files looked at, limit {SAMPLE_LIMIT}) -> {detection.fmt}; "
                  f"folder_inputs {1000 * t_inputs:.0f} ms -> {len(found.inputs)} inputs; "
                  f"index_dataset alone {1000 * t_index:.0f} ms")


if __name__ == "__main__":
    main()
