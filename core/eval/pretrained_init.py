"""Source models for fine-tuning experiments (ExperimentSpec.init_from, the paper's IV-E).

For an experiment with ``init_from`` = E, each of its methods is first trained once on E's whole data set (every
subject, E's training settings, the method's own objective: SMILE-VLM with E's prompts, mv-BT only, or supervised
CE); every fold model of the experiment then starts from that model (for CE only the encoder: the classifier head
is new, the classes differ) and is fine-tuned on the fold's training subjects. Source models are stored as
weights-only state dicts under WORK/init/<E>-<method>-<key>.pt, the key hashing everything that shaped them, so a
resumed benchmark trains each once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from core.eval.config import MethodSpec, TrainSettings
from core.eval.runner import ExperimentData, _to_tensor, _views, method_views
from core.model.config import ModelConfig


def source_key(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def source_state(
    method: MethodSpec,
    source: ExperimentData,
    settings: TrainSettings,
    model_config: ModelConfig,
    work: Path,
    *,
    seed: int,
    text_features: dict,
    text_dim: int,
    device: str,
) -> tuple[dict[str, torch.Tensor], str]:
    """(state_dict of ``method`` trained on all of ``source``, its key); trained once and cached under work/init."""
    from core.config_io import write_json_atomic
    from core.eval.training import train_fold_model

    payload = {"experiment": source.name, "data": source.fingerprint, "method": method.to_dict(),
               "train": settings.to_dict(), "model": model_config.to_dict(), "seed": seed,
               "classes": list(source.class_names), "prompts": {c: list(p) for c, p in source.prompts.items()}}
    key = source_key(payload)
    path = Path(work) / "init" / f"{source.name}-{method.name}-{key}.pt"
    if path.is_file():
        return torch.load(path, map_location="cpu", weights_only=True), key
    views = _views(source.views_path)
    view_index = method_views(method, source)
    index = list(range(views.shape[0]))
    class_index = {c: i for i, c in enumerate(source.class_names)}
    labels = torch.tensor([class_index[y] for y in source.labels], dtype=torch.long)
    trained = train_fold_model(method, settings, model_config, _to_tensor(views, index, view_index), labels,
                               source.class_names, seed=seed, prompts=source.prompts,
                               text_features=text_features if method.kind == "smile" else None,
                               text_dim=text_dim, device=device)
    state = {k: v.detach().cpu() for k, v in trained.model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)
    write_json_atomic(path.with_suffix(".json"), {**payload, "seconds": round(trained.seconds, 1),
                                                   "samples": len(index), "history": trained.history})
    return state, key
