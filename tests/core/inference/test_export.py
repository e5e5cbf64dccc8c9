import json

import numpy as np
import pytest

from core.inference import AnalysisResult
from core.inference.export import ExportMeta, read_csv, read_json, write_csv, write_results
from core.inference.predict import PredictionRecord


def result(path, probs, weights):
    top = max(probs, key=probs.get)
    return AnalysisResult(source=path, probabilities=probs, top=top, view_weights=weights,
                          views=np.zeros((len(weights), 8, 8, 3), np.uint8), embedding=np.zeros(4, np.float32))


@pytest.fixture
def records():
    return [
        PredictionRecord("/data/a.wrl", result=result("/data/a.wrl", {"happy": 0.7, "sad, very": 0.2, "fear": 0.1},
                                                        [0.2, 0.5, 0.3])),
        PredictionRecord("/data/b.obj", error="/data/b.obj: truncated file"),
        PredictionRecord("/data/seq", result=result("/data/seq", {"happy": 0.1, "sad, very": 0.1, "fear": 0.8},
                                                      [1 / 3, 1 / 3, 1 / 3])),
    ]


def test_csv_round_trip(tmp_path, records):
    meta = ExportMeta("/models/demo.ckpt", "expressions", ("happy", "sad, very", "fear"))
    out = write_csv(records, tmp_path / "r.csv", meta)
    header = out.read_text().splitlines()[0]
    assert header.startswith("path,top,entropy,margin,prob_happy,\"prob_sad, very\",prob_fear,view_weight_1")
    rows = read_csv(out)
    assert [r["path"] for r in rows] == ["/data/a.wrl", "/data/b.obj", "/data/seq"]
    assert rows[0]["probabilities"] == records[0].result.probabilities  # repr round-trips exactly
    assert rows[0]["view_weights"] == [0.2, 0.5, 0.3]
    assert rows[0]["top"] == "happy" and rows[0]["error"] is None
    assert rows[0]["margin"] == pytest.approx(0.5)
    assert 0 < rows[0]["entropy"] < 1
    assert rows[1]["error"] == "/data/b.obj: truncated file"
    assert rows[1]["probabilities"] == {} and rows[1]["top"] is None and rows[1]["view_weights"] == []
    assert rows[2]["top"] == "fear"
    assert {r["checkpoint"] for r in rows} == {"/models/demo.ckpt"}
    assert {r["prompt_set"] for r in rows} == {"expressions"}


def test_json_document(tmp_path, records):
    out = write_results(records, tmp_path / "r.json", ExportMeta("c.ckpt", "expressions"))
    doc = read_json(out)
    assert doc["labels"] == ["happy", "sad, very", "fear"]
    assert doc["prompt_set"] == "expressions"
    assert [r["path"] for r in doc["results"]] == ["/data/a.wrl", "/data/b.obj", "/data/seq"]
    assert doc["results"][0]["view_weights"] == [0.2, 0.5, 0.3]
    assert doc["results"][1]["error"].endswith("truncated file")
    assert json.loads(out.read_text()) == doc


def test_labels_missing_from_a_record_leave_blank_cells(tmp_path):
    recs = [PredictionRecord("a", result=result("a", {"x": 1.0}, [1.0])),
            PredictionRecord("b", result=result("b", {"x": 0.5, "y": 0.5}, [0.5, 0.5]))]
    rows = read_csv(write_csv(recs, tmp_path / "r.csv"))
    assert rows[0]["probabilities"] == {"x": 1.0} and rows[0]["view_weights"] == [1.0]
    assert rows[1]["probabilities"] == {"x": 0.5, "y": 0.5}


def test_bad_outputs_and_inputs(tmp_path, records):
    with pytest.raises(ValueError, match="unknown export format"):
        write_results(records, tmp_path / "r.txt")
    with pytest.raises(ValueError, match="is a folder"):
        write_csv(records, tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a results CSV"):
        read_csv(bad)
    bad.write_text("path,top,prob_x,error\np,x,oops,\n")
    with pytest.raises(ValueError, match="line 2"):
        read_csv(bad)
    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(ValueError, match="not a results JSON"):
        read_json(tmp_path / "bad.json")
    assert not list(tmp_path.glob(".*.tmp"))


def test_face_flags_in_csv_and_json(tmp_path):
    from dataclasses import replace

    from core.scans.canonical import FaceFlag

    base = result("a", {"x": 0.6, "y": 0.4}, [0.5, 0.5])
    recs = [PredictionRecord("ok", result=replace(base, face=FaceFlag(True, 0.8123456, ""))),
            PredictionRecord("sphere",
                             result=replace(base, face=FaceFlag(False, 6.7, "no face found: residual 6.7 mm"))),
            PredictionRecord("nothing", result=replace(base, face=FaceFlag(False, float("inf"), "no face found: x"))),
            PredictionRecord("legacy", result=base),
            PredictionRecord("broken", error="broken: bad file")]
    out = write_csv(recs, tmp_path / "r.csv")
    header = out.read_text().splitlines()[0].split(",")
    assert header[-6:] == ["face_ok", "face_residual_mm", "face_reason", "checkpoint", "prompt_set", "error"]
    rows = read_csv(out)
    assert [r["face_ok"] for r in rows] == [True, False, False, None, None]
    assert [r["face_residual_mm"] for r in rows] == [0.812, 6.7, None, None, None]
    assert [r["face_reason"] for r in rows] == ["", "no face found: residual 6.7 mm", "no face found: x", None, None]
    doc = read_json(write_results(recs, tmp_path / "r.json"))
    faces = [{k: r[k] for k in ("face_ok", "face_residual_mm", "face_reason")} for r in doc["results"]]
    assert faces[0] == {"face_ok": True, "face_residual_mm": 0.812, "face_reason": ""}
    assert faces[2] == {"face_ok": False, "face_residual_mm": None, "face_reason": "no face found: x"}
    assert faces[3] == faces[4] == {"face_ok": None, "face_residual_mm": None, "face_reason": None}
    bad = tmp_path / "bad.csv"
    bad.write_text("path,top,face_ok,error\np,x,maybe,\n")
    with pytest.raises(ValueError, match="face_ok is not true or false"):
        read_csv(bad)
