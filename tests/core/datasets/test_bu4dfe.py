import os
from pathlib import Path

import pytest

from core.datasets import index_dataset

FOLDERS = {"Angry": "anger", "Disgust": "disgust", "Fear": "fear", "Happy": "happiness", "Sad": "sadness", "Surprise": "surprise"}


def test_sequences_are_folders_with_frame_counts(tmp_path: Path, touch, make_sequence):
    for s, subject in enumerate(("F001", "M002")):
        for e, folder in enumerate(FOLDERS):
            make_sequence(tmp_path / subject / folder, 2 + e + s, ".obj" if s else ".wrl")
            touch(tmp_path / subject / folder / "000.bmp")  # texture: not a frame
    result = index_dataset(tmp_path, "bu4dfe")
    assert len(result.rows) == 12 and result.skipped == ()
    assert result.subjects == ("F001", "M002")
    by = {(r.subject, r.code): r for r in result.rows}
    happy = by[("F001", "Happy")]
    assert happy.path == tmp_path / "F001" / "Happy"
    assert (happy.label, happy.kind, happy.n_frames, happy.intensity, happy.dataset) == ("happiness", "4d", 5, None, "bu4dfe")
    assert by[("M002", "Surprise")].n_frames == 8
    assert {r.label for r in result.rows} == set(FOLDERS.values())
    assert by[("M002", "Angry")].extras == {"sex": "M"}


def test_empty_and_unknown_folders_are_skipped_with_reasons(tmp_path: Path, touch, make_sequence):
    make_sequence(tmp_path / "F001" / "Happy", 3)
    (tmp_path / "F001" / "Sad").mkdir()
    touch(tmp_path / "F001" / "Fear" / "readme.txt")
    make_sequence(tmp_path / "F001" / "Smile", 2)
    make_sequence(tmp_path / "stray" / "Happy", 2)
    make_sequence(tmp_path / "F002", 2)
    result = index_dataset(tmp_path, "bu4dfe")
    assert [r.code for r in result.rows] == ["Happy"]
    reasons = {p.relative_to(tmp_path).as_posix(): why for p, why in result.skipped}
    assert "no frame files" in reasons["F001/Sad"]
    assert "no frame files" in reasons["F001/Fear"]
    assert "unknown expression folder 'Smile'" in reasons["F001/Smile"]
    assert "not a subject folder" in reasons["stray/Happy"]
    assert "directly in the subject folder" in reasons["F002"]


def test_root_may_be_one_subject_folder_and_case_is_ignored(tmp_path: Path, make_sequence):
    make_sequence(tmp_path / "M010" / "happy", 4)
    (row,) = index_dataset(tmp_path / "M010", "bu4dfe").rows
    assert (row.subject, row.code, row.label, row.n_frames) == ("M010", "Happy", "happiness", 4)


def test_nothing_indexable(tmp_path: Path):
    (tmp_path / "F001" / "Happy").mkdir(parents=True)
    with pytest.raises(ValueError, match="nothing indexable as BU-4DFE.*no frame files"):
        index_dataset(tmp_path, "bu4dfe")


def test_unreadable_folder_is_reported(tmp_path: Path, make_sequence, monkeypatch):
    make_sequence(tmp_path / "F001" / "Happy", 2)
    locked = tmp_path / "F002"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = index_dataset(tmp_path, "bu4dfe")
    assert len(result.rows) == 1
    assert result.skipped == ((locked, "cannot list folder: Permission denied"),)
