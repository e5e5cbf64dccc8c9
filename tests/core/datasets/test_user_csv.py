import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.datasets import index_dataset
from core.datasets.user_csv import index, npz_frame_count


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_4dme_style_csv_with_relative_paths(tmp_path: Path, touch, make_sequence):
    make_sequence(tmp_path / "data" / "s01" / "clip1", 5, ".obj")
    touch(tmp_path / "data" / "s01" / "apex.obj")
    np.savez(tmp_path / "data" / "s02.npz", vertices=np.zeros((7, 4, 3), np.float32), faces=np.zeros((2, 3)))
    src = write_csv(
        tmp_path / "labels.csv",
        "Path,Subject,Label,dataset,Onset\n"
        "data/s01/clip1,s01,Positive,4dme,12\n"
        "data/s01/apex.obj,s01,repression,4dme,\n"
        f"{tmp_path / 'data' / 's02.npz'},s02,Others,4dme,3\n",
    )
    result = index_dataset(src, "csv")
    assert result.skipped == ()
    clip, apex, npz = result.rows
    assert clip.path == tmp_path / "data" / "s01" / "clip1"
    assert (clip.kind, clip.n_frames, clip.label, clip.code, clip.dataset) == ("4d", 5, "positive", "Positive", "4dme")
    assert clip.extras == {"onset": "12"}
    assert (apex.kind, apex.n_frames, apex.label, apex.extras) == ("3d", 1, "repression", {})
    assert (npz.kind, npz.n_frames, npz.label, npz.subject) == ("4d", 7, "others", "s02")


def test_explicit_columns_and_default_dataset(tmp_path: Path, touch):
    touch(tmp_path / "a.wrl")
    touch(tmp_path / "seq.npz")
    src = write_csv(
        tmp_path / "m.csv",
        "path,subject,label,kind,n_frames,intensity,code\n"
        "a.wrl,p1,happy,3d,1,2,HA\n"
        "seq.npz,p1,sad,4d,40,,SA\n",
    )
    a, seq = index(src).rows
    assert (a.label, a.intensity, a.code, a.dataset) == ("happiness", 2, "HA", "custom")
    assert (seq.kind, seq.n_frames, seq.intensity) == ("4d", 40, None)


def test_bad_rows_are_skipped_with_line_numbers(tmp_path: Path, touch):
    touch(tmp_path / "ok.obj")
    touch(tmp_path / "other.obj")
    (tmp_path / "empty_seq").mkdir()
    touch(tmp_path / "broken.npz")
    src = write_csv(
        tmp_path / "m.csv",
        "path,subject,label,kind,n_frames\n"
        "ok.obj,p1,fear,,\n"
        "missing.obj,p1,fear,,\n"
        "other.obj,,fear,,\n"
        "other.obj,p1,fear,5d,\n"
        "other.obj,p1,fear,,many\n"
        "other.obj,p1,fear,3d,3\n"
        "ok.obj,p2,anger,,\n"
        "empty_seq,p1,fear,,\n"
        "broken.npz,p1,fear,,\n"
        "other.obj,p1\n",
    )
    result = index(src)
    assert [r.path.name for r in result.rows] == ["ok.obj"]
    reasons = [why for _, why in result.skipped]
    assert reasons[0] == "line 3: path does not exist"
    assert result.skipped[0][0] == tmp_path / "missing.obj"
    assert reasons[1] == "line 4: subject is empty"
    assert reasons[2].startswith("line 5: kind must be one of 3d, 4d")
    assert reasons[3] == "line 6: n_frames is not an integer: 'many'"
    assert reasons[4].startswith("line 7: a 3d scan has exactly 1 frame")
    assert reasons[5] == "line 8: same path as line 2"
    assert reasons[6] == "line 9: sequence folder holds no frame files"
    assert reasons[7].startswith("line 10: n_frames is empty and could not be read from the .npz")
    assert reasons[8] == "line 11: 2 fields, the header has 5"


def test_missing_required_columns_names_the_file(tmp_path: Path):
    src = write_csv(tmp_path / "bad.csv", "file,subject,emotion\nx.obj,s1,happy\n")
    with pytest.raises(ValueError, match=r"bad\.csv: missing required columns: path, label"):
        index_dataset(src, "csv")


def test_missing_csv_folder_csv_and_no_usable_rows(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        index_dataset(tmp_path / "nope.csv", "csv")
    with pytest.raises(ValueError, match="not a file"):
        index_dataset(tmp_path, "csv")
    src = write_csv(tmp_path / "m.csv", "path,subject,label\ngone.obj,s1,fear\n")
    with pytest.raises(ValueError, match="nothing indexable as user CSV.*path does not exist"):
        index_dataset(src, "csv")
    empty = write_csv(tmp_path / "empty.csv", "")
    with pytest.raises(ValueError, match="empty.csv: empty file"):
        index_dataset(empty, "csv")


def test_npz_frame_count_reads_headers_only(tmp_path: Path):
    np.savez(tmp_path / "a.npz", meta=np.zeros(3), frames=np.zeros((9, 5, 3)))
    assert npz_frame_count(tmp_path / "a.npz") == 9
    np.savez(tmp_path / "b.npz", meta=np.zeros(3))
    assert npz_frame_count(tmp_path / "b.npz") is None
    with zipfile.ZipFile(tmp_path / "c.npz", "w") as z:
        z.writestr("vertices.npy", b"not an npy file")
    assert npz_frame_count(tmp_path / "c.npz") is None


def test_orientation_column_is_kept_and_checked(tmp_path: Path, touch):
    for name in ("a.obj", "b.obj", "c.obj"):
        touch(tmp_path / name)
    src = write_csv(tmp_path / "u.csv", "path,subject,label,Orientation\na.obj,s1,happy,Y-Up\nb.obj,s1,sad,\n"
                                        "c.obj,s1,sad,sideways\n")
    result = index(src)
    assert [r.orientation for r in result.rows] == ["y-up", ""]
    assert all(r.extras == {} for r in result.rows)
    ((path, reason),) = result.skipped
    assert path == tmp_path / "c.obj" and "line 4" in reason and "unknown orientation 'sideways'" in reason
