"""Reading the presets file: the shipped presets, errors naming the file and entry, a preset's ablation settings."""

import json

import pytest

from core.eval.config import load_preset as load_preset_from_config
from core.eval.presets import load_preset, preset_names, read_presets_file


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


def test_ablation_is_one_experiment_or_several(tmp_path):
    assert load_preset("smoke").ablation == ("bu3dfe_subset1",)  # a string still works
    path = _write(tmp_path, lambda d: d["presets"]["smoke"].update(ablation=["bu3dfe_subset1", "bu4dfe", "bp4d"]))
    p = load_preset("smoke", path)
    assert p.ablation == ("bu3dfe_subset1", "bu4dfe", "bp4d")
    assert p.only(["bp4d", "bu4dfe", "bosphorus"]).ablation == ("bu4dfe", "bp4d")
    for none in ("", []):
        assert load_preset("smoke", _write(tmp_path, lambda d: d["presets"]["smoke"].update(ablation=none))).ablation \
            == ()
    path = _write(tmp_path, lambda d: d["presets"]["smoke"].pop("ablation"))
    assert load_preset("smoke", path).ablation == ("bu3dfe_subset1",)  # absent: the first experiment
    for bad, message in ((["bu4dfe", "nosuch"], r"presets.smoke.ablation: 'nosuch' is not one of the preset's "
                                                r"experiments \(bu3dfe_subset1, "),
                         (["bu4dfe", "bu4dfe"], "names an experiment twice"),
                         ({"bu4dfe": 1}, "must be an experiment id or a list of experiment ids"),
                         (["bu4dfe", 3], "must be an experiment id or a list")):
        path = _write(tmp_path, lambda d: d["presets"]["smoke"].update(ablation=bad))
        with pytest.raises(ValueError, match=message) as err:
            load_preset("smoke", path)
        assert "p.json" in str(err.value)


def test_the_reader_is_importable_from_config():
    assert load_preset_from_config is load_preset
