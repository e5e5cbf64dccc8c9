from pathlib import Path

import pytest

from core.datasets import index_dataset
from core.datasets.bu3dfe import index


def test_full_layout_indexes_every_f3d_model(bu3dfe_root: Path):
    result = index_dataset(bu3dfe_root, "bu3dfe")
    assert len(result.rows) == 75
    assert result.skipped == ()
    assert result.ignored == 150  # _RAW.wrl and _F2D.bmp siblings, not errors
    assert result.subjects == ("F0001", "F0003", "M0002")
    assert result.label_counts["neutral"] == 3
    assert all(result.label_counts[e] == 12 for e in ("anger", "disgust", "fear", "happiness", "sadness", "surprise"))
    assert all(r.kind == "3d" and r.n_frames == 1 and r.dataset == "bu3dfe" for r in result.rows)
    assert all(r.path.name.endswith("_F3D.wrl") and r.path.is_absolute() for r in result.rows)


def test_row_fields_from_name(bu3dfe_root: Path):
    rows = {r.path.name: r for r in index(bu3dfe_root).rows}
    r = rows["M0002_SU03AE_F3D.wrl"]
    assert (r.subject, r.label, r.intensity, r.code) == ("M0002", "surprise", 3, "SU")
    assert r.extras == {"sex": "M", "race": "AE"}
    assert r.path == bu3dfe_root / "M0002" / "M0002_SU03AE_F3D.wrl"
    n = rows["F0001_NE00WH_F3D.wrl"]
    assert (n.label, n.intensity, n.code) == ("neutral", 0, "NE")


def test_protocol_counts(bu3dfe_root: Path):
    s1 = index_dataset(bu3dfe_root, "bu3dfe", "subset1")
    s2 = index_dataset(bu3dfe_root, "bu3dfe", "subset2")
    assert len(s1.rows) == 36 and s1.excluded == 39
    assert len(s2.rows) == 72 and s2.excluded == 3
    assert {r.intensity for r in s1.rows} == {3, 4}
    assert "neutral" not in s1.label_counts and "neutral" not in s2.label_counts


def test_bad_names_are_reported_not_fatal(bu3dfe_root: Path, touch):
    bad = {
        "F0001/F0001_XX01WH_F3D.wrl": "unknown expression code",
        "F0001/F0001_AN05WH_F3D.wrl": "intensity must be 01-04",
        "F0001/F0001_NE02WH_F3D.wrl": "neutral scans have intensity 00",
        "F0001/F0001_AN01ZZ_F3D.wrl": "unknown race code",
        "F0001/M0009_AN01WH_F3D.wrl": "does not match its folder F0001",
        "F0001/F0001_AN01WH_F3D.obj": "not an _F3D.wrl model",
        "F0001/notes.txt": "name does not follow",
    }
    for name in bad:
        touch(bu3dfe_root / name)
    result = index(bu3dfe_root)
    assert len(result.rows) == 75
    reasons = {p.relative_to(bu3dfe_root).as_posix(): why for p, why in result.skipped}
    assert set(reasons) == set(bad)
    for name, fragment in bad.items():
        assert fragment in reasons[name]


def test_files_directly_under_root_are_accepted(tmp_path: Path, touch):
    touch(tmp_path / "F0007_HA04LA_F3D.wrl")
    (row,) = index(tmp_path).rows
    assert (row.subject, row.label, row.intensity) == ("F0007", "happiness", 4)


def test_missing_or_empty_root(tmp_path: Path, touch):
    with pytest.raises(FileNotFoundError, match="nope"):
        index_dataset(tmp_path / "nope", "bu3dfe")
    touch(tmp_path / "F0001" / "F0001_AN01WH_RAW.wrl")
    with pytest.raises(ValueError, match="nothing indexable as BU-3DFE"):
        index_dataset(tmp_path, "bu3dfe")
    with pytest.raises(ValueError, match="not a folder"):
        index_dataset(tmp_path / "F0001" / "F0001_AN01WH_RAW.wrl", "bu3dfe")
