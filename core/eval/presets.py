"""Reading the benchmark presets file (resources/benchmark/presets.json, or a user file of the same shape,
``--config``) into core.eval.config's data: ``load_preset(name, path) -> Preset``. Errors name the file and the
offending entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config_io import read_json_object
from core.eval.config import (
    DATASETS,
    ExperimentRun,
    ExperimentSpec,
    MethodSpec,
    Preset,
    SynthSettings,
    TrainSettings,
    _int,
    _obj,
    _unknown,
)

PRESETS_FILE = ("benchmark", "presets.json")


def _ablation(value: Any, experiments: list[str], where: str) -> tuple[str, ...]:
    """A preset's ``ablation``: an experiment id or a list of them ("" or [] for none) -> tuple of ids."""
    items = ([value] if value else []) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(a, str) and a for a in items):
        raise ValueError(f"{where} must be an experiment id or a list of experiment ids, got {value!r}")
    for a in items:
        if a not in experiments:
            raise ValueError(f"{where}: {a!r} is not one of the preset's experiments ({', '.join(experiments)})")
    if len(set(items)) != len(items):
        raise ValueError(f"{where}: {value!r} names an experiment twice")
    return tuple(items)


def read_presets_file(path: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """(path, JSON object) of a presets file (default resources/benchmark/presets.json)."""
    if path is None:
        from core.resources import resource_path

        src = resource_path(*PRESETS_FILE)
    else:
        src = Path(path)
    return src, read_json_object(src, "benchmark presets")


def preset_names(path: str | Path | None = None) -> list[str]:
    src, data = read_presets_file(path)
    return list(_obj(data.get("presets", {}), f"{src}: presets"))


def load_preset(name: str, path: str | Path | None = None) -> Preset:
    """The preset ``name`` of the presets file; ValueError naming the file and the bad entry."""
    src, data = read_presets_file(path)
    _unknown(_obj(data, str(src)), {"methods", "experiments", "presets"}, str(src))
    presets = _obj(data.get("presets", {}), f"{src}: presets")
    if name not in presets:
        raise ValueError(f"{src}: no preset {name!r} (presets: {', '.join(presets) or 'none'})")
    where = f"{src}: presets.{name}"
    p = _obj(presets[name], where)
    _unknown(p, {"description", "synth", "render", "train", "experiments", "ablation", "workers"}, where)
    base = TrainSettings().updated(p.get("train", {}), f"{where}.train")

    methods_raw = _obj(data.get("methods", {}), f"{src}: methods")
    methods = {m: MethodSpec.from_dict(m, v, base.loss, f"{src}: methods.{m}") for m, v in methods_raw.items()}
    exps_raw = _obj(data.get("experiments", {}), f"{src}: experiments")
    specs = {e: ExperimentSpec.from_dict(e, v, f"{src}: experiments.{e}") for e, v in exps_raw.items()}

    render = _obj(p.get("render", {}), f"{where}.render")
    _unknown(render, {"size", "yaws", "n_frames", "pitch", "canonical"}, f"{where}.render")

    runs = []
    for exp_name, exp_raw in _obj(p.get("experiments", {}), f"{where}.experiments").items():
        ew = f"{where}.experiments.{exp_name}"
        if exp_name not in specs:
            raise ValueError(f"{ew}: no experiment {exp_name!r} in the experiments catalogue")
        e = _obj(exp_raw, ew)
        _unknown(e, {"folds", "methods", "train"}, ew)
        folds = _int(e.get("folds", 10), f"{ew}.folds", 2)
        names = e.get("methods")
        if not isinstance(names, list) or not names:
            raise ValueError(f"{ew}.methods must be a non-empty list of method ids")
        for m in names:
            if m not in methods:
                raise ValueError(f"{ew}.methods: no method {m!r} in the methods catalogue")
        train = base.updated(e.get("train", {}), f"{ew}.train") if "train" in e else base
        runs.append(ExperimentRun(specs[exp_name], folds, tuple(dict.fromkeys(names)), train))
    if not runs:
        raise ValueError(f"{where}: no experiments")
    names_in_preset = [r.spec.name for r in runs]
    for run in runs:
        source = run.spec.init_from
        if source and (source not in names_in_preset or source == run.spec.name):
            raise ValueError(f"{src}: experiments.{run.spec.name}.init_from: {source!r} is not another experiment "
                             f"of preset {name!r} ({', '.join(names_in_preset)})")
        if run.spec.cross is not None and run.spec.cross.dataset == run.spec.dataset:
            raise ValueError(f"{src}: experiments.{run.spec.name}.cross tests on its own data set")

    synth_raw = _obj(p.get("synth", {}), f"{where}.synth")
    seed = _int(synth_raw.pop("seed", 0), f"{where}.synth.seed", 0)
    face_model = synth_raw.pop("face_model", "sfm")
    if face_model not in ("sfm", "ict"):
        raise ValueError(f"{where}.synth.face_model must be 'sfm' or 'ict', got {face_model!r}")
    synth = {}
    for ds, s in synth_raw.items():
        sw = f"{where}.synth.{ds}"
        if ds not in DATASETS:
            raise ValueError(f"{sw}: unknown data set (expected one of {', '.join(DATASETS)})")
        s = _obj(s, sw)
        _unknown(s, {"subjects", "settings"}, sw)
        synth[ds] = SynthSettings(_int(s.get("subjects"), f"{sw}.subjects", 1), _obj(s.get("settings", {}), sw),
                                  face_model)

    ablation = _ablation(p.get("ablation", runs[0].spec.name), names_in_preset, f"{where}.ablation")
    workers = p.get("workers", "auto")
    if workers != "auto":
        _int(workers, f"{where}.workers", 1)
    description = p.get("description", "")
    return Preset(
        name=name,
        description=str(description),
        synth=synth,
        synth_seed=seed,
        render=render,
        methods=methods,
        experiments=tuple(runs),
        ablation=ablation,
        workers=workers,
    )
