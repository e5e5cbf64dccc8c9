"""Two `smile-vlm render` runs of one manifest at once, against one run alone (issue 14, item 7).

    python benchmarks/bench_render_cache.py [--rows 16] [--size 112] [--ict ../shared/ict] [--code DIR]

Writes ``--rows`` face scans (the ICT Face Model with random identities and expressions; the synthetic
height fields of the render tests when the model is absent) and their manifest into a temporary folder, then:

1. one ``smile-vlm render`` process into a fresh cache: wall time;
2. two ``smile-vlm render`` processes started together into another fresh cache: rows each one rendered, found
   cached, or took from the other, their wall time, and the total rendered (goal: every row once, not twice);
3. checks the second cache: one entry and one index record per row, nothing left behind (claims, temporaries).

Both measurements include each process's start (Python, imports, the first VTK window); the CPU seconds of the
child processes show the work done whatever else the machine is running. ``--code DIR`` runs the renders of another
checkout (e.g. ``git archive <commit> | tar -x -C DIR``) to compare with the code before claims. Before claims, two runs each
rendered ~95 % of the rows (issue 14).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.datasets import ManifestRow, write_manifest  # noqa: E402
from core.render import RenderCache, RenderConfig  # noqa: E402

SUMMARY = re.compile(r"(\d+) rows: (\d+) rendered, (\d+) already cached, (?:(\d+) rendered by another run meanwhile, )?"
                     r"(\d+) failed")


def write_scans(folder: Path, n: int, ict_dir: Path | None) -> tuple[list[Path], str]:
    import trimesh

    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from core.synth.ict_model import find_and_load_ict

        model = find_and_load_ict(ict_dir) if ict_dir else find_and_load_ict()
    except (ValueError, OSError) as exc:
        model, what = None, f"ICT model not found ({exc}): synthetic height fields"
    paths = []
    for k in range(n):
        if model is not None:
            identity = np.tensordot(rng.normal(0, 1, 8), model.identity_modes[:8], axes=1)
            expression = np.tensordot(rng.uniform(0, 0.6, 6), model.expression_modes[:6], axes=1)
            vertices, faces = model.neutral + identity + expression, model.faces
            what = f"ICT Face Model, {len(vertices)} vertices per scan"
        else:
            sys.path.insert(0, str(ROOT / "tests" / "core" / "render"))
            from conftest import height_field

            vertices, faces = height_field(n=41, nose_y=0.1 + 0.01 * k)
            vertices = vertices * 80.0
            what = f"{what}, {len(vertices)} vertices per scan"
        path = folder / f"scan{k:03d}.ply"
        trimesh.Trimesh(vertices, faces, process=False).export(path)
        paths.append(path)
    return paths, what


def render_process(manifest: Path, cache: Path, size: int, code_dir: Path) -> subprocess.Popen:
    code = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "render", str(manifest), "--out", str(cache), "--size", str(size),
            "--no-progress"]
    return subprocess.Popen(argv, cwd=code_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, started: float) -> dict:
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    match = SUMMARY.search(out)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"render failed (exit {proc.returncode}):\n{out}\n{err}")
    total, rendered, cached, shared, failed = (int(g or 0) for g in match.groups())
    return {"total": total, "rendered": rendered, "cached": cached, "shared": shared, "failed": failed,
            "seconds": seconds}


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16, help="scans in the manifest")
    parser.add_argument("--size", type=int, default=112, help="view size in pixels")
    parser.add_argument("--ict", type=Path, default=None, help="ICT model folder (default: the usual search)")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose `smile-vlm render` runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_render_cache_") as tmp:
        tmp = Path(tmp)
        scans, what = write_scans(tmp / "data", args.rows, args.ict)
        rows = [ManifestRow(path=p, subject=f"S{k}", label="happiness", intensity=None, kind="3d", n_frames=1,
                            dataset="bench", code=p.stem) for k, p in enumerate(scans)]
        manifest = write_manifest(rows, tmp / "manifest.csv")
        print(f"code: {args.code}")
        print(f"{args.rows} rows ({what}); views {args.size} px, default render settings; "
              f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")

        started, cpu = time.perf_counter(), child_cpu()
        one = finish(render_process(manifest, tmp / "one", args.size, args.code), started)
        one_cpu = child_cpu() - cpu
        print(f"one process:   {one['rendered']} rendered in {one['seconds']:.1f} s wall, {one_cpu:.1f} CPU s")

        started, cpu = time.perf_counter(), child_cpu()
        procs = [render_process(manifest, tmp / "two", args.size, args.code) for _ in range(2)]
        a, b = (finish(p, started) for p in procs)
        two_cpu = child_cpu() - cpu
        wall = max(a["seconds"], b["seconds"])
        for name, r in (("A", a), ("B", b)):
            print(f"two processes: {name} rendered {r['rendered']}, found {r['cached']} already cached, took "
                  f"{r['shared']} from the other run, {r['failed']} failed; {r['seconds']:.1f} s wall")
        together = a["rendered"] + b["rendered"]
        print(f"two processes: {together} rendered together for {args.rows} rows "
              f"({'every row once' if together == args.rows else f'{together - args.rows} rendered twice'}); "
              f"wall {wall:.1f} s vs {one['seconds']:.1f} s for one process ({one['seconds'] / wall:.2f}x); "
              f"{two_cpu:.1f} CPU s for both vs {one_cpu:.1f} (each process starts on its own)")

        cache = RenderCache(tmp / "two", RenderConfig.default().replace(size=args.size))
        entries = len(list(cache.folder.glob("*.npy")))
        records = len(list((cache.folder / "rows").glob("*.json")))  # after a migration when --code is older
        summary = json.loads(cache.index_path.read_text())
        leftovers = list((cache.folder / "claims").glob("*")) + list(cache.folder.rglob(".*.tmp"))
        complete = all(cache.get(p) is not None for p in scans)
        print(f"cache after both: {entries} entries, {records} row records, index.json {len(summary['entries'])} "
              f"rows, every row readable: {complete}, files left behind: {len(leftovers)}")


if __name__ == "__main__":
    main()
