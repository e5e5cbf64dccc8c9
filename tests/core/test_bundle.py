import json
import os
import sys

import pytest

from core import bundle
from core.firstrun import DemoPaths


def fake_demo(root) -> DemoPaths:
    """A demo folder in DemoPaths' layout: two scan files, a manifest, a run with checkpoint and config, ready."""
    paths = DemoPaths(root)
    (paths.demo_dir / "bu3dfe").mkdir(parents=True)
    (paths.demo_dir / "bu3dfe" / "a.obj").write_text("v 0 0 0\n")
    (paths.demo_dir / "bu3dfe" / "b.obj").write_text("v 1 0 0\n")
    paths.manifest.write_text("path,subject,label,intensity,kind,n_frames,dataset,code\n")
    paths.run_dir.mkdir(parents=True)
    paths.run_checkpoint.write_bytes(b"checkpoint bytes")
    (paths.run_dir / "config.json").write_text("{}")
    (paths.run_dir / "log.jsonl").write_text("")
    paths.ready_file.write_text("{}")
    return paths


@pytest.fixture(autouse=True)
def no_bundle_env(monkeypatch):
    monkeypatch.delenv(bundle.ENV_DEMO, raising=False)


def test_not_frozen_outside_a_bundle():
    assert not bundle.is_frozen()
    assert bundle.bundle_root() is None
    assert bundle.bundled_demo() is None


def test_bundle_root_and_demo_inside_a_frozen_app(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert bundle.is_frozen()
    assert bundle.bundle_root() == tmp_path
    assert bundle.bundled_demo() is None  # no demo-data/ shipped
    fake_demo(tmp_path / bundle.DEMO_FOLDER)
    demo = bundle.bundled_demo()
    assert demo is not None and demo.root == tmp_path / bundle.DEMO_FOLDER


def test_bundled_demo_from_the_environment_needs_checkpoint_and_manifest(tmp_path, monkeypatch):
    paths = fake_demo(tmp_path / "shipped")
    monkeypatch.setenv(bundle.ENV_DEMO, str(paths.root))
    assert bundle.bundled_demo() == paths
    paths.checkpoint.unlink()
    assert bundle.bundled_demo() is None


def test_install_demo_copies_scans_checkpoint_and_marks_ready(tmp_path):
    source = fake_demo(tmp_path / "shipped")
    target = DemoPaths(tmp_path / "user")
    assert bundle.install_demo(target.root, source)
    assert target.is_ready()
    assert (target.demo_dir / "bu3dfe" / "b.obj").read_text() == "v 1 0 0\n"
    assert target.checkpoint.read_bytes() == b"checkpoint bytes"
    assert (target.run_dir / "config.json").is_file()
    assert not (target.run_dir / "log.jsonl").exists()  # only what the app needs
    info = json.loads(target.ready_file.read_text())
    assert info["installed_from"] == str(source.root) and info["checkpoint"] == str(target.checkpoint)
    assert not [p for p in target.root.rglob("*.tmp")]
    # A second start finds the demo ready and copies nothing.
    target.checkpoint.write_bytes(b"retrained by the user")
    assert not bundle.install_demo(target.root, source)
    assert target.checkpoint.read_bytes() == b"retrained by the user"


def test_install_demo_redoes_an_interrupted_copy(tmp_path):
    source = fake_demo(tmp_path / "shipped")
    target = DemoPaths(tmp_path / "user")
    leftover = target.root / f".demo.{os.getpid()}.tmp"  # a copy killed half-way
    leftover.mkdir(parents=True)
    (leftover / "half.obj").write_text("")
    assert bundle.install_demo(target.root, source)
    assert target.is_ready() and not leftover.exists()
    assert sorted(p.name for p in (target.demo_dir / "bu3dfe").iterdir()) == ["a.obj", "b.obj"]


def test_install_demo_keeps_complete_scans_and_adds_the_checkpoint(tmp_path):
    source = fake_demo(tmp_path / "shipped")
    target = DemoPaths(tmp_path / "user")
    target.demo_dir.mkdir(parents=True)  # the scans arrived (renamed into place last), the checkpoint did not
    target.manifest.write_text("kept")
    assert bundle.install_demo(target.root, source)
    assert target.is_ready() and target.checkpoint.read_bytes() == b"checkpoint bytes"
    assert target.manifest.read_text() == "kept"


def test_install_demo_without_a_shipped_demo_does_nothing(tmp_path):
    assert not bundle.install_demo(tmp_path / "user")  # not frozen, no $SMILE_VLM_BUNDLED_DEMO
    assert not (tmp_path / "user").exists()


def test_install_demo_installs_a_shipped_default_model(tmp_path):
    import hashlib

    source = DemoPaths(tmp_path / "bundled")
    (source.demo_dir / "bu3dfe").mkdir(parents=True)
    (source.demo_dir / "bu3dfe" / "a.obj").write_text("v 0 0 0\n")
    source.manifest.write_text("path,subject,label,intensity,kind,n_frames,dataset,code\n")
    source.model_dir.mkdir(parents=True)
    (source.model_dir / "model.ckpt").write_bytes(b"default weights")
    (source.model_dir / "model.sha256").write_text(hashlib.sha256(b"default weights").hexdigest() + "  model.ckpt\n")
    (source.model_dir / "model.card.json").write_text("{}")
    source.ready_file.write_text("{}")
    target = DemoPaths(tmp_path / "user")
    assert bundle.install_demo(target.root, source)
    assert target.checkpoint == target.model_dir / "model.ckpt" and target.checkpoint.read_bytes() == b"default weights"
    assert (target.model_dir / "model.card.json").is_file() and not target.run_dir.exists()
    assert target.is_ready()
