"""Running generators: byte-level determinism (seed, workers), synth.json, and settings rejected before
any file is written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.synth.config import load_config
from core.synth.runner import INFO_FILE, RunConfig, generate, generate_demo

#: Tiny 4D settings: determinism does not need long sequences.
TINY = {
    "bu3dfe": None,
    "bosphorus": None,
    "bu4dfe": {"frames": 3, "expressions": ["happiness", "fear"]},
    "bp4d": {"frames": 3, "tasks": ["T1", "T8"]},
    "4dme": {"frames": 5, "clips_per_subject": 2, "duration_frames": [2, 3]},
}


def _digests(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _run(model, generator: str, out: Path, seed: int, subjects: int = 1, workers: int = 1):
    return generate(RunConfig(generator, subjects, out, seed, workers), load_config(generator, None, TINY[generator]),
                    model)


@pytest.mark.parametrize("generator", ["bu3dfe", "bu4dfe", "bp4d", "4dme", "bosphorus"])
def test_same_seed_same_bytes_other_seed_other_bytes(sfm_model, tmp_path, generator):
    _run(sfm_model, generator, tmp_path / "a", seed=5)
    _run(sfm_model, generator, tmp_path / "b", seed=5)
    _run(sfm_model, generator, tmp_path / "c", seed=6)
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert INFO_FILE in a and len(a) > 3
    assert a == b  # every file, synth.json included
    shared = sorted(set(a) & set(c) - {INFO_FILE, "4dme.csv"})
    assert shared, "the layout does not depend on the seed here"
    assert all(a[name] != c[name] for name in shared)  # every scan / frame changes with the seed


def test_workers_do_not_change_the_bytes(sfm_model, tmp_path):
    one = _run(sfm_model, "bu3dfe", tmp_path / "w1", seed=9, subjects=2, workers=1)
    two = _run(sfm_model, "bu3dfe", tmp_path / "w2", seed=9, subjects=2, workers=2)
    assert _digests(tmp_path / "w1") == _digests(tmp_path / "w2")
    assert one.items == two.items and one.n_files == two.n_files == 50
    # a subject's files do not depend on how many subjects are generated around it
    _run(sfm_model, "bu3dfe", tmp_path / "first", seed=9, subjects=1)
    first = {k: v for k, v in _digests(tmp_path / "first").items() if k != INFO_FILE}
    assert first.items() <= _digests(tmp_path / "w1").items()
    seq1 = _run(sfm_model, "4dme", tmp_path / "m1", seed=9, subjects=2, workers=1)
    seq2 = _run(sfm_model, "4dme", tmp_path / "m2", seed=9, subjects=2, workers=2)
    assert _digests(tmp_path / "m1") == _digests(tmp_path / "m2") and seq1.items == seq2.items


def test_synth_json_describes_the_run(sfm_model, tmp_path):
    result = _run(sfm_model, "bu4dfe", tmp_path / "out", seed=7)
    info = json.loads((tmp_path / "out" / INFO_FILE).read_text(encoding="utf-8"))
    assert info["generator"] == "bu4dfe" and info["seed"] == 7 and info["subjects"] == 1
    assert info["files"] == result.n_files == 2 * 3
    assert info["settings"]["frames"] == 3 and info["settings"]["expressions"] == ["happiness", "fear"]
    assert info["model"]["sha256"] == dict(sorted(sfm_model.checksums.items()))
    assert str(tmp_path) not in (tmp_path / "out" / INFO_FILE).read_text(encoding="utf-8")  # no absolute paths


def test_output_folder_must_be_empty_unless_overwrite(sfm_model, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        _run(sfm_model, "bu3dfe", out, seed=0)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    generate(RunConfig("bu3dfe", 1, out, 0, overwrite=True), load_config("bu3dfe"), sfm_model)
    assert (out / INFO_FILE).is_file() and (out / "keep.txt").is_file()
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        _run(sfm_model, "bu3dfe", afile, seed=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"subjects": 0}, "subjects"),
    ({"subjects": -3}, "subjects"),
    ({"subjects": 2.5}, "subjects"),
    ({"subjects": 10000}, "subjects"),
    ({"seed": -1}, "seed"),
    ({"workers": 0}, "workers"),
    ({"generator": "bu5dfe"}, "unknown generator"),
])
def test_impossible_run_settings(tmp_path, kwargs, match):
    args = {"generator": "bu3dfe", "subjects": 1, "out": tmp_path / "out"} | kwargs
    with pytest.raises(ValueError, match=match):
        RunConfig(**args)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("generator, overrides, match", [
    ("bu4dfe", {"frames": 2}, "bu4dfe.frames"),
    ("bp4d", {"frames": 0}, "bp4d.frames"),
    ("4dme", {"frames": 1}, "4dme.frames"),
    ("bu4dfe", {"apex_intensity": [-0.2, 0.5]}, "bu4dfe.apex_intensity"),
    ("4dme", {"intensity": [-0.1, 0.3]}, "4dme.intensity"),
    ("bosphorus", {"intensity": [-1.0, 0.5]}, "bosphorus.intensity"),
    ("bu3dfe", {"intensity_levels": [[-0.1, 0.2], [0.3, 0.5], [0.5, 0.7], [0.7, 1.0]]}, "intensity_levels"),
    ("bp4d", {"event_amplitude": [-0.5, 0.5]}, "bp4d.event_amplitude"),
    ("bu4dfe", {"expressions": ["joy"]}, "unknown expression"),
    ("bu4dfe", {"frame_format": "ply"}, "frame_format"),
    ("bu3dfe", {"artefacts": {"noise_mm": -1.0}}, "artefacts.noise_mm"),
    ("bu3dfe", {"no_such_setting": 1}, "unknown setting"),
])
def test_impossible_generator_settings(generator, overrides, match):
    with pytest.raises(ValueError, match=match):
        load_config(generator, None, overrides)


def test_unknown_generator_and_bad_settings_file(tmp_path):
    with pytest.raises(ValueError, match="unknown generator"):
        load_config("bu5dfe")
    bad = tmp_path / "bad.json"
    bad.write_text('{"bu4dfe": {"frames": 2}}')
    with pytest.raises(ValueError, match=r"bad\.json.*bu4dfe\.frames"):
        load_config("bu4dfe", bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_config("bu3dfe", bad)


def test_demo_set_is_indexed(sfm_model, tmp_path):
    from core.datasets import read_manifest
    from core.synth.config import DemoConfig

    demo = DemoConfig(bu3dfe_subjects=1, bu4dfe_subjects=1, bu4dfe_frames=3, bu4dfe_expressions=("happiness",))
    manifests = generate_demo(tmp_path / "demo", sfm_model, demo, seed=1)
    assert set(manifests) == {"bu3dfe", "bu4dfe", "demo"}
    rows = {name: list(read_manifest(path)) for name, path in manifests.items()}
    assert len(rows["bu3dfe"]) == 25 and len(rows["bu4dfe"]) == 1
    assert len(rows["demo"]) == 26
    assert all(Path(r.path).exists() for r in rows["demo"])
    info = json.loads((tmp_path / "demo" / INFO_FILE).read_text(encoding="utf-8"))
    assert info["generator"] == "demo" and set(info["parts"]) == {"bu3dfe", "bu4dfe"}
