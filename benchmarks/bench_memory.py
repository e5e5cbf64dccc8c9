"""Peak memory of reading, rendering and analysing a 2.6-million-vertex face scan, with the scan limits and without.

    python benchmarks/bench_memory.py [--vertices 2600000] [--paths read,render,render-whole,analyse]
                                      [--format ply|ply-ascii|obj|off] [--keep DIR]

The scan is built here, never stored in the repository: the ICT Face Model's neutral face (../shared/ict or
$SMILE_ICT_DIR), Loop-subdivided four times (a smooth surface; the vertex subset is chosen so the result has about
``--vertices`` vertices), written as a binary PLY (or ``--format``: ASCII PLY, OBJ, OFF text files; millimetres)
into a temporary folder. Without the ICT model a
face-like relief on a dense grid of the same size is used instead (its face search then fails; the memory figures
stand).

Each path runs in a fresh child process, twice: "before", the old path (``core.scans.load`` with
``ScanLimits.unlimited()``: the scan as stored; text files parsed by trimesh, not in blocks by
core.scans.text_mesh), and "after", the default limits of resources/scans.json (the scan
decimated right after reading). The child reports its own peak resident memory (VmHWM from /proc/self/status, else
``ru_maxrss``), cross-checked by ``resource.getrusage(RUSAGE_CHILDREN)`` in a wrapper process whose only child
it is. Paths:

* read:          ``core.scans.load`` alone;
* render:        load + ``core.render.render_scan`` with resources/render.json (canonical face, 90 mm crop, 3 x 112 px);
* render-whole:  the same with the crop off (the whole scan framed and rendered: the worst case);
* analyse:       ``Analyzer(resources/models/default/model.ckpt, device="cpu").analyze`` of the scan, as the app and
                 ``smile-vlm predict`` do; its baseline (the analyzer built, no scan) is printed too.

Goal: <= 1.5 GB peak for any scan (analyse, after).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("read", "render", "render-whole", "analyse")
#: --format -> (file suffix, PLY encoding, description)
FORMATS = {"ply": (".ply", "binary", "binary PLY"), "ply-ascii": (".ply", "ascii", "ASCII PLY"),
           "obj": (".obj", "", "text OBJ"), "off": (".off", "", "text OFF")}
CHECKPOINT = ROOT / "resources" / "models" / "default" / "model.ckpt"

BUILD = textwrap.dedent("""
    import sys, numpy as np, trimesh
    target, out, encoding = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    try:
        from core.synth.ict_model import find_and_load_ict
        ict = find_and_load_ict()
    except (ValueError, OSError):
        ict = None
    if ict is not None:
        n = int(round(target / 256))  # Loop subdivision: about 4x the vertices per step
        faces = np.asarray(ict.faces, np.int64)
        faces = faces[np.all(faces < n, axis=1)]
        used = np.unique(faces)
        index = np.full(n, -1)
        index[used] = np.arange(len(used))
        v, f = trimesh.remesh.subdivide_loop(np.asarray(ict.neutral, np.float64)[used], index[faces], iterations=4)
        kind = "ICT neutral face, Loop-subdivided 4 times"
    else:
        side = int(round(np.sqrt(target / 1.25)))
        x, y = np.meshgrid(np.linspace(-80, 80, side), np.linspace(-100, 100, int(1.25 * side)))
        z = 40 * np.exp(-x**2 / 3000 - y**2 / 5000) + 25 * np.exp(-(x**2 + y**2) / 150)
        v = np.stack([x, y, z], -1).reshape(-1, 3)
        ny, nx = x.shape
        j, i = np.meshgrid(np.arange(ny - 1), np.arange(nx - 1), indexing="ij")
        a = (j * nx + i).ravel()
        f = np.concatenate([np.stack([a, a + 1, a + nx + 1], 1), np.stack([a, a + nx + 1, a + nx], 1)])
        kind = "face-like relief on a dense grid (ICT model not found)"
    mesh = trimesh.Trimesh(v.astype(np.float32), f, process=False)
    mesh.export(out, encoding=encoding) if out.endswith(".ply") else mesh.export(out)
    print(f"{len(v)} {len(f)} {kind}")
""")

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    path, what, limited, checkpoint = sys.argv[1], sys.argv[2], sys.argv[3] == "after", sys.argv[4]

    def peak_mb():
        try:
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from core import scans
    from core.render import RenderConfig, render_scan
    limits = None if limited else scans.ScanLimits.unlimited()
    if not limited:  # the old path: trimesh parses a text file whole
        import core.scans.text_mesh
        core.scans.text_mesh.STREAM_ABOVE_BYTES = 2 ** 62
    result = {}
    if what == "analyse":
        from core.inference.analyzer import Analyzer
        analyzer = Analyzer(checkpoint, device="cpu")
        result["baseline_mb"] = peak_mb()
    start = time.perf_counter()
    scan = scans.load(path, limits)
    result["vertices"] = scan.n_vertices
    if what in ("render", "render-whole"):
        config = RenderConfig.default()
        if what == "render-whole":
            config = config.replace(canonical={"crop": False})
        views, flag = render_scan(scan, config)
        result["face"] = None if flag is None else flag.ok
    elif what == "analyse":
        out = analyzer.analyze(scan)
        result["face"] = None if out.face is None else out.face.ok
        result["top"] = out.top
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))
""")


#: Runs the command in its argv and then prints the peak RSS of that one child (its only one), in kB.
WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "print('RUSAGE', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True); sys.exit(code)")


def run_child(code: str, *args: str) -> tuple[str, float]:
    """Run ``code`` in a fresh interpreter; (the last line it printed, its peak RSS in MB by
    ``getrusage(RUSAGE_CHILDREN)``, measured by a wrapper process whose only child it is)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, "-c", code, *args], cwd=ROOT,
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = proc.stdout.strip().splitlines()
    return lines[-2], int(lines[-1].split()[1]) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vertices", type=int, default=2_600_000, help="about how many vertices (default 2.6M)")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated subset of {', '.join(PATHS)}")
    parser.add_argument("--format", choices=sorted(FORMATS), default="ply",
                        help="file format of the scan (default ply: binary PLY)")
    parser.add_argument("--keep", type=Path, default=None, help="write the scan into this folder and keep it")
    args = parser.parse_args(argv)
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    unknown = sorted(set(paths) - set(PATHS))
    if unknown:
        parser.error(f"unknown path(s) {unknown}; known: {', '.join(PATHS)}")
    if "analyse" in paths and not CHECKPOINT.is_file():
        print(f"(no {CHECKPOINT.relative_to(ROOT)}: the analyse path is skipped)")
        paths.remove("analyse")

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        suffix, encoding, described = FORMATS[args.format]
        scan = folder / f"dense_face{suffix}"
        t0 = time.perf_counter()
        built, _ = run_child(BUILD, str(args.vertices), str(scan), encoding)
        n_v, n_f, kind = built.split(" ", 2)
        print(f"scan: {int(n_v):,} vertices, {int(n_f):,} triangles ({kind}); {described} "
              f"{scan.stat().st_size / 1e6:.0f} MB, built in {time.perf_counter() - t0:.0f} s")
        print(f"{'path':<14}{'run':<8}{'peak RSS':>10}{'rusage':>9}{'vertices':>11}{'seconds':>9}  notes")
        figures: dict[tuple[str, str], dict] = {}
        for what in paths:
            for run in ("before", "after"):
                line, children_max = run_child(CHILD, str(scan), what, run, str(CHECKPOINT))
                r = json.loads(line)
                figures[(what, run)] = r
                notes = []
                if "face" in r:
                    notes.append("face found" if r["face"] else "no face found" if r["face"] is False else "")
                if "baseline_mb" in r:
                    notes.append(f"analyzer alone {r['baseline_mb']:.0f} MB")
                print(f"{what:<14}{run:<8}{r['peak_mb']:>8.0f}MB{children_max:>7.0f}MB{r['vertices']:>11,}"
                      f"{r['seconds']:>9.1f}  {', '.join(n for n in notes if n)}")
        for what in paths:
            before, after = figures[(what, "before")], figures[(what, "after")]
            extra = ""
            if what == "analyse":
                extra = (f"; the scan's own share {before['peak_mb'] - before['baseline_mb']:.0f} -> "
                         f"{after['peak_mb'] - after['baseline_mb']:.0f} MB")
            print(f"{what}: {before['peak_mb']:.0f} -> {after['peak_mb']:.0f} MB peak "
                  f"({after['peak_mb'] / before['peak_mb']:.0%} of before), {before['seconds']:.1f} -> "
                  f"{after['seconds']:.1f} s{extra}")
        if ("analyse", "after") in figures:
            peak = figures[("analyse", "after")]["peak_mb"]
            print(f"goal <= 1.5 GB peak to analyse: {peak / 1024:.2f} GB -> {'met' if peak <= 1536 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
