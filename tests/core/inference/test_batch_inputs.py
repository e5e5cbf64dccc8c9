from pathlib import Path

import pytest

from core.datasets import ManifestRow
from core.inference.batch_inputs import BatchInput, as_inputs, collect_folder, folder_inputs


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_a_bu4dfe_tree_gives_one_input_per_sequence_with_its_labels(tmp_path):
    for subject in ("F001", "M002"):
        for expression in ("Happy", "Sad"):
            for i in range(5):
                touch(tmp_path / "BU4DFE" / subject / expression / f"{i:03d}.wrl")
    found = folder_inputs(tmp_path / "BU4DFE")
    assert found.fmt == "bu4dfe"
    assert [Path(i.path).relative_to(tmp_path / "BU4DFE").as_posix() for i in found.inputs] == [
        "F001/Happy", "F001/Sad", "M002/Happy", "M002/Sad"]  # sequences, not 20 frames
    assert [(i.row.subject, i.row.label, i.row.kind) for i in found.inputs][:2] == [
        ("F001", "happiness", "4d"), ("F001", "sadness", "4d")]
    assert found.note == "BU4DFE: BU-4DFE layout, 4 sequence(s) with their manifest labels."


def test_other_folders_give_every_scan_file_without_rows(tmp_path):
    for name in ("b.obj", "sub/a.ply", ".hidden/c.obj", "notes.txt", "seq.npz"):
        touch(tmp_path / "mine" / name)
    found = folder_inputs(tmp_path / "mine")
    assert found.fmt is None and all(i.row is None for i in found.inputs)
    assert [i.path for i in found.inputs] == collect_folder(tmp_path / "mine") == [
        str(tmp_path / "mine" / n) for n in ("b.obj", "seq.npz", "sub/a.ply")]
    assert "no known data-set layout, each of its 3 scan file(s) analysed alone" in found.note
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no scan file"):
        folder_inputs(tmp_path / "empty")
    with pytest.raises(ValueError, match="not a folder"):
        folder_inputs(tmp_path / "mine" / "b.obj")


def test_as_inputs_keeps_rows():
    row = ManifestRow("/d/x.wrl", "S1", "fear", 2, "3d", 1, "user", "x")
    inputs = as_inputs(["/d/a.obj", Path("/d/b.obj"), row, BatchInput("/d/c", row)])
    assert [i.path for i in inputs] == ["/d/a.obj", "/d/b.obj", "/d/x.wrl", "/d/c"]
    assert [i.row for i in inputs] == [None, None, row, row]
    assert [str(Path(i)) for i in inputs][0] == "/d/a.obj"  # os.fspath works on an input
