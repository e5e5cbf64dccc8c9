"""Offline loading of open_clip CLIP models, shared by the CLIP visual backbone and the CLIP text encoder.

A CLIP spec's source is either a local weights file or an open_clip pretrained tag (e.g. 'openai'). A tag is only
accepted when its weights are already on this machine (Hugging Face cache or ~/.cache/clip); this is checked BEFORE
open_clip is asked for anything, so open_clip never tries a download. Weights that cannot be had raise
ClipWeightsError: a CLIP model is never built with random weights in place of pretrained ones.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

WEIGHT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".npz", ".ckpt")


class ClipWeightsError(ValueError):
    """CLIP weights are unavailable or unreadable; the message names the model, the file or tag, and the reason."""


@dataclass(frozen=True)
class ClipSource:
    """Where a CLIP model's weights come from.

    arch: open_clip model name; tag: the pretrained tag or None for a file; path: the local weights file (None only
    when the architecture is built without weights, e.g. to load a SMILE-VLM checkpoint over it); quick_gelu: what the
    tag was trained with; mean/std: its input normalisation.
    """

    arch: str
    tag: str | None
    path: str | None
    quick_gelu: bool
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def _open_clip():
    try:
        import open_clip
    except ImportError as exc:  # pragma: no cover - open_clip is a project dependency
        raise ClipWeightsError(f"CLIP models need the open_clip_torch package ({exc})") from None
    return open_clip


def hf_cache_dir() -> str:
    """The Hugging Face hub cache folder, as huggingface_hub resolves it: $HF_HUB_CACHE, else $HF_HOME/hub, else
    ${XDG_CACHE_HOME:-~/.cache}/huggingface/hub (read at each call, not at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.path.expanduser(os.environ["HF_HUB_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = os.environ.get("HF_HOME") or os.path.join(xdg, "huggingface")
    return os.path.join(os.path.expanduser(home), "hub")


def _cached_tag_file(cfg: dict) -> tuple[str | None, list[str]]:
    """Local file of a pretrained tag's config and the places looked at (no network)."""
    looked: list[str] = []
    if cfg.get("file"):
        looked.append(str(cfg["file"]))
        return (str(cfg["file"]) if os.path.isfile(cfg["file"]) else None), looked
    hf_hub = cfg.get("hf_hub", "")
    if hf_hub:
        from huggingface_hub import try_to_load_from_cache

        cache_dir = hf_cache_dir()
        if hf_hub.endswith("/"):  # open_clip's convention: 'org/repo/' means the default weights file name
            repo_id, filename = hf_hub.rstrip("/"), "open_clip_pytorch_model.bin"
        else:
            repo_id, filename = os.path.split(hf_hub)
        candidates = [filename]
        if filename == "open_clip_pytorch_model.bin":
            candidates.insert(0, "open_clip_model.safetensors")
        elif filename.endswith((".bin", ".pth")):
            candidates.insert(0, filename[:-4] + ".safetensors")
        for name in candidates:
            looked.append(f"{cache_dir} ({repo_id}/{name})")
            found = try_to_load_from_cache(repo_id=repo_id, filename=name, cache_dir=cache_dir)
            if isinstance(found, str) and os.path.isfile(found):
                return found, looked
    url = cfg.get("url", "")
    if url:
        target = os.path.join(os.path.expanduser("~/.cache/clip"), os.path.basename(url))
        looked.append(target)
        if os.path.isfile(target):
            return target, looked
    return None, looked


def resolve_clip_source(arch: str, source: str, need_weights: bool = True) -> ClipSource:
    """Check a CLIP (arch, tag-or-file) pair without loading anything; ClipWeightsError when unusable.

    need_weights=False resolves the architecture only (used when a SMILE-VLM checkpoint provides every weight).
    """
    open_clip = _open_clip()
    from open_clip.pretrained import get_pretrained_cfg, list_pretrained_tags_by_model

    if arch not in open_clip.list_models():
        raise ClipWeightsError(
            f"unknown CLIP architecture {arch!r} (open_clip knows e.g. ViT-B-32, ViT-B-16, ViT-L-14)"
        )
    mean, std = tuple(open_clip.OPENAI_DATASET_MEAN), tuple(open_clip.OPENAI_DATASET_STD)
    if os.path.isfile(source):
        return ClipSource(arch, None, str(Path(source).resolve()), False, mean, std)
    looks_like_path = any(sep in source for sep in ("/", "\\")) or source.lower().endswith(WEIGHT_SUFFIXES)
    if looks_like_path:
        if not need_weights:
            return ClipSource(arch, None, None, False, mean, std)
        raise ClipWeightsError(f"{source}: CLIP {arch} weights file not found")
    cfg = get_pretrained_cfg(arch, source)
    if not cfg:
        tags = list_pretrained_tags_by_model(arch)
        raise ClipWeightsError(
            f"CLIP {arch}: {source!r} is neither a weights file nor a known pretrained tag "
            f"(tags: {', '.join(tags) if tags else 'none'})"
        )
    quick_gelu = bool(cfg.get("quick_gelu", False))
    mean = tuple(cfg.get("mean") or mean)
    std = tuple(cfg.get("std") or std)
    if not need_weights:
        return ClipSource(arch, source, None, quick_gelu, mean, std)
    path, looked = _cached_tag_file(cfg)
    if path is None:
        raise ClipWeightsError(
            f"CLIP {arch}:{source} weights are not on this machine (looked in: {'; '.join(looked) or 'nowhere'}) and "
            f"nothing is downloaded. Copy the weights file here and use 'clip:{arch}:/path/to/weights', or pick "
            "another model; refusing to continue with random weights."
        )
    return ClipSource(arch, source, path, quick_gelu, mean, std)


def create_clip(arch: str, source: str, load_weights: bool = True):
    """(open_clip model in eval mode on CPU, ClipSource). load_weights=False builds the bare architecture."""
    src = resolve_clip_source(arch, source, need_weights=load_weights)
    open_clip = _open_clip()
    what = src.path or f"{arch}:{source}"
    previous = logging.root.manager.disable
    if not load_weights:  # open_clip warns "initialized randomly"; the caller loads a checkpoint over it
        logging.disable(logging.WARNING)
    try:
        model = open_clip.create_model(
            arch,
            pretrained=src.path if load_weights else None,
            force_quick_gelu=src.quick_gelu,
            require_pretrained=load_weights,
            weights_only=True,
            device="cpu",
        )
    except Exception as exc:  # open_clip raises RuntimeError, KeyError, pickle errors, ... on a bad file
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise ClipWeightsError(f"{what}: could not load CLIP {arch} weights ({type(exc).__name__}: {first})") from None
    finally:
        logging.disable(previous)
    model.eval()
    return model, src
