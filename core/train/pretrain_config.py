"""PretrainConfig: every setting of a SMILE-VLM pretraining run, as data.

Layers, later ones winning: the dataclass defaults below < resources/pretrain.json < a user JSON file
(``--config``) < command-line flags. Nested sections ("model", "loss", "augment", "render") merge key by key.
The model section starts from resources/model.json (ModelConfig.default()). The resolved config is written to
RUN_DIR/config.json and into every checkpoint; ``to_dict()`` also records the derived "supervision".

Defaults (and why):
  epochs 100, batch_size 32 (per process; the global batch is batch_size x world size), lr 1e-4 with Adam
  (the paper's optimiser and rate), weight_decay 1e-5 (classic L2 through Adam's weight_decay; the paper gives
  none), prompts "metadata" (the paper's protocol: one prompt of the sample's category per step), prompt_set ""
  (the shipped "expressions" set, resources/prompts/expressions.json), seed 0, device "auto", amp "auto" (bf16
  autocast on CUDA when the GPU supports it, else fp16 with a GradScaler; fp32 on the CPU), num_workers 2
  data-loading processes, keep_checkpoints 3 epoch_NNN.ckpt files, checkpoint_every 0 (no extra mid-epoch
  checkpoints; one is still written when a run is stopped), dist_timeout_s 1800 (also bounds how long the other
  ranks wait for rank 0 to render missing views).
With prompts "none" (fully label-free: multi-view Barlow Twins only) beta and gamma are forced to 0.
:func:`render_config` resolves a run's render settings (the views it trains on) from its config.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.config_io import dataclass_from_dict, read_json_object, write_json_atomic
from core.losses import LossWeights
from core.model.config import ModelConfig
from core.train.augment import AugmentConfig

PROMPT_MODES = ("metadata", "none")
SUPERVISION = {"metadata": "category-prompts", "none": "none"}
AMP_MODES = ("auto", "bf16", "fp16", "off")
DEVICES = ("auto", "cpu", "cuda")
SECTIONS = ("model", "loss", "augment", "render")
#: The resolved config of a run, in its run folder.
CONFIG_NAME = "config.json"

#: Settings that may change between a run and its resumption (they do not change the maths).
RESUMABLE_CHANGES = frozenset(
    {
        "epochs", "device", "num_workers", "progress", "dist_timeout_s", "keep_checkpoints", "checkpoint_every",
        "data", "cache",
    }
)


def _default_resource(*parts: str) -> Path | None:
    from core.resources import resources_dir

    try:
        path = resources_dir().joinpath(*parts)
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def _loss_to_dict(w: LossWeights) -> dict[str, Any]:
    return {f.name: getattr(w, f.name) for f in fields(LossWeights)}


def _loss_from_dict(data: Any) -> LossWeights:
    return dataclass_from_dict(LossWeights, data, "loss", "loss setting")


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _check_number(name: str, value: Any, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if (positive and value <= 0) or (not positive and value < 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PretrainConfig:
    """One pretraining run (see the module docstring for defaults and layering).

    data: manifest CSV; cache: render-cache folder ('' = RUN_DIR/../cache); prompt_set: a prompt-set JSON file or
    the name of a shipped set ('' = "expressions", resources/prompts/expressions.json); render: overrides of the
    render settings other than the number and size of the views, which come from model.n_views and
    model.image_size (keys of core.render.RenderConfig: "pitch", "n_frames", "yaws", "canonical": a partial
    CanonicalSettings object laid over resources/canonical.json, e.g. {"orientation": "y-up"}).
    """

    data: str = ""
    cache: str = ""
    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-4
    weight_decay: float = 1e-5
    prompts: str = "metadata"
    prompt_set: str = ""
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"
    num_workers: int = 2
    keep_checkpoints: int = 3
    checkpoint_every: int = 0
    progress: bool = True
    dist_timeout_s: float = 1800.0
    model: ModelConfig = field(default_factory=ModelConfig.default)
    loss: LossWeights = field(default_factory=LossWeights)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    render: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("data", "cache", "prompt_set"):
            value = getattr(self, name)
            if not isinstance(value, (str, os.PathLike)):
                raise ValueError(f"{name} must be a path string, got {value!r}")
            value = os.fspath(value).strip()
            is_set_name = name == "prompt_set" and not any(c in value for c in "/\\") and not value.endswith(".json")
            if value and not is_set_name:
                value = str(Path(value).expanduser().absolute())
            object.__setattr__(self, name, value)
        _check_int("epochs", self.epochs, 1)
        _check_int("batch_size", self.batch_size, 2)
        object.__setattr__(self, "lr", _check_number("lr", self.lr, positive=True))
        object.__setattr__(self, "weight_decay", _check_number("weight_decay", self.weight_decay, positive=False))
        if self.prompts not in PROMPT_MODES:
            raise ValueError(f"prompts must be one of {', '.join(PROMPT_MODES)}, got {self.prompts!r}")
        _check_int("seed", self.seed, 0)
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.amp not in AMP_MODES:
            raise ValueError(f"amp must be one of {', '.join(AMP_MODES)}, got {self.amp!r}")
        _check_int("num_workers", self.num_workers, 0)
        _check_int("keep_checkpoints", self.keep_checkpoints, 1)
        _check_int("checkpoint_every", self.checkpoint_every, 0)
        if not isinstance(self.progress, bool):
            raise ValueError(f"progress must be true or false, got {self.progress!r}")
        object.__setattr__(self, "dist_timeout_s", _check_number("dist_timeout_s", self.dist_timeout_s, positive=True))
        for name, cls in (("model", ModelConfig), ("loss", LossWeights), ("augment", AugmentConfig)):
            if not isinstance(getattr(self, name), cls):
                raise ValueError(f"{name} must be a {cls.__name__}, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.render, dict):
            raise ValueError(f"render must be a JSON object, got {type(self.render).__name__}")
        bad = sorted({"size", "image_size", "n_views"} & set(self.render))
        if bad:
            raise ValueError(f"render.{bad[0]} is set through model.image_size / model.n_views (--size / --views)")
        object.__setattr__(self, "render", json.loads(json.dumps(self.render)))  # a private, JSON-clean copy
        if self.prompts == "none" and (self.loss.beta or self.loss.gamma):
            object.__setattr__(self, "loss", replace(self.loss, beta=0.0, gamma=0.0))

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    @property
    def supervision(self) -> str:
        """'category-prompts' (prompts drawn from the sample's category) or 'none' (label-free)."""
        return SUPERVISION[self.prompts]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "model":
                value = value.to_dict()
            elif f.name == "loss":
                value = _loss_to_dict(value)
            elif f.name == "augment":
                value = value.to_dict()
            elif f.name == "render":
                value = dict(value)
            out[f.name] = value
        out["supervision"] = self.supervision
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "pretrain config") -> "PretrainConfig":
        """Build from a (possibly partial) dict; missing keys take the defaults, unknown keys are a ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
        data = dict(data)
        supervision = data.pop("supervision", None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        try:
            kwargs = dict(data)
            if "model" in kwargs:
                base = ModelConfig.default().to_dict()
                if not isinstance(kwargs["model"], dict):
                    raise ValueError(f"model must be a JSON object, got {type(kwargs['model']).__name__}")
                kwargs["model"] = ModelConfig.from_dict({**base, **kwargs["model"]}, source=f"{source}: model")
            if "loss" in kwargs:
                kwargs["loss"] = _loss_from_dict(kwargs["loss"])
            if "augment" in kwargs:
                kwargs["augment"] = AugmentConfig.from_dict(kwargs["augment"])
            config = cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}") from None
        if supervision is not None and supervision != config.supervision:
            raise ValueError(
                f"{source}: supervision {supervision!r} contradicts prompts {config.prompts!r} "
                f"(which means supervision {config.supervision!r})"
            )
        return config

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the config as indented JSON, atomically (temporary file, then rename)."""
        return write_json_atomic(path, self.to_dict())


def merge_settings(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``override``; the nested sections merge key by key (render.canonical and its
    registration too), other keys are replaced."""
    out = dict(base)
    for key, value in override.items():
        if key in SECTIONS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_canonical(out[key], value) if key == "render" else {**out[key], **value}
        else:
            out[key] = value
    return out


def _merge_canonical(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = {**base, **override}
    a, b = base.get("canonical"), override.get("canonical")
    if isinstance(a, dict) and isinstance(b, dict):
        out["canonical"] = {**a, **b}
        if isinstance(a.get("registration"), dict) and isinstance(b.get("registration"), dict):
            out["canonical"]["registration"] = {**a["registration"], **b["registration"]}
    return out


def default_settings() -> dict[str, Any]:
    """The defaults as a dict: the dataclass defaults updated by resources/pretrain.json when present."""
    base = PretrainConfig().to_dict()
    base.pop("supervision")
    path = _default_resource("pretrain.json")
    if path is not None:
        base = merge_settings(base, read_json_object(path, "pretrain defaults"))
    return base


def load_pretrain_config(
    config_file: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> PretrainConfig:
    """Resolve a config: ``base`` (default: :func:`default_settings`) < ``config_file`` < ``overrides``.

    ``overrides`` holds only the settings given explicitly (nested sections as dicts, e.g. {"loss": {"tau": 0.1}}).
    Errors name the file they come from.
    """
    settings = dict(default_settings() if base is None else base)
    source = "pretrain config"
    if config_file is not None:
        settings = merge_settings(settings, read_json_object(config_file, "pretrain config"))
        source = str(config_file)
    if overrides:
        settings = merge_settings(settings, overrides)
    return PretrainConfig.from_dict(settings, source=source)


def config_differences(saved: PretrainConfig, new: PretrainConfig) -> list[str]:
    """Names (dotted for nested sections) of the settings that differ, excluding the ones a resume may change."""
    a, b = saved.to_dict(), new.to_dict()
    diffs = []
    for key in sorted(set(a) | set(b)):
        if key in RESUMABLE_CHANGES:
            continue
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            diffs.extend(f"{key}.{k}" for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k))
        elif va != vb:
            diffs.append(key)
    return diffs


def render_config(config: PretrainConfig):
    """The render settings of a run (a core.render.RenderConfig): resources/render.json, then config.render, with
    model.n_views views of model.image_size pixels. Without explicit yaws, N views spread evenly over the default
    yaw range."""
    from core.render import RenderConfig

    base = RenderConfig.default()
    values = {**base.to_dict(), **config.render, "canonical": base.canonical, "size": config.model.image_size}
    n = config.model.n_views
    if "yaws" not in config.render and len(base.yaws) != n:
        lo, hi = (min(base.yaws), max(base.yaws)) if len(base.yaws) > 1 else (-30.0, 30.0)
        values["yaws"] = [0.5 * (lo + hi)] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    render = RenderConfig.from_dict(values, source="render settings").replace(canonical=config.render.get("canonical"))
    if render.n_views != n:
        raise ValueError(f"render.yaws gives {render.n_views} views but model.n_views is {n}")
    return render
