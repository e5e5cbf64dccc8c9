"""Difficulty calibration of the synthetic sets: the fixed simple baseline (core.synth.baseline) on each set.

    python benchmarks/synth_baseline.py [--face-model ict|sfm] [--sets bu3dfe,bu4dfe,4dme,bp4d,bosphorus,heads]
        [--subjects 20] [--subjects-bu3dfe N] [--subjects-bu4dfe N] [--subjects-4dme N] [--frames-4d T]
        [--stride S] [--workers 2] [--seed 0] [--data-dir DIR] [--json results.json] [--face-model-dir DIR]
        [--settings FILE]

For each set: generate it (or reuse ``DIR/<set>`` when --data-dir holds it; otherwise it is generated
there, or in a temporary folder), index it with core.datasets, extract the baseline features once, run
subject-independent 10-fold cross-validation (StratifiedGroupKFold) and print accuracy +/- s.d. over folds
and chance (share of the most frequent class). BU-3DFE gives two figures from one set: subset1 (six
expressions, intensities 3-4) and subset2 (all four intensities); so does heads (whole heads, ICT only:
aligned to the whole-head mean, resampled on its face, the BU-3DFE field of view).
BP4D: the eight tasks' emotions. The baseline's template is the face model's mean face (ICT: cut to the
set's field of view). The target band is 60-95 %. Default sets: bu3dfe, bu4dfe, 4dme (SFM); every set (ICT).

4D sets: --frames-4d overrides the frames per sequence (fewer frames keep the run short) and --stride
is BaselineConfig.frame_stride (every S-th frame is resampled; default 2 for bu4dfe, whose expressions last tens of
frames, and 1 for 4dme, whose micro-expressions last 3-8 frames). The figures go to --json (default
synth_baseline.json in the current folder).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.datasets import index_dataset  # noqa: E402
from core.synth.baseline import BaselineConfig, BaselineResult, cross_validate, extract_features  # noqa: E402
from core.synth.config import load_config  # noqa: E402
from core.synth.face_models import baseline_template, load_face_model  # noqa: E402
from core.synth.runner import INFO_FILE, RunConfig, generate  # noqa: E402

SETS = ("bu3dfe", "bu4dfe", "4dme", "bp4d", "bosphorus", "heads")
DEFAULT_SETS = {"sfm": ("bu3dfe", "bu4dfe", "4dme"), "ict": SETS}
BAND = (0.60, 0.95)
#: Default frame stride of the baseline per 4D set.
DEFAULT_STRIDE = {"bu4dfe": 2, "4dme": 1, "bp4d": 2}
#: Sets indexed from the manifest CSV they write.
CSV_SETS = {"4dme": "4dme.csv", "heads": "heads.csv"}


def _figures(name: str, result: BaselineResult, seconds: float, extra: dict) -> dict:
    folds = np.asarray(result.fold_accuracies)
    fig = {
        "set": name,
        "accuracy": result.accuracy,
        "fold_std": float(folds.std()),
        "fold_accuracies": list(result.fold_accuracies),
        "chance": result.chance,
        "n_samples": result.n_samples,
        "n_subjects": result.n_subjects,
        "classes": list(result.classes),
        "confusion": result.confusion.tolist(),
        "in_band": BAND[0] <= result.accuracy <= BAND[1],
        "seconds": round(seconds, 1),
    }
    fig.update(extra)
    status = "in band" if fig["in_band"] else "OUTSIDE 60-95 %"
    print(f"{name:16s} accuracy {100 * result.accuracy:5.1f} % +/- {100 * fig['fold_std']:4.1f} "
          f"(folds: {len(folds)}, chance {100 * result.chance:4.1f} %, {result.n_samples} samples, "
          f"{result.n_subjects} subjects, {seconds:.0f} s) {status}", flush=True)
    return fig


def _dataset(name: str, subjects: int, data_dir: Path, args: argparse.Namespace, model, config) -> Path:
    out = data_dir / name
    if (out / INFO_FILE).is_file():
        info = json.loads((out / INFO_FILE).read_text(encoding="utf-8"))
        print(f"{name}: reusing {out} ({info.get('subjects')} subjects, seed {info.get('seed')})", flush=True)
        return out
    result = generate(RunConfig(name, subjects, out, args.seed, args.workers), config, model)
    print(f"{name}: generated {result.n_files} files for {subjects} subjects in {result.seconds:.0f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--face-model", choices=("ict", "sfm"), default="ict")
    parser.add_argument("--sets", default=None, help=f"comma-separated subset of {', '.join(SETS)}")
    parser.add_argument("--subjects", type=int, default=20, help="subjects per set (default 20)")
    for name in SETS:
        parser.add_argument(f"--subjects-{name}", type=int, help=f"subjects of {name} (overrides --subjects)")
    parser.add_argument("--frames-4d", type=int, default=None, help="frames per 4D sequence (default: settings)")
    parser.add_argument("--stride", type=int, default=None,
                        help=f"baseline frame_stride for 4D sets (default: {DEFAULT_STRIDE})")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, help="reuse / keep the generated sets here")
    parser.add_argument("--json", type=Path, default=Path("synth_baseline.json"))
    parser.add_argument("--face-model-dir", help="the face model's folder (default: the usual search places)")
    parser.add_argument("--settings", type=Path, help="generator settings JSON (default resources/synth.json)")
    args = parser.parse_args(argv)
    chosen = args.sets if args.sets is not None else ",".join(DEFAULT_SETS[args.face_model])
    sets = [s.strip() for s in chosen.split(",") if s.strip()]
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)} (expected {', '.join(SETS)})")

    if args.face_model == "sfm" and "heads" in sets:
        parser.error("heads needs the ICT face model")
    model = load_face_model(args.face_model, args.face_model_dir)
    tmp = None
    if args.data_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="synth_baseline_"))
        data_dir = tmp
    else:
        data_dir = args.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
    figures: list[dict] = []
    try:
        for name in sets:
            subjects = getattr(args, f"subjects_{name}") or args.subjects
            start = time.perf_counter()
            overrides = {"frames": args.frames_4d} if name in DEFAULT_STRIDE and args.frames_4d else None
            config = load_config(name, args.settings, overrides, face_model=args.face_model)
            out = _dataset(name, subjects, data_dir, args, model, config)
            template = baseline_template(model, name, config)
            # whole heads: aligned to the whole head, resampled on the face (the BU-3DFE field of view)
            sample = (baseline_template(model, "bu3dfe", load_config("bu3dfe", args.settings, face_model="ict"))
                      if name == "heads" else None)
            if name in ("bu3dfe", "heads"):
                cfg = BaselineConfig(folds=args.folds, seed=args.seed)
                rows = (index_dataset(out, "bu3dfe", "subset2").rows if name == "bu3dfe"
                        else [r for r in index_dataset(out / CSV_SETS[name], "csv").rows if r.label != "neutral"])
                feats = extract_features(rows, template, cfg, args.workers, sample_points=sample)
                labels = [r.label for r in rows]
                groups = [r.subject for r in rows]
                top = np.array([r.intensity in (3, 4) for r in rows])
                seconds = time.perf_counter() - start
                for proto, keep in (("subset1", top), ("subset2", np.ones(len(rows), dtype=bool))):
                    res = cross_validate(feats[keep], [lab for lab, k in zip(labels, keep) if k],
                                         [g for g, k in zip(groups, keep) if k], cfg)
                    figures.append(_figures(f"{name}-{proto}", res, seconds, {"protocol": proto}))
                continue
            stride = (args.stride or DEFAULT_STRIDE[name]) if name in DEFAULT_STRIDE else 1
            cfg = BaselineConfig(folds=args.folds, seed=args.seed, frame_stride=stride)
            index = index_dataset(out / CSV_SETS[name], "csv") if name in CSV_SETS else index_dataset(out, name)
            feats = extract_features(index.rows, template, cfg, args.workers)
            res = cross_validate(feats, [r.label for r in index.rows], [r.subject for r in index.rows], cfg)
            extra = {"frame_stride": stride, "frames": index.rows[0].n_frames} if name in DEFAULT_STRIDE else {}
            figures.append(_figures(name, res, time.perf_counter() - start, extra))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"band": list(BAND), "seed": args.seed, "face_model": args.face_model,
                                     "results": figures}, indent=2) + "\n",
                         encoding="utf-8")
    print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
