import json

import pytest
import trimesh

from core.inference import PredictConfig, predict
from core.inference.predict import table_header, table_row

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
    assert set(good) == {"path", "probabilities", "view_weights", "top"}
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
