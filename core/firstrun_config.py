"""First-run settings (core.firstrun): :class:`FirstRunConfig` (demo seed, demo-set and pretraining overrides, shipped
or trained model) and :func:`load_config`, resources/firstrun.json updated by a user's JSON file. Every setting is
checked when loaded, not half-way through a first run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from core.config_io import read_json_object

#: resources/ file holding the first-run settings.
CONFIG_FILE = "firstrun.json"


@dataclass(frozen=True)
class FirstRunConfig:
    """seed: of the demo set; demo: overrides of core.synth's DemoConfig (resources/synth.json "demo");
    pretrain: pretraining settings over resources/pretrain.json (any PretrainConfig key but data/cache);
    model: "shipped" (install resources/models/default; train the demo model only when none is shipped) or
    "train" (always train the small demo model)."""

    seed: int = 0
    demo: Mapping[str, Any] = field(default_factory=dict)
    pretrain: Mapping[str, Any] = field(default_factory=dict)
    model: str = "shipped"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"first-run config: seed must be an integer >= 0, got {self.seed!r}")
        if self.model not in ("shipped", "train"):
            raise ValueError(f"first-run config: model must be 'shipped' or 'train', got {self.model!r}")
        for name in ("demo", "pretrain"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise ValueError(f"first-run config: {name} must be a JSON object, got {type(value).__name__}")
            object.__setattr__(self, name, json.loads(json.dumps(dict(value))))  # private JSON-clean copy
        from core.synth.config import DemoConfig

        known = {f for f in DemoConfig.__dataclass_fields__}
        unknown = sorted(set(self.demo) - known)
        if unknown:
            raise ValueError(f"first-run config: unknown demo setting(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        owned = sorted({"data", "cache"} & set(self.pretrain))
        if owned:
            raise ValueError(f"first-run config: pretrain.{owned[0]} is chosen by the first run itself")
        self.pretrain_config("")  # validates the training settings now, not half-way through a first run

    @classmethod
    def from_dict(cls, data: Any, source: str = "first-run config") -> FirstRunConfig:
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
        values = {k: v for k, v in data.items() if not str(k).startswith("_")}
        unknown = sorted(set(values) - {"seed", "demo", "pretrain", "model"})
        if unknown:
            raise ValueError(f"{source}: unknown setting(s) {', '.join(unknown)} (known: demo, model, pretrain, "
                             "seed)")
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "demo": dict(self.demo), "pretrain": dict(self.pretrain), "model": self.model}

    def demo_config(self):
        """core.synth's DemoConfig: resources/synth.json's "demo" section updated by ``demo``."""
        from core.synth.config import DemoConfig, load_demo_config

        base = asdict(load_demo_config())
        values = {**base, **self.demo}
        if isinstance(values.get("bu4dfe_expressions"), list):
            values["bu4dfe_expressions"] = tuple(values["bu4dfe_expressions"])
        return DemoConfig(**values)

    def pretrain_config(self, manifest: str | os.PathLike[str], cache: str | os.PathLike[str] = ""):
        """The PretrainConfig of the demo training on ``manifest`` with render cache ``cache`` (no progress bar)."""
        from core.train import load_pretrain_config

        overrides = {**self.pretrain, "data": os.fspath(manifest), "cache": os.fspath(cache), "progress": False}
        return load_pretrain_config(None, overrides=overrides)


def load_config(path: str | os.PathLike[str] | None = None) -> FirstRunConfig:
    """resources/firstrun.json, updated key by key (sections merged) by the JSON file ``path`` when given."""
    from core.resources import resource_path

    data = read_json_object(resource_path(CONFIG_FILE), "first-run config")
    source = str(resource_path(CONFIG_FILE))
    if path is not None:
        extra = read_json_object(path, "first-run config")
        for key, value in extra.items():
            if key in ("demo", "pretrain") and isinstance(value, dict) and isinstance(data.get(key), dict):
                merged = dict(data[key])
                for k, v in value.items():  # nested training sections (model, loss, ...) merge too
                    merged[k] = {**merged[k], **v} if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
                data[key] = merged
            else:
                data[key] = value
        source = str(path)
    return FirstRunConfig.from_dict(data, source=source)
