"""core.firstrun: data folder, settings, progress from the files being written, and a real (tiny) build.

The synthetic demo generator is core.synth's (tested there); here the demo set is a tiny stand-in written by the
test (real scan files and a real manifest), so the orchestration and the real pretraining run in seconds.
"""

import json

import numpy as np
import pytest
import trimesh

from core import firstrun
from core.datasets import ManifestRow, read_manifest, write_manifest
from core.firstrun import DemoPaths, FirstRunConfig, Progress, build, data_dir, load_config
from core.scans.standin import stand_in_face

TINY = {
    "epochs": 2,
    "batch_size": 4,
    "num_workers": 0,
    "keep_checkpoints": 1,
    "device": "cpu",
    "model": {"embed_dim": 16, "proj_hidden": 32, "fusion_hidden": 8, "image_size": 32},
    "render": {"n_frames": 3},
}


def hemisphere(bump: float, n: int = 10):
    face = stand_in_face(bump, n)
    return trimesh.Trimesh(face.vertices.astype(np.float64), face.faces, process=False)


def tiny_demo_set(paths: DemoPaths, config: FirstRunConfig, progress=None) -> object:
    """Stand-in for the synthetic demo: 8 scans of two classes and one 4-frame sequence, with demo/demo.csv."""
    out = paths.demo_dir
    rows = []
    for i in range(8):
        label = ("happiness", "sadness")[i % 2]
        path = out / "bu3dfe" / f"S{i}.obj"
        path.parent.mkdir(parents=True, exist_ok=True)
        hemisphere(0.05 * i * (1 if label == "happiness" else -1)).export(path)
        rows.append(ManifestRow(path, f"S{i}", label, 1, "3d", 1, "demo", path.stem))
    seq = out / "bu4dfe" / "seq"
    seq.mkdir(parents=True)
    for t in range(4):
        hemisphere(0.08 * t).export(seq / f"{t:03d}.obj")
    rows.append(ManifestRow(seq, "S9", "happiness", None, "4d", 4, "demo", "seq"))
    if progress:
        progress(Progress("demo", firstrun.DEMO_SHARE, "tiny demo set ready"))
    return write_manifest(rows, paths.manifest)


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv(firstrun.ENV_VAR, str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv(firstrun.ENV_VAR)
    assert data_dir().name.lower() in ("smile-vlm", "smile_vlm")
    paths = DemoPaths(tmp_path)
    assert paths.manifest == tmp_path / "demo" / "demo.csv"
    assert paths.checkpoint == tmp_path / "runs" / "demo" / "last.ckpt"  # until a default model is installed
    installed = tmp_path / "models" / "default" / "model.ckpt"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(b"x")
    assert paths.checkpoint == installed
    assert not paths.is_ready() and not paths.has_demo()


def test_settings_layering_and_errors(tmp_path):
    default = load_config()
    assert default.pretrain["epochs"] >= 1 and "bu3dfe_subjects" in default.demo
    train = default.pretrain_config(tmp_path / "m.csv", tmp_path / "cache")
    assert train.data == str(tmp_path / "m.csv") and train.cache == str(tmp_path / "cache") and not train.progress
    override = tmp_path / "tiny.json"
    override.write_text(json.dumps({"pretrain": {"epochs": 1, "model": {"image_size": 32}}, "seed": 3}))
    cfg = load_config(override)
    assert cfg.seed == 3 and cfg.pretrain["epochs"] == 1
    assert cfg.pretrain["model"]["image_size"] == 32
    assert cfg.pretrain["batch_size"] == default.pretrain["batch_size"]  # the rest kept
    assert cfg.pretrain_config("m.csv").model.image_size == 32
    for bad, match in (({"pretrain": {"epochs": 0}}, "epochs"), ({"pretrain": {"data": "x.csv"}}, "chosen by"),
                       ({"demo": {"faces": 3}}, "unknown demo setting"), ({"colour": 1}, "unknown setting"),
                       ({"seed": -1}, "seed")):
        override.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=match):
            load_config(override)
    override.write_text("{not json")
    with pytest.raises(ValueError, match="tiny.json"):
        load_config(override)
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.json")


def test_log_tail_reads_complete_lines_only(tmp_path):
    log = tmp_path / "log.jsonl"
    probe = firstrun.train_probe(log)
    assert probe().message.endswith("rendering the training views")
    with open(log, "w") as f:
        f.write(json.dumps({"event": "start", "config": {"epochs": 2}, "steps_per_epoch": 5}) + "\n")
        f.write(json.dumps({"event": "step", "epoch": 0, "step": 3, "loss": 1.5}) + "\n")
        f.write('{"event": "step", "epo')  # being written
        f.flush()
        p = probe()
        assert p.stage == "train" and "step 3/10" in p.message and "loss 1.500" in p.message
        assert p.fraction == pytest.approx(firstrun.DEMO_SHARE + (1 - firstrun.DEMO_SHARE) * 0.3)
        f.write('ch": 1, "step": 10, "loss": 0.5}\n')
        f.flush()
        p = probe()
        assert "epoch 2/2, step 10/10" in p.message and p.fraction == pytest.approx(1.0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One tiny first run: stopped after its first training step, then resumed to the end."""
    mp = pytest.MonkeyPatch()
    mp.setattr(firstrun, "build_demo_set", tiny_demo_set)
    root = tmp_path_factory.mktemp("userdata")
    config = FirstRunConfig(seed=0, demo={}, pretrain=TINY, model="train")
    events: list[Progress] = []
    log = DemoPaths(root).run_dir / "log.jsonl"

    class StopAfterFirstStep:  # what pretrain asks after every step
        def is_set(self) -> bool:
            return log.is_file() and '"event": "step"' in log.read_text()

    try:
        first = build(root, config, events.append, stop_event=StopAfterFirstStep())
        second = build(root, config, events.append)
        third = build(root, config, events.append)
    finally:
        mp.undo()
    return root, first, second, third, events


def test_build_stops_resumes_and_is_then_ready(built):
    root, first, second, third, events = built
    paths = DemoPaths(root)
    assert first.status == "stopped" and first.built_demo and first.trained
    assert second.status == "ready" and not second.built_demo and second.trained
    assert third.status == "ready" and not third.built_demo and not third.trained  # nothing left to do
    assert paths.is_ready() and paths.checkpoint.is_file()
    info = json.loads(paths.ready_file.read_text())
    assert info["checkpoint"] == str(paths.checkpoint) and info["settings"]["pretrain"]["epochs"] == 2
    assert len(read_manifest(info["manifest"])) == 9
    assert (root / "cache").is_dir()  # the shared render cache
    fractions = [e.fraction for e in events]
    assert all(0.0 <= f <= 1.0 for f in fractions) and fractions[-1] == 1.0
    assert any(e.stage == "train" and "resuming" in e.message for e in events)
    assert events[-1].stage == "done"


def test_built_checkpoint_analyses_a_scan(built, tmp_path):
    from core.inference import Analyzer

    root = built[0]
    analyzer = Analyzer(DemoPaths(root).checkpoint, device="cpu")
    assert analyzer.render_config.n_frames == 3 and analyzer.render_config.size == 32
    # the demo is trained and analysed on canonical faces (resources/canonical.json), its cache keyed on them
    from core.scans.canonical import CanonicalSettings

    assert analyzer.render_config.canonical == CanonicalSettings.default()
    (cached_config,) = (root / "cache").glob("*/config.json")
    assert json.loads(cached_config.read_text())["canonical"] == CanonicalSettings.default().to_dict()
    scan = tmp_path / "x.obj"
    hemisphere(0.1).export(scan)
    result = analyzer.analyze(scan)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert result.face is not None and not result.face.ok  # a hemisphere is no face, and the result says so


def test_command_line(built, tmp_path, capsys):
    root = built[0]
    assert firstrun.main(["--data-dir", str(root), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["event"] == "done" and lines[-1]["checkpoint"] == str(DemoPaths(root).checkpoint)
    assert firstrun.main(["--data-dir", str(root)]) == 0
    assert "demo ready" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"pretrain": {"lr": -1}}))
    assert firstrun.main(["--data-dir", str(tmp_path / "d"), "--config", str(bad), "--json"]) == 1
    event = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert event["event"] == "error" and "lr" in event["message"]


def test_demo_face_model_falls_back_to_the_sfm_when_ict_is_missing(monkeypatch):
    from core.synth import face_models
    from core.synth.model import ModelFileError

    def fake(name, model_dir=None, au_table=None):
        if name == "ict":
            raise ModelFileError("/nowhere/ict_face_model_light.npz", "model file not found")
        return f"model:{name}"

    monkeypatch.setattr(face_models, "load_face_model", fake)
    said: list[Progress] = []
    assert firstrun.load_demo_face_model("ict", said.append) == "model:sfm"
    assert len(said) == 1 and "ICT face model is not available" in said[0].message
    assert "ict_face_model_light.npz" in said[0].message and "Surrey Face Model" in said[0].message
    with pytest.raises(ModelFileError):  # the SFM itself missing is an error, not a silent fall-back
        monkeypatch.setattr(face_models, "load_face_model",
                            lambda name, *a: (_ for _ in ()).throw(ModelFileError("/x", "missing")))
        firstrun.load_demo_face_model("sfm", said.append)


def test_a_shipped_model_is_installed_instead_of_training(tmp_path, monkeypatch):
    import hashlib

    import core.release.install as install

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "model.ckpt").write_bytes(b"weights")
    (shipped / "model.sha256").write_text(hashlib.sha256(b"weights").hexdigest() + "  model.ckpt\n")
    (shipped / "model.card.json").write_text("{}")
    monkeypatch.setattr(install, "shipped_model_dir", lambda: shipped)
    monkeypatch.setattr(firstrun, "build_demo_set", tiny_demo_set)
    monkeypatch.setattr(firstrun, "train_demo_model", lambda *a, **k: pytest.fail("must not train"))
    root = tmp_path / "userdata"
    events: list[Progress] = []
    result = build(root, FirstRunConfig(seed=0, demo={}, pretrain=TINY), events.append)
    paths = DemoPaths(root)
    assert result.status == "ready" and result.built_demo and not result.trained
    assert paths.checkpoint == root / "models" / "default" / "model.ckpt" and paths.checkpoint.read_bytes() == b"weights"
    assert paths.is_ready() and not paths.run_dir.exists()
    assert any("default model installed" in e.message for e in events)
    with pytest.raises(ValueError, match="model must be"):
        FirstRunConfig(model="download")
