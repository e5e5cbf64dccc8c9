"""A seeded fuzz test over every scan reader (issue 14): 1,200 mutated files — bytes flipped, files cut short, junk
tokens inserted, lines repeated or dropped, numbers replaced by extreme values — of every format core.scans.load
reads. Each is loaded in a child process (so a crash fails this test instead of killing the run) with a time limit
(a hang fails it too). Every outcome must be a Scan or a ScanError / ValueError that names the file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import trimesh

from core.scans import save_bnt, save_wrl

CASES_PER_FORMAT = 120
SEED = 20261202

CHILD = textwrap.dedent("""
    import json, random, sys
    from pathlib import Path
    from core.scans import ScanError, load

    seeds, out, n, seed = json.loads(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    TOKENS = [b"nan", b"-1", b"-3", b"0", b"1e39", b"1e300", b"-0", b"999999999", b"\\n", b"#", b"[", b"]", b"{",
              b"}", b",", b"\\t", b"f 0 0 0\\n", b"v 1 2\\n", b"end_header\\n", b"\\x00", b"\\xff\\xfe",
              b"element vertex 99999999\\n", b"4294967295"]

    def mutate(data: bytes) -> bytes:
        kind = rng.randrange(6)
        if not data:
            return rng.choice(TOKENS)
        if kind == 0:  # flip bytes
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            return bytes(b)
        if kind == 1:  # cut short
            return data[: rng.randrange(len(data))]
        if kind == 2:  # insert junk tokens
            b = data
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(b) + 1)
                b = b[:at] + rng.choice(TOKENS) + b[at:]
            return b
        lines = data.split(b"\\n")
        if kind == 3 and len(lines) > 2:  # repeat or drop a line
            i = rng.randrange(len(lines))
            lines = lines[:i] + ([lines[i]] * 2 if rng.random() < 0.5 else []) + lines[i + 1:]
            return b"\\n".join(lines)
        if kind == 4:  # a number replaced by an extreme value
            words = data.split(b" ")
            i = rng.randrange(len(words))
            words[i] = rng.choice([b"nan", b"inf", b"-1", b"1e39", b"99999999999", b"-7", b"0.5"])
            return b" ".join(words)
        return data[: len(data) // 2] + data[len(data) // 2:][::-1]  # scrambled second half

    outcomes = []
    for name, src in seeds:
        original = Path(src).read_bytes()
        for k in range(n):
            path = out / f"case{k:04d}_{name}"
            path.write_bytes(mutate(original))
            try:
                scan = load(path)
                outcomes.append([name, k, "ok", scan.n_vertices > 0])
            except (ScanError, ValueError) as exc:
                outcomes.append([name, k, type(exc).__name__, str(path) in str(exc)])
            except Exception as exc:
                outcomes.append([name, k, "other:" + type(exc).__name__ + ": " + str(exc)[:200], False])
            path.unlink()
    print(json.dumps(outcomes))
""")


def _seed_files(folder):
    """One small valid file of every format the readers take."""
    sphere = trimesh.creation.icosphere(subdivisions=1, radius=50.0)
    v, f = np.asarray(sphere.vertices, dtype=np.float32), np.asarray(sphere.faces)
    mesh = trimesh.Trimesh(v, f, process=False)
    files = {}
    files["face.wrl"] = save_wrl(folder / "face.wrl", v, f) or folder / "face.wrl"
    for name, kwargs in (("face.obj", {}), ("face.off", {}), ("face.stl", {}),
                         ("ascii.ply", {"encoding": "ascii"}), ("binary.ply", {"encoding": "binary"})):
        mesh.export(folder / name, file_type=name.rsplit(".", 1)[1], **kwargs)
        files[name] = folder / name
    (folder / "cloud.xyz").write_text("".join(f"{x:.3f} {y:.3f} {z:.3f}\n" for x, y, z in v))
    files["cloud.xyz"] = folder / "cloud.xyz"
    np.save(folder / "cloud.npy", v)
    files["cloud.npy"] = folder / "cloud.npy"
    rows, cols = 8, 9
    grid = np.zeros((rows * cols, 5))
    yy, xx = np.mgrid[0:rows, 0:cols]
    grid[:, 0], grid[:, 1], grid[:, 2] = xx.ravel(), yy.ravel(), 10 + xx.ravel() * 0.1
    save_bnt(folder / "range.bnt", grid, rows, cols, -1e9)
    files["range.bnt"] = folder / "range.bnt"
    return files


def test_every_reader_survives_a_thousand_mutated_files(tmp_path):
    files = _seed_files(tmp_path)
    seeds = [[name, str(path)] for name, path in sorted(files.items())]
    work = tmp_path / "cases"
    work.mkdir()
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(seeds), str(work), str(CASES_PER_FORMAT), str(SEED)],
                         capture_output=True, text=True, timeout=540)
    assert out.returncode == 0, f"the readers' process died (exit {out.returncode}):\n{out.stderr[-3000:]}"
    outcomes = json.loads(out.stdout)
    assert len(outcomes) == CASES_PER_FORMAT * len(seeds) >= 1000
    other = [o for o in outcomes if o[2].startswith("other")]
    assert not other, other[:10]
    unnamed = [o for o in outcomes if o[2] != "ok" and not o[3]]
    assert not unnamed, unnamed[:10]
    refused = sum(o[2] != "ok" for o in outcomes)
    assert refused > len(outcomes) // 3  # the mutations do break files (the test is not vacuous)
