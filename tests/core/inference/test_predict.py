import json

import pytest
import trimesh

from core.inference import PredictConfig, PredictionRecord
from core.inference.predict import predict, table_header, table_row, table_warning

from .conftest import face


def test_records_in_order_with_failures_isolated(tiny_checkpoint, tmp_path):
    mesh = face(0.1)
    trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(tmp_path / "a.obj")
    (tmp_path / "broken.obj").write_text("v 1 2\nf 1 2 9\n")
    config = PredictConfig(paths=(tmp_path / "a.obj", tmp_path / "broken.obj", tmp_path / "gone.ply"),
                           checkpoint=tiny_checkpoint, device="cpu")
    records = list(predict(config))
    assert [r.path for r in records] == [str(tmp_path / n) for n in ("a.obj", "broken.obj", "gone.ply")]
    assert [r.ok for r in records] == [True, False, False]
    good = records[0].to_json_dict()
    assert set(good) == {"path", "probabilities", "view_weights", "top", "face"}
    assert good["face"] is None  # a checkpoint from before canonical faces: bounding-box framing, no face search
    assert sum(good["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    bad = json.loads(json.dumps(records[2].to_json_dict()))
    assert set(bad) == {"path", "error"} and "gone.ply" in bad["error"]
    labels = list(good["probabilities"])
    assert "happiness" in table_header(labels)
    assert records[0].result.top in table_row(records[0], labels)
    assert "error:" in table_row(records[1], labels)


def test_config_validation(tiny_checkpoint):
    with pytest.raises(ValueError, match="at least one input"):
        PredictConfig(paths=(), checkpoint=tiny_checkpoint)


def test_orientation_and_crop_change_the_checkpoint_settings(tiny_checkpoint, tmp_path):
    from core.inference.predict import build_analyzer
    from core.scans.canonical import CanonicalSettings

    base = PredictConfig(paths=("x.obj",), checkpoint=tiny_checkpoint, device="cpu")
    assert base.canonical == {} and build_analyzer(base).render_config.canonical.orientation == "none"
    config = PredictConfig(paths=("x.obj",), checkpoint=tiny_checkpoint, device="cpu", orientation="Y-UP", crop=False)
    assert config.orientation == "y-up" and config.canonical == {"orientation": "y-up", "crop": False}
    canonical = build_analyzer(config).render_config.canonical
    assert canonical == CanonicalSettings.default().replace(orientation="y-up", crop=False)
    with pytest.raises(ValueError, match="unknown orientation"):
        PredictConfig(paths=("x.obj",), checkpoint=tiny_checkpoint, orientation="sideways")
    with pytest.raises(ValueError, match="crop"):
        PredictConfig(paths=("x.obj",), checkpoint=tiny_checkpoint, crop="no")


def test_a_scan_without_a_face_gets_a_warning_line(tiny_checkpoint, tmp_path, sphere_file, ict_file):
    config = PredictConfig(paths=(sphere_file, ict_file), checkpoint=tiny_checkpoint, device="cpu", orientation="auto")
    sphere, ict = list(predict(config))
    labels = list(sphere.result.probabilities)
    assert sphere.to_json_dict()["face"]["ok"] is False and sphere.to_json_dict()["face"]["reason"]
    warning = table_warning(sphere)
    assert "WARNING" in warning and sphere.result.face.warning() in warning
    assert ict.to_json_dict()["face"]["ok"] is True and table_warning(ict) == ""
    assert table_row(sphere, labels) and table_warning(PredictionRecord("x", error="boom")) == ""
