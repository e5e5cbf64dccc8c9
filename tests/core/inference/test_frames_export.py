import csv
import json

import numpy as np
import pytest

from core.inference.frame_export import csv_columns, frames_csv, write_frames
from core.inference.frame_predict import json_record, table_rows
from core.inference.frames import FrameProbabilities, FrameWindow
from core.scans.canonical import FaceFlag

LABELS = ("happiness", "sadness")


def _result(n: int = 4, window: FrameWindow = FrameWindow(3)) -> FrameProbabilities:
    p = np.linspace(0.1, 0.9, n)
    probs = np.stack([p, 1 - p], axis=1)
    return FrameProbabilities("seq", LABELS, probs, np.full((n, 3), 1 / 3), window.starts(n),
                              np.minimum(np.arange(1, n + 1), 3), window, 8, np.array([0.75, 0.25]),
                              np.array([0.2, 0.3, 0.5]), FaceFlag(True, 1.5, ""))


def test_csv_has_one_row_per_input_and_frame_and_a_row_per_error(tmp_path):
    path = write_frames([("a/seq", _result()), ("b/bad", "b/bad: not a scan")], tmp_path / "out.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["path", "frame", "window_start", "window_end", "pooled", "top", "happiness", "sadness",
                             "error"]
    assert len(rows) == 5 and [r["frame"] for r in rows[:4]] == ["0", "1", "2", "3"]
    assert rows[3] == {"path": "a/seq", "frame": "3", "window_start": "1", "window_end": "3", "pooled": "3",
                       "top": "happiness", "happiness": "0.900000", "sadness": "0.100000", "error": ""}
    assert rows[4]["path"] == "b/bad" and rows[4]["error"] == "b/bad: not a scan" and rows[4]["happiness"] == ""


def test_json_holds_each_input_as_predict_prints_it(tmp_path):
    path = write_frames([("a/seq", _result()), ("b/bad", "b/bad: not a scan")], tmp_path / "out.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["window"] == "last:3" and data["labels"] == list(LABELS)
    first, failed = data["inputs"]
    assert first == json.loads(json.dumps(json_record("a/seq", _result())))
    assert first["top"] == "happiness" and first["probabilities"] == {"happiness": 0.75, "sadness": 0.25}
    assert first["view_weights"] == [0.2, 0.3, 0.5] and first["face"]["ok"] is True
    assert [f["frame"] for f in first["frames"]] == [0, 1, 2, 3] and first["frames"][3]["window"] == [1, 3]
    assert first["events"]["label"] == "happiness" and first["events"]["apex"] == 3
    assert failed == {"path": "b/bad", "error": "b/bad: not a scan"}


def test_labels_must_agree_and_not_clash_with_columns():
    other = FrameProbabilities(**{**_result().__dict__, "labels": ("fear", "anger")})
    with pytest.raises(ValueError, match="differ"):
        frames_csv([("a", _result()), ("b", other)])
    with pytest.raises(ValueError, match="fixed column"):
        csv_columns(["frame", "happiness"])


def test_bad_file_names(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        write_frames([("a", _result())], tmp_path / "out.txt")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        write_frames([("a", _result())], tmp_path / "dir.csv")


def test_table_rows_show_the_sequence_each_frame_and_the_events():
    lines = table_rows("a/seq", _result(), LABELS)
    assert lines[0].startswith("a/seq") and "happiness" in lines[0] and "0.750" in lines[0]
    assert lines[1].strip().startswith("frame 0 [0-0]") and "0.100" in lines[1]
    assert lines[4].strip().startswith("frame 3 [1-3]")
    assert "happiness: onset" in lines[-1] and "apex 3" in lines[-1] and "last:3" in lines[-1]
    assert table_rows("b", "b: broken", LABELS) == [f"{'b':<40} error: b: broken"]


def test_the_checkpoint_and_prompt_set_are_named_when_given(tmp_path):
    named = {"checkpoint": "models/a.ckpt", "prompt_set": "emotions (unsaved edits)"}
    path = write_frames([("a/seq", _result()), ("b/bad", "b/bad: broken")], tmp_path / "out.csv", **named)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-3:] == ["checkpoint", "prompt_set", "error"]
    assert {(r["checkpoint"], r["prompt_set"]) for r in rows} == {("models/a.ckpt", "emotions (unsaved edits)")}
    assert rows[-1]["error"] == "b/bad: broken"
    data = json.loads(write_frames([("a/seq", _result())], tmp_path / "out.json", **named).read_text("utf-8"))
    assert data["checkpoint"] == "models/a.ckpt" and data["prompt_set"] == "emotions (unsaved edits)"
    plain = json.loads(write_frames([("a/seq", _result())], tmp_path / "plain.json").read_text("utf-8"))
    assert "checkpoint" not in plain and "prompt_set" not in plain
    with pytest.raises(ValueError, match="fixed column"):
        csv_columns(["prompt_set", "happiness"])
