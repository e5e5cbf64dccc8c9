"""Evidence on the mesh (core.explain): seconds per 3D scan and per 4D sequence, and the sanity figures.

    python benchmarks/bench_explain.py [--checkpoint resources/models/default/model.ckpt] [--subjects 4] [--seed 302]
                                       [--aus AU1,AU4,AU9,AU12,AU15,AU26] [--repeats 3] [--method gradcam]
                                       [--min-grid 4] [--skip-timing] [--skip-sanity]

Timing (the model already loaded, as in the app; CPU): ``saliency(analyzer, x, None)`` to the vertex values (canonical
face, three views, depth images, one forward + backward, mapping), from the file (reading included) and from the
scan or frames already read (what the app holds when it asks for the evidence), on BU-3DFE-like ICT faces
written as .obj (the ICT crop, ~9,600 vertices, and the same faces subdivided once, ~38,000 vertices, the size of a
BU-3DFE scan), and on 16-frame .npz sequences (neutral -> the AU, 8 frames sampled as the default model does);
median and min over faces x repeats. Goal (issue 15): <= 1 s per 3D scan on 2 cores.

Sanity (Adebayo et al.; core.explain.sanity): ``--subjects`` BU-3DFE-like ICT subjects of ``--seed`` (302; the
method and layer were chosen on seed 301), each AU of ``--aus`` alone at full intensity, explaining the class whose
prototype requires it (AU12 -> happiness, ...). Per AU: the ratio of the top-10 % saliency vertices inside the moving
region to chance (mean and range over subjects), chance itself, the same ratio of the neutral face's map (control:
does the AU draw the map, or does the model look there anyway?) and of the randomised model's map; then Spearman's
rho between the trained and the randomised model's maps (visual tower re-initialised).
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

from core.explain import ExplainSettings, saliency  # noqa: E402
from core.explain.sanity import au_faces, check_faces, randomised_model  # noqa: E402
from core.inference.analyzer import Analyzer  # noqa: E402

DEFAULT_AUS = "AU1,AU4,AU9,AU12,AU15,AU26"


def write_inputs(folder: Path, seed: int, n: int) -> tuple[list[Path], list[Path], list[Path]]:
    """(ICT face crops .obj, the same subdivided once .obj, 16-frame neutral -> AU12 / AU26 sequences .npz)."""
    import trimesh

    faces = au_faces(["AU12", "AU26"], n, seed=seed)
    small, large, sequences = [], [], []
    for k, face in enumerate(faces):
        v, f = face.active.vertices, face.active.faces
        small.append(folder / f"face_{k}.obj")
        trimesh.Trimesh(v, f, process=False).export(small[-1])
        sv, sf = trimesh.remesh.subdivide(v, f)
        large.append(folder / f"face_{k}_x4.obj")
        trimesh.Trimesh(sv, sf, process=False).export(large[-1])
        t = np.sin(np.linspace(0.0, np.pi / 2, 16))[:, None, None]
        frames = face.neutral.vertices[None] + t * (face.active.vertices - face.neutral.vertices)[None]
        sequences.append(folder / f"sequence_{k}.npz")
        np.savez(sequences[-1], vertices=frames.astype(np.float32), faces=f)
    return small, large, sequences


def time_inputs(analyzer: Analyzer, paths: list[Path], repeats: int,
                settings: ExplainSettings) -> tuple[list[float], list[float]]:
    """(seconds of saliency from the file, seconds of saliency from the scan or frames already read, as an app
    holds them) per run."""
    from core import scans

    saliency(analyzer, paths[0], None, settings)  # warm: the thread's renderer, the template face
    from_file, in_memory = [], []
    for _ in range(repeats):
        for path in paths:
            t0 = time.perf_counter()
            saliency(analyzer, path, None, settings)
            from_file.append(time.perf_counter() - t0)
            read = list(scans.load_sequence(path)) if path.suffix == ".npz" else scans.load(path)
            t0 = time.perf_counter()
            saliency(analyzer, read, None, settings)
            in_memory.append(time.perf_counter() - t0)
    return from_file, in_memory


def report_times(what: str, seconds: tuple[list[float], list[float]], vertices: int) -> None:
    from_file, in_memory = seconds
    print(f"  {what:<42} from the file {np.median(from_file):5.3f} s median ({min(from_file):.3f} min); "
          f"already read {np.median(in_memory):5.3f} s ({min(in_memory):.3f}); {len(from_file)} runs, "
          f"{vertices:,} vertices")


def sanity(analyzer: Analyzer, args: argparse.Namespace, settings: ExplainSettings) -> None:
    aus = [a.strip() for a in args.aus.split(",") if a.strip()]
    faces = au_faces(aus, args.subjects, seed=args.seed)
    checks = check_faces(analyzer, faces, randomised_model(analyzer.model, seed=0), settings)
    print(f"\nsanity: {args.subjects} ICT subjects (seed {args.seed}) x {len(aus)} AUs, {settings.method} on the "
          f"deepest map of >= {settings.min_grid} cells; top 10 % of the seen vertices")
    print(f"  {'AU':<5} {'class':<10} {'P(class)':>8} {'chance':>7} {'ratio (min..max)':>19} {'neutral':>8} "
          f"{'random':>7} {'rho':>6}")
    for au in aus:
        rows = [c for c in checks if c.au == au]
        ratios = [c.ratio for c in rows]
        print(f"  {au:<5} {rows[0].class_name:<10} {np.mean([c.probability for c in rows]):8.2f} "
              f"{np.mean([c.chance for c in rows]):7.3f} {np.mean(ratios):6.2f} ({min(ratios):.2f}..{max(ratios):.2f})"
              f" {np.mean([c.control_ratio for c in rows]):8.2f} {np.mean([c.random_ratio for c in rows]):7.2f} "
              f"{np.nanmean([c.rho for c in rows]):6.2f}")
    ratios = np.array([c.ratio for c in checks])
    rhos = np.array([c.rho for c in checks])
    control, rand = np.mean([c.control_ratio for c in checks]), np.mean([c.random_ratio for c in checks])
    print(f"  all {len(checks)} faces: ratio {ratios.mean():.2f} (median {np.median(ratios):.2f}; > 1 on "
          f"{(ratios > 1).sum()} of {len(ratios)}, >= 2 on {(ratios >= 2).sum()}), neutral control "
          f"{control:.2f}, randomised model {rand:.2f}")
    print(f"  rank correlation trained vs randomised weights: Spearman rho {np.nanmean(rhos):.2f} mean, "
          f"{np.nanmedian(rhos):.2f} median, {np.nanmin(rhos):.2f}..{np.nanmax(rhos):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "resources" / "models" / "default" / "model.ckpt"))
    parser.add_argument("--subjects", type=int, default=4)
    parser.add_argument("--seed", type=int, default=302)
    parser.add_argument("--aus", default=DEFAULT_AUS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--method", default=None, help="override resources/explain.json's method")
    parser.add_argument("--min-grid", type=int, default=None, help="override resources/explain.json's min_grid")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-sanity", action="store_true")
    args = parser.parse_args()
    import torch

    settings = ExplainSettings.default()
    changes = {k: v for k, v in (("method", args.method), ("min_grid", args.min_grid)) if v is not None}
    settings = settings.replace(**changes) if changes else settings
    t0 = time.perf_counter()
    analyzer = Analyzer(args.checkpoint, device="cpu")
    print(f"model {args.checkpoint}: {analyzer.model_config.backbone}, {analyzer.render_config.n_views} views of "
          f"{analyzer.render_config.size} px, loaded in {time.perf_counter() - t0:.1f} s; torch threads "
          f"{torch.get_num_threads()}; settings {settings.to_dict()}")
    if not args.skip_timing:
        from core import scans

        with tempfile.TemporaryDirectory() as tmp:
            small, large, sequences = write_inputs(Path(tmp), seed=args.seed + 1000, n=2)
            print("seconds per input (the model loaded):")
            report_times("3D scan, ICT face crop (.obj)", time_inputs(analyzer, small, args.repeats, settings),
                         len(scans.load(small[0]).vertices))
            report_times("3D scan, subdivided (.obj)", time_inputs(analyzer, large, args.repeats, settings),
                         len(scans.load(large[0]).vertices))
            report_times("4D sequence, 16 frames (.npz, 8 sampled)",
                         time_inputs(analyzer, sequences, args.repeats, settings),
                         len(scans.load(small[0]).vertices))
    if not args.skip_sanity:
        sanity(analyzer, args, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
