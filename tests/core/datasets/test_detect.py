from pathlib import Path

import pytest

from core.datasets.detect import AUTO, detect_layout, index_folder

BU4DFE = ("Angry", "Happy", "Surprise")


def make_bu4dfe(root: Path, make_sequence, touch) -> Path:
    for subject in ("F001", "M002"):
        for expression in BU4DFE:
            make_sequence(root / subject / expression, 4)
            touch(root / subject / expression / "000.bmp")  # a texture: not a scan file
    return root


def make_bosphorus(root: Path, touch) -> Path:
    for subject in ("bs000", "bs001"):
        for code in ("E_HAPPY_0", "E_SADNESS_0", "N_N_0", "LFAU_12_0"):
            touch(root / subject / f"{subject}_{code}.bnt")
            touch(root / subject / f"{subject}_{code}.png")
    return root


def make_bp4d(root: Path, make_sequence) -> Path:
    for subject in ("F001", "M018"):
        for task in ("T1", "T8"):
            make_sequence(root / subject / task, 3, ".obj")
    return root


@pytest.mark.parametrize("fmt", ["bu3dfe", "bu4dfe", "bosphorus", "bp4d"])
def test_every_layout_is_detected(fmt, bu3dfe_root, tmp_path, make_sequence, touch):
    root = {"bu3dfe": lambda: bu3dfe_root,
            "bu4dfe": lambda: make_bu4dfe(tmp_path / "BU4DFE", make_sequence, touch),
            "bosphorus": lambda: make_bosphorus(tmp_path / "Bosphorus", touch),
            "bp4d": lambda: make_bp4d(tmp_path / "BP4D", make_sequence)}[fmt]()
    detection = detect_layout(root)
    assert detection.ok and detection.fmt == fmt and not detection.ambiguous
    assert detection.scores[0].fmt == fmt and detection.scores[0].share == 1.0
    assert "detected the" in detection.message and "\n" not in detection.message
    indexed = index_folder(root)
    assert indexed.fmt == fmt and indexed.detection == detection
    assert len(indexed.result.rows) > 0


def test_a_single_subject_folder_is_detected(tmp_path, make_sequence, touch):
    root = make_bu4dfe(tmp_path / "BU4DFE", make_sequence, touch)
    detection = detect_layout(root / "F001")
    assert detection.fmt == "bu4dfe"
    assert [r.code for r in index_folder(root / "F001").result.rows] == list(BU4DFE)


def test_bu3dfe_raw_models_are_side_files_and_strays_are_counted(bu3dfe_root, touch):
    touch(bu3dfe_root / "F0001" / "my_export.obj")
    detection = detect_layout(bu3dfe_root)
    best = detection.scores[0]
    assert (best.fmt, best.fits, best.misfits, best.ignored) == ("bu3dfe", 75, 1, 75)
    assert "1 other file(s) will be skipped" in detection.message
    assert best.example == "F0001/my_export.obj" and "name does not follow" in best.reason


def test_no_layout_gives_one_sentence_with_reasons_per_layout(tmp_path, touch):
    for name in ("a.obj", "b.ply", "sub/c.wrl"):
        touch(tmp_path / "mine" / name)
    detection = detect_layout(tmp_path / "mine")
    assert detection.fmt is None and not detection.ambiguous
    assert detection.message.startswith("mine is in no known data-set layout: of its 3 scan files none fits")
    assert detection.message.count(". ") == 0 and "\n" not in detection.message
    assert {s.fmt for s in detection.scores} == {"bu3dfe", "bu4dfe", "bosphorus", "bp4d"}
    assert all(s.fits == 0 and s.reason for s in detection.scores)
    assert "BU-3DFE: 0 of 3 scan files fit; e.g." in detection.details()
    with pytest.raises(ValueError, match="no known data-set layout") as err:
        index_folder(tmp_path / "mine", AUTO)
    assert "\n" not in str(err.value)
    (tmp_path / "empty").mkdir()
    touch(tmp_path / "empty" / "readme.txt")
    assert "holds no scan files" in detect_layout(tmp_path / "empty").message
    with pytest.raises(FileNotFoundError):
        detect_layout(tmp_path / "gone")


def test_a_mixed_folder_is_ambiguous(tmp_path, make_sequence, touch, bu3dfe_root):
    root = tmp_path / "mixed"
    make_bosphorus(root / "bosphorus", touch)
    make_bp4d(root / "bp4d", make_sequence)
    detection = detect_layout(root)
    assert detection.fmt is None and detection.ambiguous
    assert set(detection.candidates) == {"bosphorus", "bp4d"}
    assert "mixes data-set layouts" in detection.message and "choose its layout" in detection.message


def test_a_wrong_choice_says_what_the_folder_is_in_one_sentence(bu3dfe_root, tmp_path, make_sequence, touch):
    with pytest.raises(ValueError) as err:
        index_folder(bu3dfe_root, "bu4dfe")
    text = str(err.value)
    assert text == ("BU3DFE is not a BU-4DFE folder (none of its 150 scan files is named like F001/Happy/000.wrl); "
                    "it looks like BU-3DFE: choose Auto-detect or BU-3DFE.")
    with pytest.raises(ValueError, match=r"^mine is not a Bosphorus folder .*it is in no known layout\.$"):
        touch(tmp_path / "mine" / "a.obj")
        index_folder(tmp_path / "mine", "bosphorus")
    with pytest.raises(ValueError, match="unknown data-set layout 'ply'"):
        index_folder(bu3dfe_root, "ply")
    chosen = index_folder(bu3dfe_root, "BU3DFE")
    assert chosen.fmt == "bu3dfe" and chosen.detection is None and len(chosen.result.rows) == 75


def test_the_walk_stops_at_the_sample_limit(tmp_path, make_sequence, monkeypatch):
    from core.datasets import detect

    make_bp4d(tmp_path / "BP4D", make_sequence)
    monkeypatch.setattr(detect, "SAMPLE_LIMIT", 5)
    detection = detect_layout(tmp_path / "BP4D")
    assert detection.truncated and detection.n_files == 5 and detection.fmt == "bp4d"
    assert "5+ scan files" in detection.message
