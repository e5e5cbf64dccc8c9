"""core.selftest on a tiny random checkpoint (no training) and a small synthetic scan; CPU only."""

import json
import math
import warnings

import numpy as np
import pytest
import torch

from core import selftest
from core.bundle import ENV_DEMO
from core.datasets import ManifestRow, write_manifest
from core.firstrun import DemoPaths
from core.model import ModelConfig, SmileVLM, save_checkpoint
from core.selftest import SelfTestConfig

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


def write_face(path, bump: float = 0.1, n: int = 10) -> str:
    """A hemisphere of radius 50 mm facing +z with a smile-like bump, as OBJ."""
    import trimesh

    th, ph = np.linspace(0.0, np.pi / 2, n), np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False)
    t, p = np.meshgrid(th, ph, indexing="ij")
    r = 50.0 * (1.0 + bump * np.cos(3 * p) * np.sin(t))
    v = np.stack([r * np.sin(t) * np.cos(p), r * np.sin(t) * np.sin(p), r * np.cos(t)], -1).reshape(-1, 3)
    faces = []
    for i in range(n - 1):
        for j in range(2 * n):
            a, b = i * 2 * n + j, i * 2 * n + (j + 1) % (2 * n)
            faces += [[a, a + 2 * n, b], [b, a + 2 * n, b + 2 * n]]
    trimesh.Trimesh(v, np.asarray(faces), process=False).export(str(path))
    return str(path)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(checkpoint, scan) of a tiny random model (3 views of 32 px) and one face."""
    folder = tmp_path_factory.mktemp("selftest")
    torch.manual_seed(0)
    ckpt = save_checkpoint(folder / "tiny.ckpt", model=SmileVLM(TINY, text_dim=384), model_config=TINY, epoch=1,
                           step=1, config={"loss": {"tau": 0.07}, "render": {"n_frames": 4}})
    return str(ckpt), write_face(folder / "face.obj")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No bundled demo, an empty user data folder, and no CUDA (the tests must give the same answer everywhere)."""
    monkeypatch.delenv(ENV_DEMO, raising=False)
    monkeypatch.setenv("SMILE_VLM_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def demo_in(root, checkpoint: str) -> DemoPaths:
    """A demo folder holding ``checkpoint`` and a manifest of three faces (neutral, happiness 2 and 4)."""
    paths = DemoPaths(root)
    paths.run_dir.mkdir(parents=True)
    paths.checkpoint.write_bytes(open(checkpoint, "rb").read())
    paths.demo_dir.mkdir(parents=True)
    rows = []
    for name, label, intensity in (("n.obj", "neutral", 0), ("h2.obj", "happiness", 2), ("h4.obj", "happiness", 4)):
        path = write_face(paths.demo_dir / name)
        rows.append(ManifestRow(path, "F0001", label, intensity, "3d", 1, "bu3dfe", label[:2].upper()))
    write_manifest(rows, paths.manifest)
    return paths


def test_run_analyses_the_scan_and_names_the_cpu(tiny):
    checkpoint, scan = tiny
    report = selftest.run(SelfTestConfig(checkpoint=checkpoint, scan=scan))
    assert report.ok, report.reason
    assert report.device == "CPU (no CUDA GPU found)"
    assert report.checkpoint == checkpoint and report.scan == scan
    values = list(report.probabilities.values())
    assert len(values) >= 2 and all(math.isfinite(p) and 0 <= p <= 1 for p in values)
    assert sum(values) == pytest.approx(1.0, abs=1e-4)
    assert report.top == max(report.probabilities, key=report.probabilities.get)
    assert report.load_s > 0 and report.analyze_s > 0


def test_main_prints_the_device_and_the_probabilities(tiny, capsys):
    checkpoint, scan = tiny
    assert selftest.main(["--checkpoint", checkpoint, "--scan", scan, "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "device:        CPU (no CUDA GPU found)" in out
    assert "probabilities:" in out and "top:" in out and out.rstrip().endswith("self-test passed")


def test_main_json_is_one_object(tiny, capsys):
    checkpoint, scan = tiny
    assert selftest.main(["--checkpoint", checkpoint, "--scan", scan, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["reason"] == ""
    assert report["device"].startswith("CPU") and sum(report["probabilities"].values()) == pytest.approx(1, abs=1e-4)


def test_defaults_come_from_the_bundled_demo(tiny, tmp_path, monkeypatch, capsys):
    demo = demo_in(tmp_path / "bundle-demo", tiny[0])
    monkeypatch.setenv(ENV_DEMO, str(demo.root))
    assert selftest.default_inputs() == (demo.checkpoint, demo.demo_dir / "h4.obj")  # most intense expression
    assert selftest.main([]) == 0
    assert str(demo.demo_dir / "h4.obj") in capsys.readouterr().out


def test_defaults_fall_back_to_the_user_data_folder(tiny, tmp_path):
    demo = demo_in(tmp_path / "mydata", tiny[0])
    assert selftest.default_inputs(str(demo.root)) == (demo.checkpoint, demo.demo_dir / "h4.obj")


def test_no_demo_anywhere_fails_with_what_to_do(tmp_path, capsys):
    assert selftest.main(["--device", "cpu"]) == 1
    captured = capsys.readouterr()
    assert "self-test FAILED: no demo checkpoint and scans found" in captured.err
    assert str(tmp_path / "userdata") in captured.err and "python -m core.firstrun" in captured.err
    assert "device:        CPU" in captured.out  # the device is reported even when the analysis cannot run


def test_missing_scan_fails(tiny, tmp_path, capsys):
    missing = tmp_path / "nope.obj"
    assert selftest.main(["--checkpoint", tiny[0], "--scan", str(missing)]) == 1
    assert f"self-test FAILED: {missing}: scan not found" in capsys.readouterr().err


def test_bad_checkpoint_fails_naming_the_file(tiny, tmp_path, capsys):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    assert selftest.main(["--checkpoint", str(bad), "--scan", tiny[1]]) == 1
    err = capsys.readouterr().err
    assert "self-test FAILED" in err and str(bad) in err


def test_cuda_asked_for_without_a_gpu_fails(tiny):
    report = selftest.run(SelfTestConfig(checkpoint=tiny[0], scan=tiny[1], device="cuda"))
    assert not report.ok
    assert report.reason == "--device cuda was asked for but CUDA is not usable: no CUDA GPU found"


def test_cuda_status_passes_on_the_drivers_complaint(monkeypatch):
    def old_driver():
        warnings.warn("CUDA initialization: The NVIDIA driver on your system is too old (found version 11040).\n"
                      "Please update your GPU driver.", UserWarning)
        return False

    monkeypatch.setattr(torch.cuda, "is_available", old_driver)
    available, why = selftest.cuda_status()
    assert not available
    assert why == "CUDA initialization: The NVIDIA driver on your system is too old (found version 11040)."
    assert selftest.describe_device("cpu") == f"CPU ({why})"


def test_describe_device_when_cuda_is_present_but_cpu_chosen(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert selftest.cuda_status() == (True, "")
    assert selftest.describe_device(torch.device("cpu")) == "CPU (chosen; a CUDA GPU is available)"


def test_demo_scan_choice(tmp_path):
    rows = [ManifestRow(tmp_path / "seq", "F001", "happiness", None, "4d", 5, "bu4dfe", "HA"),
            ManifestRow(tmp_path / "n.obj", "F001", "neutral", 0, "3d", 1, "bu3dfe", "NE")]
    manifest = write_manifest(rows, tmp_path / "m.csv")
    assert selftest.demo_scan(manifest) == tmp_path / "seq"  # no expressive 3D scan: the first row
    write_manifest([], tmp_path / "empty.csv")
    with pytest.raises(ValueError, match="lists no scans"):
        selftest.demo_scan(tmp_path / "empty.csv")


def test_bad_device_is_refused():
    with pytest.raises(ValueError, match="device must be cpu or cuda"):
        SelfTestConfig(device="tpu")
    with pytest.raises(SystemExit) as exc:
        selftest.parse_args(["--device", "tpu"])
    assert exc.value.code == 2
