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
    assert header.startswith("path,subject,label,intensity,top,entropy,margin,prob_happy,\"prob_sad, very\",prob_fear,"
                             "view_weight_1,view_weight_2,view_weight_3,")  # no yaws known: views numbered
    rows = read_csv(out)
    assert [r["path"] for r in rows] == ["/data/a.wrl", "/data/b.obj", "/data/seq"]
    assert rows[0]["probabilities"] == records[0].result.probabilities
    assert rows[0]["view_weights"] == {"1": 0.2, "2": 0.5, "3": 0.3}
    assert rows[2]["view_weights"] == {"1": 0.3333, "2": 0.3333, "3": 0.3333}  # 4 significant digits
    assert rows[0]["subject"] is None and rows[0]["label"] is None and rows[0]["intensity"] is None
    assert rows[0]["top"] == "happy" and rows[0]["error"] is None
    assert rows[0]["margin"] == pytest.approx(0.5)
    assert 0 < rows[0]["entropy"] < 1
    assert rows[1]["error"] == "/data/b.obj: truncated file"
    assert rows[1]["probabilities"] == {} and rows[1]["top"] is None and rows[1]["view_weights"] == {}
    assert rows[2]["top"] == "fear"
    assert {r["checkpoint"] for r in rows} == {"/models/demo.ckpt"}
    assert {r["prompt_set"] for r in rows} == {"expressions"}


def test_json_document(tmp_path, records):
    out = write_results(records, tmp_path / "r.json", ExportMeta("c.ckpt", "expressions"))
    doc = read_json(out)
    assert doc["labels"] == ["happy", "sad, very", "fear"]
    assert doc["prompt_set"] == "expressions"
    assert [r["path"] for r in doc["results"]] == ["/data/a.wrl", "/data/b.obj", "/data/seq"]
    assert doc["results"][0]["view_weights"] == {"1": 0.2, "2": 0.5, "3": 0.3}
    assert doc["results"][1]["error"].endswith("truncated file")
    assert json.loads(out.read_text()) == doc


def test_labels_missing_from_a_record_leave_blank_cells(tmp_path):
    recs = [PredictionRecord("a", result=result("a", {"x": 1.0}, [1.0])),
            PredictionRecord("b", result=result("b", {"x": 0.5, "y": 0.5}, [0.5, 0.5]))]
    rows = read_csv(write_csv(recs, tmp_path / "r.csv"))
    assert rows[0]["probabilities"] == {"x": 1.0} and rows[0]["view_weights"] == {"1": 1.0}
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


def test_manifest_truth_view_names_prompts_and_four_digits(tmp_path, records):
    """Issue 14, item 16: subject / label / intensity from the manifest, view weights named by side and yaw, the
    prompt texts (a prompts CSV beside the results; a block in the JSON), numbers with 4 significant digits."""
    from core.datasets import ManifestRow

    truth = {"/data/a.wrl": ManifestRow("/data/a.wrl", "F0001", "happiness", 4, "3d", 1, "bu3dfe", "HA"),
             "/data/seq": ManifestRow("/data/seq", "F001", "fear", None, "4d", 30, "bu4dfe", "Fear")}
    prompts = {"happy": ("a smiling face", "a face, laughing"), "sad, very": ("a sad face",), "fear": ("fear",)}
    meta = ExportMeta("m.ckpt", "mine", ("happy", "sad, very", "fear"), (-30, 0, 30.0), prompts)
    assert meta.prompts == tuple((k, v) for k, v in prompts.items())
    precise = [PredictionRecord("/data/a.wrl", result=result("/data/a.wrl",
                                                             {"happy": 0.123456789, "sad, very": 0.0000123456,
                                                              "fear": 1 - 0.123456789 - 0.0000123456},
                                                             [0.2, 0.5, 0.3]))] + records[1:]
    out = write_csv(precise, tmp_path / "r.csv", meta, rows=truth)
    lines = out.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["path", "subject", "label", "intensity"]
    assert [c for c in header if c.startswith("view_weight_")] == [
        "view_weight_left_-30deg", "view_weight_front_0deg", "view_weight_right_+30deg"]
    assert lines[1].startswith("/data/a.wrl,F0001,happiness,4,fear,")
    assert ",0.1235,1.235e-05,0.8765," in lines[1]
    assert lines[2].startswith("/data/b.obj,,,,,")  # not in the manifest: blank
    rows = read_csv(out)
    assert [(r["subject"], r["label"], r["intensity"]) for r in rows] == [
        ("F0001", "happiness", 4), (None, None, None), ("F001", "fear", None)]
    assert rows[0]["view_weights"] == {"left_-30deg": 0.2, "front_0deg": 0.5, "right_+30deg": 0.3}
    sidecar = tmp_path / "r.prompts.csv"
    assert sidecar.read_text().splitlines() == [
        "prompt_set,label,prompt", "mine,happy,a smiling face", 'mine,happy,"a face, laughing"',
        'mine,"sad, very",a sad face', "mine,fear,fear"]

    doc = read_json(write_results(precise, tmp_path / "r.json", meta, rows=truth))
    assert doc["prompts"] == {k: list(v) for k, v in prompts.items()} and doc["prompt_set"] == "mine"
    assert doc["views"] == [{"name": "left_-30deg", "yaw_deg": -30.0}, {"name": "front_0deg", "yaw_deg": 0.0},
                            {"name": "right_+30deg", "yaw_deg": 30.0}]
    first = doc["results"][0]
    assert (first["subject"], first["label"], first["intensity"]) == ("F0001", "happiness", 4)
    assert first["probabilities"] == {"happy": 0.1235, "sad, very": 1.235e-05, "fear": 0.8765}
    assert first["view_weights"] == {"left_-30deg": 0.2, "front_0deg": 0.5, "right_+30deg": 0.3}
    assert doc["results"][1]["subject"] is None and doc["results"][1]["view_weights"] == {}
    assert not list(tmp_path.glob("r.json.prompts*")) and not list(tmp_path.glob("*.tmp"))


def test_view_names_come_from_the_yaws():
    from core.inference.export import view_names

    assert view_names((-30.0, 0.0, 30.0)) == ("left_-30deg", "front_0deg", "right_+30deg")
    assert view_names((-45, -15, 15, 45)) == ("left_-45deg", "left_-15deg", "right_+15deg", "right_+45deg")
    assert view_names((12.5,)) == ("right_+12.5deg",)
    assert ExportMeta(yaws=(-30, 30)).view_names(3) == ("1", "2", "3")  # yaws of another model: numbered


def test_meta_from_an_analyzer_takes_its_yaws_labels_and_prompts():
    from types import SimpleNamespace

    from core.prompts import PromptSet

    ps = PromptSet("faces", {"smile": ("a smiling face",), "frown": ("a frown", "a frowning face")})
    analyzer = SimpleNamespace(prompt_set=ps, labels=ps.labels, render_config=SimpleNamespace(yaws=(-20.0, 0.0, 20.0)))
    meta = ExportMeta.from_analyzer(analyzer, "c.ckpt")
    assert meta == ExportMeta("c.ckpt", "faces", ("smile", "frown"), (-20.0, 0.0, 20.0),
                              (("smile", ("a smiling face",)), ("frown", ("a frown", "a frowning face"))))
    assert ExportMeta.from_analyzer(analyzer, prompt_set="faces (edited)").prompt_set == "faces (edited)"
