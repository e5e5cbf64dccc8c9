"""BuildConfig: the recipe of the shipped default model, as data (resources/build_model.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config_io import read_json_object

GENERATORS = ("bu3dfe", "bu4dfe")
FACE_MODELS = ("ict", "sfm")


def _where(source: str, key: str) -> str:
    return f"{source}: {key}"


@dataclass(frozen=True)
class SetSpec:
    """One synthetic set: generator (bu3dfe | bu4dfe), face model (ict | sfm), subjects, generator seed, the
    BU-3DFE intensity levels kept (0 = neutral; empty = all), and overrides of its resources/synth.json section."""

    dataset: str
    face_model: str
    subjects: int
    seed: int
    levels: tuple[int, ...] = ()
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dataset not in GENERATORS:
            raise ValueError(f"dataset must be one of {', '.join(GENERATORS)}, got {self.dataset!r}")
        if self.face_model not in FACE_MODELS:
            raise ValueError(f"face_model must be one of {', '.join(FACE_MODELS)}, got {self.face_model!r}")
        for name in ("subjects", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "subjects" else 0):
                raise ValueError(f"{name} must be an integer >= {1 if name == 'subjects' else 0}, got {value!r}")
        if any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 4 for v in self.levels):
            raise ValueError(f"levels must be BU-3DFE intensity levels 0-4, got {list(self.levels)}")
        if self.levels and self.dataset != "bu3dfe":
            raise ValueError("levels apply to bu3dfe sets only")

    @property
    def name(self) -> str:
        return f"{self.dataset}-{self.face_model}-seed{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "face_model": self.face_model, "subjects": self.subjects, "seed": self.seed,
                "levels": list(self.levels), "settings": dict(self.settings)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> SetSpec:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a JSON object")
        unknown = sorted(set(data) - {"dataset", "face_model", "subjects", "seed", "levels", "settings"})
        if unknown:
            raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)}")
        try:
            return cls(dataset=data.get("dataset"), face_model=data.get("face_model", "ict"),
                       subjects=data.get("subjects"), seed=data.get("seed", 0),
                       levels=tuple(data.get("levels", ())), settings=dict(data.get("settings", {})))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class BuildConfig:
    """name: the card's model name; seed: the training seed; prompt_set: the shipped prompt set trained and scored
    with; render: {size, n_frames}; train / heldout: the synthetic sets; pretrain: PretrainConfig overrides."""

    name: str
    seed: int
    prompt_set: str
    render: dict
    train: tuple[SetSpec, ...]
    heldout: tuple[SetSpec, ...]
    pretrain: dict
    source: str = ""

    def __post_init__(self) -> None:
        if not self.train or not self.heldout:
            raise ValueError(f"{self.source}: train and heldout need at least one set each")
        seeds = {(s.dataset, s.face_model, s.seed) for s in self.train}
        clash = [s.name for s in self.heldout if (s.dataset, s.face_model, s.seed) in seeds]
        if clash:
            raise ValueError(f"{self.source}: held-out set(s) {', '.join(clash)} use a training set's seed: "
                             "their subjects would be training subjects")
        for key in ("data", "cache"):
            if key in self.pretrain:
                raise ValueError(f"{self.source}: pretrain.{key} is set by build-model itself")

    @property
    def n_train_subjects(self) -> int:
        return sum(s.subjects for s in self.train)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "prompt_set": self.prompt_set, "render": dict(self.render),
                "train": [s.to_dict() for s in self.train], "heldout": [s.to_dict() for s in self.heldout],
                "pretrain": json.loads(json.dumps(self.pretrain))}

    @classmethod
    def load(cls, path: str | Path | None = None) -> BuildConfig:
        if path is None:
            from core.resources import resource_path

            path = resource_path("build_model.json")
        data = {k: v for k, v in read_json_object(Path(path), "build-model settings").items()
                if not k.startswith("_")}
        src = str(path)
        unknown = sorted(set(data) - {"name", "seed", "prompt_set", "render", "train", "heldout", "pretrain"})
        if unknown:
            raise ValueError(f"{src}: unknown setting(s) {', '.join(unknown)}")
        render = data.get("render", {})
        if not isinstance(render, dict) or set(render) - {"size", "n_frames"}:
            raise ValueError(f"{src}: render must be an object with size and n_frames")
        sets = {}
        for key in ("train", "heldout"):
            items = data.get(key)
            if not isinstance(items, list):
                raise ValueError(f"{_where(src, key)} must be a list of sets")
            sets[key] = tuple(SetSpec.from_dict(item, f"{src}: {key}[{i}]") for i, item in enumerate(items))
        pretrain = data.get("pretrain", {})
        if not isinstance(pretrain, dict):
            raise ValueError(f"{src}: pretrain must be an object")
        seed = data.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{src}: seed must be an integer >= 0")
        return cls(name=str(data.get("name", "SMILE-VLM model")), seed=seed,
                   prompt_set=str(data.get("prompt_set", "")), render=dict(render), train=sets["train"],
                   heldout=sets["heldout"], pretrain=pretrain, source=src)
