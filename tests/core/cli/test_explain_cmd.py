"""`smile-vlm explain PATH [--class NAME] [--checkpoint C] --out FILE.ply|.png`."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

import core.cli
from core import scans
from core.cli import main
from core.model import ModelConfig, SmileVLM, save_checkpoint
from core.scans.standin import stand_in_face

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


@pytest.fixture(autouse=True)
def only_explain(monkeypatch):
    """Build the CLI with the explain command alone, so other commands' state cannot affect these tests."""
    monkeypatch.setattr(core.cli, "COMMANDS", ["explain"])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain")
    torch.manual_seed(0)
    ckpt = save_checkpoint(root / "tiny.ckpt", model=SmileVLM(TINY, 384), model_config=TINY, epoch=1, step=1,
                           config={"loss": {"tau": 0.07}, "render": {"n_frames": 3}})
    scan = stand_in_face(0.1, 16)
    trimesh.Trimesh(scan.vertices, scan.faces, process=False).export(root / "scan.obj")
    frames = [stand_in_face(b, 16) for b in (0.0, 0.1, 0.2)]
    np.savez(root / "seq.npz", vertices=np.stack([f.vertices for f in frames]), faces=frames[0].faces)
    (root / "broken.obj").write_text("v 1 2\nf 1 2 3\n")
    return root, ckpt


def _ply_saliency(path) -> np.ndarray:
    return np.asarray(trimesh.load(path, process=False).metadata["_ply_raw"]["vertex"]["data"]["saliency"])


def test_a_scan_to_ply(inputs, tmp_path, capsys):
    root, ckpt = inputs
    out = tmp_path / "scan_saliency.ply"
    code = main(["explain", str(root / "scan.obj"), "--checkpoint", str(ckpt), "--class", "happiness",
                 "--out", str(out), "--device", "cpu"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(lines) == 1
    assert "scan.obj (scan): happiness (cos " in lines[0] and lines[0].endswith(str(out))
    values = _ply_saliency(out)
    stored = scans.load(root / "scan.obj")
    assert np.array_equal(scans.load(out).vertices, stored.vertices) and values.shape == (len(stored.vertices),)
    assert 0.0 <= values.min() and values.max() == pytest.approx(1.0)


def test_a_sequence_to_png_explains_the_predicted_class(inputs, tmp_path, capsys):
    root, ckpt = inputs
    out = tmp_path / "seq.png"
    code = main(["explain", str(root / "seq.npz"), "--checkpoint", str(ckpt), "--out", str(out)])
    line = capsys.readouterr().out.strip()
    assert code == 0 and "(4D sequence of 3 frames, first frame's mesh)" in line
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, words", [
    (["{root}/scan.obj", "--class", "joy", "--out", "{tmp}/x.ply"], ["scan.obj", "unknown class 'joy'"]),
    (["{root}/missing.obj", "--out", "{tmp}/x.ply"], ["missing.obj", "no such file"]),
    (["{root}/broken.obj", "--out", "{tmp}/x.png"], ["broken.obj"]),
    (["{root}/scan.obj", "--out", "{tmp}/x.jpg"], ["x.jpg", ".ply or a .png"]),
    (["{root}/scan.obj", "--out", "{tmp}/no/such/folder/x.png"], ["x.png", "folder does not exist"]),
])
def test_errors_are_one_line_naming_the_file(inputs, tmp_path, capsys, args, words):
    root, ckpt = inputs
    argv = ["explain", *(a.format(root=root, tmp=tmp_path) for a in args), "--checkpoint", str(ckpt)]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1 and err.startswith("smile-vlm explain: error: ")
    assert all(w in err for w in words), err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_without_a_checkpoint_the_shipped_model_is_used_or_its_absence_said(inputs, tmp_path, capsys, monkeypatch):
    from core.explain import run
    from core.release import install

    root, _ = inputs
    monkeypatch.setattr(install, "shipped_model_dir", lambda: None)
    code = main(["explain", str(root / "scan.obj"), "--out", str(tmp_path / "x.ply")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "no --checkpoint given and no shipped default model" in err
    monkeypatch.setattr(install, "shipped_model_dir", lambda: root / "shipped")
    assert run.default_checkpoint() == root / "shipped" / "model.ckpt"
