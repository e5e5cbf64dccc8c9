"""The workstation bundle (packaging/).

Fast tests: the entry point's dispatch (packaging/entry.py), and that its ``--self-test`` path loads no Qt.
Slow tests (``-m slow``; ``./run.sh test`` skips them, CI does not run them: one build takes 5-10 minutes and
~5 GB): ``packaging/build.py`` builds the bundle into a temporary folder, then its executable's ``--self-test``
must pass and name the device, also with CUDA hidden (CPU), and fail with a reason for a missing scan. Run them
before every release and after any change to packaging/, the dependencies, or the app's start-up:
``./run.sh test -m slow tests/packaging``. The first-run demo is built once into build/demo-data and reused.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = "smile-vlm-analyzer"
BUILD_TIMEOUT_S = 3600


def load_entry():
    spec = importlib.util.spec_from_file_location("smile_vlm_bundle_entry", ROOT / "packaging" / "entry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------------ fast: entry.py
def test_data_dir_option():
    entry = load_entry()
    assert entry.data_dir_option(["scan.wrl", "--data-dir", "/tmp/d"]) == "/tmp/d"
    assert entry.data_dir_option(["--data-dir=/tmp/e"]) == "/tmp/e"
    assert entry.data_dir_option(["--data-dir"]) == ""
    assert entry.data_dir_option([]) == ""


@pytest.mark.filterwarnings("ignore:'core.firstrun' found in sys.modules:RuntimeWarning")  # imported by other tests
def test_dash_m_runs_engine_modules_only(capsys):
    entry = load_entry()
    assert entry.main(["-m", "os"]) == 2
    assert "engine's modules only" in capsys.readouterr().err
    argv = sys.argv
    try:
        assert entry.main(["-m", "core.firstrun", "--help"]) == 0
    finally:
        sys.argv = argv
    assert "--data-dir" in capsys.readouterr().out


def test_self_test_path_loads_no_qt(tmp_path):
    """--self-test through the entry point analyses a scan with a tiny model; no Qt module is imported."""
    script = f"""
import sys
import numpy as np, torch, trimesh
from core.model import ModelConfig, SmileVLM, save_checkpoint
cfg = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)
ckpt = save_checkpoint({str(tmp_path / 'tiny.ckpt')!r}, model=SmileVLM(cfg, text_dim=384), model_config=cfg,
                       epoch=1, step=1, config={{"loss": {{"tau": 0.07}}}})
trimesh.creation.icosphere(2, 50.0).export({str(tmp_path / 'ball.obj')!r})
sys.argv = ["smile-vlm-analyzer", "--self-test", "--checkpoint", str(ckpt), "--scan", {str(tmp_path / 'ball.obj')!r},
            "--device", "cpu"]
import runpy
try:
    runpy.run_path({str(ROOT / 'packaging' / 'entry.py')!r}, run_name="__main__")
except SystemExit as exc:
    qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyvistaqt", "superqt", "qtpy", "app"))
    print("exit", exc.code, "qt", qt)
"""
    env = {**os.environ, "SMILE_VLM_DATA_DIR": str(tmp_path / "data"), "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "self-test passed" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("exit 0 qt []"), proc.stdout


# ------------------------------------------------------------------------------------------------ slow: the bundle
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """Build the bundle with the documented command's driver into a temporary folder (deleted afterwards)."""
    out = tmp_path_factory.mktemp("bundle")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(out / "dist"),
                           "--work", str(out / "work")], cwd=ROOT, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert "size:" in proc.stdout and "build time:" in proc.stdout
    print(f"bundle built in {time.perf_counter() - start:.0f} s:\n{proc.stdout[-800:]}")
    yield out / "dist" / NAME
    shutil.rmtree(out, ignore_errors=True)


def run_bundle(bundle: Path, *args: str, env: dict | None = None, tmp: Path) -> subprocess.CompletedProcess:
    environ = {**os.environ, "SMILE_VLM_DATA_DIR": str(tmp / "userdata"), **(env or {})}
    return subprocess.run([str(bundle / NAME), *args], capture_output=True, text=True, env=environ, timeout=600)


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 600)
def test_bundle_self_test_passes(bundle, tmp_path):
    assert (bundle / "_internal" / "demo-data" / "runs" / "demo" / "last.ckpt").is_file()
    assert (bundle / "_internal" / "resources" / "prompts" / "expressions.json").is_file()
    assert not (bundle / "_internal" / "triton").exists()
    proc = run_bundle(bundle, "--self-test", tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "device:" in proc.stdout and ("CUDA GPU:" in proc.stdout or "CPU (" in proc.stdout)
    assert "probabilities:" in proc.stdout and "self-test passed" in proc.stdout
    assert "_internal/demo-data" in proc.stdout  # the bundled demo, not a user's


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 600)
def test_bundle_self_test_on_cpu_when_cuda_is_hidden(bundle, tmp_path):
    proc = run_bundle(bundle, "--self-test", env={"CUDA_VISIBLE_DEVICES": ""}, tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "device:        CPU (" in proc.stdout and "probabilities:" in proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 600)
def test_bundle_self_test_failure_says_why(bundle, tmp_path):
    proc = run_bundle(bundle, "--self-test", "--scan", str(tmp_path / "missing.wrl"), tmp=tmp_path)
    assert proc.returncode == 1
    assert f"self-test FAILED: {tmp_path / 'missing.wrl'}: scan not found" in proc.stderr


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 600)
def test_bundle_runs_engine_modules(bundle, tmp_path):
    """The app starts its first run and training as ``sys.executable -m core...``: the bundle must run them."""
    proc = run_bundle(bundle, "-m", "core", "predict", "--help", tmp=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--checkpoint" in proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 600)
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (run under xvfb-run)")
def test_bundle_app_starts_and_installs_the_demo(bundle, tmp_path):
    """The window opens, the bundled demo lands in the user data folder and the status line names the device."""
    log = tmp_path / "app.log"
    environ = {**os.environ, "SMILE_VLM_DATA_DIR": str(tmp_path / "userdata")}
    with open(log, "w") as handle:
        proc = subprocess.Popen([str(bundle / NAME)], stdout=handle, stderr=subprocess.STDOUT, env=environ)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None and "Analysis on" not in log.read_text():
                time.sleep(1)
            text = log.read_text()
            assert proc.poll() is None, f"the app exited with status {proc.returncode}:\n{text}"
            assert "SMILE-VLM Analyzer: Analysis on " in text, text
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert (tmp_path / "userdata" / "runs" / "demo" / "last.ckpt").is_file()
    assert (tmp_path / "userdata" / "demo-ready.json").is_file()
