import json

import pytest

from core.eval.config import MethodSpec, TrainSettings, load_preset, preset_names, read_presets_file
from core.losses import LossWeights


def test_shipped_presets_load():
    assert {"smoke", "quick", "paper"} <= set(preset_names())
    for name in ("smoke", "quick", "paper"):
        p = load_preset(name)
        assert p.datasets() == ["bu3dfe", "bosphorus", "bu4dfe", "bp4d", "4dme"]
        assert [r.spec.table for r in p.experiments] == ["II", "II", "II", "III", "III", "V"]
        assert p.experiment("bu4dfe").spec.cross.codes == ("T1", "T8")
        assert set(p.experiment("bu3dfe_subset1").methods) >= {"smile_vlm", "ce", "mvbt_only", "no_redmin",
                                                               "no_vlalign", "no_mvbt"}
    quick = load_preset("quick")
    assert quick.experiment("bu3dfe_subset1").folds == 10
    m = quick.methods
    assert (m["no_redmin"].loss.gamma, m["no_vlalign"].loss.beta, m["no_mvbt"].loss.alpha) == (0.0, 0.0, 0.0)
    assert m["mvbt_only"].supervision == "none" and m["ce"].supervision == "labels"
    assert m["smile_vlm"].eval_supervision("zero_shot") == "category prompts"
    assert m["mvbt_only"].eval_supervision("linear_probe") == "none + labels (linear probe)"


def _write(tmp_path, mutate):
    _, data = read_presets_file()
    data = json.loads(json.dumps(data))
    mutate(data)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    return path


def test_bad_presets_name_the_file_and_entry(tmp_path):
    path = _write(tmp_path, lambda d: d["presets"]["smoke"]["experiments"]["bosphorus"].update(methods=["nosuch"]))
    with pytest.raises(ValueError, match=r"p.json: presets.smoke.experiments.bosphorus.methods: no method 'nosuch'"):
        load_preset("smoke", path)
    path = _write(tmp_path, lambda d: d["methods"]["mvbt_only"].update(evals=["zero_shot"]))
    with pytest.raises(ValueError, match="methods.mvbt_only: method 'mvbt_only': zero_shot needs"):
        load_preset("smoke", path)
    path = _write(tmp_path, lambda d: d["presets"]["smoke"].update(colour="red"))
    with pytest.raises(ValueError, match="unknown setting"):
        load_preset("smoke", path)
    path = _write(tmp_path, lambda d: d["presets"]["smoke"]["train"].update(epochs=0))
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        load_preset("smoke", path)
    path = _write(tmp_path, lambda d: d["presets"]["smoke"]["experiments"]["bosphorus"].update(folds=1))
    with pytest.raises(ValueError, match="folds must be an integer >= 2"):
        load_preset("smoke", path)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        load_preset("smoke", bad)
    with pytest.raises(FileNotFoundError, match="presets file not found"):
        load_preset("smoke", tmp_path / "none.json")


def test_method_and_train_settings():
    m = MethodSpec("x", "X", prompts="none", loss=LossWeights(beta=1.0, gamma=1.0), evals=("linear_probe",))
    assert (m.loss.beta, m.loss.gamma) == (0.0, 0.0)
    with pytest.raises(ValueError, match="nothing would be trained"):
        MethodSpec("y", "Y", loss=LossWeights(alpha=0.0, beta=0.0, gamma=0.0))
    with pytest.raises(ValueError, match="classifier evaluation needs kind ce"):
        MethodSpec("z", "Z", evals=("classifier",))
    s = TrainSettings().updated({"model": {"embed_dim": 32}, "loss": {"tau": 0.1}, "epochs": 3}, "t")
    assert (s.model.embed_dim, s.model.backbone, s.loss.tau, s.epochs) == (32, "smallcnn", 0.1, 3)
    with pytest.raises(ValueError, match="unknown setting"):
        TrainSettings().updated({"epoch": 3}, "t")


def test_only_restricts_experiments():
    p = load_preset("smoke").only(["bosphorus"])
    assert [r.spec.name for r in p.experiments] == ["bosphorus"] and p.ablation == ""
    with pytest.raises(ValueError, match="no experiment 'nope'"):
        load_preset("smoke").only(["nope"])
