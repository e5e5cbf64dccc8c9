import json

from core.datasets import ManifestRow
from core.datasets.subjects import subject_key, subject_keys


def _row(path, subject="F0001", dataset="bu3dfe"):
    return ManifestRow(path=path, subject=subject, label="happiness", intensity=4, kind="3d", n_frames=1,
                       dataset=dataset, code="HA")


def test_real_data_keys_by_data_set_and_subject(tmp_path):
    a = _row(tmp_path / "copy1" / "F0001" / "F0001_HA04WH_F3D.wrl")
    b = _row(tmp_path / "copy2" / "F0001" / "F0001_HA04WH_F3D.wrl")
    assert subject_key(a) == subject_key(b) == "bu3dfe/F0001"  # the same person in two copies of the data set
    assert subject_key(_row(a.path, dataset="bu4dfe")) == "bu4dfe/F0001"


def test_synthetic_subjects_carry_their_face_model_and_seed(tmp_path):
    for name, model, seed in (("a", "ict", 1), ("b", "sfm", 1), ("c", "ict", 2)):
        root = tmp_path / name
        (root / "F0001").mkdir(parents=True)
        (root / "synth.json").write_text(json.dumps({"seed": seed, "model": {"face_model": model}}))
    keys = [subject_key(_row(tmp_path / n / "F0001" / "F0001_HA04WH_F3D.wrl")) for n in "abc"]
    assert keys == ["bu3dfe/F0001@ict-seed1", "bu3dfe/F0001@sfm-seed1", "bu3dfe/F0001@ict-seed2"]
    rows = [_row(tmp_path / "a" / "F0001" / f"F0001_{c}04WH_F3D.wrl") for c in ("HA", "SA")]
    assert subject_keys(rows) == ["bu3dfe/F0001@ict-seed1"]


def test_a_synth_record_nested_too_deeply_is_just_synthetic(tmp_path):
    (tmp_path / "F0001").mkdir()
    (tmp_path / "synth.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    assert subject_key(_row(tmp_path / "F0001" / "F0001_HA04WH_F3D.wrl")) == "bu3dfe/F0001@synthetic"
