from pathlib import Path

from core.datasets import BP4D_TASK_EMOTION, index_dataset


def test_tasks_map_to_emotions(tmp_path: Path, make_sequence):
    for subject in ("F001", "M001"):
        for t in range(1, 9):
            make_sequence(tmp_path / subject / f"T{t}", t, ".obj")
    result = index_dataset(tmp_path, "bp4d")
    assert len(result.rows) == 16 and result.skipped == ()
    for r in result.rows:
        assert r.label == BP4D_TASK_EMOTION[r.code]
        assert (r.kind, r.dataset, r.intensity) == ("4d", "bp4d", None)
        assert r.n_frames == int(r.code[1:])
        assert r.path == tmp_path / r.subject / r.code
    by = {(r.subject, r.code): r.label for r in result.rows}
    assert by[("F001", "T1")] == "happiness"
    assert by[("M001", "T8")] == "disgust"


def test_unknown_task_is_skipped(tmp_path: Path, make_sequence):
    make_sequence(tmp_path / "F001" / "T2", 2)
    make_sequence(tmp_path / "F001" / "T9", 2)
    result = index_dataset(tmp_path, "bp4d")
    assert [r.code for r in result.rows] == ["T2"]
    ((path, reason),) = result.skipped
    assert path == tmp_path / "F001" / "T9" and "unknown task folder 'T9'" in reason
