"""Output folders the user may not write into: `smile-vlm index`, `render`, `synth`, `pretrain`, `build-model` and
`benchmark` stop with one line
naming the path and the cause, exit status 1, no traceback, and nothing written (issue 14, item 3).

The commands run as real processes of an unprivileged user: root ignores file permissions, so as root the child
runs under ``setpriv`` as nobody (uid 65534). The files live in a folder of their own under the system temporary
folder that nobody can traverse (pytest's tmp_path is private to the user running the tests).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from core.datasets import ManifestRow, write_manifest

REPO = Path(__file__).resolve().parents[3]
NOBODY = 65534


def _child_prefix() -> list[str]:
    """The command prefix that runs a child without root's privileges ([] when we are not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing: cannot run a command as an unprivileged user")
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import core.cli"], cwd=REPO, capture_output=True,
                           text=True)
    if probe.returncode != 0:
        pytest.skip(f"uid {NOBODY} cannot run this checkout's Python here: {probe.stderr.strip()[-300:]}")
    return prefix


@pytest.fixture(scope="module")
def world():
    """(base folder readable by everyone, a read-only empty folder in it, the child command prefix)."""
    prefix = _child_prefix()
    base = Path(tempfile.mkdtemp(prefix="smile-vlm-ro-"))
    try:
        base.chmod(0o755)
        home = base / "home"  # the child's HOME: writable by it, so no library trips over a missing one
        home.mkdir(mode=0o777)
        home.chmod(0o777)
        _inputs(base)
        read_only = base / "ro"
        read_only.mkdir()
        read_only.chmod(0o555)
        yield base, read_only, prefix
    finally:
        for folder, dirs, _ in os.walk(base):  # writable again, so that it can be removed
            for name in dirs:
                Path(folder, name).chmod(stat.S_IRWXU)
        shutil.rmtree(base)


def _inputs(base: Path) -> None:
    """The smallest valid inputs: a BP4D-layout tree for index, one OBJ scan and a manifest of it (two rows)."""
    for task in ("T1", "T8"):
        folder = base / "bp4d" / "F001" / task
        folder.mkdir(parents=True)
        for i in range(2):
            (folder / f"{i:04d}.obj").write_bytes(b"")
    scan = base / "scans" / "a.obj"
    scan.parent.mkdir()
    scan.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n")
    rows = [ManifestRow(scan, "S1", label, None, "3d", 1, "test", label[:2]) for label in ("happiness", "sadness")]
    write_manifest(rows, base / "manifest.csv")


def _start(prefix: list[str], base: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "HOME": str(base / "home"), "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([*prefix, sys.executable, "-m", "core", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _cases(base: Path, ro: Path) -> dict[str, tuple[str, list[str], Path]]:
    """id -> (command, its arguments, the path its error must name): the output folder itself read-only, or a
    folder to be made inside it."""
    manifest = str(base / "manifest.csv")
    return {
        "index": ("index", [str(base / "bp4d"), "--format", "bp4d", "--out", str(ro / "m.csv")], ro / "m.csv"),
        "render-below": ("render", [manifest, "--out", str(ro / "cache"), "--no-progress"], ro / "cache"),
        "synth-into": ("synth", ["bu3dfe", "--subjects", "1", "--out", str(ro), "--workers", "1", "--no-progress"],
                       ro),
        "synth-demo-below": ("synth", ["demo", "--out", str(ro / "demo"), "--no-progress"], ro / "demo"),
        "pretrain-into": ("pretrain", ["--data", manifest, "--out", str(ro), "--prompts", "none", "--device", "cpu",
                                       "--no-progress"], ro),
        "build-model-work": ("build-model", ["--work", str(ro / "work"), "--out", str(base / "model"),
                                             "--no-progress"], ro / "work"),
        "build-model-out": ("build-model", ["--work", str(base / "home" / "work"), "--out", str(ro / "model"),
                                            "--no-progress"], ro / "model"),
        "benchmark-below": ("benchmark", ["--preset", "smoke", "--out", str(ro / "bench"), "--device", "cpu",
                                          "--no-progress"], ro / "bench"),
        # the check cannot come first here (a complete render cache may well be read-only): the render into it fails
        "pretrain-ro-cache": ("pretrain", ["--data", manifest, "--cache", str(base / "ro_cache"), "--out",
                                           str(base / "run"), "--prompts", "none", "--device", "cpu", "--no-progress"],
                              base / "ro_cache"),
    }


@pytest.fixture(scope="module")
def results(world) -> dict[str, tuple[subprocess.CompletedProcess, tuple[str, list[str], Path]]]:
    """Every case's finished process, all started at once (each spends seconds importing torch)."""
    base, ro, prefix = world
    (base / "ro_cache").mkdir(mode=0o555)
    (base / "ro_cache").chmod(0o555)
    (base / "run").mkdir()
    (base / "run").chmod(0o777)
    cases = _cases(base, ro)
    running = {name: _start(prefix, base, command, *args) for name, (command, args, _) in cases.items()}
    done = {}
    for name, proc in running.items():
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        done[name] = (subprocess.CompletedProcess(proc.args, proc.returncode, out, err), cases[name])
    return done


@pytest.mark.parametrize("case", ["index", "render-below", "synth-into", "synth-demo-below", "pretrain-into",
                                  "build-model-work", "build-model-out", "benchmark-below"])
def test_a_read_only_output_folder_is_one_line_and_exit_1(world, results, case):
    _, ro, _ = world
    result, (command, _, named) = results[case]
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    expected = f"smile-vlm {command}: error: permission denied writing {named}"
    if named != ro and command != "index":  # a folder to create inside the read-only one
        expected += f" (cannot create folders in {ro})"
    assert lines == [expected]
    assert os.listdir(ro) == []
    if case == "build-model-out":
        assert not (world[0] / "home" / "work").exists()  # refused before any data was generated


def test_a_read_only_render_cache_is_named_when_pretraining_must_render(world, results):
    base, _, _ = world
    result, (_, _, cache) = results["pretrain-ro-cache"]
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"smile-vlm pretrain: error: {cache}: preparing the render cache failed: "
                               f"permission denied at {cache}"), lines
    assert os.listdir(cache) == []
    assert not list((base / "run").glob("*.ckpt"))
