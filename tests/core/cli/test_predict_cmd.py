import json

import numpy as np
import pytest
import torch
import trimesh

import core.cli
from core.cli import main
from core.model import ModelConfig, SmileVLM, save_checkpoint
from core.scans import Scan

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


def _face(bump: float, n: int = 12) -> Scan:
    th, ph = np.linspace(0.0, np.pi / 2, n), np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False)
    t, p = np.meshgrid(th, ph, indexing="ij")
    r = 50.0 * (1.0 + bump * np.cos(3 * p) * np.sin(t))
    v = np.stack([r * np.sin(t) * np.cos(p), r * np.sin(t) * np.sin(p), r * np.cos(t)], -1).reshape(-1, 3)
    quads = [(i * 2 * n + j, i * 2 * n + (j + 1) % (2 * n)) for i in range(n - 1) for j in range(2 * n)]
    faces = [tri for a, b in quads for tri in ([a, a + 2 * n, b], [b, a + 2 * n, b + 2 * n])]
    return Scan(v.astype(np.float32), np.asarray(faces), "face")


@pytest.fixture(autouse=True)
def only_predict(monkeypatch):
    """Build the CLI with the predict command alone, so other commands' state cannot affect these tests."""
    monkeypatch.setattr(core.cli, "COMMANDS", ["predict"])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict")
    torch.manual_seed(0)
    ckpt = save_checkpoint(root / "tiny.ckpt", model=SmileVLM(TINY, 384), model_config=TINY, epoch=1, step=1,
                           config={"loss": {"tau": 0.07}, "render": {"n_frames": 3}})
    scan = _face(0.1)
    trimesh.Trimesh(scan.vertices, scan.faces, process=False).export(root / "scan.obj")
    frames = [_face(b) for b in (0.0, 0.1, 0.2)]
    np.savez(root / "seq.npz", vertices=np.stack([f.vertices for f in frames]), faces=frames[0].faces)
    (root / "seqdir").mkdir()
    for i, f in enumerate(frames):
        trimesh.Trimesh(f.vertices, f.faces, process=False).export(root / "seqdir" / f"frame_{i}.obj")
    return root, ckpt


def test_json_lines_for_a_scan_and_4d_sequences(inputs, capsys):
    root, ckpt = inputs
    paths = [str(root / "scan.obj"), str(root / "seq.npz"), str(root / "seqdir")]
    code = main(["predict", *paths, "--checkpoint", str(ckpt), "--json", "--device", "cpu"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(lines) == 3
    for path, line in zip(paths, lines):
        obj = json.loads(line)
        assert obj["path"] == path and set(obj) == {"path", "probabilities", "view_weights", "top", "face"}
        assert obj["face"] is None  # the checkpoint predates canonical faces: bounding-box framing, no face search
        assert list(obj["probabilities"]) == ["happiness", "sadness", "surprise", "anger", "disgust", "fear"]
        assert sum(obj["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert len(obj["view_weights"]) == 3 and sum(obj["view_weights"]) == pytest.approx(1.0, abs=1e-4)
        assert obj["top"] in obj["probabilities"]


def test_a_failing_input_gets_an_error_line_and_a_nonzero_exit(inputs, capsys):
    root, ckpt = inputs
    (root / "bad.obj").write_bytes(b"\x00\x01 garbage")
    code = main(["predict", str(root / "bad.obj"), str(root / "scan.obj"), "--checkpoint", str(ckpt), "--json",
                 "--device", "cpu"])
    first, second = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert code == 1
    assert first["path"] == str(root / "bad.obj") and "bad.obj" in first["error"]
    assert "probabilities" in second


def test_table_and_prompt_file(inputs, capsys, tmp_path):
    root, ckpt = inputs
    (tmp_path / "p.json").write_text(json.dumps({"smiling": ["a smiling face"], "frowning": ["a frowning face"]}))
    code = main(["predict", str(root / "scan.obj"), "--checkpoint", str(ckpt), "--prompts", str(tmp_path / "p.json"),
                 "--device", "cpu"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and "smiling" in out[0] and "frowning" in out[0] and "scan.obj" in out[1]


def test_bad_checkpoint_is_an_error_message(inputs, capsys, tmp_path):
    root, _ = inputs
    (tmp_path / "x.ckpt").write_bytes(b"nope")
    code = main(["predict", str(root / "scan.obj"), "--checkpoint", str(tmp_path / "x.ckpt")])
    assert code == 1 and "x.ckpt" in capsys.readouterr().err


def _ict_obj(path):
    from core.synth.ict_model import find_and_load_ict

    try:
        ict = find_and_load_ict()
    except (ValueError, OSError) as exc:
        pytest.skip(f"ICT face model not available: {exc}")
    trimesh.Trimesh(ict.neutral, ict.faces, process=False).export(path)
    return path


def test_orientation_flag_gives_each_input_a_face_object_and_a_warning(inputs, capsys, tmp_path):
    root, ckpt = inputs
    face_file = _ict_obj(tmp_path / "ict.obj")
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=80.0)
    sphere.export(tmp_path / "sphere.obj")
    paths = [str(face_file), str(tmp_path / "sphere.obj")]
    code = main(["predict", *paths, "--checkpoint", str(ckpt), "--json", "--device", "cpu", "--orientation", "auto"])
    ict, ball = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert code == 0
    assert ict["face"]["ok"] is True and ict["face"]["reason"] == "" and ict["face"]["residual_mm"] < 3.0
    assert ball["face"]["ok"] is False and ball["face"]["reason"].startswith("no face found")
    code = main(["predict", *paths, "--checkpoint", str(ckpt), "--device", "cpu", "--orientation", "auto",
                 "--no-crop"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and len(out) == 4  # header, the face's row, the sphere's row and its warning
    assert "ict.obj" in out[1] and "sphere.obj" in out[2]
    assert "WARNING" in out[3] and "no face found" in out[3] and "unreliable" in out[3]
    assert not any("WARNING" in line for line in out[:3])


def test_orientation_and_no_crop_reach_the_analyzer(inputs, monkeypatch):
    import core.inference.predict as predict_module
    from core.cli import build_parser
    from core.inference.predict import PredictConfig, build_analyzer

    root, ckpt = inputs
    seen = []
    monkeypatch.setattr(predict_module, "predict", lambda config, analyzer: seen.append((config, analyzer)) or iter(()))
    args = build_parser().parse_args(["predict", "x.obj", "--checkpoint", str(ckpt), "--orientation", "z-up",
                                      "--no-crop", "--device", "cpu"])
    assert (args.orientation, args.crop) == ("z-up", False)
    assert args.handler(args) == 0
    config, analyzer = seen[0]
    assert (config.orientation, config.crop) == ("z-up", False)
    assert analyzer.render_config.canonical.orientation == "z-up" and not analyzer.render_config.canonical.crop
    defaults = build_parser().parse_args(["predict", "x.obj", "--checkpoint", str(ckpt)])
    assert (defaults.orientation, defaults.crop) == (None, None)
    legacy = build_analyzer(PredictConfig(paths=("x.obj",), checkpoint=str(ckpt), device="cpu"))
    assert legacy.render_config.canonical.orientation == "none"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "x.obj", "--checkpoint", str(ckpt), "--orientation", "sideways"])


def test_per_frame_json_gives_each_input_a_frames_list(inputs, capsys):
    root, ckpt = inputs
    paths = [str(root / "seq.npz"), str(root / "seqdir"), str(root / "scan.obj")]
    code = main(["predict", *paths, "--checkpoint", str(ckpt), "--json", "--per-frame", "--device", "cpu"])
    seq, folder, scan = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert code == 0
    assert set(seq) == {"path", "probabilities", "view_weights", "top", "face", "window", "frames", "events"}
    assert seq["window"] == "cumulative" and [f["frame"] for f in seq["frames"]] == [0, 1, 2]
    for entry in seq["frames"]:
        assert list(entry["probabilities"]) == list(seq["probabilities"])
        assert sum(entry["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert entry["window"] == [0, entry["frame"]] and entry["top"] in entry["probabilities"]
    assert seq["frames"][-1]["probabilities"] == seq["probabilities"]  # the last cumulative window: the sequence
    main(["predict", str(root / "seq.npz"), "--checkpoint", str(ckpt), "--json", "--device", "cpu"])
    one_shot = json.loads(capsys.readouterr().out)
    assert all(seq["probabilities"][k] == pytest.approx(v, abs=1e-4) for k, v in one_shot["probabilities"].items())
    assert len(folder["frames"]) == 3 and folder["top"] in folder["probabilities"]
    assert len(scan["frames"]) == 1 and scan["frames"][0]["pooled"] == 1 and scan["events"] is None


def test_per_frame_csv_and_table_and_last_k_windows(inputs, capsys):
    import csv
    import io

    root, ckpt = inputs
    (root / "broken.obj").write_bytes(b"\x00 garbage")
    paths = [str(root / "seq.npz"), str(root / "broken.obj")]
    code = main(["predict", *paths, "--checkpoint", str(ckpt), "--csv", "--per-frame", "--window", "2",
                 "--device", "cpu"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert code == 1 and len(rows) == 4
    assert [(r["frame"], r["window_start"], r["window_end"], r["pooled"]) for r in rows[:3]] == [
        ("0", "0", "0", "1"), ("1", "0", "1", "2"), ("2", "1", "2", "2")]
    assert list(rows[0])[6:] == ["happiness", "sadness", "surprise", "anger", "disgust", "fear", "error"]
    assert rows[3]["path"] == str(root / "broken.obj") and "broken.obj" in rows[3]["error"]
    code = main(["predict", str(root / "seq.npz"), "--checkpoint", str(ckpt), "--per-frame", "--device", "cpu"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and "happiness" in out[0] and "seq.npz" in out[1]
    assert [line.split()[:2] for line in out[2:5]] == [["frame", "0"], ["frame", "1"], ["frame", "2"]]
    assert "apex" in out[5]


def test_per_frame_options_are_checked(inputs, capsys):
    root, ckpt = inputs
    base = ["predict", str(root / "seq.npz"), "--checkpoint", str(ckpt), "--device", "cpu"]
    assert main([*base, "--csv"]) == 1 and "--csv needs --per-frame" in capsys.readouterr().err
    assert main([*base, "--window", "4"]) == 1 and "--window needs --per-frame" in capsys.readouterr().err
    assert main([*base, "--per-frame", "--window", "1"]) == 1 and "K >= 2" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--per-frame", "--json", "--csv"])


def test_starting_a_command_does_not_import_torch():
    """Every smile-vlm command registers all parsers at start-up: none of them may pull torch in (~4 s)."""
    import subprocess
    import sys

    code = ("import sys, importlib, core.cli as c\n"
            "[importlib.import_module('core.cli.' + n.replace('-', '_') + '_cmd') for n in c.COMMANDS]\n"
            "c.build_parser()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
