"""`smile-vlm synth` end to end through core.cli.main, and its error exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.datasets import index_dataset, read_manifest
from core.synth.model import SFM_FILES, repo_root

SHARED_SFM = repo_root().parent / "shared" / "sfm"


@pytest.fixture()
def sfm() -> str:
    if not all((SHARED_SFM / name).is_file() for name in SFM_FILES):
        pytest.skip(f"Surrey Face Model files not in {SHARED_SFM}")
    return str(SHARED_SFM)


def test_synth_bu3dfe_end_to_end(tmp_path: Path, sfm, capsys):
    out = tmp_path / "bu3dfe"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(out), "--seed", "2", "--sfm", sfm, "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "bu3dfe" in printed and "25 scans" in printed
    index = index_dataset(out, "bu3dfe")
    assert len(index.rows) == 25 and index.skipped == ()
    info = json.loads((out / "synth.json").read_text(encoding="utf-8"))
    assert info["seed"] == 2 and info["subjects"] == 1


def test_synth_4d_frames_format_and_workers(tmp_path: Path, sfm, capsys):
    out = tmp_path / "me"
    rc = main(["synth", "4dme", "--subjects", "2", "--out", str(out), "--frames", "9", "--frame-format", "wrl",
               "--workers", "2", "--sfm", sfm, "--no-progress"])
    assert rc == 0
    assert "manifest:" in capsys.readouterr().out
    rows = read_manifest(out / "4dme.csv")
    assert len(rows) == 10 and {r.subject for r in rows} == {"S001", "S002"}
    assert sorted(p.name for p in Path(rows[0].path).iterdir()) == [f"{t:03d}.wrl" for t in range(9)]


def test_synth_settings_file_and_env_var(tmp_path: Path, sfm, monkeypatch, capsys):
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"bu4dfe": {"frames": 3, "expressions": ["surprise"]}}))
    monkeypatch.setenv("SMILE_SFM_DIR", sfm)
    out = tmp_path / "b4"
    assert main(["synth", "bu4dfe", "--subjects", "1", "--out", str(out), "--settings", str(settings),
                 "--no-progress"]) == 0
    index = index_dataset(out, "bu4dfe")
    assert [r.label for r in index.rows] == ["surprise"] and index.rows[0].n_frames == 3


def test_synth_demo(tmp_path: Path, sfm, capsys):
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"demo": {"bu3dfe_subjects": 1, "bu4dfe_subjects": 1, "bu4dfe_frames": 3,
                                             "bu4dfe_expressions": ["happiness"]}}))
    out = tmp_path / "demo"
    assert main(["synth", "demo", "--out", str(out), "--sfm", sfm, "--settings", str(settings), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "demo" in printed and str(out) in printed
    assert len(read_manifest(out / "demo.csv")) == 26


@pytest.mark.parametrize("argv, message", [
    (["bu3dfe", "--subjects", "0"], "subjects must be an integer"),
    (["bu3dfe"], "--subjects"),
    (["bu4dfe", "--subjects", "1", "--frames", "2"], "bu4dfe.frames"),
    (["bu3dfe", "--subjects", "1", "--frames", "10"], "--frames"),
    (["demo", "--subjects", "3"], "--subjects"),
    (["4dme", "--subjects", "1", "--workers", "0"], "workers"),
    (["bp4d", "--subjects", "1", "--seed", "-2"], "seed"),
])
def test_synth_bad_settings_exit_1_before_writing(tmp_path: Path, capsys, argv, message):
    out = tmp_path / "out"
    rc = main(["synth", *argv, "--out", str(out), "--sfm", str(tmp_path / "no_model_needed"), "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "smile-vlm synth: error:" in err and message in err
    assert not out.exists()


def test_synth_unknown_generator_is_a_usage_error(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "bu5dfe", "--subjects", "1", "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_synth_missing_model_folder_names_it(tmp_path: Path, capsys):
    missing = tmp_path / "nowhere"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(tmp_path / "o"), "--sfm", str(missing),
               "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "--sfm" in err
    assert not (tmp_path / "o").exists()


def test_synth_refuses_a_non_empty_folder(tmp_path: Path, sfm, capsys):
    out = tmp_path / "full"
    out.mkdir()
    (out / "x.txt").write_text("x")
    rc = main(["synth", "bosphorus", "--subjects", "1", "--out", str(out), "--sfm", sfm, "--no-progress"])
    assert rc == 1 and "not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["x.txt"]


# ------------------------------------------------------------------------------------------ face models

SHARED_ICT = repo_root().parent / "shared" / "ict"


@pytest.fixture()
def ict(monkeypatch) -> str:
    from core.synth.ict_model import ENV_VAR, NPZ_FILE

    if not ((SHARED_ICT / NPZ_FILE).is_file() or (SHARED_ICT / "FaceXModel").is_dir()):
        pytest.skip(f"ICT face model files not in {SHARED_ICT}")
    monkeypatch.delenv(ENV_VAR, raising=False)  # the default search must find ../shared/ict by itself
    return str(SHARED_ICT)


def test_synth_uses_the_ict_model_by_default(tmp_path: Path, ict, capsys):
    out = tmp_path / "bu3dfe"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(out), "--workers", "1", "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "ict face model" in printed and "25 scans" in printed
    info = json.loads((out / "synth.json").read_text(encoding="utf-8"))
    assert info["model"]["face_model"] == "ict"
    assert "style" not in info["settings"] and "au_style" in info["settings"]
    index = index_dataset(out, "bu3dfe")
    assert len(index.rows) == 25 and index.skipped == ()


def test_synth_face_model_sfm(tmp_path: Path, sfm, capsys):
    out = tmp_path / "bu3dfe"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(out), "--face-model", "sfm",
               "--face-model-dir", sfm, "--no-progress"])
    assert rc == 0
    assert "sfm face model" in capsys.readouterr().out
    info = json.loads((out / "synth.json").read_text(encoding="utf-8"))
    assert info["model"]["face_model"] == "sfm"
    assert "style" in info["settings"] and "au_style" not in info["settings"]
    assert len(index_dataset(out, "bu3dfe").rows) == 25


def test_synth_sfm_folder_with_ict_is_an_error(tmp_path: Path, capsys):
    out = tmp_path / "o"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(out), "--sfm", str(tmp_path),
               "--face-model", "ict", "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "smile-vlm synth: error:" in err and "--sfm" in err and "--face-model ict" in err
    assert "Traceback" not in err and not out.exists()


def test_synth_sfm_and_face_model_dir_together_is_an_error(tmp_path: Path, capsys):
    out = tmp_path / "o"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(out), "--sfm", str(tmp_path),
               "--face-model-dir", str(tmp_path), "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "--sfm" in err and "--face-model-dir" in err and not out.exists()


@pytest.mark.parametrize("model_args", [["--face-model", "sfm"], ["--sfm", "SFM_DIR"]])
def test_synth_heads_needs_the_ict_model(tmp_path: Path, capsys, model_args):
    out = tmp_path / "heads"
    args = [a.replace("SFM_DIR", str(tmp_path)) for a in model_args]
    rc = main(["synth", "heads", "--subjects", "1", "--out", str(out), *args, "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "smile-vlm synth: error:" in err and "heads" in err and "--face-model ict" in err
    assert "whole-head" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("face_model", ["ict", "sfm"])
def test_synth_empty_face_model_dir_names_it(tmp_path: Path, capsys, face_model):
    empty = tmp_path / "empty_model_dir"
    empty.mkdir()
    out = tmp_path / "o"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(out), "--face-model", face_model,
               "--face-model-dir", str(empty), "--no-progress"])
    assert rc != 0
    err = capsys.readouterr().err
    assert "smile-vlm synth: error:" in err and str(empty) in err
    assert "Traceback" not in err and not out.exists()


def test_synth_missing_face_model_dir_names_it(tmp_path: Path, capsys):
    missing = tmp_path / "no_such_dir"
    rc = main(["synth", "bu3dfe", "--subjects", "1", "--out", str(tmp_path / "o"), "--face-model-dir", str(missing),
               "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "--face-model-dir" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_synth_face_model_dir_given_explicitly(tmp_path: Path, ict, capsys):
    out = tmp_path / "bos"
    rc = main(["synth", "bosphorus", "--subjects", "1", "--out", str(out), "--face-model", "ict",
               "--face-model-dir", ict, "--workers", "1", "--no-progress"])
    assert rc == 0
    assert "ict face model" in capsys.readouterr().out
    assert len(index_dataset(out, "bosphorus").rows) == 7


def test_synth_unknown_face_model_is_a_usage_error(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "bu3dfe", "--subjects", "1", "--out", str(tmp_path / "o"), "--face-model", "bfm"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_synth_sfm_env_var_with_face_model_sfm(tmp_path: Path, sfm, monkeypatch, capsys):
    """SMILE_SFM_DIR still finds the SFM once --face-model sfm is given (the default is now ICT)."""
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"bu4dfe": {"frames": 3, "expressions": ["surprise"]}}))
    monkeypatch.setenv("SMILE_SFM_DIR", sfm)
    out = tmp_path / "b4"
    assert main(["synth", "bu4dfe", "--subjects", "1", "--out", str(out), "--settings", str(settings),
                 "--face-model", "sfm", "--no-progress"]) == 0
    assert "sfm face model" in capsys.readouterr().out
    assert json.loads((out / "synth.json").read_text(encoding="utf-8"))["model"]["face_model"] == "sfm"
    index = index_dataset(out, "bu4dfe")
    assert [r.label for r in index.rows] == ["surprise"] and index.rows[0].n_frames == 3
